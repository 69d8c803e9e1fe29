"""The customer models more than one page uses, cached once, and why a model cannot run.

The purchase model in use (`core.value.purchase_model_in_use`) + Gamma-Gamma come from the
build on its as-of date (`core build` stores them) and are fitted here for another date,
once per (as-of date, data version), with words of progress; either is kept as a resource
(a frame per customer that is never changed): the Value page shows them, the Churn risk
page values its warning list with them. The value knobs recompute from cached parts
(`core.value.customer_base`, `model_values`) without refitting. A model that cannot run
comes back as a `Reason`, cached like a result, so a thin database is not refitted on every
rerun, and `reason_text` words it in the page's language.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import db, value
from core.clv import ModelFitError, Reason
from core.value import ValueModels, ValueSettings
from ui import data
from ui import format as fmt
from ui.i18n import current_language, t


def models(as_of: dt.date, version: int) -> ValueModels | Reason:
    """The purchase model and Gamma-Gamma as of `as_of`, or why they cannot be fitted: as the build
    stored them on its date, else fitted here (saying so while it runs)."""
    stored = _stored_models(as_of, version)
    if stored is not None:
        return stored
    with st.spinner(
        t(
            "models.progress_fitting",
            model=purchase_model_label(version),
            as_of=as_of,
            customers=customers_text(version),
            built=built_as_of(version) or "–",
        )
    ):
        return _fitted_models(as_of, version)


def purchase_model_label(version: int) -> str:
    """The purchase model the pages fit and the build's P(alive) comes from, as the page
    writes it (Pareto/NBD on the demo)."""
    return t(f"model_choice.name_{_purchase_model(version)}")


@st.cache_data(max_entries=4, show_spinner=False)
def _purchase_model(version: int) -> str:
    return value.purchase_model_in_use(data.cursor())


@st.cache_resource(max_entries=4, show_spinner=False)
def _stored_models(as_of: dt.date, version: int) -> ValueModels | Reason | None:
    return value.stored_value_models(data.cursor(), as_of)


@st.cache_resource(max_entries=4, show_spinner=False)
def _fitted_models(as_of: dt.date, version: int) -> ValueModels | Reason:
    try:
        return value.fit_value_models(data.cursor(), as_of)
    except ModelFitError as error:
        return error.reason


@st.cache_data(max_entries=16, show_spinner=False)
def defaults(as_of: dt.date, version: int) -> value.ValueDefaults:
    """The data's margin and retention as of `as_of`, the value knobs' starting point (as
    the build stored them on its date)."""
    con = data.cursor()
    return value.stored_value_defaults(con, as_of) or value.value_defaults(con, as_of)


@st.cache_resource(max_entries=4, show_spinner=False)
def customer_base(as_of: dt.date, version: int) -> value.CustomerBase | None:
    """Who each valued customer is and the formula inputs (read-only), None when the
    models did not fit."""
    fitted = models(as_of, version)
    if isinstance(fitted, Reason):
        return None
    con = data.cursor()
    return value.customer_base(con, fitted, value.stored_customer_inputs(con, as_of))


def model_values(
    as_of: dt.date, horizon_months: int, discount_rate_annual: float, version: int
) -> value.ModelValues:
    """What the models say per customer over the horizon at the discount rate (margin 1)."""
    with st.spinner(
        t(
            "models.progress_values",
            months=horizon_months,
            discount=f"{discount_rate_annual:.0%}",
            customers=customers_text(version),
        )
    ):
        return _model_values(as_of, horizon_months, discount_rate_annual, version)


@st.cache_resource(max_entries=8, show_spinner=False)
def _model_values(
    as_of: dt.date, horizon_months: int, discount_rate_annual: float, version: int
) -> value.ModelValues:
    return value.model_values(models(as_of, version), horizon_months, discount_rate_annual)


@st.cache_resource(max_entries=4, show_spinner=False)
def customer_values(as_of: dt.date, settings: ValueSettings, version: int) -> pd.DataFrame | None:
    """Each customer's value under `settings` (read-only), None when the models did not fit:
    from the cached parts, so margin and years retained cost no model run."""
    base = customer_base(as_of, version)
    if base is None:
        return None
    fitted = model_values(as_of, settings.horizon_months, settings.discount_rate_annual, version)
    return value.priced_values(base, fitted, settings)


@st.cache_data(max_entries=8, show_spinner=False)
def built_as_of(version: int) -> dt.date | None:
    """The as-of date of the last build: what it stored for the pages is for that day."""
    return db.built_as_of(data.cursor())


def customers_text(version: int) -> str:
    """The number of customers in the database, for the words of a progress message."""
    return fmt.count(data.data_state(version).customers, current_language())


def reason_text(reason: Reason) -> str:
    """Why a model (value, churn, loyalty) cannot run, in the current language: the catalog
    words its code (`value.reason_<code>`, `churn.reason_<code>`, `loyalty.reason_<code
    without loyalty_>`); a code without words keeps core's sentence."""
    values = dict(reason.values)
    if "period" in values:
        values["period"] = t(f"churn.period_{values['period']}")
    if reason.code.startswith("loyalty_"):
        key = f"loyalty.reason_{reason.code.removeprefix('loyalty_')}"
    elif reason.code.startswith("churn_"):
        key = f"churn.reason_{reason.code}"
    else:
        key = f"value.reason_{reason.code}"
    try:
        return t(key, **values)
    except KeyError:
        return reason.message
