"""Opening the StarTier database and keeping its schema current.

`connect()` is what every part of StarTier (the CLI, the app, a notebook) uses to get a
DuckDB connection. The schema is versioned: each entry of `MIGRATIONS` moves a database
one version up, so a user's existing file is migrated in place, never rebuilt.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from core.contract import RAW_TABLES, create_sql

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "startier.duckdb"
ENV_VAR = "STARTIER_DB"


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    """Raw tables, settings and saved work."""
    for t in RAW_TABLES.values():
        con.execute(create_sql(t))
    con.execute("create table if not exists meta (key varchar primary key, value varchar)")
    con.execute(
        """
        create table if not exists rule_sets (
            name varchar not null,
            version integer not null,
            rules_json varchar not null,
            is_active boolean not null default false,
            saved_by varchar,
            saved_at timestamp not null default current_timestamp,
            primary key (name, version)
        )
        """
    )
    con.execute(
        """
        create table if not exists scenarios (
            name varchar primary key,
            programme_json varchar not null,
            result_json varchar,
            saved_by varchar,
            saved_at timestamp not null default current_timestamp
        )
        """
    )


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    """transactions.order_id (orders of several lines) and product_id."""
    have = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_name = 'transactions'"
        ).fetchall()
    }
    for column in ("order_id", "product_id"):
        if column not in have:  # a file created at v2 has them from create_sql
            con.execute(f"alter table transactions add column {column} varchar")


# Append-only: MIGRATIONS[i] takes a database from version i to i + 1.
MIGRATIONS = (_v1, _v2)
SCHEMA_VERSION = len(MIGRATIONS)


def default_path() -> Path:
    """`$STARTIER_DB` when set, else `data/startier.duckdb` in the project."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_PATH


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database at `path` (default: `default_path()`), migrated to SCHEMA_VERSION.

    A missing file is created with an empty schema unless `read_only`.
    """
    path = Path(path) if path is not None else default_path()
    if read_only:
        if not path.exists():
            raise FileNotFoundError(f"no StarTier database at {path}")
        con = duckdb.connect(str(path), read_only=True)
        _check_version(con, path)
        return con
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    migrate(con, path)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version stored in the database (0 for a new, empty file)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_migrations").fetchone()[0]


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    found = schema_version(con)
    if found > SCHEMA_VERSION:
        raise RuntimeError(
            f"{path} has schema version {found}, newer than this StarTier ({SCHEMA_VERSION}): "
            "upgrade StarTier to open it"
        )
    return found


def migrate(con: duckdb.DuckDBPyConnection, path: Path | str = "database") -> int:
    """Apply the migrations the database has not had yet; returns the new version."""
    found = _check_version(con, Path(path))
    if found == SCHEMA_VERSION:
        return found
    con.execute(
        "create table if not exists schema_migrations "
        "(version integer primary key, applied_at timestamp default current_timestamp)"
    )
    for version in range(found, SCHEMA_VERSION):
        con.execute("begin transaction")
        try:
            MIGRATIONS[version](con)
            con.execute("insert into schema_migrations (version) values (?)", [version + 1])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return SCHEMA_VERSION


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    row = con.execute("select value from meta where key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("insert or replace into meta (key, value) values (?, ?)", [key, value])


def bump_data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Mark the data as changed (caches keyed on `data_version` then refresh)."""
    version = data_version(con) + 1
    set_meta(con, "data_version", str(version))
    return version


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter raised by every import, demo build and derived-table build."""
    return int(get_meta(con, "data_version", "0"))


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in each raw table."""
    return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in RAW_TABLES}
