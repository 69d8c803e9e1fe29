"""Products and Loyalty read what the build kept (core.offers.association_rules and
opening_rule_segments, core.loyalty.opening_simulation) when they open unfiltered on the
build's date, and show the same figures and words as when they compute them: on the demo
and the two real-shaped shops."""

from __future__ import annotations

import shutil

import pytest
import streamlit as st

from core import db, loyalty, offers, precompute

KEPT = (
    offers.association_rules,
    offers.opening_rule_segments,
    loyalty.simulator_bgnbd,
    loyalty.opening_simulation,
)


def _shown(at) -> dict:
    """What the page says: tiles, captions, tables, notes."""
    assert not at.exception, at.exception
    return {
        "tiles": [(m.label, m.value, m.delta) for m in at.metric],
        "captions": [c.value for c in at.caption],
        "tables": [d.value.to_dict("list") for d in at.dataframe],
        "notes": [w.value for w in (*at.warning, *at.info, *at.success)],
    }


def _counting(monkeypatch) -> list:
    """Count the live computations: the rules mined on the build's date (a small shop's
    backtest mines its cut-off's at once), the simulator's draws."""
    calls: list = []
    mined, engine = offers._mined, loyalty._engine

    def counted(con, as_of, *rest):
        if as_of == db.built_as_of(con):
            calls.append("rules")
        return mined(con, as_of, *rest)

    monkeypatch.setattr(offers, "_mined", counted)
    monkeypatch.setattr(
        loyalty, "_engine", lambda *a, **k: calls.append("simulation") or engine(*a, **k)
    )
    return calls


def _open(app_on, path, page):
    return app_on(path).switch_page(page).run()


@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db", "market_db"])
@pytest.mark.parametrize(
    ("page", "kind", "result"),
    [
        ("pages/products.py", "rules", offers.association_rules),
        ("pages/loyalty.py", "simulation", loyalty.opening_simulation),
    ],
)
def test_the_kept_opening_is_what_the_page_computes(
    database, page, kind, result, request, app_on, monkeypatch, tmp_path
):
    path = request.getfixturevalue(database)
    con = db.connect(path)
    is_kept = precompute.kept(result, con, db.built_as_of(con)) is not None
    # kept at the default settings: on categories (a shop of products alone opens on them, live)
    assert is_kept == (page == "pages/loyalty.py" or "category" in offers.levels(con))
    con.close()
    calls = _counting(monkeypatch)
    kept = _shown(_open(app_on, path, page))
    if is_kept:
        assert kind not in calls  # read, not computed

    live_path = tmp_path / "live.duckdb"
    shutil.copy(path, live_path)
    con = db.connect(live_path)
    con.execute(f"delete from {precompute.TABLE} where list_contains(?, name)",
                [[r.result_name for r in KEPT]])  # fmt: skip
    con.close()
    st.cache_data.clear()
    st.cache_resource.clear()
    calls.clear()
    live = _shown(_open(app_on, live_path, page))
    if is_kept:
        assert kind in calls  # computed
    assert kept == live
    assert kept["tiles"] or kept["notes"]  # the figures, or what the data lack in words
