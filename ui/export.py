"""The download buttons under a customer list: CSV always, Excel when the list fits.

A list is built only when the user clicks, on Streamlit's download thread: the caller's
`make` takes beforehand whatever it needs from the session (a cursor, the labels of the
current language). CSV holds any number of rows. Excel gets a button when the list fits a
sheet (Excel's own limits) and EXCEL_MAX_ROWS: openpyxl writes an .xlsx cell by cell, about
ten thousand rows of a dozen columns a second on an idle core (50,000 rows took 26 s on a
loaded 2-core machine), so a longer list would keep the user waiting a minute or more for
what the CSV already holds. Beyond it the page says so in one sentence instead of a button.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import export
from ui import format as fmt
from ui.i18n import current_language, t

SHEET_ROWS = 1_048_576  # rows of an Excel sheet, the header's included
SHEET_COLUMNS = 16_384  # columns of an Excel sheet
EXCEL_MAX_ROWS = 50_000  # longer lists download as CSV only (see the module's docstring)
CSV_MIME = "text/csv"
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_fits(rows: int, columns: int) -> bool:
    """True when a list of `rows` rows and `columns` columns gets an Excel download: it fits
    a sheet under its header and is at most EXCEL_MAX_ROWS long."""
    return rows <= min(EXCEL_MAX_ROWS, SHEET_ROWS - 1) and columns <= SHEET_COLUMNS


def no_excel_text(rows: int, lang: str) -> str:
    """Why a list of `rows` rows has no Excel button, and that the CSV has every row."""
    return t(
        "export.no_excel",
        rows=fmt.count(rows, lang),
        limit=fmt.count(EXCEL_MAX_ROWS, lang),
    )


def download_buttons(
    make: Callable[[], pd.DataFrame],
    rows: int,
    columns: int,
    name: str,
    *,
    sheet: str = export.SHEET_NAME,
) -> None:
    """A "Download CSV" button and, when the list fits (`excel_fits`), a "Download Excel"
    one, for the list `make` builds on click (`rows` x `columns`, known beforehand); files
    `<name>.csv` and `<name>.xlsx`. An empty list gets disabled buttons; a list too long for
    Excel gets the CSV button and a sentence saying why there is no Excel one."""
    row = st.container(horizontal=True, vertical_alignment="center")
    empty = rows == 0
    row.download_button(
        t("export.csv"),
        data=lambda: export.to_csv_bytes(make()),
        file_name=f"{name}.csv",
        mime=CSV_MIME,
        on_click="ignore",
        icon=":material/download:",
        disabled=empty,
        key=f"{name}_csv",
    )
    if not excel_fits(rows, columns):
        row.caption(no_excel_text(rows, current_language()))
        return
    row.download_button(
        t("export.excel"),
        data=lambda: export.to_excel_bytes(make(), sheet_name=sheet),
        file_name=f"{name}.xlsx",
        mime=EXCEL_MIME,
        on_click="ignore",
        icon=":material/download:",
        disabled=empty,
        key=f"{name}_xlsx",
    )
