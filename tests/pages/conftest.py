"""AppTest runs app.py in this process: point it at a database and start with cold caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode

APP = str(Path(__file__).resolve().parent.parent.parent / "app.py")


def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_on(monkeypatch):
    """`app_on(path)` -> an AppTest of app.py on the database at `path`, already run once."""
    _clear_caches()

    def start(path, lang: str | None = None) -> AppTest:
        monkeypatch.setenv(db.ENV_VAR, str(path))
        at = AppTest.from_file(APP, default_timeout=60)
        if lang:
            at.query_params["lang"] = lang
        return at.run()

    with without_legacy_pages_mode():
        yield start
    _clear_caches()
