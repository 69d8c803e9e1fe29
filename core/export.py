"""Exporting a table for a spreadsheet: CSV (UTF-8 with BOM) and Excel bytes, safe to open.

A text cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) would be
evaluated as a formula by Excel or LibreOffice ("CSV injection"): `neutralise` prefixes such
cells with `'`, which spreadsheets treat as plain text. Numbers are never touched, so a
negative amount stays a number.
"""

from __future__ import annotations

import io
import re

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection
ESCAPE = "'"
SHEET_NAME = "export"

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
