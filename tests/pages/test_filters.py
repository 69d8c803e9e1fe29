"""The shared filters on screen (ui/filters.py, ui/session.py): chosen in the sidebar, shown
as chips above the page with the customers they leave, written into the address and every
menu link, and read back from a reload or a shared link."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import db
from core.filters import Filters, chosen_ids
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP
from tests.ui.test_export_lists import made  # noqa: F401
from ui import session
from ui.i18n import load_catalog


@pytest.fixture
def open_at(monkeypatch):
    """`open_at(path, **params)` -> app.py run once at `?params` (lists repeat a parameter)."""
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


def _address(at) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def _chips(at) -> str:
    return next((m.value for m in at.main.markdown if "-badge[" in m.value), "")


def _menu_params(at) -> list[dict[str, list[str]]]:
    return [parse_qs(link.proto.query_string) for link in at.sidebar.get("page_link")]


def _expected(path, chosen: Filters) -> int:
    from tests.core.test_filters import _ratings

    con = db.connect(path)
    try:
        ratings = _ratings(con, db.built_as_of(con)) if chosen.rated else None
        return len(chosen_ids(con, chosen, ratings))
    finally:
        con.close()


def _two_regions(path) -> list[str]:
    con = db.connect(path)
    try:
        rows = con.execute("select region from customers group by 1 order by count(*) desc")
        return [r for (r,) in rows.fetchall()][:2]
    finally:
        con.close()


def test_filters_in_the_address_show_as_chips_with_their_count(open_at, demo_db):
    regions = _two_regions(demo_db)
    at = open_at(demo_db, region=regions, stars=["4", "5"])
    assert not at.exception
    expected = _expected(demo_db, Filters(regions=tuple(regions), stars=(4, 5)))
    chips = _chips(at)
    assert all(r in chips for r in regions) and "4 ★, 5 ★" in chips
    assert f"**{expected:,}** of 3,000 customers" in chips
    assert at.multiselect(key="filter_regions_en").value == regions
    assert at.multiselect(key="filter_stars_en").value == [4, 5]
    # every menu link carries them
    for link in _menu_params(at):
        assert link["region"] == regions and link["stars"] == ["4", "5"]


def test_a_choice_in_the_sidebar_reaches_the_address_and_a_reload_keeps_it(open_at, demo_db):
    at = open_at(demo_db)
    assert _chips(at) == ""
    region = _two_regions(demo_db)[1]
    at.multiselect(key="filter_regions_en").set_value([region]).run()
    at.multiselect(key="filter_value_tiers_en").set_value(["high"]).run()
    start, end = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    at.date_input(key="filter_joined").set_value((start, end)).run()
    assert not at.exception
    address = _address(at)
    assert address["region"] == [region] and address["tier"] == ["high"]
    assert address["joined_from"] == [start.isoformat()]
    assert address["joined_to"] == [end.isoformat()]
    chosen = Filters(regions=(region,), value_tiers=("high",), joined_from=start, joined_to=end)
    count = f"**{_expected(demo_db, chosen):,}** of"
    assert count in _chips(at)
    # a reload (or the link copied and opened elsewhere) shows the same view
    again = open_at(demo_db, **address)
    assert not again.exception
    assert count in _chips(again) and _address(again) == address
    assert again.date_input(key="filter_joined").value == (start, end)


def test_clearing_removes_the_chips_and_the_parameters(open_at, demo_db):
    at = open_at(demo_db, stars=["5"], lang="zh")
    assert "共 3,000 位客户中的" in _chips(at)
    at.button(key="filters_clear").click().run()
    assert not at.exception and _chips(at) == ""
    assert "stars" not in _address(at)
    assert at.multiselect(key="filter_stars_zh").value == []


def test_a_language_switch_keeps_the_filters_shown_in_words(open_at, demo_db):
    at = open_at(demo_db, stars=["5"], tier=["high"])
    before = _chips(at).split("**")[1]  # the count
    at.selectbox(key="sidebar_lang").set_value("zh").run()
    assert not at.exception
    assert "5 星" in _chips(at) and _chips(at).split("**")[1] == before
    assert at.multiselect(key="filter_stars_zh").value == [5]
    assert at.multiselect(key="filter_value_tiers_zh").value == ["high"]
    assert _address(at)["stars"] == ["5"] and _address(at)["tier"] == ["high"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filters_that_leave_nobody_say_so_instead_of_a_page(open_at, demo_db, lang):
    at = open_at(demo_db, region=["Atlantis"], lang=lang)
    assert not at.exception
    assert "0" in _chips(at)
    words = {"en": "No customer matches these filters", "zh": "没有客户符合"}[lang]
    assert any(words in box.value for box in at.main.info)
    assert not at.main.get("plotly_chart")  # the page stopped before drawing


def test_values_the_address_cannot_mean_are_left_out():
    parsed = session.parse_filters(
        {"stars": ["7", "5", "x"], "tier": ["gold", "high"], "joined_from": ["not a day"]}
    )
    assert parsed == Filters(stars=(5,), value_tiers=("high",))
    chosen = Filters(regions=("A, B", "C"), stars=(4, 5), joined_to=dt.date(2025, 1, 31))
    assert session.parse_filters(session.filter_params(chosen)) == chosen


def test_a_shop_without_regions_offers_stars_and_says_what_it_lacks(open_at, uk_shop_db):
    at = open_at(uk_shop_db, stars=["1"])
    assert not at.exception
    assert [w.key for w in at.sidebar.multiselect] == ["filter_stars_en", "filter_value_tiers_en"]
    assert any("no Region, City, Acquisition channel" in c.value for c in at.sidebar.caption)
    assert f"**{_expected(uk_shop_db, Filters(stars=(1,))):,}** of" in _chips(at)


def test_an_empty_database_has_no_filters(open_at, empty_db):
    at = open_at(empty_db, region=["North"])
    assert not at.exception
    assert _chips(at) == "" and not at.sidebar.multiselect


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_list_exported_under_filters_names_them(open_at, made, demo_db, lang):  # noqa: F811
    """The About sheet of each list the page offers says which filters chose its customers."""
    words = load_catalog(lang)
    at = open_at(demo_db, stars=["5"], lang=lang)
    at.switch_page("pages/stars.py").run()
    assert not at.exception
    abouts = [c["about"] for c in made if c["about"] is not None]
    assert abouts, "the Stars page offers lists"
    named = f"{words['filters.stars']}: {words['filters.star_value'].format(stars=5)}"
    assert all(a.value(words["export.about_filters"]) == named for a in abouts)


def test_codes_are_shown_in_the_readers_words(open_at, demo_db):
    """A channel or city is a code in the data: the chips and the editor show its label."""
    at = open_at(demo_db, channel=["wechat"], city=["Shanghai"], lang="zh")
    assert not at.exception
    chips = _chips(at)
    assert "获客渠道: 微信" in chips and "城市: 上海" in chips and "wechat" not in chips
    assert at.multiselect(key="filter_channels_zh").value == ["wechat"]
    assert _address(at)["channel"] == ["wechat"]
