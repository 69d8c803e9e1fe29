"""Clicking a chart in Chromium and waiting for the list it opens: the helpers the browser
tests of every page's drill-downs share.

A chart is found by its element's key (`.st-key-<key> .js-plotly-plot`); the mouse clicks
where Plotly drew the point, and every step waits for a state (the point selected, the
list's heading, its rows, the list gone), never for a time.
"""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_pages import DEADLINE, _open, _settled

# the middle of the bar (or funnel step) Plotly drew for point `index` of trace `curve`
BAR = """([selector, curve, index]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const trace = gd.querySelectorAll('g.trace')[curve];
  const box = trace.querySelectorAll('g.point path')[index].getBoundingClientRect();
  return {x: box.left + box.width / 2, y: box.top + box.height / 2};
}"""

# where Plotly drew point `index` of trace `curve` of the chart under `selector`, in the
# page's pixels: its axes' offsets plus the point's data mapped to pixels (a bar's middle)
POINT = """([selector, curve, index]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const trace = gd._fullData[curve];
  const xa = gd._fullLayout[trace.xaxis.replace('x', 'xaxis')];
  const ya = gd._fullLayout[trace.yaxis.replace('y', 'yaxis')];
  const box = gd.getBoundingClientRect();
  return {
    x: box.left + xa._offset + xa.d2p(trace.x[index]),
    y: box.top + ya._offset
      + ya.d2p(trace.type === 'bar' ? trace.y[index] / 2 : trace.y[index]),
  };
}"""

# the chart under `selector` shows a point of trace `curve` selected
SELECTED = """([selector, curve]) => {
  const gd = document.querySelector(selector + ' .js-plotly-plot');
  const picked = gd && gd.data[curve] && gd.data[curve].selectedpoints;
  return Array.isArray(picked) && picked.length > 0;
}"""

TRIES = 3  # clicks on a bar before giving up on seeing it selected


@pytest.fixture
def demo_page(browser, serve, demo_db_for_browser):
    """`with demo_page("/segments?lang=en") as page:` a page of the demo's app, served once
    per test and opened at that address, closed after (a test module imports this fixture
    with `demo_db_for_browser`, which it uses)."""
    url = serve(demo_db_for_browser)

    @contextlib.contextmanager
    def opened(address: str):
        page = _open(browser, f"{url}{address}")
        try:
            yield page
        finally:
            page.close()

    return opened


def show_chart(page, selector: str) -> None:
    """Scroll the chart under `selector` into view and wait for the page to settle."""
    page.locator(f"{selector} .js-plotly-plot").scroll_into_view_if_needed()
    _settled(page)


def click_bar(page, selector: str, curve: int, index: int) -> None:
    """Click the middle of bar `index` of trace `curve` until the chart shows it selected
    (a click while a cold server's first reruns redraw the chart is lost with the drawing)."""
    for _ in range(TRIES):
        show_chart(page, selector)
        where = page.evaluate(BAR, [selector, curve, index])
        page.mouse.click(where["x"], where["y"])
        try:
            page.wait_for_function(SELECTED, arg=[selector, curve], timeout=DEADLINE // 8)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"a click on bar {index} of {selector} never selected it")


def click_point(page, selector: str, curve: int, index: int) -> None:
    """Click point `index` of trace `curve` where Plotly's axes put it (a heatmap's unseen
    marker, a bar's middle); once, since a second click on a selected point would clear it."""
    show_chart(page, selector)
    where = page.evaluate(POINT, [selector, curve, index])
    page.mouse.click(where["x"], where["y"])


def heading(page, text: str):
    """The first bold text holding `text` (a list's heading), once shown and settled."""
    found = page.locator('[data-testid="stMarkdownContainer"] strong', has_text=text).first
    found.wait_for(timeout=DEADLINE)
    _settled(page)
    return found


def rows_shown(page, key: str) -> None:
    """Wait for the rows of the list keyed `key` (`ui.drill.customer_list`'s `<key>_rows`)."""
    page.locator(f".st-key-{key}_rows [data-testid='stDataFrame']").wait_for(timeout=DEADLINE)


def shot(page, element, path) -> None:
    """A screenshot at `path` with `element` (a list's heading) in view."""
    element.scroll_into_view_if_needed()
    page.screenshot(path=path)


def close_list(page, key: str) -> None:
    """Click the Close button of the list keyed `key` and wait until the list is gone."""
    page.locator(f".st-key-{key}_close button").click()
    page.locator(f".st-key-{key}_list").wait_for(state="detached", timeout=DEADLINE)
    _settled(page)
