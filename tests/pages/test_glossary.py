"""The glossary page through app.py in both languages: every term with its explanation,
a search that narrows the list and says when nothing matches; and the pages' hovers that
show the same explanations."""

import json

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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_glossary_opens_on_an_empty_database(app_on, empty_db, lang):
    at = _open(app_on, empty_db, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert "**RFM**" in _shown(at)


def _column_help(at, column: str) -> list[str]:
    """The hover text of `column` in each table of the page that has it."""
    found = []
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        if column in config:
            found.append(config[column].get("help"))
    return found


HOVERS = [  # (page, table column, glossary term)
    ("pages/value.py", "predicted_clv", "clv_predicted"),
    ("pages/value.py", "formula_clv", "clv_formula"),
    ("pages/value.py", "p_alive", "p_alive"),
    ("pages/churn.py", "churn_risk", "churn_risk"),
    ("pages/churn.py", "p_alive", "p_alive"),
    ("pages/loyalty.py", "tier", "value_tier"),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_pages_show_the_glossary_on_hover(app_on, demo_db, market_db, lang):
    catalog = load_catalog(lang)
    at = app_on(demo_db, lang=lang)
    for page, column, term in HOVERS:
        at.switch_page(page).run()
        assert not at.exception
        hovers = _column_help(at, column)
        assert hovers and set(hovers) == {catalog[f"glossary.{term}"]}, (page, column)
    at.switch_page("pages/segments.py").run()
    assert at.subheader[0].proto.help == catalog["glossary.rfm"]
    at = app_on(market_db, lang=lang).switch_page("pages/satisfaction.py").run()
    for column in ("nps", "csat"):  # the marketplace has CSAT answers: its group table
        hovers = _column_help(at, column)
        assert hovers and set(hovers) == {catalog[f"glossary.{column}"]}, column
