"""The customer lifecycle (获取 acquisition -> 成交 conversion -> 维护 maintenance -> 退出 exit).

Every customer is in one stage on any day, by rules that are data (`LifecycleRules`):

- prospect: signed up, no purchase yet;
- new: first purchase at most `new_days` ago, or a single purchase day so far;
- active: a repeat buyer still within their own rhythm;
- at_risk: no purchase for more than max(`at_risk_min_days`, `at_risk_gap_multiple` x the
  customer's mean gap between purchase days) days;
- churned: no purchase for more than `churned_days` days;
- refund_only: refunds but no purchase in the data (goods bought before the data start,
  returned in it): customers who have bought, so not prospects, but unrated and without a
  rhythm to judge them by.

"Alive" is judged from recency against the customer's own purchase rhythm until the BG/NBD
P(alive) of the customer-value work is part of `customer_features`. A purchase day is a day
with an order that is not a refund (net value >= 0, as staged in stg_purchase_days); revenue
and margin are net of refunds.

The SQL of each result is in `core/sql/` (customer_stages, lifecycle_history,
lifecycle_funnel, lifecycle_customers, cohort_retention, channel_economics,
channel_payback). Results that start from every customer's stage read it from a
`customer_stages` temp table made on the caller's connection for the call (`staged`).

The shared filters (`core.filters`) choose which customers a result counts: each result
takes the chosen ids as `customers` (None: every customer) and counts only them
(`chosen_customers`). A customer's stage rests on their own orders alone, so it is the
same with or without a filter; the rules are unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields

import duckdb
import numpy as np
import pandas as pd

from core import db, sql
from core import filters as core_filters
from core.precompute import page_result

STAGES = ("prospect", "new", "active", "at_risk", "churned", "refund_only")
LIVE_STAGES = ("new", "active", "at_risk")
FUNNEL_STEPS = ("acquired", "converted", "repeat", "retained")
FLOWS = ("flow_new", "flow_reactivated", "flow_churned", "flow_retained")
GROUPINGS = ("all", "channel", "cohort")
UNKNOWN = "unknown"  # the channel of customers without a recorded acquisition channel


def _rule(default, low, high, help: str):
    return field(default=default, metadata={"low": low, "high": high, "help": help})


@dataclass(frozen=True)
class LifecycleRules:
    """The thresholds that put a customer in a lifecycle stage (see the module docstring)."""

    new_days: int = _rule(
        90, 0, 730, "a first purchase at most this many days ago makes a customer new"
    )
    at_risk_min_days: int = _rule(
        90, 7, 730, "at risk after at least this many days without a purchase"
    )
    at_risk_gap_multiple: float = _rule(
        2.0,
        1.0,
        10.0,
        "... or after this many times the customer's own mean gap between purchases, "
        "whichever is longer",
    )
    churned_days: int = _rule(365, 32, 1825, "churned after this many days without a purchase")

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            low, high = f.metadata["low"], f.metadata["high"]
            if not isinstance(value, int | float) or not low <= value <= high:
                raise ValueError(f"{f.name} must be a number from {low} to {high}; got {value!r}")
        if self.churned_days <= self.at_risk_min_days:
            raise ValueError(
                f"churned_days ({self.churned_days}) must be more than at_risk_min_days "
                f"({self.at_risk_min_days})"
            )

    def params(self) -> dict[str, float]:
        return asdict(self)

    @staticmethod
    def help() -> dict[str, str]:
        """Each rule's name and what it does."""
        return {f.name: f.metadata["help"] for f in fields(LifecycleRules)}


DEFAULT_RULES = LifecycleRules()


@contextmanager
def staged(con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: LifecycleRules) -> Iterator[None]:
    """Every customer's stage on `as_of` as the temp table `customer_stages` on `con`: the
    one an enclosing `staged` block made for the same day and rules (the build makes it once
    for its steps), else one made and dropped for the block. Its key (the day and rules it
    was made for) is the one row of the temp table `customer_stages_key`."""
    params = {"as_of": as_of, **rules.params()}
    key = json.dumps({**params, "as_of": as_of.isoformat()}, sort_keys=True)
    if (
        db.has_table(con, "customer_stages_key")
        and con.execute(
            "select count(*) from temp.customer_stages_key where key = ?", [key]
        ).fetchone()[0]
    ):
        yield
        return
    with db.temp_table(con, "customer_stages", params):
        con.execute("create or replace temp table customer_stages_key as select ? as key", [key])
        try:
            yield
        finally:
            con.execute("drop table if exists temp.customer_stages_key")


@contextmanager
def with_extras(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The temp table `customer_extras` (customer_id, stars, predicted_clv) on `con`: the
    star rating and predicted CLV of `customer_features`, null where not built yet."""
    if db.has_table(con, "customer_features"):
        with db.temp_table(con, "customer_extras"):
            yield
        return
    con.execute(
        "create or replace temp table customer_extras "
        "(customer_id varchar, stars integer, predicted_clv double)"
    )
    try:
        yield
    finally:
        con.execute("drop table if exists temp.customer_extras")


@contextmanager
def chosen_customers(
    con: duckdb.DuckDBPyConnection, customers: np.ndarray | None
) -> Iterator[None]:
    """Within the block, the `customers` table seen on `con` (a cursor of its own) holds only
    the chosen `customers` (ids; None: all, and nothing changes): a temp view of that name
    over the stored table, semi-joined with `core.filters.chosen_relation`, comes first in
    DuckDB's search path. Every result here starts from the customers table (their orders
    are joined to it), so it then counts only the chosen ones. Open it before `staged`: a
    `customer_stages` already on `con` was made from every customer."""
    with core_filters.chosen_relation(con, customers) as relation:
        if relation is None:
            yield
            return
        if db.has_table(con, "customer_stages"):
            raise ValueError("choose the customers before staging them: customer_stages exists")
        catalog = con.execute("select current_database()").fetchall()[0][0].replace('"', '""')
        con.execute(  # names only: the catalog of `con`'s database and core.filters' relation
            f'create or replace temp view customers as select * from "{catalog}".main.customers '
            f"where {core_filters.restricted()}"
        )
        try:
            yield
        finally:
            con.execute("drop view if exists temp.customers")


def add_stages(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: LifecycleRules = DEFAULT_RULES
) -> None:
    """The build step: each customer's stage on `as_of` (default rules) into
    customer_features as `lifecycle_stage` (null for customers not acquired by then)."""
    with staged(con, as_of, rules):
        if db.has_column(con, "customer_features", "lifecycle_stage"):
            con.execute("update customer_features set lifecycle_stage = null")
        else:
            con.execute("alter table customer_features add column lifecycle_stage varchar")
        con.execute(  # in place: the other columns stay as they are stored
            "update customer_features as f set lifecycle_stage = s.stage "
            "from customer_stages as s where s.customer_id = f.customer_id"
        )


def month_start(as_of: dt.date, months: int) -> dt.date:
    """The first day of the month `months - 1` months before the month of `as_of`."""
    return (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()


# --- stages ----------------------------------------------------------------------------


def customer_stages(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: LifecycleRules = DEFAULT_RULES
) -> pd.DataFrame:
    """One row per customer acquired by `as_of` with their stage that day and what it rests
    on: first and last purchase day, purchase days, mean gap, days since the last purchase,
    the at-risk threshold that applies to them, revenue and margin (core/sql/customer_stages.sql).
    """
    return con.execute(sql.load("customer_stages", con), {"as_of": as_of, **rules.params()}).df()


def stage_counts(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: LifecycleRules = DEFAULT_RULES
) -> pd.DataFrame:
    """Customers per stage on `as_of`: `stage, customers, share`, every stage in STAGES order."""
    with staged(con, as_of, rules):
        counts = dict(
            con.execute("select stage, count(*) from customer_stages group by stage").fetchall()
        )
    return _stage_frame(counts)


# --- the funnel ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LifecycleSnapshot:
    """Where the customers are on one day: `stages` (as `stage_counts`), the funnel (as
    `funnel`) overall, by acquisition channel and by sign-up month, and the first
    `customers.customers` of all customers by revenue (as `drill_down` without filters)."""

    stages: pd.DataFrame
    funnel: pd.DataFrame
    funnel_by_channel: pd.DataFrame
    funnel_by_cohort: pd.DataFrame
    customers: DrillResult


@page_result()
def lifecycle_snapshot(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    limit: int = 500,
    customers: np.ndarray | None = None,
) -> LifecycleSnapshot:
    """Stage counts, the three funnels and the top customers on `as_of`, from one
    computation of the stages; of the chosen `customers` only (ids; None: all)."""
    with chosen_customers(con, customers), staged(con, as_of, rules):
        counts = dict(
            con.execute("select stage, count(*) from customer_stages group by stage").fetchall()
        )
        funnels = {
            by: with_funnel_rates(con.execute(sql.load("lifecycle_funnel"), {"by": by}).df())
            for by in GROUPINGS
        }
        customers = _drill(con, as_of, Drill(), limit)
    return LifecycleSnapshot(
        stages=_stage_frame(counts),
        funnel=funnels["all"],
        funnel_by_channel=funnels["channel"],
        funnel_by_cohort=funnels["cohort"],
        customers=customers,
    )


def _stage_frame(counts: dict[str, int]) -> pd.DataFrame:
    frame = pd.DataFrame({"stage": STAGES, "customers": [counts.get(s, 0) for s in STAGES]})
    total = frame["customers"].sum()
    frame["share"] = frame["customers"] / total if total else np.nan
    return frame


def funnel(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    by: str = "all",
) -> pd.DataFrame:
    """Acquired -> converted (1+ purchase day) -> repeat (2+) -> retained (repeat and live,
    stage new or active) on `as_of`, per group `by` ('all', 'channel' = acquisition
    channel, 'cohort' = sign-up month YYYY-MM).

    Returns `group_key, acquired, converted, repeat, retained`, the step rates
    `conversion_rate` (converted / acquired), `repeat_rate` (repeat / converted),
    `retention_rate` (retained / repeat) and `retained_share` (retained / acquired), and the
    time to the first purchase of the converted: `median_days_to_first_purchase`,
    `share_first_purchase_same_day`, `share_first_purchase_7_days`.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}: choose one of {', '.join(GROUPINGS)}")
    with staged(con, as_of, rules):
        frame = con.execute(sql.load("lifecycle_funnel"), {"by": by}).df()
    return with_funnel_rates(frame)


def with_funnel_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """The funnel counts with each step's rate added (NaN where the step before is empty)."""
    frame = frame.copy()
    for rate, numerator, denominator in (
        ("conversion_rate", "converted", "acquired"),
        ("repeat_rate", "repeat", "converted"),
        ("retention_rate", "retained", "repeat"),
        ("retained_share", "retained", "acquired"),
    ):
        frame[rate] = frame[numerator] / frame[denominator].where(frame[denominator] > 0)
    return frame


# --- stages and flows over time --------------------------------------------------------


@page_result()
def stage_history(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    months: int = 36,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Customers per stage at each of the `months` month ends up to `as_of` (the as-of
    date itself for its month, flagged `is_partial`), with the month's flows of buyers.
    Each month end holds what was known at the end of that day, as `customer_stages` with
    that day as the as-of date: a later line of an order (a refund) does not reach back.
    The months start no earlier than the first month with a customer or an order (the
    months before the data hold nothing); with no data at all, all `months` are kept.

    Returns `month, day, is_partial`, one column per stage, `live_at_start`, `flow_new`,
    `flow_reactivated`, `flow_churned`, `flow_retained`, `live_at_end`, where live = new +
    active + at risk and live_at_start + flow_new + flow_reactivated - flow_churned =
    live_at_end (core/sql/lifecycle_history.sql). Of the chosen `customers` only (ids;
    None: all).
    """
    params = {"as_of": as_of, "start_month": month_start(as_of, months), **rules.params()}
    with chosen_customers(con, customers):
        frame = con.execute(sql.load("lifecycle_history", con), params).df()
    counts = [*STAGES, "live_at_start", *FLOWS, "live_at_end"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame


# --- cohorts ---------------------------------------------------------------------------


@page_result()
def cohort_retention(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    cohorts: int = 24,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Sign-up-month cohorts (the `cohorts` months up to `as_of`) x months since sign-up.

    Returns `cohort, months_since_signup, cohort_size, buyers, revenue, revenue_month_0`,
    `buyer_share` (the share of the cohort that bought in that month) and
    `revenue_retention` (that month's revenue over the cohort's month-0 revenue; NaN when
    month 0 had none), one row per month that has begun by `as_of`. Of the chosen
    `customers` only (ids; None: all).
    """
    params = {"as_of": as_of, "start_month": month_start(as_of, cohorts)}
    with chosen_customers(con, customers):
        frame = con.execute(sql.load("cohort_retention", con), params).df()
    frame["buyer_share"] = frame["buyers"] / frame["cohort_size"]
    month_0 = frame["revenue_month_0"].where(frame["revenue_month_0"] > 0)
    frame["revenue_retention"] = frame["revenue"] / month_0
    return frame


# --- acquisition economics -------------------------------------------------------------


@page_result(ratings=True)
def channel_economics(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    months: int = 36,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Acquisition cost against the value each acquisition channel's customers created.

    Returns one row per channel: `channel, customers, buyers, acquisition_cost, cac`
    (mean cost per customer with a recorded cost), `revenue, margin` to `as_of` (margin
    null where unknown: no cost on the orders), `revenue_per_customer`,
    `margin_per_customer`, `roi_to_date` (margin / acquisition cost - 1; null when either
    is unknown), `predicted_clv` and `predicted_clv_per_customer` (the next 12 months; null
    until the CLV model fills customer_features.predicted_clv_12m), `basis` ('margin', or
    'revenue' when no channel's margin is known: revenue then stands in for it),
    `value_per_customer` (the basis per customer) and `payback_months`: the months from
    sign-up (the sign-up month counting as the first) by whose end the average customer's
    cumulative value on the basis covers the CAC (`payback_curves`); NaN when not within
    the months observed or when the CAC is unknown. Of the chosen `customers` only (ids;
    None: all), their CAC and payback included.
    """
    with chosen_customers(con, customers):
        with with_extras(con):
            frame = con.execute(sql.load("channel_economics", con), {"as_of": as_of}).df()
        basis = "margin" if frame["margin"].notna().any() else "revenue"
        curves = payback_curves(con, as_of, months, basis)
    frame["margin"] = frame["margin"].astype("float64")
    frame["revenue_per_customer"] = frame["revenue"] / frame["customers"]
    frame["margin_per_customer"] = frame["margin"] / frame["customers"]
    cost = frame["acquisition_cost"].where(frame["acquisition_cost"] > 0)
    frame["roi_to_date"] = frame["margin"] / cost - 1
    frame["predicted_clv_per_customer"] = frame["predicted_clv"] / frame["customers"]
    frame["basis"] = basis
    frame["value_per_customer"] = frame[f"{basis}_per_customer"]
    frame["payback_months"] = [
        payback_months(curves[curves["channel"] == channel], cac)
        for channel, cac in zip(frame["channel"], frame["cac"], strict=True)
    ]
    return frame


VALUE_BASES = ("margin", "revenue")


def payback_curves(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 36, basis: str = "margin"
) -> pd.DataFrame:
    """The average customer's cumulative value (`basis`: margin, or revenue where margin
    is unknown) by month since sign-up, per channel.

    Month k's value per customer is the value made in month k by the customers who have
    completed month k, over their number (so newer customers do not pull the average down);
    the cumulative sum over k is the value the average customer has paid back by the end
    of month k. Returns `channel, months_since_signup, customers, revenue, margin,
    value_per_customer, cumulative_value_per_customer`.
    """
    if basis not in VALUE_BASES:
        raise ValueError(f"unknown basis {basis!r}: choose one of {', '.join(VALUE_BASES)}")
    frame = con.execute(sql.load("channel_payback", con), {"as_of": as_of, "months": months}).df()
    frame["margin"] = frame["margin"].astype("float64")
    frame["value_per_customer"] = frame[basis] / frame["customers"]
    frame["cumulative_value_per_customer"] = frame.groupby("channel")["value_per_customer"].cumsum()
    return frame


def payback_months(curve: pd.DataFrame, cac: float) -> float:
    """How many months from sign-up (the sign-up month being the first) until the average
    customer's cumulative value reaches `cac`, or NaN when it does not within the curve
    or the CAC is unknown."""
    if cac is None or not np.isfinite(cac):
        return np.nan
    reached = curve.loc[curve["cumulative_value_per_customer"] >= cac, "months_since_signup"]
    return float(reached.min()) + 1 if len(reached) else np.nan


# --- drill-down ------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """Which customers to list: every filter left None means 'any'.

    group: a stage (STAGES) or a funnel step ('converted', 'repeat', 'retained');
    channel: an acquisition channel ('unknown' = none recorded); cohort: the first day of a
    sign-up month; months_since_signup: bought in that month after sign-up (0 = the sign-up
    month; needs a cohort to point at one cell of the cohort heatmap, works without).
    """

    group: str | None = None
    channel: str | None = None
    cohort: dt.date | None = None
    months_since_signup: int | None = None

    def __post_init__(self):
        groups = (*STAGES, *FUNNEL_STEPS[1:])
        if self.group is not None and self.group not in groups:
            raise ValueError(f"unknown group {self.group!r}: choose one of {', '.join(groups)}")
        if self.months_since_signup is not None and self.months_since_signup < 0:
            raise ValueError("months_since_signup must be 0 or more")


@dataclass(frozen=True, eq=False)
class DrillResult:
    """The first rows of a drill-down (`customers`) and how many customers it picks."""

    customers: pd.DataFrame
    total: int


def _drill_params(as_of: dt.date, drill: Drill, limit: int | None) -> dict:
    return {
        "as_of": as_of,
        "group": drill.group,
        "channel": drill.channel,
        "cohort": drill.cohort,
        "months_since_signup": drill.months_since_signup,
        "limit": limit,
    }


def lifecycle_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    drill: Drill | None = None,
    limit: int | None = None,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """The customers a drill-down picks, largest revenue first (at most `limit`): id, city,
    acquisition channel, sign-up, first and last purchase, purchase days, revenue, margin,
    days since the last purchase and stage. No other personal data. Of the chosen
    `customers` only (ids; None: all)."""
    params = _drill_params(as_of, drill or Drill(), limit)
    with chosen_customers(con, customers), staged(con, as_of, rules):
        return con.execute(sql.load("lifecycle_customers", con), params).df()


def drill_down(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    drill: Drill | None = None,
    limit: int = 500,
    customers: np.ndarray | None = None,
) -> DrillResult:
    """The first `limit` customers of `lifecycle_customers` and how many it picks in all
    (of the chosen `customers` only; None: all)."""
    with chosen_customers(con, customers), staged(con, as_of, rules):
        return _drill(con, as_of, drill or Drill(), limit)


def _drill(con: duckdb.DuckDBPyConnection, as_of: dt.date, drill: Drill, limit: int):
    """`drill_down` on the customer_stages temp table already on `con`."""
    query = sql.load("lifecycle_customers", con)
    total = con.execute(
        f"select count(*) from ({query})", _drill_params(as_of, drill, None)
    ).fetchone()[0]
    first = con.execute(query, _drill_params(as_of, drill, limit)).df()
    return DrillResult(customers=first, total=total)
