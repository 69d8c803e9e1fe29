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
