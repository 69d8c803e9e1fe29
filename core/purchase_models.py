"""Purchase-count models beside BG/NBD: Pareto/NBD and MBG/NBD, chosen by name.

Scripted like `core.clv`::

    summary = btyd_summary(con, dt.date(1997, 9, 30))
    model = fit_purchase_model("pareto_nbd", summary)
    values = clv(model, fit_gamma_gamma(summary), summary, horizon_months=12)

Every fitted model has the methods the rest of core uses on a `core.clv.BGNBDModel`:
`params`, `log_likelihood`, `standard_errors`, `sample_params`, `probability_alive(x, t_x,
T)`, `expected_purchases(t, x, t_x, T)`, `expected_purchases_if_alive(t, x, T)` (what
depends on x and T only: P(alive) times it is the conditional expectation) and
`expected_purchases_new(t)`, so `core.clv.clv`, `expected_purchases` and the backtest take
any of them.

Papers and the symbols kept from them (x repeat purchases, the last at t_x, observed for T):
- Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They
  and What Will They Do Next?", Management Science 33(1). Purchases are Poisson at a rate
  gamma(r, alpha) across customers; lifetimes are exponential at a rate gamma(s, beta).
  Likelihood, P(alive) and conditional expectation as in Fader & Hardie (2005), "A Note on
  Deriving the Pareto/NBD Model and Related Expressions" (brucehardie.com/notes/009, eq. 22-23
  for the likelihood) and Fader, Hardie & Lee (2005), "A Note on Implementing the Pareto/NBD
  Model in MATLAB" (brucehardie.com/notes/008), whose CDNOW fit is r 0.553, alpha 10.578,
  s 0.606, beta 11.669, LL -9595.0.
- MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical Validation and Comparison of
  Models for Customer Base Analysis", International Journal of Research in Marketing 24(3),
  with the conditional expectation of Wagner & Hoppe's (2008) erratum (IJRM 25(3)): BG/NBD
  where a customer may also drop out right after the first purchase (so P(alive) < 1 at
  x = 0).

All three are fitted by `core.clv`'s maximum-likelihood machinery on the same grouped
summary (`_Grouped`, `_fit_mle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, hyp2f1

from core.clv import (
    MIN_CUSTOMERS,
    BGNBDModel,
    FittedParameters,
    ModelFitError,
    _alive,
    _check_purchases,
    _columns,
    _enough_to_fit,
    _fit_mle,
    _Grouped,
    _pairs,
    _result,
    _weights,
    bgnbd_log_likelihood,
    fit_bgnbd,
)

PARETO_NBD_PARAMS = ("r", "alpha", "s", "beta")
MBGNBD_PARAMS = ("r", "alpha", "a", "b")
GRADIENT_STEP = 1e-6  # central differences in log-parameters, for the Pareto/NBD gradient


def _arrays(*values) -> list[np.ndarray]:
    return np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))


# --- Pareto/NBD --------------------------------------------------------------------------


def _pareto_half(theta, x, t, recency: bool) -> np.ndarray:
    """ln L(r, alpha, s, beta | x, t_x, T) = logaddexp(A, B), A depending on (x, t_x) only
    and B on (x, T) only: A at t = t_x (`recency`), else B at t = T.

    The likelihood is Fader & Hardie's (2005 note, eq. 22-23) rearranged as a sum of two
    positive terms (no difference of two hypergeometric terms, which loses every digit when
    t_x is near T). With c = r + s + x, K = Gamma(r + x) alpha^r beta^s / Gamma(r) and, for
    alpha >= beta,

        A = ln K - c ln(alpha + t_x) + ln(s / c) + ln 2F1(c, s + 1; c + 1; z1),
        B = ln K - c ln(alpha + T) + ln((r + x) / c) + ln 2F1(c, s; c + 1; z2),

    z1 = (alpha - beta) / (alpha + t_x), z2 = (alpha - beta) / (alpha + T); for beta > alpha
    the roles swap (beta in place of alpha outside K, second arguments r + x and r + x + 1).
    Each 2F1(c, b; c + 1; z) is taken through Euler's transformation as (1 - z)^(1 - b)
    2F1(1, c + 1 - b; c + 1; z): a series of positive terms bounded by 1 / (1 - z), which
    neither overflows for heavy buyers nor converges slowly, its power kept in logarithms.
    """
    r, alpha, s, beta = theta
    c = r + s + x
    log_k = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    m, low = max(alpha, beta), min(alpha, beta)
    if recency:
        b, share = (s + 1 if alpha >= beta else r + x), s / c
    else:
        b, share = (s if alpha >= beta else r + x + 1), (r + x) / c
    log_m = np.log(m + t)
    log_1mz = np.log(low + t) - log_m  # ln(1 - z)
    z = -np.expm1(log_1mz)
    log_f = (1 - b) * log_1mz + np.log(hyp2f1(1, c + 1 - b, c + 1, z))
    return log_k - c * log_m + np.log(share) + log_f


def _pareto_log_alive_part(theta, x, T) -> np.ndarray:
    """ln of the likelihood's first part, the probability of the history with the customer
    alive at T: Gamma(r + x) alpha^r beta^s / Gamma(r) / ((alpha + T)^(r + x) (beta + T)^s)."""
    r, alpha, s, beta = theta
    log_k = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return log_k - (r + x) * np.log(alpha + T) - s * np.log(beta + T)


@dataclass(frozen=True, eq=False)
class _ParetoRows:
    """Rows (x, t_x, T) with weights w, as the distinct (x, t_x) and (x, T) pairs (the
    hypergeometric functions are evaluated once per pair) and each row's two pairs."""

    w: np.ndarray
    tx_x: np.ndarray
    tx: np.ndarray
    tx_index: np.ndarray
    T_x: np.ndarray
    T: np.ndarray
    T_index: np.ndarray

    @classmethod
    def of(cls, x, t_x, T, w) -> _ParetoRows:
        return cls(np.asarray(w, dtype=float), *_pairs(x, t_x), *_pairs(x, T))

    def halves(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """A per (x, t_x) pair and B per (x, T) pair (`_pareto_half`)."""
        return (
            _pareto_half(theta, self.tx_x, self.tx, recency=True),
            _pareto_half(theta, self.T_x, self.T, recency=False),
        )

    def log_likelihoods(self, theta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: ln L, and its A and B (`_pareto_half`)."""
        a, b = self.halves(theta)
        row_a, row_b = a[self.tx_index], b[self.T_index]
        return np.logaddexp(row_a, row_b), row_a, row_b


def _pareto_log_likelihood(theta: np.ndarray, rows: _ParetoRows) -> tuple[float, np.ndarray]:
    """Weighted Pareto/NBD log-likelihood and its gradient in (r, alpha, s, beta).

    ln L = logaddexp(A, B), so its gradient is e^(A - ln L) dA + e^(B - ln L) dB: the row
    shares are summed per pair, and the derivatives of A and B (the hypergeometric
    functions' derivatives in their parameters have no closed form) are taken per pair by
    central differences in log-parameters (step GRADIENT_STEP). Rows are worked on once per
    evaluation, pairs nine times."""
    ll, row_a, _ = rows.log_likelihoods(theta)
    share_a = rows.w * np.exp(row_a - ll)
    weight_a = np.bincount(rows.tx_index, share_a, minlength=len(rows.tx))
    weight_b = np.bincount(rows.T_index, rows.w - share_a, minlength=len(rows.T))
    grad = np.empty(4)
    for i in range(4):
        up, down = theta.copy(), theta.copy()
        up[i] *= np.exp(GRADIENT_STEP)
        down[i] *= np.exp(-GRADIENT_STEP)
        (a_up, b_up), (a_down, b_down) = rows.halves(up), rows.halves(down)
        change = weight_a @ (a_up - a_down) + weight_b @ (b_up - b_down)
        grad[i] = change / (2 * GRADIENT_STEP) / theta[i]
    return float(rows.w @ ll), grad


@dataclass(frozen=True, eq=False)
class ParetoNBDModel(FittedParameters):
    """A Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) with parameters r, alpha
    (purchase rates gamma(r, alpha)) and s, beta (dropout rates gamma(s, beta)).

    Times are in the unit of the summary the model was fitted on; `log_likelihood` and
    `covariance` are None for a model built from given parameters."""

    name: ClassVar[str] = "pareto_nbd"
    PARAMS: ClassVar[tuple[str, ...]] = PARETO_NBD_PARAMS
    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float | None = None
    covariance: np.ndarray | None = None
    covariance_problem: str = ""
    n_customers: float = 0

    def probability_alive(self, frequency, recency, T):
        """P(alive | x, t_x, T) (Fader & Hardie 2005 note, section 5): the likelihood's first
        part, Gamma(r + x) alpha^r beta^s / Gamma(r) / ((alpha + T)^(r + x) (beta + T)^s),
        over the whole likelihood. Below 1 also for x = 0 (the customer may have left)."""
        x, t_x, T = _arrays(frequency, recency, T)
        shape = x.shape
        x, t_x, T = (v.reshape(-1) for v in (x, t_x, T))
        rows = _ParetoRows.of(x, t_x, T, np.ones(len(x)))
        log_l = rows.log_likelihoods(self._theta)[0]
        log_alive = _pareto_log_alive_part(self._theta, rows.T_x, rows.T)[rows.T_index]
        return _result(np.exp(np.minimum(log_alive - log_l, 0.0)).reshape(shape))

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T]: P(alive) times `expected_purchases_if_alive` (Fader &
        Hardie 2005 note, section 6)."""
        t, x, t_x, T = _arrays(t, frequency, recency, T)
        alive = np.asarray(self.probability_alive(x, t_x, T), dtype=float)
        return _result(self.expected_purchases_if_alive(t, x, T) * alive)

    def expected_purchases_if_alive(self, t, frequency, T):
        """Expected purchases in the next t of a customer alive at T:

            (r + x) (beta + T) / ((alpha + T) (s - 1)) [1 - ((beta + T) / (beta + T + t))^(s - 1)],

        the bracket over (s - 1) taken as -expm1(-(s - 1) ln(1 + t / (beta + T))) / (s - 1),
        whose limit at s = 1 is ln(1 + t / (beta + T))."""
        t, x, T = _arrays(t, frequency, T)
        r, alpha, s, beta = self._theta
        log_ratio = np.log1p(t / (beta + T))
        near_one = abs(s - 1) <= 1e-9
        bracket = log_ratio if near_one else -np.expm1(-(s - 1) * log_ratio) / (s - 1)
        return (r + x) * (beta + T) / (alpha + T) * bracket

    def expected_purchases_new(self, t):
        """E[X(t)] for a customer just acquired: r beta / (alpha (s - 1)) [1 - (beta /
        (beta + t))^(s - 1)] (Fader & Hardie 2005 note, section 4)."""
        return self.expected_purchases(t, 0, 0, 0)

    def simulate_purchases(self, t, frequency, recency, T, rng: np.random.Generator):
        """One random draw of each customer's purchases in the next t given (x, t_x, T), for
        `core.clv.purchases_prediction_interval`: the customer is alive at T with
        probability P(alive); given that, the likelihood's first part (lambda^x e^(-lambda T)
        e^(-mu T)) times the priors makes lambda ~ gamma(r + x, alpha + T) and
        mu ~ gamma(s, beta + T), independently (Fader & Hardie 2005 note, section 5). The
        remaining lifetime is exponential at mu (memoryless), and purchases are Poisson at
        lambda over the part of the next t the customer lives: Y ~ Poisson(lambda min(tau,
        t)), tau ~ exponential(mu). Returns the counts as floats, one per customer."""
        x, t_x, T = (np.asarray(v, dtype=float).reshape(-1) for v in (frequency, recency, T))
        alive = np.flatnonzero(rng.random(len(x)) < self.probability_alive(x, t_x, T))
        x, T = x[alive], T[alive]
        lam = rng.gamma(self.r + x, 1 / (self.alpha + T))
        mu = rng.gamma(self.s, 1 / (self.beta + T))
        lives = rng.exponential(1, len(x)) / mu
        purchases = np.zeros(len(t_x))
        purchases[alive] = rng.poisson(lam * np.minimum(lives, t))
        return purchases

    @property
    def _theta(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.s, self.beta])


# --- MBG/NBD -----------------------------------------------------------------------------


def _mbgnbd_log_likelihood(theta: np.ndarray, data: _Grouped) -> tuple[float, np.ndarray]:
    """Weighted MBG/NBD log-likelihood (Batislam, Denizel & Filiztekin 2007) and its
    analytic gradient in (r, alpha, a, b):

    ln L = A1 + A2 - (r + x) ln(alpha + T) + ln(1 + e^d) with
    A1 = ln G(r + x) - ln G(r) + r ln alpha,
    A2 = ln G(a + b) + ln G(b + x + 1) - ln G(b) - ln G(a + b + x + 1),
    d = ln a - ln(b + x) + (r + x) (ln(alpha + T) - ln(alpha + t_x)),
    for every x including 0 (dropping out right after the first purchase is possible).
    d is the log-odds of having dropped out; sigma = 1 / (1 + e^-d) weighs its gradient.
    """
    r, alpha, a, b = theta
    x, t_x, T, w = data.columns["x"], data.columns["t_x"], data.columns["T"], data.w
    xs, ws, n = data.xs, data.ws, data.ws.sum()
    ll_x = ws @ (gammaln(r + xs) + gammaln(b + xs + 1) - gammaln(a + b + xs + 1)) + n * (
        r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b)
    )
    grad_x = np.array(
        [
            ws @ digamma(r + xs) + n * (np.log(alpha) - digamma(r)),
            n * r / alpha,
            n * digamma(a + b) - ws @ digamma(a + b + xs + 1),
            ws @ (digamma(b + xs + 1) - digamma(a + b + xs + 1))
            + n * (digamma(a + b) - digamma(b)),
        ]
    )
    r_x = r + x
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    d = np.log(a) - np.log(b + x) + r_x * (log_aT - log_atx)
    softplus = np.logaddexp(0.0, d)
    sigma = 1 / (1 + np.exp(-d))
    ll = ll_x + w @ (softplus - r_x * log_aT)
    ws_ = w * sigma
    grad = grad_x + np.array(
        [
            -(w @ log_aT) + ws_ @ (log_aT - log_atx),
            -(w @ (r_x / (alpha + T))) + ws_ @ (r_x * (1 / (alpha + T) - 1 / (alpha + t_x))),
            ws_.sum() / a,
            -(ws_ @ (1 / (b + x))),
        ]
    )
    return float(ll), grad


@dataclass(frozen=True, eq=False)
class MBGNBDModel(FittedParameters):
    """An MBG/NBD model (Batislam, Denizel & Filiztekin 2007) with parameters r, alpha, a, b:
    BG/NBD whose customers may drop out after any purchase, the first one included."""

    name: ClassVar[str] = "mbgnbd"
    PARAMS: ClassVar[tuple[str, ...]] = MBGNBD_PARAMS
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float | None = None
    covariance: np.ndarray | None = None
    covariance_problem: str = ""
    n_customers: float = 0

    def probability_alive(self, frequency, recency, T):
        """P(alive | x, t_x, T) = 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x))
        (Batislam et al. 2007, appendix eq. 5), for every x: below 1 at x = 0 too."""
        x, t_x, T = _arrays(frequency, recency, T)
        return _result(_alive(self._log_odds_dead(x, t_x, T)))

    def _log_odds_dead(self, x, t_x, T) -> np.ndarray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T] (Wagner & Hoppe 2008): P(alive) times
        `expected_purchases_if_alive`."""
        t, x, t_x, T = _arrays(t, frequency, recency, T)
        alive = _alive(self._log_odds_dead(x, t_x, T))
        return _result(self.expected_purchases_if_alive(t, x, T) * alive)

    def expected_purchases_if_alive(self, t, frequency, T):
        """(a + b + x) / (a - 1) [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))] (Wagner & Hoppe 2008, the
        numerator): after Euler's transformation this is BG/NBD's expression with b + 1 in
        place of b, so it is computed by `BGNBDModel.expected_purchases_if_alive`, which
        keeps heavy buyers finite."""
        shifted = BGNBDModel(self.r, self.alpha, self.a, self.b + 1)
        return shifted.expected_purchases_if_alive(t, frequency, T)

    def expected_purchases_new(self, t):
        """E[X(t)] for a customer just acquired: b / (a - 1) [1 - (alpha / (alpha + t))^r
        2F1(r, b + 1; a + b; t / (alpha + t))], i.e. the conditional expectation at
        x = t_x = T = 0."""
        return self.expected_purchases(t, 0, 0, 0)

    def simulate_purchases(self, t, frequency, recency, T, rng: np.random.Generator):
        """One random draw of each customer's purchases in the next t given (x, t_x, T), for
        `core.clv.purchases_prediction_interval`: `BGNBDModel.simulate_purchases`' story,
        except that an MBG/NBD customer also tossed the dropout coin at the first purchase,
        so one alive at T survived x + 1 tosses: p ~ beta(a, b + x + 1) (the b + 1 of
        `expected_purchases_if_alive`), with P(alive) this model's. Returns the counts as
        floats, one per customer."""
        x, t_x, T = (np.asarray(v, dtype=float).reshape(-1) for v in (frequency, recency, T))
        alive = np.flatnonzero(rng.random(len(x)) < self.probability_alive(x, t_x, T))
        x, T = x[alive], T[alive]
        lam = rng.gamma(self.r + x, 1 / (self.alpha + T))
        p = rng.beta(self.a, self.b + x + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            # the number of the purchase after which the customer leaves, by inverse CDF
            leaves_after = 1 + np.floor(np.log1p(-rng.random(len(x))) / np.log1p(-p))
        purchases = np.zeros(len(t_x))
        purchases[alive] = np.fmin(rng.poisson(lam * t), leaves_after)
        return purchases


# --- fitting, by name --------------------------------------------------------------------


def _fit_data(summary, weights, min_customers: int, label: str) -> tuple[_Grouped, float]:
    """The grouped (x, t_x, T) of `summary` and the number of customers, or ModelFitError
    (as `core.clv.fit_bgnbd` raises it) when they are too few or none bought twice."""
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    w = _weights(summary, weights)
    n = _enough_to_fit(x, w, min_customers, label)
    return _Grouped.of({"x": x, "t_x": t_x, "T": T}, w), float(n)


def _check_finite(model, data: _Grouped, label: str) -> None:
    """ModelFitError (`degenerate_fit`) when the model gives no finite expected purchases
    for the customers it was fitted on."""
    x, t_x, T = (data.columns[c] for c in ("x", "t_x", "T"))
    with np.errstate(all="ignore"):
        expected = np.asarray(model.expected_purchases(float(T.max()), x, t_x, T))
    if np.isfinite(expected).all():
        return
    shown = {name: f"{value:.3g}" for name, value in model.params.items()}
    raise ModelFitError(
        f"{label}: the fit ({', '.join(f'{k} = {v}' for k, v in shown.items())}) gives no "
        "finite expected purchases: the data hold too few repeat purchases to tell how "
        "customers drop out; a longer history helps",
        "degenerate_fit",
        **shown,
    )


def fit_pareto_nbd(
    summary: pd.DataFrame,
    weights=None,
    *,
    min_customers: int = MIN_CUSTOMERS,
    maxiter: int = 1000,
) -> ParetoNBDModel:
    """Fit Pareto/NBD by maximum likelihood on `frequency, recency, T` (rows with identical
    inputs merged, as in `core.clv.fit_bgnbd`). Raises ModelFitError as `fit_bgnbd` does."""
    data, n = _fit_data(summary, weights, min_customers, "Pareto/NBD")
    mean_T = max(float(np.average(data.columns["T"], weights=data.w)), 1e-3)
    rows = _ParetoRows.of(*(data.columns[c] for c in ("x", "t_x", "T")), data.w)
    fit = _fit_mle(
        lambda theta: _pareto_log_likelihood(theta, rows),
        np.array([1.0, mean_T, 1.0, mean_T]),
        PARETO_NBD_PARAMS,
        n,
        "Pareto/NBD",
        maxiter,
    )
    model = ParetoNBDModel(
        *fit.theta.tolist(), fit.log_likelihood, fit.covariance, fit.covariance_problem, n
    )
    _check_finite(model, data, "Pareto/NBD")
    return model


def fit_mbgnbd(
    summary: pd.DataFrame,
    weights=None,
    *,
    min_customers: int = MIN_CUSTOMERS,
    maxiter: int = 1000,
) -> MBGNBDModel:
    """Fit MBG/NBD by maximum likelihood on `frequency, recency, T` (rows with identical
    inputs merged). Raises ModelFitError as `core.clv.fit_bgnbd` does."""
    data, n = _fit_data(summary, weights, min_customers, "MBG/NBD")
    mean_T = max(float(np.average(data.columns["T"], weights=data.w)), 1e-3)
    fit = _fit_mle(
        lambda theta: _mbgnbd_log_likelihood(theta, data),
        np.array([1.0, mean_T, 1.0, 1.0]),
        MBGNBD_PARAMS,
        n,
        "MBG/NBD",
        maxiter,
    )
    model = MBGNBDModel(
        *fit.theta.tolist(), fit.log_likelihood, fit.covariance, fit.covariance_problem, n
    )
    _check_finite(model, data, "MBG/NBD")
    return model


PURCHASE_MODELS = {
    "bgnbd": fit_bgnbd,
    "pareto_nbd": fit_pareto_nbd,
    "mbgnbd": fit_mbgnbd,
}


def fit_purchase_model(name: str, summary: pd.DataFrame, weights=None, **options):
    """The purchase model called `name` ("bgnbd", "pareto_nbd" or "mbgnbd") fitted on
    `summary`; `options` (min_customers, maxiter) go to its fitter."""
    if name not in PURCHASE_MODELS:
        raise ValueError(
            f"unknown purchase model {name!r}: choose one of {', '.join(PURCHASE_MODELS)}"
        )
    return PURCHASE_MODELS[name](summary, weights, **options)


def model_name(model) -> str:
    """The name `fit_purchase_model` knows a fitted model by."""
    return "bgnbd" if isinstance(model, BGNBDModel) else model.name


def purchase_log_likelihood(model, summary: pd.DataFrame, weights=None) -> float:
    """The log-likelihood of `model`'s parameters on `summary` (weighted as its fitter
    weighs), whichever of the three models it is: to compare fits by one definition."""
    if isinstance(model, BGNBDModel):
        return bgnbd_log_likelihood(model, summary, weights)
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    data = _Grouped.of({"x": x, "t_x": t_x, "T": T}, _weights(summary, weights))
    theta = np.array(list(model.params.values()))
    if isinstance(model, ParetoNBDModel):
        rows = _ParetoRows.of(*(data.columns[c] for c in ("x", "t_x", "T")), data.w)
        return float(rows.w @ rows.log_likelihoods(theta)[0])
    return _mbgnbd_log_likelihood(theta, data)[0]
