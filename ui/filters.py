"""The shared filters on screen: chosen in the sidebar, shown as chips above every page, kept
in the session and the address (`ui.session`), and turned into the chosen customers' ids
that the pages count, sum, chart and list (`core.filters` says what a filter means).

A page passes `current()` to its cached functions (the filters are part of the cache key)
and, inside, keeps the rows of `ids(...)`: `core.filters.keep(frame, ids(chosen, as_of,
version))`, or a SQL semi-join through `core.filters.chosen_relation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from core import filters as core_filters
from core import stars
from core.filters import Filters
from ui import data, labels, session
from ui import format as fmt
from ui.i18n import current_language, t

KINDS = ("regions", "cities", "channels", "stars", "value_tiers")  # chosen from a list
JOINED = "joined"  # the sign-up range's widget
_FIRST_JOINED = "_filters_first_joined"  # the data's first sign-up day, as the editor drew it


def current() -> Filters:
    """The session's filters (none set: `core.filters.NO_FILTERS`)."""
    return session.filters()


@st.cache_data(max_entries=8, show_spinner=False)
def options(version: int) -> core_filters.FilterOptions:
    return core_filters.filter_options(data.cursor())


@st.cache_resource(max_entries=4, show_spinner=False)
def ratings(as_of: dt.date, version: int) -> pd.DataFrame:
    """Every customer's stars (0: not rated) and value tier as of `as_of` under the active
    rules, as the Stars page rates them (read-only: do not modify)."""
    con = data.cursor()
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    return pd.DataFrame(
        {
            "customer_id": base.frame["customer_id"].to_numpy(dtype=object),
            "stars": rated,
            "value_tier": stars.value_tier(rated, rules),
        }
    )


@st.cache_resource(max_entries=16, show_spinner=False)
def _ids(chosen: Filters, as_of: dt.date, version: int) -> np.ndarray:
    rated = ratings(as_of, version) if chosen.rated else None
    ids = core_filters.chosen_ids(data.cursor(), chosen, rated)
    ids.flags.writeable = False
    return ids


def ids(chosen: Filters, as_of: dt.date, version: int) -> np.ndarray | None:
    """The chosen customers' ids, sorted (read-only); None when `chosen` filters nothing."""
    if not chosen.active:
        return None
    return _ids(chosen, as_of, version)


# --- in words -----------------------------------------------------------------------------


# the labels' vocabulary of the kinds whose values are codes (ui.labels)
VOCABULARY = {
    "regions": "region",
    "cities": "city",
    "channels": "channel",
    "value_tiers": "value_tier",
}


def _words(kind: str, values) -> dict:
    """Each of `values` in the reader's words, made now (see `_multiselect`)."""
    return {v: labels.label(VOCABULARY[kind], v) for v in values}


def _kind_label(kind: str) -> str:
    return t(f"filters.{kind}")


def _value_words(kind: str, values) -> str:
    if kind == "stars":
        return ", ".join(t("filters.star_value", stars=v) for v in values)
    vocabulary = VOCABULARY.get(kind)
    if vocabulary:
        return ", ".join(labels.label(vocabulary, v) for v in values)
    return ", ".join(str(v) for v in values)


def _joined_words(chosen: Filters) -> str | None:
    start, end = chosen.joined_from, chosen.joined_to
    if start and end:
        return t("filters.joined_between", start=start, end=end)
    if start:
        return t("filters.joined_since", start=start)
    if end:
        return t("filters.joined_until", end=end)
    return None


def choices(chosen: Filters | None = None) -> dict[str, str]:
    """The filters (the session's when `chosen` is None) as {label: values} in the reader's
    language, for an export's About sheet and a report's caption; {} when none is set."""
    chosen = current() if chosen is None else chosen
    words = {
        _kind_label(kind): _value_words(kind, getattr(chosen, kind))
        for kind in KINDS
        if getattr(chosen, kind)
    }
    joined = _joined_words(chosen)
    if joined:
        words[t("filters.joined")] = joined
    return words


def scope_caption(chosen: Filters, shown: int | None = None) -> str | None:
    """One line naming the filters (and how many customers they leave, when `shown` is
    given); None when no filter is set."""
    if not chosen.active:
        return None
    named = "; ".join(f"{k}: {v}" for k, v in choices(chosen).items())
    if shown is None:
        return t("filters.scope", filters=named)
    return t("filters.scope_count", filters=named, customers=fmt.count(shown, current_language()))


# --- the sidebar's editor -------------------------------------------------------------------


WORDED = ("regions", "cities", "channels", "stars", "value_tiers")  # in the reader's language


def _widget_key(kind: str) -> str:
    """The widget of a kind whose values are shown in words has a key per language: a
    multiselect keeps its choice as the words shown, which a language switch would no
    longer find among its options (the new language's widget starts from the session's
    filters)."""
    if kind in WORDED:
        return f"filter_{kind}_{current_language()}"
    return f"filter_{kind}"


def _changed(kind: str) -> None:
    """Copy the widget of `kind` into the session's filters (the other kinds stay as they
    are, those whose widget is not drawn too)."""
    chosen = current()
    if kind == JOINED:
        days = st.session_state.get(_widget_key(JOINED)) or ()
        days = tuple(days) if isinstance(days, list | tuple) else (days,)
        start = days[0] if len(days) > 0 else None
        end = days[1] if len(days) > 1 else None
        if start == _first_joined() and chosen.joined_from is None and end is not None:
            start = None  # the range a link "until a day" is shown with, kept as it was
        chosen = replace(chosen, joined_from=start, joined_to=end)
    else:
        chosen = replace(chosen, **{kind: tuple(st.session_state.get(_widget_key(kind)) or ())})
    session.keep_filters(chosen)


def _first_joined() -> dt.date | None:
    return st.session_state.get(_FIRST_JOINED)


def _forget_widgets() -> None:
    """Drop the editor's widget values, so they are drawn again from the session's filters
    (after a chip is removed, or all are cleared)."""
    for key in [k for k in st.session_state if str(k).startswith("filter_")]:
        del st.session_state[key]


def clear(kinds: tuple[str, ...] | None = None) -> None:
    """Clear the filters of `kinds` (Filters' fields; all when None)."""
    chosen = current()
    names = kinds or (*KINDS, "joined_from", "joined_to")
    session.keep_filters(chosen.without(*names))
    _forget_widgets()


def _multiselect(kind: str, offered, chosen: Filters, words=None) -> None:
    """A multiselect of `offered` values, shown as they are or by `words` (value -> words,
    made now: the widget shows and keeps them in the language of this run)."""
    picked = [v for v in getattr(chosen, kind) if v in offered]
    # values the address named that the data do not have stay chosen, shown as they are
    unknown = [v for v in getattr(chosen, kind) if v not in offered]
    shown = {v: str(v) for v in unknown} | dict(words or {v: str(v) for v in offered})
    st.multiselect(
        _kind_label(kind),
        options=[*offered, *unknown],
        default=picked + unknown,
        format_func=shown.__getitem__,
        key=_widget_key(kind),
        on_change=_changed,
        args=(kind,),
        placeholder=t("filters.any"),
    )


def editor(ctx) -> None:
    """The filters' widgets, in an expander of the sidebar (open while a filter is set)."""
    if ctx.state.customers == 0:
        return
    chosen = current()
    offered = options(ctx.version)
    with st.expander(t("filters.title"), expanded=chosen.active, icon=":material/filter_alt:"):
        if offered.regions:
            _multiselect("regions", offered.regions, chosen, _words("regions", offered.regions))
        if offered.cities:
            cities = offered.cities
            if chosen.regions:  # the cities of the chosen regions, then the others'
                near = [c for r in chosen.regions for c in offered.cities_by_region.get(r, ())]
                cities = tuple(dict.fromkeys([*near, *cities]))
            _multiselect("cities", cities, chosen, _words("cities", cities))
        if offered.channels:
            _multiselect("channels", offered.channels, chosen, _words("channels", offered.channels))
        if ctx.state.transactions:
            star_words = {v: t("filters.star_value", stars=v) for v in stars.STARS}
            _multiselect("stars", stars.STARS, chosen, star_words)
            tiers = stars.VALUE_TIERS
            _multiselect("value_tiers", tiers, chosen, _words("value_tiers", tiers))
        missing = [
            _kind_label(k) for k in ("regions", "cities", "channels") if not getattr(offered, k)
        ]
        if missing:
            st.caption(t("filters.not_in_data", kinds=", ".join(missing)))
        if offered.first_joined is not None:
            # a range "until a day" is shown from the first sign-up (a range input's one
            # day is its start)
            start = chosen.joined_from or (offered.first_joined if chosen.joined_to else None)
            picked = tuple(d for d in (start, chosen.joined_to) if d is not None)
            st.session_state[_FIRST_JOINED] = offered.first_joined
            st.date_input(
                t("filters.joined"),
                value=picked,
                min_value=min((offered.first_joined, *picked)),
                max_value=max((offered.last_joined, *picked)),
                key=_widget_key(JOINED),
                on_change=_changed,
                args=(JOINED,),
                help=t("filters.joined_help"),
            )
        st.caption(t("filters.help"))


# --- the chips above a page -----------------------------------------------------------------


def _chip(text: str) -> str:
    escaped = text.replace("[", "(").replace("]", ")")
    return f":blue-badge[{escaped}]"


def chips(ctx) -> np.ndarray | None:
    """Above the page: the filters as chips, how many customers they leave, and a button
    that clears them; when none is left, a message and the page stops. Returns the chosen
    ids (None: no filter)."""
    chosen = current()
    if not chosen.active:
        return None
    chosen_ids = ids(chosen, ctx.as_of, ctx.version)
    count = len(chosen_ids)
    words = " ".join(_chip(f"{k}: {v}") for k, v in choices(chosen).items())
    line, button = st.columns([6, 1], vertical_alignment="center")
    total = fmt.count(ctx.state.customers, ctx.lang)
    line.markdown(
        f"{words} {t('filters.count', customers=fmt.count(count, ctx.lang), total=total)}"
    )
    button.button(
        t("filters.clear"),
        icon=":material/filter_alt_off:",
        on_click=clear,
        key="filters_clear",
        width="stretch",
    )
    if count == 0:
        st.info(t("filters.none_match"), icon=":material/filter_alt_off:")
        st.stop()
    return chosen_ids
