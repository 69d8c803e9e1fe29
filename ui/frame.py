"""The frame around every page: page config, shared sidebar, navigation.

`app.py` calls `frame().run()`. Pages start with `page_context()`, which normally just
reads what the frame drew on this run. Streamlit still has a legacy mode for apps with a
`pages/` folder: on the first request a fresh server gets (if it is for a page's own
address) and on every AppTest rerun, it runs the page file directly without `app.py`. Then
`page_context()` draws the frame itself; its `st.navigation` call switches the legacy
mode off for the rest of the process.
"""

from __future__ import annotations

import streamlit as st

from ui import data, sidebar
from ui.i18n import t
from ui.navigation import PAGES

_FRAME_DRAWN = "_frame_drawn"


def frame():
    """Draw the frame and return the page `st.navigation` chose (the caller runs it)."""
    st.set_page_config(page_title="StarTier", page_icon="★", layout="wide")
    sidebar.init_language()
    if data.default_database_missing():
        with st.spinner(t("demo.building")):
            data.build_demo_data()
    st.sidebar.markdown(f"### ★ {t('app.title')}")
    st.sidebar.caption(t("app.tagline"))
    sidebar.render()
    pages = [
        st.Page(spec.path, title=t(spec.title_key), icon=spec.icon, url_path=spec.url_path)
        for spec in PAGES
    ]
    st.session_state[_FRAME_DRAWN] = True
    return st.navigation(pages)


def page_context() -> sidebar.Context:
    """The language, as-of date and data state for the page being drawn."""
    if not st.session_state.pop(_FRAME_DRAWN, False):
        frame()
        st.session_state.pop(_FRAME_DRAWN, None)
    return sidebar.context()
