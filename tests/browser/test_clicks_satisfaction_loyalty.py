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

from core import db, loyalty
from core.satisfaction import Pick, picked_customers
from tests.browser import clicks
from tests.browser.clicks import demo_page  # noqa: F401 (a fixture, used with demo_db_for_browser)
from tests.browser.test_pages import (  # noqa: F401 (demo_db_for_browser: a fixture)
    DEADLINE,
    _settled,
    demo_db_for_browser,
)
from tests.conftest import DEMO_END
from ui import format as fmt
from ui.i18n import load_catalog

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_band_bar_lists_its_buyers(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)  # the same data; the server holds the copy
    buyers = picked_customers(con.cursor(), DEMO_END, Pick("band", "detractor", "nps"))
    con.close()
    band = words["satisfaction.band_detractor"]
    with demo_page(f"/satisfaction?lang={lang}") as page:
        # churned share of detractors
        clicks.click_bar(page, ".st-key-satisfaction_band_chart_0", 0, 2)
        expected = words["satisfaction.pick_band_nps"].format(
            band=band, n=fmt.count(len(buyers), lang)
        )
        heading = clicks.heading(page, band)
        assert heading.inner_text() == expected
        clicks.rows_shown(page, "satisfaction_pick")
        clicks.shot(page, heading, screenshots / f"click-satisfaction-band-demo-{lang}.png")
        clicks.close_list(page, "satisfaction_pick")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_tier_bar_lists_its_customers(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)
    tiers = loyalty.customer_inputs(con)["tier"]
    con.close()
    tier = words["stars.tier_medium"]
    with demo_page(f"/loyalty?lang={lang}") as page:
        # customers offered, medium tier
        clicks.click_bar(page, ".st-key-loyalty_tiers_chart_0", 0, 1)
        expected = words["loyalty.tier_picked"].format(
            tier=tier, n=fmt.count(int((tiers == "medium").sum()), lang)
        )
        heading = clicks.heading(page, tier)
        assert heading.inner_text() == expected
        clicks.rows_shown(page, "loyalty_tier")
        clicks.shot(page, heading, screenshots / f"click-loyalty-tier-demo-{lang}.png")
        clicks.close_list(page, "loyalty_tier")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_360_with_filters_opens_a_customer_outside_them_and_says_so(
    demo_page,  # noqa: F811
    screenshots,
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
    with demo_page(f"/customer?lang={lang}&region={region}&customer={outside}") as page:
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
