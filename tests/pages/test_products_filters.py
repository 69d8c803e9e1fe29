"""What to offer next under a filter that chooses a few new customers (the demo's sign-ups
of its last days), in both languages: the rules are still every basket's, the caption says
so, and the target list holds the chosen buyers' offers, each as their Customer 360 has it."""

from __future__ import annotations

import datetime as dt

import pytest

from core import db, offers
from core.filters import Filters, chosen_ids
from tests.pages.conftest import opening
from ui import format as fmt
from ui.i18n import load_catalog

PAGE = "pages/products.py"
END = dt.date(2026, 11, 17)  # a few days before the demo's end
JOINED = {"joined_from": "2026-11-01", "joined_to": END.isoformat()}


@pytest.fixture
def open_at(monkeypatch):
    with opening(monkeypatch, PAGE) as start:
        yield start


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_few_new_customers_get_everyones_rules(open_at, demo_db, lang):
    words = load_catalog(lang)
    at = open_at(demo_db, lang, **JOINED)
    assert not at.exception
    con = db.connect(demo_db)
    try:
        as_of = db.built_as_of(con)
        ids = chosen_ids(con, Filters(joined_from=dt.date(2026, 11, 1), joined_to=END))
        found = offers.association_rules(con, as_of)
        listed = offers.offers(con, as_of, customers=ids)
    finally:
        con.close()
    assert 0 < listed["customer_id"].nunique() <= len(ids) < 300  # a few, some have bought
    tiles = {m.label: m.value for m in at.metric}
    assert tiles[words["products.rule_count"]] == fmt.count(len(found.rules), lang)
    assert words["products.filtered_baskets"] in [c.value for c in at.caption]
    counted = words["products.targets_caption"].format(
        customers=fmt.count(listed["customer_id"].nunique(), lang), rows=200
    )
    assert counted in [c.value for c in at.caption]
