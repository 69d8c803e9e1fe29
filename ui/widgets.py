"""Small pieces of page furniture shared by several pages."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import data
from ui import format as fmt
from ui.i18n import current_language, t
from ui.labels import labelled


def change_metric(
    column,
    label: str,
    value: str,
    change: str | None,
    *,
    covered: bool,
    help: str | None = None,
    border: bool = True,
) -> None:
    """A figure with its change against the previous 12 months in `column`; when the data do
    not cover that period (`covered` false), the words that there is no earlier period
    instead, since a change against part of a year would mislead; an unknown figure gets
    neither."""
    if value == fmt.UNKNOWN:
        column.metric(label, value, help=help, border=border)
    elif covered:
        column.metric(
            label,
            value,
            change,
            help=help,
            delta_description=t("metric.vs_previous"),
            border=border,
        )
    else:
        column.metric(
            label,
            value,
            t("metric.no_previous"),
            delta_color="off",
            delta_arrow="off",
            help=help,
            border=border,
        )


def show_table(
    data,
    *,
    container=None,
    money: tuple[str, ...] = (),
    currency: str | None = None,
    column_config: dict | None = None,
    **kwargs,
):
    """`st.dataframe` as every page shows a table: no index, the page's width, an unknown
    value shown as "–" (never "None"), and the `money` columns in the database's currency
    (unless `column_config` formats them already)."""
    money_format = fmt.money_column(currency)
    config = {name: st.column_config.NumberColumn(name, format=money_format) for name in money}
    config.update(column_config or {})
    config, amounts = fmt.money_columns(config)
    if amounts and isinstance(data, pd.DataFrame):  # written by fmt.money_cell, sorted as numbers
        data = fmt.money_table(data, amounts, current_language())
    options = {"hide_index": True, "width": "stretch", "placeholder": fmt.UNKNOWN, **kwargs}
    return (container or st).dataframe(data, column_config=config or None, **options)


MONEY = "money"  # a column format: money in the database's currency
DATE = "date"  # a column format: a day
PERCENT = "%.0f%%"  # a share, shown times 100 (`share_table`)
COUNT = "%,d"


def column_config(formats: dict[str, str | None], prefix: str, currency: str | None) -> dict:
    """`st.column_config` for the columns of `formats` (name -> None for text, DATE, MONEY or
    a number format), each headed by the catalog's `<prefix><name>`."""
    config = {}
    for name, number_format in formats.items():
        heading = t(f"{prefix}{name}")
        if number_format is None:
            config[name] = st.column_config.TextColumn(heading)
        elif number_format == DATE:
            config[name] = st.column_config.DateColumn(heading, format="YYYY-MM-DD")
        else:
            if number_format == MONEY:
                number_format = fmt.money_column(currency)
            config[name] = st.column_config.NumberColumn(heading, format=number_format)
    return config


def share_table(frame: pd.DataFrame, formats: dict, shares: tuple[str, ...]) -> pd.DataFrame:
    """The columns of `formats` of `frame`, codes as labels (city, channel...) and the
    `shares` (0..1) times 100, for a table whose format adds the "%"."""
    out = frame[list(formats)].copy()
    for name in shares:
        if name in out:
            out[name] = out[name] * 100
    return labelled(out)


def missing_inputs(
    version: int, results: tuple[str, ...], margin_assumed: bool = False
) -> list[str]:
    """One sentence per input that `results` (core.build.RESULTS names) lack in the last
    build, in the current language: what is missing, what it changes, what to import.
    Without costs, a page whose figures use a gross margin the user sets (`margin_assumed`)
    says so; the others say revenue stands in for margin."""
    found = data.missing_inputs(version)  # result -> code of why it is empty, or None
    codes: list[str] = []
    for name in results:
        code = found.get(name)
        if code and code.startswith("no_") and code not in codes:
            codes.append(code)
    if margin_assumed:
        codes = ["no_cost_assumed" if code == "no_cost" else code for code in codes]
    return [t(f"inputs.{code}") for code in codes]


def show_missing_inputs(
    version: int, results: tuple[str, ...], margin_assumed: bool = False
) -> None:
    """The `missing_inputs` sentences as notes, one per missing input."""
    for sentence in missing_inputs(version, results, margin_assumed):
        st.info(sentence, icon=":material/database:")


def choice(
    label: str,
    options,
    default,
    *,
    key: str,
    format_func=None,
    help: str | None = None,
    container=None,
):
    """A segmented control that always holds one of `options`, and that choice: it opens on
    `default` (the first option when `default` is not one of them), and a click on the chosen
    option keeps it (Streamlit would deselect it and return None). None only when there are
    no options."""
    options = list(options)
    if not options:
        return None
    if default not in options:
        default = options[0]
    chosen = (container or st).segmented_control(
        label,
        options,
        default=default,
        required=True,
        format_func=format_func or str,
        key=key,
        help=help,
    )
    return chosen if chosen in options else default
