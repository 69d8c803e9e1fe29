"""Shared fixtures: a small demo database (built once) and an empty one."""

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
