"""The command line as a user runs it: `python -m core ...` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core import db, settings

ROOT = Path(__file__).resolve().parent.parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_help_documents_every_command():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("demo", "import", "build", "export", "config"):
        assert command in result.stdout
        sub = cli(command, "--help")
        assert sub.returncode == 0 and "--db" in sub.stdout


def test_demo_then_build_then_export(tmp_path):
    path = tmp_path / "cli.duckdb"
    result = cli(
        "demo", "--customers", "500", "--seed", "3", "--end", "2026-06-30", "--db", str(path)
    )
    assert result.returncode == 0, result.stderr
    assert "500 customers" in result.stdout
    con = db.connect(path, read_only=True)
    assert db.row_counts(con)["customers"] == 500
    assert con.execute("select count(*) from customer_features").fetchone()[0] == 500
    con.close()

    again = cli("demo", "--customers", "500", "--db", str(path))
    assert again.returncode != 0 and "already holds data" in again.stderr

    built = cli("build", "--as-of", "2026-01-31", "--db", str(path))
    assert built.returncode == 0, built.stderr
    assert "as of 2026-01-31" in built.stdout

    out = tmp_path / "customers.xlsx"
    exported = cli("export", "customers", str(out), "--db", str(path))
    assert exported.returncode == 0, exported.stderr
    sheet = load_workbook(out).active
    assert sheet.max_row == 501  # header + 500 customers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("build", "--as-of", "yesterday"), "not a date"),
        (("export", "customers", "out.txt"), "write a .csv, .xlsx or .parquet file"),
        (("import", "orders", "x.csv"), "invalid choice"),
    ],
)
def test_bad_arguments_say_what_is_wrong(tmp_path, args, message):
    result = cli(*args, "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode != 0
    assert message in result.stderr


def test_a_database_held_by_another_program_is_named(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = db.connect(path)  # this process holds the write lock, as the dashboard would
    result = cli("build", "--db", str(path))
    holder.close()
    assert result.returncode == 1
    assert "is open in another program" in result.stderr


def test_the_samples_import_as_data_readme_says(tmp_path):
    path = str(tmp_path / "try.duckdb")
    mapping = (
        "transaction_id=订单号,customer_id=会员号,ordered_at=下单时间,quantity=数量,"
        "unit_price=单价,product_category=品类"
    )
    customers = cli("import", "customers", "data/samples/customers.csv", "--db", path)
    assert customers.returncode == 0, customers.stderr
    orders = cli(
        "import", "transactions", "data/samples/orders.csv", "--db", path, "--map", mapping
    )
    assert orders.returncode == 0, orders.stderr
    assert "customers created from transactions: 1" in orders.stdout
    con = db.connect(path, read_only=True)
    amount = con.execute("select amount from transactions where transaction_id = 'O-1001'")
    assert amount.fetchall() == [(198.0,)]
    assert db.row_counts(con)["customers"] == 6
    con.close()


def test_config_lists_shows_and_sets_the_settings(empty_db):
    listed = cli("config", "--db", str(empty_db))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["currency", "(not", "set)"]
    assert "ISO 4217" in lines[0]
    assert lines[1].split()[:3] == ["timezone", "Asia/Shanghai", "(default)"]
    assert "time zone" in lines[1]

    unset = cli("config", "currency", "--db", str(empty_db))
    assert unset.returncode == 0 and unset.stdout == ""
    assert "currency is not set" in unset.stderr

    changed = cli("config", "currency", "gbp", "--db", str(empty_db))
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "currency set to GBP: amounts are shown as £1,234.50"
    assert cli("config", "currency", "--db", str(empty_db)).stdout == "GBP\n"
    zone = cli("config", "timezone", "Europe/London", "--db", str(empty_db))
    assert zone.returncode == 0 and "rows already loaded keep their clock time" in zone.stdout

    listed = cli("config", "--db", str(empty_db)).stdout.splitlines()
    assert listed[0].split()[:2] == ["currency", "GBP"]
    assert listed[1].split()[:2] == ["timezone", "Europe/London"]
    assert "(default)" not in listed[1]
    con = db.connect(empty_db, read_only=True)
    assert settings.all_settings(con) == {
        "currency": "GBP",
        "timezone": "Europe/London",
        "purchase_model": "automatic",
    }
    con.close()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("currency", "pounds"), "is not a three-letter ISO 4217 code (e.g. GBP, USD, CNY"),
        (("currency", "£"), "ISO 4217"),
        (("timezone", "GMT+8"), "is not an IANA zone name (e.g. Asia/Shanghai"),
        (("language", "zh"), "unknown setting 'language': settings are currency, timezone, "),
        (("purchase_model", "learnt"), "purchase model 'learnt' is not one of automatic, bgnbd"),
    ],
)
def test_config_refuses_a_bad_value_in_one_line(empty_db, args, words):
    result = cli("config", *args, "--db", str(empty_db))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and words in result.stderr
    con = db.connect(empty_db, read_only=True)
    assert settings.all_settings(con) == {
        "currency": None,
        "timezone": "Asia/Shanghai",
        "purchase_model": "automatic",
    }
    con.close()
