"""Exporting a table: for a spreadsheet (CSV, Excel), safe to open; for a machine, exact.

Spreadsheet exports (`to_csv_bytes`, `to_excel_bytes`, and `write_table` to a .csv or
.xlsx) are for people: a text cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return) would be evaluated as a formula by Excel or LibreOffice ("CSV
injection"): `neutralise` prefixes such cells with `'`, which spreadsheets treat as plain
text. Numbers are never touched, so a negative amount stays a number.

Machine exports (`write_table` to a .parquet file, or to a .csv with `raw=True`) are for
re-import and other tools, and round-trip exactly: no prefixes; CSV in UTF-8 without BOM,
ISO timestamps, floats to full precision, NULL as an empty field and an empty string as
`""`; Parquet with the database's own types.

A list a page exports (`list_csv_bytes`, `list_excel_bytes`) is described once by its
`Column`s: each has a kind (text, count, money, percent, points, ratio, date, datetime,
stars), a header in the page's language and a unit. The export writes values rounded and in
the page's units: money to cents with the currency in the header, a share as a percentage
(12.3 under "Churn risk (%)" in CSV; in Excel a percent cell, 0.123 shown as 12.3%), a day
without 00:00:00. The facts the list depends on (as-of date, rule set, horizon, filters,
page, language, time of export) are an `About`: Excel gets them as a second sheet. A CSV
holds the table alone, its header on the first row: a preamble of comment lines would be
read as the header by pandas.read_csv and by spreadsheets opening the file, so the CSV's
file name carries the as-of date instead.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection
ESCAPE = "'"
SHEET_NAME = "export"
FORMATS = {".csv": "CSV", ".xlsx": "Excel", ".parquet": "Parquet"}

# Characters an .xlsx file cannot hold (openpyxl refuses them): control characters.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells starting like a formula begin with `'`.

    Only text (string, object and categorical columns, and text column names) changes;
    numbers, dates and missing values are kept as they are. A named index becomes a
    column, so it is exported too.
    """
    out = _with_index_as_columns(df)
    for column in out.columns:
        out[column] = _neutralise_series(out[column])
    out.columns = [_neutral_cell(c) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """`df` as CSV, UTF-8 with BOM (so Excel opens Chinese text correctly), neutralised."""
    text = neutralise(df).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_excel_bytes(df: pd.DataFrame, sheet_name: str = SHEET_NAME) -> bytes:
    """`df` as an .xlsx workbook with one sheet (openpyxl), neutralised.

    Time zones are dropped from timestamps (Excel has none) and control characters an
    .xlsx cannot hold are removed from text.
    """
    out = neutralise(df)
    for column in out.columns:
        out[column] = _excel_ready(out[column])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name=_sheet_name(sheet_name))
    return buffer.getvalue()


# --- a list as a page exports it ------------------------------------------------------------

TEXT, COUNT, MONEY, PERCENT, POINTS = "text", "count", "money", "percent", "points"
RATIO, DATE, DATETIME, STARS = "ratio", "date", "datetime", "stars"
KINDS = (TEXT, COUNT, MONEY, PERCENT, POINTS, RATIO, DATE, DATETIME, STARS)
EXCEL_FORMATS = {  # the number format of each kind's cells; a ratio's follows its digits
    COUNT: "#,##0",
    MONEY: "#,##0.00",
    PERCENT: "0.0%",
    POINTS: "+0.0;-0.0;0.0",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
    STARS: "0",
}
WIDTH_SAMPLE = 500  # rows read to size a column
MIN_WIDTH, MAX_WIDTH = 8, 50  # of an Excel column, in characters


@dataclass(frozen=True)
class Column:
    """One column of an exported list: `key`, its name in the frame; `header`, its heading
    in the page's language with its unit ('Revenue (GBP)', 'Churn risk (%)'); `kind`, what
    it holds (KINDS); `excel_header`, the heading of a percent column in Excel, whose cells
    show the '%' themselves; `digits`, the decimals of a ratio.

    A share (0..1) is a PERCENT (written 12.3, or in Excel 0.123 shown as 12.3%); a change of
    a share is POINTS (written times 100: +5.0 percentage points)."""

    key: str
    header: str
    kind: str = TEXT
    excel_header: str | None = None
    digits: int = 2

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"column {self.key!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}"
            )

    def heading(self, excel: bool = False) -> str:
        return (self.excel_header or self.header) if excel else self.header

    def excel_format(self) -> str | None:
        if self.kind == RATIO:
            return "#,##0" + ("." + "0" * self.digits if self.digits else "")
        return EXCEL_FORMATS.get(self.kind)


@dataclass(frozen=True)
class About:
    """What an exported list depends on, for the sheet beside it: `rows` of (label, value)
    in the page's language (page, as-of date, rule set, horizon, filters, language, time of
    export), on the sheet named `sheet`."""

    sheet: str
    rows: tuple[tuple[str, str], ...]

    def with_row(self, label: str, value: str) -> About:
        return About(self.sheet, (*self.rows, (label, value)))

    def value(self, label: str) -> str | None:
        return next((v for name, v in self.rows if name == label), None)


def export_table(
    frame: pd.DataFrame, columns: Sequence[Column], excel: bool = False
) -> pd.DataFrame:
    """The `columns` of `frame`, in their order, under their headings, each in the page's
    units (`in_units`). Raises ValueError naming a column the frame lacks or a heading
    given twice."""
    missing = [c.key for c in columns if c.key not in frame.columns]
    if missing:
        raise ValueError(f"the list has no column {', '.join(map(repr, missing))} to export")
    headings = [c.heading(excel) for c in columns]
    twice = sorted({h for h in headings if headings.count(h) > 1})
    if twice:
        raise ValueError(f"two exported columns are headed {', '.join(map(repr, twice))}")
    values = {c.heading(excel): in_units(frame[c.key], c, excel) for c in columns}
    return pd.DataFrame(values, index=range(len(frame)))


def in_units(values: pd.Series, column: Column, excel: bool = False) -> pd.Series:
    """`values` of `column` as written: counts and stars whole, money to cents, a share as a
    percentage to one decimal (in Excel the share to 0.1%, a percent cell shows it), points
    times 100 to one decimal, a ratio to its digits, a date as a day, a time to the minute
    (in CSV as 'YYYY-MM-DD HH:MM'), without a time zone; text as it is."""
    s = values.reset_index(drop=True)
    kind = column.kind
    if kind == TEXT:
        return s.astype(object).where(s.notna(), None)
    if kind in (DATE, DATETIME):
        return _moments(s, kind, excel)
    number = pd.to_numeric(s, errors="coerce").astype("float64")
    if kind in (COUNT, STARS):
        return number.round().astype("Int64")
    if kind == PERCENT:
        rounded = number.round(3) if excel else (number * 100).round(1)
    elif kind == POINTS:
        rounded = (number * 100).round(1)
    else:
        rounded = number.round(2 if kind == MONEY else column.digits)
    return rounded + 0.0  # -0.0 (a tiny refund rounded) is written 0.0


def _moments(s: pd.Series, kind: str, excel: bool) -> pd.Series:
    """Dates (datetime.date) or times to the minute, naive, missing as None."""
    moments = pd.to_datetime(s, errors="coerce")
    if isinstance(moments.dtype, pd.DatetimeTZDtype):
        moments = moments.dt.tz_localize(None)
    known = moments.notna()
    if kind == DATE:
        out = moments.dt.date
    elif excel:
        out = moments.dt.floor("min").astype(object)
    else:
        out = moments.dt.strftime("%Y-%m-%d %H:%M")
    return out.astype(object).where(known, None)


def list_csv_bytes(frame: pd.DataFrame, columns: Sequence[Column]) -> bytes:
    """The list as CSV for a spreadsheet (`to_csv_bytes`): its header on the first row, the
    values in the page's units."""
    return to_csv_bytes(export_table(frame, columns))


def list_excel_bytes(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    about: About | None = None,
    sheet_name: str = SHEET_NAME,
) -> bytes:
    """The list as an .xlsx workbook: one sheet with a bold, frozen header row and an
    autofilter, each column sized to its header and values and given its kind's number
    format; then the `about` sheet. openpyxl's write-only mode streams the rows."""
    table = neutralise(export_table(frame, columns, excel=True))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_name(sheet_name))
    sheet.freeze_panes = "A2"
    for number, width in enumerate(_widths(table, columns), start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    if len(columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table) + 1}"
    bold = Font(bold=True)
    sheet.append([_styled(sheet, _excel_text(h), font=bold) for h in table.columns])
    formats = [c.excel_format() for c in columns]
    cells = [_cell_values(table.iloc[:, j], columns[j].kind) for j in range(len(columns))]
    for row in zip(*cells, strict=True):
        sheet.append(
            [
                v if f is None or v is None else _styled(sheet, v, f)
                for v, f in zip(row, formats, strict=True)
            ]
        )
    if about is not None:
        _about_sheet(book, about, sheet.title)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _styled(sheet, value, number_format: str | None = None, font: Font | None = None):
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    return cell


def _cell_values(s: pd.Series, kind: str) -> list:
    """A column's cells as Python values openpyxl writes, missing values as None."""
    if kind == TEXT:
        return [_excel_text(v) if isinstance(v, str) else v for v in s.tolist()]
    if kind in (DATE, DATETIME):
        return [
            None if v is None else (v.to_pydatetime() if hasattr(v, "to_pydatetime") else v)
            for v in s.tolist()
        ]
    known = s.notna().to_numpy()
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    if kind in (COUNT, STARS):
        return [int(v) if k else None for v, k in zip(values, known, strict=True)]
    return [float(v) if k else None for v, k in zip(values, known, strict=True)]


def _excel_text(value):
    return _ILLEGAL_XLSX.sub("", value) if isinstance(value, str) else value


def _about_sheet(book: Workbook, about: About, taken: str) -> None:
    """The `about` rows as a two-column sheet, labels in bold."""
    name = _sheet_name(about.sheet)
    sheet = book.create_sheet(name if name != taken else f"{name} (2)")
    sheet.column_dimensions["A"].width = max(
        (_text_width(label) + 2 for label, _ in about.rows), default=MIN_WIDTH
    )
    sheet.column_dimensions["B"].width = MAX_WIDTH + 20
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for label, value in about.rows:
        cell = _styled(sheet, _excel_text(_neutral_cell(str(value))))
        cell.alignment = wrap
        sheet.append([_styled(sheet, _excel_text(_neutral_cell(label)), font=bold), cell])


def _widths(table: pd.DataFrame, columns: Sequence[Column]) -> list[float]:
    """Each column's width in characters: its header (and the filter button) or its widest
    value among the first WIDTH_SAMPLE rows, as shown, within MIN_WIDTH..MAX_WIDTH."""
    head = table.head(WIDTH_SAMPLE)
    widths = []
    for j, column in enumerate(columns):
        shown = [_shown(v, column.kind) for v in head.iloc[:, j].tolist()]
        widest = max((_text_width(v) for v in shown), default=0)
        width = max(_text_width(str(table.columns[j])) + 4, widest + 2)
        widths.append(float(min(max(width, MIN_WIDTH), MAX_WIDTH)))
    return widths


def _shown(value, kind: str) -> str:
    """Roughly how Excel shows `value` of `kind`, to size its column."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind == DATE:
        return "yyyy-mm-dd"
    if kind == DATETIME:
        return "yyyy-mm-dd hh:mm"
    if kind == PERCENT:
        return f"{value * 100:.1f}%"
    if kind in (MONEY, RATIO, POINTS):
        return f"{value:+,.2f}"
    if kind in (COUNT, STARS):
        return f"{value:,}"
    return str(value)


def _text_width(text: str) -> int:
    """Columns `text` takes in a spreadsheet: a wide (CJK) character counts twice."""
    return sum(2 if ord(ch) >= 0x1100 and _is_wide(ch) else 1 for ch in text)


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


class ExportFailed(ValueError):
    """An export that cannot be written; the message says why and what to do."""


def unwritable(path: Path, what: str, fix: str = "choose another place") -> str | None:
    """Why `what` (e.g. "the report") cannot be written to `path`, in one sentence naming
    it, or None when it can: `path` is a folder, its folder is missing, or either is
    read-only (the file is written beside `path` first, so the folder must be writable)."""
    path = Path(path)
    if path.is_dir():
        return f"{what} {path} is a folder: name the file to write in it"
    folder = path.parent
    if not folder.is_dir():
        return f"cannot write {what} {path}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"cannot write {what} {path}: the folder {folder} is read-only; {fix}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {what} {path}: the file is read-only; {fix}"
    return None


def check_target(path: Path, raw: bool = False) -> None:
    """Refuse, before anything is read or written, a file `write_table` could not write."""
    path = Path(path)
    reason = unwritable(path, "the export")
    if reason is not None:
        raise ExportFailed(reason)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ExportFailed(f"{path}: write a .csv, .xlsx or .parquet file")
    if raw and suffix == ".xlsx":
        raise ExportFailed(
            f"{path}: --raw writes CSV for machines; an .xlsx file is for a spreadsheet "
            "(drop --raw, or write .csv or .parquet)"
        )


def write_table(con: duckdb.DuckDBPyConnection, table: str, path: Path, raw: bool = False) -> int:
    """Write `table` (a name checked to exist) to `path`; returns the rows written.

    The format follows the suffix: .csv for a spreadsheet (the stored values, neutralised)
    or exact with `raw`; .xlsx for a spreadsheet, as a page's list is written
    (`list_excel_bytes`: each column formatted by its kind (`table_columns`), the header
    bold, frozen and filtered, columns sized, an About sheet (`table_about`)); .parquet
    exact. Rows are in key order (the first column). The file is written beside `path`
    first and renamed, so a failed export leaves no half-written file.
    """
    path = Path(path)
    check_target(path, raw)
    suffix = path.suffix.lower()
    query = f"select * from {_ident(table)} order by 1"
    total = con.execute(f"select count(*) from {_ident(table)}").fetchone()[0]
    if suffix == ".xlsx" and total > EXCEL_ROWS:
        raise ExportFailed(
            f"{table} has {total:,} rows, more than the {EXCEL_ROWS:,} an Excel sheet holds: "
            "write a .csv or .parquet file"
        )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if suffix == ".parquet" or raw:
            options = "format parquet" if suffix == ".parquet" else "format csv, header true"
            con.execute(f"copy ({query}) to $path ({options})", {"path": str(tmp)})
            rows = total
        else:
            frame = con.execute(query).df()
            if suffix == ".csv":
                data = to_csv_bytes(frame)
            else:
                about = table_about(con, table, len(frame))
                data = list_excel_bytes(frame, table_columns(con, table), about, table)
            tmp.write_bytes(data)
            rows = len(frame)
        os.replace(tmp, path)
    except (OSError, duckdb.IOException) as error:
        raise ExportFailed(f"cannot write {path}: {_why(error)}; choose another place") from None
    finally:
        tmp.unlink(missing_ok=True)
    return rows


# --- a stored table for a spreadsheet ---------------------------------------------------------

EXCEL_ROWS = 1_048_575  # an Excel sheet's rows under its header
MONEY_COLUMNS = frozenset(  # amounts in the shop's currency, in the raw and derived tables
    {
        "acquisition_cost",
        "amount",
        "cost",
        "revenue",
        "margin",
        "revenue_12m",
        "margin_12m",
        "avg_order_value",
        "btyd_monetary",
        "predicted_clv_12m",
    }
)
SHARE_COLUMNS = frozenset({"p_alive", "churn_risk"})  # probabilities, 0..1
STAR_COLUMNS = frozenset({"stars"})
_WHOLE_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")
_WHOLE_TYPES += ("UINTEGER", "UBIGINT")
_NUMBER_TYPES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")


def column_kind(name: str, sql_type: str) -> str:
    """The kind (KINDS) a stored column is written as in a spreadsheet: by its name for
    money (MONEY_COLUMNS), shares (SHARE_COLUMNS) and stars, else by its SQL type: whole
    numbers as counts, other numbers as ratios, a DATE as a day, a TIMESTAMP as a time, the
    rest (text, true/false) as text."""
    kind = sql_type.upper()
    if name in STAR_COLUMNS:
        return STARS
    if name in MONEY_COLUMNS:
        return MONEY
    if name in SHARE_COLUMNS:
        return PERCENT
    if kind.startswith(_WHOLE_TYPES):
        return COUNT
    if kind.startswith(_NUMBER_TYPES):
        return RATIO
    if kind == "DATE":
        return DATE
    if kind.startswith("TIMESTAMP"):
        return DATETIME
    return TEXT


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[Column]:
    """The columns of stored `table` as a spreadsheet export describes them: headed by
    their own names (what the import reads back), each of its `column_kind`."""
    described = con.execute(f"describe select * from {_ident(table)}").fetchall()
    return [Column(name, name, column_kind(name, sql_type)) for name, sql_type, *_ in described]


def table_about(con: duckdb.DuckDBPyConnection, table: str, rows: int) -> About:
    """What an export of stored `table` depends on: the table and its rows, the as-of date
    of the last build (what the derived tables hold), the days the raw table covers, the
    active star rule set, the currency and the time of export (UTC)."""
    import datetime as dt

    from core import db, settings
    from core import stars as core_stars

    built = db.built_as_of(con)
    span = db.day_span(con, table) if table in db.DATED_COLUMNS else None
    saved = core_stars.active_rules(con)
    rule_set = "built-in default" if saved.version == 0 else saved.name
    return About(
        "About",
        (
            ("Table", table),
            ("Rows", f"{rows:,}"),
            ("As of (last build)", built.isoformat() if built else "not built yet"),
            ("Data from", f"{span[0]} to {span[1]}" if span else "not applicable"),
            ("Star rule set", f"{rule_set}, version {saved.version}"),
            ("Currency", settings.get(con, "currency") or "not set"),
            ("Exported at", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ),
    )


def _ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _why(error: Exception) -> str:
    """The cause of a failed write in a few words."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    text = str(error).lower()
    for cause in ("permission denied", "read-only file system", "no space left on device"):
        if cause in text:
            return cause
    return str(error).splitlines()[0]


def _with_index_as_columns(df: pd.DataFrame) -> pd.DataFrame:
    """`df` copied, its index turned into columns when it is named."""
    if any(name is not None for name in df.index.names):
        return df.reset_index()
    return df.copy()


def _neutral_cell(value: object) -> object:
    """`value` with a leading `'` if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return ESCAPE + value
    return value


def _neutralise_series(s: pd.Series) -> pd.Series:
    """A text column neutralised; other columns returned unchanged."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        starts = s.str.startswith(FORMULA_PREFIXES, na=False)
        return s.where(~starts, ESCAPE + s)
    if s.dtype == object:
        return s.map(_neutral_cell)
    return s


def _excel_ready(s: pd.Series) -> pd.Series:
    """A column openpyxl can write: naive timestamps, text without control characters."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_localize(None)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s.str.replace(_ILLEGAL_XLSX, "", regex=True)
    if s.dtype == object:
        return s.map(lambda v: _ILLEGAL_XLSX.sub("", v) if isinstance(v, str) else v)
    return s


def _sheet_name(name: str) -> str:
    """A valid Excel sheet name: no []:*?/\\ and at most 31 characters."""
    cleaned = _SHEET_FORBIDDEN.sub("_", name).strip("'")[:31]
    return cleaned or SHEET_NAME
