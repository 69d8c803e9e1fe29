import duckdb
import pytest

from core import db
from core.contract import RAW_TABLES


def test_new_file_gets_the_current_schema(tmp_path):
    con = db.connect(tmp_path / "new.duckdb")
    assert db.schema_version(con) == db.SCHEMA_VERSION
    assert db.row_counts(con) == dict.fromkeys(RAW_TABLES, 0)
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    assert {"rule_sets", "scenarios", "meta", *RAW_TABLES} <= tables


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    path = tmp_path / "x.duckdb"
    con = db.connect(path)
    con.execute("insert into customers (customer_id, signed_up_at) values ('c1', '2024-01-01')")
    con.close()
    con = db.connect(path)
    assert db.row_counts(con)["customers"] == 1
    assert con.execute("select count(*) from schema_migrations").fetchone()[0] == db.SCHEMA_VERSION


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    db.connect(path).close()
    raw = duckdb.connect(str(path))
    raw.execute("insert into schema_migrations (version) values (?)", [db.SCHEMA_VERSION + 1])
    raw.close()
    with pytest.raises(db.DatabaseUnavailable, match="written by a newer StarTier"):
        db.connect(path)


def test_default_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.default_path() == db.DEFAULT_PATH
    monkeypatch.setenv(db.ENV_VAR, str(tmp_path / "elsewhere.duckdb"))
    assert db.default_path() == tmp_path / "elsewhere.duckdb"


def test_read_only_needs_an_existing_file(tmp_path):
    with pytest.raises(db.DatabaseUnavailable, match="no StarTier database"):
        db.connect(tmp_path / "missing.duckdb", read_only=True)


def test_data_version_rises(tmp_path):
    con = db.connect(tmp_path / "v.duckdb")
    assert db.data_version(con) == 0
    assert db.bump_data_version(con) == 1
    assert db.data_version(con) == 1


def test_database_unavailable_carries_one_sentence(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order,amount\n1,2\n")
    with pytest.raises(db.DatabaseUnavailable) as caught:
        db.connect(path)
    reason = caught.value.reason
    assert reason == (
        f"{path} is not a StarTier database (it is a CSV file): point --db or STARTIER_DB "
        "at a StarTier .duckdb file"
    )
    assert "\n" not in reason and caught.value.path == path
    assert isinstance(caught.value, RuntimeError)  # callers catching RuntimeError still do
    assert path.read_text() == "order,amount\n1,2\n"  # DuckDB never opened it


def test_an_empty_file_is_refused_unless_it_is_the_default_database(tmp_path, monkeypatch):
    named = tmp_path / "named.duckdb"
    named.write_bytes(b"")
    with pytest.raises(db.DatabaseUnavailable, match=r"is empty \(0 bytes\)"):
        db.connect(named)
    assert named.stat().st_size == 0
    default = tmp_path / "data" / "startier.duckdb"
    default.parent.mkdir()
    default.write_bytes(b"")
    monkeypatch.setattr(db, "DEFAULT_PATH", default)
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    con = db.connect()  # nothing to lose in an empty default file: created afresh
    assert db.schema_version(con) == db.SCHEMA_VERSION
    con.close()
    with pytest.raises(db.DatabaseUnavailable, match="0 bytes"):  # read-only never creates
        default.write_bytes(b"")
        db.connect(default, read_only=True)


def test_a_file_shorter_than_its_header_says_is_truncated(tmp_path):
    path = tmp_path / "whole.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'c' || i, '2024-01-01' from range(50000) t(i)"
    )
    con.close()
    data = path.read_bytes()
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(data[:-4096])
    with pytest.raises(db.DatabaseUnavailable, match="is truncated"):
        db.connect(cut, read_only=True)
    assert db.connect(path, read_only=True).close() is None  # the whole file opens


def test_a_duckdb_file_of_another_program_is_not_changed(tmp_path):
    path = tmp_path / "other.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("create table invoices (id integer)")
    raw.close()
    with pytest.raises(db.DatabaseUnavailable, match="another program .tables invoices"):
        db.connect(path)
    raw = duckdb.connect(str(path))
    tables = raw.execute("select table_name from information_schema.tables").fetchall()
    raw.close()
    assert tables == [("invoices",)]


def test_writing_through_a_read_only_connection_is_explained(tmp_path):
    path = tmp_path / "x.duckdb"
    db.connect(path).close()
    con = db.connect(path, read_only=True)
    with pytest.raises(duckdb.Error) as caught:
        con.execute("insert into meta values ('k', 'v')")
    con.close()
    assert "opened read-only" in db.damage_reason(path, caught.value)
    assert db.damage_reason(path, duckdb.Error("Binder Error: no column x")) is None


def test_a_lock_held_by_a_named_command_is_said_in_words(tmp_path, monkeypatch):
    path = tmp_path / "x.duckdb"
    text = (
        f'IO Error: Could not set lock on file "{path}": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242)."
    )
    lines = {4242: "python -m core import customers c.csv"}
    monkeypatch.setattr(db, "_command_line", lambda pid: lines.get(pid, ""))
    reason = db.damage_reason(path, duckdb.IOException(text))
    assert reason == (
        f"{path} is being written by `python -m core import` right now: try again when it finishes"
    )
    lines[4242] = "streamlit run app.py"
    assert "open in the StarTier dashboard (PID 4242)" in db.damage_reason(
        path, duckdb.IOException(text)
    )
    lines[4242] = ""
    assert "open in another program (PID 4242)" in db.damage_reason(path, duckdb.IOException(text))
