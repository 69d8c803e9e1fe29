"""Loading a user's file into one raw table: every row checked first, then all or nothing.

`import_file(con, "transactions", "sales.csv")` reads a CSV (.csv/.txt/.tsv), Excel (.xlsx)
or Parquet file (also gzipped, or inside a .zip), checks every value against the import
contract (`core.contract`) and loads it in one transaction. By default any problem
rejects the whole file and the database is left exactly as it was; with
`skip_invalid=True` the valid rows are loaded and every rejected row is written to a
report CSV.

How (fast enough for tens of millions of rows): Python reads a CSV's bytes once, in chunks
(`core.textfile`: UTF-8 validity, NUL bytes, a sample for the encoding detector when it is
not UTF-8, a UTF-8 copy when needed) and sniffs delimiter and header from its first lines;
DuckDB reads the file, never row by row in Python. One
SQL pass parses every value (`try_cast`, `try_strptime`, bounds, choices) into a typed
staging table with a per-row "has a problem" flag; duplicate keys, unknown customers and
the checks across rows (referrers, resolution after submission, sign-up before the first
purchase) are set-based checks on it; the load is an upsert of the columns the file gives:
`update ... from` for the keys the table has, `insert` for the others (raw tables have no
primary key, so no `on conflict`).
Only when a row has a problem is the file read a second time to report the raw values.
A first load of a file with no problem (the common big case) skips the staging table:
the same SQL parses and checks each row and inserts it straight into the table, in one
transaction that the first row with a problem (or a broken line, a repeated key) rolls
back; the staged path then reads the file again to say what is wrong (`_load_clean`).
User data reaches SQL only as bound parameters; identifiers come from the contract.

Row numbers are what a spreadsheet shows: header = row 1, first data row = row 2, for
CSV and Excel (the real sheet row). For Parquet a record's row is its 1-based record
number + 1, so the first record is row 2 as well. CSV rows count records, so a quoted
value spanning lines stays one row (DuckDB counts the same way); empty lines count too,
but not an empty line inside a quoted value.

Timestamps are stored in the database's business time zone (setting `timezone`): a value
with a UTC offset or a zone's name (UTC, Europe/London), or a zone-aware Parquet timestamp,
is converted into it in SQL; a value with a zone word that names no one zone (CST) is
refused; others are business time already. Day/month/year dates take their order per column from the
values that tell (a part above 12), or from the user's `date_order`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from core import contract, db, settings, textfile
from core.contract import DATE, INTEGER, NUMBER, TIMESTAMP, Field, Table
from core.export import unwritable

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")

DELIMITERS = (",", "\t", ";", "|")  # detected from the first lines, in this order of preference
# Characters that, in a header read as one column, suggest the file uses another delimiter.
OTHER_SEPARATORS = (":", "^", "~", "#", "/", "\\", "，", "；", "、", "\u3000", " ")

# Dates: ISO forms (2024-03-05, 2024-03-05 14:30:00, 2024-03-05T14:30:00) are read by a
# plain cast; these formats cover YYYY/MM/DD and YYYYMMDD, with or without a time.
DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y%m%d",
    "%Y%m%d %H:%M",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d%H%M",
    "%Y%m%d%H%M%S",
)
DATE_EXAMPLE = "expected e.g. 2024-03-05 or 2024/03/05 14:30"
# Day/month/year dates (5/3/2024, 12/1/2010 8:26, 05.03.2024): which part is the month is
# decided per column from the values (a first part above 12 is a day, a second part above
# 12 is a day), or given by the user; refused when no value tells.
DATE_ORDERS = {"dmy": "day/month/year", "mdy": "month/day/year"}
YEARS = (1900, 2100)  # a date outside these years is a typo (e.g. '24-03-05' read as year 24)
# Numbers: a currency sign or ISO code may stand before or after the number ("£12.50",
# "12.50 GBP", "HK$ 1,234"); a comma only separates thousands, in groups of exactly three
# digits (1,234.50 and 1,234,567; "12,345" is twelve thousand three hundred and forty-five);
# the decimal mark is a point. Anything else with a comma ("1,5", "12,34.5") is refused.
# Every mark of a known currency (code, symbol, alias: `settings.CURRENCIES`), longest first.
CURRENCY_MARKS = tuple(
    sorted({m for code in settings.CURRENCIES for m in settings.currency_marks(code)},
           key=lambda m: (-len(m), m))
)  # fmt: skip
MAX_NUMBER = 1e14  # build sums money as decimal(18, 4): a value must stay below 10^14

# transactions may give quantity and unit_price instead of amount: amount = their product.
UNIT_PRICE = Field("unit_price", NUMBER, help="price per unit; only to compute amount")

# Fields with a rule of their own, named from the contract (a KeyError here if it changes).
CUSTOMER_KEY = contract.CUSTOMERS.key
SIGNED_UP_AT = contract.CUSTOMERS.field("signed_up_at").name
ORDERED_AT = contract.TRANSACTIONS.field("ordered_at").name
AMOUNT = contract.TRANSACTIONS.field("amount").name
QUANTITY = contract.TRANSACTIONS.field("quantity").name
REFERRED_BY = contract.CUSTOMERS.field("referred_by").name
ORDER_ID = contract.TRANSACTIONS.field("order_id").name
SUBMITTED_AT = contract.FEEDBACK.field("submitted_at").name
RESOLVED_AT = contract.FEEDBACK.field("resolved_at").name
KIND = contract.FEEDBACK.field("kind").name
SCORES = (contract.FEEDBACK.field("csat").name, contract.FEEDBACK.field("nps").name)

PROBLEMS_KEPT = 1000  # ImportFailed.problems holds the first ones; `.total` counts all
PROBLEMS_SHOWN = 10  # in the message
VALUE_SHOWN = 200  # characters of a value kept in problems and reports
HEAD_BYTES = 1 << 16  # sniffed for delimiter and header (the encoding looks at all)

STRUCTURAL = {  # DuckDB reject error type -> message ({found}/{expected}: field counts)
    "MISSING COLUMNS": "broken row: {found} fields where the header has {expected}",
    "TOO MANY COLUMNS": (
        "broken row: {found} fields where the header has {expected} "
        "(a value containing the delimiter must be in double quotes)"
    ),
    "UNQUOTED VALUE": "broken row: a quoted value is not closed, or has text after its quote",
    "INVALID ENCODING": "invalid UTF-8 text (save the file as UTF-8 or GBK)",
    "LINE SIZE OVER MAXIMUM": "the line is too long",
}
LAST_ROW_HINT = " (this is the last row: is the file truncated?)"

# Temporary tables (per connection); dropped when the import ends.
TYPED = "_startier_import_typed"
SKIPS = "_startier_import_skips"
BROKEN = "_startier_import_broken"
PROBLEMS = "_startier_import_problems"
BAD = "_startier_import_bad"
DUP_HASHES = "_startier_import_dup_hashes"
REJECTS = "_startier_import_rejects"
REJECT_SCANS = "_startier_import_reject_scans"
EXCEL_VIEW = "_startier_import_excel"
OK_ROWS = "_startier_import_ok"
DUPS = "_startier_import_dups"
TEMP_TABLES = (
    TYPED,
    SKIPS,
    BROKEN,
    PROBLEMS,
    BAD,
    DUP_HASHES,
    REJECTS,
    REJECT_SCANS,
    OK_ROWS,
    DUPS,
)

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_CURRENCY_MARK = "|".join(re.escape(m) for m in CURRENCY_MARKS)
_NUMBER_SHAPE = (  # what the slow path accepts: currency sign or code, 3-digit thousands groups
    rf"\s*[-+]?\s*(?:({_CURRENCY_MARK})\s*[-+]?\s*)?"
    rf"(\d{{1,3}}(,\d{{3}})+(\.\d+)?|\d+(\.\d+)?|\.\d+)(?:\s*({_CURRENCY_MARK}))?\s*"
)
_NUMBER_NOISE = r"[^0-9.+\-]"  # removed once the shape matched: spaces, commas, currency
_DATE_SHAPE = (
    r"\d{4}/\d{1,2}/\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?|\d{8}( \d{1,2}:\d{2}(:\d{2})?|\d{4}|\d{6})?"
)
_DMY_SHAPE = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}( \d{1,2}:\d{2}(:\d{2})?)?"
# A time followed by a UTC offset or a zone's name: 01:30+08:00, 01:30:00Z, T01:30:00-05:00,
# 01:30 +0800, 01:30 UTC, 01:30 Asia/Shanghai, 01:30 America/Argentina/Salta.
_OFFSET = (
    r"\d:\d\d(:\d\d(\.\d+)?)?"
    r"(\s*(Z|[+-]\d\d(:?\d\d)?)|\s+(UTC|GMT|[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2}))\s*$"
)
# A 12-hour time: 01:30 PM, 12:15:00 am (DuckDB's cast reads the hour and drops the AM/PM).
_AM_PM = r"\d:\d\d(:\d\d(\.\d+)?)?\s*[AaPp][Mm]\s*$"
# A time followed by any other word of two or more letters: what _OFFSET does not read (an
# abbreviation such as CST, which names several zones) or a zone name DuckDB does not know is
# refused, never dropped.
_ZONE_WORD = r"\d:\d\d(:\d\d(\.\d+)?)?\s+[A-Za-z][A-Za-z0-9_/+-]+\s*$"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file; `row` and `column` are None for the whole file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.reason}"


class ImportFailed(Exception):
    """The file was not imported; `.problems` says why (first PROBLEMS_KEPT, in row order).

    `.total` counts every problem; `.report` is the CSV they were written to, if any.
    """

    def __init__(
        self,
        file: str,
        problems: list[Problem],
        total: int | None = None,
        report: Path | None = None,
    ):
        self.file = file
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        self.report = report
        super().__init__(self._message())

    def _message(self) -> str:
        count = f"{self.total:,} problem{'s' if self.total != 1 else ''}"
        lines = [f"Cannot import {self.file} ({count}; nothing was imported):"]
        lines += [f"  {p}" for p in self.problems[:PROBLEMS_SHOWN]]
        if self.total > PROBLEMS_SHOWN:
            lines.append(f"  and {self.total - PROBLEMS_SHOWN:,} more")
        if self.report is not None:
            lines.append(f"All problems are listed in {self.report}")
        return "\n".join(lines)


class ImportRefused(ImportFailed):
    """The import did not start: its input cannot be read, or its report could not be
    written or would overwrite a file it must not. The message is one sentence naming it."""

    def _message(self) -> str:
        return self.problems[0].reason


@dataclass
class ImportResult:
    """What one import did."""

    table: str
    file: str
    rows_read: int
    rows_loaded: int  # inserted + updated
    rows_inserted: int
    rows_updated: int
    rows_rejected: int
    ignored_columns: list[str] = field(default_factory=list)
    customers_created: int = 0
    report: Path | None = None
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None  # the text's encoding when not UTF-8, and how it was chosen

    def summary(self) -> list[str]:
        """Human-readable lines saying what was loaded, rejected and ignored."""
        lines = [
            f"{self.file}: {self.rows_read:,} rows read, {self.rows_loaded:,} loaded into "
            f"{self.table} ({self.rows_inserted:,} new, {self.rows_updated:,} updated)"
        ]
        if self.rows_rejected:
            lines.append(f"rows rejected: {self.rows_rejected:,}")
        if self.report is not None:
            lines.append(f"rejected rows report: {self.report}")
        if self.customers_created:
            lines.append(f"customers created from transactions: {self.customers_created:,}")
        if self.ignored_columns:
            lines.append(f"ignored columns: {', '.join(self.ignored_columns)}")
        if self.encoding:
            lines.append(f"text encoding: {self.encoding}")
        lines += [f"note: {w}" for w in self.warnings]
        return lines


# --------------------------------------------------------------------------- mapping


def parse_mapping(text: str) -> dict[str, str]:
    """`"field=SourceColumn,field2=Other"` -> `{"field": "SourceColumn", "field2": "Other"}`.

    Raises ValueError naming the bad entry, an unknown field or a field given twice.
    """
    known = _known_fields()
    mapping: dict[str, str] = {}
    if not (text or "").strip():
        return mapping
    for entry in text.split(","):
        name, sep, source = entry.partition("=")
        name, source = name.strip().lower(), source.strip()
        if not sep or not name or not source:
            raise ValueError(
                f"bad mapping entry {entry.strip()!r} in {text!r}: write field=SourceColumn, "
                "e.g. customer_id=客户编号,ordered_at=下单时间"
            )
        if name not in known:
            raise ValueError(f"unknown field {name!r} in mapping; fields are {', '.join(known)}")
        if name in mapping:
            raise ValueError(f"field {name!r} is mapped twice in {text!r}")
        mapping[name] = source
    return mapping


def _known_fields() -> list[str]:
    """Every field name of every raw table, plus unit_price."""
    names: list[str] = []
    for t in contract.RAW_TABLES.values():
        names += [c for c in t.columns if c not in names]
    return [*names, UNIT_PRICE.name]


# --------------------------------------------------------------------------- import


def import_file(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: str | Path,
    mapping: dict[str, str] | None = None,
    skip_invalid: bool = False,
    report: Path | None = None,
    constants: dict[str, str] | None = None,
    encoding: str | None = None,
    date_order: str | None = None,
    member: str | None = None,
) -> ImportResult:
    """Check `path` against the contract of `table` and load it (upsert by the table's key).

    Strict by default: any problem raises ImportFailed and changes nothing. With
    `skip_invalid` the valid rows are loaded and the rejected ones written to `report`
    (default `<file>.rejected.csv` beside the input); problems with the file as a whole
    (format, header, missing columns) still raise. A report path given in strict mode
    receives the problems of a failed import. `constants` gives a field the same text on
    every row (`{"kind": "survey"}`), checked like a value of the file. ValueError for an
    unknown table, or a mapping or constant naming a field the table does not have.
    ImportRefused (one sentence), before anything is read or written, for an input that
    cannot be read or a report that could not be written or would overwrite the input or
    the database (`check_files`).

    A row whose key exists is updated in the columns the file gives (an empty cell sets
    NULL); the table's other columns keep their values. New keys are inserted.

    Reading: `encoding` names a text file's encoding (else detected over the whole file);
    `date_order` ("dmy" or "mdy") says how to read 5/3/2024 (else decided per column from
    the values); `member` is the file to import from a .zip holding several. A value with a
    UTC offset is converted into the database's time zone (setting `timezone`). ValueError
    for an unknown encoding or date order.
    """
    t = contract.table(table)
    path = Path(path)
    mapping = _check_mapping_fields(t, mapping or {})
    constants = _check_constants(t, constants or {})
    if encoding is not None:
        textfile.declared_codec(encoding)  # ValueError naming known encodings
    if date_order is not None and date_order not in DATE_ORDERS:
        orders = ", ".join(f"{k} ({v})" for k, v in DATE_ORDERS.items())
        raise ValueError(f"unknown date order {date_order!r}: use {orders}")
    check_files(path, report, skip_invalid, database=_database_file(con))
    with _temporary(con) as tmp:
        source = _open(con, path, tmp, encoding, member)
        source.date_order = date_order
        updating = _one(con.execute(f"select exists (select 1 from {_ident(t.name)})"))[0]
        plan = _plan(t, path, source.header, mapping, constants, updating)
        return _Import(con, plan, source, skip_invalid, report).run()


def check_files(
    path: str | Path,
    report: str | Path | None = None,
    skip_invalid: bool = False,
    database: str | Path | None = None,
) -> None:
    """ImportRefused, before anything is read or written, when the input `path` cannot be
    read, or when the rejected-rows report (`report`; with `skip_invalid` and no `report`,
    `<file>.rejected.csv` beside the input) could not be written or is the input or the
    `database` file. A missing input or a folder is left to the import, which says so."""
    path = Path(path)
    if path.is_file():
        try:
            with path.open("rb"):
                pass
        except OSError as error:
            why = (error.strerror or str(error)).lower()
            fix = "ask for access to it, or copy it somewhere you can read"
            _refuse(path, f"cannot read {path} ({why}): {fix}")
    if report is None:
        if skip_invalid and path.is_file():
            default = _default_report(path)
            fix = "give the report another place (--report PATH) in a folder you can write"
            reason = unwritable(default, "the rejected rows", fix)
            if reason is not None:
                _refuse(path, reason)
        return
    report = Path(report)
    for other, what in ((path, "the file being imported"), (database, "the database")):
        if other is not None and _same_file(report, Path(other)):
            _refuse(path, f"the report {report} is {what}: name another file for the report")
    reason = unwritable(report, "the report")
    if reason is not None:
        _refuse(path, reason)


def _default_report(path: Path) -> Path:
    """Where the rejected rows of `path` go when no report is named: beside it."""
    return path.with_name(path.name + ".rejected.csv")


def _same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` are one file, however spelt (`x/../f.csv`, a link)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _database_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's database (None in memory)."""
    rows = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


def parse_constants(entries: list[str] | None) -> dict[str, str]:
    """`["kind=survey", "channel=web"]` -> `{"kind": "survey", "channel": "web"}` (`--set`).

    The value is everything after the first `=` (it may hold commas). ValueError naming a
    bad entry, an unknown field or a field given twice.
    """
    known = _known_fields()
    constants: dict[str, str] = {}
    for entry in entries or []:
        name, sep, value = entry.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise ValueError(f"bad entry {entry!r}: write field=value, e.g. kind=survey")
        if name not in known:
            raise ValueError(f"unknown field {name!r}; fields are {', '.join(known)}")
        if name in constants:
            raise ValueError(f"field {name!r} is set twice")
        constants[name] = value.strip()
    return constants


def _check_constants(t: Table, constants: dict[str, str]) -> dict[str, str]:
    """Lower-cased constants, or ValueError for a field `t` does not have or for its key."""
    out = {k.strip().lower(): str(v).strip() for k, v in constants.items()}
    allowed = _allowed_fields(t)
    for name in out:
        if name not in allowed:
            raise ValueError(
                f"--set names field {name!r}, which {t.name} does not have; "
                f"its fields are {', '.join(allowed)}"
            )
        if name == t.key:
            raise ValueError(f"--set cannot give {name}: it is the key, one per row")
    return out


def _check_mapping_fields(t: Table, mapping: dict[str, str]) -> dict[str, str]:
    """Lower-cased mapping, or ValueError for a field `t` does not have."""
    out = {k.strip().lower(): v for k, v in mapping.items()}
    allowed = _allowed_fields(t)
    for name in out:
        if name not in allowed:
            raise ValueError(
                f"the mapping names field {name!r}, which {t.name} does not have; "
                f"its fields are {', '.join(allowed)}"
            )
    return out


def _allowed_fields(t: Table) -> list[str]:
    """Fields a file for `t` may give: the contract's, plus unit_price for transactions."""
    return t.columns + ([UNIT_PRICE.name] if t is contract.TRANSACTIONS else [])


@contextlib.contextmanager
def _temporary(con: duckdb.DuckDBPyConnection) -> Iterator[Path]:
    """A scratch directory; on exit it and the import's temporary tables are removed.

    Insertion order is preserved meanwhile (DuckDB's default), so that the staging table's
    rowid is the position in the file.
    """
    tmp = Path(tempfile.mkdtemp(prefix="startier-import-"))
    setting = "select current_setting('preserve_insertion_order')"
    (preserve,) = _one(con.execute(setting))
    con.execute("set preserve_insertion_order = true")  # TYPED's rowid is the file order
    try:
        yield tmp
    finally:
        if not preserve:
            con.execute("set preserve_insertion_order = false")
        with contextlib.suppress(duckdb.Error):
            con.unregister(EXCEL_VIEW)
        for name in TEMP_TABLES:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"drop table if exists {name}")
        shutil.rmtree(tmp, ignore_errors=True)


def _one(result: duckdb.DuckDBPyConnection) -> tuple:
    """The one row of a result, fetched to the end (DuckDB 2.0 refuses other work on the
    connection, e.g. `register`, while a result is partly fetched)."""
    return result.fetchall()[0]


def _fail(path: Path, reason: str, row: int | None = None, column: str | None = None) -> None:
    """Raise ImportFailed for one problem with the whole file (or its header)."""
    raise ImportFailed(path.name, [Problem(path.name, row, column, None, reason)])


def _refuse(path: Path, reason: str) -> None:
    """Raise ImportRefused: the import of `path` cannot start, for `reason` (a sentence)."""
    raise ImportRefused(path.name, [Problem(path.name, None, None, None, reason)])


def _first_line(error: Exception) -> str:
    """The first line of an error message (DuckDB's go on with long hints)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --------------------------------------------------------------------------- sources


@dataclass
class _Source:
    """A file as a relation of text columns `c0..cN`.

    `relation` is SQL for a FROM clause whose only parameter is `$path`; `numbered` is the
    same plus `_base`, the row number as read (slower: used to report bad rows). Row k
    (0-based) as read is row `first_row + k`. For CSV, DuckDB leaves out empty and broken
    lines, so the real row is that plus the lines skipped before it (`_number_rows`).
    """

    path: Path  # the file as given (messages, the default report beside it)
    header: list[str]
    kind: str  # csv, excel, parquet
    relation: str
    numbered: str
    first_row: int
    read_path: Path  # the file DuckDB reads (unpacked, or a UTF-8 copy of other text)
    scratch: Path  # where such copies go
    encoding: str = "utf_8"  # the codec the text was read with
    timezone: str = "Asia/Shanghai"  # the business time zone offsets are converted into
    notes: list[str] = field(default_factory=list)  # said in the summary (date order, ...)
    encoding_note: str | None = None  # 'GBK (GB18030), detected' when not UTF-8
    date_order: str | None = None  # the user's dmy / mdy for d/m/y dates, else decided


def _open(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    tmp: Path,
    encoding: str | None = None,
    member: str | None = None,
) -> _Source:
    """Recognise `path` by extension (inside a .gz or .zip: the inner name's) and make it
    readable as a relation. `encoding` is the user's word for a text file's encoding."""
    if not path.exists():
        _fail(path, f"file not found: {path}")
    if path.is_dir():
        _fail(path, f"{path} is a folder, not a file")
    try:
        data = textfile.unpack(path, tmp, member)
    except textfile.Unreadable as e:
        _fail(path, e.reason, row=e.row)
    suffix = data.suffix.lower()
    if suffix in CSV_SUFFIXES:
        source = _open_csv(data, tmp, encoding)
    elif suffix in EXCEL_SUFFIXES:
        source = _open_excel(con, data, tmp)
    elif suffix in PARQUET_SUFFIXES:
        source = _open_parquet(con, data, tmp)
    elif suffix == ".xls":
        _fail(path, "old Excel .xls files are not supported: save it as .xlsx or CSV")
    else:
        known = ", ".join(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES)
        _fail(
            path,
            f"unsupported file type {suffix or '(no extension)'!r}: use one of {known}, "
            "or one of them compressed as .gz or .zip",
        )
    source.path = path
    source.timezone = settings.get(con, "timezone") or source.timezone
    if data != path:
        source.notes.insert(0, f"read {data.name} from {path.name}")
    return source


def _open_csv(path: Path, tmp: Path, encoding: str | None = None) -> _Source:
    """Find the encoding (or take the user's), check every byte, copy to UTF-8 if needed;
    then sniff delimiter and header."""
    head = _read_head(path, declared=encoding is not None)
    codec, ends = _text_encoding(path, head, encoding)
    read_path = path
    if codec != "utf_8" or ends:  # DuckDB reads UTF-8 with LF or CRLF line ends
        read_path = _transcode(path, codec, tmp, ends)
    with read_path.open("rb") as f:
        text_head = f.read(HEAD_BYTES)
    text = _decode_head(text_head, final=len(text_head) < HEAD_BYTES)
    delimiter, header = _sniff(path, text)
    plain, numbered = _csv_relations(delimiter, len(header))
    source = _Source(path, header, "csv", plain, numbered, 2, read_path, tmp, codec)
    if codec != "utf_8":
        how = "as given" if encoding else "detected"
        source.encoding_note = f"{textfile.encoding_name(codec)}, {how}"
    if ends:
        what = "CR only (old Mac)" if ends == "cr" else "both CRLF and LF"
        source.notes.append(f"line ends: {what}, read as rows")
    return source


def _csv_relations(delimiter: str, width: int) -> tuple[str, str]:
    """read_csv of `$path`: all text, RFC 4180 quotes, broken lines kept in REJECTS.

    Returns the plain relation and the one numbered with `_base`.
    """
    if delimiter not in DELIMITERS:
        raise ValueError(f"unexpected delimiter {delimiter!r}")
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    delim = "'\t'" if delimiter == "\t" else f"'{delimiter}'"
    read = f"""read_csv(
            $path, columns = {columns}, auto_detect = false, header = true,
            delim = {delim}, quote = '"', escape = '"', encoding = 'utf-8',
            store_rejects = true, rejects_table = '{REJECTS}',
            rejects_scan = '{REJECT_SCANS}', rejects_limit = 0
        )"""
    numbered = (
        f"(select * exclude (ordinality), ordinality + 1 as _base from {read} with ordinality)"
    )
    return f"(select * from {read})", numbered


def _read_head(path: Path, declared: bool = False) -> bytes:
    """The first HEAD_BYTES of the file, or ImportFailed when it is empty or binary.

    A NUL byte or two in text is not "binary": the whole-file check names their row.
    """
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not head:
        _fail(path, "the file is empty (0 bytes)")
    if declared or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head
    if not head.removeprefix(codecs.BOM_UTF8).strip():
        _fail(path, "the file is empty (only blank lines)")
    control = sum(head.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32), 127))
    if control > len(head) // 100 + 2:
        hint = ""
        if head.startswith(b"PK\x03\x04"):
            hint = "; it looks like an Excel/zip file: give it the .xlsx (or .zip) extension"
        elif head.startswith(b"PAR1"):
            hint = "; it looks like a Parquet file: give it the .parquet extension"
        elif head.startswith(b"\x1f\x8b"):
            hint = "; it looks like a gzip file: give it the .gz extension"
        elif head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4:
            hint = "; is it UTF-16 text without a byte-order mark? say so with --encoding utf-16"
        _fail(path, f"not a text CSV file (binary content){hint}")
    return head


def _text_encoding(path: Path, head: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """(codec, odd line ends as `textfile.line_ends` says): the user's codec, UTF-16 by
    its BOM, else detected over the whole file (`core.textfile`); ImportFailed naming the
    row no encoding reads, or a row holding a NUL byte."""
    ends = textfile.line_ends(head)
    if declared is not None:
        codec = textfile.declared_codec(declared)
        if codec != "utf_8":
            return codec, ends
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf_16", False
    found = textfile.scan(path)
    newline = b"\r" if ends == "cr" else b"\n"
    try:
        if declared is not None and found.utf8_error is not None:
            raise textfile.Unreadable(
                "the text on this row is not UTF-8 (the encoding you gave)",
                textfile.record_row(path, found.utf8_error, newline),
            )
        codec = "utf_8" if declared is not None else textfile.choose_encoding(path, found)
        if codec == "utf_8" and found.nul is not None:
            row = textfile.record_row(path, found.nul, newline)
            raise textfile.Unreadable(textfile.nul_reason(), row)
    except textfile.Unreadable as e:
        _fail(path, e.reason, row=e.row)
    return codec, ends


def _decode_head(head: bytes, final: bool) -> str:
    """UTF-8 `head` decoded without a BOM; a character cut at the end of a partial head is
    dropped."""
    return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=final).lstrip("\ufeff")


def _transcode(path: Path, codec: str, tmp: Path, ends: str | None = None) -> Path:
    """`path` as a UTF-8 file with LF line ends in `tmp` (DuckDB reads only UTF-8 here);
    ImportFailed naming the first row `codec` cannot read or holding a NUL."""
    out = tmp / f"{path.stem}.{codec}.utf8.csv"
    try:
        return textfile.to_utf8(path, codec, out, ends)
    except textfile.Unreadable as e:
        _fail(path, e.reason, row=e.row)
    raise AssertionError  # unreachable


def _sniff(path: Path, text: str) -> tuple[str, list[str]]:
    """The delimiter and the header names, from the first lines of the file."""
    if text.startswith(("\n", "\r")):
        _fail(path, "the first line is empty: the header must be on row 1", row=1)
    records = {d: _first_records(text, d) for d in DELIMITERS}
    preferred = ("\t",) if path.suffix.lower() == ".tsv" else ()
    order = [*preferred, *(d for d in DELIMITERS if d not in preferred)]

    def score(d: str) -> tuple[bool, float, int, int]:
        rows = records[d]
        width = len(rows[0]) if rows else 0
        body = rows[1:] or rows
        consistent = sum(len(r) == width for r in body) / len(body) if body else 0.0
        return (width > 1, consistent, width, -order.index(d))

    best = max(order, key=score)
    header = records[best][0] if records[best] else []
    if len(header) <= 1:
        _check_single_column(path, text.splitlines()[0] if text else "")
        best = ","
    return best, [h.strip() for h in header] or [""]


def _first_records(text: str, delimiter: str) -> list[list[str]]:
    """Up to 20 records of `text` split with `delimiter` (a partial last line dropped)."""
    lines = text.splitlines(keepends=True)
    sample = "".join(lines[:21] if len(lines) > 21 else lines)
    try:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"'))
    except csv.Error:
        return []
    rows = [r for r in rows if r]
    return rows[:20]


def _check_single_column(path: Path, line: str) -> None:
    """A one-column header holding a separator-like character: the delimiter is wrong."""
    found = [s for s in OTHER_SEPARATORS if s in line.strip()]
    if found:
        shown = "spaces" if found[0] == " " else repr(found[0])
        _fail(
            path,
            f"the header reads as a single column ({line.strip()[:80]!r}); the file seems "
            f"to be separated by {shown}: is the delimiter wrong? StarTier reads files "
            "separated by comma, semicolon, tab or |",
            row=1,
        )


def _open_excel(con: duckdb.DuckDBPyConnection, path: Path, tmp: Path) -> _Source:
    """The first sheet as text cells, registered as an Arrow view (sheet row numbers).

    Cells are read as Excel shows them (cached values of formulas; a formula never
    calculated, e.g. in a file written by a script, reads as empty).
    """
    import openpyxl  # here: only Excel imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        hint = " (it looks like a text file: is it a CSV?)" if _looks_like_text(path) else ""
        _fail(path, f"not a readable .xlsx workbook{hint}: {_first_line(e)}")
    try:
        header, rows = _sheet_rows(path, book.worksheets[0])
    finally:
        book.close()
    columns = {
        f"c{i}": pa.array([cells[i] for _, cells in rows], pa.string()) for i in range(len(header))
    }
    columns["_base"] = pa.array([number for number, _ in rows], pa.int64())
    con.register(EXCEL_VIEW, pa.table(columns))
    relation = f"(select * from {EXCEL_VIEW})"
    first = rows[0][0] if rows else 2
    return _Source(path, header, "excel", relation, relation, first, path, tmp)


def _looks_like_text(path: Path) -> bool:
    """Whether the file starts with text rather than a zip signature."""
    with path.open("rb") as f:
        start = f.read(512)
    return bool(start) and b"\x00" not in start and not start.startswith(b"PK")


def _sheet_rows(path: Path, sheet) -> tuple[list[str], list[tuple[int, list]]]:
    """Header names (first non-empty row) and (sheet row number, cells as text) below it."""
    header: list[str] | None = None
    rows: list[tuple[int, list]] = []
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        if header is None:
            names = [(_cell_text(v) or "").strip() for v in values]
            while names and not names[-1]:
                names.pop()
            header = names or None
            continue
        cells = [_cell_text(v) for v in values[: len(header)]]
        rows.append((number, cells + [None] * (len(header) - len(cells))))
    if header is None:
        _fail(path, f"the sheet {sheet.title!r} is empty")
    return header, rows


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text the checks read (dates in ISO form, 12.0 as '12')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path, tmp: Path) -> _Source:
    """A Parquet file with every column cast to text (row = 1-based record number + 1)."""
    try:
        described = con.execute("describe select * from read_parquet($path)", {"path": str(path)})
        columns = [(row[0], row[1]) for row in described.fetchall()]
    except duckdb.Error as e:
        _fail(path, f"not a readable Parquet file: {_first_line(e)}")
    header = [name for name, _ in columns]
    casts = ", ".join(_parquet_text(i, kind) for i, (_, kind) in enumerate(columns))
    plain = f"(select {casts} from read_parquet($path))"
    numbered = f"(select {casts}, ordinality + 1 as _base from read_parquet($path) with ordinality)"
    return _Source(path, header, "parquet", plain, numbered, 2, path, tmp)


def _parquet_text(i: int, kind: str) -> str:
    """Column i as text. A zone-aware timestamp becomes UTC with a 'Z' (converted into the
    business time zone like a CSV offset), never text in the machine's time zone."""
    if kind.upper() in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"strftime(timezone('UTC', #{i + 1}), '%Y-%m-%d %H:%M:%S.%f') || 'Z' as c{i}"
    return f"#{i + 1}::varchar as c{i}"


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _Plan:
    """Which source column feeds which field, and what the file lacks."""

    table: Table
    file: str
    stem: str
    source: dict[str, int]  # field -> source column index (may include unit_price)
    label: dict[str, str]  # field -> the column name to report
    ignored: list[str]
    computed_amount: bool  # amount = quantity * unit_price
    generated_key: bool  # transaction_id = '<file stem>:<row>'
    constants: dict[str, str] = field(default_factory=dict)  # field -> text for every row
    absent: tuple[str, ...] = ()  # required fields an update-only file leaves out

    @property
    def infers_kind(self) -> bool:
        """Feedback without a kind: a row with a csat or nps score is a survey answer."""
        given = self.source.keys() | self.constants.keys()
        return (
            self.table is contract.FEEDBACK
            and KIND not in self.constants
            and (KIND in given or bool(given & set(SCORES)))
        )

    def field(self, name: str) -> Field:
        return UNIT_PRICE if name == UNIT_PRICE.name else self.table.field(name)

    @property
    def read(self) -> list[str]:
        """Fields read from the file or set as constants, in contract order (unit_price last)."""
        given = self.source.keys() | self.constants.keys()
        return [c for c in _allowed_fields(self.table) if c in given]

    @property
    def checked(self) -> list[str]:
        """Fields with a problem column: the ones read, plus a computed amount or kind."""
        extra = [AMOUNT] if self.computed_amount else []
        if self.infers_kind and KIND not in self.source:
            extra.append(KIND)
        return self.read + extra

    @property
    def typed(self) -> list[str]:
        """Fields kept in the typed staging table (all the table's fields the file gives)."""
        return [c for c in self.table.columns if c in self.checked]

    @property
    def loaded(self) -> list[str]:
        """Fields written to the table, in contract order."""
        extra = {self.table.key} if self.generated_key else set()
        return [c for c in self.table.columns if c in self.checked or c in extra]

    def position(self, name: str) -> int:
        """Order of a field's column in reports (problems of a whole row come first)."""
        return self.source.get(name, len(self.source)) + 1


def _plan(
    t: Table,
    path: Path,
    header: list[str],
    mapping: dict[str, str],
    constants: dict[str, str] | None = None,
    updating: bool = False,
) -> _Plan:
    """Match the header to the contract; ImportFailed for missing or unknown columns.

    When `updating` (the table has rows), a file may leave out required fields other than
    the key: it updates the rows it names, and a row it would add is refused.
    """
    constants = constants or {}
    source, problems = _match_columns(t, path.name, header, mapping)
    for name in constants.keys() & source.keys():
        reason = (
            f"{name} is both a column of the file ({header[source[name]]!r}) and set for "
            f"every row (--set {name}=...): leave one of them out"
        )
        problems.append(Problem(path.name, 1, name, None, reason))
    given = source.keys() | constants.keys()
    computed = AMOUNT not in given and {QUANTITY, UNIT_PRICE.name} <= given
    if UNIT_PRICE.name in source and not computed:
        del source[UNIT_PRICE.name]  # unit_price is only read to compute amount
    generated = t is contract.TRANSACTIONS and t.key not in given
    given = set(given) | ({AMOUNT} if computed else set()) | ({t.key} if generated else set())
    if t is contract.FEEDBACK and given & set(SCORES):
        given.add(KIND)  # rows with a score are survey answers; the others are checked
    absent = tuple(n for n in t.required if n not in given and n != t.key) if updating else ()
    problems += _missing_columns(t, path.name, header, given | set(absent))
    if problems:
        raise ImportFailed(path.name, problems)
    used = set(source.values())
    ignored = [h or f"(unnamed column {i + 1})" for i, h in enumerate(header) if i not in used]
    label = {name: header[i] or name for name, i in source.items()}
    for name in (AMOUNT, KIND, t.key, *constants):
        label.setdefault(name, name)
    return _Plan(
        t,
        path.name,
        textfile.data_stem(path),
        source,
        label,
        ignored,
        computed,
        generated,
        dict(constants),
        absent,
    )


def _found(header: list[str]) -> str:
    """The header's column names, for messages."""
    return ", ".join(repr(h) for h in header if h) or "none"


def _match_columns(
    t: Table, file: str, header: list[str], mapping: dict[str, str]
) -> tuple[dict[str, int], list[Problem]]:
    """field -> column index: mapped columns, then columns named as a field (any case)."""
    problems: list[Problem] = []
    source: dict[str, int] = {}
    for name, wanted in mapping.items():
        index = _find_column(header, wanted)
        if index is None:
            reason = (
                f"the mapping names column {wanted!r} for {name}, but the file has no such "
                f"column; columns found: {_found(header)}"
            )
            problems.append(Problem(file, 1, wanted, None, reason))
        else:
            source[name] = index
    mapped = set(source.values())
    for name in _allowed_fields(t):
        matches = [i for i, h in enumerate(header) if h.strip().lower() == name and i not in mapped]
        if name in mapping or not matches:
            continue
        if len(matches) > 1:
            both = " and ".join(repr(header[i]) for i in matches)
            problems.append(Problem(file, 1, name, None, f"columns {both} both give {name}"))
        else:
            source[name] = matches[0]
    return source, problems


def _missing_columns(t: Table, file: str, header: list[str], given: set[str]) -> list[Problem]:
    """A problem for each required field the file does not give."""
    problems = []
    for name in t.required:
        if name in given:
            continue
        also = ""
        if name == AMOUNT and t is contract.TRANSACTIONS:
            also = f" (or {QUANTITY} and {UNIT_PRICE.name} to compute it)"
        if name == KIND and t is contract.FEEDBACK:
            also = f" (or {' / '.join(SCORES)}: rows with a score are surveys; or --set {KIND}=...)"
        reason = f"missing required column {name!r}{also}; columns found: {_found(header)}"
        problems.append(Problem(file, 1, name, None, reason))
    return problems


def _find_column(header: list[str], wanted: str) -> int | None:
    """Index of `wanted` in the header: exact match first, then trimmed and case-blind."""
    if wanted in header:
        return header.index(wanted)
    folded = [h.strip().lower() for h in header]
    key = wanted.strip().lower()
    return folded.index(key) if key in folded else None


# --------------------------------------------------------------------------- SQL


def _ident(name: str) -> str:
    """A contract name as a quoted SQL identifier (checked: lower-case word characters)."""
    if not _IDENT.fullmatch(name):
        raise ValueError(f"not a safe identifier: {name!r}")
    return f'"{name}"'


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]):
    """Execute `sql` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used})


def _number(value: float | None) -> str:
    """A bound for messages: 1.0 -> '1'."""
    return "" if value is None else f"{value:g}"


def _params(plan: _Plan, source: _Source) -> dict[str, object]:
    """Bound parameters: the file, messages, bounds and choices of every checked field."""
    params: dict[str, object] = {
        "path": str(source.read_path),
        "stem": plan.stem,
        "date_formats": list(DATE_FORMATS),
        "tz": source.timezone,
        "year_lo": YEARS[0],
        "year_hi": YEARS[1],
        "t_duplicate": f"{plan.table.key} '{{value}}' appears on rows {{rows}}",
        "t_unknown": "unknown customer '{value}'; import customers or transactions first",
        "t_computed": "amount is quantity x unit_price, but one of them is empty",
        "t_kind_unscored": (
            f"{KIND} is empty and the row has no {' or '.join(SCORES)} score, so it is not a "
            f"survey answer: write survey, complaint or suggestion (or --set {KIND}=...)"
        ),
        "t_self_referral": "a customer cannot refer themselves ('{value}')",
        "t_referrer": (
            "referred_by '{value}' is not a customer: neither the database nor this file has "
            "it (import the referrer first, or leave the cell empty)"
        ),
        "t_after_first": (
            "signed up at {value}, after this customer's first purchase already loaded "
            "({first}): write that date or an earlier one"
        ),
        "t_resolved": "resolved at {value}, before it was submitted ({submitted})",
        "t_new_row": (
            f"{plan.table.key} '{{value}}' is not in {plan.table.name} yet: a new row needs "
            f"{', '.join(plan.absent)}, which the file does not have (it can only update)"
        ),
    }
    for name, value in plan.constants.items():
        params[f"k_{name}"] = value
    for name in plan.checked:
        params.update(_field_params(plan.field(name), plan.label[name]))
        if plan.field(name).kind in (TIMESTAMP, DATE):
            params[f"dmy_{name}"] = _day_month_formats(source.date_order or "dmy")
            params[f"fixed_{name}"] = source.date_order is not None
    params["f_dmy"], params["f_mdy"] = _day_month_formats("dmy"), _day_month_formats("mdy")
    return params


def _database_params(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Parameters from the database's settings: its currency and today in its time zone."""
    marks = CURRENCY_MARKS
    code = settings.get(con, "currency")
    currency = "no currency set"
    if code:
        marks = settings.currency_marks(code)
        symbol = settings.CURRENCY_SYMBOLS.get(code)
        currency = f"{code} ({symbol})" if symbol else code
    zone = settings.get(con, "timezone")
    today = dt.datetime.now(zoneinfo.ZoneInfo(zone)).date()
    return {
        # one string "|GBP|£|", not a list: a list parameter is costly row by row in DuckDB
        # (a check of it doubled the time of a 5M-row import)
        "currency_marks": "|" + "|".join(marks) + "|",
        "max_number": MAX_NUMBER,
        "tomorrow": dt.datetime.combine(today + dt.timedelta(days=1), dt.time()),
        "t_future": f"'{{value}}' is in the future: after today ({today} in {zone})",
        "t_currency": (
            f"'{{value}}' is in another currency than the database's, {currency}; amounts are "
            "not converted (python -m core config currency sets it)"
        ),
    }


def _field_params(f: Field, label: str) -> dict[str, object]:
    """Parameters of one field: its column label, bounds, choices and message templates."""
    p = f.name
    params: dict[str, object] = {
        f"label_{p}": label,
        f"lo_{p}": f.low,
        f"hi_{p}": f.high,
        f"ch_{p}": [c.lower() for c in f.choices],
        f"t_{p}_required": "required value is empty",
        f"t_{p}_number": "not a number: '{value}' (e.g. 1234.50, 1,234.50, £12.50 or 12.50 GBP)",
        f"t_{p}_comma": (
            "not a number: '{value}' (a comma only separates thousands, in groups of 3 digits "
            "as in 1,234.50; the decimal mark is a point: write 1.5, not 1,5)"
        ),
        f"t_{p}_huge": (
            f"'{{value}}' is too large: a whole number is at most {2**63 - 1:,}"
            if f.kind == INTEGER
            else f"'{{value}}' is too large: a number must be smaller than {MAX_NUMBER:,.0f}"
        ),
        f"t_{p}_integer": "not a whole number: '{value}'",
        f"t_{p}_date": f"unparseable date '{{value}}' ({DATE_EXAMPLE})",
        f"t_{p}_zone": (
            "unknown time zone in '{value}': write a UTC offset (+08:00, Z), UTC or a zone "
            "name such as Asia/Shanghai (abbreviations such as CST name several zones)"
        ),
        f"t_{p}_year": f"date '{{value}}' is out of range (years {YEARS[0]}-{YEARS[1]})",
        f"t_{p}_choice": f"'{{value}}' is not one of {', '.join(f.choices)}",
        f"t_{p}_low": f"'{{value}}' is below the minimum {_number(f.low)}",
        f"t_{p}_high": f"'{{value}}' is above the maximum {_number(f.high)}",
    }
    if f.low is not None and f.high is not None:
        bounds = f"'{{value}}' is outside the allowed range {_number(f.low)}-{_number(f.high)}"
        params[f"t_{p}_low"] = params[f"t_{p}_high"] = bounds
    return params


def _typed_sql(plan: _Plan, width: int, rows_from: str, row_sql: str) -> str:
    """A WITH clause defining `typed`: _row, r_<f> raw text, v_<f> value, w_<f> problem.

    w_<f> is NULL when the value is fine, else a message template ('{value}' stands for
    the raw text). `_filled` is false for rows whose cells are all empty (blank spreadsheet
    rows, skipped). Layers: base (raw) -> parsed (plain casts) -> vals (values) -> typed.
    """
    names = plan.read
    raws = [
        _constant_sql(n) if n in plan.constants else _raw_sql(plan.field(n), plan.source[n])
        for n in names
    ]
    filled = " or ".join(f"s.c{i} is not null" for i in range(width))
    casts, parsed, finals = [], [], ["_filled", *(_ident("r_" + n) for n in names)]
    scored = " or ".join(f"{_ident('n_' + n)} is not null" for n in SCORES if n in names)
    for name in names:
        cast, value, final, why = _checked_field_sql(plan.field(name))
        if name == KIND and plan.infers_kind:
            final, why = _kind_sql(final, why, scored or "false")
        casts += cast
        parsed.append(f"{value} as {_ident('n_' + name)}")
        finals += [f"{final} as {_ident('v_' + name)}", f"{why} as {_ident('w_' + name)}"]
        if plan.field(name).kind in (TIMESTAMP, DATE):
            finals.append(_ident("o_" + name))  # d/m/y evidence, for _decide_date_orders
    if plan.infers_kind and KIND not in names:
        feedback, key = _ident(plan.table.name), _ident(plan.table.key)
        raw_key = _ident("r_" + plan.table.key)
        new = f"not exists (select 1 from {feedback} f where f.{key} = {raw_key})"  # sql: idents
        final, why = _kind_sql("null", "null", f"{scored or 'false'} or not {new}")
        finals += [f"{final} as {_ident('v_' + KIND)}", f"{why} as {_ident('w_' + KIND)}"]
    if plan.computed_amount:
        q, u = QUANTITY, UNIT_PRICE.name
        finals += [
            f"{_ident('n_' + q)} * {_ident('n_' + u)} as {_ident('v_' + AMOUNT)}",
            f"case when {_ident('r_' + q)} is null or {_ident('r_' + u)} is null "
            f"then $t_computed end as {_ident('w_' + AMOUNT)}",
        ]
    return f"""
        with base as (
            select {row_sql} as _row, ({filled}) as _filled, {", ".join(raws)} from {rows_from}
        ),
        parsed as (select *{"".join(", " + c for c in casts)} from base),
        vals as (select *{"".join(", " + v for v in parsed)} from parsed),
        typed as (select _row, {", ".join(finals)} from vals)
    """


def _constant_sql(name: str) -> str:
    """The raw text of a field set for every row (`--set`): the bound `$k_<field>`."""
    return f"nullif(trim($k_{name}), '') as {_ident('r_' + name)}"


def _checked_field_sql(f: Field) -> tuple[list[str], str, str, str]:
    """`_field_sql` plus the checks of meaning: no timestamp or date after today."""
    cast, value, final, why = _field_sql(f)
    if f.kind in (TIMESTAMP, DATE):
        why = f"coalesce({why}, case when {final} >= $tomorrow then $t_future end)"
    return cast, value, final, why


def _kind_sql(final: str, why: str, scored: str) -> tuple[str, str]:
    """Feedback kind (value, problem) where an empty kind on a row with a score is a survey.

    Without a kind column (`why` is "null") the kind is only stored for new rows; `scored`
    then also holds for rows that exist (their kind is kept).
    """
    r = _ident("r_" + KIND)
    if why == "null":  # no kind column
        return (
            f"case when {scored} then 'survey' end",
            f"case when not ({scored}) then $t_kind_unscored end",
        )
    return (
        f"coalesce({final}, case when {scored} then 'survey' end)",
        f"case when {r} is null then case when not ({scored}) then $t_kind_unscored end "
        f"else {why} end",
    )


def _day_month_evidence(f: Field) -> str:
    """SQL: for a d/m/y-shaped value, 1 if it must be day-first (first part > 12), 2 if
    month-first (second part > 12), 0 if either reads; NULL for other values."""
    r, t = _ident("r_" + f.name), _ident("t_" + f.name)
    first = f"try_cast(regexp_extract(trim({r}), '^(\\d+)', 1) as integer)"
    second = f"try_cast(regexp_extract(trim({r}), '^\\d+[/.-](\\d+)', 1) as integer)"
    return (
        f"case when {t} is null and regexp_full_match(trim({r}), '{_DMY_SHAPE}') then "
        f"case when {first} > 12 then 1 when {second} > 12 then 2 else 0 end end"
    )


def _day_month_formats(order: str) -> list[str]:
    """strptime formats of d/m/y dates (with '/', '.' or '-', with or without a time)."""
    day_month = "%d{s}%m{s}%Y" if order == "dmy" else "%m{s}%d{s}%Y"
    return [day_month.format(s=sep) + time for sep in "/.-" for time in ("", " %H:%M", " %H:%M:%S")]


def _raw_sql(f: Field, index: int) -> str:
    """The raw text of a field, empty as NULL; text is trimmed of spaces.

    Numbers and dates are not trimmed here: their casts accept surrounding spaces, and
    the slow path trims (trimming every value of a large file costs more than parsing).
    Only text holding a space goes through `trim` (one search for a space costs about half
    of testing both ends, and most keys and codes hold none).
    """
    c = f"s.c{index}"
    if f.kind in (NUMBER, INTEGER, TIMESTAMP, DATE):
        value = c
    else:
        value = f"case when contains({c}, ' ') then trim({c}) else {c} end"
    return f"nullif({value}, '') as {_ident('r_' + f.name)}"


def _field_sql(f: Field) -> tuple[list[str], str, str, str]:
    """(plain casts, parsed value, stored value, problem) SQL for one field."""
    r, n, p = _ident("r_" + f.name), _ident("n_" + f.name), f.name
    missing = f"$t_{p}_required" if f.required else "null"
    empty = f"when {n} is null and trim({r}) = '' then {missing}"  # only spaces
    if f.kind in (NUMBER, INTEGER):
        d = _ident("d_" + f.name)
        value = (
            f"case when isfinite({d}) and not contains({r}, '_') then {d} "
            f"when {d} is null and regexp_full_match({r}, '{_NUMBER_SHAPE}') "
            f"then try_cast(regexp_replace({r}, '{_NUMBER_NOISE}', '', 'g') as double) end"
        )
        mark = f"regexp_replace({r}, '[0-9.,+\\-\\s]', '', 'g')"  # the currency, if any
        checks = [
            empty,
            f"when {n} is null and isinf({d}) and regexp_matches({r}, '[0-9]') then $t_{p}_huge",
            f"when {n} is null and regexp_matches({r}, '[0-9],[0-9]') then $t_{p}_comma",
            f"when {n} is null then $t_{p}_number",
            f"when {d} is null and {mark} <> '' "
            f"and not contains($currency_marks, '|' || {mark} || '|') "
            "then $t_currency",
        ]
        if f.kind == INTEGER:
            checks.append(f"when {n} <> round({n}) then $t_{p}_integer")
            checks.append(f"when try_cast({n} as bigint) is null then $t_{p}_huge")
        else:
            checks.append(f"when abs({n}) >= $max_number then $t_{p}_huge")
        if f.low is not None:
            checks.append(f"when {n} < $lo_{p} then $t_{p}_low")
        if f.high is not None:
            checks.append(f"when {n} > $hi_{p} then $t_{p}_high")
        final = f"try_cast({n} as bigint)" if f.kind == INTEGER else n
        why = f"case when {r} is null then {missing} {' '.join(checks)} end"
        return [f"try_cast({r} as double) as {d}"], value, final, why
    if f.kind in (TIMESTAMP, DATE):
        t, o = _ident("t_" + f.name), _ident("o_" + f.name)
        # A value with a UTC offset is converted into the business time zone $tz (the
        # plain cast would drop the offset); without one it is business time already.
        # A d/m/y value is read in the order its parts require (o = 1 or 2), an ambiguous
        # one (o = 0) in the column's order $dmy_<f>; the user's order ($fixed_<f>) rules all.
        value = (
            f"case when {t} is not null and regexp_matches({r}, '{_OFFSET}') "
            f"then timezone($tz, try_cast(regexp_replace(trim({r}), '\\s+([+-]\\d|Z)', '\\1') "
            "as timestamptz)) "
            f"when {t} is not null and regexp_matches({r}, '{_AM_PM}') then case "
            f"when hour({t}) not between 1 and 12 then null "
            f"else {t} + to_hours(hour({t}) % 12 - hour({t}) "
            f"+ case when regexp_matches({r}, '[Pp][Mm]\\s*$') then 12 else 0 end) end "
            f"when {t} is not null and regexp_matches({r}, '{_ZONE_WORD}') then null "
            f"when {t} is not null then {t} "
            f"when {o} = 0 or ({o} is not null and $fixed_{p}) "
            f"then try_strptime(trim({r}), $dmy_{p}) "
            f"when {o} = 1 then try_strptime(trim({r}), $f_dmy) "
            f"when {o} = 2 then try_strptime(trim({r}), $f_mdy) "
            f"else coalesce(try_cast(trim({r}) as timestamp), "
            f"case when regexp_full_match(trim({r}), '{_DATE_SHAPE}') "
            f"then try_strptime(trim({r}), $date_formats) end) end"
        )
        why = (
            f"case when {r} is null then {missing} {empty} "
            f"when {n} is null and {t} is not null and regexp_matches({r}, '{_ZONE_WORD}') "
            f"and not regexp_matches({r}, '{_AM_PM}') then $t_{p}_zone "
            f"when {n} is null then $t_{p}_date "
            f"when year({n}) not between $year_lo and $year_hi then $t_{p}_year end"
        )
        final = f"cast({n} as date)" if f.kind == DATE else n
        casts = [f"try_cast({r} as timestamp) as {t}", f"{_day_month_evidence(f)} as {o}"]
        return casts, value, final, why
    if f.choices:
        why = (
            f"case when {r} is null then {missing} "
            f"when not list_contains($ch_{p}, lower({r})) then $t_{p}_choice end"
        )
        return [], f"lower({r})", n, why
    return [], r, n, f"case when {r} is null then {missing} end"


# --------------------------------------------------------------------------- checks and load


class _NotClean(Exception):
    """The file needs the staged, checked path (raised inside `_Import._load_clean`)."""


@dataclass
class _RowCheck:
    """A check of a row against others: SQL over TYPED `s` for the failing rows."""

    field: str  # the column the problem is reported in
    condition: str  # true for a failing row
    value: str  # the value shown
    reason: str  # SQL for the message ('{value}' replaced by the value)
    rows: str = ""  # `from ... where condition`, set by _row_checks


class _Import:
    """One checked import of an opened file (see the module docstring for the steps)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: _Plan,
        source: _Source,
        skip_invalid: bool,
        report: Path | None,
    ):
        self.con, self.plan, self.source = con, plan, source
        self.skip_invalid = skip_invalid
        self.report = Path(report) if report is not None else None
        self.params = {**_params(plan, source), **_database_params(con)}
        self.skips = False  # whether rows need moving down past skipped CSV lines
        self.broken = 0  # structurally broken CSV lines
        self.warnings: list[str] = []  # said in the result when rows were skipped

    # -- SQL helpers

    def sql(self, sql: str, extra: dict[str, object] | None = None):
        return _run(self.con, sql, {**self.params, **(extra or {})})

    def scalar(self, sql: str, extra: dict[str, object] | None = None) -> int:
        return _one(self.sql(sql, extra))[0] or 0

    def rows(self) -> tuple[str, str]:
        """(FROM clause, row number SQL) over TYPED (its rowid is the position as read)."""
        base = f"(s.rowid + {int(self.source.first_row)})"
        if not self.skips:
            return f"{TYPED} s", base
        join = f"{TYPED} s asof left join {SKIPS} k on {base} >= k.start"
        return join, f"{base} + coalesce(k.n, 0)"

    def typed_sql(self, numbered: bool) -> str:
        """The WITH clause defining `typed` over the file (rows numbered, slower, if asked)."""
        if not numbered:
            relation = f"{self.source.relation} s"
            return _typed_sql(self.plan, len(self.source.header), relation, "null")
        rows_from, row_sql = f"{self.source.numbered} s", "s._base"
        if self.skips:
            rows_from += f" asof left join {SKIPS} k on s._base >= k.start"
            row_sql = "s._base + coalesce(k.n, 0)"
        return _typed_sql(self.plan, len(self.source.header), rows_from, row_sql)

    @property
    def whys(self) -> str:
        return ", ".join(_ident("w_" + n) for n in self.plan.checked)

    # -- the steps

    def run(self) -> ImportResult:
        """Check, then load (or raise ImportFailed with the problems).

        A clean file for an empty table is loaded in one pass (`_load_clean`); any other,
        or one that pass finds a problem in, is staged, checked and loaded from the stage.
        """
        self._check_constants()
        clean = self._load_clean() if self._may_load_clean() else None
        if clean is not None:
            rows, created = clean
            self.warnings[:0] = self.source.notes
            return self._result(rows, rows, 0, created, rejected=0, report=None)
        self._stage()
        rows = self._check()
        total, rejected = _one(
            self.con.execute(f"select count(*), count(distinct line) from {PROBLEMS}")
        )
        report = self._report_path(total)
        if report is not None:
            self._write_report(report)
        if total and not self.skip_invalid:
            raise ImportFailed(self.plan.file, self._first_problems(), total, report)
        inserted, updated, created = self._load(has_problems=total > 0)
        return self._result(rows + self.broken, inserted, updated, created, rejected, report)

    def _result(
        self,
        read: int,
        inserted: int,
        updated: int,
        created: int,
        rejected: int,
        report: Path | None,
    ) -> ImportResult:
        return ImportResult(
            table=self.plan.table.name,
            file=self.plan.file,
            rows_read=read,
            rows_loaded=inserted + updated,
            rows_inserted=inserted,
            rows_updated=updated,
            rows_rejected=rejected,
            ignored_columns=list(self.plan.ignored),
            customers_created=created,
            report=report,
            warnings=self.warnings,
            encoding=self.source.encoding_note,
        )

    def _may_load_clean(self) -> bool:
        """Whether `_load_clean` may try the file: strict, a first load (the table is empty),
        keys and kinds from the file, no check against other rows or the database, and no
        transaction of the caller's open (a failed try must roll back alone)."""
        plan, target = self.plan, _ident(self.plan.table.name)
        return not (
            self.skip_invalid
            or plan.generated_key
            or plan.infers_kind
            or plan.absent
            or self._checks_customers()
            or self._row_checks()
            or self.scalar(f"select exists (select 1 from {target})")
            or db._in_transaction(self.con)
        )

    def _load_clean(self) -> tuple[int, int] | None:
        """Load the file into its empty table straight from the file, with no staging table:
        (rows loaded, customers created).

        One pass parses and checks every value as the staged path does (`typed_sql`) and
        inserts the rows, in one transaction; the first row with a problem or a d/m/y date
        (its column's order is decided from all of them) stops it. A broken CSV line, a key
        given twice or no data row is found after it. Any of them rolls it all back: None,
        nothing changed, and the staged path reads the file again to say what is wrong.
        (The database file may keep the blocks the rolled-back rows took as free space, which
        the next load fills.)
        """
        plan = self.plan
        target = _ident(plan.table.name)
        names = ", ".join(_ident(c) for c in plan.loaded)
        values = ", ".join(_ident("v_" + c) for c in plan.loaded)
        dates = [n for n in plan.read if plan.field(n).kind in (TIMESTAMP, DATE)]
        doubt = " or ".join(
            [
                f"coalesce({self.whys}) is not null",
                *(f"{_ident('o_' + n)} is not null" for n in dates),
            ]
        )
        key = _ident(plan.table.key)
        try:
            with db.transaction(self.con):
                for name in (REJECTS, REJECT_SCANS):
                    self.con.execute(f"drop table if exists {name}")
                rows = self.scalar(
                    f"insert into {target} ({names}) {self.typed_sql(numbered=False)} "
                    f"select {values} from typed where case when _filled and ({doubt}) "
                    "then error('a row to check') else _filled end"
                )
                broken = self.source.kind == "csv" and self.scalar(
                    f"select exists (select 1 from {REJECTS})"
                )
                if not rows or broken or self._repeats_a_key(target, key):
                    raise _NotClean
                created = self._create_customers(fresh=True)
                db.bump_data_version(self.con)
        except (_NotClean, duckdb.Error):
            return None
        return rows, created

    def _check_constants(self) -> None:
        """ImportFailed when a value set for every row (`--set`) is not valid for its field."""
        for name, text in self.plan.constants.items():
            cast, value, _, why = _checked_field_sql(self.plan.field(name))
            r, n = _ident("r_" + name), _ident("n_" + name)
            sql = (
                f"with base as (select {_constant_sql(name)}), "
                f"parsed as (select *{''.join(', ' + c for c in cast)} from base), "
                f"vals as (select *, {value} as {n} from parsed) "
                f"select replace({why}, '{{value}}', coalesce({r}, '')) from vals"
            )
            (reason,) = _one(self.sql(sql))
            if reason is not None:
                option = f"--set {name}"  # a message, not SQL
                _fail(self.source.path, f"{option}={text}: {reason}", column=name)

    def _check(self) -> int:
        """Fill PROBLEMS (empty for a good file); returns the number of data rows.

        The cheap counts come first; row numbers and raw values are only worked out
        when something is wrong (or transaction ids are made from row numbers).
        """
        rows, bad = _one(
            self.con.execute(
                f"select count(*) filter (where _filled), count(*) filter (where _bad) from {TYPED}"
            )
        )
        if rows == 0 and self.broken == 0:
            _fail(self.source.path, "the file has a header but no data rows", row=2)
        duplicates = self._duplicate_hashes()
        unknown = self._unknown_customer_count()
        checks = [c for c in self._row_checks() if self.scalar(f"select count(*) {c.rows}")]
        if bad or duplicates or unknown or checks or self.broken or self.plan.generated_key:
            self._number_rows()
        self.con.execute(
            f"create or replace temp table {PROBLEMS} "
            "(line bigint, pos integer, col varchar, val varchar, reason varchar)"
        )
        if bad:
            self._value_problems()
        if duplicates:
            self._duplicate_problems()
        if unknown:
            self._unknown_customer_problems()
        for check in checks:
            self._row_check_problems(check)
        if self.broken:
            self._structural_problems()
        return rows

    def _row_checks(self) -> list[_RowCheck]:
        """Checks of a row against the file's other rows and the database."""
        t, typed = self.plan.table, self.plan.typed

        def v(name: str) -> str:
            return f"s.{_ident('v_' + name)}"

        def when(text: str) -> str:  # a time in messages: the date alone at midnight
            return f"replace(strftime({text}, '%Y-%m-%d %H:%M:%S'), ' 00:00:00', '')"

        checks: list[_RowCheck] = []
        customers, customer_key = _ident(contract.CUSTOMERS.name), _ident(CUSTOMER_KEY)
        if t is contract.CUSTOMERS and REFERRED_BY in typed:
            key, ref = v(CUSTOMER_KEY), v(REFERRED_BY)
            checks.append(_RowCheck(REFERRED_BY, f"{ref} = {key}", ref, "$t_self_referral"))
            elsewhere = (
                f"{ref} <> {key} "
                f"and not exists (select 1 from {customers} c "
                f"where c.{customer_key} = {ref}) "  # sql: idents
                f"and not exists (select 1 from {TYPED} f "
                f"where f.{_ident('v_' + CUSTOMER_KEY)} = {ref})"  # sql: idents
            )
            checks.append(_RowCheck(REFERRED_BY, elsewhere, ref, "$t_referrer"))
        if t is contract.CUSTOMERS and SIGNED_UP_AT in typed:
            first = (
                f"(select min(o.{_ident(ORDERED_AT)}) from {_ident(contract.TRANSACTIONS.name)} o "
                f"where o.{customer_key} = {v(CUSTOMER_KEY)})"  # sql: idents
            )
            reason = f"replace($t_after_first, '{{first}}', {when(first)})"
            late = f"{v(SIGNED_UP_AT)} > {first}"
            checks.append(_RowCheck(SIGNED_UP_AT, late, when(v(SIGNED_UP_AT)), reason))
        if t is contract.FEEDBACK and RESOLVED_AT in typed:
            submitted = v(SUBMITTED_AT)
            if SUBMITTED_AT not in typed:  # an update of resolved_at alone
                feedback, key = _ident(t.name), _ident(t.key)
                submitted = (
                    f"(select min(f.{_ident(SUBMITTED_AT)}) from {feedback} f "
                    f"where f.{key} = {v(t.key)})"  # sql: idents
                )
            reason = f"replace($t_resolved, '{{submitted}}', {when(submitted)})"
            early = f"{v(RESOLVED_AT)} < {submitted}"
            checks.append(_RowCheck(RESOLVED_AT, early, when(v(RESOLVED_AT)), reason))
        if self.plan.absent:
            target, key = _ident(t.name), _ident(t.key)
            new = f"not exists (select 1 from {target} t where t.{key} = {v(t.key)})"  # sql: idents
            checks.append(_RowCheck(t.key, new, v(t.key), "$t_new_row"))
        for check in checks:
            check.rows = f"from {TYPED} s where {check.condition}"
        return checks

    def _row_check_problems(self, check: _RowCheck) -> None:
        """Record each row failing `check`."""
        rows_from, row_sql = self.rows()
        self.sql(
            f"insert into {PROBLEMS} select {row_sql}, {self.plan.position(check.field)}, "
            f"$label_{check.field}, left({check.value}::varchar, {VALUE_SHOWN}), "
            f"replace({check.reason}, '{{value}}', left({check.value}::varchar, {VALUE_SHOWN})) "
            f"from {rows_from} where {check.condition}"
        )

    def _stage(self) -> None:
        """Read the file into TYPED: `_filled`, the typed values and a `_bad` flag.

        Read again only when a column of day/month/year dates turns out to be the other
        order than the one assumed (`_decide_date_orders`).
        """
        self._read_typed()
        if self.source.kind == "csv":
            self.con.execute(
                f"create or replace temp table {BROKEN} as "
                "select line::bigint as line, min(error_type)::varchar as kind, "
                "any_value(csv_line) as text, any_value(error_message) as message "
                f"from {REJECTS} group by line"
            )
            self.broken = self.scalar(f"select count(*) from {BROKEN}")
        if self._decide_date_orders():
            self._read_typed()
        self.warnings[:0] = self.source.notes

    def _decide_date_orders(self) -> bool:
        """Settle day-first or month-first for each column of d/m/y dates, from its values
        (or the user's `date_order`); True when the file must be read again in it.

        ImportFailed when one column has both orders, naming the first row that disagrees
        with the rows before it, and when no value tells and the user did not say.
        """
        again = False
        for name in self.plan.read:
            if self.plan.field(name).kind not in (TIMESTAMP, DATE):
                continue
            o = _ident("o_" + name)
            day, month, either, first_day, first_month = _one(
                self.con.execute(
                    f"select count(*) filter ({o} = 1), count(*) filter ({o} = 2), "
                    f"count(*) filter ({o} = 0), min(rowid) filter ({o} = 1), "
                    f"min(rowid) filter ({o} = 2) from {TYPED}"
                )
            )
            if not (day or month or either):
                continue
            label = self.plan.label[name]
            order = self.source.date_order
            if order is None and day and month:
                self._number_rows()
                later, earlier = sorted([first_day, first_month], reverse=True)
                rows_from, row_sql = self.rows()
                row, before = (
                    self.scalar(f"select {row_sql} from {rows_from} where s.rowid = $at", {"at": i})
                    for i in (later, earlier)
                )
                orders = ("day-first", "month-first")
                now, was = orders if later == first_day else orders[::-1]
                _fail(
                    self.source.path,
                    f"this date is {now} but row {before}'s is {was}: one column must "
                    "write its dates in one order (fix the rows, or say the order with "
                    "--date-order dmy or mdy and the others are reported)",
                    row=row,
                    column=label,
                )
            if order is None and not (day or month):
                _fail(
                    self.source.path,
                    "dates such as 3/4/2024 read both as day/month/year and as "
                    "month/day/year, and no value in the column tells which: say the order "
                    "with --date-order dmy (day first) or mdy (month first)",
                    column=label,
                )
            order = order or ("dmy" if day else "mdy")
            if self.source.date_order is None:
                self.source.notes.append(
                    f"dates in column {label!r} read as {DATE_ORDERS[order]} "
                    "(decided from the values)"
                )
            formats = _day_month_formats(order)
            if self.params[f"dmy_{name}"] != formats:
                self.params[f"dmy_{name}"] = formats
                again = again or not self._swap_day_month(name)
        return again

    def _swap_day_month(self, name: str) -> bool:
        """Turn the ambiguous d/m/y values of a column, read in the other order, around in
        TYPED (day <-> month: exact, both were valid); False, changing nothing, when a
        swapped value is on either side of today (its future-date check must run again)."""
        v, o = _ident("v_" + name), _ident("o_" + name)
        if self.plan.field(name).kind == DATE:
            swapped = f"make_date(year({v}), day({v}), month({v}))"
        else:
            swapped = (
                f"make_timestamp(year({v}), day({v}), month({v}), hour({v}), minute({v}), "
                f"microsecond({v}) / 1e6)"
            )
        future = f"({v} >= $tomorrow or {swapped} >= $tomorrow)"
        if self.scalar(f"select count(*) from {TYPED} where {o} = 0 and {future}"):
            return False
        self.sql(f"update {TYPED} set {v} = {swapped} where {o} = 0")  # sql: idents
        return True

    def _read_typed(self) -> None:
        """CREATE TYPED from one pass over the file."""
        for name in (TYPED, REJECTS, REJECT_SCANS):
            self.con.execute(f"drop table if exists {name}")
        values = "".join(f", {_ident('v_' + n)}" for n in self.plan.typed)
        values += "".join(
            f", {_ident('o_' + n)}"
            for n in self.plan.read
            if self.plan.field(n).kind in (TIMESTAMP, DATE)
        )
        try:
            self.sql(
                f"create temp table {TYPED} as {self.typed_sql(numbered=False)} "
                f"select _filled{values}, "
                f"_filled and coalesce({self.whys}) is not null as _bad from typed"
            )
        except duckdb.Error as e:
            _fail(self.source.path, f"could not read the file: {_first_line(e)}")

    def _duplicate_hashes(self) -> int:
        """Hashes of keys given more than once (exact duplicates are confirmed later)."""
        if self.plan.generated_key:
            return 0
        v = _ident("v_" + self.plan.table.key)
        self.con.execute(
            f"create or replace temp table {DUP_HASHES} as "
            f"select hash({v}) as h from {TYPED} where {v} is not null "
            "group by h having count(*) > 1"
        )
        return self.scalar(f"select count(*) from {DUP_HASHES}")

    def _checks_customers(self) -> bool:
        """Rows of this table must name a known customer (transactions create them)."""
        t = self.plan.table
        return (
            t is not contract.CUSTOMERS
            and t is not contract.TRANSACTIONS
            and CUSTOMER_KEY in self.plan.source
        )

    @staticmethod
    def _unknown_customer() -> str:
        """SQL condition on TYPED `s`: the row names a customer the database does not have."""
        v = _ident("v_" + CUSTOMER_KEY)
        customers, key = _ident(contract.CUSTOMERS.name), _ident(CUSTOMER_KEY)
        return (
            f"s.{v} is not null and not exists (select 1 from {customers} c where c.{key} = s.{v})"
        )

    def _unknown_customer_count(self) -> int:
        """Rows naming an unknown customer (0 where the table does not check them)."""
        if not self._checks_customers():
            return 0
        return self.scalar(f"select count(*) from {TYPED} s where {self._unknown_customer()}")

    def _unknown_customer_problems(self) -> None:
        """Record each row naming an unknown customer."""
        v = _ident("v_" + CUSTOMER_KEY)
        rows_from, row_sql = self.rows()
        self.sql(
            f"insert into {PROBLEMS} select {row_sql}, {self.plan.position(CUSTOMER_KEY)}, "
            f"$label_{CUSTOMER_KEY}, left(s.{v}, {VALUE_SHOWN}), "
            f"replace($t_unknown, '{{value}}', left(s.{v}, {VALUE_SHOWN})) "
            f"from {rows_from} where {self._unknown_customer()}"
        )

    def _repeats_a_key(self, target: str, key: str) -> bool:
        """Whether a key is on more than one row of `target`.

        Keys that run strictly up (or down) row after row in one streaming pass are all
        different (the usual export, ordered by its id: ~8x cheaper than counting them);
        others are counted distinct."""
        not_up, not_down = _one(
            self.con.execute(
                f"select count(*) filter (where {key} <= prev), "
                f"count(*) filter (where {key} >= prev) "
                f"from (select {key}, lag({key}) over () as prev from {target})"
            )
        )
        if not not_up or not not_down:
            return False
        return bool(self.scalar(f"select count(*) > count(distinct {key}) from {target}"))

    def _number_rows(self) -> None:
        """Make row numbers spreadsheet rows: count the empty and broken CSV lines.

        A row read as number b (its position + 1) moves down by the skipped lines s_k
        before it: skip k applies from b = s_k - k + 1 on (an ASOF join on SKIPS).
        """
        if self.source.kind != "csv":
            return
        self.sql(
            f"""
            create or replace temp table {SKIPS} as
            with lines as (
                select line as s from {BROKEN} union select unnest($blank::bigint[])
            ),
            numbered as (select s, row_number() over (order by s) as k from lines)
            select s - k + 1 as start, max(k) as n from numbered group by start
            """,
            {"blank": textfile.blank_records(self.source.read_path)},
        )
        self.skips = self.scalar(f"select count(*) from {SKIPS}") > 0

    def _value_problems(self) -> None:
        """Record each bad value: the file is read again for the raw text of bad rows."""
        self.sql(
            f"create or replace temp table {BAD} as {self.typed_sql(numbered=True)} "
            f"select * from typed where _filled and coalesce({self.whys}) is not null"
        )
        for name in self.plan.checked:
            r = f"left({_ident('r_' + name)}, {VALUE_SHOWN})" if name in self.plan.read else "null"
            w = _ident("w_" + name)
            self.sql(
                f"insert into {PROBLEMS} select _row, {self.plan.position(name)}, "
                f"$label_{name}, {r}, replace({w}, '{{value}}', coalesce({r}, '')) "
                f"from {BAD} where {w} is not null"
            )

    def _duplicate_problems(self) -> None:
        """Record every row of a key given more than once, naming the key and its rows.

        Transactions whose id repeats also get a note for the whole file: the column is
        probably the order several lines share, to be mapped as order_id.
        """
        key = self.plan.table.key
        v = _ident("v_" + key)
        rows_from, row_sql = self.rows()
        self.sql(
            f"""
            create or replace temp table {DUPS} as
            select s.{v} as key, list({row_sql} order by {row_sql}) as rows
            from {rows_from} where hash(s.{v}) in (select h from {DUP_HASHES})
            group by s.{v} having count(*) > 1
            """
        )
        self.sql(
            f"""
            insert into {PROBLEMS}
            select unnest(rows), {self.plan.position(key)}, $label_{key},
                left(key, {VALUE_SHOWN}),
                replace(replace($t_duplicate, '{{value}}', left(key, {VALUE_SHOWN})), '{{rows}}',
                    case when len(rows) <= 10
                        then array_to_string(rows[1:len(rows) - 1], ', ') || ' and '
                            || rows[len(rows)]
                        else array_to_string(rows[1:9], ', ') || ' and '
                            || (len(rows) - 9) || ' more' end)
            from {DUPS}
            """
        )
        if self.plan.table is contract.TRANSACTIONS:
            self._repeating_transaction_note()

    def _repeating_transaction_note(self) -> None:
        """A problem for the whole file: transaction ids repeat; suggest order_id."""
        count, examples = _one(
            self.con.execute(f"select count(*), list(key order by rows[1])[1:3] from {DUPS}")
        )
        column = self.plan.label[self.plan.table.key]
        shown = ", ".join(repr(e[:VALUE_SHOWN]) for e in examples)
        more = ", ..." if count > len(examples) else ""
        note = (
            f"{self.plan.table.key} repeats: {count:,} {'id is' if count == 1 else 'ids are'} "
            "on more than one row "
            f"({shown}{more}), but a transaction_id names one line. If {column!r} is the "
            f"order several lines share, import it as the order: --map {ORDER_ID}={column} "
            "(each line then gets its own id, or map a line id as transaction_id)"
        )
        self.con.execute(
            f"insert into {PROBLEMS} values (null, 0, $col, null, $note)",
            {"col": column, "note": note},
        )
        self.warnings.append(note)

    def _structural_problems(self) -> None:
        """Record the lines DuckDB could not split into the header's columns."""
        rows_from, row_sql = self.rows()
        last = self.scalar(
            f"select greatest((select max({row_sql}) from {rows_from}), "
            f"(select max(line) from {BROKEN}))"
        )
        kinds = list(STRUCTURAL)
        self.sql(
            f"""
            insert into {PROBLEMS}
            with explained as (
                select line, text,
                    case when list_contains($kinds, kind)
                        then $templates[list_position($kinds, kind)]
                        else 'broken row: ' || message end as reason,
                    coalesce(regexp_extract(message, 'Found: (\\d+)', 1), '') as found
                from {BROKEN}
            )
            select line, 0, null, left(trim(text, chr(13) || chr(10)), {VALUE_SHOWN}),
                replace(replace(reason, '{{found}}', found), '{{expected}}', $width)
                || case when line >= $last then $hint else '' end
            from explained
            """,
            {
                "kinds": kinds,
                "templates": [STRUCTURAL[k] for k in kinds],
                "width": str(len(self.source.header)),
                "last": last,
                "hint": LAST_ROW_HINT,
            },
        )

    def _first_problems(self) -> list[Problem]:
        """The first PROBLEMS_KEPT problems, in row and column order."""
        rows = self.con.execute(
            f"select line, col, val, reason from {PROBLEMS} "
            f"order by line nulls first, pos limit {PROBLEMS_KEPT}"
        ).fetchall()
        return [Problem(self.plan.file, *row) for row in rows]

    def _report_path(self, problems: int) -> Path | None:
        """Where to write rejected rows: always when skipping, in strict mode if asked."""
        if self.skip_invalid:
            return self.report or _default_report(self.source.path)
        return self.report if problems else None

    def _write_report(self, report: Path) -> None:
        """Every problem as CSV (row, column, value, reason), UTF-8 with BOM for Excel."""
        tmp = report.with_name(report.name + ".tmp")
        try:
            self.con.execute(
                "copy (select line as row, col as column, val as value, reason "
                f"from {PROBLEMS} order by line nulls first, pos) "
                "to $path (header, delimiter ',')",
                {"path": str(tmp)},
            )
            with report.open("wb") as out, tmp.open("rb") as src:
                out.write(codecs.BOM_UTF8)
                shutil.copyfileobj(src, out)
        finally:
            tmp.unlink(missing_ok=True)

    def _valid_rows(self, has_problems: bool) -> str:
        """A WITH clause defining `ok`: the rows to load (typed values and the key)."""
        rows_from, row_sql = self.rows()
        key = _ident("v_" + self.plan.table.key)
        if self.plan.generated_key:
            key = f"$stem || ':' || s._row as {key}"
        values = ", ".join([key, *(f"s.{_ident('v_' + n)}" for n in self.plan.typed)])
        keep = ""
        if has_problems:
            keep = (
                " where not s._bad and not exists "
                f"(select 1 from {PROBLEMS} p where p.line = s._row)"
            )
        return (
            f"with numbered as (select {row_sql} as _row, s.* from {rows_from} where s._filled),"
            f" ok as (select {values} from numbered s{keep})"
        )

    def _load(self, has_problems: bool) -> tuple[int, int, int]:
        """Upsert the valid rows in one transaction: (inserted, updated, customers created).

        Rows whose key exists are updated in the columns the file gives, and only those
        (a column of the file left empty sets NULL); new keys are inserted.
        """
        ok = self._valid_rows(has_problems)
        target, key = _ident(self.plan.table.name), _ident(self.plan.table.key)
        v_key = _ident("v_" + self.plan.table.key)
        names = ", ".join(_ident(c) for c in self.plan.loaded)
        values = ", ".join(_ident("v_" + c) for c in self.plan.loaded)
        sets = ", ".join(  # a kind inferred from scores is only for new rows
            f"{_ident(c)} = o.{_ident('v_' + c)}"
            for c in self.plan.loaded
            if c != self.plan.table.key and not (c == KIND and KIND not in self.plan.read)
        )
        with db.transaction(self.con):
            updated = 0
            fresh = not self.scalar(f"select count(*) from {target}")
            if fresh:  # a first load: every row is new, nothing to match (the common big case)
                inserted = self.scalar(
                    f"insert into {target} ({names}) {ok} select {values} from ok"
                )
            else:
                self.sql(f"create or replace temp table {OK_ROWS} as {ok} select * from ok")
                existing = f"from {OK_ROWS} o where t.{key} = o.{v_key}"
                updated = self.scalar(
                    f"update {target} as t set {sets} {existing}"
                    if sets
                    else f"select count(*) from {target} t where exists (select 1 {existing})"
                )
                inserted = self.scalar(
                    f"insert into {target} ({names}) select {values} from {OK_ROWS} o "
                    f"where not exists (select 1 from {target} t where t.{key} = o.{v_key})"
                )
            created = self._create_customers(fresh)
            if inserted or updated:
                db.bump_data_version(self.con)
        return inserted, updated, created

    def _create_customers(self, fresh: bool) -> int:
        """Customers named by the loaded transactions but unknown: created, signed up at
        their first purchase (read back from the table, so updates of a few columns count;
        after a first load, `fresh`, the table holds only the file's rows)."""
        t = self.plan.table
        if t is not contract.TRANSACTIONS or CUSTOMER_KEY not in self.plan.typed:
            return 0
        customers, key = _ident(contract.CUSTOMERS.name), _ident(CUSTOMER_KEY)
        target, t_key, v_key = _ident(t.name), _ident(t.key), _ident("v_" + t.key)
        loaded = "true" if fresh else f"o.{t_key} in (select {v_key} from {OK_ROWS})"
        return self.scalar(
            f"insert into {customers} ({key}, {_ident(SIGNED_UP_AT)}) "
            f"select o.{key}, min(o.{_ident(ORDERED_AT)}) from {target} o "
            f"where {loaded} and not exists "
            f"(select 1 from {customers} c where c.{key} = o.{key}) group by o.{key}"
        )
