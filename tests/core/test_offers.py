"""Association rules, offers and their backtest: a hand-worked basket example, the demo and
the UK shop (order lines with stock codes and refunds)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pandas as pd
import pytest

from core import db, offers
from tests.conftest import DEMO_END

# Five orders (baskets) of four customers, with a refund line of D in the first order and a
# refund-only order of D: refunds are no purchase, so neither counts.
#   o1 (c1): A B (D refunded)   o2 (c1): A B C   o3 (c2): A C   o4 (c3): B C   o5 (c4): C D
LINES = [
    ("o1", "c1", "A", 10.0),
    ("o1", "c1", "B", 10.0),
    ("o1", "c1", "D", -10.0),
    ("o2", "c1", "A", 10.0),
    ("o2", "c1", "B", 10.0),
    ("o2", "c1", "C", 10.0),
    ("o3", "c2", "A", 10.0),
    ("o3", "c2", "C", 10.0),
    ("o4", "c3", "B", 10.0),
    ("o4", "c3", "C", 10.0),
    ("o5", "c4", "C", 10.0),
    ("o5", "c4", "D", 10.0),
    ("o6", "c3", "D", -10.0),
]
DAY = dt.date(2025, 3, 1)


@pytest.fixture
def baskets_db(tmp_path):
    con = db.connect(tmp_path / "baskets.duckdb")
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'c' || i, date '2025-01-01' from range(1, 5) t(i)"
    )
    rows = pd.DataFrame(LINES, columns=["order_id", "customer_id", "product_category", "amount"])
    rows["transaction_id"] = [f"t{i}" for i in range(len(rows))]
    rows["ordered_at"] = pd.Timestamp(DAY)
    con.register("lines", rows)
    con.execute(
        "insert into transactions (transaction_id, order_id, customer_id, ordered_at, amount, "
        "product_category) select transaction_id, order_id, customer_id, ordered_at, amount, "
        "product_category from lines"
    )
    yield con
    con.close()


def _by_pair(rules: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, float]]:
    return {
        (r.antecedent, r.consequent): (r.support, r.confidence, r.lift) for r in rules.itertuples()
    }


def test_rules_match_the_hand_worked_baskets(baskets_db):
    # 5 baskets; A in 3, B in 3, C in 5 - 2 = 3 (o2 o3 o4 o5: 4), D in 1 (o5; refunds out).
    # C is in o2, o3, o4, o5: 4 of 5. Pairs: AB 2 (o1 o2), AC 2 (o2 o3), BC 2 (o2 o4), CD 1.
    settings = offers.OfferSettings(min_support=0.3, min_confidence=0.5)
    found = offers.association_rules(baskets_db, DAY, settings)
    assert (found.basket, found.baskets) == ("order", 5)
    a, b, c = 3 / 5, 3 / 5, 4 / 5
    expected = {
        ("A", "B"): (2 / 5, 2 / 3, (2 / 3) / b),
        ("B", "A"): (2 / 5, 2 / 3, (2 / 3) / a),
        ("A", "C"): (2 / 5, 2 / 3, (2 / 3) / c),
        ("C", "A"): (2 / 5, 2 / 4, (2 / 4) / a),
        ("B", "C"): (2 / 5, 2 / 3, (2 / 3) / c),
        ("C", "B"): (2 / 5, 2 / 4, (2 / 4) / b),
    }
    got = _by_pair(found.rules)
    assert got.keys() == expected.keys()
    for pair, values in expected.items():
        assert got[pair] == pytest.approx(values, rel=1e-12), pair
    assert list(found.rules["lift"]) == sorted(found.rules["lift"], reverse=True)


def test_thresholds_let_rare_items_and_weak_rules_in_or_out(baskets_db):
    loose = offers.OfferSettings(min_support=0.15, min_confidence=0.2)
    got = _by_pair(offers.association_rules(baskets_db, DAY, loose).rules)
    # C D together in 1 basket of 5; D in 1 (its refunds are no purchase), C in 4
    assert got[("D", "C")] == pytest.approx((1 / 5, 1.0, 1.0 / (4 / 5)))
    assert got[("C", "D")] == pytest.approx((1 / 5, 1 / 4, (1 / 4) / (1 / 5)))
    strict = offers.OfferSettings(min_support=0.15, min_confidence=0.6)
    kept = _by_pair(offers.association_rules(baskets_db, DAY, strict).rules)
    assert ("D", "C") in kept and ("C", "D") not in kept and ("C", "A") not in kept


def test_without_order_ids_a_basket_is_the_customers_history(baskets_db):
    baskets_db.execute("update transactions set order_id = null")
    settings = offers.OfferSettings(min_support=0.3, min_confidence=0.5)
    found = offers.association_rules(baskets_db, DAY, settings)
    # c1: A B C, c2: A C, c3: B C (D only refunded), c4: C D: A in 2 of 4, B in 2, C in 4;
    # A and B together in c1 alone (support 1/4 < 0.3), A and C in 2, B and C in 2
    expected = {
        ("A", "C"): (2 / 4, 2 / 2, 1.0 / (4 / 4)),
        ("C", "A"): (2 / 4, 2 / 4, (2 / 4) / (2 / 4)),
        ("B", "C"): (2 / 4, 2 / 2, 1.0 / (4 / 4)),
        ("C", "B"): (2 / 4, 2 / 4, (2 / 4) / (2 / 4)),
    }
    got = _by_pair(found.rules)
    assert got.keys() == expected.keys()
    for pair, values in expected.items():
        assert got[pair] == pytest.approx(values, rel=1e-12), pair


def test_offers_come_from_rules_then_popular_items_never_what_the_customer_has(baskets_db):
    settings = offers.OfferSettings(min_support=0.3, min_confidence=0.5)
    got = offers.offers(baskets_db, DAY, settings).set_index(["customer_id", "rank"])
    # c2 has A and C: A -> B (lift 10/9 > 1); C -> B has lift 5/6, no reason; then the
    # most popular item left, D (1 buyer of 4)
    c2 = got.loc["c2"]
    assert list(c2["item"]) == ["B", "D"] and list(c2["kind"]) == ["rule", "popular"]
    assert c2.iloc[0]["antecedent"] == "A"
    assert (c2.iloc[0]["confidence"], c2.iloc[0]["lift"]) == pytest.approx((2 / 3, 10 / 9))
    assert c2.iloc[1]["popularity"] == pytest.approx(1 / 4)
    # c1 has A B C: D alone is left, by popularity (its refund is no purchase)
    assert list(got.loc["c1"]["item"]) == ["D"]
    one = offers.customer_offers(baskets_db, "c2", DAY, settings)
    assert list(one["item"]) == ["B", "D"] and set(one["customer_id"]) == {"c2"}


def test_the_demo_offers_exclude_what_each_customer_already_bought(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        settings = offers.OfferSettings()
        got = offers.offers(con, DEMO_END, settings)
        owned = con.execute(
            "select distinct customer_id, product_category as item from transactions "
            "where amount >= 0 and ordered_at::date <= ?",
            [DEMO_END],
        ).df()
    finally:
        con.close()
    assert len(got) and got.groupby("customer_id").size().max() <= settings.count
    clash = got.merge(owned, on=["customer_id", "item"])
    assert clash.empty, clash.head()
    ranks = got.groupby("customer_id")["rank"].agg(list)
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)
    rules = got[got["kind"] == "rule"]
    assert len(rules) and (rules["lift"] > 1).all()


def test_within_segment_lifts_add_up_to_the_rule_and_match_a_direct_count(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        settings = offers.OfferSettings()
        found = offers.association_rules(con, DEMO_END, settings)
        by_segment = offers.rule_segments(con, DEMO_END, settings, found)
        owned = con.execute(
            "select distinct t.customer_id, t.product_category as item, f.segment "
            "from transactions t join customer_features f using (customer_id) "
            "where t.amount >= 0 and t.ordered_at::date <= ?",
            [DEMO_END],
        ).df()
    finally:
        con.close()
    assert found.basket == "customer"
    both = by_segment.groupby(["antecedent", "consequent"])["baskets_both"].sum()
    assert (
        both.to_dict()
        == found.rules.set_index(["antecedent", "consequent"])["baskets_both"].to_dict()
    )
    rule = found.rules.iloc[0]
    for segment, rows in owned.groupby("segment"):
        items = rows.groupby("customer_id")["item"].agg(set)
        has_a = items.map(lambda s: rule.antecedent in s)
        has_b = items.map(lambda s: rule.consequent in s)
        if not has_a.any():
            continue
        lift = (has_a & has_b).sum() / has_a.sum() / has_b.mean()
        row = by_segment[
            (by_segment["antecedent"] == rule.antecedent)
            & (by_segment["consequent"] == rule.consequent)
            & (by_segment["segment"] == segment)
        ].iloc[0]
        assert row["lift"] == pytest.approx(lift, rel=1e-12)
        expected_holds = (
            lift > 1
            and (has_a & has_b).mean() >= settings.min_support
            and (has_a & has_b).sum() / has_a.sum() >= settings.min_confidence
        )
        assert row["holds"] == expected_holds


def test_the_uk_shop_mines_products_per_order_and_leaves_refunds_out(uk_shop_db):
    con = db.connect(uk_shop_db, read_only=True)
    try:
        assert offers.levels(con) == ("product",)
        with pytest.raises(ValueError, match="product_category"):
            offers.association_rules(con, dt.date(2011, 12, 9))
        settings = offers.OfferSettings(level="product")
        found = offers.association_rules(con, dt.date(2011, 12, 9), settings)
        got = offers.offers(con, dt.date(2011, 12, 9), settings, found)
        orders = con.execute(
            "select count(distinct order_id) from transactions where amount >= 0"
        ).fetchone()[0]
    finally:
        con.close()
    assert found.basket == "order" and found.baskets == orders
    assert len(found.rules) > 0
    refund_only = {str(18200 + i) for i in range(4)}  # customers with refunds alone
    assert not refund_only & set(got["customer_id"])


def test_the_backtest_cut_off_lets_nothing_after_it_reach_the_rules(demo_db, tmp_path):
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    try:
        settings = offers.OfferSettings()
        cut_off = DEMO_END - dt.timedelta(days=settings.horizon_days)
        before = offers.association_rules(con, cut_off, settings)
        tested = offers.backtest(con, DEMO_END, settings)
        # every buyer buys a category new to the data, and baby, the day after the cut-off
        con.execute(
            "insert into transactions (transaction_id, customer_id, ordered_at, amount, "
            "product_category) select 'late-' || customer_id || c, customer_id, "
            "$day::timestamp + interval 10 hour, 5, c from (select distinct customer_id "
            "from transactions), (values ('garden'), ('baby')) v(c)",
            {"day": cut_off + dt.timedelta(days=1)},
        )
        after = offers.association_rules(con, cut_off, settings)
        retested = offers.backtest(con, DEMO_END, settings)
        # the same purchases on the cut-off day itself do change the rules
        con.execute(
            "update transactions set ordered_at = ordered_at - interval 1 day "
            "where transaction_id like 'late-%'"
        )
        moved = offers.association_rules(con, cut_off, settings)
    finally:
        con.close()
    pd.testing.assert_frame_equal(after.rules, before.rules)
    pd.testing.assert_frame_equal(after.items, before.items)
    assert retested.rules == tested.rules and retested.cut_off == cut_off
    assert retested.customers > tested.customers  # the late purchases are outcomes
    assert "garden" in set(moved.items["item"])
    assert not moved.rules.equals(before.rules)


def _scored(con, as_of: dt.date, settings: offers.OfferSettings, without_rules: bool):
    """(customers, hits, first hits) of the offers made as of the backtest's cut-off, counted
    here in pandas from the transactions (not with offers_backtest.sql): the offers from
    the rules, or with `without_rules` the same offers with no rule (popular items alone)."""
    cut_off = as_of - dt.timedelta(days=settings.horizon_days)
    found = offers.association_rules(con, cut_off, settings)
    if without_rules:
        found = dataclasses.replace(found, rules=found.rules.iloc[0:0])
    made = offers.offers(con, cut_off, settings, found)
    lines = con.execute(
        "select customer_id, product_category as item, ordered_at::date as day from transactions "
        "where amount >= 0 and product_category is not null and ordered_at::date <= ?",
        [as_of],
    ).df()
    lines["day"] = lines["day"].dt.date
    before = lines[lines["day"] <= cut_off].groupby("customer_id")["item"].agg(set)
    after = lines[lines["day"] > cut_off].groupby("customer_id")["item"].agg(set)
    new = {c: items - before[c] for c, items in after.items() if c in before.index}
    new = {c: items for c, items in new.items() if items}
    offered = made.sort_values("rank").groupby("customer_id")["item"].agg(list)
    hits = [c for c, items in new.items() if set(offered.get(c, [])) & items]
    first = [c for c, items in new.items() if offered.get(c, [None])[0] in items]
    return len(new), len(hits), len(first)


def test_the_backtest_scores_the_offers_and_the_same_offers_without_rules(demo_db):
    con = db.connect(demo_db, read_only=True)
    try:
        settings = offers.OfferSettings()
        tested = offers.backtest(con, DEMO_END, settings)
        with_rules = _scored(con, DEMO_END, settings, without_rules=False)
        baseline = _scored(con, DEMO_END, settings, without_rules=True)
    finally:
        con.close()
    assert tested.customers > 0 and tested.rules > 0
    assert (tested.customers, tested.hits, tested.first_hits) == with_rules
    assert (tested.customers, tested.baseline_hits, tested.baseline_first_hits) == baseline
    assert tested.hit_rate == tested.hits / tested.customers


def test_the_backtest_on_the_hand_worked_baskets(baskets_db):
    # After the cut-off (DAY): c1 buys D, c2 buys E, c3 buys D (before, only a refund of
    # it), c4 buys A. Offers as of DAY (see the offers test): c1 [D], c2 [B, D], c3 [A, D]
    # (B -> A, lift 10/9), c4 [A, B] (popular; C -> A and C -> B have lift 5/6). Every
    # customer bought something new; hits: c1, c3, c4 (c2's E was not offered); first
    # offer bought: c1 (D), c4 (A). The popularity baseline makes the same offers here.
    later = pd.Timestamp(DAY + dt.timedelta(days=10))
    for i, (customer, item) in enumerate([("c1", "D"), ("c2", "E"), ("c3", "D"), ("c4", "A")]):
        baskets_db.execute(
            "insert into transactions (transaction_id, order_id, customer_id, ordered_at, "
            "amount, product_category) values (?, ?, ?, ?, 10.0, ?)",
            [f"late{i}", f"late{i}", customer, later, item],
        )
    settings = offers.OfferSettings(min_support=0.3, min_confidence=0.5, horizon_days=30)
    tested = offers.backtest(baskets_db, DAY + dt.timedelta(days=30), settings)
    assert tested.cut_off == DAY and tested.rules == 6
    assert (tested.customers, tested.hits, tested.first_hits) == (4, 3, 2)
    assert (tested.baseline_hits, tested.baseline_first_hits) == (3, 2)


def test_settings_are_checked_where_they_enter():
    with pytest.raises(ValueError, match="level"):
        offers.OfferSettings(level="brand")
    with pytest.raises(ValueError, match="min_support"):
        offers.OfferSettings(min_support=0)
    with pytest.raises(ValueError, match="basket"):
        offers.OfferSettings(basket="cart")


@pytest.fixture
def fourteen_customers(tmp_path):
    """14 customers without order ids (a basket is a customer's history): 9 bought A, the
    other 5 bought B."""
    con = db.connect(tmp_path / "fourteen.duckdb")
    ids = [f"c{i:02d}" for i in range(14)]
    con.register("ids", pd.DataFrame({"customer_id": ids}))
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select customer_id, date '2025-01-01' from ids"
    )
    lines = pd.DataFrame(
        {
            "transaction_id": [f"t{i}" for i in range(14)],
            "customer_id": ids,
            "ordered_at": pd.Timestamp(DAY),
            "amount": 10.0,
            "product_category": ["A"] * 9 + ["B"] * 5,
        }
    )
    con.register("lines", lines)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount, "
        "product_category) select * from lines"
    )
    yield con
    con.close()


def test_the_basket_count_is_the_number_of_baskets(fourteen_customers):
    found = offers.association_rules(fourteen_customers, DAY)
    assert found.basket == "customer"
    assert found.items["baskets"].sum() == 14  # each customer's basket holds one item
    assert found.baskets == 14
