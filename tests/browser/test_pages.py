"""Every registered page in headless Chromium, both languages, on the demo data, a young
shop too small for the customer model, and an empty database.

Fails on any Streamlit error element; saves a full-page screenshot per page, language and
database under tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil

import pytest

from ui.i18n import LANGUAGES, load_catalog
from ui.navigation import PAGES

pytestmark = pytest.mark.browser

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"], [role="dialog"]'


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    # The app root says when the script run is over; charts then need a moment to draw.
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
    )
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=10_000)
    page.wait_for_timeout(1_000)
    return page


def _full_page_screenshot(page, path) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the content first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(height + 40, 12_000))})
    page.wait_for_timeout(800)  # charts redraw at the new size
    page.screenshot(path=path, full_page=True)


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
@pytest.mark.parametrize("database", ["demo", "small", "empty"])
def test_page_renders_without_error(browser, serve, screenshots, request, database, spec, lang):
    db_path = request.getfixturevalue(f"{database}_db_for_browser")
    url = serve(db_path)
    path = "" if spec == PAGES[0] else spec.url_path  # the first page is the root
    page = _open(browser, f"{url}/{path}?lang={lang}")
    try:
        catalog = load_catalog(lang)
        assert (
            page.locator('[data-testid="stMain"] h1').first.inner_text() == catalog[spec.title_key]
        )
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
        if database == "demo" and spec.url_path == "overview":
            assert page.locator('[data-testid="stMetric"]').count() == 6
            assert page.locator(".js-plotly-plot").count() == 1
        if database == "small" and spec.url_path == "loyalty":
            notice = page.locator('[data-testid="stAlert"]').first.inner_text()
            assert catalog["loyalty.simple_title"] in notice
            # The first visit fits nothing and simulates from history: give the run time.
            page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 8",
                timeout=30_000,
            )
            assert page.locator('[data-testid="stMetric"]').count() == 8
        if database == "empty":
            assert catalog["empty.title"] in page.locator('[data-testid="stAlert"]').inner_text()
        _full_page_screenshot(page, screenshots / f"{spec.url_path}-{database}-{lang}.png")
    finally:
        page.close()


@pytest.fixture(scope="session")
def demo_db_for_browser(demo_db, tmp_path_factory):
    """A copy of the demo database: the server process needs a file no one else holds."""
    path = tmp_path_factory.mktemp("browser-demo") / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    return path


@pytest.fixture(scope="session")
def small_db_for_browser(small_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser-small") / "small.duckdb"
    shutil.copyfile(small_db, path)
    return path


@pytest.fixture(scope="session")
def empty_db_for_browser(tmp_path_factory):
    from core import db

    path = tmp_path_factory.mktemp("browser") / "empty.duckdb"
    db.connect(path).close()
    return path
