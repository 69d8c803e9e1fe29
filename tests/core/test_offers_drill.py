"""What to offer next, for the chosen customers and behind a bar: the rules mined on the
chosen customers' baskets equal the rules of a shop that has only those customers, and the
buyers of an item are those its bar counts (hand-worked baskets, the demo, the UK shop)."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from core import db, offers
from tests.conftest import DEMO_END
from tests.core.test_offers import DAY, baskets_db  # noqa: F401 (a fixture)

UK_END = dt.date(2011, 12, 9)


def test_the_chosen_customers_rules_are_those_of_their_baskets_alone(baskets_db, tmp_path):  # noqa: F811
    settings = offers.OfferSettings(min_support=0.3, min_confidence=0.5)
    chosen = np.array(["c1", "c2"], dtype=object)
    found = offers.association_rules(baskets_db, DAY, settings, chosen)
    # c1 and c2's baskets: o1 A B, o2 A B C, o3 A C: A in 3, B in 2, C in 2; AB 2, AC 2, BC 1
    assert (found.basket, found.baskets) == ("order", 3)
    got = {(r.antecedent, r.consequent): r.support for r in found.rules.itertuples()}
    pairs = {
        ("A", "B"): 2,
        ("B", "A"): 2,
        ("A", "C"): 2,
        ("C", "A"): 2,
        ("B", "C"): 1,
        ("C", "B"): 1,
    }
    assert got == pytest.approx({pair: both / 3 for pair, both in pairs.items()})
    baskets_db.execute("delete from transactions where customer_id not in ('c1', 'c2')")
    by_hand = offers.association_rules(baskets_db, DAY, settings)
    pd.testing.assert_frame_equal(found.rules, by_hand.rules)
    pd.testing.assert_frame_equal(found.items, by_hand.items)


def test_no_filter_mines_every_basket(baskets_db):  # noqa: F811
    settings = offers.OfferSettings(min_support=0.3, min_confidence=0.5)
    every = offers.association_rules(baskets_db, DAY, settings)
    same = offers.association_rules(baskets_db, DAY, settings, None)
    pd.testing.assert_frame_equal(every.rules, same.rules)
    assert every.baskets == 5


def test_the_buyers_of_an_item_leave_refunds_out(baskets_db):  # noqa: F811
    # D: bought by c4 (o5); c1's D was refunded in o1, c3 only returned one (o6)
    assert list(offers.item_buyers(baskets_db, DAY, "category", "D")["customer_id"]) == ["c4"]
    c = offers.item_buyers(baskets_db, DAY, "category", "C")
    assert sorted(c["customer_id"]) == ["c1", "c2", "c3", "c4"]
    assert set(c["count_orders"]) == {1} and set(c["amount"]) == {10.0}
    a = offers.item_buyers(baskets_db, DAY, "category", "A")
    assert a.set_index("customer_id")["count_orders"].to_dict() == {"c1": 2, "c2": 1}
    chosen = offers.item_buyers(baskets_db, DAY, "category", "C", np.array(["c2", "c9"]))
    assert list(chosen["customer_id"]) == ["c2"]
    assert offers.item_buyers(baskets_db, DAY - dt.timedelta(days=1), "category", "C").empty


@pytest.mark.parametrize("shop", ["demo", "uk"])
def test_each_item_bar_lists_the_buyers_it_counts(shop, demo_db, uk_shop_db):
    path, end, level = {
        "demo": (demo_db, DEMO_END, "category"),
        "uk": (uk_shop_db, UK_END, "product"),
    }[shop]
    con = db.connect(path, read_only=True)
    try:
        settings = offers.OfferSettings(level=level)
        found = offers.association_rules(con, end, settings)
        for row in found.items.head(3).itertuples():
            buyers = offers.item_buyers(con, end, level, row.item)
            assert len(buyers) == row.customers, row.item
            assert buyers["customer_id"].is_unique
            assert buyers["amount"].is_monotonic_decreasing
        top = found.items["item"].iloc[0]
        every = offers.item_buyers(con, end, level, top)
        ids = np.sort(every["customer_id"].to_numpy(dtype=object)[::3])  # a third of them
        chosen = offers.item_buyers(con, end, level, top, ids)
        by_hand = every[every["customer_id"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(chosen, by_hand)
        narrowed = offers.association_rules(con, end, settings, ids)
        assert narrowed.baskets < found.baskets
        assert narrowed.items.set_index("item").loc[top, "customers"] == len(ids)
    finally:
        con.close()


def test_the_chosen_customers_backtest_runs_on_their_baskets(demo_db, tmp_path):
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    con = db.connect(path)
    try:
        ids = np.sort(con.execute("select customer_id from customers").df()["customer_id"])
        ids = ids[::2].astype(object)
        narrowed = offers.backtest(con, DEMO_END, offers.OfferSettings(), ids)
        con.register("kept", pd.DataFrame({"customer_id": ids}))
        con.execute("delete from transactions where customer_id not in (select * from kept)")
        by_hand = offers.backtest(con, DEMO_END, offers.OfferSettings())
    finally:
        con.close()
    assert narrowed == by_hand
    assert narrowed.customers > 0
