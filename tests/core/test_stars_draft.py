"""What a draft rule set changes: the net change per star, the list of who moves and why,
and what making a saved version active would change in customer_features, on hand-made
scores, the demo and a real-shaped shop (tests/realshops.py)."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from core import db, stars
from core.stars import DEFAULT_RULES, RatingBase, RuleSet


def base_of(dims: np.ndarray, revenue=None) -> RatingBase:
    """A RatingBase of customers k0, k1, ... with these dimension scores."""
    n = len(dims)
    frame = pd.DataFrame({"customer_id": [f"k{i}" for i in range(n)]})
    for column in stars.BASE_COLUMNS[1:]:
        frame[column] = np.nan
    frame["revenue_12m"] = np.arange(n, dtype=float) if revenue is None else revenue
    frame[list(stars.SCORE_COLUMNS)] = dims
    uses = {"growth": "model", "loyalty": "model"}
    return RatingBase(dt.date(2026, 1, 1), frame, np.asarray(dims, dtype=float), uses, True)


def test_net_change_per_star_by_hand():
    flows = pd.DataFrame(
        {
            "saved": [5, 4, 4, 3, 3, 2],
            "draft": [5, 5, 4, 4, 2, 2],
            "customers": [10, 3, 20, 7, 2, 9],
        }
    )
    net = stars.star_net_change(flows).set_index("stars")
    assert list(net.index) == [5, 4, 3, 2, 1]
    assert net.loc[5].tolist() == [3, 0, 3]  # came in, went out, net
    assert net.loc[4].tolist() == [7, 3, 4]
    assert net.loc[3].tolist() == [0, 9, -9]
    assert net.loc[2].tolist() == [2, 0, 2]
    assert net.loc[1].tolist() == [0, 0, 0]
    assert net["net"].sum() == 0  # every customer who leaves a star reaches another


def test_who_moves_and_why_by_hand():
    """Score mode (fixed thresholds): k0 is strong in relationship alone, k1 in contribution
    alone. Weighting relationship lifts k0 and drops k1, each for that reason; lowering a
    threshold lifts k2 with no weight changed: the thresholds moved it."""
    dims = np.array(
        [
            [10.0, 10.0, 10.0, 100.0],  # k0
            [100.0, 60.0, 60.0, 0.0],  # k1
            [55.0, 55.0, 55.0, 55.0],  # k2
            [np.nan] * 4,  # a prospect
        ]
    )
    base = base_of(dims, revenue=np.array([5.0, 50.0, 20.0, np.nan]))
    saved_rules = RuleSet(weights=(40, 30, 30, 0), mode="score", score_thresholds=(80, 65, 50, 30))
    draft_rules = saved_rules.replace(weights=(0, 0, 0, 100))
    _, saved, _ = stars.rate(base.dims, saved_rules)
    _, draft, _ = stars.rate(base.dims, draft_rules)
    assert saved.tolist() == [1, 4, 3, 0] and draft.tolist() == [5, 1, 3, 0]
    moves = stars.star_moves(base, saved_rules, saved, draft_rules, draft).set_index("customer_id")
    assert list(moves.index) == ["k0", "k1"]  # the bigger step (4 stars) first
    assert moves.loc["k0", ["from_stars", "to_stars", "reason"]].tolist() == [1, 5, "relationship"]
    assert moves.loc["k1", ["from_stars", "to_stars", "reason"]].tolist() == [4, 1, "contribution"]
    assert moves.loc["k0", ["score_saved", "score_draft"]].tolist() == pytest.approx([10, 100])

    lower = saved_rules.replace(score_thresholds=(80, 54, 50, 30))
    _, lowered, _ = stars.rate(base.dims, lower)
    moves = stars.star_moves(base, saved_rules, saved, lower, lowered)
    assert moves[["customer_id", "from_stars", "to_stars", "reason"]].values.tolist() == [
        ["k2", 3, 4, "thresholds"]
    ]


@pytest.fixture(params=["demo", "uk"])
def any_shop(request, demo_db, uk_shop_db):
    return demo_db if request.param == "demo" else uk_shop_db


DRAFTS = [
    DEFAULT_RULES.replace(weights=(10, 10, 10, 70)),
    DEFAULT_RULES.replace(mode="score", score_thresholds=(60, 50, 40, 20)),
    DEFAULT_RULES.replace(weights=(70, 10, 10, 10), top_shares=(0.1, 0.3, 0.5, 0.7)),
]


@pytest.mark.parametrize("draft_rules", DRAFTS)
def test_the_movers_are_the_flows_off_the_diagonal(any_shop, draft_rules):
    """On a built shop: one row per customer whose star changes, as many as the flows
    between different stars hold, the net change per star equals the change of its count,
    and the reason pushed the composite the way the customer moved."""
    con = db.connect(any_shop, read_only=True)
    base = stars.rating_base(con, db.built_as_of(con))
    con.close()
    _, saved, _ = stars.rate(base.dims, DEFAULT_RULES)
    _, draft, _ = stars.rate(base.dims, draft_rules)
    change = stars.rating_change(base, saved, draft)
    moves = stars.star_moves(base, DEFAULT_RULES, saved, draft_rules, draft)
    off_diagonal = change.flows[change.flows["saved"] != change.flows["draft"]]
    assert len(moves) == off_diagonal["customers"].sum() > 0
    assert len(moves) == change.moved_up + change.moved_down
    assert moves["customer_id"].is_unique
    assert (moves["from_stars"] != moves["to_stars"]).all()
    net = stars.star_net_change(change.flows).set_index("stars")["net"]
    counts_saved = np.bincount(saved, minlength=6)[1:]
    counts_draft = np.bincount(draft, minlength=6)[1:]
    for star in stars.STARS:
        assert net[star] == counts_draft[star - 1] - counts_saved[star - 1]
    way = np.sign(moves["to_stars"] - moves["from_stars"])
    along = (moves["score_draft"] - moves["score_saved"]) * way > 1e-9
    assert (moves.loc[~along, "reason"] == "thresholds").all()  # the score moved against
    if draft_rules.weights == DEFAULT_RULES.weights:
        assert not along.any()  # the same composites: only the thresholds move anyone
    for row in moves[along].itertuples():
        i = stars.DIMENSIONS.index(row.reason)
        dims = np.array([getattr(row, c) for c in stars.SCORE_COLUMNS])
        pushed = dims * (draft_rules.normalised_weights - DEFAULT_RULES.normalised_weights)
        toward = pushed * np.sign(row.to_stars - row.from_stars)
        assert toward[i] == toward.max() > 0  # the dimension that pushed that way most
    steps = (moves["to_stars"] - moves["from_stars"]).abs()
    assert steps.is_monotonic_decreasing


@pytest.mark.parametrize("draft_rules", DRAFTS[:2])
def test_activation_change_is_what_activating_changes(any_shop, tmp_path, draft_rules):
    """The change said before activating equals the change of the stored stars after it;
    saving alone changes neither the active version nor a stored star."""
    path = shutil.copy(any_shop, tmp_path / "shop.duckdb")
    con = db.connect(path)
    query = "select customer_id, coalesce(stars, 0) as stars from customer_features"
    before = con.execute(query).df().set_index("customer_id")["stars"]
    said = stars.activation_change(con, draft_rules)
    saved = stars.save_rule_set(con, draft_rules, "trial", activate=False)
    assert stars.active_rules(con).version == 0
    pd.testing.assert_series_equal(
        con.execute(query).df().set_index("customer_id")["stars"], before
    )
    stars.activate_rule_set(con, saved.name, saved.version)
    after = con.execute(query).df().set_index("customer_id")["stars"].reindex(before.index)
    con.close()
    assert said.moved_up == int(((after > before) & (before > 0)).sum())
    assert said.moved_down == int(((after < before) & (after > 0)).sum())
    assert said.moved > 0
    for row in said.net.itertuples():
        assert row.net == int((after == row.stars).sum() - (before == row.stars).sum())


def test_nothing_moves_in_a_database_not_rated(empty_db):
    con = db.connect(empty_db)
    shift = stars.activation_change(con, DRAFTS[0])
    con.close()
    assert (shift.moved_up, shift.moved_down) == (0, 0)
    assert shift.net["net"].tolist() == [0] * 5
