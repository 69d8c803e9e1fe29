"""The Satisfaction page through app.py: a clicked trend point's list is kept while the
trend is split as it was clicked, and closed when the split changes (its group is no
longer on the chart)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import db
from core.satisfaction import Pick
from tests.pages.conftest import opening
from ui import satisfaction as sat

PAGE = "pages/satisfaction.py"


@pytest.fixture
def open_at(monkeypatch):
    with opening(monkeypatch, PAGE) as start:
        yield start


def _listed(at) -> list[str]:
    return [m.value for m in at.main.markdown if m.value.startswith("**Customers who answered")]


def test_a_trend_points_list_closes_when_the_split_changes(open_at, demo_db):
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    con.close()
    month = dt.date(as_of.year, as_of.month, 1)
    at = open_at(demo_db, "en")
    at.session_state[sat.PICK_KEY] = Pick("answers", "all", "all", month)  # a click's pick
    at.run()
    assert not at.exception
    assert _listed(at)  # split as clicked: the list is open
    at.run()
    assert _listed(at)  # and stays open (the way back from Customer 360 finds it)
    at.session_state["satisfaction_split"] = "channel"
    at.run()
    assert not at.exception
    assert _listed(at) == []
    assert sat.PICK_KEY not in at.session_state
    at.session_state["satisfaction_split"] = "all"  # back: the old pick stays closed
    at.run()
    assert _listed(at) == []
