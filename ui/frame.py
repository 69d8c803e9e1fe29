"""The frame around every page: page config, shared sidebar, navigation.

`app.py` calls `frame().run()`. Pages start with `page_context()`, which normally just
reads what the frame drew on this run. Streamlit still has a legacy mode for apps with a
`pages/` folder: on the first request a fresh server gets (if it is for a page's own
address) and on every AppTest rerun, it runs the page file directly without `app.py`. Then
`page_context()` draws the frame itself; its `st.navigation` call switches the legacy
mode off for the rest of the process.

The view (language, as-of date, presentation switches, the shared filters) is written into
the address after the sidebar, and every menu link carries it (`ui.session`); presentation
mode's style sheet is drawn here, once for every page (`ui.theme.page_style`), and so are
the filters' chips above the page (`ui.filters`).

A database that cannot be opened (being written by `python -m core build`, truncated,
damaged, written by a newer StarTier...) is met here, once for every page: the page shows
the one sentence `core.db` words for it (what is wrong and what to do) and a button to try
again, never a stack.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from core import db
from ui import data, filters, navigation, report, session, sidebar, theme
from ui import format as fmt
from ui.i18n import DEFAULT_LANGUAGE, t

_FRAME_DRAWN = "_frame_drawn"
UNFILTERED = ("glossary", "")  # no customer shown (the root only opens the first page)
_LEGACY_RERUN = "_legacy_rerun"


def unavailable_reason(error: Exception) -> str | None:
    """The one sentence for an error that is about the database file (None for others)."""
    if isinstance(error, db.DatabaseUnavailable):
        return error.reason
    if isinstance(error, duckdb.Error):
        return db.damage_reason(db.default_path(), error)
    return None


def show_unavailable(reason: str) -> None:
    """The page for a database that cannot be used now: the reason and a retry; stops."""
    st.title(t("unavailable.title"))
    st.error(
        t("unavailable.body", reason=fmt.plain_outside_code(reason)),
        icon=":material/database_off:",
    )
    if st.button(t("unavailable.retry"), icon=":material/refresh:"):
        st.rerun()
    st.stop()


class _GuardedPage:
    """The page `st.navigation` chose, run so that losing the database mid-page (a file
    damaged or locked after it was opened) ends in the same sentence as at the start."""

    def __init__(self, page):
        self._page = page

    def run(self) -> None:
        try:
            with report.recording(self._page.title, self._page.url_path):  # and offers it
                self._page.run()
        except (db.DatabaseUnavailable, duckdb.Error) as error:
            reason = unavailable_reason(error)
            if reason is None:
                raise
            show_unavailable(reason)

    def __getattr__(self, name):
        return getattr(self._page, name)


def frame():
    """Draw the frame and return the page `st.navigation` chose (the caller runs it)."""
    st.set_page_config(page_title="StarTier", page_icon="★", layout="wide")
    theme.install()  # Plotly's default template is StarTier's
    sidebar.init_language()
    st.sidebar.markdown(f"### ★ {t('app.title')}")
    st.sidebar.caption(t("app.tagline"))
    menu = st.sidebar.container()  # the pages' links, under the name, above the controls
    try:
        if data.default_database_missing():
            with st.spinner(t("demo.building")):
                data.build_demo_data()
        ctx = sidebar.render()
        with st.sidebar:
            filters.editor(ctx)
    except (db.DatabaseUnavailable, duckdb.Error) as error:
        reason = unavailable_reason(error)
        if reason is None:
            raise
        sidebar.render_language_only()
        show_unavailable(reason)
    session.write_address(session.view_params(DEFAULT_LANGUAGE, ctx.state.default_day))
    theme.show_page_style()
    st.session_state[_FRAME_DRAWN] = True
    page = navigation.navigate(t, menu)
    if page.url_path not in UNFILTERED and not ctx.state.is_empty:
        filters.chips(ctx)  # stops the page when no customer is left
    return _GuardedPage(page)


def page_context() -> sidebar.Context:
    """The language, as-of date and data state for the page being drawn.

    In the legacy mode the page runs once without `app.py`: its widgets then have another
    identity than on every later run, so what a user types first would be lost. The frame
    is drawn (switching the mode off) and the run starts again, once a session, through
    `app.py`."""
    if not st.session_state.pop(_FRAME_DRAWN, False):
        frame()
        st.session_state.pop(_FRAME_DRAWN, None)
        if not st.session_state.get(_LEGACY_RERUN):
            st.session_state[_LEGACY_RERUN] = True
            st.rerun()
    return sidebar.context()
