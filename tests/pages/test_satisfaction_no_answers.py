"""Satisfaction under filters whose customers have not answered (the demo's customers who
signed up in its last days): the trend says the chosen customers have none and how to widen
the filters, in both languages, not to import feedback the database holds."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP
from ui.i18n import load_catalog


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chosen_customers_without_answers_are_told_to_widen_the_filters(demo_db, monkeypatch, lang):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    words = load_catalog(lang)
    with without_legacy_pages_mode():
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["lang"] = lang
        at.query_params["joined_from"] = "2026-11-15"
        at.query_params["joined_to"] = "2026-11-17"
        at.run()
        at.switch_page("pages/satisfaction.py").run()
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not at.exception
    told = [box.value for box in at.main.info]
    assert words["satisfaction.no_answers_chosen"] in told, told
    assert words["satisfaction.no_answers"] not in told
