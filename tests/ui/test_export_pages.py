"""Every customer list has its download buttons, on the demo and on real-shaped shops, in
both languages; an empty list has them disabled."""

from __future__ import annotations

import pytest

from tests.pages.conftest import app_on  # noqa: F401 (the fixture, shared with the page tests)

LABELS = {"en": ("Download CSV", "Download Excel"), "zh": ("下载 CSV", "下载 Excel")}


def _buttons(at) -> dict[str, object]:
    """The page's download buttons by their key (`<file name>_csv`, `<file name>_xlsx`)."""
    return {b.proto.id.split("-", 2)[2]: b for b in at.get("download_button")}


def _open(app_on, path, page: str, lang: str = "en"):  # noqa: F811
    at = app_on(path, lang=lang)
    at = at.switch_page(page).run()
    assert not at.exception, at.exception
    asked = [t for t in at.toggle if t.key == "products_targets_run"]
    if asked and not asked[0].value:  # a large base makes the target list on request
        at = asked[0].set_value(True).run()
        assert not at.exception, at.exception
    return at


# page -> the start of the file names of its lists
LISTS = {
    "pages/stars.py": ("startier-5-stars",),
    "pages/segments.py": ("segment-", "key-accounts"),
    "pages/products.py": ("offers-",),
    "pages/value.py": ("customer-value-2", "customer-value-by-"),  # every customer, by group
    "pages/churn.py": ("churn-warning-",),
    "pages/lifecycle.py": ("lifecycle-2", "lifecycle-flows-", "lifecycle-economics-"),
    "pages/satisfaction.py": ("value-at-risk-",),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", list(LISTS))
@pytest.mark.parametrize("database", ["demo_db", "real_shaped"])
def test_every_list_has_its_buttons(app_on, request, database, page, lang):  # noqa: F811
    if database == "real_shaped":  # the UK shop has no feedback: the marketplace has reviews
        database = "market_db" if page == "pages/satisfaction.py" else "uk_shop_db"
    at = _open(app_on, request.getfixturevalue(database), page, lang)
    buttons = _buttons(at)
    for start in LISTS[page]:
        files = sorted(key for key in buttons if key.startswith(start))
        assert [f.rsplit("_", 1)[1] for f in files] == ["csv", "xlsx"], (start, list(buttons))
        labels = sorted(buttons[f].proto.label for f in files)
        assert labels == sorted(LABELS[lang])
        assert not any(buttons[f].proto.disabled for f in files)
