"""Cached access to the Overview page's figures: the KPI tiles and the monthly trend."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core import overview
from ui import data
from ui.i18n import t

TREND_MONTHS = 36


@st.cache_data(max_entries=64, show_spinner=False)
def kpis(as_of: dt.date, version: int) -> overview.Kpis:
    """The 12 months to `as_of` and the 12 before: customers, revenue, orders..."""
    return overview.overview_kpis(data.cursor(), as_of)


@st.cache_data(max_entries=64, show_spinner=False)
def monthly_revenue(as_of: dt.date, version: int) -> pd.DataFrame:
    """Revenue, orders and customers per month over the TREND_MONTHS up to `as_of`."""
    return overview.monthly_revenue(data.cursor(), as_of, months=TREND_MONTHS)


def points(change: str | None) -> str | None:
    """A change of a share ('+1.2') in percentage points ('+1.2 pts'), None stays None."""
    return t("metric.points", change=change) if change else None
