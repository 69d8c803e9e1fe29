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
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import duckdb
import pandas as pd

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

    The format follows the suffix: .csv for a spreadsheet (or exact with `raw`), .xlsx for
    a spreadsheet, .parquet exact. Rows are in key order (the first column). The file is
    written beside `path` first and renamed, so a failed export leaves no half-written file.
    """
    path = Path(path)
    check_target(path, raw)
    suffix = path.suffix.lower()
    query = f"select * from {_ident(table)} order by 1"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if suffix == ".parquet" or raw:
            options = "format parquet" if suffix == ".parquet" else "format csv, header true"
            con.execute(f"copy ({query}) to $path ({options})", {"path": str(tmp)})
            rows = con.execute(f"select count(*) from {_ident(table)}").fetchone()[0]
        else:
            frame = con.execute(query).df()
            data = to_csv_bytes(frame) if suffix == ".csv" else to_excel_bytes(frame, table)
            tmp.write_bytes(data)
            rows = len(frame)
        os.replace(tmp, path)
    except (OSError, duckdb.IOException) as error:
        raise ExportFailed(f"cannot write {path}: {_why(error)}; choose another place") from None
    finally:
        tmp.unlink(missing_ok=True)
    return rows


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
