"""Review 17 (R1): in Chinese the region filter shows the demo's regions in English, in the
chips above every page and in the editor ("地区: Northwest"), while its cities and channels
are in Chinese ("城市: 上海"); core/demo.py has the Chinese names (西北) but ui/labels.py has
no region vocabulary."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP


def test_a_region_chip_is_in_chinese(demo_db, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    with without_legacy_pages_mode():
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["region"] = "Northwest"
        at.query_params["city"] = "Xi'an"
        at.query_params["lang"] = "zh"
        at.run()
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not at.exception
    chips = next(m.value for m in at.main.markdown if "-badge[" in m.value)
    assert "城市: 西安" in chips  # the city is in the reader's words
    assert "地区: 西北" in chips and "Northwest" not in chips
