"""The Overview reads the story the build kept (core.overview.opening_story) when it opens
unfiltered on the build's date, and shows the same figures and words as when it computes
them: on the demo, the two real-shaped shops and a young shop whose models do not fit."""

from __future__ import annotations

import shutil

import pytest
import streamlit as st

from core import db, overview, precompute
from core.lifecycle import LifecycleRules
from tests.pages.test_filters import open_at as open_at  # noqa: F401  (the fixture)
from ui import session

KEPT = (overview.opening_story, overview.satisfaction_months)


def _shown(at) -> dict:
    """What the page says: its tiles (label, value, change), captions and insights."""
    assert not at.exception, at.exception
    return {
        "tiles": [(m.label, m.value, m.delta) for m in at.metric],
        "captions": [c.value for c in at.caption],
        "insights": [m.value for m in at.markdown if m.value.startswith("- ")],
        "warnings": [w.value for w in at.warning] + [i.value for i in at.info],
    }


def _counting_stories(monkeypatch) -> list:
    """Count the live computations of the story (the page's own path)."""
    calls: list = []
    live = overview.overview_story
    monkeypatch.setattr(
        overview, "overview_story", lambda *a, **k: calls.append(a) or live(*a, **k)
    )
    return calls


@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db", "market_db", "small_db"])
def test_the_kept_story_is_the_one_the_page_computes(database, request, app_on, monkeypatch):
    path = request.getfixturevalue(database)
    con = db.connect(path)
    as_of = db.built_as_of(con)
    for result in KEPT:
        assert precompute.kept(result, con, as_of) is not None, result.result_name
    con.close()
    calls = _counting_stories(monkeypatch)

    kept = _shown(app_on(path))
    assert calls == []  # read, not computed

    live_path = request.getfixturevalue("tmp_path") / "live.duckdb"
    shutil.copy(path, live_path)
    con = db.connect(live_path)
    con.execute(
        f"delete from {precompute.TABLE} where name in (?, ?)", [r.result_name for r in KEPT]
    )
    con.close()
    st.cache_data.clear()
    st.cache_resource.clear()
    live = _shown(app_on(live_path))
    assert len(calls) == 1  # computed
    assert kept == live
    labels = [label for label, _, _ in kept["tiles"]]
    assert "Predicted CLV" in labels and "At high churn risk" in labels


def test_a_shop_whose_models_do_not_fit_says_why_from_the_kept_story(app_on, small_db):
    shown = _shown(app_on(small_db))
    tiles = {label: value for label, value, _ in shown["tiles"]}
    assert tiles["Predicted CLV"] == tiles["At high churn risk"] == "–"
    # each tile words the reason the build kept: 80 buyers, the models need 100 (200)
    reasons = [c for c in shown["captions"] if c.startswith("Not computed: ")]
    assert len(reasons) == 2, shown["captions"]
    assert "80 customers have bought" in reasons[0] and "at least 100" in reasons[0]
    assert "at least 200" in reasons[1]


def test_other_stage_rules_compute_the_story(app_on, demo_db, monkeypatch):
    calls = _counting_stories(monkeypatch)
    monkeypatch.setattr(session, "lifecycle_rules", lambda: LifecycleRules(new_days=30))
    assert not app_on(demo_db).exception
    assert len(calls) == 1


def test_a_filter_computes_the_story(open_at, demo_db, monkeypatch):  # noqa: F811
    calls = _counting_stories(monkeypatch)
    con = db.connect(demo_db)
    region = con.execute(
        "select region from customers where region is not null limit 1"
    ).fetchone()[0]
    con.close()
    assert not open_at(demo_db, region=[region]).exception
    assert len(calls) == 1
