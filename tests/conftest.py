"""Shared fixtures: a demo database (built once), a young shop, a thin one and an empty one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core import db
from core.build import build
from core.demo import build_demo

DEMO_END = dt.date(2026, 11, 20)
DEMO_CUSTOMERS = 3_000


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A demo database of 3,000 customers ending on DEMO_END, derived tables built."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    build_demo(con, customers=DEMO_CUSTOMERS, seed=7, end=DEMO_END)
    build(con)
    con.close()
    return path


@pytest.fixture
def empty_db(tmp_path) -> Path:
    """A database with the schema and no rows."""
    path = tmp_path / "empty.duckdb"
    db.connect(path).close()
    return path


@pytest.fixture(scope="session")
def small_db(tmp_path_factory) -> Path:
    """A young shop, derived tables built: 80 customers over 240 days, too few for the
    customer model (it needs 100 buyers) but enough history for simple mode. Customer i
    first buys on day i % 60 and then every 10 + i % 30 days, until day 60 + 3 i."""
    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'c' || i, '2024-01-01'::date + (i % 60)::integer from range(80) t(i)"
    )
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 't' || i || '-' || d, 'c' || i, '2024-01-01'::date + d::integer, 50 + 5 * (i % 7) "
        "from range(80) c(i), range(240) days(d) "
        "where d >= i % 60 and (d - i % 60) % (10 + i % 30) = 0 and d <= 60 + 3 * i"
    )
    build(con)
    con.close()
    return path


@pytest.fixture
def thin_db(tmp_path):
    """30 customers over 40 days: too few for any model."""
    path = tmp_path / "thin.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'c' || i, '2024-01-01' from range(30) t(i)"
    )
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 't' || i, 'c' || (i % 30), '2024-01-01'::date + (i % 40)::integer, 10 "
        "from range(60) t(i)"
    )
    con.close()
    return path


@pytest.fixture(scope="session")
def uk_shop_db(tmp_path_factory) -> Path:
    """A UK online shop's line-level year in pounds, transactions only (tests/realshops.py),
    derived tables built."""
    from tests import realshops

    path = tmp_path_factory.mktemp("uk") / "uk_shop.duckdb"
    con = db.connect(path)
    realshops.load_tables(con, realshops.uk_shop_tables(realshops.uk_shop_lines()), "GBP")
    build(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def market_db(tmp_path_factory) -> Path:
    """A marketplace's orders (nearly one per customer) and review scores (CSAT only, no
    NPS, no interactions), in reais (tests/realshops.py), derived tables built."""
    from tests import realshops

    path = tmp_path_factory.mktemp("market") / "market.duckdb"
    con = db.connect(path)
    realshops.load_tables(con, realshops.marketplace_tables(*realshops.marketplace()), "BRL")
    build(con)
    con.close()
    return path
