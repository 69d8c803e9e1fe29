"""The registry of pages: one entry per file in pages/, in menu order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to app.py
    title_key: str  # catalog key of the menu title
    icon: str
    url_path: str


PAGES = (PageSpec("pages/overview.py", "nav.overview", ":material/dashboard:", "overview"),)
