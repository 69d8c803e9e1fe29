"""The one-pass load of a clean file into an empty table gives what the staged path gives.

`_Import._load_clean` parses, checks and inserts in one pass with no staging table; any
problem rolls it back and the staged path (`_stage`, `_check`, `_load`) runs. Each file
here is imported twice into fresh databases, once as `import_file` does it and once with
the one pass switched off, and the two must hold the same rows in every raw table, the
same data version and the same result; a spy says which path loaded, so a one pass that
silently never runs fails the test. Files: the demo's own transactions and customers
written out, the bench's transaction shape, a marketplace's orders and reviews and a UK
shop's lines (tests/realshops.py), text in GBK, gzip, Parquet and Excel, and files the one
pass must hand over (bad values, a repeated key, a broken line, d/m/y dates).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import db, demo, importer
from core.contract import RAW_TABLES
from tests import realshops

END = dt.date(2025, 6, 30)


def _rows(con) -> dict[str, list[tuple]]:
    """Every raw table's rows in a fixed order, and the data version."""
    found: dict[str, list[tuple]] = {t: con.execute(f"select * from {t} order by all").fetchall()
                                     for t in RAW_TABLES}  # fmt: skip
    found["version"] = [(db.data_version(con),)]
    return found


def _import(tmp_path: Path, name: str, table: str, path: Path, one_pass: bool, monkeypatch,
            start: dict[str, Path] | None = None, **kwargs):  # fmt: skip
    """(result or ImportFailed message, rows, whether the one pass loaded the file)."""
    loaded = []
    clean = importer._Import._load_clean

    def spy(self):
        result = clean(self)
        loaded.append(result is not None)
        return result

    con = db.connect(tmp_path / f"{name}-{one_pass}.duckdb")
    try:
        for start_table, start_path in (start or {}).items():
            importer.import_file(con, start_table, start_path)
        with monkeypatch.context() as m:
            m.setattr(importer._Import, "_load_clean", spy)
            if not one_pass:
                m.setattr(importer._Import, "_may_load_clean", lambda self: False)
            try:
                outcome = importer.import_file(con, table, path, **kwargs)
            except importer.ImportFailed as failed:
                outcome = str(failed)
        return outcome, _rows(con), any(loaded)
    finally:
        con.close()


def _both(tmp_path, monkeypatch, table: str, path: Path, **kwargs) -> tuple[object, bool]:
    """Import both ways; assert the same outcome and rows; (outcome, one pass loaded)."""
    name = path.name.replace(".", "_")
    fast, fast_rows, used = _import(tmp_path, name, table, path, True, monkeypatch, **kwargs)
    slow, slow_rows, unused = _import(tmp_path, name, table, path, False, monkeypatch, **kwargs)
    assert not unused
    assert fast == slow
    for key in slow_rows:
        assert fast_rows[key] == slow_rows[key], key
    return fast, used


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> dict[str, Path]:
    """The demo's customers and transactions written out as CSV by DuckDB."""
    folder = tmp_path_factory.mktemp("demo")
    con = db.connect(folder / "demo.duckdb")
    demo.build_demo(con, customers=300, seed=4, end=END)
    files = {}
    for table in ("customers", "transactions"):
        files[table] = folder / f"demo_{table}.csv"
        con.execute(f"copy {table} to '{files[table]}' (header, delimiter ',')")  # our path
    con.close()
    return files


def test_the_demos_transactions_load_in_one_pass_as_staged(tmp_path, monkeypatch, demo_files):
    result, used = _both(tmp_path, monkeypatch, "transactions", demo_files["transactions"])
    assert used
    assert result.rows_loaded > 1000 and result.customers_created > 100


def test_the_demos_transactions_after_its_customers(tmp_path, monkeypatch, demo_files):
    start = {"customers": demo_files["customers"]}
    result, used = _both(
        tmp_path, monkeypatch, "transactions", demo_files["transactions"], start=start
    )
    assert used
    assert result.customers_created == 0


def test_the_demo_loaded_in_one_pass_holds_what_the_demo_holds(tmp_path, demo_files):
    con = db.connect(tmp_path / "again.duckdb")
    importer.import_file(con, "transactions", demo_files["transactions"])
    con.execute(f"attach '{demo_files['transactions'].parent / 'demo.duckdb'}' as d (read_only)")
    missing = con.execute(
        "select count(*) from (select * from d.transactions except all select * from transactions)"
    ).fetchone()[0]
    extra = con.execute(
        "select count(*) from (select * from transactions except all select * from d.transactions)"
    ).fetchone()[0]
    con.close()
    assert (missing, extra) == (0, 0)


def _bench_shaped(path: Path, rows: int) -> Path:
    """The bench's transaction export shape (bench/run.py), with text that needs trimming,
    quoted commas and line breaks, money with signs and thousands, offsets and date forms."""
    lines = ["transaction_id,customer_id,ordered_at,amount,cost,quantity,product_category,channel"]
    forms = ["{d} {t}", "{d}T{t}+08:00", "{d} {t}Z", "{d} {t} -0500", "{s}", "{s} {t}"]
    amounts = ["{a}", " {a} ", "£{a}", "{a} GBP", "1,{a:0>6}", "-{a}"]
    texts = ["beauty", " apparel ", "home goods", '"food, fresh"', '"two\nlines"', "电子"]
    for i in range(rows):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 500)
        when = forms[i % len(forms)].format(
            d=day.isoformat(), t=f"{i % 24:02d}:{i % 60:02d}:07", s=day.strftime("%Y/%m/%d")
        )
        amount = amounts[i % len(amounts)].format(a=f"{(i * 37) % 100000 / 100:.2f}")
        quantity = "" if i % 11 == 0 else str(1 + i % 5)
        lines.append(
            f'T{i:07d}, C{i % 97:04d} ,{when},"{amount}",{(i * 13) % 5000 / 100},{quantity},'
            f"{texts[i % len(texts)]},{['app', 'web', ' store', ''][i % 4]}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_bench_shape_with_every_value_form(tmp_path, monkeypatch):
    path = _bench_shaped(tmp_path / "bench_shape.csv", 3000)
    result, used = _both(tmp_path, monkeypatch, "transactions", path)
    assert used
    assert result.rows_loaded == 3000


@pytest.mark.parametrize("kind", ["gbk", "gz", "parquet", "xlsx"])
def test_other_encodings_and_formats(tmp_path, monkeypatch, kind):
    source = _bench_shaped(tmp_path / "source.csv", 400)
    with source.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    if kind == "gbk":
        path = tmp_path / "gbk.csv"
        path.write_bytes(source.read_text(encoding="utf-8").replace("£", "").encode("gbk"))
    elif kind == "gz":
        path = realshops.write_csv(pd.DataFrame(rows, columns=header), tmp_path / "lines.csv.gz")
    elif kind == "parquet":
        path = tmp_path / "lines.parquet"
        columns = {name: [row[i] or None for row in rows] for i, name in enumerate(header)}
        pq.write_table(pa.table(columns), path)
    else:
        path = tmp_path / "lines.xlsx"
        book = openpyxl.Workbook()
        book.active.append(header)
        for row in rows[:200]:
            book.active.append(row)
        book.save(path)
    result, used = _both(tmp_path, monkeypatch, "transactions", path)
    assert used
    assert result.rows_loaded > 100


def test_the_marketplace_orders_load_in_one_pass_and_reviews_staged(tmp_path, monkeypatch):
    orders, reviews = realshops.marketplace()
    order_path = realshops.write_csv(orders, tmp_path / "orders.csv")
    mapping = importer.parse_mapping(realshops.MARKET_ORDERS_MAP)
    result, used = _both(tmp_path, monkeypatch, "transactions", order_path, mapping=mapping)
    assert used
    assert result.rows_loaded == len(orders)
    review_path = realshops.write_csv(reviews, tmp_path / "reviews.csv")
    review_map = importer.parse_mapping(realshops.MARKET_REVIEWS_MAP)
    start = {"transactions": _mapped_copy(order_path, tmp_path)}
    # reviews name customers and take their kind from the score: the staged path's work
    result, used = _both(
        tmp_path, monkeypatch, "feedback", review_path, mapping=review_map, start=start
    )
    assert not used
    assert result.rows_loaded == len(reviews)


def _mapped_copy(path: Path, tmp_path: Path) -> Path:
    """The marketplace orders with the contract's column names (a start file has no map)."""
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] = "transaction_id,customer_id,ordered_at,amount,customer_state"
    out = tmp_path / "orders_named.csv"
    out.write_text("\n".join(text) + "\n", encoding="utf-8")
    return out


def test_the_uk_shops_month_first_dates_go_the_staged_way(tmp_path, monkeypatch):
    lines = realshops.uk_shop_lines(customers=60)
    lines = lines[lines["CustomerID"] != ""].copy()
    lines.insert(0, "LineNo", [f"L{i}" for i in range(len(lines))])
    path = realshops.write_csv(lines, tmp_path / "uk_lines.csv")
    mapping = importer.parse_mapping(realshops.UK_MAP + ",transaction_id=LineNo")
    result, used = _both(tmp_path, monkeypatch, "transactions", path, mapping=mapping)
    assert not used  # 12/1/2010: the column's order is decided from all its values
    assert "month/day/year" in " ".join(result.warnings)


HEADER = "transaction_id,customer_id,ordered_at,amount\n"
GOOD = "".join(f"T{i},C{i % 7},2024-03-0{1 + i % 9} 10:00,{i}.5\n" for i in range(40))


@pytest.mark.parametrize(
    "body, words",
    [
        (GOOD + "T99,C1,2024-03-01,12,5\n", "broken row"),  # a broken last line
        (GOOD + "T99,C1,2024-03-01,twelve\n", "not a number"),  # a bad last value
        (GOOD + "T3,C1,2024-03-01,1\n", "appears on rows"),  # a key given twice
        (GOOD + "T98,C1,2099-01-01,1\n", "in the future"),
        (GOOD + ",C1,2024-03-01,1\n", "required value is empty"),
        ("\n\n", "no data rows"),
    ],
)
def test_a_file_the_one_pass_hands_over_fails_as_staged(tmp_path, monkeypatch, body, words):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    message, used = _both(tmp_path, monkeypatch, "transactions", path)
    assert not used
    assert words in message


def test_blank_lines_and_a_day_first_date_load_as_staged(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + GOOD + "\n\nT77,C2,25/03/2024 10:00,3\n", encoding="utf-8")
    result, used = _both(tmp_path, monkeypatch, "transactions", path)
    assert not used
    assert result.rows_loaded == 41


def test_blank_lines_alone_do_not_keep_the_one_pass_away(tmp_path, monkeypatch):
    path = tmp_path / "orders.csv"
    lines = GOOD.splitlines(keepends=True)
    path.write_text(HEADER + "".join(lines[:20]) + "\n,,,\n" + "".join(lines[20:]), "utf-8")
    result, used = _both(tmp_path, monkeypatch, "transactions", path)
    assert used
    assert result.rows_loaded == 40


def test_the_one_pass_keeps_out_of_a_callers_transaction(tmp_path, monkeypatch):
    """Inside a transaction the caller opened, a failed try could not roll back alone."""
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    con = db.connect(tmp_path / "open.duckdb")
    tried = []
    monkeypatch.setattr(
        importer._Import,
        "_load_clean",
        lambda self: tried.append(1),  # never reached
    )
    with db.transaction(con):
        result = importer.import_file(con, "transactions", path)
    assert not tried and result.rows_loaded == 40
    assert con.execute("select count(*) from transactions").fetchone()[0] == 40
    con.close()


def _keyed(path: Path, keys: list[str]) -> Path:
    rows = "".join(f"{k},C{i % 7},2024-03-05 10:00,{i}.25\n" for i, k in enumerate(keys))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


UP = [f"T{i:04d}" for i in range(300)]


@pytest.mark.parametrize(
    "keys",
    [UP, UP[::-1], UP[1::2] + UP[::2], ["T1"]],
    ids=["rising", "falling", "unordered", "one row"],
)
def test_different_keys_in_any_order_load_in_one_pass(tmp_path, monkeypatch, keys):
    result, used = _both(tmp_path, monkeypatch, "transactions", _keyed(tmp_path / "k.csv", keys))
    assert used
    assert result.rows_loaded == len(keys)


@pytest.mark.parametrize(
    "keys",
    [UP[:100] + UP[99:], UP[::-1][:50] + UP[::-1][49:], UP + ["T0007"], UP[:2] + UP[:1]],
    ids=["next to its twin rising", "next to its twin falling", "far apart", "short"],
)
def test_a_repeated_key_in_any_order_goes_the_staged_way(tmp_path, monkeypatch, keys):
    path = _keyed(tmp_path / "k.csv", keys)
    message, used = _both(tmp_path, monkeypatch, "transactions", path)
    assert not used
    assert "appears on rows" in message
