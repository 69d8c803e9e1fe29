"""Review 17 (R1): a link naming only the end of the sign-up range (`?joined_to=...`,
"signed up until") draws the date widget with that day as the range's START; the next
change of any other filter copies the widget back and the filter becomes "signed up from"
that day (ui/filters.py `editor` / `_changed`)."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from core.filters import Filters
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP


def test_a_link_until_a_day_stays_until_that_day_when_a_region_is_chosen(demo_db, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    end = dt.date(2024, 6, 30)
    with without_legacy_pages_mode():
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["joined_to"] = end.isoformat()
        at.run()
        assert not at.exception
        assert at.query_params.get("joined_to") == end.isoformat()
        at.multiselect(key="filter_regions_en").set_value(["East China"]).run()
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not at.exception
    kept = at.session_state["filters"]
    assert kept == Filters(regions=("East China",), joined_to=end)  # today: joined_from=end
