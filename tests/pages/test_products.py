"""The What-to-offer-next page through app.py: rules, segments, backtest and target list on
the demo (categories, customer baskets) and the UK shop (products, order baskets), in both
languages; the empty database and data without items say what is missing."""

from __future__ import annotations

import datetime as dt
import shutil

from core import db, offers
from tests.conftest import DEMO_END

PAGE = "pages/products.py"


def _open(app_on, path, lang=None):
    return app_on(path, lang=lang).switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _rules_on(path, as_of, **knobs):
    con = db.connect(path)
    try:
        return offers.association_rules(con, as_of, offers.OfferSettings(**knobs))
    finally:
        con.close()


def test_the_demo_page_shows_the_rules_backtest_and_target_list(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "What to offer next"
    found = _rules_on(demo_db, DEMO_END)
    tiles = _tiles(at)
    assert tiles["Rules"] == str(len(found.rules))
    assert tiles["Customers (baskets)"] == f"{found.baskets:,}"
    rules = at.dataframe[0].value
    assert len(rules) == len(found.rules)
    best = found.rules.iloc[0]
    assert rules.iloc[0]["Lift"] == f"{best.lift:.2f}"
    assert "Offers: hit rate" in tiles and "Popular items: hit rate" in tiles
    assert any("three most popular items" in m.value for m in at.markdown)
    targets = at.dataframe[-1].value
    assert list(targets.columns) == ["Customer", "Offer", "Item to offer", "Why"]
    reasons = [r for r in targets["Why"] if r.startswith("bought ")]
    assert reasons and all("of buyers of" in r and "x the base rate" in r for r in reasons)


def test_a_higher_minimum_confidence_keeps_fewer_rules(app_on, demo_db):
    at = _open(app_on, demo_db)
    before = int(_tiles(at)["Rules"])
    at.slider(key="products_confidence").set_value(45).run()
    assert not at.exception
    after = int(_tiles(at)["Rules"])
    assert after == len(_rules_on(demo_db, DEMO_END, min_confidence=0.45).rules)
    assert after < before


def test_the_page_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "推荐与关联分析"
    rules = at.dataframe[0].value
    assert set(rules["买过"]) <= {"美妆", "服饰", "食品", "数码家电", "家居", "母婴"}
    targets = at.dataframe[-1].value
    assert any("倍" in r and r.startswith("买过") for r in targets["理由"])


def test_the_uk_shop_mines_products_in_orders(app_on, uk_shop_db):
    at = _open(app_on, uk_shop_db)
    assert not at.exception
    found = _rules_on(uk_shop_db, dt.date(2011, 12, 9), level="product")
    assert _tiles(at)["Orders (baskets)"] == f"{found.baskets:,}"
    assert at.button_group(key="products_level").options == ["Products"]
    targets = at.dataframe[-1].value
    assert any("of orders with" in r for r in targets["Why"])


def test_data_without_categories_or_products_say_what_is_missing(app_on, demo_db, tmp_path):
    path = tmp_path / "plain.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    con.execute("update transactions set product_category = null")
    con.close()
    at = _open(app_on, path)
    assert not at.exception
    assert any("product_category" in i.value for i in at.info)


def test_an_empty_database_shows_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "推荐与关联分析"
    assert at.info


def test_an_as_of_date_too_early_for_the_backtest_says_so(app_on, demo_db):
    at = _open(app_on, demo_db)
    first = at.date_input(key="sidebar_as_of").min
    early = first + dt.timedelta(days=30)  # the cut-off, 90 days before, precedes the data
    at.date_input(key="sidebar_as_of").set_value(early).run()
    assert not at.exception
    assert any("Too little data to check" in i.value for i in at.info)
    assert "Offers: hit rate" not in _tiles(at)
