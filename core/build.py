"""Rebuilding the derived tables from the raw ones (`python -m core build`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from core import db, lifecycle, sql, stars, value


@dataclass(frozen=True)
class BuildResult:
    as_of: dt.date | None
    customer_features: int


def latest_activity(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last day with a transaction, or None when there are none."""
    row = con.execute("select max(ordered_at)::date from transactions").fetchone()
    return row[0]


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> BuildResult:
    """Rebuild `customer_features` as of `as_of` (default: the last day with a transaction).

    Everything is replaced in one transaction, so readers see the old tables or the new.
    """
    as_of = as_of or latest_activity(con) or dt.date.today()
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace table customer_features as " + sql.load("customer_features"),
            {"as_of": as_of},
        )
        value.add_model_outputs(con, as_of)  # BTYD, P(alive), CLV, churn risk; see core/value.py
        stars.add_ratings(con, as_of)  # stars, scores, RFM segment, customer_monthly
        lifecycle.add_stages(con, as_of)  # lifecycle_stage (default rules)
        db.set_meta(con, "features_as_of", as_of.isoformat())
        db.bump_data_version(con)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    count = con.execute("select count(*) from customer_features").fetchone()[0]
    return BuildResult(as_of=as_of, customer_features=count)
