"""The download buttons under a customer list: CSV always, Excel when the list fits.

A page declares its list's columns once (`columns`, `columns_from_config`,
`columns_from_formats`: the `st.column_config` or formats its table already uses), each with
a kind (core.export.KINDS) and a header in the page's language; the export writes the values
in the page's units, and Excel adds number formats, a frozen header, a filter and an About
sheet (`list_about`: page, list, as-of date, star rule set, horizon, the list's choices,
filters, currency, language, rows and the time of export). CSV keeps its header on the first
row (see core.export), so pandas.read_csv and spreadsheets read it as it is.

A list is built only when the user clicks, on Streamlit's download thread: the caller's
`make` takes beforehand whatever it needs from the session (a cursor); labels of the current
language are taken here, when the buttons are drawn. CSV holds any number of rows. Excel
gets a button when the list fits a sheet (Excel's own limits) and EXCEL_MAX_ROWS: openpyxl
writes an .xlsx cell by cell, about 7,000 rows of a dozen columns a second on an idle core
(50,000 rows: 6.7-7.4 s formatted in write-only mode, 7.4 s unformatted before; 11-22 s on
the 2-core machine under load; most of it is openpyxl's XML writer), so a longer list would
keep the user waiting a minute or more for what the CSV already holds. Beyond it the page
says so in one sentence instead of a button.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import streamlit as st

from core import export, settings
from core import stars as core_stars
from core.export import About, Column
from ui import data, privacy, session
from ui import filters as filters_
from ui import format as fmt
from ui.i18n import LANGUAGES, current_language, t
from ui.labels import labelled, value_labels
from ui.navigation import PAGES

SHEET_ROWS = 1_048_576  # rows of an Excel sheet, the header's included
SHEET_COLUMNS = 16_384  # columns of an Excel sheet
EXCEL_MAX_ROWS = 50_000  # longer lists download as CSV only (see the module's docstring)
CSV_MIME = "text/csv"
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STARS_KEY = "stars"  # a column of this name holds star ratings (1-5), whatever its display


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


# --- the columns of a list -------------------------------------------------------------------


def column(key: str, label: str, kind: str, currency: str | None, digits: int = 2) -> Column:
    """The exported column `key`, named `label` in the current language, with its unit in
    the header as the language writes it: money 'Revenue (GBP)' / '营收（GBP）', a percentage
    'Churn risk (%)' (in Excel the cells show the '%'); a change in percentage points is
    named so by its label ('Risk change (pts)')."""
    lang = current_language()
    if kind == export.MONEY:
        return Column(key, fmt.with_unit(label, currency or "", lang), kind)
    if kind == export.PERCENT:
        return Column(key, fmt.with_unit(label, "%", lang), kind, excel_header=label)
    return Column(key, label, kind, digits=digits)


def columns(
    names: Mapping[str, str], kinds: Mapping[str, str], currency: str | None
) -> list[Column]:
    """The columns `names` (key -> label, in order) with their `kinds` (key -> kind; text
    where not given, stars for a `stars` column)."""
    default = {STARS_KEY: export.STARS}
    return [
        column(key, label, kinds.get(key, default.get(key, export.TEXT)), currency)
        for key, label in names.items()
    ]


_DECIMALS = re.compile(r"%,?\.(\d)f")


def kind_of(key: str, config: Mapping | None) -> tuple[str, int]:
    """The kind (and the decimals of a ratio) of a column shown with `config`, one value of
    a `st.column_config` mapping: a date or datetime column; a number column by its format
    (`fmt.money_column`, 'percent' or '%...%%' for a share the table shows times 100,
    '%+...' for points, '%d' for a count, '%.Nf' for a ratio); a `stars` column holds
    stars; any other column is text."""
    if key == STARS_KEY:
        return export.STARS, 0
    options = (config or {}).get("type_config") or {}
    kind = options.get("type")
    if kind in ("date", "datetime"):
        return (export.DATE if kind == "date" else export.DATETIME), 0
    if kind != "number":
        return export.TEXT, 0
    number_format = options.get("format") or ""
    if number_format.startswith(fmt.MONEY_FORMAT):
        return export.MONEY, 2
    if number_format == "percent" or number_format.endswith("%%"):
        return export.PERCENT, 1
    if number_format.startswith("%+"):
        return export.POINTS, 1
    if number_format.endswith("d"):
        return export.COUNT, 0
    found = _DECIMALS.fullmatch(number_format)
    return export.RATIO, int(found.group(1)) if found else 2


def columns_from_config(config: Mapping[str, Mapping | None], currency: str | None) -> list[Column]:
    """The exported columns of a table shown with `config` (a `st.column_config` mapping, as
    the page passes it to its table): same order, same labels, kinds from the formats;
    a hidden column (None) is left out."""
    found = []
    for key, shown in config.items():
        if shown is None:
            continue
        kind, digits = kind_of(key, shown)
        found.append(column(key, shown.get("label") or key, kind, currency, digits))
    return found


def columns_from_formats(
    formats: Mapping[str, str | None], prefix: str, currency: str | None
) -> list[Column]:
    """The exported columns of a table declared by `formats` (as `ui.widgets.column_config`
    takes them: name -> None, DATE, MONEY or a number format; headed by `<prefix><name>`)."""
    from ui.widgets import column_config  # widgets draws tables; exports only read its config

    return columns_from_config(column_config(formats, prefix, currency), currency)


# --- what the list depends on ----------------------------------------------------------------


def rule_set_text(con) -> str:
    """The active star rule set as 'name, version n' (the built-in default: version 0)."""
    saved = core_stars.active_rules(con)
    name = t("stars.builtin") if saved.version == 0 else saved.name
    return t("export.rule_set_value", name=name, version=saved.version)


def list_about(
    ctx,
    page: str,
    list_title: str,
    *,
    horizon: str | None = None,
    choices: Mapping[str, str] | None = None,
    filters: Mapping[str, str] | None = None,
) -> About:
    """The About sheet of a list on `page` (its url path) titled `list_title`, as the page
    shows it now (`ctx`: as-of date, currency, language): the star rule set in force, the
    `horizon` (words, e.g. '90 days'), what the user chose for this list (`choices`: label
    -> value) and the shared `filters` (label -> value; the session's, `ui.filters.choices`,
    when not given). The time of export is added when the file is made."""
    spec = next((p for p in PAGES if p.url_path == page), None)
    none = t("export.none")

    def listed(pairs: Mapping[str, str]) -> str:
        return "; ".join(f"{k}: {v}" for k, v in pairs.items()) or none

    rows = (
        (t("export.about_page"), t(spec.title_key) if spec else page),
        (t("export.about_list"), list_title),
        (t("export.about_as_of"), ctx.as_of.isoformat()),
        (t("export.about_rule_set"), rule_set_text(data.cursor())),
        (t("export.about_horizon"), horizon or t("export.not_applicable")),
        (t("export.about_choices"), listed(choices or {})),
        (t("export.about_filters"), listed(filters_.choices() if filters is None else filters)),
        (t("export.about_currency"), ctx.currency or t("export.currency_unset")),
        (t("export.about_language"), LANGUAGES.get(ctx.lang, ctx.lang)),
    )
    return About(t("export.about_sheet"), rows)


def _stamp(about: About, rows: int) -> Callable[[], About]:
    """`about` with the list's rows and, when called, the time of export in the shop's time
    zone (labels and zone read now, on the script's thread)."""
    zone = settings.get(data.cursor(), "timezone") or "UTC"
    counted = about.with_row(t("export.about_rows"), f"{rows:,}")
    label = t("export.about_exported")

    def stamped() -> About:
        now = dt.datetime.now(zoneinfo.ZoneInfo(zone))
        return counted.with_row(label, f"{now:%Y-%m-%d %H:%M} ({zone})")

    return stamped


# --- the buttons -----------------------------------------------------------------------------


def list_files(
    make: Callable[[], pd.DataFrame],
    rows: int,
    described: int | Sequence[Column],
    sheet: str = export.SHEET_NAME,
    about: About | None = None,
) -> tuple[Callable[[], bytes], Callable[[], bytes], int]:
    """The CSV and Excel makers of a list and its number of columns. With its `Column`s,
    `make` gives the list's own columns (codes, shares, amounts) and the export writes
    them; with a number of columns (`described`), `make` gives the table as written.
    Personal data (name, phone, e-mail) are masked when the session masks them now."""
    make = privacy.masked_maker(make)
    if isinstance(described, int):
        return (
            lambda: export.to_csv_bytes(make()),
            lambda: export.to_excel_bytes(make(), sheet_name=sheet),
            described,
        )
    described = list(described)
    labels = value_labels([c.key for c in described if c.kind == export.TEXT])
    stamped = _stamp(about, rows) if about is not None else lambda: None

    def table() -> pd.DataFrame:
        return labelled(make(), labels=labels)

    return (
        lambda: export.list_csv_bytes(table(), described),
        lambda: export.list_excel_bytes(table(), described, stamped(), sheet),
        len(described),
    )


def download_buttons(
    make: Callable[[], pd.DataFrame],
    rows: int,
    columns: int | Sequence[Column],
    name: str,
    *,
    sheet: str = export.SHEET_NAME,
    about: About | None = None,
) -> None:
    """A "Download CSV" button and, when the list fits (`excel_fits`), a "Download Excel"
    one, for the list `make` builds on click (`rows` long, known beforehand); files
    `<name>.csv` and `<name>.xlsx`. `columns`: the list's `Column`s (then the export writes
    the values in the page's units and Excel gets the `about` sheet), or for a table `make`
    gives ready to write, its number of columns. An empty list gets disabled buttons; a
    list too long for Excel gets the CSV button and a sentence saying why there is no
    Excel one."""
    to_csv, to_excel, width = list_files(make, rows, columns, sheet, about)
    row = st.container(horizontal=True, vertical_alignment="center")
    empty = rows == 0
    row.download_button(
        t("export.csv"),
        data=to_csv,
        file_name=f"{name}.csv",
        mime=CSV_MIME,
        on_click="ignore",
        icon=":material/download:",
        disabled=empty,
        key=f"{name}_csv",
    )
    if not excel_fits(rows, width):
        if not session.switch_on(session.PRESENT):  # there the buttons are hidden
            row.caption(no_excel_text(rows, current_language()))
        return
    row.download_button(
        t("export.excel"),
        data=to_excel,
        file_name=f"{name}.xlsx",
        mime=EXCEL_MIME,
        on_click="ignore",
        icon=":material/download:",
        disabled=empty,
        key=f"{name}_xlsx",
    )
