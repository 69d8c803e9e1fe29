"""Every registered page in headless Chromium, both languages, on the demo data, a young
shop too small for the customer model, an empty database, and two real-shaped shops: a
marketplace's orders and CSAT reviews in reais (`market`) and a UK shop's line-level year
in pounds (`uk`), see tests/realshops.py.

Fails on any Streamlit error element; saves a full-page screenshot per page, language and
database under tests/screenshots/ (git-ignored) for a person to look at. Every wait is for
a state of the page (the script run over, charts drawn, the layout settled), never a pause.
"""

from __future__ import annotations

import shutil

import pytest

from ui.i18n import LANGUAGES, load_catalog
from ui.navigation import PAGES

pytestmark = pytest.mark.browser

ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"], [role="dialog"]'
RUN_OVER = '[data-testid="stApp"][data-test-script-state="notRunning"]'
DATABASES = ["demo", "small", "empty", "market", "uk"]
CURRENCY_SIGN = {"demo": "¥", "market": "R$", "uk": "£"}

# True once the script run is over, every Plotly chart has drawn its SVG, no element is
# still a loading skeleton, and the charts' sizes and the page's height have not changed
# for 300 ms (a run that has not started yet, or a rerun, starts the count again).
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const busy = !app || app.getAttribute('data-test-script-state') !== 'notRunning'
    || !main || !main.querySelector('h1')
    || document.querySelector('[data-testid="stSkeleton"]');
  if (busy) { window.__layout = null; return false; }
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  if (plots.some((p) => !p.querySelector('.main-svg'))) return false;
  const size = (e) => { const r = e.getBoundingClientRect(); return `${r.width}x${r.height}`; };
  const now = plots.map((p) => size(p.querySelector('.main-svg'))).join(',')
    + '|' + main.scrollHeight;
  if (window.__layout !== now) { window.__layout = now; window.__since = performance.now(); }
  return performance.now() - window.__since > 300;
}"""


def _settled(page, timeout: int = 30_000) -> None:
    page.wait_for_function(SETTLED, timeout=timeout, polling="raf")


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector(RUN_OVER, timeout=60_000)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=10_000)
    _settled(page)
    return page


def _full_page_screenshot(page, path) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the content first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(height + 40, 12_000))})
    _settled(page)  # charts redraw at the new size
    page.screenshot(path=path, full_page=True)


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
@pytest.mark.parametrize("database", DATABASES)
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
        if database in ("market", "uk") and spec.url_path == "overview":
            _check_real_shop_overview(page, catalog, database)
        if database == "market" and spec.url_path == "satisfaction":
            _check_reviews_only_satisfaction(page, catalog)
        _full_page_screenshot(page, screenshots / f"{spec.url_path}-{database}-{lang}.png")
    finally:
        page.close()


def _check_real_shop_overview(page, catalog: dict[str, str], database: str) -> None:
    """Money in the shop's currency; less than two years of data: no change, said in words."""
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() == 6
    revenue = metrics.nth(2).locator('[data-testid="stMetricValue"]').inner_text()
    assert revenue.startswith(CURRENCY_SIGN[database]), revenue
    deltas = page.locator('[data-testid="stMetricDelta"]')
    assert deltas.count() == 6
    assert {deltas.nth(i).inner_text() for i in range(6)} == {catalog["metric.no_previous"]}
    assert page.locator(".js-plotly-plot").count() == 1


def _check_reviews_only_satisfaction(page, catalog: dict[str, str]) -> None:
    """Opens on CSAT, draws its trend, and says that NPS and complaints are not loaded."""
    selected = page.locator('[data-testid="stButtonGroup"] [aria-checked="true"]').first
    assert selected.inner_text() == catalog["satisfaction.metric_csat"]
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert catalog["satisfaction.missing_no_nps"].split(":")[0] in text
    assert catalog["satisfaction.missing_no_complaints"].split(":")[0] in text
    assert page.locator(".js-plotly-plot").count() >= 1


def test_typed_text_is_not_a_link(browser, serve, demo_db_for_browser):
    url = serve(demo_db_for_browser)
    page = _open(browser, url)  # then to Stars by the menu, as a user goes
    try:
        page.locator('[data-testid="stSidebarNav"] a[href$="/stars"]').click()
        label = load_catalog("en")["stars.move_customer"]
        box = page.locator('[data-testid="stTextInput"]').filter(has_text=label).locator("input")
        box.wait_for(timeout=60_000)
        _settled(page)
        box.fill("[Verify](https://evil.example)")
        box.press("Enter")
        shown = page.get_by_text("No customer with ID [Verify](https:", exact=False)
        shown.first.wait_for(timeout=30_000)  # the answer names the typed text, as typed
        _settled(page)
        assert box.input_value() == "[Verify](https://evil.example)"
        assert page.locator('a[href*="evil.example"]').count() == 0
    finally:
        page.close()


def test_what_is_typed_first_on_a_page_opened_by_its_address_stays(
    browser, serve, demo_db, tmp_path_factory
):
    # a server of its own: its first request is for the page's address (Streamlit's legacy
    # mode runs that page without app.py once; the first typed value must survive it)
    url = serve(_copy(demo_db, tmp_path_factory, "fresh"))
    page = _open(browser, f"{url}/stars")
    try:
        label = load_catalog("en")["stars.move_customer"]
        box = page.locator('[data-testid="stTextInput"]').filter(has_text=label).locator("input")
        box.fill("C-typed-first")
        box.press("Enter")
        page.get_by_text("No customer with ID C-typed-first").first.wait_for(timeout=30_000)
        _settled(page)
        assert box.input_value() == "C-typed-first"
    finally:
        page.close()


def _copy(source, tmp_path_factory, name: str):
    """A copy of a database: the server process needs a file no one else holds."""
    path = tmp_path_factory.mktemp(f"browser-{name}") / f"{name}.duckdb"
    shutil.copyfile(source, path)
    return path


@pytest.fixture(scope="session")
def demo_db_for_browser(demo_db, tmp_path_factory):
    return _copy(demo_db, tmp_path_factory, "demo")


@pytest.fixture(scope="session")
def small_db_for_browser(small_db, tmp_path_factory):
    return _copy(small_db, tmp_path_factory, "small")


@pytest.fixture(scope="session")
def market_db_for_browser(market_db, tmp_path_factory):
    return _copy(market_db, tmp_path_factory, "market")


@pytest.fixture(scope="session")
def uk_db_for_browser(uk_shop_db, tmp_path_factory):
    return _copy(uk_shop_db, tmp_path_factory, "uk")


@pytest.fixture(scope="session")
def empty_db_for_browser(tmp_path_factory):
    from core import db

    path = tmp_path_factory.mktemp("browser") / "empty.duckdb"
    db.connect(path).close()
    return path
