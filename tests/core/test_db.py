import datetime as dt

import duckdb
import pytest

from core import db, settings
from core.contract import RAW_TABLES
from core.lifecycle import DEFAULT_RULES


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


def test_a_file_duckdb_shortened_itself_is_not_called_truncated(tmp_path):
    """A checkpoint that frees the last blocks cuts them off the file and keeps the header's
    block count (seen after a few rebuilds of the demo): the file is whole."""
    path = tmp_path / "shrunk.duckdb"
    con = db.connect(path)
    con.execute("checkpoint")  # the schema first, so the scratch blocks come last
    con.execute("create table scratch as select range as i, random() as x from range(2000000)")
    con.execute("checkpoint")
    grown = path.stat().st_size
    con.execute("drop table scratch")
    con.execute("checkpoint")
    con.close()
    assert path.stat().st_size < grown  # DuckDB did cut its own file
    db.connect(path).close()


def test_a_file_cut_on_a_block_boundary_before_its_metadata_is_truncated(tmp_path):
    path = tmp_path / "whole.duckdb"
    con = db.connect(path)
    con.execute("create table scratch as select range as i from range(2000000)")
    con.execute("checkpoint")
    con.close()
    data = path.read_bytes()
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(data[: 3 * 4096 + 262144])  # the first block only
    with pytest.raises(db.DatabaseUnavailable, match="is truncated"):
        db.connect(cut, read_only=True)


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


# --- transaction() --------------------------------------------------------------------


def _names(con) -> list[str]:
    """The customers' ids, as a connection of its own sees them (committed rows only)."""
    rows = con.cursor().execute("select customer_id from customers order by 1").fetchall()
    return [row[0] for row in rows]


def _add(con, customer_id: str) -> None:
    con.execute(
        "insert into customers (customer_id, signed_up_at) values (?, '2024-01-01')",
        [customer_id],
    )


@pytest.fixture
def shop(tmp_path):
    """A new database holding one customer, c1."""
    con = db.connect(tmp_path / "shop.duckdb")
    _add(con, "c1")
    yield con
    con.close()


def test_a_transaction_commits_when_the_block_ends(shop):
    with db.transaction(shop) as con:
        assert con is shop
        _add(con, "c2")
        con.execute("update customers set region = 'north' where customer_id = 'c1'")
        assert _names(shop) == ["c1"]  # not yet visible to another connection
    assert _names(shop) == ["c1", "c2"]
    region = shop.cursor().execute("select region from customers where customer_id = 'c1'")
    assert region.fetchone()[0] == "north"


@pytest.mark.parametrize("stop", [ValueError, KeyboardInterrupt, SystemExit])
def test_a_transaction_rolls_back_on_any_exception_and_lets_it_through(shop, stop):
    with pytest.raises(stop), db.transaction(shop):
        _add(shop, "c2")
        shop.execute("update customers set region = 'north' where customer_id = 'c1'")
        raise stop()
    assert _names(shop) == ["c1"]
    assert shop.execute("select region from customers").fetchall() == [(None,)]
    with db.transaction(shop):  # no transaction left open: the next one is a new one
        _add(shop, "c3")
    assert _names(shop) == ["c1", "c3"]


def test_a_failed_statement_rolls_back_and_its_error_goes_through(shop):
    with pytest.raises(duckdb.ConstraintException), db.transaction(shop):
        _add(shop, "c2")
        shop.execute("insert into customers (customer_id) values ('c3')")  # no sign-up date
    assert _names(shop) == ["c1"]


def test_a_commit_that_fails_raises_with_nothing_written(shop):
    """DuckDB checks a key two connections both insert only when the second commits; the
    commit ends that transaction itself, and its error is what the caller sees."""
    other = shop.cursor()
    with pytest.raises(duckdb.TransactionException, match="constraint"), db.transaction(shop):
        _add(shop, "c2")
        shop.execute("insert into meta values ('owner', 'this block')")
        other.execute("insert into meta values ('owner', 'another connection')")  # first
    assert _names(shop) == ["c1"]
    assert db.get_meta(shop, "owner") == "another connection"
    with db.transaction(shop):  # the connection is usable afterwards
        _add(shop, "c2")
    assert _names(shop) == ["c1", "c2"]


def test_a_nested_transaction_joins_the_outer_one(shop):
    with db.transaction(shop):
        _add(shop, "c2")
        with db.transaction(shop):
            _add(shop, "c3")
        assert _names(shop) == ["c1"]  # the inner block did not commit
        _add(shop, "c4")
    assert _names(shop) == ["c1", "c2", "c3", "c4"]


def test_a_nested_failure_undoes_the_whole_outer_transaction(shop):
    with pytest.raises(KeyboardInterrupt), db.transaction(shop):
        _add(shop, "c2")
        with db.transaction(shop):
            _add(shop, "c3")
            raise KeyboardInterrupt
    assert _names(shop) == ["c1"]
    with pytest.raises(ValueError), db.transaction(shop):
        with db.transaction(shop):
            _add(shop, "c3")
        raise ValueError("after the inner block ended")
    assert _names(shop) == ["c1"]


def test_a_transaction_begun_by_hand_is_joined_and_left_to_its_owner(shop):
    shop.execute("begin transaction")
    with db.transaction(shop):
        _add(shop, "c2")
    assert _names(shop) == ["c1"]  # still the owner's to commit or roll back
    shop.execute("rollback")
    assert _names(shop) == ["c1"]


def test_a_setting_stored_inside_a_failed_transaction_is_not_kept(shop):
    with pytest.raises(RuntimeError), db.transaction(shop):
        settings.put(shop, "currency", "GBP")
        raise RuntimeError("the larger change failed")
    assert db.get_meta(shop, "setting.currency") is None
    assert db.data_version(shop) == 0
    settings.put(shop, "currency", "GBP")  # alone, it is a whole step of its own
    assert (db.get_meta(shop.cursor(), "setting.currency"), db.data_version(shop)) == ("GBP", 1)


# --- what a database holds ---------------------------------------------------------------


def _described(con, table: str) -> list[str]:
    """The columns DuckDB returns for `select *` of `table`."""
    return [d[0] for d in con.execute(f"select * from {table} limit 0").description]


def test_tables_and_columns_of_an_unbuilt_database(shop):
    assert db.columns(shop, "customers") == _described(shop, "customers")
    assert "signed_up_at" in db.columns(shop, "customers")
    assert db.has_table(shop, "customers")
    assert db.has_column(shop, "customers", "customer_id")
    assert not db.has_column(shop, "customers", "stars")
    assert not db.has_table(shop, "customer_features")
    assert db.columns(shop, "customer_features") == []
    assert not db.has_column(shop, "customer_features", "stars")
    assert db.built_as_of(shop) is None


def test_tables_columns_and_as_of_date_of_a_built_database(small_db):
    con = db.connect(small_db, read_only=True)
    last = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    assert db.built_as_of(con) == last
    assert db.columns(con, "customer_features") == _described(con, "customer_features")
    assert db.has_table(con, "customer_monthly")
    assert db.has_column(con, "customer_features", "stars")
    assert db.has_column(con, "customer_features", "lifecycle_stage")
    assert not db.has_column(con, "customer_features", "signed_up")
    con.close()


def test_a_temp_table_is_seen_before_the_table_it_hides(shop):
    cur = shop.cursor()
    cur.execute("create temp table customers (customer_id varchar, note varchar)")
    assert db.columns(cur, "customers") == ["customer_id", "note"] == _described(cur, "customers")
    assert db.has_column(shop, "customers", "signed_up_at")  # the cursor's temp is its own
    cur.execute("drop table temp.customers")
    assert db.columns(cur, "customers") == _described(shop, "customers")


# --- temp_table ----------------------------------------------------------------------------


def _stages(con):
    """Every customer's lifecycle stage on 2024-06-30 as the temp table customer_stages."""
    return db.temp_table(
        con, "customer_stages", {"as_of": dt.date(2024, 6, 30), **DEFAULT_RULES.params()}
    )


def test_a_temp_table_lives_for_its_block(shop):
    with _stages(shop):
        assert db.has_table(shop, "customer_stages")
        assert shop.execute("select customer_id, stage from customer_stages").fetchall() == [
            ("c1", "prospect")
        ]
        assert not db.has_table(shop.cursor(), "customer_stages")  # on its connection only
    assert not db.has_table(shop, "customer_stages")


def test_a_temp_table_is_dropped_when_its_block_fails(shop):
    with pytest.raises(duckdb.CatalogException), _stages(shop):
        assert db.has_table(shop, "customer_stages")
        shop.execute("select * from customer_stage")  # a misspelt name
    assert not db.has_table(shop, "customer_stages")
    with pytest.raises(KeyboardInterrupt), _stages(shop):
        raise KeyboardInterrupt
    assert not db.has_table(shop, "customer_stages")
