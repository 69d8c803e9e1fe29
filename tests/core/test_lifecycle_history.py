"""The lifecycle history is a history of what was known at each month end.

`stage_history` counts the customers in each stage at every month end and the month's
flows. Each month end must see each order as it stood at the end of that day: a refund line
of the same order dated after a month end must not reach back into it. The expected
figures here are not read from the history: they are `customer_stages` (the stages on one
as-of date, core/sql/customer_stages.sql) computed with each month end as the as-of date,
on a shop whose orders' later lines cross month ends, read from the staging tables and
derived from the lines.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from core import db, sql
from core.build import build
from core.lifecycle import (
    DEFAULT_RULES,
    FLOWS,
    LIVE_STAGES,
    STAGES,
    LifecycleRules,
    cohort_retention,
    customer_stages,
    stage_history,
)
from core.overview import monthly_revenue

AS_OF = dt.date(2024, 6, 15)  # 36 months: the month ends 2021-07-31 to 2024-05-31, then 6-15
MONTHS = 36
SIGNED_UP = "2021-01-01"

# customer_id, sign-up day (SIGNED_UP when None)
LATE_SIGN_UPS = {"e1": "2024-04-01", "q1": "2023-09-10", "q2": "2024-05-20"}

# customer_id, order_id (None: a line of its own), day, amount
LINES = [
    # h1: a buyer at January's end; the refund line of 10 February makes H1 a refund, so
    # refund_only at February's end (no longer a buyer); new again after its March order
    ("h1", "H1", "2024-01-20", 100.0),
    ("h1", "H1", "2024-02-10", -150.0),
    ("h1", None, "2024-03-05", 10.0),
    # k1: K1 beside a refund order on its day, and 90 more in March
    ("k1", "K1", "2024-01-25", 30.0),
    ("k1", "K1", "2024-03-02", 90.0),
    ("k1", None, "2024-01-25", -5.0),
    # m1: M1 grows, then turns a refund; a plain order keeps its purchase day
    ("m1", "M1", "2023-11-15", 100.0),
    ("m1", "M1", "2023-12-10", 50.0),
    ("m1", "M1", "2024-02-15", -200.0),
    ("m1", None, "2023-11-15", 30.0),
    # w1: W1 refunded in part nine months later, beside a plain order in September
    ("w1", "W1", "2023-05-10", 200.0),
    ("w1", "W1", "2024-02-05", -120.0),
    ("w1", None, "2023-09-01", 50.0),
    # s1 crosses the first month end of the history (S1 grows in July 2021), s2 does not
    ("s1", "S1", "2021-05-10", 70.0),
    ("s1", "S1", "2021-07-05", 40.0),
    ("s2", "S2", "2021-04-10", 60.0),
    ("s2", "S2", "2021-06-20", -10.0),
    # x1: refunded after May's end (and again after the as-of date); u1: within its month
    ("x1", "X1", "2024-05-20", 50.0),
    ("x1", "X1", "2024-06-05", -80.0),
    ("x1", "X1", "2024-06-20", -10.0),
    ("u1", "U1", "2024-04-03", 40.0),
    ("u1", "U1", "2024-04-20", -50.0),
    # r1: a refund order in December that a January line turns into a purchase (of the
    # December day): refund_only at December's end, new at January's
    ("r1", "R1", "2023-12-05", -20.0),
    ("r1", "R1", "2024-01-10", 50.0),
    # c1: C1 (October 2023) refunded in February 2024 leaves a purchase of June 2022:
    # live at January's end, churned at February's
    ("c1", None, "2022-06-01", 80.0),
    ("c1", "C1", "2023-10-01", 60.0),
    ("c1", "C1", "2024-02-03", -70.0),
    # g1: two orders on one day, one refunded later: the day stays a purchase day
    ("g1", "G1", "2024-03-03", 40.0),
    ("g1", "G2", "2024-03-03", 25.0),
    ("g1", "G2", "2024-04-10", -35.0),
    # e1: a refund in February, signed up in April (acquired by the refund)
    ("e1", "E1", "2024-02-01", -30.0),
    # plain customers: one order a line
    ("p1", None, "2023-08-03", 120.0),
    ("p1", None, "2023-12-09", 40.0),
    ("p2", None, "2023-10-01", 60.0),
    ("p3", None, "2023-06-20", 15.0),
    ("p3", None, "2023-11-30", 15.0),
    ("p4", None, "2022-02-14", 300.0),
    ("p5", None, "2021-11-05", 80.0),
    ("p5", None, "2023-07-07", 80.0),
]


@pytest.fixture(scope="module")
def history_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.duckdb"
    con = db.connect(path)
    customers = sorted({line[0] for line in LINES} | set(LATE_SIGN_UPS))
    con.executemany(
        "insert into customers (customer_id, signed_up_at) values (?, ?)",
        [(c, LATE_SIGN_UPS.get(c, SIGNED_UP)) for c in customers],
    )
    con.executemany(
        "insert into transactions (transaction_id, order_id, customer_id, ordered_at, amount) "
        "values (?, ?, ?, ?, ?)",
        [
            (f"t{i}", order, c, f"{day} 12:00", amount)
            for i, (c, order, day, amount) in enumerate(LINES)
        ],
    )
    build(con, as_of=AS_OF)
    con.close()
    return path


@pytest.fixture(params=["tables", "lines"])
def history_con(request, history_db, tmp_path):
    """A connection to the shop whose history reads the staging tables ("tables"), or
    derives orders from the lines ("lines": the raw tables changed since the build)."""
    path = Path(shutil.copy(history_db, tmp_path / history_db.name))
    con = db.connect(path)
    if request.param == "lines":
        db.bump_data_version(con)
    assert sql.staging_is_current(con) == (request.param == "tables")
    yield con
    con.close()


def stages_on(con, day: dt.date) -> pd.Series:
    """Every acquired customer's stage at the end of `day`, computed for that day alone."""
    return customer_stages(con, day).set_index("customer_id")["stage"]


def flows_between(before: pd.Series, after: pd.Series) -> dict[str, int]:
    """The month's flows from the stages at the two month ends (the history's definitions:
    'none' = not a buyer at the previous month end)."""
    stages = pd.concat({"before": before, "after": after}, axis=1)
    was = stages["before"].map(
        lambda s: "live" if s in LIVE_STAGES else "churned" if s == "churned" else "none"
    )
    live = stages["after"].isin(LIVE_STAGES)
    return {
        "flow_new": int((live & (was == "none")).sum()),
        "flow_reactivated": int((live & (was == "churned")).sum()),
        "flow_churned": int((~live & (was == "live")).sum()),
        "flow_retained": int((live & (was == "live")).sum()),
    }


def test_every_month_end_holds_the_stages_and_flows_of_that_day(history_con):
    history = stage_history(history_con, AS_OF, months=MONTHS)
    assert len(history) == MONTHS and history["day"].iloc[-1].date() == AS_OF
    before = stages_on(history_con, history["month"].iloc[0].date() - dt.timedelta(days=1))
    for row in history.itertuples():
        on_day = stages_on(history_con, row.day.date())
        counts = on_day.value_counts()
        assert {s: getattr(row, s) for s in STAGES} == {s: counts.get(s, 0) for s in STAGES}, (
            row.day
        )
        assert {f: getattr(row, f) for f in FLOWS} == flows_between(before, on_day), row.day
        before = on_day


def test_a_month_end_sees_each_order_as_it_stood_that_day(history_con):
    """The stages of the customers whose orders cross a month end, by hand."""
    history = stage_history(history_con, AS_OF, months=MONTHS).set_index("day")

    def on(day: str, column: str) -> int:
        return history.loc[pd.Timestamp(day), column]

    # January: h1 (100 on the 20th), k1 and r1 (R1's December day) are new buyers
    assert on("2024-01-31", "flow_new") == 3 and on("2024-01-31", "refund_only") == 0
    # February: h1 refunded to nothing and c1 down to its 2022 purchase leave the live;
    # h1 and e1 (a refund before signing up) are refund_only
    assert on("2024-02-29", "flow_churned") == 2 and on("2024-02-29", "refund_only") == 2
    # December: R1 is still a refund, so r1 is refund_only, not a prospect
    assert on("2023-12-31", "refund_only") == 1
    # prospects: signed up, no order yet (h1 k1 m1 r1 u1 x1 g1 p2 in August 2023; q1 from
    # September); by May 2024 only q1 and q2 (e1 was acquired by its refund)
    assert [on(d, "prospect") for d in ("2023-08-31", "2023-09-30", "2024-05-31")] == [8, 9, 2]
    # x1 is new at May's end (with h1 and g1, one purchase day in March); refunded on 5
    # June, refund_only on the as-of date with e1 and u1
    assert on("2024-05-31", "new") == 3 and on("2024-05-31", "refund_only") == 2
    assert on(AS_OF.isoformat(), "refund_only") == 3


def test_the_flows_add_up_every_month(history_con):
    history = stage_history(history_con, AS_OF, months=MONTHS)
    inflow = history["flow_new"] + history["flow_reactivated"]
    assert (history["live_at_start"] + inflow - history["flow_churned"]).equals(
        history["live_at_end"]
    )
    assert history["live_at_start"].iloc[1:].tolist() == history["live_at_end"].iloc[:-1].tolist()


def test_revenue_and_cohorts_by_month_are_restated_by_later_refunds(history_con):
    """Monthly revenue and cohort retention are today's knowledge by period (their SQL
    headers say why): January 2024 holds H1 (100, refunded 150 in February), K1 (30, then
    90 more in March) and a refund of 5. On 31 January: 125 from two buyers (h1, k1); on
    the as-of date, January is restated: 65, and only k1 bought in it."""
    january = pd.Timestamp("2024-01-01")
    for as_of, revenue, buyers in ((dt.date(2024, 1, 31), 125, 2), (AS_OF, 65, 1)):
        months = monthly_revenue(history_con, as_of, months=12).set_index("month")
        month = months.loc[january]
        assert (month["revenue"], month["orders"], month["customers"]) == (revenue, buyers, buyers)
        cohorts = cohort_retention(history_con, as_of, cohorts=48)
        cell = cohorts[
            (cohorts["cohort"] == pd.Timestamp(SIGNED_UP)) & (cohorts["months_since_signup"] == 36)
        ]
        assert (cell["revenue"].item(), cell["buyers"].item()) == (revenue, buyers)


# rules whose thresholds are not whole days, and a short window of new customers
UNEVEN_RULES = LifecycleRules(
    new_days=45, at_risk_min_days=30, at_risk_gap_multiple=1.7, churned_days=200
)


@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db", "market_db"])
@pytest.mark.parametrize("rules", [DEFAULT_RULES, UNEVEN_RULES], ids=["default", "uneven"])
def test_every_month_end_of_a_shop_holds_the_stages_and_flows_of_that_day(database, rules, request):
    """The history counts each stage by the months a purchase record spans, not by every
    customer at every month end: on the demo and the two real-shaped shops (later refund
    lines included), each month end must still hold customer_stages of that day."""
    con = db.connect(request.getfixturevalue(database))
    as_of = db.built_as_of(con)
    history = stage_history(con, as_of, rules, months=15)
    first_day = history["month"].iloc[0].date() - dt.timedelta(days=1)
    before = customer_stages(con, first_day, rules).set_index("customer_id")["stage"]
    for row in history.itertuples():
        on_day = customer_stages(con, row.day.date(), rules).set_index("customer_id")["stage"]
        counts = on_day.value_counts()
        assert {s: getattr(row, s) for s in STAGES} == {s: counts.get(s, 0) for s in STAGES}, (
            row.day
        )
        assert {f: getattr(row, f) for f in FLOWS} == flows_between(before, on_day), row.day
        before = on_day
