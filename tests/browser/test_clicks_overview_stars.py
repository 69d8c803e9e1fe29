"""A click on a chart in Chromium opens the customers behind it: on the Overview a bar of the
star mix and a step of the funnel, on Stars a bar of the distribution, in both languages.

The mouse clicks the middle of the bar Plotly drew for the point (its SVG path), and the
test waits for the list's heading, whose count is the one the core computes for that star
or step. Screenshots: tests/screenshots/click-overview-*.png, click-stars-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core import db, lifecycle
from tests.browser.test_pages import (  # noqa: F401 (demo_db_for_browser: a fixture)
    DEADLINE,
    _open,
    _settled,
    demo_db_for_browser,
)
from tests.conftest import DEMO_END
from ui import format as fmt
from ui.i18n import load_catalog
from ui.labels import star_name

pytestmark = pytest.mark.browser

# the middle of the bar (or funnel step) Plotly drew for point `index` of trace `curve`
BAR = """([selector, curve, index]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const trace = gd.querySelectorAll('g.trace')[curve];
  const box = trace.querySelectorAll('g.point path')[index].getBoundingClientRect();
  return {x: box.left + box.width / 2, y: box.top + box.height / 2};
}"""


# the chart under `selector` shows a point of trace `curve` selected
SELECTED = """([selector, curve]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const picked = gd && gd.data[curve] && gd.data[curve].selectedpoints;
  return Array.isArray(picked) && picked.length > 0;
}"""


def _click_bar(page, selector: str, curve: int, index: int) -> None:
    """Click the middle of bar `index` of trace `curve` until the chart shows it selected
    (a click while a cold server's first reruns redraw the chart is lost with the drawing)."""
    for _ in range(3):
        chart = page.locator(f"{selector} .js-plotly-plot")
        chart.scroll_into_view_if_needed()
        _settled(page)
        where = page.evaluate(BAR, [selector, curve, index])
        page.mouse.click(where["x"], where["y"])
        try:
            page.wait_for_function(SELECTED, arg=[selector, curve], timeout=DEADLINE // 8)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"a click on bar {index} of {selector} never selected it")


def _heading(page, text: str):
    heading = page.locator('[data-testid="stMarkdownContainer"] strong', has_text=text)
    heading.first.wait_for(timeout=DEADLINE)
    _settled(page)
    return heading.first


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
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    demo_db,
    lang,
):
    words = load_catalog(lang)
    fours = fmt.count(_stars(demo_db, 4), lang)
    con = db.connect(demo_db, read_only=True)
    listed = lifecycle.lifecycle_customers(con, DEMO_END)
    con.close()
    repeat = fmt.count(int((listed["count_purchase_days"] >= 2).sum()), lang)
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/?lang={lang}")
    try:
        _click_bar(page, ".st-key-overview_mix_0", 0, 1)  # 5★ first: the 4★ customers' bar
        group = words["overview.drill_star"].format(star=star_name(4))
        heading = _heading(page, group)
        assert heading.inner_text() == words["overview.drill_heading"].format(group=group, n=fours)
        rows = page.locator('.st-key-overview_mix_rows [data-testid="stDataFrame"]')
        rows.wait_for(timeout=DEADLINE)
        heading.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"click-overview-stars-demo-{lang}.png")
        page.locator(".st-key-overview_mix_close button").click()
        page.locator(".st-key-overview_mix_list").wait_for(state="detached", timeout=DEADLINE)
        _settled(page)

        _click_bar(page, ".st-key-overview_funnel_0", 0, 2)  # acquired, converted, repeat
        step = words["lifecycle.step_repeat"]
        group = words["overview.drill_step"].format(step=step)
        heading = _heading(page, group)
        assert heading.inner_text() == words["overview.drill_heading"].format(group=group, n=repeat)
        heading.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"click-overview-funnel-demo-{lang}.png")
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_star_bar_lists_that_tier(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    demo_db,
    lang,
):
    words = load_catalog(lang)
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/stars?lang={lang}")
    try:
        fives = words["stars.list_count"].format(
            star=star_name(5), count=fmt.count(_stars(demo_db, 5), lang)
        )
        _heading(page, fives)  # the list opens on 5 stars
        _click_bar(page, ".st-key-stars_distribution", 0, 2)  # 1★ first: the 3★ bar
        threes = words["stars.list_count"].format(
            star=star_name(3), count=fmt.count(_stars(demo_db, 3), lang)
        )
        heading = _heading(page, threes)
        assert heading.inner_text() == threes
        heading.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / f"click-stars-tier-demo-{lang}.png")
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_under_a_region_filter_a_star_click_lists_only_that_regions_customers(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
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
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/?lang={lang}&region={region}")
    try:
        _click_bar(page, ".st-key-overview_mix_0", 0, 0)  # 5★ at the top
        group = words["overview.drill_star"].format(star=star_name(5))
        heading = _heading(page, group)
        expected = words["overview.drill_heading"].format(group=group, n=fmt.count(fives, lang))
        assert heading.inner_text() == expected
        page.screenshot(path=screenshots / f"click-overview-filtered-demo-{lang}.png")
    finally:
        page.close()
