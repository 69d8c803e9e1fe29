"""The shared filters in headless Chromium: a copied link with filters opens with their chips
and count, the menu and a reload keep them with the language and the as-of date, a choice in
the sidebar reaches the address, and clearing removes them. Screenshots of the chips in both
languages: tests/screenshots/filters-*.png. Every wait is for a state of the page."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest

from core import db
from core.filters import Filters, chosen_ids
from tests.browser.test_pages import DEADLINE, MENU, _copy, _heading, _menu_drawn, _open, _settled
from tests.browser.test_presentation import _as_of_shown, _no_error
from tests.core.test_filters import _ratings
from ui.i18n import load_catalog

pytestmark = pytest.mark.browser

AS_OF = "2026-06-30"  # a day inside the demo's data, not the one a fresh visit opens on
CHIPS = '[data-testid="stMain"] [data-testid="stMarkdownContainer"]'


@pytest.fixture(scope="module")
def demo_url(serve, demo_db, tmp_path_factory):
    return serve(_copy(demo_db, tmp_path_factory, "filters"))


@pytest.fixture(scope="module")
def regions(demo_db) -> list[str]:
    con = db.connect(demo_db)
    rows = con.execute("select region from customers group by 1 order by count(*) desc")
    found = [r for (r,) in rows.fetchall()]
    con.close()
    return found


def _count(demo_db, chosen: Filters, as_of: dt.date | None) -> int:
    """How many customers `chosen` leaves as of `as_of` (None: the build day)."""
    con = db.connect(demo_db)
    try:
        as_of = as_of or db.built_as_of(con)
        return len(chosen_ids(con, chosen, _ratings(con, as_of) if chosen.rated else None))
    finally:
        con.close()


def _chips(page, words: str):
    """The chips' line, once it says `words`."""
    line = page.locator(CHIPS).filter(has_text=words).first
    line.wait_for(timeout=DEADLINE)
    return line.inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_copied_link_with_filters_keeps_them_through_the_menu_and_a_reload(
    browser, demo_url, demo_db, regions, screenshots, lang
):
    words = load_catalog(lang)
    chosen = Filters(regions=tuple(regions[:2]), stars=(4, 5))
    count = _count(demo_db, chosen, dt.date.fromisoformat(AS_OF))
    shown = f"{count:,}"
    query = urlencode(
        [("lang", lang), ("as_of", AS_OF), *(("region", r) for r in regions[:2])]
        + [("stars", "4"), ("stars", "5")]
    )
    page = _open(browser, f"{demo_url}/segments?{query}")
    try:
        line = _chips(page, shown)
        named = [words.get(f"region.{r}", r) for r in regions[:2]]  # in the reader's words
        assert named[0] in line and named[1] in line and "3,000" in line
        assert _heading(page) == words["nav.segments"]
        page.screenshot(path=screenshots / f"filters-segments-{lang}.png")
        _menu_drawn(page)
        page.locator(f'{MENU}[href^="value"]').click()  # moving by the menu
        page.wait_for_url("**/value?**", timeout=DEADLINE)
        _settled(page)
        for part in (f"lang={lang}", f"as_of={AS_OF}", "stars=4", "stars=5"):
            assert part in page.url
        assert _heading(page) == words["nav.value"]
        assert shown in _chips(page, shown)
        page.reload()
        _settled(page)
        assert _heading(page) == words["nav.value"] and _as_of_shown(page) == AS_OF
        assert shown in _chips(page, shown)
        _no_error(page)
        page.locator(".st-key-filters_clear button").click()  # clearing
        page.wait_for_function("() => !location.search.includes('stars=')", timeout=DEADLINE)
        _settled(page)
        assert page.locator(CHIPS).filter(has_text=shown).count() == 0
        assert f"as_of={AS_OF}" in page.url and f"lang={lang}" in page.url
    finally:
        page.close()


def test_a_region_chosen_in_the_sidebar_reaches_the_address(browser, demo_url, demo_db, regions):
    page = _open(browser, f"{demo_url}/overview")
    try:
        box = page.locator('.st-key-filter_regions_en input[role="combobox"]')
        if not box.is_visible():  # the expander opens on a click
            page.locator('[data-testid="stSidebar"] summary').filter(has_text="Filters").click()
        box.click()
        page.locator('[role="option"]').filter(has_text=regions[-1]).first.click()
        page.wait_for_url("**region=**", timeout=DEADLINE)
        _settled(page)
        shown = f"{_count(demo_db, Filters(regions=(regions[-1],)), None):,}"
        assert shown in _chips(page, shown)
        assert _heading(page) == load_catalog("en")["nav.overview"]
        _no_error(page)
    finally:
        page.close()
