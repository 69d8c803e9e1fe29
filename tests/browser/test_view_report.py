"""A page's view as one HTML file, downloaded in Chromium from the running app and opened
with the network cut off (it must draw its charts offline), in both languages; and tables
on presentation mode's dark ground, measured on screenshots under tests/screenshots/."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageStat

from tests.browser.test_pages import (  # noqa: F401 (demo_db_for_browser: a fixture)
    DEADLINE,
    _open,
    _settled,
    demo_db_for_browser,
)
from tests.conftest import DEMO_END
from ui.i18n import load_catalog

pytestmark = pytest.mark.browser

# ui.report.offer's, in the sidebar (Streamlit keeps a hidden copy of a button to measure it)
BUTTON = ".st-key-_view_report_button button >> visible=true"
TABLE = '[data-testid="stMain"] [data-testid="stDataFrame"]'


def _brightness(png: bytes) -> float:
    """The mean grey level (0 black .. 255 white) of a screenshot."""
    return ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).mean[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_page_downloads_as_one_file_that_draws_offline(
    browser,
    serve,
    screenshots,
    tmp_path,
    demo_db_for_browser,  # noqa: F811
    lang,
):
    words = load_catalog(lang)
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/churn?lang={lang}")
    try:
        button = page.locator(BUTTON)
        button.wait_for(timeout=DEADLINE)
        assert button.inner_text().strip().endswith(words["report.download"])  # after its icon
        charts = page.locator('[data-testid="stMain"] .js-plotly-plot').count()
        assert charts > 0
        with page.expect_download(timeout=DEADLINE) as info:
            button.click()
        download = info.value
        assert download.suggested_filename == f"startier-churn-{DEMO_END}-{lang}.html"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
    finally:
        page.close()

    text = saved.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)  # nothing to fetch
    offline = browser.new_context(offline=True, viewport={"width": 1300, "height": 900})
    asked: list[str] = []
    offline.on("request", lambda request: asked.append(request.url))
    try:
        report = offline.new_page()
        report.goto(saved.as_uri())
        report.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}",
            timeout=DEADLINE,
        )
        assert report.locator("h1").inner_text() == words["nav.churn"]
        assert report.locator("dl.about").inner_text().count(str(DEMO_END)) == 1
        assert report.locator("table").count() >= 1
        assert [u for u in asked if not u.startswith("file:")] == []
        report.screenshot(path=screenshots / f"view-report-churn-{lang}.png", full_page=True)
    finally:
        offline.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_are_dark_on_presentation_modes_dark_ground(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    lang,
):
    url = serve(demo_db_for_browser)
    shots = {}
    for view, query in (("usual", ""), ("dark", "&present=1&dark=1")):
        page = _open(browser, f"{url}/stars?lang={lang}{query}")
        try:
            table = page.locator(TABLE).first
            table.scroll_into_view_if_needed()
            _settled(page)
            shots[view] = table.screenshot()
            if view == "dark":
                page.screenshot(path=screenshots / f"presentation-dark-table-stars-{lang}.png")
        finally:
            page.close()
    assert _brightness(shots["usual"]) > 200  # the light grid of the usual view
    assert _brightness(shots["dark"]) < 70  # the same table on the dark ground
