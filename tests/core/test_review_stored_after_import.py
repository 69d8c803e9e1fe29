"""What `core build` stores for the Value and Churn risk pages (value_models / value_summary /
value_inputs, churn_results / churn_scores / churn_worth) is not served after an import: the
raw version rises, the staging tables are no longer current, and the pages compute on the new
data as they did before anything was stored (found in review: they were keyed on the as-of
date alone)."""

import pytest

from core import churn, db, value


@pytest.fixture
def imported(demo_db, tmp_path):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(demo_db.read_bytes())
    con = db.connect(path)
    as_of = db.built_as_of(con)
    # an import: new orders up to the build's date by a customer already there
    customer = con.execute(
        "select min(customer_id) from churn_scores where horizon_days = 90"
    ).fetchone()[0]
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 'review-' || i, ?, ?::date - (3 * i)::integer, 500 from range(20) t(i)",
        [customer, as_of],
    )
    db.bump_data_version(con, raw=True)  # what the importer does
    yield con, as_of, customer
    con.close()


def test_stored_value_models_go_stale_after_an_import(imported):
    con, as_of, customer = imported
    stored = value.stored_value_models(con, as_of)
    fitted = value.fit_value_models(con, as_of)
    assert stored is None or (
        stored.summary.set_index("customer_id").loc[customer, "frequency"]
        == fitted.summary.set_index("customer_id").loc[customer, "frequency"]
    )


def test_stored_customer_inputs_go_stale_after_an_import(imported):
    con, as_of, customer = imported
    stored = value.stored_customer_inputs(con, as_of).set_index("customer_id")
    live = value.customer_inputs(con, as_of).set_index("customer_id")
    # both sums run in DuckDB's parallel double aggregate: equal up to the last bits
    assert stored.loc[customer, "revenue"] == pytest.approx(live.loc[customer, "revenue"], 1e-12)


def test_stored_churn_scores_go_stale_after_an_import(imported):
    con, as_of, customer = imported
    stored = churn.stored_churn_result(con, as_of, 90)
    assert stored is None or (
        stored.scores.set_index("customer_id").loc[customer, "churn_risk"]
        == churn.churn_risk(con, as_of).scores.set_index("customer_id").loc[customer, "churn_risk"]
    )
