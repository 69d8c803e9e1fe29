"""Prediction intervals of purchases (`purchases_prediction_interval`): each customer's
simulated future agrees with the model's own expectation, and the 90% interval of a holdout
total holds the truth about 90% of the time on customers simulated from known parameters,
where the parameter-only interval (`expected_purchases_interval`) does not."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db
from core.clv import (
    BGNBDModel,
    backtest,
    expected_purchases_interval,
    fit_bgnbd,
    purchases_prediction_interval,
)

TRUE = {"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 3.0}  # purchase rates per week
COHORT, CALIBRATION, HOLDOUT = 39.0, 78.0, 13.0  # weeks: first purchases, fit, predict


def simulate(rng, n, r, alpha, a, b):
    """n customers of the BG/NBD story, first buying uniformly in [0, COHORT) weeks: their
    calibration summary (x, t_x, T at week CALIBRATION, times to the day) and the number
    of purchases they make in the HOLDOUT weeks after it."""
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    first = rng.uniform(0, COHORT, n)
    x, t_x, holdout = np.zeros(n), np.zeros(n), np.zeros(n)
    now, active = first.copy(), np.ones(n, dtype=bool)
    while active.any():
        i = np.flatnonzero(active)
        now[i] += rng.exponential(1 / lam[i])
        past = now[i] >= CALIBRATION + HOLDOUT
        active[i[past]] = False
        i = i[~past]
        calibration = i[now[i] < CALIBRATION]
        x[calibration] += 1
        t_x[calibration] = now[calibration] - first[calibration]
        holdout[i[now[i] >= CALIBRATION]] += 1
        active[i[rng.random(len(i)) < p[i]]] = False  # leaves after this purchase
    summary = pd.DataFrame(
        {
            "customer_id": [f"c{k}" for k in range(n)],
            "frequency": x,
            "recency": np.round(t_x * 7) / 7,
            "T": np.round((CALIBRATION - first) * 7) / 7,
        }
    )
    summary.attrs["unit"] = "weeks"
    return summary, holdout


def test_a_simulated_future_averages_to_the_expected_purchases():
    """Many draws for a few kinds of customer: a one-off buyer, a recent regular, a
    regular gone quiet (low P(alive)) and a heavy buyer. Their means agree with eq. 10
    within 4 standard errors, so the posterior (alive, lambda, p) and the forward story
    are those of the model."""
    model = BGNBDModel(0.6, 5.0, 0.9, 3.0)
    kinds = np.array([[0, 0, 30], [4, 28, 30], [4, 5, 30], [20, 50, 52]], dtype=float)
    x, t_x, T = (np.repeat(kinds[:, k], 40_000) for k in range(3))
    draws = model.simulate_purchases(HOLDOUT, x, t_x, T, np.random.default_rng(1))
    assert draws.min() == 0 and np.all(draws == np.floor(draws))
    by_kind = draws.reshape(4, -1)
    expected = model.expected_purchases(HOLDOUT, *kinds.T)
    error = by_kind.std(axis=1) / np.sqrt(by_kind.shape[1])
    assert np.all(np.abs(by_kind.mean(axis=1) - expected) < 4 * error)
    quiet = by_kind[2]
    assert (quiet == 0).mean() > 1 - model.probability_alive(4, 5, 30)  # the dead buy nothing


def _coverage(seeds, n, sample):
    """Share of `seeds` whose holdout total falls in the new 90% interval and in the
    parameter-only one, the relative widths of the new one, and truth / point - 1."""
    inside, inside_before, widths, errors = [], [], [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        summary, holdout = simulate(rng, n, **TRUE)
        truth, model = holdout.sum(), fit_bgnbd(summary)
        new = purchases_prediction_interval(model, summary, HOLDOUT, n=200, sample=sample, rng=seed)
        before = expected_purchases_interval(model, summary, HOLDOUT, n=100, rng=seed).total
        inside.append(new["p5"] <= truth <= new["p95"])
        inside_before.append(before["p5"] <= truth <= before["p95"])
        widths.append((new["p95"] - new["p5"]) / new["expected_purchases"])
        errors.append(truth / new["expected_purchases"] - 1)
    return np.mean(inside), np.mean(inside_before), np.array(widths), np.array(errors)


# 80 repeats: the share inside a true 90% interval has a standard deviation of
# sqrt(0.9 x 0.1 / 80) = 3.4 points, so 3 of them allow 80% to 100%.
REPEATS, LOWEST = 80, 0.80


@pytest.mark.parametrize(
    ("customers", "sample"),
    [(1_500, 20_000), (3_000, 750)],
    ids=["every-customer-simulated", "a-quarter-simulated-and-scaled"],
)
def test_the_90pct_interval_holds_the_simulated_truth_about_90pct_of_the_time(customers, sample):
    """Fit on the calibration weeks of customers simulated from known parameters, predict
    the holdout total, repeat over seeds. Measured: 90% and 87.5% inside (the old
    interval: 41% and 45%). The width must match the spread of the truths around the
    predictions too, or a range too wide would pass: measured, a mean relative width of
    0.177 against a 5-95 spread of 0.174 over the repeats, and 0.127 against 0.132."""
    inside, inside_before, widths, errors = _coverage(range(REPEATS), customers, sample)
    assert inside >= LOWEST
    assert inside_before < LOWEST  # parameters only: the reason for the new interval
    spread = np.subtract(*np.percentile(errors, [95, 5]))
    assert spread == pytest.approx(widths.mean(), rel=0.25)


def test_the_interval_is_seeded_and_brackets_the_point_total():
    summary, _ = simulate(np.random.default_rng(5), 2_000, **TRUE)
    model = fit_bgnbd(summary)
    a = purchases_prediction_interval(model, summary, HOLDOUT, n=100, sample=500, rng=3)
    assert a == purchases_prediction_interval(model, summary, HOLDOUT, n=100, sample=500, rng=3)
    assert a["expected_purchases"] == pytest.approx(
        model.expected_purchases(
            HOLDOUT, summary["frequency"], summary["recency"], summary["T"]
        ).sum()
    )
    assert a["p5"] < a["expected_purchases"] < a["p95"]
    assert a["p5"] < a["p50"] < a["p95"]
    with pytest.raises(Exception, match="no standard errors"):
        purchases_prediction_interval(BGNBDModel(**TRUE), summary, HOLDOUT)


def test_a_backtest_without_the_fits_covariance_has_no_range(market_db):
    """The marketplace (nearly one order per customer) pins the parameters down too loosely
    for a covariance: the health check still compares the totals, with no range."""
    con = db.connect(market_db, read_only=True)
    end = db.day_span(con, "transactions")[1]
    check = backtest(con, end - dt.timedelta(days=90), 90)
    con.close()
    assert check.bgnbd.covariance is None and check.bgnbd.covariance_problem
    assert check.predicted_interval is None
    assert check.predicted_total > 0 and check.actual_total > 0


def test_the_uk_shops_backtest_has_a_range_around_its_prediction(uk_shop_db):
    con = db.connect(uk_shop_db, read_only=True)
    end = db.day_span(con, "transactions")[1]
    check = backtest(con, end - dt.timedelta(days=90), 90)
    con.close()
    iv = check.predicted_interval
    assert iv["expected_purchases"] == pytest.approx(check.predicted_total)
    assert iv["p5"] < check.predicted_total < iv["p95"]
