"""Every page on the two real-shaped databases, in both languages: it renders, it says what
is missing in words, and money is in the shop's currency, never in yuan."""

from __future__ import annotations

import pytest

from ui.navigation import PAGES

SYMBOLS = {"uk_shop_db": "£", "market_db": "R$"}


def _texts(at) -> list[str]:
    """Every text a user reads on the page: headings, metrics, captions, alerts, markdown."""
    found = [m.value for m in at.metric] + [m.label for m in at.metric]
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning"):
        found += [str(element.value) for element in getattr(at, kind)]
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
@pytest.mark.parametrize("database", ["uk_shop_db", "market_db"])
def test_page_renders_on_a_real_shaped_database(app_on, request, database, spec, lang):
    at = app_on(request.getfixturevalue(database), lang=lang)
    if spec != PAGES[0]:
        at = at.switch_page(spec.path).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    texts = _texts(at)
    assert not any("¥" in text for text in texts), [t for t in texts if "¥" in t]
    if spec.url_path in ("overview", "value"):
        symbol = SYMBOLS[database]
        assert any(symbol in m.value for m in at.metric), [m.value for m in at.metric]


def test_without_costs_each_page_says_what_stands_in_for_margin(app_on, uk_shop_db):
    """The value and loyalty figures use the margin on their slider; the star rating and the
    key accounts use revenue: each page says which, in words."""
    at = app_on(uk_shop_db)
    said = {}
    for page in ("pages/value.py", "pages/loyalty.py", "pages/segments.py"):
        at = at.switch_page(page).run()
        said[page] = " ".join(str(i.value) for i in at.info)
    assert "gross margin on the slider" in said["pages/value.py"]
    assert "gross margin on the slider" in said["pages/loyalty.py"]
    assert "revenue stands in" in said["pages/segments.py"]
    assert "revenue stands in" not in said["pages/value.py"]
