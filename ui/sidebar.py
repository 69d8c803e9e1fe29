"""The shared sidebar: language and as-of date, and the presentation switches
(presentation mode, its dark theme, masking personal data), kept while moving between
pages and in the address (`ui.session`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from ui import data, privacy, session
from ui.i18n import LANGUAGES, current_language, t


@dataclass(frozen=True)
class Context:
    """What every page needs to know: language, as-of date, the data and its version, and
    the currency its amounts are in (an ISO code; None: not set, amounts without a symbol)."""

    lang: str
    as_of: dt.date
    version: int
    state: data.DataState
    currency: str | None = None


def init_language() -> None:
    """Take the view from the address on a first visit (a reload, a shared link): its
    language, as-of date and switches (`ui.session`)."""
    session.read_address(LANGUAGES)
    if "lang" not in st.session_state:
        st.session_state["lang"] = current_language()


# The widgets keep their value under their own keys and copy it to `lang` / `as_of` / a
# switch when changed: a widget can be redrawn under a new identity (see ui/frame.py), and
# its default then comes from the copy, so the choice survives. The frame writes the
# address after the sidebar (`ui.session.write_address`).
def _language_changed() -> None:
    st.session_state["lang"] = st.session_state["sidebar_lang"]


def _as_of_changed() -> None:
    st.session_state["as_of"] = st.session_state["sidebar_as_of"]


def _switch_changed(name: str) -> None:
    st.session_state[name] = st.session_state[f"sidebar_{name}"]


def _language_input() -> None:
    options = list(LANGUAGES)
    st.selectbox(
        t("sidebar.language"),
        options=options,
        index=options.index(current_language()),
        format_func=LANGUAGES.get,
        key="sidebar_lang",
        on_change=_language_changed,
    )


def _as_of_input(state: data.DataState) -> dt.date:
    first, last = state.first_day, state.last_day
    if first is None:
        return dt.date.today()
    chosen = st.session_state.get("as_of")
    if not isinstance(chosen, dt.date) or not first <= chosen <= last:
        chosen = st.session_state["as_of"] = state.default_day
    st.date_input(
        t("sidebar.as_of"),
        value=chosen,
        min_value=first,
        max_value=last,
        key="sidebar_as_of",
        on_change=_as_of_changed,
        help=t("sidebar.as_of_help"),
    )
    return chosen


def _switch(name: str) -> None:
    st.toggle(
        t(f"sidebar.{name}"),
        value=session.switch_on(name),
        key=f"sidebar_{name}",
        on_change=_switch_changed,
        args=(name,),
        help=t(f"sidebar.{name}_help"),
    )


def _switches() -> None:
    """Presentation mode (with its dark theme under it) and masking personal data. When
    masking is forced (presentation mode), a switch of another key shows it on and locked,
    so the user's own choice comes back as it was when presentation mode ends."""
    _switch(session.PRESENT)
    if session.switch_on(session.PRESENT):
        _switch(session.DARK)
    if privacy.masking_forced():
        st.toggle(
            t(f"sidebar.{session.MASK}"),
            value=True,
            key="sidebar_mask_forced",
            disabled=True,
            help=t("sidebar.mask_forced"),
        )
    else:
        _switch(session.MASK)


def render_language_only() -> None:
    """The sidebar when there is no database to read: the language switch alone."""
    with st.sidebar:
        _language_input()


def render() -> Context:
    """Draw the sidebar and return the context the pages read with `context()`."""
    version = data.data_version()
    state = data.data_state(version)
    currency = data.currency(version)
    with st.sidebar:
        _language_input()
        as_of = _as_of_input(state)
        if state.first_day is not None:
            st.caption(t("sidebar.data_range", first=state.first_day, last=state.last_day))
        if currency is None and not state.is_empty:
            st.caption(t("currency.unset"))
        _switches()
    ctx = Context(
        lang=current_language(), as_of=as_of, version=version, state=state, currency=currency
    )
    st.session_state["_context"] = ctx
    return ctx


def context() -> Context:
    """The context the sidebar drew on this run."""
    return st.session_state["_context"]
