"""Cached access to churn risk for pages/churn.py, its tables and its export.

The classifier of the build's as-of date and the standard horizons is read as the build
stored it; for another date it is trained once per (as-of date, horizon, data version) with
words of progress, and kept as a resource. A classifier that cannot be trained comes back
as a `Reason`, cached like a result. The warning list values its customers with the value
models of `ui.models`.

The shared filters choose the customers the page counts and lists (the risk histogram, the
warning list and its worth); the classifier, its quality and drivers stay the whole base's.
A click on a bar of the histogram opens the customers of that band of risk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial

import pandas as pd
import streamlit as st

from core import churn, value
from core import filters as core_filters
from core.clv import ModelFitError, Reason
from core.filters import NO_FILTERS, Filters
from ui import data, drill, filters, models, report
from ui import format as fmt
from ui.export import About, Column, columns_from_formats, download_buttons, list_about
from ui.i18n import t
from ui.widgets import (
    COUNT,
    DATE,
    MONEY,
    PERCENT,
    column_config,
    customer_table,
    share_table,
)

HORIZONS = (30, 60, 90, 180)  # days of "no purchase in the next N days"
DEFAULT_HORIZON = 90
LIST_ROWS = 200  # rows of the warning list shown on the page; the export has them all
DRIVERS_SHOWN = 10


def churn_result(as_of: dt.date, horizon_days: int, version: int) -> churn.ChurnResult | Reason:
    """The churn classifier as of `as_of` for "no purchase in the next `horizon_days`": as
    the build stored it on its date for the standard horizons, else trained here (saying
    so while it runs)."""
    stored = _stored_result(as_of, horizon_days, version)
    if stored is not None:
        return stored
    words = t(
        "models.progress_churn",
        days=horizon_days,
        as_of=as_of,
        customers=models.customers_text(version),
        built=models.built_as_of(version) or "–",
    )
    with st.spinner(words):
        return _trained_result(as_of, horizon_days, version)


@st.cache_resource(max_entries=8, show_spinner=False)
def _stored_result(
    as_of: dt.date, horizon_days: int, version: int
) -> churn.ChurnResult | Reason | None:
    return churn.stored_churn_result(data.cursor(), as_of, horizon_days)


@st.cache_resource(max_entries=4, show_spinner=False)
def _trained_result(as_of: dt.date, horizon_days: int, version: int) -> churn.ChurnResult | Reason:
    settings = churn.ChurnSettings(horizon_days=horizon_days)
    try:
        return churn.churn_risk(data.cursor(), as_of, settings)
    except ModelFitError as error:
        return error.reason


def scores(
    as_of: dt.date, horizon_days: int, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """The scores (`ChurnResult.scores`) of the customers the filters choose."""
    result = churn_result(as_of, horizon_days, version)
    return core_filters.keep(result.scores, filters.ids(chosen, as_of, version))


@st.cache_data(max_entries=16, show_spinner=False)
def risk_distribution(
    as_of: dt.date, horizon_days: int, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    return churn.risk_histogram(scores(as_of, horizon_days, version, chosen)["churn_risk"])


def warning_list(
    as_of: dt.date,
    horizon_days: int,
    min_risk: float,
    version: int,
    chosen: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """The warning list (`_warning_list`) of the customers the filters choose."""
    whole = _warning_list(as_of, horizon_days, min_risk, version)
    ids = filters.ids(chosen, as_of, version)
    return whole if ids is None else core_filters.keep(whole, ids).reset_index(drop=True)


@st.cache_resource(max_entries=8, show_spinner=False)
def _warning_list(as_of: dt.date, horizon_days: int, min_risk: float, version: int):
    return _valued(as_of, horizon_days, min_risk, version)


def _valued(as_of: dt.date, horizon_days: int, min_risk: float, version: int) -> pd.DataFrame:
    """The warning list: customers at `min_risk` or more, most value at risk first, their
    worth from the value models at the data's defaults (12 months): on the build's date from
    what it stored (only the chosen customers are read), else valued here."""
    stored = churn.stored_warning_list(data.cursor(), as_of, horizon_days, min_risk)
    if stored is not None:
        return stored
    result = churn_result(as_of, horizon_days, version)
    settings = models.defaults(as_of, version).settings()
    customers = models.customer_values(as_of, settings, version)
    if customers is None:
        customers = value.stored_customer_inputs(data.cursor(), as_of)
    return churn.warning_list(result.scores, customers, as_of, min_risk)


# --- tables and labels -----------------------------------------------------------------

POINTS = "%+.0f"  # a change of a share, in percentage points
SHARES = ("p_alive", "churn_risk", "risk_change")
WARNING_FORMATS = {
    "customer_id": None,
    "city": None,
    "acquisition_channel": None,
    "value_at_risk": MONEY,
    "churn_risk": PERCENT,
    "value_if_retained": MONEY,
    "last_purchase_on": DATE,
    "days_since_purchase": COUNT,
    "count_orders": COUNT,
    "risk_change": POINTS,
    "p_alive": PERCENT,
}


def warning_table(
    warning: pd.DataFrame, currency: str | None, rows: int = LIST_ROWS
) -> tuple[pd.DataFrame, dict]:
    """The first `rows` of the warning list with labels, and the column config."""
    shown = share_table(warning.head(rows), WARNING_FORMATS, SHARES)
    config = column_config(WARNING_FORMATS, "churn.col_", currency)
    for name in ("churn_risk", "p_alive"):  # the glossary's explanation on hover
        config[name]["help"] = t(f"glossary.{name}")
    return shown, config


def warning_export(warning: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """The whole warning list for `ui.export.download_buttons`, made when the user clicks."""
    return lambda: warning[list(WARNING_FORMATS)]


def warning_columns(currency: str | None) -> list[Column]:
    """The warning list's exported columns: those of its table (WARNING_FORMATS)."""
    return columns_from_formats(WARNING_FORMATS, "churn.col_", currency)


def warning_about(ctx, horizon: int, min_risk: int, chosen: Filters = NO_FILTERS) -> About:
    """The warning list's About sheet: its horizon, minimum risk and the filters."""
    return list_about(
        ctx,
        "churn",
        t("churn.list_title"),
        horizon=t("churn.days", days=horizon),
        choices={t("churn.min_risk"): f"{min_risk}%"},
        filters=filters.choices(chosen),
    )


# --- a click on the risk histogram opens the band's customers -----------------------------

CLICKED = "churn_band"  # the band of risk whose customers are open (session)
CLICK_ROUND = "churn_click_round"  # raised on closing, to clear the chart's selection


def clicked_band(selection: Mapping | None) -> int | None:
    """The band of risk (its row in `churn.risk_histogram`) a click on the histogram picks,
    from the customdata of the first point selected; None when no point is."""
    custom = next(drill.points({"selection": selection}), None)
    return None if custom is None else int(custom[1])


def band_text(band: int) -> str:
    """The band's range of risk in words, as the histogram's hover writes it: '70% – 75%'."""
    edges = churn.risk_band_edges()
    return f"{edges[band]:.0%} – {edges[band + 1]:.0%}"


@st.cache_data(max_entries=8, show_spinner=False)
def band_list(
    as_of: dt.date, horizon_days: int, band: int, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """The chosen customers in band `band` of risk, with their risk and worth, as the
    warning list has them (most value at risk first)."""
    lower = float(churn.risk_band_edges()[band])
    listed = _valued(as_of, horizon_days, lower, version)
    listed = listed[churn.in_risk_band(listed["churn_risk"], band)]
    ids = filters.ids(chosen, as_of, version)
    return core_filters.keep(listed, ids).reset_index(drop=True)


def clickable() -> dict:
    """The arguments of `report.chart` that make the histogram open a band on a click."""
    key = drill.chart_key("churn_risk_click", CLICK_ROUND)
    return dict(key=key, on_select=partial(_on_click, key), selection_mode="points")


def _on_click(key: str) -> None:
    event = st.session_state.get(key) or {}
    band = clicked_band(event.get("selection"))
    if band is None:
        close_band()
    else:
        st.session_state[CLICKED] = band


def close_band() -> None:
    drill.close(CLICKED, CLICK_ROUND)


def band_section(ctx, horizon: int, chosen: Filters) -> None:
    """The customers of the band clicked (if any), in a box under the histogram: what was
    clicked and how many, a Close button, the list (rows open Customer 360) and its export."""
    band = st.session_state.get(CLICKED)
    if band is None:
        return
    listed = band_list(ctx.as_of, horizon, band, ctx.version, chosen)
    words = band_text(band)
    box = st.container(border=True)
    head = box.container(horizontal=True, vertical_alignment="center")
    count = fmt.count(len(listed), ctx.lang)
    heading = t("churn.band_count", band=words, count=count)
    report.text(f"**{heading}**", container=head)  # the view's report says it too
    head.button(
        t("churn.band_close"), icon=":material/close:", on_click=close_band, key="churn_band_close"
    )
    with box:
        st.caption(t("churn.band_caption", rows=fmt.count(min(len(listed), LIST_ROWS), ctx.lang)))
        if listed.empty:
            return
        table, config = warning_table(listed, ctx.currency)
        customer_table(table, "customer_id", "churn", "churn_band_rows", column_config=config)
        download_buttons(
            warning_export(listed),
            len(listed),
            warning_columns(ctx.currency),
            f"churn-band-{ctx.as_of}",
            sheet=t("churn.export_sheet"),
            about=list_about(
                ctx,
                "churn",
                t("churn.distribution_header"),
                horizon=t("churn.days", days=horizon),
                choices={t("churn.band_clicked"): words},
                filters=filters.choices(chosen),
            ),
        )


def top_drivers(result: churn.ChurnResult, n: int = DRIVERS_SHOWN) -> pd.DataFrame:
    """The `n` features whose shuffling costs the most AUC."""
    return result.drivers.head(n)


def feature_label(feature: str) -> str:
    """A churn feature in the current language."""
    return t(f"churn.feature_{feature}")
