"""Review of b48536c: the session variable `churn_customers` is not transactional in DuckDB.

`churn_features(..., customers=...)` sets it, runs the query and resets it in a `finally`.
When the query fails inside a transaction (the build runs in `db.transaction`), DuckDB has
aborted the transaction, so `reset variable` itself raises (masking the real error) and the
variable outlives the rollback: every later `churn_features` on that connection, without
`customers`, silently keeps only the previously sampled customers.
"""

import duckdb
import pytest

from core import churn, db, sql


@pytest.mark.xfail(
    strict=True,
    reason="churn_customers survives a failed query inside a transaction (b48536c)",
)
def test_churn_customers_does_not_outlive_a_failed_query_in_a_transaction(demo_db, monkeypatch):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    everyone = churn.churn_features(con, as_of)
    one = everyone["customer_id"].iloc[:1].tolist()

    real_load = sql.load

    def failing_load(name, *args, **kwargs):  # the query fails (out of memory, interrupt)
        if name == "churn_features":
            return "select error('the features query failed')"
        return real_load(name, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(churn.sql, "load", failing_load)
        with pytest.raises(duckdb.Error) as raised, db.transaction(con):
            churn.churn_features(con, as_of, 365, one)
    leaked = con.execute("select getvariable('churn_customers')").fetchone()[0]
    after = churn.churn_features(con, as_of)  # a later caller that wants every customer
    con.close()
    assert (leaked, len(after)) == (None, len(everyone)), (leaked, len(after))
    assert "the features query failed" in str(raised.value)  # not "transaction is aborted"
