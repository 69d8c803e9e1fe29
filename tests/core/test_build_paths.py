"""core build's own paths give what the steps give one by one: customer_features written
once with the model outputs joined, the month ends' scores and the ratings worked out in
threads of their own."""

import numpy as np
import pandas as pd

from core import db, sql, stars, value
from core.build import create_table


def _table(con, name: str, order: str) -> pd.DataFrame:
    return con.execute(f"select * from {name} order by {order}").df()  # names from the test


def test_features_written_once_equal_the_features_with_the_outputs_joined_after(demo_db):
    """The build's customer_features, up to its last model column, is what writing the
    features and then joining `value.add_model_outputs` into them gives."""
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    built = _table(con, "customer_features", "customer_id")
    con.begin()
    try:
        create_table(con, "customer_features", sql.load("customer_features", con), {"as_of": as_of})
        value.add_model_outputs(con, as_of)
        stepwise = _table(con, "customer_features", "customer_id")
    finally:
        con.rollback()
        con.close()
    assert list(built.columns[: len(stepwise.columns)]) == list(stepwise.columns)
    assert stepwise["churn_risk"].notna().any() and stepwise["predicted_clv_12m"].notna().any()
    pd.testing.assert_frame_equal(built[stepwise.columns], stepwise, check_exact=True)


def test_month_ends_and_ratings_equal_those_of_the_sequential_steps(demo_db):
    """customer_monthly and the rating columns the build wrote in its threads are those of
    `stars.build_customer_monthly` and `stars.add_ratings` run on the built features."""
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    monthly = _table(con, "customer_monthly", "month_end, customer_id")
    rated = [*stars.RELATIONSHIP_INPUTS, *stars.RATING_COLUMNS]
    ratings = _table(con, "customer_features", "customer_id")[["customer_id", *rated]]
    con.begin()
    try:
        stars.build_customer_monthly(con, as_of)
        again = _table(con, "customer_monthly", "month_end, customer_id")
        for column in [*rated, "lifecycle_stage"]:  # customer_features as the ratings found it
            con.execute(f'alter table customer_features drop column "{column}"')
        pending = stars.rating_inputs(con, as_of)
        added = pending.added().to_pandas().sort_values("customer_id", ignore_index=True)
    finally:
        con.rollback()
        con.close()
    assert len(monthly) > 0 and monthly["month_end"].nunique() > 1
    pd.testing.assert_frame_equal(monthly, again, check_exact=True)
    assert np.isin(stars.RATING_COLUMNS, added.columns).all()
    pd.testing.assert_frame_equal(
        ratings, added[ratings.columns], check_exact=True, check_dtype=False
    )
