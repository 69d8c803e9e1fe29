"""A click or a drawn box on a chart in Chromium opens the customers behind it: on Segments a
cell of the RFM grid and a box drawn on the cluster scatter, on What to offer next a bar of
the most bought items, on Customer value a bar of the CLV distribution and one of the value
by group; in both languages.

The mouse clicks where Plotly drew the point (a bar's SVG path, or a heatmap cell by its
axes in `_fullLayout`), or drags a box across the scatter's plot area; the test waits for
the list's heading, whose count is computed here from the core's frames by hand.
Screenshots: tests/screenshots/click-segments-*.png, click-products-*.png, click-value-*.png."""

from __future__ import annotations

import pytest

from core import db, offers, segments, value
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

# where the data point (x, y) of the first trace's axes is on the page
AT = """([selector, x, y]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.d2p(x), y: box.top + ya._offset + ya.d2p(y)};
}"""

# the page pixels of the plot area's fractions (fx, fy) from its top left corner
AREA = """([selector, fx, fy]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + fx * xa._length, y: box.top + ya._offset + fy * ya._length};
}"""

# the box selected on the chart, in data units (Plotly's selections on log axes are data)
BOX_DRAWN = """(selector) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const s = (gd.layout.selections || [])[0];
  return s ? {x: [s.x0, s.x1], y: [s.y0, s.y1]} : null;
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_cell_and_a_box_drawn_on_segments_list_their_customers(
    demo_page, screenshots, demo_db, lang  # noqa: F811
):  # fmt: skip
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)
    frame = segments.segment_frame(con, DEMO_END)
    con.close()
    with demo_page(f"/segments?lang={lang}") as page:
        grid = ".st-key-segments_grid_chart_0"
        clicks.show_chart(page, grid)
        where = page.evaluate(AT, [grid, 5, 5])  # F 5 (x), R 5 (y): Champions
        page.mouse.click(where["x"], where["y"])
        cell = words["segments.drill_cell_words"].format(
            r=5, f=5, segment=words["segments.name_champions"]
        )
        champions = ((frame["r_score"] == 5) & (frame["f_score"] == 5)).sum()
        expected = words["segments.drill_cell"].format(
            cell=cell, count=fmt.count(int(champions), lang)
        )
        heading = clicks.heading(page, expected)
        assert heading.inner_text() == expected
        clicks.shot(page, heading, screenshots / f"click-segments-cell-demo-{lang}.png")

        scatter = ".st-key-segments_scatter_chart_0"
        clicks.show_chart(page, scatter)
        start = page.evaluate(AREA, [scatter, 0.35, 0.3])
        end = page.evaluate(AREA, [scatter, 0.75, 0.7])
        page.mouse.move(start["x"], start["y"])
        page.mouse.down()
        page.mouse.move((start["x"] + end["x"]) / 2, (start["y"] + end["y"]) / 2, steps=5)
        page.mouse.move(end["x"], end["y"], steps=5)
        page.mouse.up()
        heading = clicks.heading(page, words["segments.drill_area"].split("{")[0].strip())
        box = page.evaluate(BOX_DRAWN, scatter)
        plotted = segments.plotted_features(frame)  # revenue (x) by purchase days (y), both log
        inside = plotted["revenue"].between(min(box["x"]), max(box["x"])) & plotted[
            "count_purchase_days"
        ].between(min(box["y"]), max(box["y"]))
        assert heading.inner_text().endswith(fmt.count(int(inside.sum()), lang))
        assert 0 < inside.sum() < len(frame)
        clicks.shot(page, heading, screenshots / f"click-segments-area-demo-{lang}.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_item_bar_lists_its_buyers(
    demo_page, screenshots, demo_db, lang  # noqa: F811
):  # fmt: skip
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)
    found = offers.association_rules(con, DEMO_END)
    top = found.items["item"].iloc[0]
    buyers = offers.item_buyers(con, DEMO_END, "category", top)
    con.close()
    with demo_page(f"/products?lang={lang}") as page:
        shown = min(len(found.items), 15)
        clicks.click_bar(page, ".st-key-products_items_chart_0", 0, shown - 1)  # the top bar
        name = words.get(f"products.category_{top}", top)
        expected = words["products.drill_item"].format(
            item=name, count=fmt.count(len(buyers), lang)
        )
        heading = clicks.heading(page, expected)
        assert heading.inner_text() == expected
        clicks.shot(page, heading, screenshots / f"click-products-item-demo-{lang}.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_band_and_group_list_their_customers(
    demo_page, screenshots, demo_db, lang  # noqa: F811
):  # fmt: skip
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)
    settings = value.value_defaults(con, DEMO_END).settings()
    values = value.customer_values(con, value.fit_value_models(con, DEMO_END), settings)
    con.close()
    hist = value.distribution(values, "predicted_clv")
    with demo_page(f"/value?lang={lang}") as page:
        clicks.click_bar(page, ".st-key-value_band_chart_0", 0, 0)
        start = words["value.drill_band"].split("{")[0].strip()
        heading = clicks.heading(page, start)
        assert heading.inner_text().endswith(fmt.count(int(hist["customers"].iloc[0]), lang))
        clicks.shot(page, heading, screenshots / f"click-value-band-demo-{lang}.png")

        clicks.click_bar(page, ".st-key-value_group_chart_0", 0, 0)  # 5★ first
        fives = int((values["stars"] == 5).sum())
        expected = words["value.drill_group"].format(
            group=words["stars.star_n"].format(n=5),
            count=fmt.count(fives, lang),
        )
        heading = clicks.heading(page, fmt.count(fives, lang))
        assert heading.inner_text() == expected
        clicks.shot(page, heading, screenshots / f"click-value-group-demo-{lang}.png")


def test_a_clicked_row_of_the_segment_table_lists_that_segment(
    demo_page, screenshots, demo_db  # noqa: F811
):  # fmt: skip
    words = load_catalog("en")
    con = db.connect(demo_db, read_only=True)
    frame = segments.segment_frame(con, DEMO_END)
    con.close()
    with demo_page("/segments?lang=en") as page:
        grid = page.locator('.st-key-segments_table_rows [data-testid="stDataFrame"]')
        grid.scroll_into_view_if_needed()
        _settled(page)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 2 * 35 + 17)  # row 3: Potential Loyalist
        count = int((frame["segment"] == "potential_loyalist").sum())
        caption = words["segments.list_caption"].format(count=fmt.count(count, "en"), rows=200)
        page.get_by_text(caption).first.wait_for(timeout=DEADLINE)
        _settled(page)
        chosen = page.locator(".st-key-seg_list input").first.input_value()
        assert words["segments.name_potential_loyalist"] in chosen
        page.get_by_text(caption).first.scroll_into_view_if_needed()
        page.screenshot(path=screenshots / "click-segments-row-demo-en.png")
