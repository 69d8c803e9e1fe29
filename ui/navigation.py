"""The registry of pages: one entry per file in pages/, in menu order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to app.py
    title_key: str  # catalog key of the menu title
    icon: str
    url_path: str


PAGES = (
    PageSpec("pages/overview.py", "nav.overview", ":material/dashboard:", "overview"),
    PageSpec("pages/stars.py", "nav.stars", ":material/star:", "stars"),
    PageSpec("pages/segments.py", "nav.segments", ":material/grid_view:", "segments"),
    PageSpec("pages/value.py", "nav.value", ":material/savings:", "value"),
    PageSpec("pages/lifecycle.py", "nav.lifecycle", ":material/cycle:", "lifecycle"),
    PageSpec("pages/churn.py", "nav.churn", ":material/warning:", "churn"),
    PageSpec("pages/satisfaction.py", "nav.satisfaction", ":material/mood:", "satisfaction"),
    PageSpec("pages/loyalty.py", "nav.loyalty", ":material/loyalty:", "loyalty"),
)
