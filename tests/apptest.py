"""AppTest helpers shared by the page tests and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from streamlit.runtime.pages_manager import PagesManager


@contextmanager
def without_legacy_pages_mode() -> Iterator[None]:
    """Run AppTest as a real server runs the app.

    AppTest resets `PagesManager.uses_pages_directory` before every run, and with a
    `pages/` folder beside app.py it then runs the page file without app.py on reruns
    (Streamlit's legacy multipage mode). A real server leaves that mode for good at the
    first `st.navigation` call; this makes AppTest do the same while it is active.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    try:
        yield
    finally:
        PagesManager.__init__ = original
