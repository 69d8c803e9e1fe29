"""Cached access to customer value and churn risk for pages/value.py and pages/churn.py,
and their labels.

The models are fitted once per (as-of date, data version) and kept as resources (they hold
a frame per customer that is never changed); what a page shows is small and cached as data.
A model that cannot run comes back as a `Reason`, cached like a result, so a thin database
is not refitted on every rerun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import churn, clv, export, value
from core.clv import Backtest, ModelFitError, Reason
from core.value import ValueModels, ValueSettings
from ui import data
from ui import format as fmt
from ui.i18n import t
from ui.labels import label, labelled, value_labels

HORIZONS = (3, 6, 12, 24, 36)  # months of predicted value
HOLDOUTS = clv.HOLDOUT_CHOICES  # days of the model-health check, as the history allows
CHURN_HORIZONS = (30, 60, 90, 180)  # days of "no purchase in the next N days"
TOP_CUSTOMERS = 20
LIST_ROWS = 200  # rows of the warning list shown on the page; the export has them all
EXCEL_MAX_ROWS = 100_000  # longer lists export as CSV only


@st.cache_resource(max_entries=4, show_spinner=False)
def models(as_of: dt.date, version: int) -> ValueModels | Reason:
    """BG/NBD and Gamma-Gamma as of `as_of`, or why they cannot be fitted."""
    try:
        return value.fit_value_models(data.cursor(), as_of)
    except ModelFitError as error:
        return error.reason


@st.cache_data(max_entries=16, show_spinner=False)
def defaults(as_of: dt.date, version: int) -> value.ValueDefaults:
    return value.value_defaults(data.cursor(), as_of)


@st.cache_resource(max_entries=4, show_spinner=False)
def _values(as_of: dt.date, settings: ValueSettings, version: int) -> pd.DataFrame | None:
    fitted = models(as_of, version)
    if isinstance(fitted, Reason):
        return None
    return value.customer_values(data.cursor(), fitted, settings)


@st.cache_data(max_entries=16, show_spinner=False)
def totals(as_of: dt.date, settings: ValueSettings, version: int) -> value.ValueTotals:
    return value.value_totals(_values(as_of, settings, version), models(as_of, version), settings)


@st.cache_data(max_entries=16, show_spinner=False)
def groupings(as_of: dt.date, settings: ValueSettings, version: int) -> list[str]:
    return value.groupings(_values(as_of, settings, version))


@st.cache_data(max_entries=32, show_spinner=False)
def by_group(as_of: dt.date, settings: ValueSettings, by: str, version: int) -> pd.DataFrame:
    """CLV per group: star tiers from 5 down, other groupings most valuable first."""
    groups = value.clv_by_group(_values(as_of, settings, version), by)
    if by == "stars":
        groups = groups.sort_values("group", ascending=False, key=_star_order, ignore_index=True)
    return groups


@st.cache_data(max_entries=16, show_spinner=False)
def distribution(as_of: dt.date, settings: ValueSettings, version: int) -> pd.DataFrame:
    return value.distribution(_values(as_of, settings, version), "predicted_clv")


@st.cache_data(max_entries=16, show_spinner=False)
def top_customers(as_of: dt.date, settings: ValueSettings, version: int) -> pd.DataFrame:
    return value.top_customers(
        _values(as_of, settings, version), models(as_of, version), settings, TOP_CUSTOMERS
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def backtest(as_of: dt.date, holdout_days: int, version: int) -> Backtest | Reason:
    """The model-health check whose holdout ends on `as_of`."""
    calibration_end = as_of - dt.timedelta(days=holdout_days)
    try:
        return clv.backtest(data.cursor(), calibration_end, holdout_days)
    except ModelFitError as error:
        return error.reason
    except ValueError as error:  # e.g. the data end before the holdout does
        return Reason("fit_failed", {"detail": str(error)}, str(error))


@st.cache_data(max_entries=16, show_spinner=False)
def formula_totals(as_of: dt.date, version: int) -> value.FormulaTotals:
    """Buyers, orders, average order value and formula CLV at the data's defaults."""
    settings = defaults(as_of, version).settings()
    return value.formula_totals(data.cursor(), as_of, settings)


@st.cache_data(max_entries=16, show_spinner=False)
def holdouts(as_of: dt.date, version: int) -> tuple[tuple[int, ...], int]:
    """(the holdouts the history up to `as_of` allows, its length in days)."""
    days = clv.history_days(data.cursor(), as_of)
    return clv.holdout_choices(days), days


@st.cache_resource(max_entries=4, show_spinner=False)
def churn_result(as_of: dt.date, horizon_days: int, version: int) -> churn.ChurnResult | Reason:
    """The churn classifier as of `as_of` for "no purchase in the next `horizon_days`"."""
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
    worth from the value models at the data's defaults (12 months)."""
    result = churn_result(as_of, horizon_days, version)
    settings = defaults(as_of, version).settings()
    customers = _values(as_of, settings, version)
    if customers is None:
        customers = value.customer_inputs(data.cursor(), as_of)
    return churn.warning_list(result.scores, customers, as_of, min_risk)


# --- labels ----------------------------------------------------------------------------


def reason_text(reason: Reason) -> str:
    """A model's reason for not running, in the current language."""
    values = dict(reason.values)
    if "period" in values:
        values["period"] = t(f"churn.period_{values['period']}")
    section = "churn" if reason.code.startswith("churn_") else "value"
    try:
        return t(f"{section}.reason_{reason.code}", **values)
    except KeyError:
        return reason.message


def group_label(by: str, key) -> str:
    """A group of `by` (stars, segment, acquisition_channel) in the current language;
    `unknown` is the group of customers without a value."""
    if key == "unknown":
        key = None
    if by == "acquisition_channel":
        return label("channel", key)
    if by == "segment":
        return label("segment", key)
    if by == "stars":
        return t("stars.unrated") if pd.isna(key) else t("stars.star_n", n=int(key))
    return str(key)


MONEY = "money"  # a money column: its format comes from the currency
PERCENT = "%.0f%%"  # shares are shown times 100
POINTS = "%+.0f"  # a change of a share, in percentage points
COUNT = "%,d"
SHARES = ("p_alive", "churn_risk", "risk_change")


def _config(prefix: str, formats: dict[str, str | None], currency: str | None) -> dict:
    """Column labels (catalog `<prefix><name>`) and formats for st.dataframe."""
    config = {}
    for name, number_format in formats.items():
        label = t(f"{prefix}{name}")
        if number_format == MONEY:
            number_format = fmt.money_column(currency)
        if number_format is None:
            config[name] = st.column_config.TextColumn(label)
        elif number_format == "date":
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        else:
            config[name] = st.column_config.NumberColumn(label, format=number_format)
    return config


def _shown(frame: pd.DataFrame, formats: dict) -> pd.DataFrame:
    """The columns of `formats`, with shares times 100 and codes as labels."""
    out = frame[list(formats)].copy()
    for name in SHARES:
        if name in out:
            out[name] = out[name] * 100
    return labelled(out)


GROUP_FORMATS = {
    "group": None,
    "customers": COUNT,
    "predicted_clv_total": MONEY,
    "predicted_clv": MONEY,
    "formula_clv": MONEY,
    "aov": MONEY,
    "purchases_per_year": "%.2f",
    "acquisition_cost": MONEY,
    "p_alive": PERCENT,
}
TOP_FORMATS = {
    "customer_id": None,
    "city": None,
    "acquisition_channel": None,
    "last_purchase_on": "date",
    "count_orders": COUNT,
    "p_alive": PERCENT,
    "predicted_clv": MONEY,
    "clv_p5": MONEY,
    "clv_p95": MONEY,
    "formula_clv": MONEY,
}
WARNING_FORMATS = {
    "customer_id": None,
    "city": None,
    "acquisition_channel": None,
    "value_at_risk": MONEY,
    "churn_risk": PERCENT,
    "value_if_retained": MONEY,
    "last_purchase_on": "date",
    "days_since_purchase": COUNT,
    "count_orders": COUNT,
    "risk_change": POINTS,
    "p_alive": PERCENT,
}


def group_table(
    groups: pd.DataFrame, by: str, currency: str | None, cost_known: bool = True
) -> tuple[pd.DataFrame, dict]:
    """The by-group table with labels, and its column config. Without acquisition costs
    (`cost_known` False) that column is unknown, left empty rather than shown as 0."""
    if not cost_known:
        groups = groups.assign(acquisition_cost=float("nan"))
    frame = _shown(groups, GROUP_FORMATS)
    frame["group"] = [group_label(by, g) for g in groups["group"]]
    config = _config("value.gcol_", GROUP_FORMATS, currency)
    config["group"] = st.column_config.TextColumn(t(f"value.by_{by}"))
    return frame, config


def _star_order(keys: pd.Series) -> pd.Series:
    return pd.to_numeric(keys, errors="coerce").fillna(-1)


def top_table(top: pd.DataFrame, currency: str | None) -> tuple[pd.DataFrame, dict]:
    """The top customers with labels, and the column config."""
    return _shown(top, TOP_FORMATS), _config("value.col_", TOP_FORMATS, currency)


def warning_table(
    warning: pd.DataFrame, currency: str | None, rows: int = LIST_ROWS
) -> tuple[pd.DataFrame, dict]:
    """The first `rows` of the warning list with labels, and the column config."""
    shown = _shown(warning.head(rows), WARNING_FORMATS)
    return shown, _config("churn.col_", WARNING_FORMATS, currency)


def warning_export(warning: pd.DataFrame, kind: str, currency: str | None) -> Callable[[], bytes]:
    """The whole warning list for a spreadsheet: labels of the current language (money
    headers with the currency code), shares as fractions (a spreadsheet formats them), made
    only when the user clicks."""
    names = {
        c: fmt.money_header(t(f"churn.col_{c}"), currency) if f == MONEY else t(f"churn.col_{c}")
        for c, f in WARNING_FORMATS.items()
    }
    labels = value_labels(WARNING_FORMATS)
    sheet = t("churn.export_sheet")

    def build() -> bytes:
        frame = labelled(warning[list(WARNING_FORMATS)], names, labels)
        if kind == "csv":
            return export.to_csv_bytes(frame)
        return export.to_excel_bytes(frame, sheet_name=sheet)

    return build


def parameters(fitted: ValueModels) -> pd.DataFrame:
    """The fitted parameters with their standard errors, for the curious."""
    rows = []
    for model, name in ((fitted.bgnbd, "bgnbd"), (fitted.gg, "gamma_gamma")):
        try:
            errors = model.standard_errors
        except ModelFitError:
            errors = {}
        for parameter, estimate in model.params.items():
            rows.append(
                {
                    t("value.param_model"): t(f"value.model_{name}"),
                    t("value.param_name"): parameter,
                    t("value.param_estimate"): f"{estimate:.4g}",
                    t("value.param_se"): f"{errors[parameter]:.2g}" if errors else "–",
                }
            )
    return pd.DataFrame(rows)


DRIVERS_SHOWN = 10


def top_drivers(result: churn.ChurnResult, n: int = DRIVERS_SHOWN) -> pd.DataFrame:
    """The `n` features whose shuffling costs the most AUC."""
    return result.drivers.head(n)


def feature_label(feature: str) -> str:
    """A churn feature in the current language."""
    return t(f"churn.feature_{feature}")
