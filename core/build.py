"""Rebuilding the derived tables from the raw ones (`python -m core build`).

First the staging tables (core/sql/stg_*.sql: every version of each order and purchase
day, read as of any date through their macros), then the marts and models that read them.

A valid database always builds: transactions alone are enough. Each result that lacks an
input (feedback, CSAT or NPS answers, complaints, interactions, costs, acquisition costs)
or whose model cannot run on the data (too few buyers, a fit that fails) is left empty,
and why is stored in `meta` under `status.<result>` as JSON: `{"code": "ready"}` or
`{"code": "no_feedback", "values": {...}, "message": "<English sentence>"}`. The dashboard
words the code in its language and says what to import (`statuses` reads them back).
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from core import db, lifecycle, monthly, precompute, sql, stars, value
from core.clv import Reason

READY = "ready"
# what each result needs, in the order a page lists them
RESULTS = (
    "margin",  # transactions.cost
    "acquisition_cost",  # customers.acquisition_cost
    "csat",  # feedback.csat
    "nps",  # feedback.nps
    "complaints",  # feedback of kind complaint
    "engagement",  # interactions
    "p_alive",  # BG/NBD: enough buyers, repeat buyers and history
    "clv",  # BG/NBD + Gamma-Gamma
    "churn",  # the churn classifier
)
WHAT_TO_IMPORT = {
    "no_cost": "transactions with a cost column (cost of goods)",
    "no_acquisition_cost": "customers with an acquisition_cost column",
    "no_feedback": "feedback (survey answers with csat or nps, complaints)",
    "no_csat": "feedback with a csat column (1-5)",
    "no_nps": "feedback with an nps column (0-10)",
    "no_complaints": "feedback rows of kind complaint",
    "no_interactions": "interactions (calls, e-mails, visits: one row per touchpoint)",
}


@dataclass(frozen=True)
class BuildResult:
    as_of: dt.date | None
    customer_features: int


def latest_activity(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last day with a transaction, or None when there are none."""
    span = db.day_span(con, "transactions")
    return span[1] if span else None


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> BuildResult:
    """Rebuild the staging tables (every as-of date) and `customer_features` as of `as_of`
    (default: the last day with a transaction), and store each result's status (`statuses`).

    Everything is replaced in one transaction, so readers see the old tables or the new.
    """
    as_of = as_of or latest_activity(con) or dt.date.today()
    # numpy work that needs no connection once its inputs are read (the ratings, the month
    # ends' scores) is done in threads of their own while the steps go on with their
    # queries, where those leave a core free (the models' step keeps both busy)
    with db.transaction(con), ThreadPoolExecutor(2) as pool:
        build_staging(con)
        outputs = value.model_outputs(con, as_of)  # BTYD, P(alive), CLV, churn risk
        create_features(con, as_of, outputs)
        rating_inputs = stars.rating_inputs(con, as_of)
        ratings = pool.submit(rating_inputs.added)  # stars, scores, RFM segment
        value.store_page_inputs(con, as_of, outputs)  # what the Value and Churn pages read
        # every customer's stage, computed once for lifecycle_stage and the page results
        with lifecycle.staged(con, as_of, lifecycle.DEFAULT_RULES):
            stars.write_ratings(con, rating_inputs.active, ratings.result())
            lifecycle.add_stages(con, as_of)  # lifecycle_stage (default rules)
            for name, reason in {**input_reasons(con, as_of), **outputs.reasons}.items():
                db.set_meta(con, f"status.{name}", status_json(reason))
            db.set_meta(con, db.BUILT_AS_OF, as_of.isoformat())
            db.bump_data_version(con, raw=False)
            sql.mark_staging_current(con)  # the staging tables hold the data at the new version
            inputs = monthly.month_end_inputs(con, stars.month_ends(as_of))
            month_end_rows = pool.submit(stars.month_end_rows, inputs)  # written last
            del inputs
            precompute.store_page_results(con, as_of)  # what the pages open on, read not computed
        stars.write_customer_monthly(con, month_end_rows.result())  # no page result reads it
    precompute.store_committed_results(con, as_of)  # results read through cursors of their own
    count = con.execute("select count(*) from customer_features").fetchone()[0]
    return BuildResult(as_of=as_of, customer_features=count)


def build_staging(con: duckdb.DuckDBPyConnection) -> None:
    """The staging tables (`sql.STAGING_TABLES`: every version of each order and purchase
    day, from all the transactions), each with its as-of macro (`stg_orders_at(as_of)`...),
    marked current so that the marts and pages read them. Run before the marts."""
    for name in sql.STAGING_TABLES:
        create_table(con, name, sql.versions(name))
        con.execute(sql.as_of_macro(name))
    sql.mark_staging_current(con)


def create_features(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, outputs: value.ModelOutputs
) -> None:
    """customer_features as of `as_of` with the model outputs joined, written once: the
    query of `core/sql/customer_features.sql` in place of the table that
    `core/sql/customer_features_models.sql` reads (`value.add_model_outputs` joins them
    into a table written before, which wrote a million rows twice). The models read the
    staging tables alone, so they run first."""
    con.register("model_outputs", outputs.frame)  # before a fetchone leaves a result open
    try:
        features = sql.load("customer_features", con)
        joined = sql.load("customer_features_models")
        query = f"with customer_features as (\n{features}\n)\nselect * from (\n{joined}\n)"
        create_table(con, "customer_features", query, {"as_of": as_of})
    finally:
        con.unregister("model_outputs")


# Keys stored uncompressed: DuckDB's dictionary and FSST compression of millions of
# distinct ids took most of a staging table's write (at 1M customers); uncompressed they
# take a few bytes more per row and read as fast (as customer_monthly's, core/stars.py).
UNCOMPRESSED_KEYS = ("customer_id", "order_key")


def create_table(
    con: duckdb.DuckDBPyConnection, name: str, query: str, params: dict | None = None
) -> None:
    """`create or replace table <name> as <query>`, with the columns of UNCOMPRESSED_KEYS
    that are text stored uncompressed: the same columns, types and rows."""
    columns = con.execute(f"describe {query}", params or {}).fetchall()
    definitions = ", ".join(
        f'"{column}" {kind}'  # the query's own column names and types  # sql: idents
        + (
            " using compression uncompressed"
            if column in UNCOMPRESSED_KEYS and kind == "VARCHAR"
            else ""
        )
        for column, kind, *_ in columns
    )
    con.execute(f"create or replace table {name} ({definitions})")
    con.execute(f"insert into {name} {query}", params or {})


def input_reasons(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, Reason | None]:
    """Per result that reads an optional input, the Reason it is empty (None: the input is
    there), from the raw rows up to the end of `as_of`."""
    [(costs, acquisition_costs, feedback, csat, nps, complaints, interactions)] = con.execute(
        """
        select
            (select count(cost) from transactions
                where ordered_at < $as_of::date + interval 1 day),
            (select count(acquisition_cost) from customers),
            (select count(*) from feedback where submitted_at < $as_of::date + interval 1 day),
            (select count(csat) from feedback where submitted_at < $as_of::date + interval 1 day),
            (select count(nps) from feedback where submitted_at < $as_of::date + interval 1 day),
            (select count(*) from feedback
                where kind = 'complaint' and submitted_at < $as_of::date + interval 1 day),
            (select count(*) from interactions
                where occurred_at < $as_of::date + interval 1 day)
        """,
        {"as_of": as_of},
    ).fetchall()

    def missing(code: str, message: str) -> Reason:
        what = WHAT_TO_IMPORT[code]
        return Reason(code, {}, f"{message}; import {what} to get it")

    no_feedback = missing("no_feedback", "no feedback is loaded")
    return {
        "margin": None
        if costs
        else missing("no_cost", "the transactions carry no cost, so margin is unknown"),
        "acquisition_cost": None
        if acquisition_costs
        else missing("no_acquisition_cost", "no customer has an acquisition cost"),
        "csat": None
        if csat
        else (no_feedback if not feedback else missing("no_csat", "no feedback has a CSAT")),
        "nps": None
        if nps
        else (no_feedback if not feedback else missing("no_nps", "no feedback has an NPS")),
        "complaints": None
        if complaints
        else (no_feedback if not feedback else missing("no_complaints", "no complaint is loaded")),
        "engagement": None
        if interactions
        else missing("no_interactions", "no interactions are loaded"),
    }


def status_json(reason: Reason | None) -> str:
    """A result's status as stored in `meta`: `{"code": "ready"}` or the reason's code,
    values and English message."""
    if reason is None:
        return json.dumps({"code": READY})
    return json.dumps(
        {"code": reason.code, "values": reason.values, "message": reason.message}, default=str
    )


def statuses(con: duckdb.DuckDBPyConnection) -> dict[str, Reason | None]:
    """Per result of RESULTS, the Reason it is empty in the last build (None: it is there,
    or the database was built before statuses were stored)."""
    rows = dict(con.execute("select key, value from meta where key like 'status.%'").fetchall())
    found: dict[str, Reason | None] = {}
    for name in RESULTS:
        text = rows.get(f"status.{name}")
        data = json.loads(text) if text else {"code": READY}
        found[name] = (
            None
            if data["code"] == READY
            else Reason(data["code"], data.get("values", {}), data.get("message", ""))
        )
    return found
