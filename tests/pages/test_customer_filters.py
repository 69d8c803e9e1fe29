"""Customer 360 with the shared filters: the search finds only the chosen customers and
says how many matches the filters hide (checked against the unfiltered search restricted by
hand); a customer asked for by link opens whatever the filters, with a note when outside."""

from __future__ import annotations

import pytest

from core import customer360 as c3
from core import db
from core.filters import Filters, chosen_ids
from tests.pages.conftest import opening
from ui.i18n import load_catalog

PAGE = "pages/customer.py"
REGION = "North China"  # of the demo
TEXT = "C00001"  # the ids C0000100 to C0000199


@pytest.fixture
def open_at(monkeypatch):
    """`open_at(path, lang, **params)` -> Customer 360 at `?params`, run once."""
    with opening(monkeypatch, PAGE) as start:
        yield start


@pytest.fixture(scope="module")
def region(demo_db):
    """(the chosen ids, every match of TEXT, the chosen matches) on the demo, by hand."""
    con = db.connect(demo_db)
    ids = chosen_ids(con, Filters(regions=(REGION,)))
    every = c3.search(con, TEXT, limit=10_000)
    con.close()
    mine = every[every["customer_id"].isin(ids)]
    assert 0 < len(mine) < len(every)
    return ids, every, mine


def test_the_search_is_the_unfiltered_one_restricted(demo_db, region):
    ids, every, mine = region
    con = db.connect(demo_db)
    found = c3.search(con, TEXT, limit=5, customers=ids)
    assert found["customer_id"].tolist() == mine["customer_id"].head(5).tolist()
    assert c3.hidden_matches(con, TEXT, ids) == len(every) - len(mine)
    assert (
        c3.search(con, TEXT, limit=5)["customer_id"].tolist()
        == every["customer_id"].head(5).tolist()
    )
    con.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_searches_the_chosen_and_says_what_it_hides(open_at, demo_db, region, lang):
    words = load_catalog(lang)
    _, every, mine = region
    at = open_at(demo_db, lang, region=REGION)
    at.text_input(key="customer_search").input(TEXT).run()
    assert not at.exception
    options = at.main.selectbox[0].options
    assert len(options) == min(len(mine), c3.SEARCH_LIMIT)
    assert at.query_params["customer"] == mine["customer_id"].iloc[0]  # the best chosen match
    hidden = f"{len(every) - len(mine):,}"
    expected = words["customer.matches_hidden"].replace("{count}", hidden)
    assert expected in [c.value for c in at.caption]
    assert not any(words["customer.outside_filters"] == i.value for i in at.info)


def test_a_customer_asked_for_by_link_opens_outside_the_filters(open_at, demo_db, region):
    ids, every, _ = region
    outside = every.loc[~every["customer_id"].isin(ids), "customer_id"].iloc[0]
    at = open_at(demo_db, region=REGION, customer=outside)
    assert not at.exception
    assert at.header  # the portrait is there
    words = load_catalog("en")
    assert words["customer.outside_filters"] in [i.value for i in at.info]
    at = open_at(demo_db, region=REGION, customer=str(ids[0]))
    assert not any(words["customer.outside_filters"] == i.value for i in at.info)


def test_the_uk_shops_search_within_a_sign_up_period(uk_shop_db):
    """The UK shop (transactions only, ids of digits): customers who signed up in its second
    half; a search for a digit matches many of both halves."""
    con = db.connect(uk_shop_db)
    middle = con.execute("select median(signed_up_at)::date from customers").fetchall()[0][0]
    ids = chosen_ids(con, Filters(joined_from=middle))
    every = c3.search(con, "1", limit=100_000)
    mine = every[every["customer_id"].isin(ids)]
    assert 0 < len(mine) < len(every)
    found = c3.search(con, "1", customers=ids)
    assert found["customer_id"].tolist() == mine["customer_id"].head(c3.SEARCH_LIMIT).tolist()
    assert c3.hidden_matches(con, "1", ids) == len(every) - len(mine)
    con.close()
