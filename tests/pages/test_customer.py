"""The Customer 360 page through app.py, as a service agent meets it: search, a portrait
opened from the address, both languages, a real-shaped shop, a young shop and no data."""

from __future__ import annotations

import pandas as pd
import pytest

from core import customer360 as c3
from core import db
from ui import format as fmt

PAGE = "pages/customer.py"


def _open(app_on, path, lang=None, **params):
    at = app_on(path, lang=lang)
    for key, value in params.items():
        at.query_params[key] = value
    return at.switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _text(at) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def rich_customer(demo_db):
    """A rated demo customer with feedback, interactions and a referral."""
    con = db.connect(demo_db, read_only=True)
    customer = con.execute(
        "select f.customer_id from customer_features as f "
        "where f.stars is not null and f.count_referrals > 0 and f.count_interactions_12m > 0 "
        "and f.churn_risk is not null and f.stars < 5 "
        "and f.customer_id in (select customer_id from feedback) order by f.customer_id limit 1"
    ).fetchall()[0][0]
    card = c3.portrait(con, customer)
    con.close()
    return card


def test_the_address_opens_a_customer_with_the_marts_figures(app_on, demo_db, rich_customer):
    card = rich_customer
    at = _open(app_on, demo_db, customer=card.customer_id)
    assert not at.exception
    assert at.title[0].value == "Customer 360"
    assert at.header[0].value == card.profile["name"]
    if card.profile["city"]:
        assert "City\\: " in at.caption[0].value and "Unknown" not in at.caption[0].value
    tiles = _tiles(at)
    assert tiles["Stars"] == f"{card.stars}★"
    assert tiles["Composite score"] == f"{card.score:.1f}"
    assert tiles["Churn risk (90 days)"] == fmt.percent(card.churn_risk, 0)
    assert tiles["Revenue to date"] == fmt.money(card.revenue, "en", "CNY")
    assert tiles["Predicted CLV (12 months)"] == fmt.money(card.predicted_clv.value, "en", "CNY")
    assert tiles["Contribution"] == f"{card.scores['contribution']:.1f}"
    text = _text(at)
    assert "would" in text.lower() or "reach" in text.lower()  # the star move in words
    assert f"Service for {card.stars}★" in text
    assert len(at.dataframe) >= 3  # drivers, the time line, referrals


def test_the_offers_are_the_customers_from_the_rules(app_on, demo_db):
    from core import offers

    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    every = offers.offers(con, as_of, found=offers.association_rules(con, as_of))
    con.close()
    customer = every["customer_id"].iloc[0]
    expected = every[every["customer_id"] == customer]
    at = _open(app_on, demo_db, customer=customer)
    assert not at.exception
    assert "What to offer next" in [s.value for s in at.subheader]
    shown = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert list(shown["Rank"]) == list(expected["rank"])
    assert "No offer for this customer" not in _text(at)
    assert len(shown) == len(expected) > 0
    assert all(reason.startswith(("bought", "popular")) for reason in shown["Why"])


def test_a_customer_with_nothing_to_offer_is_told_so(app_on, demo_db):
    from core import offers

    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    prospect = con.execute(  # signed up, never bought: no basket, so no offer
        "select min(customer_id) from customers "
        "where customer_id not in (select customer_id from transactions)"
    ).fetchall()[0][0]
    found = offers.association_rules(con, as_of)
    assert offers.customer_offers(con, prospect, as_of, found=found).empty
    con.close()
    at = _open(app_on, demo_db, customer=prospect)
    assert not at.exception
    assert "No offer for this customer" in _text(at)
    assert not [d for d in at.dataframe if "Why" in d.value.columns]


def test_searching_by_a_chinese_name_opens_the_best_match(app_on, demo_db):
    con = db.connect(demo_db, read_only=True)
    customer, name = con.execute(
        "select customer_id, name from customers where name is not null order by customer_id "
        "limit 1 offset 10"
    ).fetchall()[0]
    best = c3.search(con, name)["customer_id"][0]  # an exact name: the first of that name
    con.close()
    assert best <= customer
    at = _open(app_on, demo_db)
    assert not at.exception
    assert "Type an ID" in _text(at)
    at.text_input(key="customer_search").input(name).run()
    assert not at.exception
    picked = at.main.selectbox[0]
    assert picked.value == best
    assert at.query_params["customer"] == picked.value
    assert at.header[0].value == name or name in at.header[0].value
    at.text_input(key="customer_search").input("no such customer anywhere").run()
    assert "No customer has" in _text(at)


def test_the_page_speaks_chinese(app_on, demo_db, rich_customer):
    at = _open(app_on, demo_db, lang="zh", customer=rich_customer.customer_id)
    assert not at.exception
    assert at.title[0].value == "客户画像"
    assert _tiles(at)["星级"] == f"{rich_customer.stars}★"
    assert [s.value for s in at.subheader][:2] == ["星级评定", "价值"]


def test_the_way_back_goes_to_the_page_named_in_the_address(app_on, demo_db, rich_customer):
    at = _open(app_on, demo_db, customer=rich_customer.customer_id, **{"from": "churn"})
    assert not at.exception
    links = [e for e in at.get("page_link")]
    assert any("Back to Churn risk" in str(link.proto) for link in links)


def test_a_real_shaped_shop_without_feedback_says_what_is_missing(app_on, uk_shop_db):
    con = db.connect(uk_shop_db, read_only=True)
    customer = con.execute("select min(customer_id) from customer_features").fetchall()[0][0]
    con.close()
    at = _open(app_on, uk_shop_db, customer=customer)
    assert not at.exception
    text = _text(at)
    assert "hold no interactions" in text and "hold no feedback" in text
    assert "name no referrer" in text
    assert _tiles(at)["Revenue to date"].startswith(("£", "-£"))


def test_a_young_shop_without_models_says_so(app_on, small_db):
    at = _open(app_on, small_db, customer="c5")
    assert not at.exception
    text = _text(at)
    assert "customer models have not run" in text
    assert _tiles(at)["Predicted CLV (12 months)"] == fmt.UNKNOWN


def test_an_unknown_customer_and_an_empty_database(app_on, demo_db, empty_db):
    at = _open(app_on, demo_db, customer="nobody")
    assert not at.exception
    assert "no customer with the ID" in _text(at)
    at = _open(app_on, empty_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "客户画像"
    assert at.info  # how to get data


# --- every customer list opens this page for a row ------------------------------------------

LISTS = {  # page -> the keys of its customer lists
    "pages/stars.py": ("stars_tier_rows",),
    "pages/segments.py": ("segments_list_rows", "segments_key_account_rows"),
    "pages/churn.py": ("churn_warning_rows",),
    "pages/lifecycle.py": ("lifecycle_drill_rows",),
    "pages/satisfaction.py": ("satisfaction_unhappy_rows",),
    "pages/value.py": ("value_top_rows",),
    "pages/products.py": ("products_target_rows",),
}


@pytest.mark.parametrize("page", sorted(LISTS))
def test_every_customer_list_lets_a_row_be_picked(app_on, demo_db, page):
    at = app_on(demo_db).switch_page(page).run()
    assert not at.exception
    selectable = {
        d.proto.id.rsplit("-", 1)[-1] for d in at.dataframe if list(d.proto.selection_mode)
    }
    assert set(LISTS[page]) <= selectable
    hint = "Select a row to open that customer's portrait (Customer 360)."
    assert hint in [c.value for c in at.caption]


def test_a_picked_row_names_its_customer_and_the_way_back():
    from types import SimpleNamespace

    from ui.widgets import customer_link, selected_customer

    table = pd.DataFrame({"Customer": ["C1", "C2", "C3"]})
    picked = SimpleNamespace(selection=SimpleNamespace(rows=[1]))
    assert selected_customer(picked, table, "Customer") == "C2"
    assert (
        selected_customer(SimpleNamespace(selection=SimpleNamespace(rows=[])), table, "Customer")
        is None
    )
    assert selected_customer(None, table, "Customer") is None
    assert customer_link("C2", "churn") == {"customer": "C2", "from": "churn"}
