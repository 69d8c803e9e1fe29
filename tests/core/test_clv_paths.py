"""The fast paths of core.clv give the answers of the plain definitions they replaced:
grouping rows by factorising (pandas' groupby), the BG/NBD likelihood written with one
exponential (eq. 6 per customer with logaddexp), P(alive) without scipy's expit, the
expected purchases per distinct (x, T) (eq. 10 per customer), and the log-likelihood of
given parameters (the fit's own figure)."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, gammaln

from core import clv as m
from core.clv import BGNBDModel, GammaGammaModel
from tests.core.test_clv import MODELS, small_summary


def _with_duplicates(rng, n: int) -> dict[str, np.ndarray]:
    """Customer-like columns with many repeated rows: whole x, t_x <= T in weeks of days."""
    T = rng.integers(1, 400, n) / 7
    x = rng.integers(0, 12, n).astype(float)
    t_x = np.where(x > 0, np.floor(T * 7 * rng.random(n)) / 7, 0.0)
    return {"x": x, "t_x": t_x, "T": T}


@pytest.mark.parametrize("names", [("x",), ("x", "T"), ("x", "t_x", "T")])
def test_row_groups_number_the_groups_as_pandas_does(names):
    columns = {c: v for c, v in _with_duplicates(np.random.default_rng(5), 20_000).items()}
    columns = {c: columns[c] for c in names}
    codes, values = m._row_groups(columns)
    frame = pd.DataFrame(columns)
    expected = frame.groupby(list(names), sort=False).ngroup().to_numpy()
    np.testing.assert_array_equal(codes, expected)
    first = frame.groupby(list(names), sort=False).head(1)
    for name in names:
        np.testing.assert_array_equal(values[name], first[name].to_numpy())
    assert len(np.unique(expected)) < len(frame)  # there were duplicates to group


def test_row_groups_of_nothing():
    codes, values = m._row_groups({"x": np.array([]), "T": np.array([])})
    assert len(codes) == 0 and len(values["x"]) == 0 and len(values["T"]) == 0


@pytest.mark.parametrize("heavy", [0, 10**6])  # a dense range of codes, and a sparse one
def test_pairs_are_the_distinct_x_and_T(heavy):
    columns = _with_duplicates(np.random.default_rng(6), 20_000)
    x = columns["x"] + heavy * (np.arange(len(columns["x"])) % 3 == 0)
    pair_x, pair_T, index = m._pairs(x, columns["T"])
    np.testing.assert_array_equal(pair_x[index], x)
    np.testing.assert_array_equal(pair_T[index], columns["T"])
    assert len(set(zip(pair_x, pair_T, strict=True))) == len(pair_x)  # each pair once
    groups = pd.DataFrame({"x": x, "T": columns["T"]}).groupby(["x", "T"]).ngroups
    assert len(pair_x) == groups < len(x)


def _eq6_per_customer(theta, x, t_x, T):
    """Eq. 6 of Fader, Hardie & Lee (2005) per customer, summed: the plain definition."""
    r, alpha, a, b = theta
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        A4 = np.where(
            x > 0,
            np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return float(np.sum(A1 + A2 + np.logaddexp(A3, A4)))


@pytest.mark.parametrize("theta", [[0.243, 4.414, 0.793, 2.426], [1.2, 9.0, 1.5, 0.9]])
def test_bgnbd_likelihood_equals_eq6_summed_over_customers(theta):
    columns = _with_duplicates(np.random.default_rng(7), 20_000)
    x, t_x, T = columns["x"], columns["t_x"], columns["T"]
    data = m._Grouped.of(columns, np.ones(len(x)))
    assert len(data.w) < len(x)  # rows were merged
    ll, _ = m._bgnbd_log_likelihood(np.array(theta), data)
    assert ll == pytest.approx(_eq6_per_customer(theta, x, t_x, T), rel=1e-12)


def test_gamma_gamma_likelihood_equals_the_density_summed_over_customers():
    """Fader & Hardie (2013): ln f(m_x | x) per repeat customer, written term by term."""
    rng = np.random.default_rng(9)
    x = rng.integers(1, 30, 20_000).astype(float)
    m_x = np.round(rng.gamma(4, 10, len(x)), 2)
    data = m._Grouped.of({"x": x, "m_x": m_x}, np.ones(len(x)))
    for p, q, gamma in [(6.25, 3.74, 15.44), (2.0, 1.5, 300.0)]:
        per_customer = (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(gamma)
            + (p * x - 1) * np.log(m_x)
            + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + x * m_x)
        )
        ll, _ = m._gamma_gamma_log_likelihood(np.array([p, q, gamma]), data)
        assert ll == pytest.approx(per_customer.sum(), rel=1e-12)


@pytest.mark.parametrize("model", MODELS)
def test_probability_alive_is_scipys_logistic_of_the_log_odds(model):
    x, t_x, T = (v.ravel() for v in np.meshgrid(np.arange(0, 400), [0.0, 5.0, 40.0], [52.0]))
    ok = (x > 0) | (t_x == 0)
    x, t_x, T = x[ok].astype(float), t_x[ok], T[ok]
    expected = expit(-model._log_odds_dead(x, t_x, T))
    assert np.any(expected < 1e-100) and np.any(expected == 1)  # both tails are reached
    np.testing.assert_allclose(model.probability_alive(x, t_x, T), expected, rtol=4e-16, atol=0)
    log_odds = np.linspace(-800, 800, 100_001)
    np.testing.assert_allclose(m._alive(log_odds), expit(-log_odds), rtol=4e-16, atol=0)


@pytest.mark.parametrize("model", MODELS)
def test_expected_purchases_and_alive_equal_the_per_customer_formulas(model):
    s = small_summary(5000)
    s = pd.concat([s, s.assign(frequency=0, recency=0.0)], ignore_index=True)  # and x = 0
    s = s.assign(frequency=np.where(s.index % 7 == 0, s["frequency"] + 150, s["frequency"]))
    x, t_x, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    expected, alive = m.expected_purchases_and_alive(model, s, 6)
    t = 6 * 365.25 / 12 / 7
    # the log-odds are summed in another order; a heavy buyer's run to several hundred,
    # whose last bit is 1e-13, so P(alive) = 1 / (1 + e^log_odds) keeps 12 digits
    np.testing.assert_allclose(expected, model.expected_purchases(t, x, t_x, T), rtol=1e-12)
    np.testing.assert_allclose(alive, model.probability_alive(x, t_x, T), rtol=1e-12)
    assert np.all(alive[x == 0] == 1)
    np.testing.assert_array_equal(m.expected_purchases(model, s, 6), expected)


def test_the_log_likelihood_of_the_fitted_parameters_is_the_fits():
    s = small_summary(4000)
    bgnbd = m.fit_bgnbd(s)
    assert m.bgnbd_log_likelihood(bgnbd, s) == pytest.approx(bgnbd.log_likelihood, rel=1e-12)
    moved = BGNBDModel(bgnbd.r * 1.01, bgnbd.alpha, bgnbd.a, bgnbd.b)
    assert m.bgnbd_log_likelihood(moved, s) < bgnbd.log_likelihood
    rng = np.random.default_rng(8)
    spend = s.assign(monetary=np.where(s["frequency"] > 0, rng.gamma(6, 4, len(s)), 0.0))
    gg = m.fit_gamma_gamma(spend)
    assert m.gamma_gamma_log_likelihood(gg, spend) == pytest.approx(gg.log_likelihood, rel=1e-12)
    moved = GammaGammaModel(gg.p, gg.q * 1.01, gg.gamma)
    assert m.gamma_gamma_log_likelihood(moved, spend) < gg.log_likelihood
