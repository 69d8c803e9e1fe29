"""The pages in headless Chromium on the real Streamlit server.

By default: every page once on the demo data in English, the Chinese Overview, and the
cases that assert something of their own (the small shop's simulator in simple mode, the
real-shaped shops' Overview in their currency with no earlier year, the marketplace's
reviews-only Satisfaction page), what a user types, and a fresh server's first paint.
`STARTIER_SCREENSHOTS=all` (`make screenshots`) runs the full matrix instead: every page in
both languages on the demo, the small shop, an empty database and the two real-shaped shops
(`market`, `uk`: tests/realshops.py), for a person to look at.

Fails on any Streamlit error element or dialog; saves a full-page screenshot per page,
language and database under tests/screenshots/ (git-ignored). Every wait is for a state of
the page (the script run over, charts drawn, the layout settled) within one generous
deadline, never a pause: a loaded machine is slower, not broken.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from ui.i18n import LANGUAGES, load_catalog
from ui.navigation import PAGES

pytestmark = pytest.mark.browser

DEADLINE = 240_000  # ms, for every wait
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"], [role="dialog"]'
MENU = '[data-testid="stSidebar"] [data-testid="stPageLink"] a'  # the app's menu
CURRENCY_SIGN = {"demo": "¥", "market": "R$", "uk": "£"}
PAGE = {spec.url_path: spec for spec in PAGES}


def _cases() -> list[tuple[str, str, str]]:
    """(database, page, language) to open: the full matrix on demand, else the default."""
    if os.environ.get("STARTIER_SCREENSHOTS") == "all":
        databases = ["demo", "small", "empty", "market", "uk"]
        return [(d, s.url_path, lang) for d in databases for s in PAGES for lang in LANGUAGES]
    return [
        *[("demo", spec.url_path, "en") for spec in PAGES],
        ("demo", "overview", "zh"),
        ("demo", "products", "zh"),
        ("uk", "products", "en"),
        ("small", "loyalty", "en"),
        ("demo", "loyalty", "zh"),
        ("market", "overview", "en"),
        ("uk", "overview", "en"),
        ("market", "satisfaction", "en"),
    ]


# Installed before a page loads: remembers every text a menu link in the sidebar ever showed
# (Streamlit's automatic menu of pages/ or the app's), every dialog ever opened, and the
# first text drawn at all (sidebar or main): what a user sees in the first seconds, which
# later runs replace.
WATCH = """(() => {
  const seen = (window.__seen = { links: [], dialogs: [], first: null });
  const menus = '[data-testid="stSidebarNav"] a, '
    + '[data-testid="stSidebar"] [data-testid="stPageLink"] a';
  const text = (selector) => [...document.querySelectorAll(selector)]
    .map((e) => e.innerText.trim()).filter((t) => t).join(' | ');
  const look = () => {
    for (const a of document.querySelectorAll(menus)) {
      const label = a.innerText.split('\\n').map((t) => t.trim()).filter((t) => t).pop();
      if (label && !seen.links.includes(label)) seen.links.push(label);
    }
    for (const d of document.querySelectorAll('[role="dialog"]')) {
      const words = d.innerText.trim();
      if (words && !seen.dialogs.includes(words)) seen.dialogs.push(words);
    }
    if (seen.first === null) {
      const drawn = text('[data-testid="stSidebar"], [data-testid="stMain"]');
      if (drawn) seen.first = drawn;
    }
  };
  new MutationObserver(look).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
})();"""

# True once the script run is over, the page has its title, every Plotly chart has drawn its
# SVG, no element is still a loading skeleton, and the charts' sizes and the page's height
# have not changed for 300 ms (a run that has not started yet, or a rerun, starts again).
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


def _settled(page) -> None:
    page.wait_for_function(SETTLED, timeout=DEADLINE, polling="raf")


def _open(browser, url: str):
    """A new tab at `url`, watched from its first paint, once the page has settled."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(DEADLINE)
    page.add_init_script(WATCH)
    page.goto(url)
    _settled(page)
    return page


def _seen(page) -> dict:
    return page.evaluate("() => window.__seen")


def _menu_drawn(page) -> None:
    """The app's menu: a link per page (drawn a moment after the run on a first visit)."""
    page.wait_for_function(
        f"() => document.querySelectorAll('{MENU}').length >= {len(PAGES)}", timeout=DEADLINE
    )


def _heading(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text()


def _full_page_screenshot(page, path) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the content first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(height + 40, 12_000))})
    _settled(page)  # charts redraw at the new size
    page.screenshot(path=path, full_page=True)


@pytest.mark.parametrize(("database", "url_path", "lang"), _cases(), ids=lambda value: str(value))
def test_page_renders_without_error(browser, serve, screenshots, request, database, url_path, lang):
    spec = PAGE[url_path]
    url = serve(request.getfixturevalue(f"{database}_db_for_browser"))
    page = _open(browser, f"{url}/{url_path}?lang={lang}")
    try:
        catalog = load_catalog(lang)
        assert _heading(page) == catalog[spec.title_key]
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
        assert _seen(page)["dialogs"] == []  # not even for a moment ("Page not found")
        if database == "demo" and url_path == "overview":
            _check_demo_overview(page, catalog, lang)
        if database == "small" and url_path == "loyalty":
            _check_simple_mode(page, catalog)
        if url_path == "loyalty" and database != "empty":
            _check_loyalty_verdict_first(page, catalog)
        if database == "empty":
            assert catalog["empty.title"] in page.locator('[data-testid="stAlert"]').inner_text()
        if database in ("market", "uk") and url_path == "overview":
            _check_real_shop_overview(page, catalog, database)
        if database == "market" and url_path == "satisfaction":
            _check_reviews_only_satisfaction(page, catalog)
        _full_page_screenshot(page, screenshots / f"{url_path}-{database}-{lang}.png")
    finally:
        page.close()


def _check_loyalty_verdict_first(page, catalog: dict[str, str]) -> None:
    """Loyalty opens on its verdict: the first thing under the title, above the tiles (the
    net impact in it is the tile's), and the programme's inputs below them all."""
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 8",
        timeout=DEADLINE,
    )
    verdict = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').first
    heads = [catalog[f"loyalty.verdict_{k}"][2:].split("**")[0] for k in ("worth", "not_worth")]
    text = verdict.inner_text()
    assert any(head in text for head in heads), text  # after the icon's name
    net = page.locator('[data-testid="stMetric"]').filter(has_text=catalog["loyalty.m_net_impact"])
    assert net.first.locator('[data-testid="stMetricValue"]').inner_text() in text

    def top(locator) -> float:
        return locator.first.bounding_box()["y"]

    title = page.locator('[data-testid="stMain"] h1')
    assert top(title) < top(verdict) < top(net) < top(page.locator('[data-testid="stSlider"]'))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_loyalty_says_where_a_programme_breaks_even(
    browser, serve, screenshots, demo_db_for_browser, lang
):
    """Points only, on the demo: worth it, with the break-even share in the verdict and
    marked on the sensitivity chart beside the assumed point; a screenshot per language."""
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/loyalty?lang={lang}")
    try:
        catalog = load_catalog(lang)
        preset = page.locator('[data-testid="stButtonGroup"] button')
        preset.filter(has_text=catalog["loyalty.preset_points_only"]).first.click()
        worth = catalog["loyalty.verdict_worth"][2:].split("**")[0]
        # "值得做" is inside "不值得做": wait for the new verdict, not the default one's words
        not_worth = catalog["loyalty.verdict_not_worth"][2:].split("**")[0]
        verdict = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').first
        verdict.filter(has_text=worth, has_not_text=not_worth).wait_for(timeout=DEADLINE)
        _settled(page)
        text = verdict.inner_text()
        share = re.search(r"(\d+)%", text.split(worth, 1)[1])  # the first share said
        assert share and 0 < int(share.group(1)) < 100, text  # below the assumed uplifts
        chart = page.locator(".js-plotly-plot").filter(has_text=catalog["loyalty.sens_break_even"])
        assert chart.count() == 1
        assert catalog["loyalty.sens_assumed"] in chart.inner_text()
        _full_page_screenshot(page, screenshots / f"loyalty-break-even-demo-{lang}.png")
    finally:
        page.close()


def _check_simple_mode(page, catalog: dict[str, str]) -> None:
    """A shop too young for the customer model: simple mode, said, and its eight tiles."""
    notice = page.locator('[data-testid="stAlert"]', has_text=catalog["loyalty.simple_title"])
    assert notice.count() == 1  # below the verdict, the first alert
    page.wait_for_function(  # the first visit fits nothing and simulates from history
        "() => document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 8",
        timeout=DEADLINE,
    )
    assert page.locator('[data-testid="stMetric"]').count() == 8


def _check_real_shop_overview(page, catalog: dict[str, str], database: str) -> None:
    """Money in the shop's currency; less than two years of data: no change, said in words."""
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() == OVERVIEW_KPIS + 4  # the KPIs, then stars, value, risk, satisfaction
    revenue = metrics.nth(2).locator('[data-testid="stMetricValue"]').inner_text()
    assert revenue.startswith(CURRENCY_SIGN[database]), revenue
    deltas = [
        metrics.nth(i).locator('[data-testid="stMetricDelta"]').inner_text()
        for i in range(OVERVIEW_KPIS)
    ]
    assert set(deltas) == {catalog["metric.no_previous"]}
    assert page.locator(".js-plotly-plot").count() == 3  # star mix, funnel, monthly revenue


OVERVIEW_KPIS = 6


def _check_demo_overview(page, catalog: dict[str, str], lang: str) -> None:
    """The KPIs and the story's four tiles, the insights each with its link (keeping a
    language other than English), three charts, and no text drawn over another."""
    assert page.locator('[data-testid="stMetric"]').count() == OVERVIEW_KPIS + 4
    assert page.locator(".js-plotly-plot").count() == 3
    main = page.locator('[data-testid="stMain"]')
    assert catalog["overview.insights_header"] in main.inner_text()
    links = main.locator('[data-testid="stPageLink"] a')
    assert links.count() >= 4 + 2 + 4  # four tiles, two charts, at least four insights
    if lang != "en":
        hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
        assert all(f"lang={lang}" in href for href in hrefs), hrefs
    overlaps = page.evaluate(OVERLAPS)
    assert overlaps == [], overlaps


# Pairs of texts in the main block (tile labels, values, changes, captions, links, list
# items, headings) whose text boxes overlap: a label drawn over another.
OVERLAPS = """() => {
  const selector = '[data-testid="stMain"] :is([data-testid="stMetricLabel"], '
    + '[data-testid="stMetricValue"], [data-testid="stMetricDelta"], '
    + '[data-testid="stCaptionContainer"], [data-testid="stPageLink"] a, '
    + '[data-testid="stMarkdownContainer"] li, h1, h2, h3)';
  const boxes = [...document.querySelectorAll(selector)]
    .map((e) => {  // the box of the text itself, not of its element's margins
      const range = document.createRange();
      range.selectNodeContents(e);
      return { text: e.innerText.trim().slice(0, 40), r: range.getBoundingClientRect() };
    })
    .filter((b) => b.text && b.r.width > 0 && b.r.height > 0);
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      const inside = (p, q) => p.left >= q.left - 1 && p.right <= q.right + 1
        && p.top >= q.top - 1 && p.bottom <= q.bottom + 1;
      if (x > 2 && y > 2 && !inside(a, b) && !inside(b, a)) {
        found.push(`${boxes[i].text} / ${boxes[j].text}`);
      }
    }
  }
  return found;
}"""


def _check_reviews_only_satisfaction(page, catalog: dict[str, str]) -> None:
    """Opens on CSAT, draws its trend, and says that NPS and complaints are not loaded."""
    selected = page.locator('[data-testid="stButtonGroup"] [aria-checked="true"]').first
    assert selected.inner_text() == catalog["satisfaction.metric_csat"]
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert catalog["satisfaction.missing_no_nps"].split(":")[0] in text
    assert catalog["satisfaction.missing_no_complaints"].split(":")[0] in text
    assert page.locator(".js-plotly-plot").count() >= 1


def _check_first_paint(page, catalog: dict[str, str]) -> None:
    """What a fresh server shows from its first paint: the app's name first, and in the
    menu only the app's pages, never Streamlit's list of the files in pages/ ("app", ...)."""
    _menu_drawn(page)
    seen = _seen(page)
    assert catalog["app.title"] in seen["first"], seen["first"]
    assert set(seen["links"]) == {catalog[spec.title_key] for spec in PAGES}, seen["links"]
    assert seen["dialogs"] == [], seen["dialogs"]


@pytest.mark.parametrize("address", ["", "overview"], ids=["root", "overview"])
def test_a_fresh_server_opens_on_the_overview_at_its_address(
    browser, serve, demo_db, tmp_path_factory, address
):
    # a server of its own, so this is its first request
    url = serve(_copy(demo_db, tmp_path_factory, f"fresh-{address or 'root'}"))
    catalog = load_catalog("en")
    page = _open(browser, f"{url}/{address}")
    try:
        _check_first_paint(page, catalog)
        assert _heading(page) == catalog["overview.title"]
        # the root opens the first page at its address, the view pinned to its as-of day
        assert page.url.split("?")[0] == f"{url}/overview"
        assert page.url.split("?")[1].startswith("as_of=")
    finally:
        page.close()
    again = _open(browser, f"{url}/{address}")  # a second visit: no legacy mode any more
    try:
        assert _heading(again) == catalog["overview.title"]
        assert again.url.split("?")[0] == f"{url}/overview"
        assert _seen(again)["dialogs"] == []
    finally:
        again.close()


def test_typed_text_is_not_a_link(browser, serve, demo_db_for_browser):
    url = serve(demo_db_for_browser)
    page = _open(browser, url)  # then to Stars by the menu, as a user goes
    try:
        page.locator(f'{MENU}[href*="stars"]').click()
        label = load_catalog("en")["stars.move_customer"]
        box = page.locator('[data-testid="stTextInput"]').filter(has_text=label).locator("input")
        box.wait_for()
        _settled(page)
        box.fill("[Verify](https://evil.example)")
        box.press("Enter")
        shown = page.get_by_text("No customer with ID [Verify](https:", exact=False)
        shown.first.wait_for()  # the answer names the typed text, as typed
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
    url = serve(_copy(demo_db, tmp_path_factory, "fresh-stars"))
    page = _open(browser, f"{url}/stars")
    try:
        catalog = load_catalog("en")
        _check_first_paint(page, catalog)
        box = (
            page.locator('[data-testid="stTextInput"]')
            .filter(has_text=catalog["stars.move_customer"])
            .locator("input")
        )
        box.fill("C-typed-first")
        box.press("Enter")
        page.get_by_text("No customer with ID C-typed-first").first.wait_for()
        _settled(page)
        assert box.input_value() == "C-typed-first"
    finally:
        page.close()


PORTRAIT = "C0000003"  # a demo customer (seed 7) with orders, contacts and referrals


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_customer_portrait_opened_by_its_address(
    browser, serve, screenshots, demo_db_for_browser, lang
):
    """Customer 360 for one customer, opened from a list's link (`?customer=&from=`): no
    error, the way back, the headline tiles and its charts; a screenshot per language."""
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/customer?lang={lang}&customer={PORTRAIT}&from=churn")
    try:
        catalog = load_catalog(lang)
        assert _heading(page) == catalog["customer.title"]
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
        back = catalog["customer.back"].format(page=catalog["nav.churn"])
        assert page.get_by_text(back).count() == 1
        tiles = page.locator('[data-testid="stMetric"]')
        assert tiles.count() == 12  # the headline, the four scores, the four values
        assert page.locator(".js-plotly-plot").count() == 3  # P(alive), orders, categories
        _full_page_screenshot(page, screenshots / f"customer-portrait-demo-{lang}.png")
    finally:
        page.close()


def test_a_row_of_the_churn_warning_list_opens_its_customer(browser, serve, demo_db_for_browser):
    """Selecting a row of a customer list (here the churn warning list) opens Customer 360
    for that customer, with the way back to the list's page."""
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/churn")
    try:
        grid = page.locator('.st-key-churn_warning_rows [data-testid="stDataFrame"]')
        grid.scroll_into_view_if_needed()
        _settled(page)
        # the first row's customer, from the grid's accessible table (its first row: headers),
        # which the grid fills a moment after it draws: wait for an id to be there
        first_row = grid.locator("table[role=grid] tr").nth(1).locator("td")
        first_row.filter(has_text=re.compile(r"^\s*C\d{7}\s*$")).first.wait_for(
            state="attached", timeout=DEADLINE
        )
        cells = first_row.all_inner_texts()
        clicked = next(c for c in cells if re.fullmatch(r"C\d{7}", c.strip())).strip()
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
        page.wait_for_url("**/customer?**", timeout=DEADLINE)
        _settled(page)
        catalog = load_catalog("en")
        assert _heading(page) == catalog["customer.title"]
        assert f"customer={clicked}" in page.url.split("?", 1)[1].split("&")
        assert "from=churn" in page.url
        page.get_by_text(f"{clicked} · ", exact=False).first.wait_for(timeout=DEADLINE)
        assert page.get_by_text(catalog["customer.back"].format(page=catalog["nav.churn"])).count()
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
    finally:
        page.close()


def test_the_way_back_from_a_portrait_shows_the_list_it_was_picked_from(
    browser, serve, demo_db_for_browser
):
    """A segment chosen on Segments, a member's row picked, then the way back: the list
    shows the chosen segment again, not the default one, and the language is kept."""
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/segments?lang=en")
    try:
        chooser = page.locator('.st-key-seg_list input[role="combobox"]')
        first = chooser.input_value()
        chooser.click()
        chooser.press("ArrowDown")  # opens the list of segments
        options = page.locator('[role="option"]')
        options.nth(1).wait_for()
        chosen = next(t.strip() for t in options.all_inner_texts() if t.strip() != first)
        options.filter(has_text=chosen).first.click()
        _settled(page)
        page.wait_for_function(
            "(t) => document.querySelector('.st-key-seg_list input[role=combobox]').value === t",
            arg=chosen,
            timeout=DEADLINE,
        )
        grid = page.locator('.st-key-segments_list_rows [data-testid="stDataFrame"]')
        grid.scroll_into_view_if_needed()
        _settled(page)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
        page.wait_for_url("**/customer?**", timeout=DEADLINE)
        _settled(page)
        catalog = load_catalog("en")
        back = catalog["customer.back"].format(page=catalog["nav.segments"])
        page.get_by_text(back).click()
        page.wait_for_url("**/segments?lang=en&as_of=*", timeout=DEADLINE)
        _settled(page)
        shown = page.locator('.st-key-seg_list input[role="combobox"]').input_value()
        assert shown == chosen != first
        assert "/customer" not in page.url  # the row's selection was not kept
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
    finally:
        page.close()


def _box(locator) -> dict:
    return locator.first.bounding_box()


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_stars_draft_shows_its_effect_beside_the_sliders(
    browser, serve, screenshots, demo_db_for_browser, lang
):
    """The relationship weight pushed to 100 with the keyboard: the customers it moves show
    in the tiles beside the sliders (in view with them at 1400 px), the flows are drawn in
    the direction colours and the who-moves list fills; a screenshot per language."""
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/stars?lang={lang}")
    try:
        catalog = load_catalog(lang)
        sliders = page.locator('[data-testid="stSlider"]')
        weight = sliders.filter(has_text=catalog["stars.dim_relationship"])
        weight.get_by_role("slider").first.focus()
        weight.get_by_role("slider").first.press("End")
        up_tile = page.locator('[data-testid="stMetric"]').filter(
            has_text=catalog["stars.moved_up"]
        )
        page.wait_for_function(
            """(label) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                .some((m) => m.innerText.includes(label)
                    && /[1-9]/.test(m.querySelector('[data-testid="stMetricValue"]').innerText))""",
            arg=catalog["stars.moved_up"],
            timeout=DEADLINE,
        )
        _settled(page)
        errors = page.locator(ERRORS)
        assert errors.count() == 0, errors.first.inner_text()
        # beside: the tile starts right of the weight slider and above the last slider's end
        slider, tile, last = _box(weight), _box(up_tile), sliders.last.bounding_box()
        assert tile["x"] >= slider["x"] + slider["width"]
        assert tile["y"] < last["y"] + last["height"]
        assert tile["y"] + tile["height"] <= 1000  # in view without scrolling
        # the flows: links up in green and down in red (ui.theme.UP / DOWN, see-through)
        fills = page.evaluate(
            "() => [...document.querySelectorAll('.sankey-link')]"
            ".map((p) => getComputedStyle(p).fill)"
        )
        assert any("30, 158, 106" in f for f in fills) and any("217, 69, 61" in f for f in fills)
        net = page.get_by_text(catalog["stars.net_header"], exact=True)
        assert net.count() == 1
        grid = page.locator('[data-testid="stDataFrame"]').filter(
            has_text=catalog["stars.col_reason"]
        )
        assert grid.count() == 1
        _full_page_screenshot(page, screenshots / f"stars-draft-demo-{lang}.png")
        # a row of who moves opens that customer's portrait (the list is in a fragment)
        moves = page.locator('.st-key-stars_moves_rows [data-testid="stDataFrame"]')
        moves.scroll_into_view_if_needed()
        _settled(page)
        first_row = moves.locator("table[role=grid] tr").nth(1).locator("td")
        first_row.filter(has_text=re.compile(r"^\s*C\d{7}\s*$")).first.wait_for(
            state="attached", timeout=DEADLINE
        )
        clicked = next(
            c.strip() for c in first_row.all_inner_texts() if re.fullmatch(r"C\d{7}", c.strip())
        )
        box = moves.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
        page.wait_for_url("**/customer?**", timeout=DEADLINE)
        _settled(page)
        assert f"customer={clicked}" in page.url.split("?", 1)[1].split("&")
        assert "from=stars" in page.url
    finally:
        page.close()


def test_a_saved_stars_version_is_made_active_after_confirming(
    browser, serve, screenshots, demo_db, tmp_path_factory
):
    """A draft saved is not active; "Make active…" opens a dialog that says how many
    customers change star, and confirming makes it active and says so (its own database:
    the activation re-rates it)."""
    url = serve(_copy(demo_db, tmp_path_factory, "stars-activate"))
    page = _open(browser, f"{url}/stars")
    try:
        catalog = load_catalog("en")
        weight = page.locator('[data-testid="stSlider"]').filter(
            has_text=catalog["stars.dim_relationship"]
        )
        weight.get_by_role("slider").first.focus()
        weight.get_by_role("slider").first.press("End")
        _settled(page)  # the draft's rerun done: Save is enabled for a draft that differs
        save = page.get_by_role("button", name=catalog["stars.save"])
        page.wait_for_function("(b) => !b.disabled", arg=save.element_handle())
        save.click()
        page.get_by_text(catalog["stars.saved"].format(name="default", version=1)).wait_for()
        _settled(page)
        page.get_by_role("button", name=catalog["stars.activate"]).click()
        dialog = page.locator('[role="dialog"]')
        dialog.get_by_text(catalog["stars.confirm_yes"]).wait_for()
        said = re.search(r"of (\d[\d,]*) customers", dialog.inner_text())
        assert said, dialog.inner_text()
        page.screenshot(path=screenshots / "stars-activate-dialog-demo-en.png")
        dialog.get_by_role("button", name=catalog["stars.confirm_yes"]).click()
        done = catalog["stars.activated"].format(name="default v1", moved=said.group(1))
        page.get_by_text(done).wait_for()
        _settled(page)
        assert page.locator('[role="dialog"]').count() == 0
        caption = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first
        assert "(version 1)" in caption.inner_text()  # the page now rates with it
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
