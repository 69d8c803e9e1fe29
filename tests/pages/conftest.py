"""AppTest runs app.py in this process: point it at a database and start with cold caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from core import db

APP = str(Path(__file__).resolve().parent.parent.parent / "app.py")


def _clear_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def _without_legacy_pages_mode(monkeypatch):
    """AppTest resets `PagesManager.uses_pages_directory` before every run, and with a
    `pages/` folder beside app.py it then runs the page file without app.py on reruns
    (Streamlit's legacy multipage mode). A real server leaves that mode for good at the
    first `st.navigation` call; make AppTest behave the same."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def app_on(monkeypatch):
    """`app_on(path)` -> an AppTest of app.py on the database at `path`, already run once."""
    _clear_caches()
    _without_legacy_pages_mode(monkeypatch)

    def start(path, lang: str | None = None) -> AppTest:
        monkeypatch.setenv(db.ENV_VAR, str(path))
        at = AppTest.from_file(APP, default_timeout=60)
        if lang:
            at.query_params["lang"] = lang
        return at.run()

    yield start
    _clear_caches()
