"""Every page's first open after `make run`, in headless Chromium, two ways, beside the floor.

- As a user moves (the target's figure): `make run`'s command on a fresh server, the app
  opened at its address (the root, which opens the first page), then every other page
  first opened by clicking its link in the menu, in the menu's order, in that one tab. A
  click's time runs from the click to the page's settled layout.
- In a new tab each (for information): on another fresh server, every page opened in a new
  tab (a new browser session: Streamlit's scripts loaded, a websocket, the frame drawn
  again), in the menu's order, then a second time (warm).
- The floor: a bare Streamlit page (one st.write) on a fresh server with the app's
  settings (.streamlit/config.toml), opened in a new tab twice, and the same page with one
  small Plotly chart (Plotly's script is Streamlit's largest, loaded at the first chart).
  What the app adds is its figure less the floor's.

Every open is timed to the moment the page's layout last changed before it settled (the
script run over, the right page's heading, every chart drawn, no skeleton, nothing moving
for 300 ms: the browser tests' SETTLED state, whose 300 ms of stillness is not counted).
Beside each time: when the server's script run began and ended as the page saw it, so the
rest (scripts, websocket, chart drawing) is the browser's.

    python -m bench.browser_pages --db PATH [--lang en]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, _wait_healthy
from tests.browser.test_pages import ERRORS, MENU, SETTLED
from ui.i18n import load_catalog
from ui.navigation import PAGES

DEADLINE_MS = 600_000

# Installed before a page loads: when each script run began and ended (the app's
# data-test-script-state), and the last click, which starts the count of runs again.
RUNS = """(() => {
  const w = window;
  w.__runs = 0;
  document.addEventListener('click', () => {
    w.__clicked = performance.now();
    w.__runs = 0;
    w.__layout = null;  // SETTLED's stillness counts again from the click's run
  }, true);
  let last = null;
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state === last) return;
    last = state;
    if (state === 'running') {
      w.__runs += 1;
      if (w.__runs === 1) w.__run_started = performance.now();
    }
    if (state === 'notRunning') w.__run_ended = performance.now();
  }).observe(document, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-test-script-state'],
  });
})();"""

FLOOR_PAGES = {
    "bare": 'import streamlit as st\n\nst.write("# StarTier")\n',
    "bare_with_chart": (
        "import plotly.graph_objects as go\nimport streamlit as st\n\n"
        'st.write("# StarTier")\n'
        "st.plotly_chart(go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2])))\n"
    ),
}


@contextmanager
def _server(script: Path | str, db_path: Path):
    """`make run`'s command (the app's settings from ROOT/.streamlit) on a free port."""
    port = _free_port()
    env = {**os.environ, "STARTIER_DB": str(db_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=120)


def _settled_on(page, heading: str | None) -> None:
    """Wait for a run after the last click (or the load), the heading, a settled layout."""
    title = "true" if heading is None else (
        "(document.querySelector('[data-testid=\"stMain\"] h1') || {}).innerText"
        f" === {json.dumps(heading)}"
    )  # fmt: skip
    page.wait_for_function(
        f"() => window.__runs > 0 && {title} && ({SETTLED})()",
        timeout=DEADLINE_MS,
        polling="raf",
    )
    errors = page.locator(ERRORS)
    if errors.count():
        raise RuntimeError(f"{page.url}: {errors.first.inner_text()[:300]}")


def _since(page, start: str) -> dict:
    """Seconds from `start` (a performance.now() expression) to the settled layout, to the
    first script run's start and to the last run's end."""
    marks = page.evaluate(
        f"() => {{ const s = {start}; return [window.__since - s,"
        " window.__run_started - s, window.__run_ended - s]; }"
    )
    seconds, started, ended = (round(mark / 1000, 2) for mark in marks)
    return {"seconds": seconds, "script_started": started, "script_ended": ended}


def _new_tab(browser, url: str, heading: str | None):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(DEADLINE_MS)
    page.add_init_script(RUNS)
    page.goto(url)
    _settled_on(page, heading)
    return page, _since(page, "0")  # performance.now() counts from the navigation start


def _click(page, url_path: str, heading: str) -> dict:
    page.locator(f'{MENU}[href^="{url_path}"]').click()
    _settled_on(page, heading)
    # a run started after the click: __run_started is the load's, so take the click's
    timed = _since(page, "window.__clicked")
    del timed["script_started"]
    return timed


def floor(browser) -> dict:
    """The bare Streamlit pages' first and second open in a new tab, each on its own server."""
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, source in FLOOR_PAGES.items():
            script = Path(folder) / f"{name}.py"
            script.write_text(source)
            with _server(script, Path(folder) / "none.duckdb") as url:
                first = _new_tab(browser, url, "StarTier")
                first[0].close()
                warm = _new_tab(browser, url, "StarTier")
                warm[0].close()
            figures[name] = {
                "first_open_seconds": first[1]["seconds"],
                "warm_open_seconds": warm[1]["seconds"],
                "first_script_started": first[1]["script_started"],
                "warm_script_started": warm[1]["script_started"],
            }
            print("floor", name, figures[name], flush=True)
    return figures


def by_menu(browser, db_path: Path, lang: str) -> dict:
    """The app opened at its root on a fresh server, then every page by its menu link."""
    catalog = load_catalog(lang)
    figures = {}
    with _server("app.py", db_path) as url:
        page, timed = _new_tab(browser, f"{url}/?lang={lang}", catalog[PAGES[0].title_key])
        figures[PAGES[0].url_path] = timed
        print("menu", PAGES[0].url_path, timed, flush=True)
        for spec in PAGES[1:]:
            figures[spec.url_path] = _click(page, spec.url_path, catalog[spec.title_key])
            print("menu", spec.url_path, figures[spec.url_path], flush=True)
        page.close()
    return figures


def in_new_tabs(browser, db_path: Path, lang: str) -> dict:
    """Every page in a new tab on a fresh server, then each again."""
    catalog = load_catalog(lang)
    figures: dict[str, dict] = {}
    with _server("app.py", db_path) as url:
        for round_ in ("first", "warm"):
            for spec in PAGES:
                page, timed = _new_tab(
                    browser, f"{url}/{spec.url_path}?lang={lang}", catalog[spec.title_key]
                )
                page.close()
                figures.setdefault(spec.url_path, {})[round_] = timed
                print("new tab", round_, spec.url_path, timed, flush=True)
    return figures


def run(db_path: Path, lang: str = "en") -> dict:
    """Per page: its first open by the menu (the target's figure), its script's end as the
    page saw it, and its first and second open in a new tab; and the floor's opens."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            bare = floor(browser)
            menu = by_menu(browser, db_path, lang)
            tabs = in_new_tabs(browser, db_path, lang)
        finally:
            browser.close()
    pages = {
        spec.url_path: {
            "menu_open_seconds": menu[spec.url_path]["seconds"],
            "menu_script_ended": menu[spec.url_path]["script_ended"],
            "first_open_seconds": tabs[spec.url_path]["first"]["seconds"],
            "first_script_started": tabs[spec.url_path]["first"]["script_started"],
            "first_script_ended": tabs[spec.url_path]["first"]["script_ended"],
            "warm_open_seconds": tabs[spec.url_path]["warm"]["seconds"],
            "warm_script_started": tabs[spec.url_path]["warm"]["script_started"],
        }
        for spec in PAGES
    }
    return {"pages": pages, "floor": bare, "first_menu_open": "the app at its root address"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_pages")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    print(json.dumps(run(args.db, args.lang), indent=2))


if __name__ == "__main__":
    main()
