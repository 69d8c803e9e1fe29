"""Small pieces of page furniture shared by several pages."""

from __future__ import annotations

import streamlit as st

from ui import format as fmt
from ui.i18n import t


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
    options = {"hide_index": True, "width": "stretch", "placeholder": fmt.UNKNOWN, **kwargs}
    return (container or st).dataframe(data, column_config=config or None, **options)
