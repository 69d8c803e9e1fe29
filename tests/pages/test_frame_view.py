"""The view in the address (ui/session.py): language, as-of date and the presentation
switches come from `?lang=&as_of=&present=&dark=&mask=`, are written back when chosen, and go
with every menu link and Customer 360 link, so a reload or a shared link shows the same view."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP
from ui.navigation import PAGES

SMALL_FIRST = dt.date(2024, 1, 1)  # the small shop's first order (tests/conftest.py)


@pytest.fixture
def open_at(monkeypatch):
    """`open_at(path, **params)` -> an AppTest of app.py on the database at `path`, run once
    at the address `?params` (as a reload or a shared link opens it), caches cold."""
    st.cache_data.clear()
    st.cache_resource.clear()

    def start(path, **params):
        monkeypatch.setenv(db.ENV_VAR, str(path))
        at = AppTest.from_file(APP, default_timeout=600)
        for key, value in params.items():
            at.query_params[key] = value
        return at.run()

    with without_legacy_pages_mode():
        yield start
    st.cache_data.clear()
    st.cache_resource.clear()


def _address(at) -> dict[str, str]:
    return {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}


def _menu_params(at) -> list[dict[str, str]]:
    """The query parameters each link of the sidebar's menu carries."""
    return [
        {k: v[-1] for k, v in parse_qs(link.proto.query_string).items()}
        for link in at.sidebar.get("page_link")
    ]


def _a_mid_day(at) -> dt.date:
    """A day in the data's range other than the one a fresh visit opens on."""
    widget = at.date_input(key="sidebar_as_of")
    return widget.min + (widget.max - widget.min) / 2


def test_a_shared_link_opens_its_language_and_as_of_date(open_at, small_db):
    at = open_at(small_db, lang="zh", as_of="2024-03-15")
    assert not at.exception
    assert at.selectbox(key="sidebar_lang").value == "zh"
    assert at.date_input(key="sidebar_as_of").value == dt.date(2024, 3, 15)
    assert at.title[0].value != "Overview"  # the page is in Chinese
    assert _address(at)["lang"] == "zh" and _address(at)["as_of"] == "2024-03-15"
    links = _menu_params(at)
    assert len(links) == len(PAGES)
    assert all(p.get("lang") == "zh" and p.get("as_of") == "2024-03-15" for p in links)


def test_choices_in_the_sidebar_go_into_the_address_and_every_link(open_at, small_db):
    at = open_at(small_db)
    fresh = at.date_input(key="sidebar_as_of").value.isoformat()
    assert "lang" not in _address(at) and _address(at)["as_of"] == fresh
    assert all(p == {"as_of": fresh} for p in _menu_params(at))  # a fresh view: its day only
    day = _a_mid_day(at)
    at.selectbox(key="sidebar_lang").set_value("zh").run()
    at.date_input(key="sidebar_as_of").set_value(day).run()
    assert not at.exception
    assert _address(at)["lang"] == "zh" and _address(at)["as_of"] == day.isoformat()
    assert all(p.get("as_of") == day.isoformat() for p in _menu_params(at))
    at = at.switch_page("pages/churn.py").run()  # moving by the menu keeps the view
    assert not at.exception
    assert _address(at)["lang"] == "zh" and _address(at)["as_of"] == day.isoformat()
    assert at.date_input(key="sidebar_as_of").value == day
    at.selectbox(key="sidebar_lang").set_value("en").run()  # named, once the address has it
    assert _address(at)["lang"] == "en" and _address(at)["as_of"] == day.isoformat()
    assert all(p.get("lang") == "en" for p in _menu_params(at))


@pytest.mark.parametrize("as_of", ["1999-01-01", "not-a-day", "2024-02-30"])
def test_an_as_of_date_outside_the_data_opens_the_usual_day(open_at, small_db, as_of):
    at = open_at(small_db, as_of=as_of, lang="xx")
    assert not at.exception
    shown = at.date_input(key="sidebar_as_of").value
    assert shown > SMALL_FIRST
    assert _address(at)["as_of"] == shown.isoformat()  # the day shown, not the one asked
    assert _address(at).get("lang", "en") == "en"  # an unknown language reads as English


def test_presentation_mode_from_the_address_masks_and_offers_the_dark_theme(open_at, small_db):
    at = open_at(small_db, present="1", dark="1")
    assert not at.exception
    assert at.toggle(key="sidebar_present").value
    assert at.toggle(key="sidebar_dark").value
    forced = at.toggle(key="sidebar_mask_forced")
    assert forced.value and forced.proto.disabled
    style = "\n".join(e.proto.body for e in at.get("html"))
    assert 'data-testid="stSlider"' in style and "display: none" in style
    assert "font-size: 125%" in style and "#0E1422" in style  # large type, dark ground
    assert all(p.get("present") == "1" and p.get("dark") == "1" for p in _menu_params(at))
    at.toggle(key="sidebar_present").set_value(False).run()  # the user's own masking is back
    assert not at.exception
    assert not at.get("html") or "display: none" not in at.get("html")[0].proto.body
    assert not at.toggle(key="sidebar_mask").value
    assert "present" not in _address(at) and "mask" not in _address(at)


def test_the_mask_switch_goes_into_the_address(open_at, small_db):
    at = open_at(small_db)
    at.toggle(key="sidebar_mask").set_value(True).run()
    assert _address(at)["mask"] == "1"
    assert all(p.get("mask") == "1" for p in _menu_params(at))


def _figure_layouts(at) -> list[dict]:
    return [json.loads(chart.proto.spec)["layout"] for chart in at.get("plotly_chart")]


def test_figures_follow_presentation_mode_and_its_dark_theme(open_at, small_db):
    at = open_at(small_db).switch_page("pages/stars.py").run()
    usual = _figure_layouts(at)
    assert usual and all("paper_bgcolor" not in layout for layout in usual)
    at = open_at(small_db, present="1", dark="1").switch_page("pages/stars.py").run()
    assert not at.exception
    dark = _figure_layouts(at)
    assert len(dark) == len(usual) - 2  # the draft's comparison and flows are left out
    for layout in dark:
        assert layout["paper_bgcolor"] == "#0E1422" and layout["font"]["color"] == "#E8ECF5"
        assert layout["font"]["size"] > 13  # large type


def test_the_address_of_a_fresh_view_names_its_as_of_day(open_at, small_db):
    """A link copied today opens on today's day after the next load moves the default."""
    at = open_at(small_db)
    assert not at.exception
    shown = at.date_input(key="sidebar_as_of").value
    assert _address(at).get("as_of") == shown.isoformat()


def test_the_dark_theme_leaves_the_address_with_presentation_mode(open_at, small_db):
    at = open_at(small_db, present="1", dark="1")
    assert _address(at)["dark"] == "1"
    at.toggle(key="sidebar_present").set_value(False).run()
    assert not at.exception
    assert "present" not in _address(at) and "dark" not in _address(at)
    assert all("dark" not in p for p in _menu_params(at))


def _funnel(at) -> list[int]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [spec] = [s for s in specs if s["layout"]["title"]["text"].startswith("Lifecycle funnel on")]
    return spec["data"][0]["x"]


def test_a_reload_of_the_overview_shows_the_same_funnel(open_at, demo_db):
    """The Overview's funnel follows the Lifecycle page's stage rules; they go into the
    address (only those not at their defaults), so a new session at that address (a reload,
    a copied link) shows the same funnel."""
    at = open_at(demo_db, lang="en")
    lifecycle = at.switch_page("pages/lifecycle.py").run()
    lifecycle.number_input(key="lifecycle_rule_at_risk_min_days").set_value(30).run()
    assert _address(lifecycle)["at_risk_min_days"] == "30"
    assert "churned_days" not in _address(lifecycle)
    shown = lifecycle.switch_page("pages/overview.py").run()
    assert not shown.exception
    seen, address = _funnel(shown), _address(shown)
    assert address["at_risk_min_days"] == "30"

    reload = AppTest.from_file(APP, default_timeout=600)  # a new session, same address
    for key, value in address.items():
        reload.query_params[key] = value
    reload.run()
    assert not reload.exception
    assert _funnel(reload) == seen


@pytest.mark.parametrize("days", ["9999", "abc", "inf"])
def test_stage_rules_in_the_address_that_are_not_rules_are_ignored(open_at, small_db, days):
    at = open_at(small_db, at_risk_min_days=days)
    assert not at.exception
    assert "at_risk_min_days" not in _address(at)
