"""The stored form of the month ends (customer_monthly) and how it is computed, against
the definitions it stands for.

- `stars.month_end_scores` rates a month end's inputs on arrays, finding the ties of
  recency and purchase days once for loyalty and R/F; it must give, to the bit, what
  `stars.dimension_scores` and `rfm.rf_scores` give on the same inputs as a DataFrame
  (the as-of date's rule), on every month end of the demo and the real-shaped shops.
- `core/sql/customer_monthly.sql` sums money in integer millionths taken as
  round(amount x 10^6); that must be the integer DuckDB's cast to decimal(38, 6) holds,
  for amounts with more decimals than six, halves included.
- customer_monthly as stored (ids uncompressed) reads back as what was rated, and
  customer_features gets the relationship inputs and ratings added in the order and types
  star_inputs.sql and the ratings give them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import db, monthly, rfm, sql, stars


def by_frame(inputs: dict) -> dict:
    """What a month end's customers get by the as-of route: dimension_scores on a
    DataFrame of their inputs (all buyers, no model columns) and rfm.rf_scores."""
    buyers = pd.DataFrame({name: inputs[name] for name in stars.MONTH_END_INPUTS})
    dims = stars.dimension_scores(buyers.assign(is_buyer=True))
    r, f = rfm.rf_scores(inputs["recency_days"], inputs["count_purchase_days"])
    out = {name: dims[name].to_numpy() for name in stars.MONTH_END_SCORES}
    return {**out, "r_score": r, "f_score": f}


def assert_same_scores(got: dict, want: dict, where: str) -> None:
    assert set(got) == set(stars.MONTH_END_KEPT)
    for name in stars.MONTH_END_KEPT:
        np.testing.assert_array_equal(got[name], want[name], err_msg=f"{name} {where}")
        assert got[name].dtype == want[name].dtype, f"{name} {where}"


@pytest.mark.parametrize("fixture", ["demo_db", "uk_shop_db", "market_db", "small_db"])
def test_month_end_scores_are_the_as_of_rule_on_every_month_end(fixture, request):
    con = db.connect(request.getfixturevalue(fixture))
    try:
        ends = stars.monthly_ends(con)
        seen = 0
        for month in monthly.month_end_inputs(con, ends):
            assert_same_scores(
                stars.month_end_scores(month.inputs), by_frame(month.inputs), str(month.end)
            )
            seen += len(month)
        assert seen == con.execute("select count(*) from customer_monthly").fetchone()[0]
    finally:
        con.close()


def hand_made(n: int, seed: int, costed: float) -> dict:
    """n customers' month-end inputs with many ties; a share `costed` has a margin."""
    rng = np.random.default_rng(seed)
    revenue_12m = np.round(rng.choice([0.0, 10.0, 25.5, 99.99, -5.0], n), 2)
    margin = np.where(rng.random(n) < costed, np.round(revenue_12m * 0.4, 2), np.nan)
    return {
        "revenue": revenue_12m + 3,
        "revenue_12m": revenue_12m,
        "margin_12m": margin,
        "recency_days": rng.integers(0, 5, n).astype(np.int64),
        "count_purchase_days": rng.integers(1, 4, n).astype(np.int64),
        "tenure_days": rng.integers(0, 3, n).astype(np.int64) * 30,
    }


@pytest.mark.parametrize("n", [1, 2, 3, 10, 997])
@pytest.mark.parametrize("costed", [0.0, 0.5, 1.0], ids=["no-cost", "some-cost", "all-cost"])
def test_month_end_scores_match_the_frame_route_on_tied_inputs(n, costed):
    inputs = hand_made(n, seed=n, costed=costed)
    assert_same_scores(stars.month_end_scores(inputs), by_frame(inputs), f"n={n}")


def test_month_end_scores_refuse_a_customer_without_a_purchase_day():
    inputs = hand_made(5, seed=1, costed=1.0)
    inputs["recency_days"] = inputs["recency_days"].astype(float)
    inputs["recency_days"][2] = np.nan
    with pytest.raises(ValueError, match="purchase day"):
        stars.month_end_scores(inputs)


def test_millionths_are_the_decimal_casts_integer():
    """round(x * 10^6)::bigint (customer_monthly.sql) against the integer of
    x::decimal(38, 6) (what the month ends summed before), over amounts with 7 and more
    decimals, exact halves of a millionth, negatives and large values."""
    rng = np.random.default_rng(3)
    amounts = np.concatenate(
        [
            np.round(rng.normal(0, 500, 20_000), 7),
            rng.normal(0, 1e6, 5_000),
            (rng.integers(-(10**9), 10**9, 5_000) + 0.5) / 1e6,  # k + 1/2 millionths
            [0.0, -0.0, 5e-7, -5e-7, 1.0000005, -2.5e-7, 123.4567895, 1e12 / 3],
        ]
    )
    con = db.connect(":memory:")
    con.register("amounts", pd.DataFrame({"amount": amounts}))
    [(differ, rows)] = con.execute(
        "select count(*) filter (where round(amount * 1000000)::bigint "
        "<> (amount::decimal(38, 6) * 1000000)::bigint), count(*) from amounts"
    ).fetchall()
    con.close()
    assert rows == len(amounts) and differ == 0


def test_customer_monthly_reads_back_what_was_rated(small_db, tmp_path):
    """Rated again into a copy, customer_monthly holds each month end's scores as
    month_end_scores gives them, with each customer's id (stored uncompressed)."""
    path = tmp_path / "small.duckdb"
    path.write_bytes(small_db.read_bytes())
    con = db.connect(path)
    try:
        as_of = db.built_as_of(con)
        stars.build_customer_monthly(con, as_of)
        kinds = con.execute("select column_name, column_type from (describe customer_monthly)")
        assert [name for name, _ in kinds.fetchall()] == list(stars.MONTHLY_COLUMNS)
        ids = con.execute("select customer_id from customers order by rowid").fetchnumpy()
        ids = np.asarray(ids["customer_id"], dtype=object)
        for month in monthly.month_end_inputs(con, stars.month_ends(as_of)):
            stored = con.execute(
                "select * from customer_monthly where month_end = ? order by customer_id",
                [month.end],
            ).df()
            want = pd.DataFrame(
                {"customer_id": ids[month.customer_no], **stars.month_end_scores(month.inputs)}
            )
            want = want.sort_values("customer_id", ignore_index=True)
            pd.testing.assert_frame_equal(stored.drop(columns="month_end"), want, check_dtype=False)
    finally:
        con.close()


def test_build_adds_the_relationship_inputs_and_ratings_as_star_inputs_gives_them(demo_db):
    con = db.connect(demo_db)
    try:
        kinds = dict(
            con.execute(
                "select column_name, column_type from (describe customer_features)"
            ).fetchall()
        )
        names = list(kinds)
        added = [*stars.RELATIONSHIP_INPUTS, *stars.RATING_COLUMNS]
        at = names.index(added[0])
        assert names[at : at + len(added)] == added  # in this order, one after the other
        query = sql.load("star_inputs", con)
        with db.temp_table(con, "customer_features", {"as_of": db.built_as_of(con)}):
            given = dict(
                con.execute(
                    f"select column_name, column_type from (describe ({query}))",
                    {"as_of": db.built_as_of(con)},
                ).fetchall()
            )
        for name in stars.RELATIONSHIP_INPUTS:
            assert kinds[name] == given[name], name
        assert kinds["stars"] == "TINYINT" and kinds["segment"] == "VARCHAR"
    finally:
        con.close()


@pytest.mark.parametrize("fixture", ["demo_db", "uk_shop_db", "market_db", "small_db"])
@pytest.mark.parametrize(
    "rules",
    [
        stars.DEFAULT_RULES,
        stars.DEFAULT_RULES.replace(
            mode="score", high_value_stars=(5,), medium_value_stars=(3, 4), loyal_min=55
        ),
    ],
    ids=["default", "score"],
)
def test_rating_columns_are_ratings(fixture, rules, request):
    """What the build writes (`rating_columns`, arrow arrays) is `ratings` (the as-of rule
    as a DataFrame), value for value, nulls where it has none."""
    con = db.connect(request.getfixturevalue(fixture))
    try:
        features = stars.feature_frame(con)
    finally:
        con.close()
    want = stars.ratings(features, rules)
    got = stars.rating_columns(features, rules)
    assert list(got) == list(stars.RATING_COLUMNS)
    for name, column in got.items():
        assert len(column) == len(features)
        expected = want[name].astype(object).where(want[name].notna(), None).tolist()
        assert column.to_pylist() == expected, name
