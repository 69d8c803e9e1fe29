"""Loyalty-programme what-if simulator: what a points / tiers / referral programme would add
and cost over a horizon, with intervals.

    models = loyalty_models(con)                   # BG/NBD + Gamma-Gamma from customer_features
    result = simulate_programme(con, Programme.recommended(), runs=200, seed=0, models=models)
    result.summary    # incremental_revenue ... roi: mean, p5, p95
    simulate_simple(con, programme)   # simple mode, when loyalty_models raises ModelNotFitted

The engine, per customer with a purchase (BTYD inputs x, t_x, T, m_x from customer_features,
value tier high / medium / low; a customer without a tier counts as low):

- each Monte Carlo run draws one set of model parameters (`sample_params`: r, alpha, a, b and
  p, q, gamma), then per customer: alive now with P(alive | x, t_x, T); a purchase rate
  lambda ~ gamma(r + x, alpha + T) and a dropout probability p ~ beta(a, b + x), the BG/NBD
  posteriors given alive (Fader, Hardie & Lee 2005); a spend per purchase p / nu with
  nu ~ gamma(p x + q, gamma + x m_x), the Gamma-Gamma posterior (Fader & Hardie 2013).
- dropout: purchases at rate lambda each end the customer with probability p, so the time to
  dropout is exponential with rate lambda p (weeks). The programme lowers that rate by the
  tier's retention uplift and multiplies the purchase rate by 1 + purchase uplift, for
  members only (membership drawn once per customer with the participation rate). Extra
  purchases made because of the programme do not themselves hasten dropout.
- purchases per month are Poisson(lambda x weeks alive that month). Common random numbers:
  the programme world is the baseline plus Poisson extra purchases (mean = programme
  exposure - baseline exposure >= 0), with the same alive draw, rates, spends and dropout
  time, so the difference is the programme's effect and not noise; a programme without
  uplift adds exactly nothing.
- costs: points earned on members' paid amounts; the expected redeemed share is paid
  `redemption_lag_months` after earning (at the latest at expiry) and what is still to be
  redeemed at the end of the horizon is the points liability (unredeemed points x point
  value x redemption rate; the rest is breakage). Tier benefits = discount on members'
  purchases + yearly perk cost per member; referral rewards and member-day / birthday
  offers per member per year; a fixed yearly cost. Referred customers bring a first order
  and the BG/NBD repeat purchases of a new customer (eq. 9) at the population mean spend.
- net impact = incremental margin - programme cost - points liability; ROI = net impact /
  (programme cost + points liability), 0 when nothing is spent.
- subsidy: rewards and discounts on purchases members would have made anyway (baseline
  purchases) change no behaviour; `subsidy_share` says which share of a tier's rewards and
  discounts that is (heavy buyers in the high tier mostly claim rewards they would have
  bought for anyway).

Simple mode (`simulate_simple`, see SimpleHistory) replaces the per-customer model with fixed
rates per value tier from up to the last year of history, for data too thin to fit it.

Sampling and scaling: at most `sample_size` customers (10,000) are simulated, a seeded random
sample stratified by value tier (each tier in proportion, at least MIN_PER_TIER where it has
them); each simulated customer stands for N_tier / n_tier customers of the base. Every run's
totals are the weighted sums, so the 5-95% intervals hold parameter uncertainty, the
customers' own randomness and the sampling error of the sample scaled up, i.e. they are
wider (not narrower) than a full-base run's would be.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from core import db, filters, precompute, sql, stars, value
from core.clv import (
    DAYS_PER_MONTH,
    BGNBDModel,
    GammaGammaModel,
    ModelFitError,
    NotReady,
    Reason,
    data_readiness,
    fit_bgnbd,
    fit_gamma_gamma,
)
from core.lifecycle import with_extras

TIERS = ("high", "medium", "low")
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7
SAMPLE_SIZE = 10_000
MIN_PER_TIER = 500
MEASURES = (
    "incremental_revenue",
    "incremental_margin",
    "programme_cost",
    "points_liability",
    "net_impact",
    "roi",
)
COST_PARTS = ("rewards_redeemed", "tier_benefits", "referral_rewards", "offers", "fixed")


class ModelNotFitted(NotReady):
    """The customer model cannot be fitted, so the simulator cannot run on it (the page
    offers simple mode); `reason` says why (a code the dashboard translates)."""


def _check(obj, **ranges) -> None:
    for name, (low, high) in ranges.items():
        v = getattr(obj, name)
        if not (isinstance(v, int | float) and low <= v <= high):
            raise ValueError(f"{name} must lie between {low:g} and {high:g}, not {v!r}")


@dataclass(frozen=True)
class TierTerms:
    """One value tier's benefits and the behaviour change assumed for its members:
    `discount` (share of the price), `perk_cost` (per member per year), `purchase_uplift`
    (purchase rate x (1 + uplift)) and `retention_uplift` (dropout rate x (1 - uplift))."""

    discount: float = 0.0
    perk_cost: float = 0.0
    purchase_uplift: float = 0.0
    retention_uplift: float = 0.0

    def __post_init__(self):
        _check(self, discount=(0, 1), perk_cost=(0, 1e9), purchase_uplift=(0, 10))
        _check(self, retention_uplift=(0, 1))


# seed table: high +25% repeat purchase / +30% loyalty, medium +15% / +20%, low +5% / +10%
SEED_UPLIFTS = {"high": (0.25, 0.30), "medium": (0.15, 0.20), "low": (0.05, 0.10)}


@dataclass(frozen=True)
class Programme:
    """A loyalty programme as data. `Programme()` is no programme: no uplift, no cost.

    Money is in the data's currency; rates are shares (0.05 = 5%); per-member costs and
    referrals are per year. `redemption_rate` is the share of points eventually redeemed
    (breakage = the rest); `expiry_months` 0 = points never expire."""

    earn_rate: float = 0.0  # points per currency unit paid
    point_value: float = 0.0  # currency per point redeemed
    redemption_rate: float = 0.0
    redemption_lag_months: int = 3
    expiry_months: int = 0
    high: TierTerms = TierTerms()
    medium: TierTerms = TierTerms()
    low: TierTerms = TierTerms()
    referral_reward: float = 0.0  # per referred customer
    referrals_per_member: float = 0.0  # per member per year
    offer_cost: float = 0.0  # member day / birthday offers, per member per year
    participation: float = 1.0  # share of customers who join
    fixed_cost: float = 0.0  # per year
    horizon_months: int = 12
    gross_margin: float = 0.30

    def __post_init__(self):
        _check(self, earn_rate=(0, 1e6), point_value=(0, 1e6), redemption_rate=(0, 1))
        _check(self, redemption_lag_months=(0, 120), expiry_months=(0, 120))
        _check(self, referral_reward=(0, 1e9), referrals_per_member=(0, 100))
        _check(self, offer_cost=(0, 1e9), participation=(0, 1), fixed_cost=(0, 1e12))
        _check(self, horizon_months=(1, 60), gross_margin=(0, 1))

    def tier(self, name: str) -> TierTerms:
        return getattr(self, name)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Programme:
        tiers = {t: TierTerms(**values[t]) for t in TIERS if t in values}
        return cls(**{**{k: v for k, v in values.items() if k not in TIERS}, **tiers})

    @classmethod
    def recommended(cls, **overrides) -> Programme:
        """Points + tiers with the seed table's uplifts (see PRESETS["points_tiers"])."""
        return PRESETS["points_tiers"].replace(**overrides)

    def replace(self, **changes) -> Programme:
        return dataclasses.replace(self, **changes)

    def with_uplift_share(self, share: float) -> Programme:
        """This programme with every tier's purchase and retention uplift times `share`
        (1 = as assumed); a retention uplift stops at 1 (no dropout), a purchase uplift
        at 10."""
        if share < 0:
            raise ValueError(f"the share of the assumed uplifts must be >= 0, not {share!r}")
        return self.replace(**{t: _uplift_share(self.tier(t), share) for t in TIERS})


def _seed_tiers(discounts=(0, 0, 0), perks=(0, 0, 0), uplift_share=1.0) -> dict:
    return {
        t: TierTerms(d, c, SEED_UPLIFTS[t][0] * uplift_share, SEED_UPLIFTS[t][1] * uplift_share)
        for t, d, c in zip(TIERS, discounts, perks, strict=True)
    }


_POINTS = {"earn_rate": 1.0, "point_value": 0.01, "redemption_rate": 0.7, "expiry_months": 12}
PRESETS: dict[str, Programme] = {
    # points alone move behaviour less: half the seed uplifts
    "points_only": Programme(**_POINTS, **_seed_tiers(uplift_share=0.5), participation=0.6),
    "points_tiers": Programme(
        **_POINTS,
        **_seed_tiers(discounts=(0.05, 0.03, 0.0), perks=(200.0, 60.0, 0.0)),
        offer_cost=20.0,
        participation=0.6,
        fixed_cost=50_000.0,
    ),
    "tiers_referral": Programme(
        **_seed_tiers(discounts=(0.05, 0.03, 0.0), perks=(200.0, 60.0, 0.0)),
        referral_reward=50.0,
        referrals_per_member=0.2,
        offer_cost=20.0,
        participation=0.6,
        fixed_cost=50_000.0,
    ),
}


@dataclass(frozen=True, eq=False)
class LoyaltyModels:
    """BG/NBD and Gamma-Gamma fitted on the BTYD inputs in customer_features, and those
    inputs (`customers`: customer_id, frequency, recency, T, monetary, tier)."""

    customers: pd.DataFrame
    bgnbd: BGNBDModel
    gg: GammaGammaModel


def customer_inputs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per customer with a purchase: the BTYD inputs (weeks) and value tier."""
    frame = con.execute(
        "select customer_id, btyd_frequency::bigint as frequency, "
        'btyd_recency_weeks as recency, btyd_t_weeks as "T", btyd_monetary as monetary, '
        "coalesce(value_tier, 'low') as tier "
        "from customer_features where btyd_frequency is not null order by customer_id"
    ).df()
    frame.attrs["unit"] = "weeks"
    return frame


def loyalty_models(con: duckdb.DuckDBPyConnection) -> LoyaltyModels:
    """Both models on the BTYD inputs in customer_features: the fits the build made for the
    Value page when it stored them for its as-of date (`value.stored_value_models`: the
    same estimators on the same inputs, so the same parameters, or the same reason they
    cannot be fitted; nothing is fitted twice), with `simulator_bgnbd` when the build's
    purchase model is another (the simulator draws BG/NBD's dropout); else
    `fit_loyalty_models`. ModelNotFitted
    when the data are too thin or the fit fails (the page then offers simple mode)."""
    customers = _built_inputs(con)
    as_of = db.built_as_of(con)
    stored = value.stored_fits(con, as_of) if as_of is not None else None
    if isinstance(stored, Reason):  # the same fit failed in the build: not tried again
        raise ModelNotFitted(stored)
    if stored is None:
        return _fitted(customers)
    purchase, gg = stored
    if type(purchase) is not BGNBDModel:  # the build chose another purchase model
        purchase = simulator_bgnbd(con, as_of)  # kept by the build
    return LoyaltyModels(customers, purchase, gg)


@precompute.page_result(ratings=True, after_commit=True)
def simulator_bgnbd(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> BGNBDModel:
    """The BG/NBD the simulator draws dropout from, on customer_features' inputs: the
    build's stored fit when its purchase model is BG/NBD, else fitted here (kept by the
    build, so a page does not fit it). ModelNotFitted when it cannot be fitted."""
    stored = value.stored_fits(con, as_of)
    if isinstance(stored, tuple) and type(stored[0]) is BGNBDModel:
        return stored[0]
    customers = _built_inputs(con)
    try:
        data_readiness(customers).require()
        return fit_bgnbd(customers)
    except ModelFitError as error:
        raise ModelNotFitted(error.reason) from error


def fit_loyalty_models(con: duckdb.DuckDBPyConnection) -> LoyaltyModels:
    """Fit both models on customer_features; ModelNotFitted when the data are too thin or
    the fit fails."""
    return _fitted(_built_inputs(con))


def _built_inputs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    try:
        return customer_inputs(con)
    except duckdb.CatalogException as error:
        message = "customer_features is missing: build the derived tables (python -m core build)"
        raise ModelNotFitted(Reason("loyalty_not_built", {}, message)) from error


def _fitted(customers: pd.DataFrame) -> LoyaltyModels:
    try:
        data_readiness(customers).require()
        return LoyaltyModels(customers, fit_bgnbd(customers), fit_gamma_gamma(customers))
    except ModelFitError as error:  # NotReady included: too thin, or the fit's trouble
        raise ModelNotFitted(error.reason) from error


@dataclass(frozen=True, eq=False)
class LoyaltyResult:
    """What `simulate_programme` returns (money in the data's currency, for the whole base).

    summary: one row per MEASURES, columns mean, p5, p95 (over the runs).
    by_tier: per tier (high, medium, low) the means of incremental revenue and margin,
      programme cost (without the fixed cost), points liability, net impact, members and
      subsidy_share.
    monthly: month 1..horizon, cumulative net impact mean, p5, p95.
    cost_parts: one row per COST_PARTS (mean, p5, p95); the means add up to programme_cost.
    payback_month: first month whose mean cumulative net impact is >= 0 and stays so
      (None when it never is, 0 when nothing is spent or gained).
    p_positive: share of runs with net impact > 0.
    subsidy_share: share of the high tier's rewards and discounts paid on purchases members
      would have made anyway.
    customers, sample_size, runs: the base, the customers simulated, the Monte Carlo runs.
    mode: "model" (BG/NBD + Gamma-Gamma per customer) or "simple" (fixed rates per tier
      from history, `simulate_simple`); rates: simple mode's per-tier rates (None in model
      mode), as `SimpleHistory.rates()` gives them, measured over the last `window_days`.
    """

    summary: pd.DataFrame
    by_tier: pd.DataFrame
    monthly: pd.DataFrame
    cost_parts: pd.DataFrame
    payback_month: int | None
    p_positive: float
    subsidy_share: float
    customers: int
    sample_size: int
    runs: int
    mode: str = "model"
    rates: pd.DataFrame | None = None
    window_days: int | None = None

    @property
    def method(self) -> str:
        if self.mode == "simple":
            return (
                f"simple mode: fixed rates per value tier from history, bootstrapped over "
                f"{self.sample_size:,} of {self.customers:,} recent buyers, {self.runs} runs"
            )
        return (
            f"{self.sample_size:,} of {self.customers:,} customers simulated (random sample "
            f"stratified by value tier, each weighted by tier size / tier sample), "
            f"{self.runs} runs"
        )


def stratified_sample(tiers: np.ndarray, size: int, rng: np.random.Generator):
    """Row indices of a random sample stratified by tier and each row's weight (tier size /
    tier sample size). Tiers get a proportional share, at least MIN_PER_TIER rows (or all)."""
    rows, weights = [], []
    n = len(tiers)
    for t in TIERS:
        members = np.flatnonzero(tiers == t)
        if not len(members):
            continue
        k = len(members) if n <= size else max(round(size * len(members) / n), MIN_PER_TIER)
        k = min(k, len(members))
        chosen = np.sort(rng.choice(members, k, replace=False)) if k < len(members) else members
        rows.append(chosen)
        weights.append(np.full(k, len(members) / k))
    return np.concatenate(rows), np.concatenate(weights)


def simulate_programme(
    con: duckdb.DuckDBPyConnection,
    programme: Programme,
    runs: int = 200,
    seed: int = 0,
    models: LoyaltyModels | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> LoyaltyResult:
    """Monte Carlo of `programme` against no programme over the customer base (module
    docstring). Pass `models` (from `loyalty_models`) to skip the fit; ModelNotFitted when
    the model cannot be fitted. The same seed gives the same result."""
    sim, draws = _model_draws(con, programme, runs, seed, models, sample_size)
    return _result(programme, sim.months(draws), sim.customers, sim.sample_size, runs)


def _model_draws(con, programme, runs, seed, models, sample_size):
    """The simulation of `programme` and its random draws (the sample, membership, the
    model parameters and each customer's rates, spend and dropout), before any purchase."""
    if runs < 2:
        raise ValueError("runs must be at least 2")
    models = models or loyalty_models(con)
    rng = np.random.default_rng(seed)
    c = models.customers
    rows, weights = stratified_sample(c["tier"].to_numpy(dtype=object), sample_size, rng)
    s = c.iloc[rows]
    tier_index = np.array([TIERS.index(t) for t in s["tier"]], dtype=int)
    member = rng.random(len(s)) < programme.participation
    bg = models.bgnbd.sample_params(runs, rng)
    gg = models.gg.sample_params(runs, rng)
    sim = _Simulation(programme, s, tier_index, weights, member, rng, len(c))
    return sim, sim.draw(bg, gg)


@dataclass(eq=False)
class _Draws:
    """One simulation's random draws per run (rows) and customer (columns): purchase rate
    `lam` (per week), spend per purchase, the time to dropout without the programme `tau`
    (weeks; 0 when not alive now), the seed of the extra purchases, and what does not
    depend on the uplifts: referred customers' revenue and the baseline exposure sums."""

    lam: np.ndarray
    spend: np.ndarray
    tau: np.ndarray
    extra_seed: int
    new_customer: np.ndarray
    exposure: _ExposureSums | None = None  # made by _Simulation.expected, on first use


class _ExposureSums:
    """Per value tier and run, S(e) = sum over the tier's members of w lam spend min(tau, e)
    for any week e up to `last`: the members sorted by tau within each run, with running
    sums of w lam spend tau and of w lam spend, so S(e) is one binary search per run."""

    def __init__(self, sim: _Simulation, d: _Draws, last: float):
        self.last = last
        self.tiers = []
        member = sim.member > 0
        weight = sim.onehot.sum(axis=1)  # each sampled customer's weight
        for k in range(len(TIERS)):
            cols = member & (sim.tier_index == k)
            value = d.lam[:, cols] * d.spend[:, cols] * weight[cols]
            tau = np.minimum(d.tau[:, cols], last)  # min(tau, e) is the same for e <= last
            order = np.argsort(tau, axis=1)
            tau, value = (np.take_along_axis(x, order, axis=1) for x in (tau, value))
            R, n = tau.shape
            pad = np.zeros((R, 1))
            running_vt = np.hstack([pad, np.cumsum(value * tau, axis=1)])
            running_v = np.hstack([pad, np.cumsum(value, axis=1)])
            alive_value = np.where(tau > 0, value, 0).sum(axis=1)
            # one sorted array for all runs: run r's taus shifted by r (last + 1)
            offset = np.arange(R)[:, None] * (last + 1)
            self.tiers.append(
                (n, (tau + offset).ravel(), offset, running_vt, running_v, alive_value)
            )

    def sums(self, k: int, edges: np.ndarray, retention_uplift: float = 0.0) -> np.ndarray:
        """R x len(edges): S at each edge for tier k, its members' dropout slowed by
        `retention_uplift` (tau x c, c = 1 / (1 - uplift)): c S(e / c), or e x the value
        of the members alive when the uplift is 1 (no dropout)."""
        n, flat, offset, running_vt, running_v, alive_value = self.tiers[k]
        if n == 0:
            return np.zeros((len(offset), len(edges)))
        if retention_uplift >= 1:
            return alive_value[:, None] * edges[None, :]
        c = 1 / (1 - retention_uplift)
        e = edges[None, :] / c  # 1 x edges
        below = np.searchsorted(flat, (e + offset).ravel(), side="left").reshape(-1, len(edges))
        below = below - np.arange(len(offset))[:, None] * n  # members with tau < e, per run
        rows = np.arange(len(offset))[:, None]
        vt, v = running_vt[rows, below], running_v[rows, below]
        return c * (vt + e * (running_v[:, -1:] - v))


class _Simulation:
    """The arrays of one simulation: customers in columns, runs in rows."""

    def __init__(self, programme, s, tier_index, weights, member, rng, customers):
        self.pg = programme
        self.x = s["frequency"].to_numpy(float)
        self.t_x = s["recency"].to_numpy(float)
        self.T = s["T"].to_numpy(float)
        self.m_x = np.maximum(np.where(self.x > 0, s["monetary"].to_numpy(float), 0), 0)
        self.member = member.astype(float)
        self.rng = rng
        self.tier_index = tier_index
        self.customers, self.sample_size = customers, len(s)
        # weighted one-hot: (customers, tiers), so that values @ onehot sums per tier
        self.onehot = np.zeros((len(s), len(TIERS)))
        self.onehot[np.arange(len(s)), tier_index] = weights
        self.members_by_tier = self.member @ self.onehot  # weighted members per tier

    def terms(self, programme: Programme) -> tuple[np.ndarray, ...]:
        """Per customer: the tier's discount, perk cost, purchase and retention uplift."""
        terms = [programme.tier(t) for t in TIERS]
        pick = np.array([[getattr(tt, f) for tt in terms] for f in TierTerms.__dataclass_fields__])
        return tuple(row[self.tier_index] for row in pick)

    def draw(self, bg: pd.DataFrame, gg: pd.DataFrame) -> _Draws:
        """Each run's and customer's rates, spend and time to dropout (module docstring)."""
        rng, x, t_x, T = self.rng, self.x, self.t_x, self.T
        col = lambda frame, name: frame[name].to_numpy()[:, None]  # noqa: E731
        r, alpha, a, b = (col(bg, n) for n in ("r", "alpha", "a", "b"))
        p, q, gam = (col(gg, n) for n in ("p", "q", "gamma"))
        R, n = len(bg), len(x)
        # P(alive | x, t_x, T) per run (Fader, Hardie & Lee 2008)
        log_odds = (
            np.log(a)
            - np.log(b + np.maximum(x - 1, 0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
        p_alive = np.where(x > 0, expit(-log_odds), 1.0)
        alive = rng.random((R, n)) < p_alive
        lam = rng.gamma(r + x, 1.0) / (alpha + T)
        drop = rng.beta(a * np.ones((1, n)), b + x)
        spend = p / (rng.gamma(p * x + q, 1.0) / (gam + x * self.m_x))
        e = rng.exponential(size=(R, n))
        with np.errstate(divide="ignore"):
            tau = np.where(alive, e / (lam * drop), 0.0)
        extra_seed = int(rng.integers(2**63))
        referred = self._referral_revenue(r, alpha, a, b, p, q, gam)
        return _Draws(lam, spend, tau, extra_seed, referred)

    def months(self, d: _Draws, programme: Programme | None = None) -> dict[str, np.ndarray]:
        """Per run, month and tier: incremental revenue, costs and points (arrays R x H x 3),
        purchases drawn (Poisson) for `programme` (default: the one simulated)."""
        pg, rng = programme or self.pg, self.rng
        R, H, W = len(d.lam), pg.horizon_months, WEEKS_PER_MONTH
        discount, _, up, ret = self.terms(pg)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau_prog = np.where(d.tau > 0, d.tau / (1 - ret * self.member), 0.0)
        boost = 1 + up * self.member
        rng_extra = np.random.default_rng(d.extra_seed)
        keys = ("revenue", "paid", "base_paid", "discount", "base_discount")
        out = {k: np.zeros((R, H, len(TIERS))) for k in keys}
        disc = discount * self.member
        lam, spend = d.lam, d.spend
        for m in range(H):
            lo = m * W
            exp_base = np.clip(d.tau - lo, 0, W)
            exp_prog = np.clip(tau_prog - lo, 0, W)
            n_base = rng.poisson(lam * exp_base)
            n_extra = rng_extra.poisson(np.maximum(lam * (exp_prog * boost - exp_base), 0))
            base_rev = n_base * spend
            prog_rev = base_rev + n_extra * spend
            out["revenue"][:, m] = (prog_rev - base_rev) @ self.onehot
            out["paid"][:, m] = (prog_rev * (self.member - disc)) @ self.onehot
            out["base_paid"][:, m] = (base_rev * (self.member - disc)) @ self.onehot
            out["discount"][:, m] = (prog_rev * disc) @ self.onehot
            out["base_discount"][:, m] = (base_rev * disc) @ self.onehot
        out["new_customer"] = d.new_customer
        out["members"] = self.members_by_tier
        return out

    def expected(self, d: _Draws, programme: Programme) -> dict[str, np.ndarray]:
        """As `months`, with every purchase count at its expected value (the Poisson means)
        instead of drawn: the same draws, so a smooth function of the uplifts. `programme`
        may differ from the one simulated in its tier uplifts only.

        Only members' purchases change or carry rewards. A member's expected spend up to
        week e is lam x spend x boost x min(tau_prog, e), where tau_prog = c tau with
        c = 1 / (1 - retention uplift), one c per tier; the month sums are differences at
        the month edges. Per tier and run, S(e) = sum of w lam spend min(tau, e) comes from
        the members sorted by tau (`_ExposureSums`), and the programme's sum is
        boost x c x S(e / c): no pass over the customers per programme."""
        H, W = programme.horizon_months, WEEKS_PER_MONTH
        edges = np.arange(H + 1) * W
        if d.exposure is None:
            d.exposure = _ExposureSums(self, d, edges[-1])
        base, prog = [], []
        for k, tier in enumerate(TIERS):
            terms = programme.tier(tier)
            base.append(d.exposure.sums(k, edges))
            boost = 1 + terms.purchase_uplift
            prog.append(boost * d.exposure.sums(k, edges, terms.retention_uplift))
        base = np.diff(np.stack(base, axis=-1), axis=1)  # R x H x tiers
        prog = np.diff(np.stack(prog, axis=-1), axis=1)
        disc = np.array([programme.tier(t).discount for t in TIERS])
        return {
            "revenue": prog - base,
            "paid": prog * (1 - disc),
            "base_paid": base * (1 - disc),
            "discount": prog * disc,
            "base_discount": base * disc,
            "new_customer": d.new_customer,
            "members": self.members_by_tier,
        }

    def _referral_revenue(self, r, alpha, a, b, p, q, gam) -> np.ndarray:
        """Revenue per run, month and tier from referred customers: a first order in the
        month of the referral, then eq. 9 repeat purchases, at the mean spend p gamma/(q-1)."""
        pg, H = self.pg, self.pg.horizon_months
        out = np.zeros((len(r), H, len(TIERS)))
        if pg.referrals_per_member == 0:
            return out
        weeks = np.arange(H + 1) * WEEKS_PER_MONTH
        new = [
            BGNBDModel(*row).expected_purchases_new(weeks)
            for row in np.column_stack([r, alpha, a, b])
        ]
        cum = np.array(new)  # R x (H + 1)
        per_month = np.diff(cum, axis=1)  # repeat purchases in month k after joining
        mean_spend = (p * gam / np.maximum(q - 1, 1e-9))[:, 0]
        refs = self.members_by_tier * pg.referrals_per_member / 12  # per month, per tier
        for m in range(H):  # referrals made in month m
            out[:, m] += mean_spend[:, None] * refs
            for k in range(m + 1, H):
                out[:, k] += (mean_spend * per_month[:, k - m - 1])[:, None] * refs
        return out


# --- the customers the programme is offered to (the shared filters) ---------------------------


def offered_to(engine: LoyaltyModels | SimpleHistory, customers: np.ndarray | None):
    """`engine` (the fitted models with their inputs, or simple mode's history) with its
    customers limited to the ids `customers` (None: all): the programme offered only to
    them. The models' parameters are those fitted on the whole base, and simple mode's rates
    stay those measured on every recent buyer (`SimpleHistory.measured_on`): a filter chooses
    whom the programme is offered to, never how a tier behaves."""
    if customers is None:
        return engine
    frame = engine.customers
    kept = frame[frame["customer_id"].isin(pd.Index(customers))].reset_index(drop=True)
    kept.attrs = dict(frame.attrs)
    if isinstance(engine, SimpleHistory):
        return dataclasses.replace(engine, customers=kept, measured_on=engine.rate_base)
    return dataclasses.replace(engine, customers=kept)


def tier_customers(
    con: duckdb.DuckDBPyConnection, offered: pd.DataFrame, tier: str
) -> pd.DataFrame:
    """The customers of `offered` (an engine's `customers`: customer_id, tier) in value tier
    `tier`: `customer_id, city, acquisition_channel, stars, predicted_clv` (null until the
    star rating and the value model are built), most valuable first."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}: choose one of {', '.join(TIERS)}")
    ids = offered.loc[offered["tier"] == tier, "customer_id"].to_numpy(dtype=object)
    with with_extras(con), filters.chosen_relation(con, ids):
        return con.execute(
            "select c.customer_id, c.city, c.acquisition_channel, x.stars, x.predicted_clv "
            "from customers as c left join customer_extras as x on x.customer_id = c.customer_id "
            f"where {filters.restricted('c.customer_id')} "
            "order by x.predicted_clv desc nulls last, c.customer_id"
        ).df()


# --- simple mode: fixed rates per tier from history ------------------------------------------

SIMPLE_MIN_HISTORY_DAYS = 60
SIMPLE_MAX_PERIOD_DAYS = 182
MIN_RETENTION_BUYERS = 10  # earlier-period buyers a tier needs for its own retention rate
_HISTORY_SUMS = ("repeat_days", "exposure_days", "purchase_days", "spend", "before", "kept")


class SimpleModeUnavailable(NotReady):
    """Even simple mode cannot run on these data; `reason` says why."""


@dataclass(frozen=True, eq=False)
class SimpleHistory:
    """What simple mode reads: every customer with a purchase day in the 2 x `period_days`
    days up to `as_of` (`core/sql/loyalty_history.sql`) with their value tier as of `as_of`
    (the Stars page's active rules; unrated counts as low).

    Per tier, over those customers (`rates()`):
    - purchases_per_month = repeat purchase days / months from each one's first purchase day
      in the window to as_of (the first day is what put them in the list, so it is not
      counted);
    - spend_per_purchase = net spend / purchase days;
    - monthly_retention = (share of the earlier period's buyers who bought again in the
      later period) ** (days per month / period_days); from all tiers together when a tier
      has fewer than MIN_RETENTION_BUYERS earlier-period buyers (`pooled_retention`).
    These rates stay fixed over the horizon: a customer buys at the tier's rate while
    retained, and the retained share falls by the monthly retention. Every listed customer
    counts as retained at the start. Tiers are today's, and today's high tier is mostly
    customers who came back, so its retention is flattered: show the rates with the result.

    `customers` are those the programme is offered to; `measured_on` (None: `customers`) the
    recent buyers the rates are measured on, every one of them when `offered_to` has
    limited `customers` to the filters' choice."""

    as_of: dt.date
    period_days: int
    customers: pd.DataFrame
    measured_on: pd.DataFrame | None = None

    @property
    def rate_base(self) -> pd.DataFrame:
        """The recent buyers the per-tier rates are measured on."""
        return self.customers if self.measured_on is None else self.measured_on

    def tier_sums(self) -> pd.DataFrame:
        """Per tier (TIERS order, zeros for an empty tier): the customers offered and the
        _HISTORY_SUMS of the rate base."""
        c = self.rate_base
        sums = _history_values(c).groupby(c["tier"]).sum().reindex(TIERS, fill_value=0.0)
        offered = self.customers["tier"].value_counts().reindex(TIERS, fill_value=0)
        sums.insert(0, "customers", offered)
        return sums

    def rates(self) -> pd.DataFrame:
        """Per tier: the customers offered, and the rate base's purchases_per_month,
        spend_per_purchase, monthly_retention and pooled_retention (True when the tier uses
        all tiers' retention)."""
        sums = self.tier_sums()
        values = sums[list(_HISTORY_SUMS)].to_numpy(float)[None]  # 1 x tiers x sums
        lam, spend, hazard, pooled = _simple_rates(values, self.period_days)
        return pd.DataFrame(
            {
                "tier": TIERS,
                "customers": sums["customers"].to_numpy(),
                "purchases_per_month": lam[0],
                "spend_per_purchase": spend[0],
                "monthly_retention": np.exp(-hazard[0]),
                "pooled_retention": pooled,
            }
        )


def _history_values(customers: pd.DataFrame) -> pd.DataFrame:
    """`customers`' _HISTORY_SUMS columns as floats: `before` = bought in the earlier
    period, `kept` = bought in both."""
    return customers.assign(
        before=customers["bought_before"].astype(float),
        kept=(customers["bought_before"] & customers["bought_after"]).astype(float),
    )[list(_HISTORY_SUMS)].astype(float)


def simple_history(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> SimpleHistory:
    """The history simple mode reads, as of `as_of` (default: the last build's as-of date,
    else the last day with a transaction). SimpleModeUnavailable when there are no
    purchases, less than SIMPLE_MIN_HISTORY_DAYS of history, or nobody to measure
    retention on."""
    if as_of is None:
        as_of = db.built_as_of(con)
    [(first, last)] = con.execute(  # no as-of date: all the purchases known
        sql.load("purchase_span", con), {"as_of": as_of or dt.date.max}
    ).fetchall()
    if first is None:
        message = "no customer has bought anything by the as-of date"
        raise SimpleModeUnavailable(Reason("no_buyers", {}, message))
    as_of = as_of or last
    history_days = (as_of - first).days + 1
    if history_days < SIMPLE_MIN_HISTORY_DAYS:
        values = {"have": history_days, "need": SIMPLE_MIN_HISTORY_DAYS}
        message = (
            f"the purchases cover {history_days} days up to the as-of date; simple mode needs "
            f"{SIMPLE_MIN_HISTORY_DAYS} to measure how many customers come back"
        )
        raise SimpleModeUnavailable(Reason("loyalty_simple_short_history", values, message))
    period = min(SIMPLE_MAX_PERIOD_DAYS, history_days // 2)
    customers = con.execute(
        sql.load("loyalty_history", con), {"as_of": as_of, "period_days": period}
    ).df()
    if not customers["bought_before"].any():
        message = f"nobody bought in the first {period} of the last {2 * period} days"
        values = {"period": period, "window": 2 * period}
        raise SimpleModeUnavailable(Reason("loyalty_simple_no_retention", values, message))
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    tiers = pd.Series(stars.value_tier(rated, rules), index=base.frame["customer_id"])
    customers["tier"] = customers["customer_id"].map(tiers).fillna("low").astype(object)
    return SimpleHistory(as_of, period, customers)


def _simple_rates(sums: np.ndarray, period_days: int):
    """Purchase rate per month, spend per purchase and monthly dropout hazard per run and
    tier from `sums` (runs x tiers x _HISTORY_SUMS), and which tiers use pooled retention."""
    repeat, exposure, days, spend, before, kept = np.moveaxis(sums, -1, 0)
    months = exposure / DAYS_PER_MONTH
    lam = np.divide(repeat, months, out=np.zeros_like(repeat), where=months > 0)
    spend = np.maximum(np.divide(spend, days, out=np.zeros_like(spend), where=days > 0), 0)
    pooled = before.mean(axis=0) < MIN_RETENTION_BUYERS  # per tier, the same in every run
    all_before, all_kept = before.sum(axis=1, keepdims=True), kept.sum(axis=1, keepdims=True)
    use_before = np.where(pooled, all_before, before)
    use_kept = np.where(pooled, all_kept, kept)
    retained = np.divide(use_kept, use_before, out=np.zeros_like(kept), where=use_before > 0)
    hazard = -np.log(np.clip(retained, 1e-9, 1)) * DAYS_PER_MONTH / period_days
    return lam, spend, hazard, pooled


def _months_retained(hazard: np.ndarray, months: int) -> np.ndarray:
    """Expected share of month k (1..months) a customer stays, at a constant monthly hazard:
    (runs x tiers) -> runs x months x tiers."""
    k = np.arange(months)[None, :, None]
    h = hazard[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(h > 1e-12, -np.expm1(-h) / h, 1.0)
    return np.exp(-h * k) * share


def simulate_simple(
    con: duckdb.DuckDBPyConnection,
    programme: Programme,
    runs: int = 200,
    seed: int = 0,
    history: SimpleHistory | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> LoyaltyResult:
    """Simple mode, for data too thin for the customer model: `programme` against no
    programme with fixed rates per tier from history (SimpleHistory), applied to its
    `customers`. Each run bootstraps the rate base's customers within each tier (a seeded,
    tier-stratified sample of at most `sample_size` first), re-estimates the tier's rates
    from them and draws monthly Poisson purchases for the members; the programme multiplies
    the tier's purchase rate by 1 + purchase uplift and its dropout hazard by
    1 - retention uplift. Costs, liability and the measures are as in `simulate_programme`;
    the intervals hold the rates' estimation error and the purchases' randomness, not a model
    of each customer."""
    history = history or simple_history(con)
    drawn, _, _ = _engine(con, programme, runs, seed, None, history, sample_size)
    return drawn()


@dataclass(frozen=True, eq=False)
class _SimpleDraws:
    """Simple mode's draws: the history, the sample's size, each run's bootstrapped sums per
    tier (runs x tiers x _HISTORY_SUMS) and rates from them, and the generator the
    purchases are drawn with."""

    history: SimpleHistory
    sample_size: int
    sums: np.ndarray
    lam: np.ndarray
    spend: np.ndarray
    hazard: np.ndarray
    rng: np.random.Generator

    def sizes(self, runs: int) -> tuple[int, int, int]:
        return len(self.history.customers), self.sample_size, runs


def _simple_draws(con, runs, seed, history, sample_size) -> _SimpleDraws:
    if runs < 2:
        raise ValueError("runs must be at least 2")
    rng = np.random.default_rng(seed)
    c = history.rate_base  # the rates are every recent buyer's; the members are the offered
    rows, _ = stratified_sample(c["tier"].to_numpy(dtype=object), sample_size, rng)
    s = c.iloc[rows]
    sampled = _history_values(s).to_numpy()
    sums = np.zeros((runs, len(TIERS), len(_HISTORY_SUMS)))
    for i, tier in enumerate(TIERS):
        values = sampled[(s["tier"] == tier).to_numpy()]
        if len(values):
            draws = rng.multinomial(len(values), np.full(len(values), 1 / len(values)), runs)
            sums[:, i] = draws @ values
    lam, spend, hazard, _ = _simple_rates(sums, history.period_days)
    return _SimpleDraws(history, len(s), sums, lam, spend, hazard, rng)


def _simple_months(pg: Programme, d: _SimpleDraws, expected: bool = False) -> dict:
    """Per run, month and tier: simple mode's incremental revenue, costs and points for
    `pg`; purchases drawn (Poisson), or at their expected numbers when `expected`."""
    H = pg.horizon_months
    terms = [pg.tier(t) for t in TIERS]
    up = np.array([tt.purchase_uplift for tt in terms])
    ret = np.array([tt.retention_uplift for tt in terms])
    disc = np.array([tt.discount for tt in terms])
    c = d.history.customers
    members = c["tier"].value_counts().reindex(TIERS, fill_value=0).to_numpy(float)
    members = members * pg.participation
    lam, hazard = d.lam[:, None, :], d.hazard
    base_rate = members * lam * _months_retained(hazard, H)  # runs x H x tiers
    prog_rate = members * lam * (1 + up) * _months_retained(hazard * (1 - ret), H)
    if expected:
        n_base, n_extra = base_rate, np.maximum(prog_rate - base_rate, 0)
    else:
        n_base = d.rng.poisson(base_rate)
        rng_extra = np.random.default_rng(d.rng.integers(2**63))
        n_extra = rng_extra.poisson(np.maximum(prog_rate - base_rate, 0))
    per = d.spend[:, None, :]
    return {
        "revenue": n_extra * per,
        "paid": (n_base + n_extra) * per * (1 - disc),
        "base_paid": n_base * per * (1 - disc),
        "discount": (n_base + n_extra) * per * disc,
        "base_discount": n_base * per * disc,
        "members": members,
        "new_customer": _simple_referrals(pg, members, d.sums, d.history.period_days),
    }


def _simple_referrals(pg: Programme, members, sums, period_days) -> np.ndarray:
    """Revenue per run, month and tier from referred customers: a first purchase in the
    month of the referral, then repeat purchases at all tiers' pooled rates."""
    H = pg.horizon_months
    out = np.zeros((len(sums), H, len(TIERS)))
    if pg.referrals_per_member == 0:
        return out
    lam, spend, hazard, _ = _simple_rates(sums.sum(axis=1, keepdims=True), period_days)
    repeat = (lam[:, None, :] * _months_retained(hazard, H))[:, :, 0]  # runs x months
    refs = members * pg.referrals_per_member / 12  # per month, per tier
    for m in range(H):  # referrals made in month m
        out[:, m] += spend[:, 0, None] * refs
        for k in range(m + 1, H):
            out[:, k] += (spend[:, 0] * repeat[:, k - m - 1])[:, None] * refs
    return out


def _percentiles(values: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(np.mean(values)),
        "p5": float(np.percentile(values, 5)),
        "p95": float(np.percentile(values, 95)),
    }


def _result(pg: Programme, sim: dict, customers: int, sample: int, runs: int) -> LoyaltyResult:
    """Costs, liability and the measures from the simulated per run x month x tier sums."""
    H = pg.horizon_months
    revenue = sim["revenue"] + sim["new_customer"]
    points = sim["paid"] * pg.earn_rate * pg.redemption_rate * pg.point_value  # redeemable value
    lag = min(pg.redemption_lag_months, pg.expiry_months or pg.redemption_lag_months)
    redeemed = np.zeros_like(points)
    redeemed[:, lag:] = points[:, : H - lag]
    liability = np.cumsum(points, axis=1) - np.cumsum(redeemed, axis=1)  # outstanding at m end
    members = sim["members"]  # per tier (weighted)
    perks = np.array([pg.tier(t).perk_cost for t in TIERS]) * members / 12
    per_member = members / 12
    parts = {
        "rewards_redeemed": redeemed,
        "tier_benefits": sim["discount"] + perks,
        "referral_rewards": np.broadcast_to(
            per_member * pg.referrals_per_member * pg.referral_reward, points.shape
        ),
        "offers": np.broadcast_to(per_member * pg.offer_cost, points.shape),
    }
    fixed = np.full(points.shape[:2], pg.fixed_cost / 12)  # runs x months, no tier
    margin = revenue * pg.gross_margin
    cost_tier = sum(parts.values())  # runs x months x tiers
    cost_month = cost_tier.sum(axis=2) + fixed
    net_month = margin.sum(axis=2) - cost_month
    cum_net = np.cumsum(net_month, axis=1) - liability.sum(axis=2)
    totals = {
        "incremental_revenue": revenue.sum(axis=(1, 2)),
        "incremental_margin": margin.sum(axis=(1, 2)),
        "programme_cost": cost_month.sum(axis=1),
        "points_liability": liability[:, -1].sum(axis=1),
    }
    totals["net_impact"] = cum_net[:, -1]
    spent = totals["programme_cost"] + totals["points_liability"]
    totals["roi"] = np.divide(totals["net_impact"], spent, out=np.zeros(runs), where=spent > 0)
    summary = pd.DataFrame([{"measure": k, **_percentiles(totals[k])} for k in MEASURES])
    part_totals = {k: v.sum(axis=(1, 2)) for k, v in parts.items()} | {"fixed": fixed.sum(1)}
    cost_parts = pd.DataFrame([{"part": k, **_percentiles(part_totals[k])} for k in COST_PARTS])
    rewards = points.sum(axis=1) + sim["discount"].sum(axis=1)  # runs x tiers
    subsidy = sim["base_paid"].sum(
        axis=1
    ) * pg.earn_rate * pg.redemption_rate * pg.point_value + sim["base_discount"].sum(axis=1)
    share = np.divide(subsidy.mean(0), rewards.mean(0), out=np.zeros(3), where=rewards.mean(0) > 0)
    tier_cost = cost_tier.sum(axis=1)
    by_tier = pd.DataFrame(
        {
            "tier": TIERS,
            "members": members,
            "incremental_revenue": revenue.sum(axis=1).mean(0),
            "incremental_margin": margin.sum(axis=1).mean(0),
            "programme_cost": tier_cost.mean(0),
            "points_liability": liability[:, -1].mean(0),
            "net_impact": (margin.sum(axis=1) - tier_cost - liability[:, -1]).mean(0),
            "subsidy_share": share,
        }
    )
    band = np.percentile(cum_net, [5, 95], axis=0)
    monthly = pd.DataFrame(
        {"month": np.arange(1, H + 1), "mean": cum_net.mean(0), "p5": band[0], "p95": band[1]}
    )
    return LoyaltyResult(
        summary=summary,
        by_tier=by_tier,
        monthly=monthly,
        cost_parts=cost_parts,
        payback_month=_payback(monthly["mean"].to_numpy()),
        p_positive=float(np.mean(totals["net_impact"] > 0)),
        subsidy_share=float(share[0]),
        customers=customers,
        sample_size=sample,
        runs=runs,
    )


def _payback(cum_mean: np.ndarray) -> int | None:
    """The first month from which the mean cumulative net impact stays >= 0."""
    if np.allclose(cum_mean, 0):
        return 0
    negative = np.flatnonzero(cum_mean < 0)
    if not len(negative):
        return 1
    last = negative[-1] + 1  # month number of the last negative month
    return None if last == len(cum_mean) else last + 1


# --- how much of the answer is assumption: net impact against the uplift -------------------

SENSITIVITY_SHARES = tuple(i / 5 for i in range(11))  # 0% to 200% of the assumed uplifts
BREAK_EVEN_TOLERANCE = 1e-4  # of the share of the assumed uplifts
OUTCOMES = ("breaks_even", "always", "never", "no_uplift")


@dataclass(frozen=True, eq=False)
class UpliftSensitivity:
    """Net impact against the uplift the programme achieves, as a share of the assumed
    uplifts: every tier's purchase and retention uplift times the share (1 = as assumed;
    `Programme.with_uplift_share`).

    curve: share, purchase_uplift and retention_uplift (the mean over members at that
      share), net_impact (the mean over runs with every purchase count at its expected
      value, on the simulation's own draws: a smooth function of the share).
    outcome: "breaks_even" (net impact turns positive at `break_even` and stays so),
      "pays_below" (it is positive only below `break_even`: extra purchases cost more in
      rewards than they earn), "crosses" (it changes sign more than once; `break_even` the
      first), "free" (nothing is spent until members buy more, so any uplift pays:
      `break_even` 0, where net impact is 0), "always" (positive at every share; `break_even`
      None), "never" (not positive at any share), "flat" (the share does not change net
      impact), "no_uplift" (the programme assumes no uplift, so the share changes nothing).
    break_even: a share at which net impact is zero, within BREAK_EVEN_TOLERANCE: where it
      changes sign (or 0 for "free"); None for the other outcomes.
    assumed: the mean purchase and retention uplift over members as assumed (share 1).
    at_break_even: the same at the break-even share (None without one).
    """

    curve: pd.DataFrame
    outcome: str
    break_even: float | None
    assumed: tuple[float, float]
    at_break_even: tuple[float, float] | None


def _uplift_share(terms: TierTerms, share: float) -> TierTerms:
    return dataclasses.replace(
        terms,
        purchase_uplift=min(terms.purchase_uplift * share, 10.0),
        retention_uplift=min(terms.retention_uplift * share, 1.0),
    )


def _has_uplift(programme: Programme) -> bool:
    terms = [programme.tier(t) for t in TIERS]
    return any(tt.purchase_uplift > 0 or tt.retention_uplift > 0 for tt in terms)


def _engine(con, programme, runs, seed, models, history, sample_size):
    """One set of draws for `programme` (simple mode when `history` is given) and what
    runs on it: `drawn()`, the simulation's result with purchases drawn (call it once: it
    draws them), `expected(pg)`, the result for `pg` (the same programme but for its tier
    uplifts) with every purchase count at its expected value, and the members per tier."""
    if history is not None:
        draws = _simple_draws(con, runs, seed, history, sample_size)
        window = 2 * draws.history.period_days

        def drawn():
            result = _result(programme, _simple_months(programme, draws), *draws.sizes(runs))
            rates = draws.history.rates()
            return dataclasses.replace(result, mode="simple", rates=rates, window_days=window)

        def expected(pg):
            return _result(pg, _simple_months(pg, draws, expected=True), *draws.sizes(runs))

        members = _simple_months(programme, draws, expected=True)["members"]
        return drawn, expected, members
    sim, d = _model_draws(con, programme, runs, seed, models, sample_size)
    sizes = sim.customers, sim.sample_size, runs
    return (
        lambda: _result(programme, sim.months(d), *sizes),
        lambda pg: _result(pg, sim.expected(d, pg), *sizes),
        sim.members_by_tier,
    )


def _net_impact_function(programme, expected):
    def net_impact(share: float) -> float:
        result = expected(programme.with_uplift_share(share))
        return float(result.summary.set_index("measure").loc["net_impact", "mean"])

    return net_impact


def expected_net_impact(
    con: duckdb.DuckDBPyConnection,
    programme: Programme,
    runs: int = 200,
    seed: int = 0,
    models: LoyaltyModels | None = None,
    history: SimpleHistory | None = None,
    sample_size: int = SAMPLE_SIZE,
):
    """The simulator's net impact as a function of the share of the assumed uplifts, and
    the members per tier: `simulate_simple`'s draws when `history` is given, else
    `simulate_programme`'s (the same seed, so the same customers, parameters and rates),
    with every purchase count at its expected value instead of drawn. At share 1 it is the
    simulated mean net impact without the noise of the purchase draws."""
    _, expected, members = _engine(con, programme, runs, seed, models, history, sample_size)
    return _net_impact_function(programme, expected), members


def simulate_with_sensitivity(
    con: duckdb.DuckDBPyConnection,
    programme: Programme,
    runs: int = 200,
    seed: int = 0,
    models: LoyaltyModels | None = None,
    history: SimpleHistory | None = None,
    shares: tuple[float, ...] = SENSITIVITY_SHARES,
    sample_size: int = SAMPLE_SIZE,
) -> tuple[LoyaltyResult, UpliftSensitivity]:
    """`simulate_programme` (`simulate_simple` when `history` is given) and
    `uplift_sensitivity` of `programme` on one set of draws: the same results as the two
    calls, for the cost of drawing once."""
    drawn, expected, members = _engine(con, programme, runs, seed, models, history, sample_size)
    net_impact = _net_impact_function(programme, expected)
    return drawn(), _sensitivity(programme, net_impact, members, shares)


OPENING_PRESET = "points_tiers"  # the preset the Loyalty page opens on
OPENING_RUNS, OPENING_SEED = 200, 0  # the page's Monte Carlo runs and seed


@precompute.page_result(ratings=True, after_commit=True)
def opening_simulation(
    con: duckdb.DuckDBPyConnection, as_of: dt.date
) -> tuple[LoyaltyResult, UpliftSensitivity]:
    """The Loyalty page's opening result, kept by the build: `simulate_with_sensitivity`
    of the OPENING_PRESET programme offered to every buyer, on the fitted models
    (`loyalty_models`) or, when they cannot be fitted, in simple mode as of `as_of`: what
    the page computes with no filter and the preset untouched. After the build's commit:
    the models and tiers are those of the new build."""
    programme, runs, seed = PRESETS[OPENING_PRESET], OPENING_RUNS, OPENING_SEED
    try:
        models = loyalty_models(con)
    except ModelNotFitted:
        history = simple_history(con, as_of)
        return simulate_with_sensitivity(con, programme, runs, seed, history=history)
    return simulate_with_sensitivity(con, programme, runs, seed, models=models)


def kept_simulation(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, programme: Programme, runs: int, seed: int
) -> tuple[LoyaltyResult, UpliftSensitivity] | None:
    """`opening_simulation`'s kept result when `programme`, `runs` and `seed` are its own
    and it is kept for `as_of` (and not stale); else None: the caller simulates."""
    if (programme, runs, seed) != (PRESETS[OPENING_PRESET], OPENING_RUNS, OPENING_SEED):
        return None
    return precompute.kept(opening_simulation, con, as_of)


def uplift_sensitivity(
    con: duckdb.DuckDBPyConnection,
    programme: Programme,
    runs: int = 200,
    seed: int = 0,
    models: LoyaltyModels | None = None,
    history: SimpleHistory | None = None,
    shares: tuple[float, ...] = SENSITIVITY_SHARES,
    sample_size: int = SAMPLE_SIZE,
) -> UpliftSensitivity:
    """Net impact at each of `shares` of the assumed uplifts and the break-even share (the
    root of `expected_net_impact` between the first share with a positive net impact and
    the one before it, by Brent's method). Simple mode when `history` is given."""
    net_impact, members = expected_net_impact(
        con, programme, runs, seed, models, history, sample_size
    )
    return _sensitivity(programme, net_impact, members, shares)


def _sensitivity(programme, net_impact, members, shares) -> UpliftSensitivity:
    shares = np.asarray(shares, dtype=float)
    values = np.array([net_impact(s) for s in shares])
    weight = np.asarray(members, dtype=float)
    weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(TIERS), 1 / len(TIERS))

    def mean_uplifts(share: float) -> tuple[float, float]:
        terms = [_uplift_share(programme.tier(t), share) for t in TIERS]
        purchase = np.array([tt.purchase_uplift for tt in terms])
        retention = np.array([tt.retention_uplift for tt in terms])
        return float(purchase @ weight), float(retention @ weight)

    uplifts = np.array([mean_uplifts(s) for s in shares]).reshape(-1, 2)
    curve = pd.DataFrame(
        {
            "share": shares,
            "purchase_uplift": uplifts[:, 0],
            "retention_uplift": uplifts[:, 1],
            "net_impact": values,
        }
    )
    outcome, break_even = _break_even(net_impact, shares, values, programme)
    at_break_even = None if break_even is None else mean_uplifts(break_even)
    return UpliftSensitivity(curve, outcome, break_even, mean_uplifts(1.0), at_break_even)


def _costs_nothing_without_uplift(programme: Programme) -> bool:
    """No cost is paid unless members buy more: no fixed, offer or referral cost, no perk,
    and no reward (points or discount) on the purchases members make anyway."""
    terms = [programme.tier(t) for t in TIERS]
    points = programme.earn_rate * programme.point_value * programme.redemption_rate
    referrals = programme.referral_reward * programme.referrals_per_member
    return not (
        programme.fixed_cost
        or programme.offer_cost
        or points
        or referrals
        or any(tt.discount or tt.perk_cost for tt in terms)
    )


def _break_even(net_impact, shares, values, programme) -> tuple[str, float | None]:
    """The outcome (UpliftSensitivity) and the break-even share, if any: each change of
    sign of net impact between two shares is found by Brent's method."""
    if not _has_uplift(programme):
        return "no_uplift", None
    scale = max(float(np.abs(values).max()), 1.0)
    if np.ptp(values) <= 1e-9 * scale:
        return "flat", None
    positive = values > 0
    starts_at_zero = shares[0] == 0 and abs(values[0]) <= 1e-9 * scale
    if starts_at_zero and positive[1:].all():
        # nothing gained or spent without uplift, then a gain: a break-even at 0 on the curve
        return ("free" if _costs_nothing_without_uplift(programme) else "breaks_even"), 0.0
    if positive.all():
        return "always", None
    if not positive.any():
        return "never", None
    changes = np.flatnonzero(positive[1:] != positive[:-1])
    roots = []
    for i in changes:
        lo, hi = shares[i], shares[i + 1]
        if values[i] == 0:
            roots.append(float(lo))
        else:
            roots.append(float(brentq(net_impact, lo, hi, xtol=BREAK_EVEN_TOLERANCE)))
    if len(roots) > 1:
        return "crosses", roots[0]
    return ("breaks_even" if positive[-1] else "pays_below"), roots[0]


# --- saved scenarios -------------------------------------------------------------------------


def result_summary(result: LoyaltyResult) -> dict:
    """What a saved scenario keeps of a result: each measure's mean, p5 and p95, the mode
    (model or simple), the chance of a positive net impact, the payback month and the high
    tier's subsidy share."""
    measures = {
        row["measure"]: {k: float(row[k]) for k in ("mean", "p5", "p95")}
        for row in result.summary.to_dict("records")
    }
    return {
        "measures": measures,
        "mode": result.mode,
        "p_positive": result.p_positive,
        "payback_month": result.payback_month,
        "subsidy_share": result.subsidy_share,
    }


def save_scenario(
    con: duckdb.DuckDBPyConnection,
    name: str,
    programme: Programme,
    result_summary: dict,
    saved_by: str | None = None,
) -> None:
    """Save (or overwrite) the scenario `name`: the programme and its result summary."""
    name = name.strip()
    if not name:
        raise ValueError("a scenario needs a name")
    con.execute(
        "insert or replace into scenarios (name, programme_json, result_json, saved_by, saved_at) "
        "values (?, ?, ?, ?, current_timestamp)",
        [name, json.dumps(programme.to_dict()), json.dumps(result_summary), saved_by],
    )


def saved_scenarios(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The saved scenarios, newest first: name, programme (a Programme), summary (the dict
    given to save_scenario), saved_by, saved_at."""
    rows = con.execute(
        "select name, programme_json, result_json, saved_by, saved_at from scenarios "
        "order by saved_at desc, name"
    ).fetchall()
    return [
        {
            "name": name,
            "programme": Programme.from_dict(json.loads(programme)),
            "summary": json.loads(summary) if summary else {},
            "saved_by": saved_by,
            "saved_at": saved_at,
        }
        for name, programme, summary, saved_by, saved_at in rows
    ]


def tier_counts(offered: pd.DataFrame, result: LoyaltyResult) -> pd.DataFrame:
    """Per tier (TIERS order): the customers offered the programme and the members expected
    among them (the simulation's weighted members)."""
    customers = offered["tier"].value_counts().reindex(list(TIERS), fill_value=0)
    members = result.by_tier.set_index("tier")["members"].reindex(list(TIERS), fill_value=0.0)
    return pd.DataFrame(
        {"tier": list(TIERS), "customers": customers.to_numpy(), "members": members.to_numpy()}
    )
