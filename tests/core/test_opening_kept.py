"""What Products and Loyalty open on, kept by the build: the rules at the default settings,
the items bought and the rules per segment (core.offers), the loyalty simulator's result
for its opening preset (core.loyalty.opening_simulation). The page path reads them on the
unfiltered opening view and gets the figures it would compute; other settings, filters or
dates compute live."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from core import db, loyalty, offers, precompute
from core.build import build
from tests.core.test_precompute import assert_same

SHOPS = ["demo_db", "uk_shop_db", "market_db"]


def _kept_names(con) -> set[str]:
    return {row[0] for row in con.execute("select name from page_results").fetchall()}


@pytest.mark.parametrize("database", SHOPS)
def test_products_opening_view_reads_what_it_would_compute(database, request):
    con = db.connect(request.getfixturevalue(database))
    as_of = db.built_as_of(con)
    if "category" not in offers.levels(con):  # the page opens on another level: live
        with pytest.raises(ValueError, match="no category"):
            offers.association_rules.live(con, as_of)
        assert offers.association_rules.result_name not in _kept_names(con)
        return
    found = precompute.kept(offers.association_rules, con, as_of)
    assert found is not None
    live = offers.association_rules.live(con, as_of)
    assert_same(found, live, "rules")
    assert_same(offers.bought_items(con, as_of), live.items, "items")
    opening = precompute.kept(offers.opening_rule_segments, con, as_of)
    assert opening is not None
    live_segments = offers._rule_segments(con, as_of, offers.OfferSettings(), live, None)
    assert_same(opening[1], live_segments, "segments")
    assert_same(offers.rule_segments(con, as_of, offers.OfferSettings(), found), live_segments)


def test_the_kept_segments_answer_only_their_own_rules(demo_db):
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    found = offers.association_rules(con, as_of)
    fewer = dataclasses.replace(found, rules=found.rules.head(2))
    segments = offers.rule_segments(con, as_of, offers.OfferSettings(), fewer)
    pairs = set(zip(segments["antecedent"], segments["consequent"], strict=True))
    assert pairs == set(zip(fewer.rules["antecedent"], fewer.rules["consequent"], strict=True))


def test_a_shop_without_rules_keeps_an_empty_list_the_page_words(tmp_path, demo_db):
    """One category bought by everyone: no pair of items, so no rule; the kept result says
    so as the live one does (an empty list the page words as 'no rules')."""
    path = tmp_path / "one.duckdb"
    shutil.copy(demo_db, path)
    con = db.connect(path)
    con.execute("update transactions set product_category = 'books'")
    db.bump_data_version(con, raw=True)
    as_of = db.built_as_of(con)
    build(con, as_of)
    found = precompute.kept(offers.association_rules, con, as_of)
    assert found is not None and found.rules.empty and found.baskets > 0
    assert_same(found, offers.association_rules.live(con, as_of), "rules")
    segments = offers.rule_segments(con, as_of, offers.OfferSettings(), found)
    assert segments.empty


def _live_simulation(con, as_of):
    programme = loyalty.PRESETS[loyalty.OPENING_PRESET]
    runs, seed = loyalty.OPENING_RUNS, loyalty.OPENING_SEED
    try:
        engine = {"models": loyalty.fit_loyalty_models(con)}
    except loyalty.ModelNotFitted:
        engine = {"history": loyalty.simple_history(con, as_of)}
    return loyalty.simulate_with_sensitivity(con, programme, runs, seed, **engine)


@pytest.mark.parametrize("database", SHOPS)
def test_loyalty_opening_result_is_the_simulation_the_page_runs(database, request):
    con = db.connect(request.getfixturevalue(database))
    as_of = db.built_as_of(con)
    programme = loyalty.PRESETS[loyalty.OPENING_PRESET]
    runs, seed = loyalty.OPENING_RUNS, loyalty.OPENING_SEED
    kept = loyalty.kept_simulation(con, as_of, programme, runs, seed)
    assert kept is not None
    assert_same(kept, _live_simulation(con, as_of), "simulation")
    # another programme or run count is not the kept one
    other = programme.replace(fixed_cost=programme.fixed_cost + 1000)
    assert loyalty.kept_simulation(con, as_of, other, runs, seed) is None
    assert loyalty.kept_simulation(con, as_of, programme, runs + 1, seed) is None


def test_a_shop_too_thin_for_the_simulator_keeps_nothing(thin_db):
    con = db.connect(thin_db)
    build(con)
    as_of = db.built_as_of(con)
    assert loyalty.opening_simulation.result_name not in _kept_names(con)
    programme = loyalty.PRESETS[loyalty.OPENING_PRESET]
    runs, seed = loyalty.OPENING_RUNS, loyalty.OPENING_SEED
    assert loyalty.kept_simulation(con, as_of, programme, runs, seed) is None


def test_a_rebuild_on_changed_data_keeps_the_new_simulation(demo_db, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, path)
    con = db.connect(path)
    as_of = db.built_as_of(con)
    before = precompute.kept(loyalty.opening_simulation, con, as_of)
    con.execute(
        "update transactions set amount = amount * 3, cost = cost * 3 "
        "where ordered_at >= ?::date - interval 90 day",
        [as_of],
    )
    db.bump_data_version(con, raw=True)
    build(con, as_of)
    kept = precompute.kept(loyalty.opening_simulation, con, as_of)
    assert_same(kept, _live_simulation(con, as_of), "simulation")
    revenue = "incremental_revenue"
    mean = [r[0].summary.set_index("measure").loc[revenue, "mean"] for r in (before, kept)]
    assert mean[0] != mean[1]
