"""What a user chose on one page that other pages follow, kept for the browser session.

The Lifecycle page's stage rules (when a buyer counts as new, at risk, churned) also decide
the stages the Satisfaction page shows: both read them here, and neither page's module
imports the other's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.filters import NO_FILTERS, Filters
from core.lifecycle import DEFAULT_RULES, LifecycleRules
from core.stars import VALUE_TIERS
from ui.i18n import t

_LIFECYCLE_RULES = "lifecycle_rules"


def lifecycle_rules() -> LifecycleRules:
    """The stage rules chosen on the Lifecycle page in this session, else the defaults."""
    return st.session_state.get(_LIFECYCLE_RULES, DEFAULT_RULES)


def lifecycle_rules_choices(rules: LifecycleRules) -> dict[str, str]:
    """The stage rules as label -> value for an export's About sheet, in the Lifecycle
    page's words: a list whose customers are put in stages says under which rules."""
    return {t(f"lifecycle.rule_{name}"): f"{getattr(rules, name):g}" for name in RULES}


def keep_lifecycle_rules(rules: LifecycleRules) -> None:
    """Keep `rules` as the session's stage rules, and put them in the address at once (the
    frame wrote it before the page chose them): a reload then shows the same stages."""
    st.session_state[_LIFECYCLE_RULES] = rules
    if get_script_run_ctx(suppress_warning=True) is None:
        return
    kept = st.session_state.get(_VIEW_PARAMS, {})
    write_address({**{k: v for k, v in kept.items() if k not in RULES}, **rule_params(rules)})


# --- the view in the address ----------------------------------------------------------------
# What makes a view the same view for another reader: the language, the as-of date, the
# presentation switches (presentation mode, its dark theme, masking) and the Lifecycle page's
# stage rules (the Overview's funnel and the Satisfaction page follow them). They live in the
# session under these keys and in the address as `?lang=zh&as_of=2026-06-30&present=1...`,
# each stage rule that differs from its default under its own name (`at_risk_min_days=30`);
# read from the address once a session (a first visit, a reload, a shared link), written
# back after every run, and carried by every link between pages (`link_params`). Streamlit
# clears an address's query parameters when a page link or `st.switch_page` is given none
# (`query_params=None`, its default), which is how `?lang=zh` was lost on the first click.
# The shared filters (`core.filters`) join as one parameter per kind, repeated for each value
# (`?region=North&region=East&stars=5&joined_from=2025-01-01`).

LANG = "lang"
AS_OF = "as_of"
PRESENT = "present"  # presentation mode
DARK = "dark"  # presentation mode's dark theme
MASK = "mask"  # personal data masked (ui/privacy.py)
SWITCHES = (PRESENT, DARK, MASK)
RULES = tuple(f.name for f in fields(LifecycleRules))  # the stage rules' names
# the filters' kinds (Filters' fields) and their query parameters
FILTER_PARAMS = {
    "regions": "region",
    "cities": "city",
    "channels": "channel",
    "stars": "stars",
    "value_tiers": "tier",
    "joined_from": "joined_from",
    "joined_to": "joined_to",
}
_FILTERS = "filters"
_ADDRESS_READ = "_address_read"
_ON = "1"


def _parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read_address(languages) -> None:
    """Take the view from the address into the session, once a session: a language of
    `languages`, an ISO as-of day (checked against the data by the sidebar) and the
    switches (`1` is on). Anything else in the address is ignored."""
    state = st.session_state
    if state.get(_ADDRESS_READ):
        return
    state[_ADDRESS_READ] = True
    params = st.query_params
    if params.get(LANG) in languages:
        state[LANG] = params[LANG]
    day = _parse_day(params.get(AS_OF))
    if day is not None:
        state[AS_OF] = day
    for switch in SWITCHES:
        if switch in params:
            state[switch] = params[switch] == _ON
    rules = _parse_rules(params)
    if rules is not None:
        state[_LIFECYCLE_RULES] = rules
    state[_FILTERS] = parse_filters(params)


def _parse_rules(params) -> LifecycleRules | None:
    """The stage rules the address names (the others at their defaults), or None when it
    names none or they are not valid rules (a number out of range, rules that clash)."""
    named = {name: params[name] for name in RULES if name in params}
    if not named:
        return None
    try:
        values = {
            name: type(getattr(DEFAULT_RULES, name))(float(text)) for name, text in named.items()
        }
        return replace(DEFAULT_RULES, **values)
    except (ValueError, OverflowError):  # not a number, out of range, clashing; infinity
        return None


def rule_params(rules: LifecycleRules) -> dict[str, str]:
    """The stage rules that differ from the defaults, as query parameters."""
    return {
        name: f"{getattr(rules, name):g}"
        for name in RULES
        if getattr(rules, name) != getattr(DEFAULT_RULES, name)
    }


def parse_filters(params) -> Filters:
    """The filters the address names (`params`: `st.query_params` or a dict of lists);
    a value that cannot be one (a star of 7, a day that is not one) is left out."""

    def values(kind: str) -> list[str]:
        name = FILTER_PARAMS[kind]
        found = params.get_all(name) if hasattr(params, "get_all") else params.get(name, [])
        found = [found] if isinstance(found, str) else list(found)
        return list(dict.fromkeys(v for v in found if v.strip()))  # unique, in order

    stars = tuple(sorted({int(v) for v in values("stars") if v in {"1", "2", "3", "4", "5"}}))
    tiers = tuple(v for v in values("value_tiers") if v in VALUE_TIERS)
    days = {
        kind: _parse_day(next(iter(values(kind)), None)) for kind in ("joined_from", "joined_to")
    }
    return Filters(
        regions=tuple(values("regions")),
        cities=tuple(values("cities")),
        channels=tuple(values("channels")),
        stars=stars,
        value_tiers=tiers,
        **days,
    )


def filter_params(chosen: Filters) -> dict[str, str | list[str]]:
    """The filters as query parameters: a list of values per kind that filters, a day for
    each end of the sign-up range that is set."""
    params: dict[str, str | list[str]] = {}
    for kind, name in FILTER_PARAMS.items():
        value = getattr(chosen, kind)
        if isinstance(value, dt.date):
            params[name] = value.isoformat()
        elif value:
            params[name] = [str(v) for v in value]
    return params


def filters() -> Filters:
    """The session's shared filters (none with no session: a test or a notebook)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return NO_FILTERS
    return st.session_state.get(_FILTERS, NO_FILTERS)


def keep_filters(chosen: Filters) -> None:
    """Keep `chosen` as the session's filters (the frame writes the address after the
    sidebar, where they are chosen)."""
    st.session_state[_FILTERS] = chosen


def switch_on(name: str) -> bool:
    """True when the switch `name` (PRESENT, DARK, MASK) is on in this session (off with no
    session: a chart built in a test or a notebook)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return False
    return bool(st.session_state.get(name, False))


def view_params(default_lang: str, default_as_of: dt.date | None) -> dict[str, str | list[str]]:
    """The session's view as query parameters. The as-of day is always written once the
    data have days (`default_as_of` is not None): the data's default day moves with the next
    load, so a link without it would open on another day. Left out is what a fresh visit
    gets anyway: the default language unless the address names it already, switches that
    are off (the dark theme unless presentation mode is on: it is part of that mode), stage
    rules at their defaults."""
    state = st.session_state
    params: dict[str, str | list[str]] = {}
    lang = state.get(LANG)
    if lang and (lang != default_lang or LANG in st.query_params):
        params[LANG] = lang
    as_of = state.get(AS_OF)
    if isinstance(as_of, dt.date) and default_as_of is not None:
        params[AS_OF] = as_of.isoformat()
    for switch in SWITCHES:
        if switch_on(switch) and (switch != DARK or switch_on(PRESENT)):
            params[switch] = _ON
    params.update(rule_params(lifecycle_rules()))
    params.update(filter_params(filters()))
    return params


_VIEW_PARAMS = "_view_params"


def write_address(params: dict[str, str | list[str]]) -> None:
    """Make the address show the view `params` (from `view_params`), keeping its other
    parameters (the customer in view, the way back), and remember them for `link_params`."""
    st.session_state[_VIEW_PARAMS] = params
    address = st.query_params
    for key in (LANG, AS_OF, *SWITCHES, *RULES, *FILTER_PARAMS.values()):
        if key in params:
            wanted = params[key]
            now = address.get_all(key) if isinstance(wanted, list) else address.get(key)
            if now != wanted:
                address[key] = wanted
        elif key in address:
            del address[key]


def link_params(**extra: str) -> dict[str, str | list[str]]:
    """The query parameters of a link to another page: the view (as the frame last wrote
    it) and `extra` (a customer, the way back)."""
    return {**st.session_state.get(_VIEW_PARAMS, {}), **extra}
