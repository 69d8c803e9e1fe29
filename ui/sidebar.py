"""The shared sidebar: language and as-of date, kept while moving between pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from ui import data
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, t


@dataclass(frozen=True)
class Context:
    """What every page needs to know: language, as-of date, the data and its version."""

    lang: str
    as_of: dt.date
    version: int
    state: data.DataState


def init_language() -> None:
    """Take the language from `?lang=` on a first visit, so links keep their language."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = current_language()


def _sync_language() -> None:
    lang = st.session_state["lang"]
    if lang == DEFAULT_LANGUAGE:
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = lang


def _as_of_input(state: data.DataState) -> dt.date:
    first, last = state.first_day, state.last_day
    if first is None:
        return dt.date.today()
    chosen = st.session_state.get("as_of")
    if not isinstance(chosen, dt.date) or not first <= chosen <= last:
        st.session_state["as_of"] = last
    return st.date_input(
        t("sidebar.as_of"),
        min_value=first,
        max_value=last,
        key="as_of",
        help=t("sidebar.as_of_help"),
    )


def render() -> Context:
    """Draw the sidebar and return the context the pages read with `context()`."""
    version = data.data_version()
    state = data.data_state(version)
    with st.sidebar:
        st.selectbox(
            t("sidebar.language"),
            options=list(LANGUAGES),
            format_func=LANGUAGES.get,
            key="lang",
            on_change=_sync_language,
        )
        as_of = _as_of_input(state)
        if state.first_day is not None:
            st.caption(t("sidebar.data_range", first=state.first_day, last=state.last_day))
    ctx = Context(lang=current_language(), as_of=as_of, version=version, state=state)
    st.session_state["_context"] = ctx
    return ctx


def context() -> Context:
    """The context the sidebar drew on this run."""
    return st.session_state["_context"]
