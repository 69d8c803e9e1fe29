"""The loyalty simulator, on the customer model and in simple mode: no programme changes
nothing, more uplift never lowers revenue, the cost parts add up, a seed repeats, and costs
and rates you can work out by hand."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, loyalty
from core.clv import DAYS_PER_MONTH
from core.loyalty import Programme, SimpleHistory, TierTerms

RUNS = 30


@pytest.fixture(scope="module", params=["model", "simple"])
def demo(demo_db, request):
    """(connection, what the engine needs, the engine): each test runs on both engines."""
    con = db.connect(demo_db, read_only=True)
    if request.param == "model":
        yield con, loyalty.loyalty_models(con), request.param
    else:
        yield con, loyalty.simple_history(con), request.param
    con.close()


def _simulate(demo, programme, seed=0, runs=RUNS):
    con, fitted, engine = demo
    if engine == "simple":
        return loyalty.simulate_simple(con, programme, runs=runs, seed=seed, history=fitted)
    return loyalty.simulate_programme(con, programme, runs=runs, seed=seed, models=fitted)


def _buyers(demo) -> int:
    _, fitted, _ = demo
    return len(fitted.customers)


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
    buyers = _buyers(demo)
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


# --- simple mode ------------------------------------------------------------------------------


def _history(period_days=30, **tiers) -> SimpleHistory:
    """A hand-made history: tier=(customers, repeat_days, exposure_days, purchase_days, spend,
    earlier-period buyers, of whom bought again), every customer of a tier alike."""
    rows = []
    for tier, (n, repeat, exposure, days, spend, before, kept) in tiers.items():
        for i in range(n):
            rows.append(
                {
                    "customer_id": f"{tier}{i}",
                    "repeat_days": repeat,
                    "exposure_days": exposure,
                    "purchase_days": days,
                    "spend": spend,
                    "bought_before": i < before,
                    "bought_after": i < kept or i >= before,
                    "tier": tier,
                }
            )
    return SimpleHistory(dt.date(2024, 3, 1), period_days, pd.DataFrame(rows))


def test_simple_rates_worked_out_by_hand():
    # high: 20 alike, 2 repeat days in 60 days, 3 purchase days worth 300, all came back;
    # medium: 20, half of the earlier buyers came back; low: 5, too few for its own retention
    history = _history(
        high=(20, 2, 60, 3, 300.0, 20, 20),
        medium=(20, 1, 60, 2, 100.0, 20, 10),
        low=(5, 0, 30, 1, 40.0, 5, 0),
    )
    rates = history.rates().set_index("tier")
    assert rates.loc["high", "purchases_per_month"] == pytest.approx(2 / (60 / DAYS_PER_MONTH))
    assert rates.loc["medium", "spend_per_purchase"] == pytest.approx(50)
    assert rates.loc["low", "purchases_per_month"] == 0
    assert rates.loc["high", "monthly_retention"] == pytest.approx(1)
    assert rates.loc["medium", "monthly_retention"] == pytest.approx(0.5 ** (DAYS_PER_MONTH / 30))
    pooled = (20 + 10 + 0) / (20 + 20 + 5)
    assert rates.loc["low", "monthly_retention"] == pytest.approx(pooled ** (DAYS_PER_MONTH / 30))
    assert list(rates["pooled_retention"]) == [False, False, True]
    assert list(rates["customers"]) == [20, 20, 5]


def _months_kept(hazard, months):
    """The share of each month a customer stays at a constant monthly hazard, integrated."""
    k = np.arange(months)
    if hazard == 0:
        return np.ones(months)
    return (np.exp(-hazard * k) - np.exp(-hazard * (k + 1))) / hazard


def test_simple_mode_revenue_worked_out_by_hand(empty_db):
    # 2,000 alike customers per tier, so the bootstrap has nothing to vary and the purchases'
    # randomness averages out: the mean must match the expected purchases x spend
    history = _history(
        high=(2_000, 2, 60, 3, 300.0, 2_000, 2_000),
        medium=(2_000, 1, 60, 2, 100.0, 2_000, 1_000),
    )
    con = db.connect(empty_db, read_only=True)
    pg = Programme(
        high=TierTerms(purchase_uplift=0.2),
        medium=TierTerms(retention_uplift=0.5),
        horizon_months=6,
    )
    result = loyalty.simulate_simple(con, pg, runs=200, seed=1, history=history)
    con.close()
    lam_high, lam_medium = 2 / (60 / DAYS_PER_MONTH), 1 / (60 / DAYS_PER_MONTH)
    high = 2_000 * lam_high * 0.2 * 6 * 100
    h = -np.log(0.5) * DAYS_PER_MONTH / 30
    gained = _months_kept(h * 0.5, 6).sum() - _months_kept(h, 6).sum()
    medium = 2_000 * lam_medium * gained * 50
    by_tier = result.by_tier.set_index("tier")["incremental_revenue"]
    assert by_tier["high"] == pytest.approx(high, rel=0.01)
    assert by_tier["medium"] == pytest.approx(medium, rel=0.01)
    assert by_tier["low"] == 0
    assert result.mode == "simple" and result.window_days == 60
    assert result.sample_size == result.customers == 4_000


def test_simple_mode_intervals_widen_with_fewer_customers(empty_db):
    # the same rates from 40 customers instead of 4,000: the range must be wider
    con = db.connect(empty_db, read_only=True)
    pg = Programme(high=TierTerms(purchase_uplift=0.2))
    widths = []
    for n in (4_000, 40):
        mixed = _history(high=(n, 2, 60, 3, 300.0, n, n))
        other = _history(high=(n, 0, 60, 1, 100.0, n, n // 2))  # half the tier differs
        frame = pd.concat(
            [mixed.customers, other.customers.assign(customer_id=lambda f: "x" + f["customer_id"])]
        )
        history = SimpleHistory(mixed.as_of, 30, frame)
        result = loyalty.simulate_simple(con, pg, runs=100, seed=2, history=history)
        row = result.summary.set_index("measure").loc["incremental_revenue"]
        widths.append((row["p95"] - row["p5"]) / row["mean"])
    con.close()
    assert widths[1] > 3 * widths[0]


def test_simple_history_reads_the_purchase_days(tmp_path):
    path = tmp_path / "history.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) values "
        "('a', '2024-01-01'), ('b', '2024-01-01'), ('c', '2024-01-01')"
    )
    # as of 2024-04-09 (100 days of history: periods of 50 days, 2024-02-20 onwards later)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) values "
        "('1', 'a', '2024-01-01', 10), ('2', 'a', '2024-01-01 18:00', 5), "
        "('3', 'a', '2024-03-01', 20), ('4', 'a', '2024-04-09', 30), "
        "('5', 'b', '2024-01-20', 40), ('6', 'b', '2024-02-01', -40), "
        "('7', 'c', '2024-03-30', 25)"
    )
    history = loyalty.simple_history(con, dt.date(2024, 4, 9))
    con.close()
    assert history.period_days == 50
    rows = history.customers.set_index("customer_id")
    assert list(rows.index) == ["a", "b", "c"]  # b's refund-only day is no purchase
    assert rows.loc["a", ["repeat_days", "exposure_days", "purchase_days"]].tolist() == [2, 99, 3]
    assert rows.loc["a", "spend"] == 65
    assert rows.loc["a", ["bought_before", "bought_after"]].tolist() == [True, True]
    assert rows.loc["b", ["bought_before", "bought_after"]].tolist() == [True, False]
    assert rows.loc["c", ["repeat_days", "exposure_days", "bought_before"]].tolist() == [
        0,
        10,
        False,
    ]
    assert set(rows["tier"]) <= set(loyalty.TIERS)


def test_simple_mode_says_why_it_cannot_run(thin_db, empty_db):
    con = db.connect(empty_db, read_only=True)
    with pytest.raises(loyalty.SimpleModeUnavailable) as empty:
        loyalty.simple_history(con)
    con.close()
    assert empty.value.reason.code == "no_buyers"
    con = db.connect(thin_db, read_only=True)
    with pytest.raises(loyalty.SimpleModeUnavailable) as thin:
        loyalty.simple_history(con)
    con.close()
    assert thin.value.reason.code == "loyalty_simple_short_history"
    assert thin.value.reason.values == {"have": 40, "need": 60}
    assert "40 days" in str(thin.value)


def test_a_young_shop_runs_in_simple_mode(small_db):
    con = db.connect(small_db, read_only=True)
    with pytest.raises(loyalty.ModelNotFitted) as not_fitted:
        loyalty.loyalty_models(con)
    assert not_fitted.value.reason.code == "few_customers"
    result = loyalty.simulate_simple(con, Programme.recommended(), runs=50, seed=0)
    con.close()
    assert result.mode == "simple" and result.customers == 80
    assert loyalty.result_summary(result)["mode"] == "simple"
    assert result.rates["customers"].sum() == 80
    assert "simple mode" in result.method
    net = result.summary.set_index("measure").loc["net_impact"]
    assert net["p5"] < net["mean"] < net["p95"]
