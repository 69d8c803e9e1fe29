"""A click on a chart in Chromium opens the customers behind it, on Lifecycle (a cell of the
cohort heatmap, then a funnel step) and on Churn risk (a bar of the risk histogram), in both
languages.

The point clicked is found where Plotly drew it (its axes' positions in `_fullLayout`), the
mouse clicks there, and the test waits for the list's heading, whose count is the one the
core computes for that cell or band. Screenshots: tests/screenshots/click-*.png."""

from __future__ import annotations

import pytest

from core import churn, db, lifecycle
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


def _choice(page, key: str) -> str:
    """What the drill-down's selectbox `key` shows (its text and its input's value)."""
    box = page.locator(f".st-key-lifecycle_drill_{key}")
    return " ".join([box.inner_text(), *(i.input_value() for i in box.locator("input").all())])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_cohort_cell_lists_its_buyers(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)  # the same data; the server holds the copy
    cohorts = lifecycle.cohort_retention(con, DEMO_END)
    repeat_buyers = int(lifecycle.funnel(con, DEMO_END).iloc[0]["repeat"])
    con.close()
    cells = cohorts.dropna(subset=["buyer_share"]).reset_index(drop=True)  # the markers' order
    index = int(cells.loc[cells["months_since_signup"] == 1, "buyers"].idxmax())
    cell = cells.iloc[index]
    with demo_page(f"/lifecycle?lang={lang}") as page:
        clicks.click_point(page, ".st-key-lifecycle_cohorts_click_0", 1, index)
        what = " · ".join(  # the first word capitalized, as a heading
            [
                words["lifecycle.drill_cohort_words"].format(month=f"{cell['cohort']:%Y-%m}"),
                words["lifecycle.drill_bought_words"].format(n=1),
            ]
        )
        what = what[:1].upper() + what[1:]
        heading = clicks.heading(page, what)
        count = fmt.count(cell["buyers"], lang)
        assert heading.inner_text() == words["lifecycle.drill_clicked_count"].format(
            what=what, count=count
        )
        for key, shown in (  # the drill-down's choices took the click
            ("group", words["lifecycle.any"]),
            ("cohort", f"{cell['cohort']:%Y-%m}"),
            ("month", words["lifecycle.month_n"].format(n=1)),
        ):
            assert shown in _choice(page, key)
        close = page.locator(".st-key-lifecycle_drill_close button")
        assert close.inner_text().strip().endswith(words["lifecycle.drill_close"])
        clicks.shot(page, heading, screenshots / f"click-lifecycle-cohort-demo-{lang}.png")
        close.click()
        page.locator(".st-key-lifecycle_drill_close").wait_for(state="detached", timeout=DEADLINE)
        _settled(page)
        assert page.get_by_text(words["lifecycle.drill_header"]).count() == 1  # back at the end

        # a funnel step: its bar's middle, where the mouse points at it
        step = page.locator(".st-key-lifecycle_funnel_click_1 .point path").nth(2)  # repeat
        step.scroll_into_view_if_needed()
        _settled(page)
        box = step.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        what = words["lifecycle.step_repeat"]
        repeat = clicks.heading(page, what)
        assert repeat.inner_text() == words["lifecycle.drill_clicked_count"].format(
            what=what, count=fmt.count(repeat_buyers, lang)
        )
        assert words["lifecycle.any"] in _choice(page, "cohort")  # the cell's choice is gone
        assert words["lifecycle.any"] in _choice(page, "month")
        clicks.shot(page, repeat, screenshots / f"click-lifecycle-funnel-demo-{lang}.png")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_risk_bar_lists_that_bands_customers(
    demo_page,  # noqa: F811
    screenshots,
    demo_db,
    lang,
):
    words = load_catalog(lang)
    con = db.connect(demo_db, read_only=True)  # the same data; the server holds the copy
    risk = churn.stored_churn_result(con, DEMO_END, 90).scores["churn_risk"]
    con.close()
    hist = churn.risk_histogram(risk)
    band = int(hist["customers"].to_numpy().argmax())  # the tallest bar
    with demo_page(f"/churn?lang={lang}") as page:
        clicks.click_point(page, ".st-key-churn_risk_click_0", 0, band)
        edges = churn.risk_band_edges()
        words_band = f"{edges[band]:.0%} – {edges[band + 1]:.0%}"
        count = fmt.count(int(churn.in_risk_band(risk, band).sum()), lang)
        heading = clicks.heading(page, words_band)
        assert heading.inner_text() == words["churn.band_count"].format(
            band=words_band, count=count
        )
        clicks.shot(page, heading, screenshots / f"click-churn-band-demo-{lang}.png")
