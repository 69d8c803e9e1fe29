"""AppTest runs app.py in this process: point it at a database and start with cold caches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from core.build import build
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
        at = AppTest.from_file(APP, default_timeout=600)  # a loaded machine is slower
        if lang:
            at.query_params["lang"] = lang
        return at.run()

    with without_legacy_pages_mode():
        yield start
    _clear_caches()


@pytest.fixture
def page_at(monkeypatch):
    """`page_at(page, path, lang, **params)` -> an AppTest of app.py on the database at
    `path`, in `lang`, with the query parameters `params` (the shared filters), run once
    and switched to `page` (e.g. "pages/loyalty.py")."""
    _clear_caches()

    def start(page: str, path, lang: str = "en", **params) -> AppTest:
        monkeypatch.setenv(db.ENV_VAR, str(path))
        at = AppTest.from_file(APP, default_timeout=600)
        at.query_params["lang"] = lang
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        return at.switch_page(page).run()

    with without_legacy_pages_mode():
        yield start
    _clear_caches()


@pytest.fixture(scope="session")
def own_values_db(demo_db, tmp_path_factory):
    """The demo data with values no catalog knows, as a user's own import may hold: the
    Shanghai customers live in "Springfield" and the JD ones came through "tiktok_live"."""
    path = tmp_path_factory.mktemp("own") / "own.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    con.execute("update customers set city = 'Springfield' where city = 'Shanghai'")
    con.execute(
        "update customers set acquisition_channel = 'tiktok_live' where acquisition_channel = 'jd'"
    )
    build(con)
    con.close()
    return path
