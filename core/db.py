"""Opening the StarTier database and keeping its schema current.

`connect()` is what every part of StarTier (the CLI, the app, a notebook) uses to get a
DuckDB connection. The schema is versioned: each entry of `MIGRATIONS` moves a database
one version up, so a user's existing file is migrated in place, never rebuilt.

The helpers every module shares live here too, so each is said once: `transaction()` for
writes that land together or not at all; `columns`, `has_table` and `has_column` for what
a table holds; `built_as_of` for the day the derived tables were built as of; `temp_table`
for a result of `core/sql/` held on a connection for the length of a block.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import duckdb

from core import sql
from core.contract import RAW_TABLES, SQL_TYPES, create_sql

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
    have = columns(con, "transactions")
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


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened. `.reason` is one sentence: what is wrong and what to do.

    Raised by `connect()` for a folder, an empty or foreign file, a truncated or damaged
    database, one written by a newer StarTier, one another program holds, or one that must
    be written but cannot be. Pages and the command line show `.reason` as it is. A
    damaged block is only found when it is read: `damage_reason(path, error)` turns such a
    later DuckDB error (or a lock met mid-way) into the same kind of sentence.
    """

    def __init__(self, reason: str, path: Path | None = None):
        super().__init__(reason)
        self.reason = reason
        self.path = path


POINT_ELSEWHERE = f"point --db or {ENV_VAR} at a StarTier .duckdb file"
REBUILD = (
    "restore it from a backup, or start a new file (`python -m core demo` or "
    "`python -m core import`)"
)
_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_HEADER = 4096  # DuckDB's file header and each of its two database headers
_BLOCK_ID = (1 << 56) - 1  # a metadata pointer's block id bits
_NO_BLOCK = (1 << 64) - 1  # DuckDB's invalid block pointer


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database at `path` (default: `default_path()`), migrated to SCHEMA_VERSION.

    A missing file is created with an empty schema unless `read_only`. Anything that keeps
    the file from opening raises DatabaseUnavailable with its reason.
    """
    path = Path(path) if path is not None else default_path()
    _check_file(path, read_only)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise DatabaseUnavailable(_reason(path, error), path) from error
    try:
        _check_startier(con, path)
        if read_only:
            _check_version(con, path)
        else:
            migrate(con, path)
    except duckdb.Error as error:
        con.close()
        raise DatabaseUnavailable(_reason(path, error), path) from error
    except DatabaseUnavailable:
        con.close()
        raise
    return con


def _check_file(path: Path, read_only: bool) -> None:
    """Refuse, before DuckDB touches it, a path that cannot be a StarTier database."""
    if path.is_dir():
        raise DatabaseUnavailable(f"{path} is a folder, not a database: {POINT_ELSEWHERE}", path)
    if not path.exists():
        if read_only:
            raise DatabaseUnavailable(f"no StarTier database at {path}: {POINT_ELSEWHERE}", path)
        folder = _existing_parent(path)
        if not os.access(folder, os.W_OK):
            raise DatabaseUnavailable(
                f"cannot create {path}: {folder} is read-only; {POINT_ELSEWHERE} in a folder "
                "you can write",
                path,
            )
        return
    try:
        with path.open("rb") as file:
            head = file.read(512)
    except OSError as error:
        raise DatabaseUnavailable(
            f"{path} cannot be read ({error.strerror or error}): ask for access to it, "
            f"or {POINT_ELSEWHERE}",
            path,
        ) from None
    if not head:
        if not read_only and path.resolve() == DEFAULT_PATH:
            path.unlink()  # an empty default file holds nothing: created afresh
            return
        raise DatabaseUnavailable(
            f"{path} is empty (0 bytes), not a StarTier database (a copy that did not "
            f"finish?): {POINT_ELSEWHERE}, or delete it to start a new one",
            path,
        )
    if head[8:12] != _MAGIC:
        raise DatabaseUnavailable(
            f"{path} is not a StarTier database (it is {_what_file(head)}): {POINT_ELSEWHERE}",
            path,
        )
    if _is_truncated(path):
        raise DatabaseUnavailable(
            f"{path} is truncated (it ends before its data do): {REBUILD}", path
        )
    if not read_only and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        where = path if not os.access(path, os.W_OK) else f"its folder {path.parent}"
        raise DatabaseUnavailable(
            f"{path} is read-only ({where} cannot be written): it can be exported; to change "
            "it, copy it to a folder you can write and point --db at the copy",
            path,
        )


def _check_startier(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a DuckDB database of another program (tables, but no StarTier schema)."""
    if schema_version(con):
        return
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() order by table_name limit 4"
        ).fetchall()
    ]
    if tables:
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise DatabaseUnavailable(
            f"{path} is a DuckDB database of another program (tables {shown}), not a "
            f"StarTier one: {POINT_ELSEWHERE}, or a new file",
            path,
        )


def _is_truncated(path: Path) -> bool:
    """Whether the file ends where DuckDB could not have ended it (a cut copy or download).

    DuckDB's storage keeps two database headers at 4 KiB and 8 KiB (the newer one, by its
    iteration counter, is current), each with the block of the root metadata, the block of
    the free list, a block count and the block size; whole blocks follow the three 4 KiB
    headers. The block count is not a bound: a checkpoint that frees the last blocks cuts
    them off the file and leaves the count. So a file is cut when it does not end on a
    block boundary, or ends before its metadata or free-list block. Headers that do not
    look like that are not judged here (DuckDB's own read errors still catch a cut file).
    """
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(3 * _HEADER)
    if len(head) < 3 * _HEADER:
        return True
    headers = [struct.unpack_from("<6Q", head, offset) for offset in (_HEADER, 2 * _HEADER)]
    _, _, meta_block, free_list, _, block_size = max(headers, key=lambda h: h[1])
    if not (2**12 <= block_size <= 2**26 and block_size & (block_size - 1) == 0):
        return False
    blocks, partial = divmod(size - 3 * _HEADER, block_size)
    if partial:
        return True
    # a metadata pointer: the block id in the low 56 bits, all ones when there is none
    referenced = [p & _BLOCK_ID for p in (meta_block, free_list) if p != _NO_BLOCK]
    return any(block >= blocks for block in referenced)


def _existing_parent(path: Path) -> Path:
    """The nearest folder above `path` that exists (where a new file's folders would go)."""
    for folder in path.parents:
        if folder.exists():
            return folder
    return Path.cwd()


def _what_file(head: bytes) -> str:
    """What a file that is not a DuckDB database looks like, from its first bytes."""
    if head.startswith(b"SQLite format 3"):
        return "an SQLite database"
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive, e.g. an Excel .xlsx file"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip archive"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head[:-4].decode("gb18030")  # a cut multi-byte character at the end
        except UnicodeDecodeError:
            return "not a DuckDB file"
    first = text.splitlines()[0] if text.strip() else ""
    if any(sep in first for sep in (",", ";", "\t", "|")):
        return "a CSV file"
    return "a text file"


def _reason(path: Path, error: duckdb.Error) -> str:
    """One sentence for an error DuckDB raised opening or first reading `path`."""
    known = damage_reason(path, error)
    if known is not None:
        return known
    text = str(error)
    if "permission denied" in text.lower():
        return f"{path} cannot be opened (permission denied): ask for access, or {POINT_ELSEWHERE}"
    first = text.splitlines()[0] if text else type(error).__name__
    return f"{path} cannot be opened ({first}): {POINT_ELSEWHERE}"


def damage_reason(path: Path, error: duckdb.Error) -> str | None:
    """The sentence for a DuckDB error that is about the file at `path` (damaged, held by
    another program, read-only, too new), also when met after opening; None for others."""
    text = str(error)
    lowered = text.lower()
    if "could not set lock" in lowered or "conflicting lock" in lowered:
        return _held_by(path, text)
    if "could not read enough bytes" in lowered:
        return f"{path} is truncated (it ends before its data do): {REBUILD}"
    if "corrupt database file" in lowered or "checksum" in lowered:
        return f"{path} is damaged (a block of it fails its checksum): {REBUILD}"
    if "trying to read a database file with version number" in lowered:
        return (
            f"{path} was written by a newer DuckDB than this StarTier's ({duckdb.__version__}): "
            "upgrade StarTier"
        )
    if "different configuration" in lowered:
        return (
            f"{path} is already open in this program in another mode (read-only or not): "
            "close that connection first"
        )
    if "read-only mode" in lowered or "read only mode" in lowered:
        return (
            f"{path} is opened read-only, so it cannot be changed: copy it to a folder you can "
            "write and point --db at the copy"
        )
    return None


def _command_line(pid: int) -> str:
    """The command line of process `pid` (Linux's /proc), or "" when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(raw.decode(errors="replace").split("\0")).strip()


def _held_by(path: Path, text: str) -> str:
    """Which program holds the lock on `path`, from the PID DuckDB names, in words."""
    match = re.search(r"PID (\d+)", text)
    command = _command_line(int(match.group(1))) if match else ""
    if re.search(r"-m core (build|demo|import)\b", command):
        step = re.search(r"core (build|demo|import)", command).group(1)
        return (
            f"{path} is being written by `python -m core {step}` right now: try again "
            "when it finishes"
        )
    who = f" (PID {match.group(1)})" if match else ""
    if "streamlit" in command:
        return (
            f"{path} is open in the StarTier dashboard{who}: stop it, or work on a copy with --db"
        )
    return (
        f"{path} is open in another program{who} (the dashboard?): try again when it is "
        "done, or work on a copy with --db"
    )


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version stored in the database (0 for a new, empty file)."""
    if not has_table(con, "schema_migrations"):
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_migrations").fetchone()[0]


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    found = schema_version(con)
    if found > SCHEMA_VERSION:
        raise DatabaseUnavailable(
            f"{path} was written by a newer StarTier (schema {found}; this one reads up to "
            f"{SCHEMA_VERSION}): upgrade StarTier to open it",
            path,
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
        with transaction(con):
            MIGRATIONS[version](con)
            con.execute("insert into schema_migrations (version) values (?)", [version + 1])
    return SCHEMA_VERSION


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The block as one transaction on `con` (yielded): committed when the block ends, rolled
    back when any exception leaves it (KeyboardInterrupt and SystemExit too), which then
    goes on. A commit that fails (DuckDB checks some constraints only then) raises too,
    with nothing written.

    Entered while a transaction is already open on `con` (a step that is whole on its own,
    such as `settings.put`, inside a larger one, such as the demo build), the block joins
    the open transaction: it neither commits nor rolls back, the outer one does, so all of
    it lands or none of it. DuckDB has no savepoints, so the inner block cannot be undone
    alone: let its exception reach the outer block (once a statement has failed, DuckDB
    refuses every further one in that transaction anyway). A cursor (`con.cursor()`) is a
    connection of its own, with its own transactions.
    """
    if _in_transaction(con):
        yield con
        return
    con.execute("begin transaction")
    try:
        yield con
        con.execute("commit")
    except BaseException:
        # A failed commit has already ended the transaction; a rollback that cannot run
        # must not hide the error that brought us here.
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a transaction is open on `con` (begun by `transaction()` or by hand).

    Out of one, DuckDB runs every statement in a transaction of its own, so two statements
    see two transaction ids; inside one, they see the same. (Trying `begin` to find out
    would abort the open transaction.)"""
    query = "select txid_current()"
    return con.execute(query).fetchone()[0] == con.execute(query).fetchone()[0]


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    row = con.execute("select value from meta where key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("insert or replace into meta (key, value) values (?, ?)", [key, value])


BUILT_AS_OF = "features_as_of"  # the meta key `core build` stores its as-of date under
RAW_VERSION = "raw_data_version"  # the data version of the last change to the raw tables


# The dated raw tables and the column that dates each row.
DATED_COLUMNS = {
    "transactions": "ordered_at",
    "feedback": "submitted_at",
    "interactions": "occurred_at",
}


def day_span(con: duckdb.DuckDBPyConnection, table: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the rows of dated raw table `table` (DATED_COLUMNS), None
    when it has none: what the data cover, read one way everywhere."""
    column = DATED_COLUMNS[table]  # names from the constant above, not values
    first, last = con.execute(
        f"select min({column})::date, max({column})::date from {table}"
    ).fetchone()
    return (first, last) if first is not None else None


def built_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date of the last `core build` (the derived tables hold that day), or None
    when the database has never been built."""
    value = get_meta(con, BUILT_AS_OF)
    return dt.date.fromisoformat(value) if value else None


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of `table` in their order, as a query on `con` naming it sees it (a temp
    table of that name before the database's own); [] when there is no such table."""
    rows = con.execute(
        "select table_catalog = 'temp', column_name from information_schema.columns "
        "where table_name = ? and table_schema = 'main' "
        "and table_catalog in ('temp', current_database()) order by ordinal_position",
        [table],
    ).fetchall()
    temp = any(is_temp for is_temp, _ in rows)
    return [name for is_temp, name in rows if is_temp == temp]


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when `table` (or a view of that name) exists for `con`, temp tables included."""
    return bool(columns(con, table))


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """True when `table` exists and has `column` (e.g. customer_features.stars)."""
    return column in columns(con, table)


@contextlib.contextmanager
def temp_table(
    con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None
) -> Iterator[None]:
    """`core/sql/<name>.sql` as a temp table `name` on `con` for the duration of the block,
    dropped when it ends, also by an exception.

    A temp table belongs to its connection (a DuckDB cursor is one), so concurrent callers
    on their own cursors never see each other's.
    """
    con.execute(f"create or replace temp table {name} as " + sql.load(name, con), params or {})
    try:
        yield
    finally:
        con.execute(f"drop table if exists temp.{name}")


def bump_data_version(con: duckdb.DuckDBPyConnection, *, raw: bool = True) -> int:
    """Mark the data as changed (caches keyed on `data_version` then refresh). `raw`: the
    raw tables changed (an import, the demo), so the staging tables are stale until the next
    build; a build, a rule-set save or a setting changes derived data only (`raw=False`)."""
    version = data_version(con) + 1
    set_meta(con, "data_version", str(version))
    if raw:
        set_meta(con, RAW_VERSION, str(version))
    return version


def raw_version(con: duckdb.DuckDBPyConnection) -> int:
    """The data version of the last change to the raw tables (0: none recorded)."""
    return int(get_meta(con, RAW_VERSION, "0"))


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A counter raised by every import, demo build, derived-table build, rule-set save and
    setting change."""
    return int(get_meta(con, "data_version", "0"))


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in each raw table."""
    return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in RAW_TABLES}


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> int:
    """Append a DataFrame to the raw table `table` as it is (no checks: for data StarTier
    makes itself, such as the demo and test fixtures; users' files go through the
    importer). The contract's columns the frame has are cast to their types; the others
    stay empty. Returns the rows added."""
    fields = [f for f in RAW_TABLES[table].fields if f.name in frame.columns]
    columns = ", ".join(f.name for f in fields)
    select = ", ".join(f"cast({f.name} as {SQL_TYPES[f.kind]})" for f in fields)
    view = f"_startier_insert_{table}"
    con.register(view, frame)
    try:
        con.execute(f"insert into {table} ({columns}) select {select} from {view}")
    finally:
        con.unregister(view)
    return len(frame)
