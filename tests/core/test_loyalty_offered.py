"""The loyalty programme offered to the customers the shared filters choose: the simulation
runs on them alone (the fitted models unchanged), on the customer model (the demo) and in
simple mode (the young shop); a tier's customers are those of the engine, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import db, loyalty
from core.filters import Filters, chosen_ids
from core.loyalty import PRESETS, TIERS, offered_to, tier_customers

RUNS = 20


@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db, read_only=True)
    yield con.cursor(), loyalty.loyalty_models(con.cursor())
    con.close()


def _region(con) -> np.ndarray:
    region = con.execute(
        "select region from customers group by 1 order by count(*) desc limit 1"
    ).fetchall()[0][0]
    return chosen_ids(con, Filters(regions=(region,)))


def test_no_filter_is_the_whole_base(demo):
    con, models = demo
    assert offered_to(models, None) is models
    programme = PRESETS["points_tiers"]
    alone = loyalty.simulate_programme(con, programme, runs=RUNS, models=models)
    offered = loyalty.simulate_programme(con, programme, runs=RUNS, models=offered_to(models, None))
    pd.testing.assert_frame_equal(alone.summary, offered.summary)


def test_the_programme_runs_on_the_chosen_customers_only(demo):
    con, models = demo
    ids = _region(con)
    chosen = offered_to(models, ids)
    by_hand = models.customers[models.customers["customer_id"].isin(ids)]
    assert chosen.customers["customer_id"].tolist() == by_hand["customer_id"].tolist()
    assert chosen.bgnbd is models.bgnbd and chosen.gg is models.gg  # not refitted
    programme = PRESETS["points_tiers"]
    result = loyalty.simulate_programme(con, programme, runs=RUNS, models=chosen)
    everyone = loyalty.simulate_programme(con, programme, runs=RUNS, models=models)
    assert result.customers == len(by_hand) < everyone.customers
    members = result.by_tier.set_index("tier")["members"]
    # the weighted members expected are about participation x the tier's customers offered
    counts = by_hand["tier"].value_counts().reindex(list(TIERS), fill_value=0)
    assert members.sum() == pytest.approx(programme.participation * counts.sum(), rel=0.15)


def test_a_tiers_customers_are_the_engines(demo):
    con, models = demo
    ids = _region(con)
    offered = offered_to(models, ids).customers
    for tier in TIERS:
        listed = tier_customers(con, offered, tier)
        expected = offered.loc[offered["tier"] == tier, "customer_id"]
        assert sorted(listed["customer_id"]) == sorted(expected)
        assert listed["predicted_clv"].is_monotonic_decreasing  # most valuable first
    with pytest.raises(ValueError, match="unknown tier"):
        tier_customers(con, offered, "gold")


def test_simple_mode_offers_to_the_chosen_recent_buyers(small_db):
    con = db.connect(small_db, read_only=True).cursor()
    history = loyalty.simple_history(con)
    ids = np.asarray(sorted(history.customers["customer_id"])[::2], dtype=object)
    chosen = offered_to(history, ids)
    assert set(chosen.customers["customer_id"]) == set(ids)
    assert chosen.as_of == history.as_of and chosen.period_days == history.period_days
    result = loyalty.simulate_simple(con, PRESETS["points_tiers"], runs=RUNS, history=chosen)
    assert result.customers == len(ids)


def test_the_uk_shop_offers_to_its_later_customers(uk_shop_db):
    """The UK shop (transactions only, pounds): the programme offered to the customers who
    signed up in its second half runs on those of them the engine simulates."""
    con = db.connect(uk_shop_db, read_only=True).cursor()
    middle = con.execute("select median(signed_up_at)::date from customers").fetchall()[0][0]
    ids = chosen_ids(con, Filters(joined_from=middle))
    try:
        engine = {"models": loyalty.loyalty_models(con)}
    except loyalty.ModelNotFitted:
        engine = {"history": loyalty.simple_history(con)}
    ((kind, base),) = engine.items()
    chosen = offered_to(base, ids)
    expected = base.customers[base.customers["customer_id"].isin(ids)]
    assert 0 < len(chosen.customers) == len(expected) < len(base.customers)
    run = loyalty.simulate_programme if kind == "models" else loyalty.simulate_simple
    result = run(con, PRESETS["points_tiers"], runs=RUNS, **{kind: chosen})
    assert result.customers == len(expected)
