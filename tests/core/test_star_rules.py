"""One star rule for the as-of date and every month end.

customer_monthly keeps each customer's dimension scores, R and F at each month end; the
stars, composite and segment under the active rule set are worked out when read
(`stars.month_end_ratings`). What is read must be core.stars' rating of that month end's
inputs, the very function that rates customer_features (`stars.ratings`: what the month
ends stored as their stars before they were rated on read), with relationship's weight
shared out (`month_end_rules`). The inputs a test rates here are not read from
customer_monthly: they are customer_features as it would be built with the month end as
its as-of date (`core/sql/customer_features.sql`), so the tests fail when the month-end
inputs, the percentile ranks and their tie rule, the composite, the thresholds in either
mode, the RFM quintiles or the segment grid of the month ends stop being those of the
as-of date.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import db, monthly, sql, stars
from core.build import build
from core.stars import DEFAULT_RULES, RuleSet

INPUTS = list(stars.MONTH_END_INPUTS)
MONEY = ["revenue", "revenue_12m", "margin_12m"]
SCORE_RULES = DEFAULT_RULES.replace(
    mode="score", weights=(40, 20, 30, 10), score_thresholds=(70, 55, 40, 25)
)
SHARE_RULES = DEFAULT_RULES.replace(weights=(10, 50, 20, 20), top_shares=(0.1, 0.3, 0.5, 0.7))


@pytest.fixture(scope="module")
def ties_db(tmp_path_factory) -> Path:
    """Sixteen customers over four months, in groups that are alike in everything (the
    same sign-up day and the same orders), so that every percentile rank and quintile meets
    ties: `aN` three alike, `bN` two, `fN` four, `dN` two, `pN` two, and `c1`, `e1` (a
    refund before the first purchase), `g1` (bought before signing up), `x1` (only a
    refund) and `z1` (a prospect)."""
    path = tmp_path_factory.mktemp("ties") / "ties.duckdb"
    con = db.connect(path)
    signed = {
        **dict.fromkeys(("a1", "a2", "a3", "b1", "b2", "c1", "e1", "x1", "z1"), "2024-01-01"),
        **dict.fromkeys(("f1", "f2", "f3", "f4", "d1", "d2"), "2024-01-03"),
        **dict.fromkeys(("p1", "p2"), "2023-06-01"),
        "g1": "2024-03-15",
    }
    orders = [
        *[(c, day, 100.0, 60.0) for c in ("a1", "a2", "a3") for day in ("01-10", "02-10")],
        *[(c, "03-10", 100.0, 60.0) for c in ("a1", "a2", "a3")],
        *[(c, "01-20", 300.0, 250.0) for c in ("b1", "b2")],
        ("c1", "03-30", 50.0, 10.0),
        *[(c, "02-10", 100.0, 60.0) for c in ("d1", "d2")],
        ("e1", "01-15", -40.0, -40.0),
        ("e1", "02-25", 140.0, 80.0),
        *[(c, "01-05", 20.0, 5.0) for c in ("f1", "f2", "f3", "f4")],
        *[(c, day, 20.0, 5.0) for c in ("p1", "p2") for day in ("01-05", "03-05")],
        ("g1", "01-31", 80.0, 50.0),
        ("g1", "03-31", 80.0, 50.0),
        ("x1", "02-02", -25.0, -25.0),
    ]
    con.executemany(
        "insert into customers (customer_id, signed_up_at) values (?, ?)", list(signed.items())
    )
    con.executemany(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount, cost) "
        "values (?, ?, ?, ?, ?)",
        [
            (f"t{i}", c, f"2024-{day} 12:00", amount, amount - margin)
            for i, (c, day, amount, margin) in enumerate(orders)
        ],
    )
    build(con, as_of=dt.date(2024, 4, 12))
    con.close()
    return path


CROSSING_AS_OF = dt.date(2024, 6, 15)  # month ends 2021-06-30 to 2024-05-31


@pytest.fixture(scope="module")
def crossing_db(tmp_path_factory) -> Path:
    """Orders whose later lines (same order id) cross a month end, so a month end must see
    the order as it stood that day, not as at the last month end: `h1` 100 on 20 January
    refunded 150 on 10 February (a buyer at January's end, not at February's), `k1` 30 with
    no cost on 25 January and 90 more with a cost on 2 March (beside a refund order the
    same day), `m1` three lines over four months (100, +50, -200) beside a plain order the
    same day, `w1` 200 in May 2023 refunded 120 in February 2024 (in the 12 months of
    January's end, not of May's), `s1` crossing the first month end rated and `s2` not,
    `x1` refunded after the last month end, `u1` refunded within its month, and five plain
    customers `pN`."""
    path = tmp_path_factory.mktemp("crossing") / "crossing.duckdb"
    con = db.connect(path)
    plain = [
        (f"p{n}", None, f"2023-{m:02d}-{d:02d}", a, a / 2)
        for n, m, d, a in [
            (1, 8, 3, 120.0),
            (1, 12, 9, 40.0),
            (2, 10, 1, 60.0),
            (3, 6, 20, 15.0),
            (3, 11, 30, 15.0),
            (4, 2, 14, 300.0),
            (5, 1, 5, 80.0),
            (5, 7, 7, 80.0),
        ]
    ]
    lines = [
        ("h1", "H1", "2024-01-20", 100.0, 40.0),
        ("h1", "H1", "2024-02-10", -150.0, -60.0),
        ("h1", None, "2024-03-05", 10.0, 4.0),
        ("k1", "K1", "2024-01-25", 30.0, None),
        ("k1", "K1", "2024-03-02", 90.0, 40.0),
        ("k1", None, "2024-01-25", -5.0, None),
        ("m1", "M1", "2023-11-15", 100.0, 30.0),
        ("m1", "M1", "2023-12-10", 50.0, 20.0),
        ("m1", "M1", "2024-02-15", -200.0, -70.0),
        ("m1", None, "2023-11-15", 30.0, 10.0),
        ("w1", "W1", "2023-05-10", 200.0, 90.0),
        ("w1", "W1", "2024-02-05", -120.0, -50.0),
        ("w1", None, "2023-09-01", 50.0, 20.0),
        ("s1", "S1", "2021-05-10", 70.0, 30.0),
        ("s1", "S1", "2021-07-05", 40.0, 15.0),
        ("s2", "S2", "2021-04-10", 60.0, 25.0),
        ("s2", "S2", "2021-06-20", -10.0, -5.0),
        ("x1", "X1", "2024-05-20", 50.0, 20.0),
        ("x1", "X1", "2024-06-05", -80.0, -30.0),
        ("u1", "U1", "2024-04-03", 40.0, 15.0),
        ("u1", "U1", "2024-04-20", -50.0, -20.0),
        *plain,
    ]
    customers = sorted({line[0] for line in lines})
    con.executemany(
        "insert into customers (customer_id, signed_up_at) values (?, '2021-01-01')",
        [[c] for c in customers],
    )
    con.executemany(
        "insert into transactions (transaction_id, order_id, customer_id, ordered_at, amount, "
        "cost) values (?, ?, ?, ?, ?, ?)",
        [
            (f"t{i}", order, c, f"{day} 12:00", amount, None if margin is None else amount - margin)
            for i, (c, order, day, amount, margin) in enumerate(lines)
        ],
    )
    build(con, as_of=CROSSING_AS_OF)
    changing = con.execute(
        "select count(distinct order_key) from stg_orders where valid_to is not null"
    ).fetchone()[0]
    assert changing == 8  # every order with an id: each has a line on a later day
    con.close()
    return path


def copy_of(path: Path, tmp_path: Path) -> Path:
    """A copy of a built database to change the rules of (the fixtures are shared)."""
    return Path(shutil.copy(path, tmp_path / path.name))


def inputs_on(con, end: dt.date) -> pd.DataFrame:
    """The rated customers of customer_features as built with `end` as the as-of date, with
    the inputs a month end has. Money is rounded to 6 decimals as customer_monthly sums it
    (exactly, as decimals), so that the order of a floating-point sum breaks no tie."""
    con.execute(
        "create or replace temp table features_on as " + sql.load("customer_features"),
        {"as_of": end},
    )
    columns = ", ".join(["customer_id", *INPUTS])
    out = con.execute(f"select {columns} from features_on where is_buyer").df()
    con.execute("drop table temp.features_on")
    out[MONEY] = out[MONEY].round(6)
    return out


def expected_on(con, end: dt.date, rules: RuleSet) -> pd.DataFrame:
    """The as-of rating (`stars.ratings`, as customer_features gets it) of the month end's
    inputs, relationship's weight shared out as a month end has no relationship score."""
    features = inputs_on(con, end).assign(is_buyer=True)
    rated = stars.ratings(features, stars.month_end_rules(rules))
    return rated[["customer_id", *stars.MONTH_END_RATING]].set_index("customer_id")


def assert_month_ends_follow_the_rule(path: Path, rules: RuleSet) -> int:
    """Every month end of customer_monthly, rated when read under the active rule set
    (`stars.month_end_ratings`), against `expected_on`; the rated rows seen."""
    con = db.connect(path)
    try:
        assert stars.active_rules(con).rules == rules
        ends = stars.monthly_ends(con)
        assert ends, "customer_monthly holds no month end"
        seen = 0
        for end in ends:
            stored = stars.month_end_ratings(con, end).set_index("customer_id")
            assert list(stored.columns) == list(stars.MONTH_END_RATING)
            expected = expected_on(con, end, rules)
            assert sorted(stored.index) == sorted(expected.index), f"customers on {end}"
            stored = stored.loc[expected.index]
            for column in ("stars", "r_score", "f_score", "segment"):
                got, want = stored[column].tolist(), expected[column].tolist()
                assert got == want, f"{column} on {end}"
            for column in (*stars.MONTH_END_SCORES, "score"):
                np.testing.assert_allclose(
                    stored[column].to_numpy(dtype=float),
                    expected[column].to_numpy(dtype=float),
                    rtol=0,
                    atol=1e-9,
                    err_msg=f"{column} on {end}",
                )
            seen += len(stored)
        return seen
    finally:
        con.close()


def rerate(path: Path, rules: RuleSet) -> None:
    """Save `rules` as the active rule set and re-rate, as the Stars page does."""
    con = db.connect(path)
    stars.save_rule_set(con, rules, "test")
    stars.reapply_rules(con)
    con.close()


def test_month_end_rules_share_out_relationship():
    rules = DEFAULT_RULES  # weights 35/25/25/15
    shared = stars.month_end_rules(rules)
    np.testing.assert_allclose(shared.normalised_weights, np.array([35, 25, 25, 0]) / 85)
    alone = stars.month_end_rules(rules.replace(weights=(0, 0, 0, 1)))
    assert alone.weights == (1.0, 0.0, 0.0, 0.0)  # contribution when only relationship weighs
    assert stars.month_end_rules(rules.replace(mode="score")).score_thresholds == (
        rules.score_thresholds
    )


@pytest.mark.parametrize(
    "rules", [DEFAULT_RULES, SCORE_RULES, SHARE_RULES], ids=["quantile", "score", "shares"]
)
def test_tied_month_ends_follow_the_rule_built_and_rerated(ties_db, tmp_path, rules):
    path = copy_of(ties_db, tmp_path)
    if rules != DEFAULT_RULES:
        rerate(path, rules)  # a rule-set save re-rates the stored scores
    assert assert_month_ends_follow_the_rule(path, rules) > 0
    con = db.connect(path)
    build(con, as_of=dt.date(2024, 4, 12))  # a build rates the month ends afresh
    con.close()
    assert assert_month_ends_follow_the_rule(path, rules) > 0


def month_end_inputs(con, staging: str) -> pd.DataFrame:
    """The month-end inputs (core.monthly: customer_monthly.sql rolled over the month ends)
    of the month ends customer_monthly holds, its orders read from the staging tables
    ("tables") or derived from the lines ("lines")."""
    ends = stars.monthly_ends(con)
    text = sql.load("customer_monthly", con if staging == "tables" else None)
    assert ("from transactions" in text) == (staging == "lines")
    out = monthly.month_end_inputs(con, ends, from_lines=staging == "lines").frame()
    out[MONEY] = out[MONEY].round(6)
    return out


@pytest.mark.parametrize(
    ("fixture", "staging"),
    [
        *((f, s) for f in ("crossing_db", "ties_db") for s in ("tables", "lines")),
        *((f, "tables") for f in ("demo_db", "small_db", "uk_shop_db", "market_db")),
    ],
)
def test_month_end_inputs_are_customer_features_as_of_that_day(fixture, staging, request):
    con = db.connect(request.getfixturevalue(fixture))
    try:
        monthly = month_end_inputs(con, staging)
        for end in stars.monthly_ends(con):
            want = inputs_on(con, end).set_index("customer_id").sort_index()
            got = monthly[monthly["month_end"] == end].set_index("customer_id").sort_index()
            assert list(got.index) == list(want.index), f"customers on {end}"
            pd.testing.assert_frame_equal(
                got[INPUTS], want[INPUTS], check_dtype=False, obj=f"inputs on {end}"
            )
    finally:
        con.close()


@pytest.mark.parametrize("staging", ["tables", "lines"])
def test_a_month_end_sees_each_order_as_it_stood_that_day(crossing_db, staging):
    con = db.connect(crossing_db)
    monthly = month_end_inputs(con, staging).set_index(["customer_id", "month_end"])
    con.close()

    def on(customer: str, end: str, column: str):
        return monthly.loc[(customer, dt.date.fromisoformat(end)), column]

    ends = monthly.index.get_level_values("month_end")
    h1_ends = set(monthly.loc["h1"].index)
    # h1: a buyer of 100 at January's end; its refund line of 10 February makes the order a
    # refund, so not rated at February's end; rated again after its March order
    assert on("h1", "2024-01-31", "revenue") == 100
    assert date_in(h1_ends, "2024-01-31") and not date_in(h1_ends, "2024-02-29")
    assert on("h1", "2024-03-31", "revenue") == -40
    # k1: K1's first line has no cost, the March line has; a refund order shares K1's day
    assert on("k1", "2024-02-29", "revenue") == 25
    assert np.isnan(on("k1", "2024-02-29", "margin_12m"))
    assert on("k1", "2024-02-29", "count_purchase_days") == 1
    assert on("k1", "2024-03-31", "revenue") == 115
    assert on("k1", "2024-03-31", "margin_12m") == 40
    # m1: M1 grows, then turns a refund; the plain order of its day keeps the purchase day
    assert [on("m1", e, "revenue") for e in ("2023-11-30", "2023-12-31", "2024-02-29")] == [
        130,
        180,
        -20,
    ]
    assert on("m1", "2024-02-29", "count_purchase_days") == 1
    assert (
        on("m1", "2024-02-29", "recency_days")
        == (dt.date(2024, 2, 29) - dt.date(2023, 11, 15)).days
    )
    # w1: W1 in the 12 months of January and February (as it stood), not of May's end
    assert [on("w1", e, "revenue_12m") for e in ("2024-01-31", "2024-02-29", "2024-05-31")] == [
        250,
        130,
        50,
    ]
    # s1 crosses the first month end rated, s2 does not; x1's refund comes after the last
    assert on("s1", "2021-06-30", "revenue") == 70 and on("s1", "2021-07-31", "revenue") == 110
    assert on("s2", "2021-06-30", "revenue") == 50
    assert on("x1", "2024-05-31", "revenue") == 50
    assert "u1" not in monthly.index.get_level_values("customer_id")  # refunded in its month
    assert min(ends) == dt.date(2021, 6, 30) and max(ends) == dt.date(2024, 5, 31)


def date_in(days: set, day: str) -> bool:
    return dt.date.fromisoformat(day) in days


@pytest.mark.parametrize("staging", ["tables", "lines"])
def test_orders_crossing_a_month_end_follow_the_rule_in_both_modes(crossing_db, tmp_path, staging):
    path = copy_of(crossing_db, tmp_path)
    if staging == "lines":  # the raw tables changed since the build: derived from the lines
        con = db.connect(path)
        db.bump_data_version(con)
        assert not sql.staging_is_current(con)
        con.execute("delete from customer_monthly")
        stars.build_customer_monthly(con, CROSSING_AS_OF)
        con.close()
    assert assert_month_ends_follow_the_rule(path, DEFAULT_RULES) > 0
    rerate(path, SCORE_RULES)
    assert assert_month_ends_follow_the_rule(path, SCORE_RULES) > 0


def test_tie_groups_share_their_average_rank_at_a_month_end(ties_db):
    con = db.connect(ties_db)
    rows = con.execute(
        "select customer_id, score_contribution from customer_monthly "
        "where month_end = '2024-03-31'"
    ).df()
    rated_ever = {
        row[0]
        for row in con.execute("select distinct customer_id from customer_monthly").fetchall()
    }
    g1_from = con.execute(
        "select min(month_end) from customer_monthly where customer_id = 'g1'"
    ).fetchall()[0][0]
    con.close()
    contribution = dict(zip(rows.customer_id, rows.score_contribution, strict=True))
    # 16 rated on 12-month margin: f1-f4 5 (ranks 1-4), c1 p1 p2 10 (5-7), e1 40 (8),
    # d1 d2 60 (9-10), g1 100 (11), a1-a3 180 (12-14), b1 b2 250 (15-16): a tie group gets
    # (average rank - 1) / 15 x 100, where the lowest rank among ties would give c1 26.7
    by_hand = {"f1": 1.5, "c1": 5, "p2": 5, "e1": 7, "d1": 8.5, "g1": 10, "a3": 12, "b2": 14.5}
    for customer, rank in by_hand.items():
        assert contribution[customer] == pytest.approx(rank / 15 * 100), customer
    # rated: signed up and a purchase by the month end; x1 (only a refund) and z1 never,
    # g1 (bought in January, signed up in March) from March
    assert "x1" not in rated_ever and "z1" not in rated_ever
    assert g1_from == dt.date(2024, 3, 31)


@pytest.mark.parametrize("fixture", ["demo_db", "small_db", "uk_shop_db", "market_db"])
def test_every_month_end_follows_the_rule_in_both_modes(fixture, request, tmp_path):
    path = copy_of(request.getfixturevalue(fixture), tmp_path)
    assert assert_month_ends_follow_the_rule(path, DEFAULT_RULES) > 0
    rerate(path, SCORE_RULES)
    assert assert_month_ends_follow_the_rule(path, SCORE_RULES) > 0


def test_a_month_end_as_of_date_rates_as_customer_features(small_db, tmp_path):
    """On a month end that is the build's as-of date, without the models (too few buyers)
    and with no weight on relationship, customer_features and customer_monthly hold the
    same stars and segments: one rule, not two that happen to be close."""
    path = copy_of(small_db, tmp_path)
    con = db.connect(path)
    stars.save_rule_set(con, SCORE_RULES.replace(weights=(40, 20, 30, 0)), "no relationship")
    build(con, as_of=dt.date(2024, 6, 30))
    assert stars.dimension_inputs(stars.feature_frame(con)) == {
        "growth": "fallback",
        "loyalty": "fallback",
    }
    con.register("month_end", stars.month_end_ratings(con, dt.date(2024, 6, 30)))
    both = con.execute(
        "select f.customer_id, f.stars as as_of_stars, m.stars as month_end_stars, "
        "f.segment as as_of_segment, m.segment as month_end_segment, "
        "f.score as as_of_score, m.score as month_end_score "
        "from customer_features as f "
        "full join month_end as m "
        "on m.customer_id = f.customer_id where f.is_buyer or m.customer_id is not null"
    ).df()
    con.close()
    assert len(both) > 50
    assert both["as_of_stars"].tolist() == both["month_end_stars"].tolist()
    assert both["as_of_segment"].tolist() == both["month_end_segment"].tolist()
    np.testing.assert_allclose(both["as_of_score"], both["month_end_score"], atol=1e-9)


def test_a_rule_save_on_an_older_build_rates_its_month_ends_afresh(small_db, tmp_path):
    """customer_monthly as builds before the one rule left it (stars and segments, no
    scores to rate): no month end reads as rated, and a rule-set save builds it again
    instead of failing."""
    path = copy_of(small_db, tmp_path)
    con = db.connect(path)
    con.execute(
        "create or replace table customer_monthly as "
        "select month_end, customer_id, 3::tinyint as stars, r_score, f_score, "
        "'lost' as segment from customer_monthly"
    )
    assert stars.monthly_ends(con) == []
    con.close()
    rerate(path, SCORE_RULES)
    assert assert_month_ends_follow_the_rule(path, SCORE_RULES) > 0


def test_month_end_inputs_skip_a_deleted_customer(crossing_db, tmp_path):
    """A customer row deleted after the build leaves a gap in the customers' rowids (by
    which core.monthly numbers them): the others keep their inputs, the deleted one has
    none, as customer_features (which reads the customers) has none for them either."""
    con = db.connect(copy_of(crossing_db, tmp_path))
    try:
        con.execute("delete from customers where customer_id = 'm1'")
        [(count, rows)] = con.execute("select count(*), max(rowid) + 1 from customers").fetchall()
        assert rows > count  # a gap: the deleted row's rowid is not reused
        monthly_inputs = month_end_inputs(con, "tables")
        assert "m1" not in set(monthly_inputs["customer_id"])
        for end in stars.monthly_ends(con):
            want = inputs_on(con, end).set_index("customer_id").sort_index()
            got = monthly_inputs[monthly_inputs["month_end"] == end]
            got = got.set_index("customer_id").sort_index()
            assert list(got.index) == list(want.index), f"customers on {end}"
            pd.testing.assert_frame_equal(got[INPUTS], want[INPUTS], check_dtype=False)
    finally:
        con.close()


def test_a_rule_save_leaves_the_month_ends_as_built(small_db, tmp_path):
    """A save re-rates customer_features only: customer_monthly keeps what no rule changes,
    and its month ends read under the new active rules as they read with those rules
    given, before the save."""
    path = copy_of(small_db, tmp_path)
    con = db.connect(path)
    end = stars.monthly_ends(con)[-1]
    kept = con.execute("select * from customer_monthly order by all").df()
    before = stars.month_end_ratings(con, end, SCORE_RULES)
    under_default = stars.month_end_ratings(con, end)
    stars.save_rule_set(con, SCORE_RULES, "test")
    pd.testing.assert_frame_equal(
        con.execute("select * from customer_monthly order by all").df(), kept
    )
    after = stars.month_end_ratings(con, end)
    con.close()
    pd.testing.assert_frame_equal(after, before)
    assert after["stars"].tolist() != under_default["stars"].tolist()
