"""Every page's first open on a fresh server, as a user sees it: `make run`'s command on a
database, then each page opened once in headless Chromium, in the menu's order.

The time of a page is from the tab's navigation start to the moment its layout last
changed before it settled (the script run over, every chart drawn, no skeleton, nothing
moving for 300 ms: the browser tests' SETTLED state, whose 300 ms of stillness is not
counted). The first page pays the server's imports; each later page is that page's first
run on the server, with what earlier pages cached (the shared data, the fitted models)
as a user who clicks through the menu finds it. A second round opens every page again in
a new tab (a new session): the warm figure.

    python -m bench.browser_pages --db PATH [--lang en]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, _free_port, _wait_healthy
from tests.browser.test_pages import ERRORS, SETTLED
from ui.navigation import PAGES

DEADLINE_MS = 600_000


def _open_timed(browser, url: str) -> float:
    """Seconds from navigation start to the page's settled layout; raises on an error box."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(DEADLINE_MS)
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=DEADLINE_MS, polling="raf")
    errors = page.locator(ERRORS)
    if errors.count():
        raise RuntimeError(f"{url}: {errors.first.inner_text()[:300]}")
    seconds = page.evaluate("() => window.__since") / 1000
    page.close()
    return seconds


def run(db_path: Path, lang: str = "en") -> dict:
    """Per page: the first open on a fresh server and a second open (warm), in seconds."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "STARTIER_DB": str(db_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    figures: dict[str, dict] = {}
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for spec in PAGES:
                first = _open_timed(browser, f"{url}/{spec.url_path}?lang={lang}")
                figures[spec.url_path] = {"first_open_seconds": round(first, 2)}
                print(spec.url_path, figures[spec.url_path], flush=True)
            for spec in PAGES:
                warm = _open_timed(browser, f"{url}/{spec.url_path}?lang={lang}")
                figures[spec.url_path]["warm_open_seconds"] = round(warm, 2)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=120)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_pages")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    print(json.dumps(run(args.db, args.lang), indent=2))


if __name__ == "__main__":
    main()
