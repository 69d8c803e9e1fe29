"""The one-pass BTYD summary (core/sql/btyd_summary.sql) against the definition it replaced:
a window finds each customer's first purchase day, then the repeat days' spend is summed.

Kept here as the reference. Written with the spend summed exactly (as decimals), it must give
the same frame to the last bit; the text that shipped before (a double sum, whose last bit
changes from run to run with the order DuckDB adds in) must agree within 1e-13 relative.
Checked on the demo, the two real-shaped shops and the CDNOW log, as of the build's date and
of a date halfway through, from the staging tables and from the lines.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, sql
from core.build import build_staging
from core.clv import btyd_summary
from tests.core.test_clv import CDNOW, CDNOW_END

# the summary before the one-pass rewrite; SPEND is the sum of the repeat days' spend
REFERENCE = """
with

purchase_days_with_first as (
    select
        customer_id,
        purchased_on,
        spend,
        min(purchased_on) over (partition by customer_id) as first_purchased_on
    from stg_purchase_days_at($as_of)
),

per_customer as (
    select
        customer_id,
        count(*) - 1 as frequency,
        min(purchased_on) as first_purchased_on,
        max(purchased_on) as last_purchased_on,
        coalesce(SPEND filter (where purchased_on > first_purchased_on), 0) as repeat_spend
    from purchase_days_with_first
    group by customer_id
)

select
    customer_id,
    frequency,
    date_diff('day', first_purchased_on, last_purchased_on)::double / $unit_days as recency,
    date_diff('day', first_purchased_on, $as_of::date)::double / $unit_days as "T",
    case when frequency > 0 then repeat_spend / frequency else 0.0 end as monetary
from per_customer
order by customer_id
"""
EXACT = REFERENCE.replace("SPEND", "sum(spend::decimal(38, 6))").replace(
    "repeat_spend / frequency", "repeat_spend::double / frequency"
)
AS_SHIPPED = REFERENCE.replace("SPEND", "sum(spend)")


def _reference(con, query: str, as_of: dt.date, unit_days: int) -> pd.DataFrame:
    frame = con.execute(query, {"as_of": as_of, "unit_days": unit_days}).df()
    frame["frequency"] = frame["frequency"].astype("int64")
    return frame


def _as_ofs(con) -> list[dt.date]:
    first, last = db.day_span(con, "transactions")
    return [db.built_as_of(con) or last, first + (last - first) / 2]


def _check(con, as_of: dt.date, unit: str, unit_days: int) -> int:
    """Compare the summary with both references; the number of customers compared."""
    ours = btyd_summary(con, as_of, unit)
    exact = _reference(con, EXACT, as_of, unit_days)
    pd.testing.assert_frame_equal(ours, exact, check_exact=True)
    shipped = _reference(con, AS_SHIPPED, as_of, unit_days)
    pd.testing.assert_frame_equal(
        ours.drop(columns="monetary"), shipped.drop(columns="monetary"), check_exact=True
    )
    np.testing.assert_allclose(ours["monetary"], shipped["monetary"], rtol=1e-13, atol=0)
    # the lines path (no staging tables) gives the same frame to the bit
    lines = con.execute(sql.load("btyd_summary"), {"as_of": as_of, "unit_days": unit_days}).df()
    lines["frequency"] = lines["frequency"].astype("int64")
    pd.testing.assert_frame_equal(ours, lines, check_exact=True)
    return len(ours)


@pytest.mark.parametrize("shop", ["demo_db", "uk_shop_db", "market_db"])
def test_one_pass_summary_equals_the_window_definition(shop, request):
    con = db.connect(request.getfixturevalue(shop), read_only=True)
    assert sql.staging_is_current(con)
    for as_of in _as_ofs(con):
        for unit, unit_days in (("weeks", 7), ("days", 1)):
            assert _check(con, as_of, unit, unit_days) > 0
    con.close()


def test_one_pass_summary_equals_the_window_definition_on_cdnow(tmp_path):
    con = db.connect(tmp_path / "cdnow.duckdb")
    con.execute(
        """
        insert into transactions (transaction_id, customer_id, ordered_at, amount)
        select (row_number() over ())::varchar, sampleid::varchar, strptime(date, '%Y%m%d'), sales
        from read_csv($path, types = {'date': 'varchar'})
        """,
        {"path": str(CDNOW)},
    )
    build_staging(con)
    assert _check(con, CDNOW_END, "weeks", 7) == 2357
    con.close()


def test_repeat_spend_is_exact_where_a_double_sum_is_not(tmp_path):
    """0.1 + 0.2 in doubles is 0.30000000000000004; the summary sums the days exactly."""
    con = db.connect(tmp_path / "cents.duckdb")
    con.execute(
        """
        insert into transactions (transaction_id, customer_id, ordered_at, amount) values
            ('1', 'a', '2024-01-01 10:00', 5),
            ('2', 'a', '2024-01-02 10:00', 0.1),
            ('3', 'a', '2024-01-03 10:00', 0.2)
        """
    )
    s = btyd_summary(con, dt.date(2024, 1, 31), unit="days")
    assert s["monetary"].tolist() == [0.3 / 2]
    assert (0.1 + 0.2) / 2 != 0.3 / 2  # so the check above can tell the two sums apart
    con.close()
