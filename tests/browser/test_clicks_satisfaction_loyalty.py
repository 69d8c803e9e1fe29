"""A click on a chart in Chromium opens the customers behind it, on Satisfaction (a bar of
churn by NPS band) and on Loyalty (a bar of the tier chart), in both languages.

The bar clicked is the one Plotly drew (its SVG path under `.barlayer .trace.bars`); the mouse
clicks its middle and the test waits for the list's heading, whose count is the one the
core computes for that band or tier, then closes the list. Screenshots:
tests/screenshots/click-satisfaction-band-demo-*.png, click-loyalty-tier-demo-*.png.
Customer 360 with a region chosen opens a customer outside it by link, with the note, and
its search says how many matches the region hides (customer-outside-filters-demo-*.png,
customer-search-filtered-demo-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core import db, loyalty
from core.satisfaction import Pick, picked_customers
from tests.browser.test_pages import (  # noqa: F401 (demo_db_for_browser: a fixture)
    DEADLINE,
    _open,
    _settled,
    demo_db_for_browser,
)
from tests.conftest import DEMO_END
from ui import format as fmt
from ui.i18n import load_catalog

pytestmark = pytest.mark.browser


SELECTED = """([key, curve]) => {
  const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
  return !!gd && Array.isArray(gd.data[curve].selectedpoints)
    && gd.data[curve].selectedpoints.length > 0;
}"""


def _click_bar(page, key: str, curve: int, index: int) -> None:
    """Click the middle of bar `index` of trace `curve` in the chart keyed `key`, until the
    chart shows it selected (a click while a cold server's first reruns redraw the chart is
    lost with the old drawing)."""
    for _ in range(3):
        chart = page.locator(f".st-key-{key} .js-plotly-plot")
        chart.scroll_into_view_if_needed()
        _settled(page)
        bar = chart.locator(".barlayer .trace.bars").nth(curve).locator(".point path").nth(index)
        box = bar.bounding_box()
        assert box and box["height"] > 2, box  # a bar tall enough to click
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.wait_for_function(SELECTED, arg=[key, curve], timeout=DEADLINE // 8)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"a click on bar {index} of {key} never selected it")


def _heading(page, text: str):
    heading = page.locator('[data-testid="stMarkdownContainer"] strong', has_text=text)
    heading.first.wait_for(timeout=DEADLINE)
    _settled(page)
    return heading.first


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_band_bar_lists_its_buyers(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)  # the same data; the server holds the copy
    buyers = picked_customers(con.cursor(), DEMO_END, Pick("band", "detractor", "nps"))
    con.close()
    band = words["satisfaction.band_detractor"]
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/satisfaction?lang={lang}")
    try:
        _click_bar(page, "satisfaction_band_chart_0", 0, 2)  # churned share of detractors
        expected = words["satisfaction.pick_band_nps"].format(
            band=band, n=fmt.count(len(buyers), lang)
        )
        heading = _heading(page, band)
        assert heading.inner_text() == expected
        rows = page.locator(".st-key-satisfaction_pick_list [data-testid='stDataFrame']")
        rows.wait_for(timeout=DEADLINE)
        heading.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"click-satisfaction-band-demo-{lang}.png")
        page.locator(".st-key-satisfaction_pick_close button").click()
        page.locator(".st-key-satisfaction_pick_list").wait_for(state="detached", timeout=DEADLINE)
        _settled(page)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_tier_bar_lists_its_customers(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)
    tiers = loyalty.customer_inputs(con)["tier"]
    con.close()
    tier = words["stars.tier_medium"]
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/loyalty?lang={lang}")
    try:
        _click_bar(page, "loyalty_tiers_chart_0", 0, 1)  # customers offered, medium tier
        expected = words["loyalty.tier_picked"].format(
            tier=tier, n=fmt.count(int((tiers == "medium").sum()), lang)
        )
        heading = _heading(page, tier)
        assert heading.inner_text() == expected
        page.locator(".st-key-loyalty_tier_list [data-testid='stDataFrame']").wait_for(
            timeout=DEADLINE
        )
        heading.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"click-loyalty-tier-demo-{lang}.png")
        page.locator(".st-key-loyalty_tier_close button").click()
        page.locator(".st-key-loyalty_tier_list").wait_for(state="detached", timeout=DEADLINE)
        _settled(page)
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_360_with_filters_opens_a_customer_outside_them_and_says_so(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    demo_db,
    lang,
):
    """A link to a customer outside the region chosen opens them with the note; a search
    then opens the best match in the region and says how many matches the region hides."""
    words = load_catalog(lang)
    region = "North China"
    con = db.connect(demo_db, read_only=True)
    outside, hidden = con.execute(
        "select min(customer_id) filter (where region <> ?), "
        "count(*) filter (where region <> ? and customer_id like 'C00001%') from customers",
        [region, region],
    ).fetchall()[0]
    con.close()
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/customer?lang={lang}&region={region}&customer={outside}")
    try:
        page.get_by_text(words["customer.outside_filters"]).wait_for(timeout=DEADLINE)
        _settled(page)
        page.screenshot(path=screenshots / f"customer-outside-filters-demo-{lang}.png")
        search = page.locator(".st-key-customer_search input")
        search.fill("C00001")
        search.press("Enter")
        note = words["customer.matches_hidden"].format(count=fmt.count(hidden, lang))
        page.get_by_text(note).wait_for(timeout=DEADLINE)
        _settled(page)  # the best match among the chosen is open now: no note
        assert page.get_by_text(words["customer.outside_filters"]).count() == 0
        page.screenshot(path=screenshots / f"customer-search-filtered-demo-{lang}.png")
    finally:
        page.close()
