"""Cached access to the database for the pages: one connection, a cursor per query.

Cached functions take small knobs (a date, the data version) and read the data inside,
never a DataFrame. `version` is `core.db.data_version`, raised by every import and build,
so a new import refreshes every cached figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from core import build as builder
from core import db, overview, settings
from core.build import build
from core.demo import build_demo

DEMO_CUSTOMERS = 20_000


@dataclass(frozen=True)
class DataState:
    """What the database holds, enough to decide what a page can show.

    `first_day` / `last_day`: the first and last day of any dated data (orders, feedback,
    interactions), the range of the as-of date; `last_order_day`: the last day with a
    transaction, the default as-of (the derived tables are built as of it); `rows`: rows
    per raw table; `span`: the first and last day of each dated table;
    `referred_customers`: customers with a known referrer (0: no referral data).
    """

    path: Path
    customers: int
    transactions: int
    first_day: dt.date | None
    last_day: dt.date | None
    last_order_day: dt.date | None = None
    rows: dict[str, int] = field(default_factory=dict)
    span: overview.DataSpan | None = None
    referred_customers: int = 0

    @property
    def is_empty(self) -> bool:
        return self.customers == 0 and self.transactions == 0

    @property
    def default_day(self) -> dt.date | None:
        """The as-of date a page opens on: the last day with an order, else of any data."""
        return self.last_order_day or self.last_day

    def has(self, table: str) -> bool:
        """True when raw table `table` has rows."""
        return self.rows.get(table, 0) > 0


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    return db.connect(path)


def cursor():
    """A new cursor on the app's one connection (DuckDB cursors are per thread)."""
    return _connection(str(db.default_path())).cursor()


def default_database_missing() -> bool:
    """True when the app runs on the default database and the file is not there yet."""
    path = db.default_path()
    return path == db.DEFAULT_PATH and not path.exists()


def build_demo_data() -> None:
    """Fill the (empty) database with the demo data set and build the derived tables."""
    con = cursor()
    build_demo(con, customers=DEMO_CUSTOMERS)
    build(con)
    st.cache_data.clear()


def data_version() -> int:
    return db.data_version(cursor())


@st.cache_data(max_entries=8, show_spinner=False)
def data_state(version: int) -> DataState:
    con = cursor()
    counts = db.row_counts(con)
    span = overview.data_span(con)
    return DataState(
        path=db.default_path(),
        customers=counts["customers"],
        transactions=counts["transactions"],
        first_day=span.first_day,
        last_day=span.last_day,
        last_order_day=span.last("transactions"),
        rows=dict(counts),
        span=span,
        referred_customers=overview.referred_customers(con),
    )


@st.cache_data(max_entries=8, show_spinner=False)
def currency(version: int) -> str | None:
    """The database's currency (an ISO code), None when it is not set."""
    return settings.get(cursor(), "currency")


@st.cache_data(max_entries=8, show_spinner=False)
def missing_inputs(version: int) -> dict[str, str | None]:
    """Per result of the last build (`core.build.RESULTS`: csat, nps, complaints,
    engagement...), the code of why it is empty ('no_feedback', 'no_nps'...), None when its
    input is there (or the database was built before it said)."""
    return {
        name: reason.code if reason else None for name, reason in builder.statuses(cursor()).items()
    }
