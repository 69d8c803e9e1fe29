"""The loyalty simulator: no programme changes nothing, more uplift never lowers revenue,
the cost parts add up, a seed repeats, and costs you can work out by hand."""

import numpy as np
import pytest

from core import db, loyalty
from core.loyalty import Programme, TierTerms

RUNS = 30


@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db, read_only=True)
    yield con, loyalty.loyalty_models(con)
    con.close()


def _simulate(demo, programme, seed=0, runs=RUNS):
    con, models = demo
    return loyalty.simulate_programme(con, programme, runs=runs, seed=seed, models=models)


def _mean(result, measure):
    return result.summary.set_index("measure").loc[measure, "mean"]


def test_no_programme_changes_nothing(demo):
    result = _simulate(demo, Programme())
    assert (result.summary[["mean", "p5", "p95"]].to_numpy() == 0).all()
    assert (result.cost_parts[["mean", "p5", "p95"]].to_numpy() == 0).all()
    assert (result.monthly[["mean", "p5", "p95"]].to_numpy() == 0).all()
    assert result.p_positive == 0
    assert list(result.summary["measure"]) == list(loyalty.MEASURES)


def test_more_uplift_never_lowers_incremental_revenue(demo):
    revenues = []
    for share in (0.0, 0.5, 1.0, 2.0):
        tiers = {
            t: TierTerms(purchase_uplift=u * share, retention_uplift=min(v * share, 0.9))
            for t, (u, v) in loyalty.SEED_UPLIFTS.items()
        }
        revenues.append(_mean(_simulate(demo, Programme(**tiers)), "incremental_revenue"))
    assert revenues[0] == 0
    assert np.all(np.diff(revenues) > 0)


def test_cost_parts_add_up_to_the_programme_cost(demo):
    for preset in loyalty.PRESETS.values():
        result = _simulate(demo, preset)
        parts = result.cost_parts["mean"].sum()
        assert parts == pytest.approx(_mean(result, "programme_cost"))
        tiers = result.by_tier["programme_cost"].sum() + result.cost_parts.iloc[-1]["mean"]
        assert tiers == pytest.approx(_mean(result, "programme_cost"))
        net = _mean(result, "incremental_margin") - parts - _mean(result, "points_liability")
        assert _mean(result, "net_impact") == pytest.approx(net)


def test_same_seed_same_result(demo):
    a, b = (_simulate(demo, Programme.recommended(), seed=3) for _ in range(2))
    assert a.summary.equals(b.summary) and a.monthly.equals(b.monthly)
    c = _simulate(demo, Programme.recommended(), seed=4)
    assert not a.summary.equals(c.summary)


def test_costs_worked_out_by_hand(demo):
    # every customer joins; 24 a year of offers per member and 1,200 a year fixed, 6 months
    con, models = demo
    buyers = len(models.customers)
    pg = Programme(offer_cost=24.0, fixed_cost=1_200.0, horizon_months=6)
    result = _simulate(demo, pg)
    parts = result.cost_parts.set_index("part")["mean"]
    assert parts["offers"] == pytest.approx(buyers * 24 / 12 * 6)
    assert parts["fixed"] == pytest.approx(600)
    assert _mean(result, "net_impact") == pytest.approx(-(buyers * 12 + 600))
    assert _mean(result, "roi") == pytest.approx(-1)
    assert result.payback_month is None
    assert result.monthly["mean"].iloc[0] == pytest.approx(-(buyers * 2 + 100))


def test_points_subsidy_and_liability(demo):
    # points without behaviour change: every reward is subsidy, nothing is gained
    pg = Programme(earn_rate=1, point_value=0.01, redemption_rate=0.5, redemption_lag_months=3)
    result = _simulate(demo, pg)
    assert _mean(result, "incremental_revenue") == 0
    assert result.subsidy_share == pytest.approx(1)
    assert _mean(result, "points_liability") > 0 and _mean(result, "net_impact") < 0
    assert result.payback_month is None


def test_programme_round_trips_and_checks_its_inputs():
    pg = Programme.recommended()
    assert Programme.from_dict(pg.to_dict()) == pg
    assert pg.high.purchase_uplift == 0.25 and pg.low.retention_uplift == 0.10
    with pytest.raises(ValueError, match="participation"):
        Programme(participation=1.5)


def test_thin_data_raise_model_not_fitted(empty_db):
    con = db.connect(empty_db, read_only=True)
    with pytest.raises(loyalty.ModelNotFitted):
        loyalty.simulate_programme(con, Programme())


def test_a_saved_scenario_comes_back_and_a_new_save_overwrites_it(demo_db, tmp_path):
    import shutil

    path = tmp_path / "scenarios.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    programme = Programme.recommended(participation=0.4)
    result = loyalty.simulate_programme(con, programme, runs=5, seed=1)
    summary = loyalty.result_summary(result)
    loyalty.save_scenario(con, " plan A ", programme, summary, saved_by="ana")
    loyalty.save_scenario(con, "plan B", Programme(), {"measures": {}})
    saved = {s["name"]: s for s in loyalty.saved_scenarios(con)}
    assert set(saved) == {"plan A", "plan B"}
    assert saved["plan A"]["programme"] == programme
    assert saved["plan A"]["summary"] == summary
    assert saved["plan A"]["saved_by"] == "ana"
    net = summary["measures"]["net_impact"]["mean"]
    assert net == pytest.approx(_mean(result, "net_impact"))
    loyalty.save_scenario(con, "plan A", Programme(), {"measures": {}})
    saved = {s["name"]: s for s in loyalty.saved_scenarios(con)}
    assert len(saved) == 2 and saved["plan A"]["programme"] == Programme()
    with pytest.raises(ValueError):
        loyalty.save_scenario(con, "  ", programme, summary)
    con.close()
