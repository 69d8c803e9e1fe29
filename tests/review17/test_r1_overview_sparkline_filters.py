"""Review 17 (R1): under a filter the Overview's NPS sparkline uses the whole base's opening
minimum of answers (30), while the Satisfaction page it links to opens its trend with the
chosen customers' minimum (10): the two disagree on which months have a figure."""

from __future__ import annotations

import streamlit as st

from core import db, satisfaction
from core.filters import Filters, chosen_ids


def test_overview_nps_sparkline_is_the_satisfaction_pages_trend_under_a_region(
    demo_db, monkeypatch
):
    from ui import overview as ov

    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    st.cache_data.clear()
    st.cache_resource.clear()
    con = db.connect(demo_db)
    as_of, version = db.built_as_of(con), db.data_version(con)
    chosen = Filters(regions=("Central China",))
    ids = chosen_ids(con, chosen)
    # the Satisfaction page's opening trend of these customers (ui.satisfaction)
    opening = satisfaction.opening_min_answers(con, as_of, customers=ids)
    page = satisfaction.satisfaction_trend(
        con, as_of, "all", months=ov.SPARK_MONTHS, min_answers=opening, customers=ids
    )
    assert page["nps"].notna().sum() >= 3  # the page draws a trend of these months
    try:
        shown = ov.satisfaction_sparkline(as_of, "nps", version, chosen)
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
    assert shown == ov.sparkline(page["nps"])  # None today: no line on the tile
