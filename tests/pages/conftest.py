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


@pytest.fixture
def thin_db(tmp_path):
    """30 customers over 40 days: too few for any model."""
    path = tmp_path / "thin.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'c' || i, '2024-01-01' from range(30) t(i)"
    )
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 't' || i, 'c' || (i % 30), '2024-01-01'::date + (i % 40)::integer, 10 "
        "from range(60) t(i)"
    )
    con.close()
    return path
