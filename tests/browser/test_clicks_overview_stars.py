"""A click on a chart in Chromium opens the customers behind it: on the Overview a bar of the
star mix and a step of the funnel, on Stars a bar of the distribution, in both languages.

The mouse clicks the middle of the bar Plotly drew for the point (its SVG path), and the
test waits for the list's heading, whose count is the one the core computes for that star
or step. Screenshots: tests/screenshots/click-overview-*.png, click-stars-*.png."""

from __future__ import annotations

import pytest

from core import db, lifecycle
from tests.browser import clicks
from tests.browser.clicks import demo_page  # noqa: F401 (a fixture, used with demo_db_for_browser)
from tests.browser.test_pages import (  # noqa: F401 (demo_db_for_browser: a fixture)
    demo_db_for_browser,
)
from tests.conftest import DEMO_END
from ui import format as fmt
from ui.i18n import load_catalog
from ui.labels import star_name

pytestmark = pytest.mark.browser


def _stars(path, star: int) -> int:
    con = db.connect(path, read_only=True)  # the same data; the server holds the copy
    try:
        return con.execute(
            "select count(*) from customer_features where stars = ?", [star]
        ).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_the_star_mix_and_on_a_funnel_step_lists_their_customers(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    fours = fmt.count(_stars(demo_db, 4), lang)
    con = db.connect(demo_db, read_only=True)
    listed = lifecycle.lifecycle_customers(con, DEMO_END)
    con.close()
    repeat = fmt.count(int((listed["count_purchase_days"] >= 2).sum()), lang)
    with demo_page(f"/?lang={lang}") as page:
        clicks.click_bar(page, ".st-key-overview_mix_0", 0, 1)  # 5★ first: the 4★ customers' bar
        group = words["overview.drill_star"].format(star=star_name(4))
        heading = clicks.heading(page, group)
        assert heading.inner_text() == words["overview.drill_heading"].format(group=group, n=fours)
        clicks.rows_shown(page, "overview_mix")
        clicks.shot(page, heading, screenshots / f"click-overview-stars-demo-{lang}.png")
        clicks.close_list(page, "overview_mix")

        clicks.click_bar(page, ".st-key-overview_funnel_0", 0, 2)  # acquired, converted, repeat
        step = words["lifecycle.step_repeat"]
        group = words["overview.drill_step"].format(step=step)
        heading = clicks.heading(page, group)
        assert heading.inner_text() == words["overview.drill_heading"].format(group=group, n=repeat)
        clicks.shot(page, heading, screenshots / f"click-overview-funnel-demo-{lang}.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_star_bar_lists_that_tier(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    with demo_page(f"/stars?lang={lang}") as page:
        fives = words["stars.list_count"].format(
            star=star_name(5), count=fmt.count(_stars(demo_db, 5), lang)
        )
        clicks.heading(page, fives)  # the list opens on 5 stars
        clicks.click_bar(page, ".st-key-stars_distribution", 0, 2)  # 1★ first: the 3★ bar
        threes = words["stars.list_count"].format(
            star=star_name(3), count=fmt.count(_stars(demo_db, 3), lang)
        )
        heading = clicks.heading(page, threes)
        assert heading.inner_text() == threes
        clicks.shot(page, heading, screenshots / f"click-stars-tier-demo-{lang}.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_under_a_region_filter_a_star_click_lists_only_that_regions_customers(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)
    try:
        region, fives = con.execute(
            "select c.region, count(*) from customer_features as f "
            "join customers as c using (customer_id) where f.stars = 5 "
            "group by c.region order by count(*) desc limit 1"
        ).fetchone()
    finally:
        con.close()
    with demo_page(f"/?lang={lang}&region={region}") as page:
        clicks.click_bar(page, ".st-key-overview_mix_0", 0, 0)  # 5★ at the top
        group = words["overview.drill_star"].format(star=star_name(5))
        heading = clicks.heading(page, group)
        expected = words["overview.drill_heading"].format(group=group, n=fmt.count(fives, lang))
        assert heading.inner_text() == expected
        page.screenshot(path=screenshots / f"click-overview-filtered-demo-{lang}.png")
