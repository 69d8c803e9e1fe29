"""The customer models more than one page uses, cached once, and why a model cannot run.

BG/NBD + Gamma-Gamma are fitted once per (as-of date, data version) and kept as a resource
(they hold a frame per customer that is never changed): the Value page shows them, the
Churn risk page values its warning list with them. A model that cannot run comes back as a
`Reason`, cached like a result, so a thin database is not refitted on every rerun, and
`reason_text` words it in the page's language.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import value
from core.clv import ModelFitError, Reason
from core.value import ValueModels, ValueSettings
from ui import data
from ui.i18n import t


@st.cache_resource(max_entries=4, show_spinner=False)
def models(as_of: dt.date, version: int) -> ValueModels | Reason:
    """BG/NBD and Gamma-Gamma as of `as_of`, or why they cannot be fitted."""
    try:
        return value.fit_value_models(data.cursor(), as_of)
    except ModelFitError as error:
        return error.reason


@st.cache_data(max_entries=16, show_spinner=False)
def defaults(as_of: dt.date, version: int) -> value.ValueDefaults:
    """The data's margin and retention as of `as_of`, the value knobs' starting point."""
    return value.value_defaults(data.cursor(), as_of)


@st.cache_resource(max_entries=4, show_spinner=False)
def customer_values(as_of: dt.date, settings: ValueSettings, version: int) -> pd.DataFrame | None:
    """Each customer's value under `settings` (read-only), None when the models did not fit."""
    fitted = models(as_of, version)
    if isinstance(fitted, Reason):
        return None
    return value.customer_values(data.cursor(), fitted, settings)


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
