"""Review of issue 17: the break-even when net impact falls as the uplift grows.

With a reward that costs more than the margin of a purchase (points worth 20% of spend at
a 15% margin) each extra purchase loses money, so net impact falls with the uplift; with
referrals it can still be positive at 0% of the assumed uplifts and negative at 100%.
`_break_even` only looks for the curve turning positive: it reports "always" (break-even 0,
"it costs nothing until members buy more, so any uplift pays") next to a verdict of "Not
worth it at the assumed uplifts", and marks the break-even at 0% on the chart.
"""

import pytest

from core import db, loyalty

RUNS = 40


def _net(con, models, programme, share):
    net, _ = loyalty.expected_net_impact(con, programme, runs=RUNS, seed=0, models=models)
    return net(share)


@pytest.mark.xfail(
    strict=True,
    reason="_break_even says 'always' (any uplift pays) for a curve that falls below zero "
    "before the assumed uplift",
)
def test_a_falling_curve_positive_at_zero_is_not_always_worth_it(demo_db):
    con = db.connect(demo_db, read_only=True)
    models = loyalty.loyalty_models(con)
    lossy = loyalty.PRESETS["points_only"].replace(
        earn_rate=1.0, point_value=0.2, redemption_rate=1.0, gross_margin=0.15
    )
    # referrals add the same net impact at every share: choose them so that the curve is
    # half its fall above zero at share 0 and half its fall below zero at share 1
    at0, at1 = _net(con, models, lossy, 0.0), _net(con, models, lossy, 1.0)
    per_referral = _net(con, models, lossy.replace(referrals_per_member=1.0), 0.0) - at0
    fall = at0 - at1
    assert fall > 0 and per_referral > 0
    programme = lossy.replace(referrals_per_member=(-at0 + fall / 2) / per_referral)
    assert _net(con, models, programme, 0.0) > 0 > _net(con, models, programme, 1.0)

    result, found = loyalty.simulate_with_sensitivity(
        con, programme, runs=RUNS, seed=0, models=models
    )
    at_assumed = found.curve.loc[found.curve["share"] == 1.0, "net_impact"].item()
    assert at_assumed < 0
    # a programme that loses money at the assumed uplifts does not pay at "any uplift"
    assert found.outcome != "always"
    con.close()


@pytest.mark.xfail(
    strict=True,
    reason="outcome 'always' sets break_even 0 whenever net impact is positive at share 0: "
    "the chart marks a break-even at (0%, 0) far off the curve, and the verdict says the "
    "programme 'costs nothing until members buy more' when referrals pay for its costs",
)
def test_the_break_even_is_where_net_impact_is_zero(demo_db):
    con = db.connect(demo_db, read_only=True)
    models = loyalty.loyalty_models(con)
    # the Tiers + referral preset, its referrals doubled and no fixed or offer cost:
    # the referred customers alone pay for the discounts and perks
    programme = loyalty.PRESETS["tiers_referral"].replace(
        referrals_per_member=2.0, fixed_cost=0.0, offer_cost=0.0
    )
    found = loyalty.uplift_sensitivity(con, programme, runs=RUNS, seed=0, models=models)
    assert found.break_even is not None  # outcome 'always', break-even 0%
    net_at_zero = _net(con, models, programme, 0.0)
    assert net_at_zero > 0 and found.outcome == "always"
    # the break-even the chart marks on the zero line is where net impact is zero
    at_break_even = _net(con, models, programme, found.break_even)
    assert at_break_even == pytest.approx(0.0, abs=0.01 * abs(net_at_zero))
    con.close()
