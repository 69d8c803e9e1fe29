"""Found in review of b48536c: the sampled customers reached churn_features.sql through a
DuckDB session variable, which a rollback does not undo. When the query failed inside a
transaction (the build runs in `db.transaction`), resetting it raised "transaction is
aborted" instead of the real error, and the variable outlived the rollback, so a later call
for every customer on that connection kept only the sample. They are a bound parameter now.
"""

import duckdb
import pytest

from core import churn, db, sql


def test_churn_customers_does_not_outlive_a_failed_query_in_a_transaction(demo_db, monkeypatch):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    everyone = churn.churn_features(con, as_of)
    one = everyone["customer_id"].iloc[:1].tolist()

    real_load = sql.load

    def failing_load(name, *args, **kwargs):  # the query fails (out of memory, interrupt)
        if name == "churn_features":
            return "select error('the features query failed'), $as_of, $active_days, $customers"
        return real_load(name, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(churn.sql, "load", failing_load)
        with pytest.raises(duckdb.Error) as raised, db.transaction(con):
            churn.churn_features(con, as_of, 365, one)
    after = churn.churn_features(con, as_of)  # a later caller that wants every customer
    con.close()
    assert len(after) == len(everyone)
    assert "the features query failed" in str(raised.value)  # not "transaction is aborted"
