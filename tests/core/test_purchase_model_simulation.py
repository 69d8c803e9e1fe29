"""Each purchase model's `simulate_purchases` (what `core.clv.purchases_prediction_interval`
draws the honest range from): a simulated future averages to the model's own conditional
expectation, for a few kinds of customer, and the range takes every model."""

import numpy as np
import pandas as pd
import pytest

from core.clv import BGNBDModel, purchases_prediction_interval
from core.purchase_models import MBGNBDModel, ParetoNBDModel

HOLDOUT = 13.0  # weeks
YEAR = 52.0  # weeks: long enough for dropout to shape the counts
MODELS = {
    "bgnbd": BGNBDModel(0.6, 5.0, 0.9, 3.0),
    "pareto_nbd": ParetoNBDModel(0.55, 10.6, 0.61, 11.7),
    "mbgnbd": MBGNBDModel(0.5, 6.0, 0.9, 2.0),
}
# a one-off buyer, a recent regular, a regular gone quiet (low P(alive)), a heavy buyer, and
# two new customers who came back quickly (their few coin tosses leave dropout uncertain)
KINDS = np.array(
    [[0, 0, 30], [4, 28, 30], [4, 5, 30], [20, 50, 52], [1, 1, 2], [3, 3, 4]], dtype=float
)


@pytest.mark.parametrize("name", ["pareto_nbd", "mbgnbd"])
def test_a_simulated_future_averages_to_the_expected_purchases(name):
    """40,000 draws per kind of customer over a year: the means agree with the model's
    E[Y(t) | x, t_x, T] within 4 standard errors, so the posterior and the forward story
    are the model's (MBG/NBD's p drawn from beta(a, b + x), BG/NBD's posterior, is off by 13
    to 17 standard errors on the new customers); whole counts, and a customer gone quiet
    buys nothing at least as often as P(dead)."""
    model = MODELS[name]
    x, t_x, T = (np.repeat(KINDS[:, k], 40_000) for k in range(3))
    draws = model.simulate_purchases(YEAR, x, t_x, T, np.random.default_rng(3))
    assert draws.min() == 0 and np.all(draws == np.floor(draws))
    by_kind = draws.reshape(len(KINDS), -1)
    expected = np.asarray(model.expected_purchases(YEAR, *KINDS.T))
    error = by_kind.std(axis=1) / np.sqrt(by_kind.shape[1])
    assert np.all(np.abs(by_kind.mean(axis=1) - expected) < 4 * error), (
        by_kind.mean(axis=1),
        expected,
    )
    quiet = by_kind[2]
    assert (quiet == 0).mean() > 1 - model.probability_alive(4, 5, 30)


def test_the_models_simulate_differently():
    """The draws are the model's own, not BG/NBD's: on the one-off buyer, whom BG/NBD
    holds alive and the others may not, the means differ as the expectations do."""
    x, t_x, T = (np.repeat(v, 40_000) for v in (0.0, 0.0, 30.0))
    means = {
        name: model.simulate_purchases(HOLDOUT, x, t_x, T, np.random.default_rng(5)).mean()
        for name, model in MODELS.items()
    }
    expected = {
        name: float(model.expected_purchases(HOLDOUT, 0, 0, 30)) for name, model in MODELS.items()
    }
    assert len({round(v, 2) for v in expected.values()}) == 3
    for name in MODELS:
        assert means[name] == pytest.approx(expected[name], rel=0.05)


@pytest.mark.parametrize("name", list(MODELS))
def test_the_prediction_interval_takes_every_model(name):
    """`purchases_prediction_interval` with a model that has a covariance (a stand-in for a
    fit's): its range holds the point total and has the width the purchases' own randomness
    gives (far more than the tiny parameter spread)."""
    model = MODELS[name]
    covariance = np.eye(4) * 1e-6
    fitted = type(model)(**model.params, log_likelihood=-1.0, covariance=covariance)
    rng = np.random.default_rng(11)
    kinds = KINDS[rng.integers(0, len(KINDS), 2_000)]
    summary = pd.DataFrame(kinds, columns=["frequency", "recency", "T"])
    summary.attrs["unit"] = "weeks"
    interval = purchases_prediction_interval(fitted, summary, HOLDOUT, n=200, rng=2)
    point = interval["expected_purchases"]
    assert interval["p5"] < point < interval["p95"]
    # a sum of 2,000 independent counts: its spread is at least a few percent of the total
    assert (interval["p95"] - interval["p5"]) / point > 0.03
    assert interval["p50"] == pytest.approx(point, rel=0.03)
