"""The CLV models: a hand-made shop, the published CDNOW results, invariants over grids and
the recovery of known parameters from simulated customers."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

from core import clv as m
from core import db
from core.clv import (
    BGNBDModel,
    GammaGammaModel,
    ModelFitError,
    btyd_summary,
    clv,
    clv_interval,
    fit_bgnbd,
    fit_gamma_gamma,
    formula_clv,
)

CDNOW = Path("/work/shared/data/cdnow/cdnowElog.csv")
CDNOW_END = dt.date(1997, 9, 30)  # end of the 39-week calibration period, inclusive

# Published by Fader, Hardie & Lee (2005) (see /work/shared/data/cdnow/README.md); the paper
# rounds the log-likelihood to -9582.4. The unrounded maximum, -9582.429 at r = 0.2425945,
# alpha = 4.4136019, a = 0.7929199, b = 2.4258881, is what CLVTools' test suite pins
# (tests/testthat/test_correctness_bgnbd.R).
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_BGNBD_LL = -9582.429
# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", on CDNOW's 946 repeat
# buyers; lifetimes' docs report the same fit as {'p': 6.2488, 'q': 3.7443, 'v': 15.4472},
# and CLVTools' test suite pins its log-likelihood, -4055.9177 (test_correctness_gg.R).
CDNOW_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CDNOW_GG_LL = -4055.9177

# an illustrative model (CDNOW-like, a < 1) and one with a > 1, for the grids
MODELS = [BGNBDModel(0.243, 4.414, 0.793, 2.426), BGNBDModel(0.5, 6.0, 1.6, 3.0)]
GG = GammaGammaModel(6.25, 3.74, 15.44)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path):
    con = db.connect(tmp_path / "shop.duckdb")
    con.execute(
        """
        insert into transactions (transaction_id, customer_id, ordered_at, amount) values
            ('1', 'a', '2024-01-01 10:00', 10),   -- a's first purchase day ...
            ('2', 'a', '2024-01-01 15:00', 5),
            ('3', 'a', '2024-01-01 16:00', -3),   -- ... a same-day refund: spend 12
            ('4', 'a', '2024-01-08 09:00', 20),
            ('5', 'a', '2024-01-15 09:00', 30),
            ('6', 'a', '2024-01-15 18:00', -10),  -- spend 20 that day
            ('7', 'a', '2024-01-20 12:00', -20),  -- refund-only day: not a purchase
            ('8', 'a', '2024-01-31 23:30', 40),   -- the as-of day counts
            ('9', 'a', '2024-02-01 00:00', 100),  -- after the as-of date
            ('10', 'b', '2024-01-10 12:00', 50),  -- one purchase: no repeats
            ('11', 'c', '2024-01-05 12:00', -15), -- only a refund: not a customer here
            ('12', 'd', '2024-02-01 08:00', 60),  -- first buys after the as-of date
            ('13', 'e', '2024-01-02 12:00', 0),   -- a free order is a purchase
            ('14', 'e', '2024-01-03 12:00', 9)
        """
    )
    return con


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    """The CDNOW calibration summary, built from the event log through DuckDB."""
    con = db.connect(tmp_path_factory.mktemp("cdnow") / "db.duckdb")
    con.execute(
        """
        insert into transactions (transaction_id, customer_id, ordered_at, amount)
        select
            (row_number() over ())::varchar,
            sampleid::varchar,
            strptime(date, '%Y%m%d'),
            sales
        from read_csv($path, types = {'date': 'varchar'})
        """,
        {"path": str(CDNOW)},
    )
    summary = btyd_summary(con, CDNOW_END)
    con.close()
    return summary


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow):
    return fit_bgnbd(cdnow)


@pytest.fixture(scope="module")
def cdnow_gg(cdnow):
    return fit_gamma_gamma(cdnow)


def simulate_bgnbd(rng, n, r, alpha, a, b, max_weeks=52.0):
    """n customers from the BG/NBD story, each observed for T ~ U(0, max_weeks] after a first
    purchase at 0: rate lambda ~ gamma(r, alpha), dropout p ~ beta(a, b); after each repeat
    purchase the customer leaves with probability p. Given N(T) ~ Poisson(lambda T) arrivals,
    x = min(J, N) with J ~ geometric(p) and t_x is the x-th of N uniform arrival times on
    (0, T], i.e. T * beta(x, N - x + 1)."""
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = max_weeks * (1 - rng.random(n))
    N = rng.poisson(lam * T)
    x = np.minimum(rng.geometric(p), N)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), N - x + 1), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def simulate_gamma_gamma(rng, n, p, q, gamma):
    """n repeat customers: x ~ 1 + Poisson(2), nu ~ gamma(q, rate gamma), and the mean of x
    spends gamma(p, rate nu) is gamma(p x, rate nu x)."""
    x = 1 + rng.poisson(2, n)
    nu = rng.gamma(q, 1 / gamma, n)
    return pd.DataFrame({"frequency": x, "monetary": rng.gamma(p * x, 1 / (nu * x))})


def small_summary(n=300, seed=1):
    return simulate_bgnbd(np.random.default_rng(seed), n, 0.5, 6, 0.8, 2.5).assign(
        customer_id=lambda d: [f"c{i}" for i in range(len(d))], monetary=20.0
    )


# --- the summary -------------------------------------------------------------------------


def test_summary_by_hand(shop):
    s = btyd_summary(shop, dt.date(2024, 1, 31), unit="days").set_index("customer_id")
    assert list(s.index) == ["a", "b", "e"]
    assert s.loc["a"].to_dict() == pytest.approx(
        {"frequency": 3, "recency": 30, "T": 30, "monetary": (20 + 20 + 40) / 3}
    )
    assert s.loc["b"].to_dict() == pytest.approx(
        {"frequency": 0, "recency": 0, "T": 21, "monetary": 0}
    )
    assert s.loc["e"].to_dict() == pytest.approx(
        {"frequency": 1, "recency": 1, "T": 29, "monetary": 9}
    )


def test_summary_in_weeks_is_days_over_seven(shop):
    days = btyd_summary(shop, dt.date(2024, 1, 31), unit="days")
    weeks = btyd_summary(shop, dt.date(2024, 1, 31))
    assert weeks.attrs["unit"] == "weeks"
    assert weeks["T"].tolist() == pytest.approx((days["T"] / 7).tolist())
    assert weeks["recency"].tolist() == pytest.approx((days["recency"] / 7).tolist())


def test_summary_rejects_unknown_unit(shop):
    with pytest.raises(ValueError, match="unknown time unit 'months'"):
        btyd_summary(shop, dt.date(2024, 1, 31), unit="months")


def test_cdnow_summary_matches_the_published_recipe(cdnow):
    assert len(cdnow) == 2357
    assert cdnow["frequency"].sum() == 2457
    assert (cdnow["frequency"] > 0).sum() == 946
    assert (cdnow["frequency"] == 0).sum() == 1411
    assert cdnow["frequency"].max() == 29
    first = cdnow.set_index("customer_id").loc["1"]
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (
        2,
        30.43,
        38.86,
    )


# --- BG/NBD ------------------------------------------------------------------------------


def test_cdnow_bgnbd_matches_the_paper(cdnow_bgnbd):
    for name, published in CDNOW_BGNBD.items():
        assert cdnow_bgnbd.params[name] == pytest.approx(published, abs=1e-3), name
    assert round(cdnow_bgnbd.log_likelihood, 1) == -9582.4
    assert cdnow_bgnbd.log_likelihood == pytest.approx(CDNOW_BGNBD_LL, abs=0.01)
    assert round(cdnow_bgnbd.expected_purchases(39, 2, 30.43, 38.86), 3) == 1.226


def test_the_time_unit_only_rescales_alpha(cdnow, cdnow_bgnbd, cdnow_gg):
    days = cdnow.assign(recency=cdnow["recency"] * 7, T=cdnow["T"] * 7)
    days.attrs["unit"] = "days"
    fitted = fit_bgnbd(days)
    expected = {**cdnow_bgnbd.params, "alpha": cdnow_bgnbd.alpha * 7}
    assert fitted.params == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(
        clv(fitted, cdnow_gg, days, unit="days")["clv"],
        clv(cdnow_bgnbd, cdnow_gg, cdnow)["clv"],
        rtol=1e-4,
    )


def test_cdnow_bgnbd_standard_errors_and_draws(cdnow_bgnbd):
    se = cdnow_bgnbd.standard_errors
    assert set(se) == {"r", "alpha", "a", "b"}
    assert all(0 < se[k] < cdnow_bgnbd.params[k] for k in se)
    draws = cdnow_bgnbd.sample_params(4000, np.random.default_rng(0))
    assert list(draws.columns) == ["r", "alpha", "a", "b"] and len(draws) == 4000
    assert (draws > 0).all().all()
    for k in se:  # the log-normal draws reproduce the asymptotic spread
        assert draws[k].std() == pytest.approx(se[k], rel=0.15), k
        assert draws[k].median() == pytest.approx(cdnow_bgnbd.params[k], rel=0.03), k


def test_bgnbd_gradient_is_the_derivative_of_the_likelihood():
    s = small_summary(2000)
    data = m._Grouped.of(
        {
            "x": s["frequency"].to_numpy(float),
            "t_x": s["recency"].to_numpy(),
            "T": s["T"].to_numpy(),
        },
        np.ones(len(s)),
    )
    for theta in (np.array([0.3, 4.0, 0.7, 2.2]), np.array([1.2, 9.0, 1.5, 0.9])):
        _, grad = m._bgnbd_log_likelihood(theta, data)
        numeric = approx_fprime(theta, lambda t: m._bgnbd_log_likelihood(t, data)[0], 1e-7)
        np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_expected_purchases_equals_eq10_as_printed():
    """The Euler-transformed form used in the code equals eq. 10 written as in the paper."""
    for model in MODELS:
        r, alpha, a, b = model.r, model.alpha, model.a, model.b
        for x, t_x, T, t in [(0, 0, 30, 10), (1, 5, 20, 52), (2, 30.43, 38.86, 39), (7, 30, 31, 5)]:
            z = t / (alpha + T + t)
            printed = (
                (a + b + x - 1)
                / (a - 1)
                * (
                    1
                    - ((alpha + T) / (alpha + T + t)) ** (r + x)
                    * hyp2f1(r + x, b + x, a + b + x - 1, z)
                )
                / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
            )
            assert model.expected_purchases(t, x, t_x, T) == pytest.approx(printed, rel=1e-9)


def test_expected_purchases_new_equals_eq9():
    for model in MODELS:
        r, alpha, a, b = model.r, model.alpha, model.a, model.b
        t = np.array([1.0, 10.0, 52.0, 200.0])
        eq9 = (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        )
        np.testing.assert_allclose(model.expected_purchases_new(t), eq9, rtol=1e-9)


def test_heavy_buyers_stay_finite():
    """Eq. 10 as printed overflows for large x; the transformed form stays below the
    no-dropout bound (r + x) t / (alpha + T)."""
    model = MODELS[0]
    x = np.array([50, 200, 1000, 5000])
    e = model.expected_purchases(52, x, 51.0, 52.0)
    assert np.all(np.isfinite(e))
    assert np.all((e > 0) & (e <= (model.r + x) * 52 / (model.alpha + 52)))
    assert model.probability_alive(x, 10.0, 52.0) == pytest.approx(np.zeros(4), abs=1e-12)


def grid():
    x, t_x, T = np.meshgrid(np.arange(0, 31), np.linspace(0, 52, 14), np.linspace(1, 78, 12))
    ok = (t_x <= T) & ((x > 0) | (t_x == 0))
    return x[ok], t_x[ok], T[ok]


@pytest.mark.parametrize("model", MODELS)
def test_probability_alive_is_a_probability_and_one_without_repeats(model):
    x, t_x, T = grid()
    p = model.probability_alive(x, t_x, T)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(p[x == 0] == 1)
    assert np.any(p < 0.5)  # the grid does reach customers who have probably left


@pytest.mark.parametrize("model", MODELS)
def test_expected_purchases_grow_with_the_horizon(model):
    x, t_x, T = grid()
    t = np.linspace(0, 260, 27)[:, None]
    e = model.expected_purchases(t, x, t_x, T)
    assert np.all(e[0] == 0) and np.all(np.isfinite(e))
    assert np.all(np.diff(e, axis=0) >= -1e-12)


def test_grouped_fit_equals_the_customer_level_fit():
    s = small_summary(3000)
    counts = s.groupby(["frequency", "recency", "T"], as_index=False).size()
    doubled = fit_bgnbd(pd.concat([s, s]))
    weighted = fit_bgnbd(s, weights=np.full(len(s), 2.0))
    assert weighted.params == pytest.approx(doubled.params, rel=1e-6)
    assert weighted.log_likelihood == pytest.approx(doubled.log_likelihood, rel=1e-10)
    by_count = fit_bgnbd(counts, weights=counts["size"])
    assert by_count.params == pytest.approx(fit_bgnbd(s).params, rel=1e-6)


def test_bgnbd_recovers_known_parameters():
    """100,000 simulated customers, T up to 52 weeks. With 20,000 the standard error of b is
    about 11%, so a 15% bound failed for about one seed in ten (checked over 300 seeds);
    with 100,000 it is about 3.7% and the bound held for 100 seeds out of 100."""
    true = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    fitted = fit_bgnbd(simulate_bgnbd(np.random.default_rng(2024), 100_000, **true))
    for k, value in true.items():
        assert fitted.params[k] == pytest.approx(value, rel=0.15), k
        assert abs(fitted.params[k] - value) < 4 * fitted.standard_errors[k], k


# --- Gamma-Gamma -------------------------------------------------------------------------


def test_cdnow_gamma_gamma_matches_the_note(cdnow_gg):
    assert cdnow_gg.n_customers == 946
    for name, published in CDNOW_GG.items():
        assert cdnow_gg.params[name] == pytest.approx(published, rel=1e-2), name
    assert cdnow_gg.log_likelihood == pytest.approx(CDNOW_GG_LL, abs=1e-3)
    assert all(v > 0 for v in cdnow_gg.standard_errors.values())


def test_expected_spend_is_eq5():
    x, m_x = np.array([0, 1, 5, 20, 3]), np.array([0, 10.0, 40.0, 25.0, -5.0])
    p, q, gamma = GG.p, GG.q, GG.gamma
    mean = p * gamma / (q - 1)
    weight = (q - 1) / (p * x + q - 1)
    expected = weight * mean + (1 - weight) * np.maximum(m_x, 0)
    np.testing.assert_allclose(GG.expected_spend(x, m_x), expected, rtol=1e-12)
    assert GG.expected_spend(0, 0) == pytest.approx(mean)
    with pytest.raises(ValueError, match="infinite"):
        GammaGammaModel(6, 0.9, 15).expected_spend(0, 0)


def test_gamma_gamma_gradient_is_the_derivative_of_the_likelihood():
    s = simulate_gamma_gamma(np.random.default_rng(3), 1000, 6, 4, 15)
    data = m._Grouped.of(
        {"x": s["frequency"].to_numpy(float), "m_x": s["monetary"].to_numpy()}, np.ones(len(s))
    )
    theta = np.array([5.0, 3.0, 12.0])
    _, grad = m._gamma_gamma_log_likelihood(theta, data)
    numeric = approx_fprime(theta, lambda t: m._gamma_gamma_log_likelihood(t, data)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_gamma_gamma_recovers_known_parameters():
    """50,000 repeat customers: p and gamma are strongly correlated, and with 20,000 their
    errors reached 17% over 100 seeds; with 50,000 the worst was 11%."""
    true = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    fitted = fit_gamma_gamma(simulate_gamma_gamma(np.random.default_rng(2024), 50_000, **true))
    for k, value in true.items():
        assert fitted.params[k] == pytest.approx(value, rel=0.15), k
        assert abs(fitted.params[k] - value) < 4 * fitted.standard_errors[k], k


# --- CLV ---------------------------------------------------------------------------------


def test_clv_for_one_month_by_hand(cdnow, cdnow_bgnbd, cdnow_gg):
    values = clv(cdnow_bgnbd, cdnow_gg, cdnow, horizon_months=1, margin=0.3).set_index(
        "customer_id"
    )
    c = cdnow.set_index("customer_id").loc["1"]
    month = 365.25 / 12 / 7
    purchases = cdnow_bgnbd.expected_purchases(month, c["frequency"], c["recency"], c["T"])
    spend = cdnow_gg.expected_spend(c["frequency"], c["monetary"])
    assert values.loc["1", "clv"] == pytest.approx(0.3 * spend * purchases / 1.1 ** (1 / 12))
    assert values.loc["1", "expected_purchases"] == pytest.approx(purchases)


def test_clv_falls_as_the_discount_rate_rises(cdnow, cdnow_bgnbd, cdnow_gg):
    rates = [0.0, 0.05, 0.1, 0.2, 0.5, 1.0]
    values = np.array([clv(cdnow_bgnbd, cdnow_gg, cdnow, 24, d)["clv"].to_numpy() for d in rates])
    assert np.all(np.diff(values, axis=0) <= 1e-12)
    assert values[-1].sum() < values[0].sum()
    undiscounted = clv(cdnow_bgnbd, cdnow_gg, cdnow, 24, 0.0)
    np.testing.assert_allclose(
        undiscounted["clv"],
        0.3 * undiscounted["expected_spend"] * undiscounted["expected_purchases"],
        rtol=1e-10,
    )


def test_clv_rejects_a_summary_in_another_unit(cdnow, cdnow_bgnbd, cdnow_gg):
    with pytest.raises(ValueError, match="summary is in weeks"):
        clv(cdnow_bgnbd, cdnow_gg, cdnow, unit="days")


def test_clv_interval_brackets_the_point_estimate(cdnow, cdnow_bgnbd, cdnow_gg):
    a = clv_interval(cdnow_bgnbd, cdnow_gg, cdnow, n=60, rng=1, chunk_size=1000)
    b = clv_interval(cdnow_bgnbd, cdnow_gg, cdnow, n=60, rng=1)
    pd.testing.assert_frame_equal(a.customers, b.customers)  # seeded, chunking irrelevant
    c = a.customers
    assert list(c.columns) == ["customer_id", "clv", "clv_p5", "clv_p50", "clv_p95"]
    assert np.all((c["clv_p5"] <= c["clv_p50"]) & (c["clv_p50"] <= c["clv_p95"]))
    assert ((c["clv_p5"] <= c["clv"]) & (c["clv"] <= c["clv_p95"])).mean() > 0.9
    t = a.total
    assert t["p5"] < t["clv"] < t["p95"]
    assert t["clv"] == pytest.approx(c["clv"].sum())


def test_formula_clv_is_vectorised():
    assert formula_clv(50, 4, 3, 100) == 500
    np.testing.assert_allclose(formula_clv(np.array([50, 20]), 4, [3, 1], 100), [500, -20])
    s = formula_clv(pd.Series([10.0, 20.0]), 2, 1, 0)
    assert isinstance(s, pd.Series) and s.tolist() == [20, 40]
    with pytest.raises(ValueError, match="years_retained"):
        formula_clv(50, 4, -1, 0)


# --- errors ------------------------------------------------------------------------------


def test_model_fit_error_is_a_value_error():
    assert issubclass(ModelFitError, ValueError)


def test_too_few_customers():
    with pytest.raises(ModelFitError, match="at least 100 customers with a purchase; got 50"):
        fit_bgnbd(small_summary(50))


def test_no_repeat_buyers():
    s = pd.DataFrame({"frequency": 0, "recency": 0.0, "T": np.linspace(1, 30, 200)})
    with pytest.raises(ModelFitError, match="no customer bought on two different days"):
        fit_bgnbd(s)
    with pytest.raises(ModelFitError, match="Gamma-Gamma needs at least 20 repeat customers"):
        fit_gamma_gamma(s.assign(monetary=0.0))


def test_no_convergence():
    with pytest.raises(ModelFitError, match="did not converge.*raise maxiter"):
        fit_bgnbd(small_summary(), maxiter=2)


def test_non_finite_likelihood():
    s = simulate_gamma_gamma(np.random.default_rng(0), 100, 6, 4, 15)
    s.loc[0, ["frequency", "monetary"]] = (10, 1e308)  # x m_x overflows
    with pytest.raises(ModelFitError, match="not finite"):
        fit_gamma_gamma(s)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="lacks column.*T"):
        fit_bgnbd(small_summary().drop(columns="T"))
    with pytest.raises(ValueError, match="recency must lie between 0 and T"):
        fit_bgnbd(small_summary().assign(recency=lambda d: d["T"] + 1))
    with pytest.raises(ValueError, match="recency has missing"):
        fit_bgnbd(small_summary().assign(recency=np.nan))


def test_a_model_built_from_parameters_has_no_standard_errors():
    with pytest.raises(ModelFitError, match="no standard errors"):
        _ = MODELS[0].standard_errors
    with pytest.raises(ModelFitError, match="no standard errors"):
        GG.sample_params(10, 0)


def test_a_fit_that_cannot_predict_is_refused_with_its_reason(market_db):
    """Nearly one order per customer: the likelihood is maximised by a huge a and b, which
    predict nothing finite; every caller of fit_bgnbd (build, pages, backtest, loyalty) gets
    the same refusal with a code the pages word."""
    con = db.connect(market_db, read_only=True)
    last = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    summary = m.btyd_summary(con, last, unit="weeks")
    con.close()
    with pytest.raises(m.ModelFitError) as caught:
        m.fit_bgnbd(summary)
    assert caught.value.reason.code == "degenerate_fit"
    assert float(caught.value.reason.values["b"]) > 1e3
