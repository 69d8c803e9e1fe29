"""The registry of pages (one entry per file in pages/, in menu order) and the app's menu.

Every page has its own address, the first one too (`/overview`); the root address opens the
first page. The menu is drawn here, in the sidebar, as links: Streamlit's automatic menus
are off (`client.showSidebarNavigation = false` in .streamlit/config.toml), because the one
a fresh server shows before `st.navigation` has run lists the files of pages/ (app, churn,
...), not the app's pages. That setting hides the menu `st.navigation` would draw too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui import session


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
    PageSpec("pages/products.py", "products.nav", ":material/shopping_basket:", "products"),
    PageSpec("pages/value.py", "nav.value", ":material/savings:", "value"),
    PageSpec("pages/lifecycle.py", "nav.lifecycle", ":material/cycle:", "lifecycle"),
    PageSpec("pages/churn.py", "nav.churn", ":material/warning:", "churn"),
    PageSpec("pages/satisfaction.py", "nav.satisfaction", ":material/mood:", "satisfaction"),
    PageSpec("pages/loyalty.py", "nav.loyalty", ":material/loyalty:", "loyalty"),
    PageSpec("pages/customer.py", "customer.nav", ":material/person_search:", "customer"),
    # last: reference for every page, not a step of the analysis
    PageSpec("pages/glossary.py", "glossary.nav", ":material/menu_book:", "glossary"),
)


def _first_page() -> None:
    """The root address: go to the first page, at its own address, keeping the view."""
    st.switch_page(PAGES[0].path, query_params=st.query_params.to_dict())


def navigate(title: Callable[[str], str], menu) -> StreamlitPage:
    """Register the pages, draw their links into `menu` (a sidebar container) and return
    the page the address asks for. `title` words a catalog key in the current language."""
    pages = [
        st.Page(spec.path, title=title(spec.title_key), icon=spec.icon, url_path=spec.url_path)
        for spec in PAGES
    ]
    root = st.Page(_first_page, title=pages[0].title, url_path="start", default=True)
    chosen = st.navigation([root, *pages], position="hidden")
    for page in pages:
        # Without query_params a page link clears the address's: the view goes with it.
        menu.page_link(page, query_params=session.link_params())
    return chosen
