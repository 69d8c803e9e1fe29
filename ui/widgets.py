"""Small pieces of page furniture shared by several pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ui import data, report, session
from ui import format as fmt
from ui.i18n import current_language, t
from ui.labels import labelled


@dataclass(frozen=True)
class Tile:
    """One KPI tile as every page shows it: a label, the figure already formatted, what it
    means (`help`), a change (`delta`, with Streamlit's colour, arrow and description
    options) and a line written under it (`caption`)."""

    label: str
    value: str
    help: str | None = None
    delta: str | None = None
    delta_color: str = "normal"
    delta_arrow: str = "auto"
    delta_description: str | None = None
    caption: str | None = None
    chart_data: list[float] | None = None  # a sparkline under the figure (st.metric draws it)
    chart_type: str = "line"


def change_tile(
    label: str,
    value: str,
    change: str | None,
    *,
    covered: bool,
    help: str | None = None,
    caption: str | None = None,
    chart_data: list[float] | None = None,
) -> Tile:
    """A tile with its change against the previous 12 months; when the data do not cover
    that period (`covered` false), the words that there is no earlier period instead, since
    a change against part of a year would mislead; an unknown figure gets neither.
    `chart_data`: the figure's monthly values for a sparkline (None: none)."""
    if value == fmt.UNKNOWN:
        return Tile(label, value, help, caption=caption, chart_data=chart_data)
    if covered:
        return Tile(
            label,
            value,
            help,
            delta=change,
            delta_description=t("metric.vs_previous"),
            caption=caption,
            chart_data=chart_data,
        )
    return Tile(
        label,
        value,
        help,
        delta=t("metric.no_previous"),
        delta_color="off",
        delta_arrow="off",
        caption=caption,
        chart_data=chart_data,
    )


def metric_row(tiles, columns: int | None = None, *, container=None) -> None:
    """The `tiles` side by side, bordered, each with its caption under it: all in one row, or
    `columns` to a row (a short last row keeps the width of the others); `columns=1` stacks
    them in `container` (a column beside a chart)."""
    tiles = list(tiles)
    if not tiles:
        return
    where = container or st
    report.tiles(tiles)  # before they are drawn: kept where the first one stands
    per_row = columns or len(tiles)
    for start in range(0, len(tiles), per_row):
        row = tiles[start : start + per_row]
        places = [where] * len(row) if per_row == 1 else where.columns(per_row)
        for place, tile in zip(places, row, strict=False):
            place.metric(
                tile.label,
                tile.value,
                tile.delta,
                tile.delta_color,
                help=tile.help,
                border=True,
                delta_arrow=tile.delta_arrow,
                delta_description=tile.delta_description,
                chart_data=tile.chart_data,
                chart_type=tile.chart_type,
            )
            if tile.caption:
                with report.unrecorded():  # the report's tile holds it
                    place.caption(tile.caption)


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
    report.table(data, config, amounts, options)
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


# --- a customer list that opens Customer 360 for a row ---------------------------------------

CUSTOMER_PAGE = "pages/customer.py"
CUSTOMER_PARAM = "customer"  # the query parameter of the customer Customer 360 shows
CAME_FROM_PARAM = "from"  # the query parameter of the page to go back to (its url path)
LIST_CHOICES = "_customer_list_choices"  # (page url path, {widget key: value}) at the pick


def customer_link(customer_id: str, came_from: str | None) -> dict[str, str]:
    """The query parameters that open `customer_id` on Customer 360, with the way back to
    `came_from` (a page's url path; None: no way back) and the view kept (`ui.session`)."""
    params = {CUSTOMER_PARAM: str(customer_id)}
    if came_from:
        params[CAME_FROM_PARAM] = came_from
    return session.link_params(**params)


def selected_customer(event, table: pd.DataFrame, column: str) -> str | None:
    """The value of `column` in the row selected in a `st.dataframe` selection event (None
    when no row is selected)."""
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if not rows or rows[0] >= len(table):
        return None
    return str(table[column].iloc[rows[0]])


def is_plain(value) -> bool:
    """True for a value a widget's key can be given again: text, numbers, dates and lists
    of them (not a table's row selection, not an object a page keeps)."""
    if value is None or isinstance(value, str | int | float | bool | dt.date | dt.time):
        return True
    return isinstance(value, list | tuple) and all(is_plain(v) for v in value)


def list_choices(table_key: str) -> dict:
    """The plain values of the session's public keys (the widgets of the page drawn now:
    the list's segment, tier, horizon...), but the row selection of `table_key`."""
    state = st.session_state
    return {
        key: state[key]
        for key in list(state)
        if key != table_key and not str(key).startswith("_") and is_plain(state[key])
    }


def customer_table(
    table: pd.DataFrame,
    id_column: str,
    came_from: str | None,
    key: str,
    keep_choices: bool = True,
    **options,
):
    """`table` as `show_table` shows it, one row selectable: selecting a row opens Customer
    360 for the customer in `id_column` (the shown column's name), with the way back to
    `came_from`; with `keep_choices`, what the page chose is kept (`LIST_CHOICES`) for the
    way back. The selection is kept under `key` while the page runs: a table on Customer
    360 itself needs a key of its own for each customer, or the row selected would be
    selected again in the next customer's table."""
    event = show_table(table, on_select="rerun", selection_mode="single-row", key=key, **options)
    with report.unrecorded():  # a click's hint: nothing to click in the view's report
        st.caption(t("customer.open_hint"))
    chosen = selected_customer(event, table, id_column)
    if chosen is not None:
        if keep_choices and came_from:
            st.session_state[LIST_CHOICES] = (came_from, list_choices(key))
        st.switch_page(CUSTOMER_PAGE, query_params=customer_link(chosen, came_from))
