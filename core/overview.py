"""The Overview's figures: headline KPIs over the trailing 12 months and the monthly trend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from core import db, sql
from core.precompute import page_result


@dataclass(frozen=True)
class Kpis:
    """Headline figures for the 12 months ending on `as_of`, and the 12 months before.

    customers: signed up on or before the period's end; active_customers: bought in the
    period; revenue: net of refunds; orders: orders (stg_orders: the lines sharing an
    order_id) that are not refunds; repeat_customers: active customers who bought on two or
    more days in the period. has_previous: the data
    cover the previous 12 months (the first transaction, `first_ordered_on`, is on or
    before their first day); without it the previous figures are not a period to compare
    with.
    """

    as_of: dt.date
    customers: int
    customers_previous: int
    active_customers: int
    active_customers_previous: int
    revenue: float
    revenue_previous: float
    orders: int
    orders_previous: int
    repeat_customers: int
    repeat_customers_previous: int
    previous_start: dt.date | None = None
    first_ordered_on: dt.date | None = None
    has_previous: bool = False

    @property
    def avg_order_value(self) -> float | None:
        return self.revenue / self.orders if self.orders else None

    @property
    def avg_order_value_previous(self) -> float | None:
        return self.revenue_previous / self.orders_previous if self.orders_previous else None

    @property
    def repeat_rate(self) -> float | None:
        """Share of active customers who bought on 2+ days in the period."""
        return self.repeat_customers / self.active_customers if self.active_customers else None

    @property
    def repeat_rate_previous(self) -> float | None:
        if not self.active_customers_previous:
            return None
        return self.repeat_customers_previous / self.active_customers_previous


@page_result()
def overview_kpis(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Kpis:
    """The headline KPIs as of `as_of` (see `Kpis` for the definitions)."""
    cur = con.execute(sql.load("overview_kpis", con), {"as_of": as_of})
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone(), strict=True))
    return Kpis(as_of=as_of, **row)


@page_result()
def monthly_revenue(con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = 36):
    """Revenue, orders and buying customers per calendar month, the `months` up to `as_of`,
    starting no earlier than the first month with a transaction.

    Returns a DataFrame `month, revenue, orders, customers, is_partial` (the as-of month is
    partial unless `as_of` is its last day); months without sales are zero, not missing.
    """
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()
    return con.execute(
        sql.load("monthly_revenue", con), {"as_of": as_of, "start_month": start}
    ).df()


@dataclass(frozen=True)
class DataSpan:
    """The first and last day of each dated raw table (None when it has no rows)."""

    days: dict[str, tuple[dt.date, dt.date] | None]

    def first(self, table: str) -> dt.date | None:
        span = self.days.get(table)
        return span[0] if span else None

    def last(self, table: str) -> dt.date | None:
        span = self.days.get(table)
        return span[1] if span else None

    @property
    def first_day(self) -> dt.date | None:
        """The first day of any dated data."""
        firsts = [span[0] for span in self.days.values() if span]
        return min(firsts) if firsts else None

    @property
    def last_day(self) -> dt.date | None:
        """The last day of any dated data: orders, feedback or interactions."""
        lasts = [span[1] for span in self.days.values() if span]
        return max(lasts) if lasts else None


def referred_customers(con: duckdb.DuckDBPyConnection) -> int:
    """Customers whose referrer is known (customers.referred_by): 0 when the data carry no
    referrals at all, so a referral rate is unknown rather than zero."""
    return con.execute("select count(referred_by) from customers").fetchone()[0]


def data_span(con: duckdb.DuckDBPyConnection) -> DataSpan:
    """The first and last day of transactions, feedback and interactions."""
    return DataSpan({table: db.day_span(con, table) for table in db.DATED_COLUMNS})
