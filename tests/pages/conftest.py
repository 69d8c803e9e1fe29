"""AppTest runs app.py in this process: point it at a database and start with cold caches."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def opening(monkeypatch, page: str):
    """`with opening(monkeypatch, page) as open_at:` `open_at(path, lang, **params)` -> an
    AppTest of app.py on the database at `path`, in `lang`, with the query parameters
    `params` (the shared filters), run once and switched to `page` (e.g.
    "pages/loyalty.py"); caches cold before and cleared after. For a page's `open_at`
    fixture, which then needs no other fixture than `monkeypatch` (a test outside
    tests/pages can import it)."""
    _clear_caches()

    def start(path, lang: str = "en", **params) -> AppTest:
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
