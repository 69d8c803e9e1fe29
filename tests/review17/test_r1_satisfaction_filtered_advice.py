"""Review 17 (R1): when the filters choose customers who have not answered a survey (the
demo's customers who signed up in its last week), the Satisfaction page tells the reader to
import feedback with CSAT or NPS scores, though the database holds thousands of answers:
the advice is for an empty feedback table, not for a filter (ui/satisfaction.py trends())."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP


def test_a_filter_without_answers_does_not_ask_to_import_feedback(demo_db, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    con = db.connect(demo_db)
    answers = con.execute("select count(*) from feedback where csat is not null").fetchall()[0][0]
    con.close()
    assert answers > 1000
    with without_legacy_pages_mode():
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["joined_from"] = "2026-11-15"
        at.query_params["joined_to"] = "2026-11-17"
        at.run()
        at.switch_page("pages/satisfaction.py").run()
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not at.exception
    assert "**8** of 3,000" in next(m.value for m in at.main.markdown if "-badge[" in m.value)
    told = [box.value for box in at.main.info]
    assert not any("import feedback" in text for text in told), told
