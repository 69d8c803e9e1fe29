"""The view's report (ui/report.py) and the page's captions: every caption of the page's
main area is in the report once, as a note, but the click hints (`ui.drill.hint`, and a
table's "click a row" hint) and the tiles' captions (in their tile already)."""

from __future__ import annotations

import pytest

from tests.pages.conftest import app_on  # noqa: F401 (the fixture)
from ui.i18n import load_catalog

HINTS = {  # page -> the catalog keys of the click hints it draws
    "pages/overview.py": ("overview.mix_click", "overview.funnel_click"),
    "pages/value.py": ("value.band_click", "value.group_click"),
    "pages/satisfaction.py": (
        "satisfaction.click_trend",
        "satisfaction.click_complaints",
        "satisfaction.click_backlog",
        "satisfaction.click_bands",
    ),
    "pages/lifecycle.py": (
        "lifecycle.click_funnel",
        "lifecycle.click_rates",
        "lifecycle.click_cohorts",
        "lifecycle.click_economics",
    ),
    "pages/segments.py": ("segments.grid_click", "segments.table_click"),
    "pages/stars.py": ("stars.distribution_click",),
    "pages/churn.py": ("churn.click_band",),
}


def _notes(made) -> list[str]:
    return [content for kind, content in made.parts if kind == "note"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", sorted(HINTS))
def test_captions_are_noted_once_but_the_hints_and_the_tiles_own(app_on, demo_db, page, lang):  # noqa: F811
    words = load_catalog(lang)
    at = app_on(demo_db, lang=lang)
    if page != "pages/overview.py":
        at = at.switch_page(page).run()
    assert not at.exception
    made = at.session_state["_view_report"]
    notes = _notes(made)
    hints = {words[key] for key in HINTS[page]} | {words["customer.open_hint"]}
    shown = [c.value for c in at.main.caption]
    assert hints & set(shown), "the page draws its hints"  # so leaving them out means something
    assert not hints & set(notes)
    tile_captions = {
        tile.caption for kind, tiles in made.parts if kind == "tiles" for tile in tiles
    }
    expected = [c for c in shown if c not in hints and c not in tile_captions]
    assert [c for c in expected if c not in notes] == []  # every caption is noted
    assert sorted(notes) == sorted(expected)  # once
