"""Review 17 (R1): Customer 360 keeps the list page's choices for the way back
(`ui.customer.keep_list_choices`), and they include the filter editor's widgets of the
language the list was picked in ("filter_cities_en"). After a language switch on Customer
360 that widget is not drawn, so it is saved again every run with the value of the pick:
a city changed in Chinese is shown as the old city once back in English, while the chips
say the new one, and the next change of any filter copies the stale widget back (the city
filter silently reverts)."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP
from ui.widgets import LIST_CHOICES


def _chips(at) -> str:
    return next((m.value for m in at.main.markdown if "-badge[" in m.value), "")


def test_a_city_changed_on_customer_360_in_chinese_stays_changed_in_english(demo_db, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    con = db.connect(demo_db)
    customer = con.execute("select min(customer_id) from customers").fetchall()[0][0]
    con.close()
    with without_legacy_pages_mode():
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["city"] = "Shanghai"
        at.run()
        # what a row picked in the Overview's list keeps for the way back (its public keys)
        kept = {k: at.session_state[k] for k in ("filter_cities_en",)}
        assert kept == {"filter_cities_en": ["Shanghai"]}
        at.session_state[LIST_CHOICES] = ("overview", kept)
        at.switch_page("pages/customer.py")
        at.query_params["customer"] = customer
        at.query_params["from"] = "overview"
        at.run()
        at.selectbox(key="sidebar_lang").set_value("zh").run()
        at.multiselect(key="filter_cities_zh").set_value(["Beijing"]).run()
        assert "城市: 北京" in _chips(at)
        at.selectbox(key="sidebar_lang").set_value("en").run()
        assert "City: Beijing" in _chips(at)
        shown = at.multiselect(key="filter_cities_en").value
        at.multiselect(key="filter_stars_en").set_value([1]).run()
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not at.exception
    assert shown == ["Beijing"]  # today: ['Shanghai']
    assert "City: Beijing" in _chips(at)  # today: back to Shanghai
