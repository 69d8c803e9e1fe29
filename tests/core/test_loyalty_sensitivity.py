"""The break-even uplift and the sensitivity of net impact to the assumed uplift, on the
demo (customer model and simple mode), the UK shop (one year, transactions only: the
customer model) and the marketplace (too few repeat buyers for the model: simple mode)."""

import numpy as np
import pandas as pd
import pytest

from core import db, loyalty
from core.loyalty import Programme, TierTerms

RUNS = 40


@pytest.fixture(
    scope="module",
    params=[("demo", "model"), ("demo", "simple"), ("uk_shop", "model"), ("market", "simple")],
    ids=lambda p: "-".join(p),
)
def shop(request):
    """(connection, engine keyword for the simulator): model= or history=."""
    name, engine = request.param
    path = request.getfixturevalue(f"{name}_db")
    con = db.connect(path, read_only=True)
    if engine == "model":
        fitted = {"models": loyalty.loyalty_models(con)}
    else:
        fitted = {"history": loyalty.simple_history(con)}
    yield con, fitted
    con.close()


def _simulated_net(shop, programme: Programme) -> float:
    """The Monte Carlo's mean net impact (purchases drawn), the figure the page shows."""
    con, fitted = shop
    if "history" in fitted:
        result = loyalty.simulate_simple(con, programme, runs=RUNS, seed=0, **fitted)
    else:
        result = loyalty.simulate_programme(con, programme, runs=RUNS, seed=0, **fitted)
    return result.summary.set_index("measure").loc["net_impact", "mean"]


def _sensitivity(shop, programme, **kwargs):
    con, fitted = shop
    return loyalty.uplift_sensitivity(con, programme, runs=RUNS, seed=0, **fitted, **kwargs)


def _net_function(shop, programme):
    con, fitted = shop
    net, _ = loyalty.expected_net_impact(con, programme, runs=RUNS, seed=0, **fitted)
    return net


def _pays_at_the_assumed_uplift(shop) -> Programme:
    """Points with the seed uplifts and a fixed cost that takes away exactly the net impact
    the programme has without it at the assumed uplifts: it breaks even there (share 1)."""
    free = loyalty.PRESETS["points_only"]
    net = _net_function(shop, free)(1.0)
    assert net > 0  # without a fixed cost, points with the seed uplifts pay on every shop
    return free.replace(fixed_cost=net * 12 / free.horizon_months)


def test_a_fixed_cost_equal_to_the_gain_puts_the_break_even_at_the_assumed_uplift(shop):
    programme = _pays_at_the_assumed_uplift(shop)
    found = _sensitivity(shop, programme)
    assert found.outcome == "breaks_even"
    # Brent's method stops within BREAK_EVEN_TOLERANCE of the share; the net impact is
    # close to linear in the share here, so 10 times that is a generous bound
    assert found.break_even == pytest.approx(1.0, abs=10 * loyalty.BREAK_EVEN_TOLERANCE)


def test_at_the_break_even_the_net_impact_is_zero_and_has_the_right_sign_either_side(shop):
    free = loyalty.PRESETS["points_only"]  # a fixed cost that 60% of the uplifts repays
    programme = free.replace(fixed_cost=_net_function(shop, free)(0.6) * 12 / free.horizon_months)
    found = _sensitivity(shop, programme)
    assert found.outcome == "breaks_even" and 0.5 < found.break_even < 0.7
    net = _net_function(shop, programme)
    step = 0.1
    below, at, above = (net(found.break_even + d) for d in (-step, 0.0, step))
    slope = (above - below) / (2 * step)  # net impact per unit of share near the root
    assert below < 0 < above
    # the expected net impact at the root: within the tolerance of the share times the slope
    assert abs(at) <= slope * 2 * loyalty.BREAK_EVEN_TOLERANCE
    # the Monte Carlo's own figure (purchases drawn) has the same signs either side, and
    # at the break-even is nearer zero than the change over a quarter of the step
    drawn = [
        _simulated_net(shop, programme.with_uplift_share(found.break_even + d))
        for d in (-step, 0.0, step)
    ]
    assert drawn[0] < 0 < drawn[2]
    assert abs(drawn[1]) < slope * step / 4


def test_the_curve_at_the_assumed_uplift_is_the_simulated_net_impact(shop):
    programme = loyalty.PRESETS["points_tiers"]
    found = _sensitivity(shop, programme)
    at_one = found.curve.set_index("share").loc[1.0, "net_impact"]
    drawn = _simulated_net(shop, programme)
    con, fitted = shop
    runner = loyalty.simulate_simple if "history" in fitted else loyalty.simulate_programme
    result = runner(con, programme, runs=RUNS, seed=0, **fitted)
    cost = result.summary.set_index("measure").loc[["programme_cost", "points_liability"]]
    # the same draws, only the purchase counts' noise apart: within 2% of what is spent
    assert abs(at_one - drawn) < 0.02 * cost["mean"].sum()
    assert list(found.curve["share"]) == list(loyalty.SENSITIVITY_SHARES)


def test_the_outcomes_in_words(shop):
    assert _sensitivity(shop, Programme()).outcome == "no_uplift"
    assert _sensitivity(shop, Programme(fixed_cost=1_000.0)).outcome == "no_uplift"
    # uplift and no cost at all: any uplift pays
    tiers = {tier: TierTerms(purchase_uplift=0.1) for tier in loyalty.TIERS}
    free = Programme(**tiers)
    found = _sensitivity(shop, free)
    assert found.outcome == "free" and found.break_even == 0
    assert (np.diff(found.curve["net_impact"]) > 0).all()
    # a fixed cost no uplift up to twice the assumed can repay
    dear = loyalty.PRESETS["points_only"].replace(fixed_cost=1e11)
    found = _sensitivity(shop, dear)
    assert found.outcome == "never" and found.break_even is None
    assert (found.curve["net_impact"] < 0).all()


def test_more_uplift_never_lowers_net_impact_when_extra_purchases_earn_more_than_they_cost(
    shop,
):
    # margin 30%, discounts up to 5%, points worth 0.7% of what is paid: every extra
    # purchase adds more margin than it costs
    found = _sensitivity(shop, loyalty.PRESETS["points_tiers"])
    assert (np.diff(found.curve["net_impact"]) > 0).all()


def test_the_mean_uplifts_are_the_members_average_and_scale_with_the_share(shop):
    programme = loyalty.PRESETS["points_tiers"]
    found = _sensitivity(shop, programme)
    purchase, retention = found.assumed
    ups = [programme.tier(t).purchase_uplift for t in loyalty.TIERS]
    assert min(ups) <= purchase <= max(ups)
    curve = found.curve.set_index("share")
    assert curve.loc[0.4, "purchase_uplift"] == pytest.approx(purchase * 0.4)
    assert curve.loc[1.0, "retention_uplift"] == pytest.approx(retention)


def test_the_share_scales_every_tier_and_stops_at_the_limits():
    programme = loyalty.PRESETS["points_tiers"]
    doubled = programme.with_uplift_share(2.0)
    for tier in loyalty.TIERS:
        assert doubled.tier(tier).purchase_uplift == 2 * programme.tier(tier).purchase_uplift
        assert doubled.tier(tier).discount == programme.tier(tier).discount
    assert programme.with_uplift_share(10.0).high.retention_uplift == 1.0
    assert programme.with_uplift_share(0.0).high.purchase_uplift == 0.0
    with pytest.raises(ValueError, match="share"):
        programme.with_uplift_share(-0.1)


def test_drawing_once_gives_the_results_of_the_two_calls(shop):
    con, fitted = shop
    programme = loyalty.PRESETS["points_only"]
    result, found = loyalty.simulate_with_sensitivity(con, programme, runs=RUNS, seed=0, **fitted)
    alone = _sensitivity(shop, programme)
    runner = loyalty.simulate_simple if "history" in fitted else loyalty.simulate_programme
    expected = runner(con, programme, runs=RUNS, seed=0, **fitted)
    pd.testing.assert_frame_equal(result.summary, expected.summary)
    pd.testing.assert_frame_equal(result.monthly, expected.monthly)
    pd.testing.assert_frame_equal(found.curve, alone.curve)
    assert (found.outcome, found.break_even) == (alone.outcome, alone.break_even)
    assert result.mode == ("simple" if "history" in fitted else "model")


def test_the_sorted_shortcut_is_the_sum_over_every_member(demo_db):
    """_ExposureSums' binary searches give what a pass over every member gives: the sum of
    w lam spend boost min(c tau, e) at each month edge, per run and tier."""
    con = db.connect(demo_db, read_only=True)
    models = loyalty.loyalty_models(con)
    programme = loyalty.PRESETS["points_tiers"].with_uplift_share(4.0)  # high tier: no dropout
    sim, d = loyalty._model_draws(con, programme, 8, 3, models, loyalty.SAMPLE_SIZE)
    con.close()
    got = sim.expected(d, programme)
    edges = np.arange(programme.horizon_months + 1) * loyalty.WEEKS_PER_MONTH
    member = sim.member > 0
    weight = sim.onehot.sum(axis=1)
    for k, tier in enumerate(loyalty.TIERS):
        terms = programme.tier(tier)
        cols = member & (sim.tier_index == k)
        value = d.lam[:, cols] * d.spend[:, cols] * weight[cols]
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 for the dead: 0
            tau = np.where(d.tau[:, cols] > 0, d.tau[:, cols] / (1 - terms.retention_uplift), 0)
        by_edge = np.stack([(np.minimum(tau, e) * value).sum(axis=1) for e in edges], axis=1)
        revenue = (1 + terms.purchase_uplift) * np.diff(by_edge, axis=1)
        np.testing.assert_allclose(got["paid"][..., k], revenue * (1 - terms.discount), rtol=1e-9)


def _net(shop, programme, share):
    return _net_function(shop, programme)(share)


def _falling(shop) -> Programme:
    """Points worth 20% of spend at a 15% margin, so each extra purchase loses money and net
    impact falls with the uplift, with referrals (the same gain at every share) chosen so
    that the curve is above zero at share 0 and as far below it at share 1."""
    lossy = loyalty.PRESETS["points_only"].replace(
        earn_rate=1.0, point_value=0.2, redemption_rate=1.0, gross_margin=0.15
    )
    at0, at1 = _net(shop, lossy, 0.0), _net(shop, lossy, 1.0)
    per_referral = _net(shop, lossy.replace(referrals_per_member=1.0), 0.0) - at0
    fall = at0 - at1
    assert fall > 0 and per_referral > 0
    programme = lossy.replace(referrals_per_member=(-at0 + fall / 2) / per_referral)
    assert _net(shop, programme, 0.0) > 0 > _net(shop, programme, 1.0)
    return programme


def test_a_falling_curve_positive_at_zero_pays_only_below_its_break_even(shop):
    programme = _falling(shop)
    found = _sensitivity(shop, programme)
    # found on the review of issue 17: this was "always", any uplift pays
    assert found.outcome == "pays_below" and 0 < found.break_even < 1
    net = _net_function(shop, programme)
    step = 10 * loyalty.BREAK_EVEN_TOLERANCE
    assert net(found.break_even - step) > 0 > net(found.break_even + step)
    assert (np.diff(found.curve["net_impact"]) < 0).all()


def test_positive_at_every_share_marks_no_break_even(shop):
    # the Tiers + referral preset without fixed, offer or referral cost, with enough referrals that
    # the referred customers alone pay for the discounts and perks, whatever the uplift
    tiers = loyalty.PRESETS["tiers_referral"].replace(
        fixed_cost=0.0, offer_cost=0.0, referral_reward=0.0
    )
    alone = _sensitivity(shop, tiers.replace(referrals_per_member=0.0)).curve["net_impact"]
    at0 = _net(shop, tiers.replace(referrals_per_member=0.0), 0.0)
    per_referral = _net(shop, tiers.replace(referrals_per_member=1.0), 0.0) - at0
    assert per_referral > 0
    need = (abs(alone.min()) + 0.5 * np.ptp(alone) + 1.0) / per_referral
    programme = tiers.replace(referrals_per_member=need)
    found = _sensitivity(shop, programme)
    assert (found.curve["net_impact"] > 0).all()
    # found on the review of issue 17: break-even 0 was marked at (0%, 0), off the curve
    assert found.outcome == "always" and found.break_even is None
    # the discounts are paid on every purchase: it is not free until members buy more
    assert not loyalty._costs_nothing_without_uplift(programme)


def test_a_flat_curve_and_one_negative_everywhere(shop):
    # no margin and no reward: extra purchases earn and cost nothing
    tiers = {tier: TierTerms(purchase_uplift=0.2) for tier in loyalty.TIERS}
    flat = Programme(**tiers, gross_margin=0.0, fixed_cost=100.0)
    found = _sensitivity(shop, flat)
    assert found.outcome == "flat" and found.break_even is None
    assert np.ptp(found.curve["net_impact"]) == pytest.approx(0, abs=1e-6)
    # a falling curve below zero from the start
    lossy = _falling(shop).replace(referrals_per_member=0.0)
    found = _sensitivity(shop, lossy)
    assert found.outcome == "never" and found.break_even is None
    assert (found.curve["net_impact"] < 0).all()
