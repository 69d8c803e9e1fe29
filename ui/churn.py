"""Cached access to churn risk for pages/churn.py, its tables and its export.

The classifier of the build's as-of date and the standard horizons is read as the build
stored it; for another date it is trained once per (as-of date, horizon, data version) with
words of progress, and kept as a resource. A classifier that cannot be trained comes back
as a `Reason`, cached like a result. The warning list values its customers with the value
models of `ui.models`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import churn, value
from core.clv import ModelFitError, Reason
from ui import data, models
from ui.export import About, Column, columns_from_formats, list_about
from ui.i18n import t
from ui.widgets import COUNT, DATE, MONEY, PERCENT, column_config, share_table

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


@st.cache_data(max_entries=16, show_spinner=False)
def risk_distribution(as_of: dt.date, horizon_days: int, version: int) -> pd.DataFrame:
    result = churn_result(as_of, horizon_days, version)
    return churn.risk_histogram(result.scores["churn_risk"])


@st.cache_resource(max_entries=8, show_spinner=False)
def warning_list(as_of: dt.date, horizon_days: int, min_risk: float, version: int) -> pd.DataFrame:
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


def warning_about(ctx, horizon: int, min_risk: int) -> About:
    """The warning list's About sheet: its horizon and minimum risk."""
    return list_about(
        ctx,
        "churn",
        t("churn.list_title"),
        horizon=t("churn.days", days=horizon),
        choices={t("churn.min_risk"): f"{min_risk}%"},
    )


def top_drivers(result: churn.ChurnResult, n: int = DRIVERS_SHOWN) -> pd.DataFrame:
    """The `n` features whose shuffling costs the most AUC."""
    return result.drivers.head(n)


def feature_label(feature: str) -> str:
    """A churn feature in the current language."""
    return t(f"churn.feature_{feature}")
