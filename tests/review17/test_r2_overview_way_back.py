"""Review of issue 17 (R2): the Overview's clicked list is lost on the way back from
Customer 360. The Overview reads the clicked star only from the chart's selection (a
widget's state, which Streamlit drops while Customer 360 runs, and which
`ui.widgets.is_plain` does not keep for the way back), whereas Customer value, What to offer
next, Segments, Satisfaction, Churn risk, Loyalty and Lifecycle keep their pick in the
session. A manager who opens a 5-star customer from the list comes back to no list."""

from __future__ import annotations

from tests.pages.conftest import app_on  # noqa: F401 (the fixture)
from ui import overview as ov

MIX_SELECTED = {  # what a click on the 5-star bar of the star mix leaves in its chart's state
    "selection": {"points": [{"customdata": [5]}], "point_indices": [4], "box": [], "lasso": []}
}


def _headings(at) -> list[str]:
    return [m.value for m in at.main.markdown if m.value.startswith("**")]


def test_the_way_back_from_customer_360_keeps_the_clicked_list(app_on, demo_db):  # noqa: F811
    at = app_on(demo_db)
    at.session_state[ov.chart_key(ov.MIX)] = MIX_SELECTED
    at.run()
    listed = _headings(at)
    assert listed and listed[0].startswith("**5★ customers: ")
    at.session_state["overview_mix_rows"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()  # the first row opens Customer 360
    assert at.query_params.get("from") == "overview" and at.query_params.get("customer")
    at.switch_page("pages/overview.py").run()  # the way back
    assert not at.exception
    assert _headings(at)[:1] == listed[:1]
