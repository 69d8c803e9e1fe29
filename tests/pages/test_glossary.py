"""The glossary page through app.py in both languages: every term with its explanation,
a search that narrows the list and says when nothing matches; and the pages' hovers that
show the same explanations."""

import pytest

from ui import glossary
from ui.i18n import load_catalog

PAGE = "pages/glossary.py"


def _open(app_on, path, lang):
    at = app_on(path, lang=lang).switch_page(PAGE).run()
    assert not at.exception
    return at


def _shown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_term_is_on_the_page(app_on, demo_db, lang):
    at = _open(app_on, demo_db, lang)
    catalog = load_catalog(lang)
    assert at.title[0].value == catalog["glossary.title"]
    shown = _shown(at)
    for term in glossary.TERMS:
        assert f"**{catalog[f'glossary.{term}_name']}**" in shown, term
        assert catalog[f"glossary.{term}"] in shown, term
    assert [s.value for s in at.subheader] == [
        catalog[f"glossary.group_{g}"] for g in glossary.GROUPS
    ]


@pytest.mark.parametrize("lang, query", [("en", "clv"), ("zh", "流失")])
def test_a_search_narrows_the_list(app_on, demo_db, lang, query):
    at = _open(app_on, demo_db, lang)
    at.text_input(key="glossary_search").input(query).run()
    catalog = load_catalog(lang)
    names = [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**")]
    expected = [
        catalog[f"glossary.{term}_name"]
        for term in glossary.TERMS
        if query.casefold()
        in f"{catalog[f'glossary.{term}_name']} {catalog[f'glossary.{term}']}".casefold()
    ]
    assert names and sorted(names) == sorted(expected)
    assert len(names) < len(glossary.TERMS)
    at.text_input(key="glossary_search").input("zzzz").run()
    assert not [m for m in at.markdown if m.value.startswith("**")]
    assert at.info[0].value == catalog["glossary.none_found"].format(query="zzzz")


def test_the_glossary_opens_on_an_empty_database(app_on, empty_db):
    at = _open(app_on, empty_db, "en")
    assert "**RFM**" in _shown(at)
