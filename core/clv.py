"""Customer lifetime value: the BG/NBD purchase model, the Gamma-Gamma spend model, CLV.

Scripted like the `lifetimes` library::

    summary = btyd_summary(con, dt.date(1997, 9, 30))
    bgnbd = fit_bgnbd(summary)
    gg = fit_gamma_gamma(summary)
    values = clv(bgnbd, gg, summary, horizon_months=12)

Papers and the symbols kept from them:
- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative
  to the Pareto/NBD Model", Marketing Science 24(2). A customer has x repeat purchases, the
  last at t_x, and has been observed for T since the first; purchase rates are gamma(r,
  alpha) and dropout probabilities beta(a, b) across customers.
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value". The mean
  spend m_x over x repeat purchases; spend is gamma(p, nu) within a customer and nu is
  gamma(q, gamma) across customers.

Both models are fitted by maximum likelihood (scipy.optimize.minimize on the log of the
parameters, analytic gradients). Customers with identical inputs share one likelihood term,
so the fit costs what the number of distinct input combinations costs, not the number of
customers. Standard errors come from the inverse of a numerical Hessian of the negative
log-likelihood in the natural parameters (central differences of the analytic gradient).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

from core import db, seasons, sql

UNIT_DAYS = {"days": 1, "weeks": 7}
DAYS_PER_MONTH = 365.25 / 12
MIN_CUSTOMERS = 100
MIN_REPEAT_CUSTOMERS = 20
MIN_HISTORY_DAYS = 90
GRADIENT_TOLERANCE = 1e-6  # per customer, per unit of log-parameter
LOG_BOUND = 15.0  # log-parameters are kept in [-15, 15], i.e. 3e-7 .. 3e6
BGNBD_PARAMS = ("r", "alpha", "a", "b")
GG_PARAMS = ("p", "q", "gamma")
MAX_INFINITE_DRAWS = 0.05  # share of Gamma-Gamma draws with q <= 1 an interval tolerates


@dataclass(frozen=True, eq=False)
class Reason:
    """Why a model's predictions are not shown: a `code` the dashboard translates, the
    numbers it quotes (`values`) and the same in English (`message`)."""

    code: str
    values: dict
    message: str


class ModelFitError(ValueError):
    """A model could not be fitted; the message says why and what to do about it, and
    `reason` carries it as a code with its values for the dashboard to word."""

    def __init__(self, message: str, code: str = "fit_failed", **values):
        super().__init__(message)
        self.reason = Reason(code, values or {"detail": message}, message)


class NotReady(ModelFitError):
    """The data are too thin for a model; `reason` says which minimum is not met."""

    def __init__(self, reason: Reason):
        ValueError.__init__(self, reason.message)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason.message


# --- the summary -------------------------------------------------------------------------


def btyd_summary(con: duckdb.DuckDBPyConnection, as_of: dt.date, unit: str = "weeks"):
    """Per-customer BTYD inputs from `transactions` up to and including the `as_of` day.

    Returns a DataFrame `customer_id, frequency, recency, T, monetary` (see
    `core/sql/btyd_summary.sql` for the definitions), with `attrs["unit"] = unit`.
    """
    unit_days = _unit_days(unit)
    summary = con.execute(
        sql.load("btyd_summary", con), {"as_of": as_of, "unit_days": unit_days}
    ).df()
    summary["frequency"] = summary["frequency"].astype("int64")
    summary.attrs["unit"] = unit
    return summary


def _unit_days(unit: str) -> int:
    if unit not in UNIT_DAYS:
        raise ValueError(f"unknown time unit {unit!r}: choose one of {', '.join(UNIT_DAYS)}")
    return UNIT_DAYS[unit]


def _columns(summary: pd.DataFrame, names: tuple[str, ...]) -> list[np.ndarray]:
    """The named columns as float arrays, or a ValueError naming what is missing or bad."""
    missing = [n for n in names if n not in summary.columns]
    if missing:
        raise ValueError(
            f"the summary lacks column(s) {', '.join(missing)}; it needs {', '.join(names)} "
            "(build it with btyd_summary)"
        )
    arrays = [summary[n].to_numpy(dtype=float) for n in names]
    for n, values in zip(names, arrays, strict=True):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"column {n} has missing or infinite values")
    return arrays


def _check_purchases(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    """x whole and >= 0, 0 <= t_x <= T, and t_x = 0 when x = 0."""
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a whole number >= 0 (repeat purchase days)")
    if np.any(t_x < 0) or np.any(t_x > T + 1e-9):
        raise ValueError("recency must lie between 0 and T (time from first to last purchase)")
    if np.any((x == 0) & (t_x > 0)):
        raise ValueError("recency must be 0 for customers with frequency 0")


def _weights(summary: pd.DataFrame, weights) -> np.ndarray:
    if weights is None:
        return np.ones(len(summary))
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(summary),) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be one finite, non-negative number per summary row")
    return w


def _row_groups(columns: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each row's group of identical values across the columns, numbered in order of first
    appearance (as pandas' groupby(sort=False) numbers them), and each group's values.

    Each column is factorised (a hash table) and the codes are combined column by column,
    re-factorised after each step so that the combined code stays below the row count:
    linear in the rows, no sort, several times faster than a groupby over float columns.
    The groups' values are decoded from the combined codes, last column first."""
    steps = []
    codes = np.zeros(len(next(iter(columns.values()))), dtype=np.int64)
    for name, values in columns.items():
        column_codes, uniques = pd.factorize(values)
        codes, combined = pd.factorize(codes * len(uniques) + column_codes)
        steps.append((name, uniques, combined))
    keys, group_values = np.arange(codes.max(initial=-1) + 1), {}
    for name, uniques, combined in reversed(steps):
        keys, column_codes = np.divmod(combined[keys], len(uniques))
        group_values[name] = uniques[column_codes]
    return codes, {name: group_values[name] for name in columns}


# --- maximum likelihood ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Grouped:
    """Grouped model inputs: one row per distinct input combination with its weight w (or
    the rows as given, `merge=False`), and the distinct x with their summed weights (xs, ws)
    for the terms that depend on x only.

    A fit evaluates the likelihood 20 to 50 times: what does not depend on the parameters
    is computed once, on first use: `log` (each column's logarithm), `single` (x = 0),
    `x_minus_1`, `wx` (w x) and `xm` (x m_x, for the spend model)."""

    columns: dict[str, np.ndarray]
    w: np.ndarray
    xs: np.ndarray
    ws: np.ndarray

    @classmethod
    def of(cls, columns: dict[str, np.ndarray], w: np.ndarray, merge: bool = True) -> _Grouped:
        if merge:
            codes, values = _row_groups(columns)
            weights = np.bincount(codes, weights=w, minlength=len(values["x"]))
        else:
            values, weights = columns, np.asarray(w, dtype=float)
        cols = {c: np.asarray(v, dtype=float) for c, v in values.items()}
        xs, index = np.unique(cols["x"], return_inverse=True)
        ws = np.bincount(index, weights=weights, minlength=len(xs))
        return cls(cols, weights, xs, ws)

    @cached_property
    def log(self) -> dict[str, np.ndarray]:
        with np.errstate(divide="ignore"):  # log(0) = -inf where a term does not use it
            return {c: np.log(v) for c, v in self.columns.items()}

    @cached_property
    def single(self) -> np.ndarray:
        """x = 0: no repeat purchase."""
        return self.columns["x"] == 0

    @cached_property
    def x_minus_1(self) -> np.ndarray:
        """x - 1, and 1 where x = 0 (so that b + x - 1 stays positive there)."""
        return np.where(self.single, 1.0, self.columns["x"] - 1)

    @cached_property
    def wx(self) -> np.ndarray:
        return self.w * self.columns["x"]

    @cached_property
    def xm(self) -> np.ndarray:
        return self.columns["x"] * self.columns["m_x"]


@dataclass(frozen=True, eq=False)
class _Fit:
    theta: np.ndarray
    log_likelihood: float
    covariance: np.ndarray | None
    covariance_problem: str


def _fit_mle(
    loglik: Callable[[np.ndarray], tuple[float, np.ndarray]],
    theta0: np.ndarray,
    names: tuple[str, ...],
    n: float,
    model: str,
    maxiter: int,
    refuse: Callable[[np.ndarray], None] | None = None,
) -> _Fit:
    """Maximise `loglik(theta) -> (log-likelihood, gradient)` over theta > 0.

    The optimiser works on u = log(theta) with the mean negative log-likelihood; the
    covariance is the inverse Hessian of the negative log-likelihood in theta, the Hessian
    taken by central differences of the analytic gradient. `refuse(theta)`, if given, runs
    where the optimiser stopped short of convergence and raises ModelFitError when the
    model is unusable there for a reason of its own (that reason is the one reported).

    BLAS runs on one thread meanwhile: the likelihood's dot products (~1e5 rows) are too
    short for threads to pay, and on a busy two-core machine OpenBLAS's threads waiting for
    each other made a fit 5 to 20 times slower.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _maximise(loglik, theta0, names, n, model, maxiter, refuse)


def _maximise(loglik, theta0, names, n, model, maxiter, refuse) -> _Fit:

    evaluated: dict[bytes, tuple[float, np.ndarray]] = {}

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        key = u.tobytes()  # the optimiser starts where the check below looked
        if key not in evaluated:
            theta = np.exp(u)
            with np.errstate(all="ignore"):  # overflow is caught below and reported
                ll, grad = loglik(theta)
            if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
                evaluated[key] = np.inf, np.zeros_like(u)
            else:
                evaluated[key] = -ll / n, -grad * theta / n
        return evaluated[key]

    u0 = np.log(theta0)
    if not np.isfinite(objective(u0)[0]):
        raise ModelFitError(
            f"{model}: the log-likelihood is not finite at the starting values; "
            "check the summary for extreme or inconsistent values",
            "fit_not_finite",
            model=model,
        )
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(u0)
    options = {"maxiter": maxiter, "ftol": 1e-14, "gtol": 1e-9}
    result = minimize(objective, u0, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    # a line search that stalls at machine precision reports failure at the optimum: accept
    # any stop where the gradient of the mean negative log-likelihood has vanished; in a
    # flat valley (a degenerate fit, its optimum at infinity) it stalls wherever rounding
    # leaves it, so `refuse` first says whether the model is unusable there anyway
    if not (result.success or np.max(np.abs(result.jac)) < GRADIENT_TOLERANCE):
        if refuse is not None:
            refuse(np.exp(result.x))
        raise ModelFitError(
            f"{model}: the optimiser did not converge ({result.message}); "
            "fit on more customers, remove extreme outliers or raise maxiter",
            "fit_no_convergence",
            model=model,
        )
    theta = np.exp(result.x)
    ll, _ = loglik(theta)
    if not np.isfinite(ll):
        raise ModelFitError(
            f"{model}: the log-likelihood is not finite at the optimum; "
            "check the summary for extreme values",
            "fit_not_finite",
            model=model,
        )
    at_bound = [nm for nm, u in zip(names, result.x, strict=True) if abs(u) > LOG_BOUND - 1e-3]
    if at_bound:
        raise ModelFitError(
            f"{model}: parameter(s) {', '.join(at_bound)} ran to the edge of the search range, "
            "so the data do not pin them down; fit on more customers or a longer history",
            "fit_at_bound",
            model=model,
            params=", ".join(at_bound),
        )
    covariance, problem = _covariance(loglik, theta)
    return _Fit(theta, float(ll), covariance, problem)


def _covariance(loglik, theta: np.ndarray) -> tuple[np.ndarray | None, str]:
    """Inverse of the numerical Hessian of -loglik at theta (central differences of the
    gradient, relative step 1e-5), or None and the reason when it is not positive definite.
    """
    k = len(theta)
    hessian = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        hessian[:, i] = -(loglik(up)[1] - loglik(down)[1]) / (2 * h)
    hessian = (hessian + hessian.T) / 2
    if not np.all(np.isfinite(hessian)):
        return None, "the likelihood's curvature is not finite at the optimum"
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None, "the likelihood is flat or curved the wrong way at the optimum"
    return np.linalg.inv(hessian), ""


def _standard_errors(fit_cov: np.ndarray | None, problem: str, names: tuple[str, ...]):
    if fit_cov is None:
        raise ModelFitError(
            f"no standard errors: {problem or 'the model was not fitted'}; fit on more customers"
        )
    return dict(zip(names, np.sqrt(np.diag(fit_cov)).tolist(), strict=True))


def _sample_log_normal(
    theta: np.ndarray,
    covariance: np.ndarray | None,
    problem: str,
    names: tuple[str, ...],
    n: int,
    rng: np.random.Generator | int,
) -> pd.DataFrame:
    """n parameter sets from the asymptotic normal of log(theta).

    By the delta method, cov(log theta) = cov(theta) / (theta theta'); sampling on the log
    scale keeps every parameter positive.
    """
    _standard_errors(covariance, problem, names)
    rng = np.random.default_rng(rng)
    log_cov = covariance / np.outer(theta, theta)
    draws = np.exp(rng.multivariate_normal(np.log(theta), log_cov, size=n))
    return pd.DataFrame(draws, columns=list(names))


def _result(values) -> np.ndarray | float:
    values = np.asarray(values, dtype=float)
    return float(values) if values.ndim == 0 else values


# --- BG/NBD ------------------------------------------------------------------------------


def _bgnbd_log_likelihood(theta: np.ndarray, data: _Grouped) -> tuple[float, np.ndarray]:
    """Weighted BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6) and its gradient
    in (r, alpha, a, b).

    ln L = A1 + A2 + ln(exp(A3) + [x > 0] exp(A4)) with
    A1 = ln G(r + x) - ln G(r) + r ln alpha,
    A2 = ln G(a + b) + ln G(b + x) - ln G(b) - ln G(a + b + x),
    A3 = -(r + x) ln(alpha + T),
    A4 = ln a - ln(b + x - 1) - (r + x) ln(alpha + t_x).
    A1 and A2 depend on x only and are summed over the distinct x. With d = A4 - A3 (the
    log-odds that the customer has dropped out), the last term is A3 + ln(1 + e^d), and
    the shares exp(A3 - lse), exp(A4 - lse) that weigh the gradient are logistic in d:
    written with e^-|d|, none of them overflows (and no logaddexp, which costs as much as
    the rest of the function). The row terms are worked in place on a few row-length
    buffers: at half a million rows a fresh temporary costs as much as the arithmetic on
    it (its pages are new to the process), and the naive form made some 40 of them.
    """
    r, alpha, a, b = theta
    x, t_x, T, w = data.columns["x"], data.columns["t_x"], data.columns["T"], data.w
    xs, ws, n = data.xs, data.ws, data.ws.sum()
    ll_x = ws @ (gammaln(r + xs) + gammaln(b + xs) - gammaln(a + b + xs)) + n * (
        r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b)
    )
    grad_x = np.array(
        [
            ws @ digamma(r + xs) + n * (np.log(alpha) - digamma(r)),
            n * r / alpha,
            n * digamma(a + b) - ws @ digamma(a + b + xs),
            ws @ (digamma(b + xs) - digamma(a + b + xs)) + n * (digamma(a + b) - digamma(b)),
        ]
    )
    r_x = np.add(r, x)
    inv_aT = np.add(alpha, T)
    log_aT = np.log(inv_aT)
    np.reciprocal(inv_aT, out=inv_aT)  # 1 / (alpha + T)
    inv_atx = np.add(alpha, t_x)
    log_atx = np.log(inv_atx)
    np.reciprocal(inv_atx, out=inv_atx)  # 1 / (alpha + t_x)
    inv_bx1 = np.add(b, data.x_minus_1)  # b + x - 1 (b + 1 where x = 0, not used)
    # d = A4 - A3 = ln a - ln(b + x - 1) + (r + x) (ln(alpha + T) - ln(alpha + t_x))
    d = np.subtract(log_aT, log_atx)
    d *= r_x
    d -= np.log(inv_bx1)
    d += np.log(a)
    d[data.single] = -np.inf  # x = 0: no A4 term
    np.reciprocal(inv_bx1, out=inv_bx1)  # 1 / (b + x - 1)
    e = np.abs(d)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e^-|d|
    d_plus = np.maximum(d, 0)
    lse = np.log1p(e)  # lse = A3 + max(d, 0) + ln(1 + e^-|d|), A3 = -(r + x) ln(alpha + T)
    lse += d_plus
    lse -= r_x * log_aT
    share = np.add(e, 1)
    np.divide(w, share, out=share)  # w / (1 + e^-|d|)
    w3 = np.negative(d_plus, out=d_plus)
    np.exp(w3, out=w3)
    w3 *= share  # w exp(A3 - lse) = w e^-max(d, 0) / (1 + e^-|d|)
    w4 = np.minimum(d, 0, out=d)
    np.exp(w4, out=w4)
    w4 *= share  # w exp(A4 - lse) = w e^min(d, 0) / (1 + e^-|d|)
    d_r = -(w3 @ log_aT) - w4 @ log_atx
    d_a, d_b = w4.sum() / a, -(w4 @ inv_bx1)
    w3 *= inv_aT
    w4 *= inv_atx
    w3 += w4
    d_alpha = -(r_x @ w3)  # -(r + x) (w3 / (alpha + T) + w4 / (alpha + t_x))
    return float(ll_x + w @ lse), grad_x + np.array([d_r, d_alpha, d_a, d_b])


class FittedParameters:
    """What every fitted model shares: its parameters by name (`PARAMS`, fields of the
    dataclass), their asymptotic standard errors and draws from their distribution, from
    the fit's `covariance` (None, with `covariance_problem` saying why, when it has none)."""

    PARAMS: ClassVar[tuple[str, ...]]

    @property
    def params(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.PARAMS}

    @property
    def standard_errors(self) -> dict[str, float]:
        """sqrt of the diagonal of the inverse Hessian of the negative log-likelihood."""
        return _standard_errors(self.covariance, self.covariance_problem, self.PARAMS)

    def sample_params(self, n: int, rng: np.random.Generator | int) -> pd.DataFrame:
        """n draws of the parameters from the asymptotic normal of their logarithms."""
        theta = np.array(list(self.params.values()))
        return _sample_log_normal(
            theta, self.covariance, self.covariance_problem, self.PARAMS, n, rng
        )


@dataclass(frozen=True, eq=False)
class BGNBDModel(FittedParameters):
    """A BG/NBD model (Fader, Hardie & Lee 2005) with parameters r, alpha, a, b.

    Times (t, recency, T) are in the unit of the summary the model was fitted on.
    `log_likelihood` and `covariance` (of r, alpha, a, b) are None for a model built from
    given parameters rather than fitted.
    """

    PARAMS: ClassVar[tuple[str, ...]] = BGNBD_PARAMS
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float | None = None
    covariance: np.ndarray | None = None
    covariance_problem: str = ""
    n_customers: float = 0

    def probability_alive(self, frequency, recency, T):
        """P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive) Using the
        BG/NBD Model"): 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)),
        computed as a logistic of the log-odds so that large x cannot overflow; 1 when x = 0.
        """
        x, t_x, T = np.broadcast_arrays(
            *(np.asarray(v, dtype=float) for v in (frequency, recency, T))
        )
        return _result(_alive(self._log_odds_dead(x, t_x, T)))

    def _log_odds_dead(self, x, t_x, T) -> np.ndarray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        repeat = x > 0
        b_x1 = b + np.where(repeat, x - 1, 1)
        log_odds = np.log(a) - np.log(b_x1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(repeat, log_odds, -np.inf)

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T]: expected purchases in the next t (Fader, Hardie & Lee 2005,
        eq. 10):

            (a + b + x - 1) / (a - 1)
            * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z)]
            / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)),

        z = t / (alpha + T + t). Euler's transformation 2F1(A, B; C; z) =
        (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z) turns the bracket into
        1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), whose first two
        arguments do not grow with x, so heavy buyers neither overflow nor lose precision.
        The denominator is 1 / P(alive).
        """
        arrays = (np.asarray(v, dtype=float) for v in (t, frequency, recency, T))
        t, x, t_x, T = np.broadcast_arrays(*arrays)
        alive = _alive(self._log_odds_dead(x, t_x, T))
        return _result(self.expected_purchases_if_alive(t, x, T) * alive)

    def expected_purchases_if_alive(self, t, frequency, T):
        """E[Y(t) | x, t_x, T, alive]: eq. 10 without its denominator (the expected purchases
        of a customer known to be active), which depends on x and T but not on t_x, so that
        customers who differ only in t_x share it:

            (a + b + x - 1) / (a - 1) * [1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1;
                                                              a + b + x - 1; z)].
        """
        arrays = (np.asarray(v, dtype=float) for v in (t, frequency, T))
        t, x, T = np.broadcast_arrays(*arrays)
        r, alpha, b = self.r, self.alpha, self.b
        a = _away_from_one(self.a)
        log_1mz = np.log(alpha + T) - np.log(alpha + T + t)
        z = -np.expm1(log_1mz)
        # A degenerate fit (huge a and b) gives inf x 0 here: NaN, which the build turns
        # into a stored reason, so numpy need not warn about it on the user's console.
        with np.errstate(invalid="ignore", over="ignore"):
            power = np.exp((a - 1) * log_1mz)
            bracket = 1 - power * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        return (a + b + x - 1) / (a - 1) * bracket

    def expected_purchases_new(self, t):
        """E[X(t)] for a customer just acquired (Fader, Hardie & Lee 2005, eq. 9): eq. 10 with
        x = t_x = T = 0."""
        return self.expected_purchases(t, 0, 0, 0)

    def simulate_purchases(self, t, frequency, recency, T, rng: np.random.Generator):
        """One random draw of each customer's purchases in the next t given (x, t_x, T): the
        model's story told forward from the customer's posterior (`purchases_prediction_
        interval` calls this for each parameter set; another purchase model supplies its own).

        By Bayes' rule on the likelihood (Fader, Hardie & Lee 2005, eq. 3), the customer is
        active with probability P(alive); an active one has lambda ~ gamma(r + x, alpha + T)
        (x purchases in T) and p ~ beta(a, b + x) (no dropout after any of the x repeat
        purchases), independently. From T on, purchases come at rate lambda and the customer
        leaves after each with probability p: Y = min(K, J), K ~ Poisson(lambda t),
        J ~ geometric(p) on 1, 2, .... Returns the counts as floats, one per customer.
        """
        x, t_x, T = (np.asarray(v, dtype=float).reshape(-1) for v in (frequency, recency, T))
        alive = np.flatnonzero(rng.random(len(x)) < self.probability_alive(x, t_x, T))
        x, T = x[alive], T[alive]
        lam = rng.gamma(self.r + x, 1 / (self.alpha + T))
        p = rng.beta(self.a, self.b + x)
        with np.errstate(divide="ignore", invalid="ignore"):
            # inverse CDF in floats: p may be 0 (J infinite, NaN for U = 1) or tiny
            leaves_after = 1 + np.floor(np.log1p(-rng.random(len(x))) / np.log1p(-p))
        purchases = np.zeros(len(t_x))
        purchases[alive] = np.fmin(rng.poisson(lam * t), leaves_after)
        return purchases


def _alive(log_odds_dead: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + e^log_odds_dead): 1 at -inf, 0 where e^log_odds_dead overflows; within
    4e-16 relative of scipy's expit(-log_odds_dead) (checked on a grid over -800..800),
    at a fraction of its cost. `out` may be the input (it is then overwritten)."""
    if out is None:
        out = np.empty(np.shape(log_odds_dead))  # an array even for a 0-d input
    with np.errstate(over="ignore"):
        odds = np.exp(log_odds_dead, out=out)
    odds += 1
    return np.reciprocal(odds, out=odds)


def _away_from_one(a: float) -> float:
    """a, moved 1e-7 away from 1: eq. 9-10 divide by a - 1 (their limit at a = 1 is finite)."""
    return a if abs(a - 1) > 1e-7 else 1 + 1e-7 * (1 if a >= 1 else -1)


def _enough_to_fit(x: np.ndarray, w: np.ndarray, min_customers: int, label: str) -> float:
    """The number of customers (weights summed) a purchase model `label` is fitted on, or
    ModelFitError when they are fewer than `min_customers` or none bought twice."""
    n = w.sum()
    if n < min_customers:
        raise ModelFitError(
            f"{label} needs at least {min_customers} customers with a purchase; got {n:g}. "
            "Use a later as-of date or load more transactions",
            "few_customers",
            have=f"{n:g}",
            need=min_customers,
        )
    if w @ x == 0:
        raise ModelFitError(
            f"{label}: no customer bought on two different days, so repeat buying cannot be "
            "estimated; use a later as-of date or a longer history",
            "fit_no_repeat",
        )
    return n


def fit_bgnbd(
    summary: pd.DataFrame,
    weights=None,
    *,
    min_customers: int = MIN_CUSTOMERS,
    maxiter: int = 1000,
) -> BGNBDModel:
    """Fit BG/NBD by maximum likelihood on `frequency, recency, T` (eq. 6 of Fader, Hardie &
    Lee 2005); `weights` counts each row (default 1). Rows with identical (x, t_x, T) are
    merged first, so the cost grows with the distinct combinations.

    Raises ModelFitError when there are fewer than `min_customers` customers, no repeat
    purchases, or the fit fails (no convergence, non-finite likelihood, unidentified
    parameters).
    """
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    w = _weights(summary, weights)
    n = _enough_to_fit(x, w, min_customers, "BG/NBD")
    data = _Grouped.of({"x": x, "t_x": t_x, "T": T}, w)
    theta0 = np.array([1.0, max(float(np.average(T, weights=w)), 1e-3), 1.0, 1.0])
    fit = _fit_mle(
        lambda theta: _bgnbd_log_likelihood(theta, data),
        theta0,
        BGNBD_PARAMS,
        n,
        "BG/NBD",
        maxiter,
        refuse=lambda theta: _check_predicts(BGNBDModel(*theta.tolist()), data),
    )
    model = BGNBDModel(
        *fit.theta.tolist(), fit.log_likelihood, fit.covariance, fit.covariance_problem, float(n)
    )
    _check_predicts(model, data)
    return model


def bgnbd_log_likelihood(model: BGNBDModel, summary: pd.DataFrame, weights=None) -> float:
    """The BG/NBD log-likelihood (eq. 6) of `model`'s parameters on `summary`, weighted as
    in `fit_bgnbd`: what a fit maximises, to compare fits of the same data (another
    library's, another start) by one definition."""
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    data = _Grouped.of({"x": x, "t_x": t_x, "T": T}, _weights(summary, weights))
    return _bgnbd_log_likelihood(np.array([model.r, model.alpha, model.a, model.b]), data)[0]


def _check_predicts(model: BGNBDModel, data: _Grouped) -> None:
    """ModelFitError (`degenerate_fit`) when the fitted model cannot predict the customers
    it was fitted on: a fit with huge a and b (too few repeat purchases to tell how
    customers drop out) gives no finite expected purchases over the history's length."""
    x, t_x, T = (data.columns[c] for c in ("x", "t_x", "T"))
    expected = _expected(model, float(T.max()), x, t_x, T)
    if np.isfinite(expected).all():
        return
    shown = {name: f"{value:.3g}" for name, value in model.params.items()}
    raise ModelFitError(
        f"BG/NBD: the fit (r = {shown['r']}, alpha = {shown['alpha']}, a = {shown['a']}, "
        f"b = {shown['b']}) gives no finite expected purchases: the data hold too few repeat "
        "purchases to tell how customers drop out; a longer history helps",
        "degenerate_fit",
        **shown,
    )


# --- Gamma-Gamma -------------------------------------------------------------------------


def _gamma_gamma_log_likelihood(theta: np.ndarray, data: _Grouped) -> tuple[float, np.ndarray]:
    """Weighted Gamma-Gamma log-likelihood of the mean spends m_x over x > 0 repeat purchases
    (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value": the marginal density of
    m_x given x, the step before eq. 5) and its gradient in (p, q, gamma):

    ln f = ln G(px + q) - ln G(px) - ln G(q) + q ln gamma + (px - 1) ln m_x + px ln x
           - (px + q) ln(gamma + x m_x).
    The gamma functions depend on x only and are summed over the distinct x; ln m_x and
    ln x do not depend on the parameters and are taken once per fit.
    """
    p, q, gamma = theta
    w, xs, ws, n = data.w, data.xs, data.ws, data.ws.sum()
    log_m, log_x = data.log["m_x"], data.log["x"]
    wx, gamma_xm = data.wx, gamma + data.xm
    log_xm = np.log(gamma_xm)
    # the sums over customers, each p- or q-weighted term summed once
    wx_log_mx, w_log_m = wx @ (log_m + log_x), w @ log_m
    wx_log_xm, w_log_xm = wx @ log_xm, w @ log_xm
    ll = (
        ws @ (gammaln(p * xs + q) - gammaln(p * xs))
        + n * (q * np.log(gamma) - gammaln(q))
        + p * wx_log_mx
        - w_log_m
        - p * wx_log_xm
        - q * w_log_xm
    )
    d_p = ws @ (xs * (digamma(p * xs + q) - digamma(p * xs))) + wx_log_mx - wx_log_xm
    d_q = ws @ digamma(p * xs + q) - n * digamma(q) + n * np.log(gamma) - w_log_xm
    d_gamma = n * q / gamma - (p * wx + q * w) @ (1 / gamma_xm)
    return float(ll), np.array([d_p, d_q, d_gamma])


@dataclass(frozen=True, eq=False)
class GammaGammaModel(FittedParameters):
    """A Gamma-Gamma spend model (Fader & Hardie 2013) with parameters p, q, gamma.

    `log_likelihood` and `covariance` (of p, q, gamma) are None for a model built from given
    parameters rather than fitted.
    """

    PARAMS: ClassVar[tuple[str, ...]] = GG_PARAMS
    p: float
    q: float
    gamma: float
    log_likelihood: float | None = None
    covariance: np.ndarray | None = None
    covariance_problem: str = ""
    n_customers: float = 0

    def expected_spend(self, frequency, monetary):
        """E(M | p, q, gamma, m_x, x), the expected spend per future purchase (Fader & Hardie
        2013, eq. 5): (p gamma + p x m_x) / (p x + q - 1), a weighted mean of the population
        mean p gamma / (q - 1) and the customer's m_x. x = 0 gives the population mean;
        a negative m_x (net refunds) counts as 0.
        """
        p, q, gamma = self.p, self.q, self.gamma
        if q <= 1:
            raise ValueError(f"q = {q:g} <= 1: the population mean spend is infinite")
        x, m_x = np.broadcast_arrays(np.asarray(frequency, float), np.asarray(monetary, float))
        m_x = np.where(x > 0, np.maximum(m_x, 0), 0)
        return _result((p * gamma + p * x * m_x) / (p * x + q - 1))


def fit_gamma_gamma(
    summary: pd.DataFrame,
    weights=None,
    *,
    min_customers: int = MIN_REPEAT_CUSTOMERS,
    maxiter: int = 1000,
) -> GammaGammaModel:
    """Fit Gamma-Gamma by maximum likelihood (Fader & Hardie 2013) on the repeat
    customers of `summary` (frequency > 0 and monetary > 0). Rows are not merged: mean
    spends are continuous, so grouping found 23% fewer rows among 570k repeat buyers and
    cost more than the 50 likelihood evaluations saved.

    Raises ModelFitError when fewer than `min_customers` repeat customers spent money, when
    the fit fails, or when q <= 1 (mean spend infinite: the population mean p gamma / (q - 1)
    of eq. 5 does not exist).
    """
    x, m_x = _columns(summary, ("frequency", "monetary"))
    w = _weights(summary, weights)
    keep = (x > 0) & (m_x > 0) & (w > 0)
    n = w[keep].sum()
    if n < min_customers:
        raise ModelFitError(
            f"Gamma-Gamma needs at least {min_customers} repeat customers with positive spend; "
            f"got {n:g}. Use a later as-of date or a longer history",
            "few_repeat_customers",
            have=f"{n:g}",
            need=min_customers,
        )
    data = _Grouped.of({"x": x[keep], "m_x": m_x[keep]}, w[keep], merge=False)
    theta0 = np.array([1.0, 2.0, float(np.average(m_x[keep], weights=w[keep]))])
    fit = _fit_mle(
        lambda theta: _gamma_gamma_log_likelihood(theta, data),
        theta0,
        GG_PARAMS,
        n,
        "Gamma-Gamma",
        maxiter,
    )
    model = GammaGammaModel(
        *fit.theta.tolist(), fit.log_likelihood, fit.covariance, fit.covariance_problem, float(n)
    )
    if model.q <= 1:
        raise ModelFitError(
            f"Gamma-Gamma: q = {model.q:.3g} <= 1, so the average spend has no finite mean; "
            "look for extreme spends (outliers, wholesale orders) and exclude or cap them",
            "fit_infinite_spend",
            q=f"{model.q:.3g}",
        )
    return model


def gamma_gamma_log_likelihood(
    model: GammaGammaModel, summary: pd.DataFrame, weights=None
) -> float:
    """The Gamma-Gamma log-likelihood of `model`'s parameters on the repeat customers of
    `summary` with positive spend, weighted as in `fit_gamma_gamma`: what a fit maximises,
    to compare fits of the same data by one definition."""
    x, m_x = _columns(summary, ("frequency", "monetary"))
    w = _weights(summary, weights)
    keep = (x > 0) & (m_x > 0) & (w > 0)
    data = _Grouped.of({"x": x[keep], "m_x": m_x[keep]}, w[keep], merge=False)
    theta = np.array([model.p, model.q, model.gamma])
    return _gamma_gamma_log_likelihood(theta, data)[0]


# --- customer lifetime value -------------------------------------------------------------


def _month_ends(horizon_months: int, unit: str) -> np.ndarray:
    """0, 1, ..., horizon_months months (of 365.25 / 12 days) in the model's time unit."""
    if horizon_months < 1:
        raise ValueError(f"horizon_months must be at least 1; got {horizon_months}")
    return np.arange(horizon_months + 1) * DAYS_PER_MONTH / _unit_days(unit)


def _discount_factors(horizon_months: int, discount_rate_annual: float) -> np.ndarray:
    """1 / (1 + d)^(m / 12) for months m = 1..horizon_months."""
    if discount_rate_annual <= -1:
        raise ValueError(f"discount_rate_annual must exceed -1; got {discount_rate_annual}")
    months = np.arange(1, horizon_months + 1)
    return (1 + discount_rate_annual) ** (-months / 12)


@dataclass(frozen=True, eq=False)
class _Rows:
    """Customers' (x, t_x, T), with their distinct (x, T) pairs and each row's pair."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    pair_x: np.ndarray
    pair_T: np.ndarray
    index: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> _Rows:
        return cls(x, t_x, T, *_pairs(x, T))


def _discounted_purchases(
    bgnbd: BGNBDModel,
    rows: _Rows,
    month_ends: np.ndarray,
    discount: np.ndarray,
    if_alive: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """For each customer of `rows`: expected purchases over the horizon, and their
    discounted sum: sum_m (E[Y(t_m)] - E[Y(t_m-1)]) / (1 + d)^(m / 12).

    E[Y(t)] = P(alive) x E[Y(t) | alive]; the second factor depends on (x, T) only, so it is
    computed once per distinct (x, T) (the costly hypergeometric function), the first once
    per customer. With `if_alive`, the customer is taken to be active (P(alive) = 1)."""
    cumulative = bgnbd.expected_purchases_if_alive(
        month_ends[None, :], rows.pair_x[:, None], rows.pair_T[:, None]
    )
    discounted = np.diff(cumulative, axis=1) @ discount
    total, discounted = cumulative[rows.index, -1], discounted[rows.index]
    if if_alive:
        return total, discounted
    alive = np.asarray(bgnbd.probability_alive(rows.x, rows.t_x, rows.T), dtype=float)
    return total * alive.reshape(-1), discounted * alive.reshape(-1)


def _clv_inputs(summary: pd.DataFrame, unit: str):
    x, t_x, T = _purchase_inputs(summary, unit)
    return x, t_x, T, _columns(summary, ("monetary",))[0]


def _purchase_inputs(summary: pd.DataFrame, unit: str):
    if summary.attrs.get("unit", unit) != unit:
        raise ValueError(
            f"the summary is in {summary.attrs['unit']} but unit={unit!r}; pass the same unit"
        )
    if "customer_id" not in summary.columns:
        raise ValueError("the summary lacks column customer_id (build it with btyd_summary)")
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    return x, t_x, T


def _check_margin(margin: float) -> None:
    if not 0 <= margin <= 1:
        raise ValueError(f"margin is a share of revenue between 0 and 1; got {margin}")


def clv(
    bgnbd: BGNBDModel,
    gg: GammaGammaModel,
    summary: pd.DataFrame,
    horizon_months: int = 12,
    discount_rate_annual: float = 0.1,
    margin: float = 0.3,
    unit: str = "weeks",
    if_alive: bool = False,
) -> pd.DataFrame:
    """Predicted, discounted customer lifetime value over the next `horizon_months`.

    CLV = sum_{m=1..H} margin * E(M) * (E[Y(t_m)] - E[Y(t_{m-1})]) / (1 + d)^(m / 12), with
    t_m the end of month m (months of 365.25 / 12 days, in `unit`, the summary's time
    unit), E[Y] the BG/NBD conditional expectation (eq. 10), E(M) the Gamma-Gamma expected
    spend (eq. 5) and d the annual discount rate: each month's expected purchases are
    discounted from the month's end, a monthly version of the discounted expected
    transactions of Fader, Hardie & Lee (2005), "RFM and CLV", Journal of Marketing Research.

    With `if_alive`, every customer is taken to be active (P(alive) = 1, E[Y] without the
    denominator of eq. 10): what each customer is worth if they stay.

    Returns `customer_id, expected_purchases` (undiscounted, over the horizon),
    `expected_spend` (per purchase) and `clv`, one row per summary row.
    """
    _check_margin(margin)
    x, t_x, T, m_x = _clv_inputs(summary, unit)
    total, discounted = _discounted_purchases(
        bgnbd,
        _Rows.of(x, t_x, T),
        _month_ends(horizon_months, unit),
        _discount_factors(horizon_months, discount_rate_annual),
        if_alive,
    )
    spend = gg.expected_spend(x, m_x)
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "expected_purchases": total,
            "expected_spend": spend,
            "clv": margin * spend * discounted,
        }
    )


@dataclass(frozen=True, eq=False)
class ClvInterval:
    """Intervals for `clv` from parameter uncertainty: `customers` holds `customer_id, clv`
    (the point estimate) and `clv_p5, clv_p50, clv_p95`; `total` holds the same for the sum
    over customers (keys clv, p5, p50, p95)."""

    customers: pd.DataFrame
    total: dict[str, float]


def clv_interval(
    bgnbd: BGNBDModel,
    gg: GammaGammaModel,
    summary: pd.DataFrame,
    horizon_months: int = 12,
    discount_rate_annual: float = 0.1,
    margin: float = 0.3,
    unit: str = "weeks",
    n: int = 200,
    rng: np.random.Generator | int = 0,
    chunk_size: int = 50_000,
) -> ClvInterval:
    """5th, 50th and 95th percentiles of `clv` over `n` parameter sets drawn from both
    models' asymptotic distributions (`sample_params`), per customer and in total.

    Only parameter uncertainty is covered, not the randomness of each customer's future
    purchases. Gamma-Gamma draws with q <= 1 (no finite mean spend) are left out when they
    are at most MAX_INFINITE_DRAWS of the draws (a fit on a few hundred repeat buyers), else
    ModelFitError. Customers are processed `chunk_size` at a time to bound memory (n x
    chunk_size values); the cost is n x horizon_months hypergeometric evaluations per
    distinct (x, T) within a chunk (t_x only enters P(alive), which is cheap).
    """
    _check_margin(margin)
    x, t_x, T, m_x = _clv_inputs(summary, unit)
    rng = np.random.default_rng(rng)
    bg_draws = [type(bgnbd)(**d) for d in bgnbd.sample_params(n, rng).to_dict("records")]
    gg_draws = [GammaGammaModel(**d) for d in gg.sample_params(n, rng).to_dict("records")]
    finite = [i for i, g in enumerate(gg_draws) if g.q > 1]
    if (bad := n - len(finite)) > MAX_INFINITE_DRAWS * n:
        raise ModelFitError(
            f"the spend model is too uncertain for an interval: {bad} of {n} draws have "
            "q <= 1 (infinite mean spend); fit on more repeat customers"
        )
    # a few draws with no finite mean spend are left out: the range is that of the others
    bg_draws, gg_draws = [bg_draws[i] for i in finite], [gg_draws[i] for i in finite]
    n = len(finite)
    month_ends = _month_ends(horizon_months, unit)
    discount = _discount_factors(horizon_months, discount_rate_annual)
    quantiles, totals = [], np.zeros(n)
    for start in range(0, len(summary), chunk_size):
        part = slice(start, start + chunk_size)
        rows = _Rows.of(x[part], t_x[part], T[part])
        # one row per draw, one column per customer
        discounted = np.vstack(
            [_discounted_purchases(b, rows, month_ends, discount)[1] for b in bg_draws]
        )
        spend = np.vstack([g.expected_spend(x[part], m_x[part]) for g in gg_draws])
        values = margin * spend * discounted
        quantiles.append(np.percentile(values, [5, 50, 95], axis=0))
        totals += values.sum(axis=1)
    q = np.hstack(quantiles) if quantiles else np.empty((3, 0))
    point = clv(bgnbd, gg, summary, horizon_months, discount_rate_annual, margin, unit)
    customers = point[["customer_id", "clv"]].assign(clv_p5=q[0], clv_p50=q[1], clv_p95=q[2])
    p5, p50, p95 = np.percentile(totals, [5, 50, 95])
    total = {"clv": float(point["clv"].sum()), "p5": p5, "p50": p50, "p95": p95}
    return ClvInterval(customers, {k: float(v) for k, v in total.items()})


def formula_clv(aov, purchases_per_year, years_retained, acquisition_cost=0.0):
    """The seed formula: average order value x purchases per year x years retained -
    acquisition cost. Works on numbers, arrays and Series alike (broadcasts)."""
    inputs = {
        "aov": aov,
        "purchases_per_year": purchases_per_year,
        "years_retained": years_retained,
        "acquisition_cost": acquisition_cost,
    }
    for name, value in inputs.items():
        values = np.asarray(value, dtype=float)
        if np.any(~np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"{name} must be a finite number >= 0")
    return aov * purchases_per_year * years_retained - acquisition_cost


# --- data readiness ----------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """Whether a summary holds enough data for predictions worth showing: at least
    `min_customers` customers with a purchase, `min_repeat_customers` of them with repeat
    purchases and positive spend (what Gamma-Gamma learns from), and `min_history_days` from
    the earliest first purchase to the as-of date. `reasons` lists each minimum not met."""

    customers: int
    repeat_customers: int
    history_days: float
    min_customers: int = MIN_CUSTOMERS
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS
    min_history_days: int = MIN_HISTORY_DAYS

    @property
    def reasons(self) -> tuple[Reason, ...]:
        found = []
        if self.customers == 0:
            return (Reason("no_buyers", {}, "no customer has bought anything by the as-of date"),)
        if self.customers < self.min_customers:
            found.append(
                Reason(
                    "few_customers",
                    {"need": self.min_customers, "have": self.customers},
                    f"{self.customers} customers have bought by the as-of date; the models "
                    f"need at least {self.min_customers}",
                )
            )
        if self.repeat_customers < self.min_repeat_customers:
            found.append(
                Reason(
                    "few_repeat_customers",
                    {"need": self.min_repeat_customers, "have": self.repeat_customers},
                    f"{self.repeat_customers} customers have bought on two or more days; the "
                    f"models need at least {self.min_repeat_customers}",
                )
            )
        if self.history_days < self.min_history_days:
            found.append(
                Reason(
                    "short_history",
                    {"need": self.min_history_days, "have": int(self.history_days)},
                    f"the purchase history is {int(self.history_days)} days long; the models "
                    f"need at least {self.min_history_days}",
                )
            )
        return tuple(found)

    @property
    def is_ready(self) -> bool:
        return not self.reasons

    def require(self) -> None:
        """Raise NotReady with the first unmet minimum, if any."""
        if reasons := self.reasons:
            raise NotReady(reasons[0])


def data_readiness(
    summary: pd.DataFrame,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
    min_history_days: int = MIN_HISTORY_DAYS,
) -> Readiness:
    """The `Readiness` of a BTYD summary (`btyd_summary`) for BG/NBD and Gamma-Gamma."""
    x, m_x, T = _columns(summary, ("frequency", "monetary", "T"))
    unit_days = _unit_days(summary.attrs.get("unit", "weeks"))
    return Readiness(
        customers=len(summary),
        repeat_customers=int(np.sum((x > 0) & (m_x > 0))),
        history_days=float(T.max() * unit_days) if len(T) else 0.0,
        min_customers=min_customers,
        min_repeat_customers=min_repeat_customers,
        min_history_days=min_history_days,
    )


# --- intervals for expected purchases, and for totals from a sample ----------------------


@dataclass(frozen=True, eq=False)
class PurchasesInterval:
    """Intervals for `expected_purchases` from parameter uncertainty: `customers` holds
    `customer_id, expected_purchases` (the point estimate) and `expected_purchases_p5,
    _p50, _p95`; `total` the same for the sum (keys expected_purchases, p5, p50, p95)."""

    customers: pd.DataFrame
    total: dict[str, float]


def expected_purchases_interval(
    bgnbd: BGNBDModel,
    summary: pd.DataFrame,
    t: float,
    n: int = 200,
    rng: np.random.Generator | int = 0,
    chunk_size: int = 50_000,
) -> PurchasesInterval:
    """5th, 50th and 95th percentiles of E[Y(t) | x, t_x, T] (eq. 10) over `n` parameter
    sets drawn from the fitted model's asymptotic distribution (`sample_params`), per
    customer and in total; `t` is in the summary's time unit. Like `clv_interval`, only
    parameter uncertainty is covered; the cost is n hypergeometric evaluations per distinct
    (x, T)."""
    if "customer_id" not in summary.columns:
        raise ValueError("the summary lacks column customer_id (build it with btyd_summary)")
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    draws = [
        type(bgnbd)(**d)
        for d in bgnbd.sample_params(n, np.random.default_rng(rng)).to_dict("records")
    ]
    quantiles, totals = [], np.zeros(n)
    for start in range(0, len(summary), chunk_size):
        part = slice(start, start + chunk_size)
        values = np.vstack([_expected(b, t, x[part], t_x[part], T[part]) for b in draws])
        quantiles.append(np.percentile(values, [5, 50, 95], axis=0))
        totals += values.sum(axis=1)
    q = np.hstack(quantiles) if quantiles else np.empty((3, 0))
    point = np.asarray(bgnbd.expected_purchases(t, x, t_x, T), dtype=float).reshape(-1)
    customers = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "expected_purchases": point,
            "expected_purchases_p5": q[0],
            "expected_purchases_p50": q[1],
            "expected_purchases_p95": q[2],
        }
    )
    p5, p50, p95 = np.percentile(totals, [5, 50, 95])
    total = {"expected_purchases": float(point.sum()), "p5": p5, "p50": p50, "p95": p95}
    return PurchasesInterval(customers, {k: float(v) for k, v in total.items()})


def expected_purchases(
    bgnbd: BGNBDModel, summary: pd.DataFrame, horizon_months: int = 12, unit: str = "weeks"
) -> np.ndarray:
    """E[Y(t) | x, t_x, T] (BG/NBD eq. 10) per summary row over the next `horizon_months`
    (months of 365.25 / 12 days): the expected purchase days, undiscounted, as in `clv`."""
    return expected_purchases_and_alive(bgnbd, summary, horizon_months, unit)[0]


def expected_purchases_and_alive(
    bgnbd: BGNBDModel, summary: pd.DataFrame, horizon_months: int = 12, unit: str = "weeks"
) -> tuple[np.ndarray, np.ndarray]:
    """`expected_purchases` and P(alive) (`BGNBDModel.probability_alive`) per summary row,
    from one pass: eq. 10 is P(alive) times the expected purchases if alive, so P(alive)
    comes with the expected purchases."""
    x, t_x, T = _purchase_inputs(summary, unit)
    return _expected_and_alive(bgnbd, _month_ends(horizon_months, unit)[-1], x, t_x, T)


def _expected(bgnbd: BGNBDModel, t: float, x, t_x, T) -> np.ndarray:
    return _expected_and_alive(bgnbd, t, x, t_x, T)[0]


def _expected_and_alive(bgnbd: BGNBDModel, t: float, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """E[Y(t) | x, t_x, T] and P(alive) per row. What depends on (x, T) only is computed
    once per distinct (x, T): E[Y(t) | alive] (the hypergeometric function; lifetimes
    evaluates two per customer) and the log-odds of having dropped out less its t_x term,
    ln(a / (b + x - 1)) + (r + x) ln(alpha + T); each row then adds -(r + x) ln(alpha + t_x)
    and takes the logistic (`probability_alive`'s formula). Where x = 0, P(alive) = 1: the
    pair's term is r ln(alpha) - 100 so that the row's log-odds come to -100 (t_x = 0
    there), whose logistic is 1 to the last bit; -inf would send np.exp down a path five
    times slower, and setting the rows afterwards costs as much again. Another purchase
    model (`core.purchase_models`) gives its own P(alive), times E[Y(t) | alive] per pair."""
    pair_x, pair_T, index = _pairs(x, T)
    if not isinstance(bgnbd, BGNBDModel):
        alive = np.asarray(bgnbd.probability_alive(x, t_x, T), dtype=float).reshape(-1)
        return bgnbd.expected_purchases_if_alive(t, pair_x, pair_T)[index] * alive, alive
    r, alpha, a, b = bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b
    if_alive = bgnbd.expected_purchases_if_alive(t, pair_x, pair_T)
    pair_odds = (
        np.log(a) - np.log(b + np.maximum(pair_x - 1, 0)) + (r + pair_x) * np.log(alpha + pair_T)
    )
    pair_odds[pair_x == 0] = r * np.log(alpha) - 100
    # two customer-length buffers, worked in place: a fresh temporary of a million rows
    # costs as much as the arithmetic on it (its pages are new to the process)
    log_odds = np.add(alpha, t_x)
    np.log(log_odds, out=log_odds)
    rows = np.add(r, x)
    log_odds *= rows
    # (mode="clip": the indices are valid, and "raise" buffers the output)
    np.subtract(np.take(pair_odds, index, out=rows, mode="clip"), log_odds, out=log_odds)
    alive = _alive(log_odds, out=log_odds)
    expected = np.take(if_alive, index, out=rows, mode="clip")
    expected *= alive
    return expected, alive


def _pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, T) of the rows (pair_x, pair_T) and each row's pair. x is a whole
    number >= 0 (checked where it enters), so it is its own code and only T is factorised;
    the combined code x * (distinct T) + T's code is compacted by counting when its range
    is no wider than a few times the rows (a customer base: x < 1000, T < a few thousand
    days), else factorised. T is factorised by its bits (equal floats have equal bits, but
    for 0 and -0, which would only make an extra pair): a third faster than as floats."""
    T_codes, T_bits = pd.factorize(np.ascontiguousarray(T, dtype=float).view(np.int64))
    T_values = T_bits.view(float)
    key = x.astype(np.int64)
    key *= len(T_values)
    key += T_codes
    width = int(key.max(initial=-1)) + 1
    if width <= 4 * len(key) + 1024:
        present = np.bincount(key, minlength=width) > 0
        keys = np.flatnonzero(present)
        index = (np.cumsum(present, dtype=np.int32) - 1)[key]
    else:
        index, keys = pd.factorize(key)
    pair_x, pair_T_codes = np.divmod(keys, len(T_values))
    return pair_x.astype(float), T_values[pair_T_codes], index


def representative_sample(
    summary: pd.DataFrame, size: int, rng: np.random.Generator | int = 0
) -> pd.DataFrame:
    """At most `size` rows of `summary` drawn at random without replacement (all of them
    when there are fewer), in their original order, keeping the summary's time unit."""
    if len(summary) <= size:
        return summary
    rows = np.sort(np.random.default_rng(rng).choice(len(summary), size, replace=False))
    sample = summary.iloc[rows].reset_index(drop=True)
    sample.attrs = dict(summary.attrs)
    return sample


def scaled_total(total: dict[str, float], key: str, population_total: float) -> dict[str, float]:
    """An interval of a total computed on a sample, carried to the whole population: each
    percentile of the sample's total is taken relative to the sample's point estimate
    `total[key]` and applied to `population_total` (parameter uncertainty moves every
    customer's value together, so its relative width is what a sample estimates well)."""
    point = total[key]
    ratio = (lambda v: v / point) if point else (lambda v: 1.0)
    return {
        key: float(population_total),
        **{p: float(population_total * ratio(total[p])) for p in ("p5", "p50", "p95")},
    }


PREDICTION_DRAWS = 500  # parameter sets, each with one simulated future per customer
# Customers simulated; a larger base is scaled from them. Measured on 200,000 simulated
# customers over 60 seeds: 5,000 and 20,000 gave the same coverage of the 90% interval
# (85% each, the sampling error of 60 repeats being 4 points) and the same mean width (1.559%
# and 1.555% of the total) for 0.45 and 1.3 s of CPU per interval; 10,000 leaves a margin
# for real data's heavier buyers.
SIMULATED_CUSTOMERS = 10_000


def purchases_prediction_interval(
    model,
    summary: pd.DataFrame,
    t: float,
    n: int = PREDICTION_DRAWS,
    sample: int = SIMULATED_CUSTOMERS,
    rng: np.random.Generator | int = 0,
) -> dict[str, float]:
    """A prediction interval for the total purchases of the summary's customers in the next
    `t` (the summary's time unit): `expected_purchases` (the point total) and the 5th, 50th
    and 95th percentiles `p5, p50, p95` of `n` simulated totals, each from a parameter set
    drawn from the fit (`model.sample_params`) and one future per customer drawn from their
    posterior at it (`model.simulate_purchases`). Unlike `expected_purchases_interval`, it
    holds the randomness of the purchases as well as the parameters' uncertainty.

    `model` is any purchase model the expectations take (`_expected`) with `sample_params`
    and `simulate_purchases`, whose parameters rebuild it (`type(model)(**params)`).

    With more than `sample` customers, a random `sample` of them (m of N) is simulated and
    each draw s is carried to the whole base in its two parts: the expected total at the
    drawn parameters, mu_s, relative to the sample's at the fit, as `scaled_total` does;
    and the purchases' own randomness, y_s - mu_s, times sqrt(N / m), since the variance of
    a sum of independent customers grows with their number. With N <= `sample` the totals
    are the simulated ones, y_s.
    """
    x, t_x, T = _columns(summary, ("frequency", "recency", "T"))
    _check_purchases(x, t_x, T)
    rng = np.random.default_rng(rng)
    point = float(np.sum(_expected(model, t, x, t_x, T)))
    rows = np.arange(len(x))
    if len(x) > sample:
        rows = np.sort(rng.choice(len(x), sample, replace=False))
    x, t_x, T = x[rows], t_x[rows], T[rows]
    expected, simulated = np.empty(n), np.empty(n)
    for s, params in enumerate(model.sample_params(n, rng).to_dict("records")):
        drawn = type(model)(**params)
        expected[s] = np.sum(_expected(drawn, t, x, t_x, T))
        simulated[s] = np.sum(drawn.simulate_purchases(t, x, t_x, T, rng))
    if len(rows) == len(summary):
        totals = simulated
    else:
        at_fit = float(np.sum(_expected(model, t, x, t_x, T)))
        scale = point / at_fit if at_fit else len(summary) / len(rows)
        totals = scale * expected + np.sqrt(len(summary) / len(rows)) * (simulated - expected)
    p5, p50, p95 = np.percentile(totals, [5, 50, 95])
    return {"expected_purchases": point, "p5": float(p5), "p50": float(p50), "p95": float(p95)}


# --- model health: a backtest ------------------------------------------------------------

FREQUENCY_BUCKETS = 7  # calibration frequency 0, 1, ..., 6, and 7 or more
HOLDOUT_CHOICES = (30, 60, 90, 180)  # days of the model-health holdout offered
HOLDOUT_SHARE = 0.25  # a holdout is at most this share of the history
SEASONAL_HISTORY_DAYS = 365  # a backtest is seasonal by default from a year of history


def history_days(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> int:
    """Days from the first transaction to `as_of` (0 without transactions)."""
    first = con.execute(
        "select min(ordered_at)::date from transactions where ordered_at < ?::date + 1", [as_of]
    ).fetchall()[0][0]
    return 0 if first is None else max((as_of - first).days, 0)


def holdout_choices(days: int, choices: tuple[int, ...] = HOLDOUT_CHOICES) -> tuple[int, ...]:
    """The holdouts a history of `days` days allows for the model-health check: at most a
    quarter of the history (a 12-month history holds out its last quarter), leaving at
    least MIN_HISTORY_DAYS to fit on. Empty when the history is too short for any."""
    return tuple(h for h in choices if h <= days * HOLDOUT_SHARE and days - h >= MIN_HISTORY_DAYS)


@dataclass(frozen=True, eq=False)
class Backtest:
    """BG/NBD fitted on the data up to `calibration_end`, judged on the `holdout_days` after.

    - `customers`: per customer with a purchase by `calibration_end`: `customer_id,
      frequency, recency, T` (calibration), `predicted` and `actual` purchase days in the
      holdout;
    - `by_frequency`: per calibration frequency (`frequency` "0", ..., "6", "7+"):
      `customers`, mean `predicted` and `actual` purchases per customer;
    - `tracking`: cumulative `predicted` and `actual` purchase days of those customers at
      `day` (7, 14, ... and the last day of the holdout);
    - `predicted_interval`: the 90% prediction interval of the holdout total (`p5`, `p50`,
      `p95`; `purchases_prediction_interval`): the parameters' uncertainty and the
      randomness of each customer's purchases, so the actual total falls inside it nine
      times in ten when the model is right; None when the fit has no covariance
      (`bgnbd.covariance_problem` says why), as when nearly every customer bought once.
    - `seasonal_index`: the seasonal index (`core.seasons.SeasonalIndex`) when the backtest was
      seasonal, else None. When it was learnt, `bgnbd` was fitted on the seasonal clock,
      `predicted` (in `customers` and `tracking`) is the seasonal forecast and
      `predicted_flat` the flat one of BG/NBD on calendar time beside it; when it was not
      learnt (its `reason` says why), the forecast is the flat one.
    """

    calibration_end: dt.date
    holdout_days: int
    bgnbd: BGNBDModel
    customers: pd.DataFrame
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    predicted_interval: dict[str, float] | None
    seasonal_index: seasons.SeasonalIndex | None = None

    @property
    def is_seasonal(self) -> bool:
        """True when the forecast follows a learnt seasonal index."""
        return self.seasonal_index is not None and self.seasonal_index.learnt

    @property
    def predicted_flat_total(self) -> float:
        """The flat BG/NBD forecast's total (the same as `predicted_total` when not seasonal)."""
        column = "predicted_flat" if self.is_seasonal else "predicted"
        return float(self.customers[column].sum())

    @property
    def flat_error_pct(self) -> float:
        """The flat forecast's (predicted - actual) / actual total, in percent."""
        actual = self.actual_total
        return (self.predicted_flat_total - actual) / actual * 100 if actual else float("nan")

    @property
    def holdout_end(self) -> dt.date:
        return self.calibration_end + dt.timedelta(days=self.holdout_days)

    @property
    def predicted_total(self) -> float:
        return float(self.customers["predicted"].sum())

    @property
    def actual_total(self) -> float:
        return float(self.customers["actual"].sum())

    @property
    def total_error_pct(self) -> float:
        """(predicted - actual) / actual total, in percent; NaN when nothing was bought."""
        actual = self.actual_total
        return (self.predicted_total - actual) / actual * 100 if actual else float("nan")

    @property
    def mae(self) -> float:
        """Mean absolute error of the purchases per customer."""
        return float((self.customers["predicted"] - self.customers["actual"]).abs().mean())


def backtest(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    holdout_days: int,
    unit: str = "weeks",
    *,
    n: int = PREDICTION_DRAWS,
    sample: int = SIMULATED_CUSTOMERS,
    rng: np.random.Generator | int = 0,
    seasonal: bool | None = None,
) -> Backtest:
    """Model health: fit BG/NBD on the transactions up to `as_of` (the calibration period),
    predict each customer's purchase days in the `holdout_days` after it, and compare with
    what happened (`Backtest`). Only customers who had bought by `as_of` are counted in the
    holdout; a purchase day is defined as in `btyd_summary`.

    `seasonal` (default: when the calibration history covers SEASONAL_HISTORY_DAYS): learn a
    seasonal index from the calibration period (`core.seasons.seasonal_index`) and, when it
    can be learnt, forecast on the seasonal clock, the flat forecast kept beside it.

    Raises NotReady when the calibration data are too thin (`data_readiness`), ModelFitError
    when the fit fails, and ValueError when the data end before the holdout does.
    """
    if holdout_days < 1:
        raise ValueError(f"holdout_days must be at least 1; got {holdout_days}")
    holdout_end = as_of + dt.timedelta(days=holdout_days)
    span = db.day_span(con, "transactions")
    last = span[1] if span else None
    if last is None or last < holdout_end:
        raise ValueError(
            f"the holdout runs to {holdout_end} but the transactions end on {last}: "
            "choose an earlier as_of or a shorter holdout"
        )
    summary = btyd_summary(con, as_of, unit)
    data_readiness(summary).require()
    bgnbd = fit_bgnbd(summary)
    if seasonal is None:
        seasonal = history_days(con, as_of) >= SEASONAL_HISTORY_DAYS
    index = seasons.seasonal_index(con, as_of) if seasonal else None
    holdout = con.execute(
        sql.load("purchase_days_after", con), {"after": as_of, "as_of": holdout_end}
    ).df()
    # only the customers of the calibration period (an index lookup: Series.isin is slow on
    # pandas' Arrow-backed strings)
    holdout = holdout[pd.Index(summary["customer_id"]).get_indexer(holdout["customer_id"]) >= 0]
    customers = summary[["customer_id", "frequency", "recency", "T"]].copy()
    customers["actual"] = (
        customers["customer_id"].map(holdout["customer_id"].value_counts()).fillna(0).astype(int)
    )
    days = np.unique(np.append(np.arange(7, holdout_days, 7), holdout_days))
    unit_days = _unit_days(unit)
    t = days / unit_days
    customers["predicted"], predicted = _holdout_forecast(bgnbd, summary, t)
    if index is not None and index.learnt:
        customers["predicted_flat"], predicted_flat = customers["predicted"], predicted
        summary = seasons.seasonal_summary(summary, index, as_of)
        bgnbd = fit_bgnbd(summary)
        t = index.seasonal_days(as_of, days) / unit_days
        customers["predicted"], predicted = _holdout_forecast(bgnbd, summary, t)
    actual_by_day = (holdout["purchased_on"] - pd.Timestamp(as_of)).dt.days.to_numpy()
    tracking = pd.DataFrame(
        {
            "day": days,
            "date": [as_of + dt.timedelta(days=int(d)) for d in days],
            "predicted": predicted,
            "actual": [int(np.sum(actual_by_day <= d)) for d in days],
        }
    )
    if "predicted_flat" in customers:
        tracking["predicted_flat"] = predicted_flat
    interval = None  # without the fit's covariance, no parameters to draw: no range
    if bgnbd.covariance is not None:
        interval = purchases_prediction_interval(bgnbd, summary, float(t[-1]), n, sample, rng)
    return Backtest(
        calibration_end=as_of,
        holdout_days=holdout_days,
        bgnbd=bgnbd,
        customers=customers,
        by_frequency=_by_frequency(customers),
        tracking=tracking,
        predicted_interval=interval,
        seasonal_index=index,
    )


def _holdout_forecast(
    model: BGNBDModel, summary: pd.DataFrame, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's expected purchases by the last of the times `t` (ascending, in the
    summary's unit) and the customers' total by each time. E[Y(t)] = P(alive) E[Y(t) | alive],
    the second factor per distinct (x, T) and time."""
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    pair_x, pair_T, index = _pairs(x, T)
    if_alive = model.expected_purchases_if_alive(t[:, None], pair_x[None, :], pair_T)
    alive = np.asarray(model.probability_alive(x, t_x, T), dtype=float).reshape(-1)
    expected_alive = np.bincount(index, weights=alive, minlength=len(pair_x))
    return if_alive[-1][index] * alive, if_alive @ expected_alive


def _by_frequency(customers: pd.DataFrame) -> pd.DataFrame:
    """Mean predicted and actual holdout purchases per customer by calibration frequency."""
    bucket = np.minimum(customers["frequency"].to_numpy(), FREQUENCY_BUCKETS)
    table = (
        customers.assign(bucket=bucket)
        .groupby("bucket", as_index=False)
        .agg(
            customers=("customer_id", "size"),
            predicted=("predicted", "mean"),
            actual=("actual", "mean"),
        )
    )
    labels = [str(b) if b < FREQUENCY_BUCKETS else f"{FREQUENCY_BUCKETS}+" for b in table["bucket"]]
    return table.assign(frequency=labels)[["frequency", "customers", "predicted", "actual"]]
