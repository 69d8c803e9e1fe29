"""Customer value for the dashboard and the build: predictive and formula CLV per customer,
totals with intervals, groups, the distribution and the top customers.

    models = fit_value_models(con, as_of)          # BG/NBD + Gamma-Gamma, once per as-of
    values = customer_values(con, models, settings)  # one row per buyer

Two lifetime values sit side by side, each with its inputs visible:

- predictive CLV (`core.clv.clv`): margin x expected spend per purchase (Gamma-Gamma) x
  expected purchases month by month (BG/NBD), discounted, over `horizon_months`;
- formula CLV (`core.clv.formula_clv`, the seed formula): average order value x purchases
  per year x expected years retained - acquisition cost. The order value is taken at the
  same margin as the predictive CLV so the two compare like for like (margin = 1 gives the
  seed formula as written); expected years retained default to 1 / (1 - the share of last
  year's buyers who bought again this year).

Intervals of totals come from parameter uncertainty on a seeded random sample of customers
(`core.clv.representative_sample`, `scaled_total`); the top customers get their own.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import churn, db, model_choice, sql
from core import filters as core_filters
from core import settings as business_settings
from core.clv import (
    BGNBDModel,
    GammaGammaModel,
    ModelFitError,
    Readiness,
    Reason,
    btyd_summary,
    clv,
    clv_interval,
    data_readiness,
    expected_purchases,
    expected_purchases_interval,
    fit_gamma_gamma,
    formula_clv,
    representative_sample,
    scaled_total,
)
from core.purchase_models import MBGNBDModel, ParetoNBDModel, fit_purchase_model, model_name

DEFAULT_MARGIN = 0.30  # when the transactions carry no cost
DEFAULT_YEARS_RETAINED = 3.0  # when there are not two years of history
MAX_YEARS_RETAINED = 10.0
INTERVAL_SAMPLE = 2_000  # customers the interval of a total is estimated on
INTERVAL_DRAWS = 100  # parameter sets drawn for an interval
TIERS = ("stars", "segment")  # customer_features columns to group by once they exist
# what add_model_outputs adds to customer_features (core/sql/customer_features_models.sql)
MODEL_COLUMNS = (
    "btyd_frequency",
    "btyd_recency_weeks",
    "btyd_t_weeks",
    "btyd_monetary",
    "p_alive",
    "expected_purchases_12m",
    "predicted_clv_12m",
    "churn_risk",
)


@dataclass(frozen=True)
class ValueSettings:
    """The CLV knobs: horizon (months), annual discount rate, margin (share of revenue) and,
    for the formula CLV, the expected years a customer stays."""

    horizon_months: int = 12
    discount_rate_annual: float = 0.10
    margin: float = DEFAULT_MARGIN
    years_retained: float = DEFAULT_YEARS_RETAINED

    def __post_init__(self):
        checks = {
            "horizon_months": 1 <= self.horizon_months <= 120,
            "discount_rate_annual": 0 <= self.discount_rate_annual <= 1,
            "margin": 0 <= self.margin <= 1,
            "years_retained": 0 <= self.years_retained <= 50,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name} is out of range: {getattr(self, name)!r}")


@dataclass(frozen=True)
class ValueDefaults:
    """What the data say about the CLV inputs, over the 12 months up to the as-of date:
    `margin_rate` (None without costs) and `retention_rate` (None without two years)."""

    margin_rate: float | None
    retention_rate: float | None

    @property
    def margin(self) -> float:
        if self.margin_rate is None or not 0 <= self.margin_rate <= 1:
            return DEFAULT_MARGIN
        return self.margin_rate

    @property
    def years_retained(self) -> float:
        """1 / (1 - retention), the mean of a geometric lifetime, within 1 to 10 years."""
        if self.retention_rate is None:
            return DEFAULT_YEARS_RETAINED
        years = 1 / max(1 - self.retention_rate, 1 / MAX_YEARS_RETAINED)
        return float(min(max(years, 1.0), MAX_YEARS_RETAINED))

    def settings(self, **overrides) -> ValueSettings:
        base = {"margin": round(self.margin, 2), "years_retained": round(self.years_retained, 1)}
        return ValueSettings(**{**base, **overrides})


def value_defaults(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ValueDefaults:
    """The data's margin and retention rates as of `as_of` (`core/sql/value_defaults.sql`)."""
    [(margin, retention)] = con.execute(
        sql.load("value_defaults", con), {"as_of": as_of}
    ).fetchall()
    return ValueDefaults(
        margin_rate=None if margin is None else float(margin),
        retention_rate=None if retention is None else float(retention),
    )


@dataclass(frozen=True, eq=False)
class ValueModels:
    """BG/NBD and Gamma-Gamma fitted on the BTYD summary (in weeks) as of `as_of`. The
    build may put another purchase model of `core.purchase_models` in `bgnbd` (the one
    its model choice chose; `purchase_models.model_name` says which): everything that
    reads it takes any of them."""

    as_of: dt.date
    summary: pd.DataFrame
    readiness: Readiness
    bgnbd: BGNBDModel
    gg: GammaGammaModel


def fit_value_models(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, purchase_model: str | None = None
) -> ValueModels:
    """Fit both models as of `as_of`, the purchase model `purchase_model` (default: the one
    in use, `purchase_model_in_use`). Raises NotReady (the data are too thin, with the
    reason) or ModelFitError (the fit failed, with what to do)."""
    summary = btyd_summary(con, as_of, unit="weeks")
    readiness = data_readiness(summary)
    readiness.require()
    fitted = fit_purchase_model(purchase_model or purchase_model_in_use(con), summary)
    return ValueModels(as_of, summary, readiness, fitted, fit_gamma_gamma(summary))


def purchase_model_in_use(con: duckdb.DuckDBPyConnection) -> str:
    """The purchase model the pages fit on any date: the one the last build chose
    (`stored_choice`), else the setting's (BG/NBD when it is automatic)."""
    choice = stored_choice(con)
    if choice is not None:
        return choice.model
    setting = business_settings.get(con, "purchase_model")
    return "bgnbd" if setting == model_choice.AUTOMATIC else setting


def customer_values(
    con: duckdb.DuckDBPyConnection, models: ValueModels, settings: ValueSettings
) -> pd.DataFrame:
    """One row per customer with an order (stg_orders: net value >= 0) by the as-of date:

    `customer_id, city, acquisition_channel` (and `stars`, `segment` when customer_features
    has them), `first_purchase_on, last_purchase_on, count_orders, revenue`; the formula
    inputs `aov, purchases_per_year, years_retained, margin, acquisition_cost` and
    `formula_clv`; the model outputs `p_alive`, `expected_purchases` (over the horizon),
    `expected_spend` (per purchase), `predicted_clv` and `value_if_retained` (the CLV of
    the customer were they known to be active: `clv(..., if_alive=True)`).
    """
    inputs = customer_inputs(con, models.as_of)
    s = models.summary
    args = (settings.horizon_months, settings.discount_rate_annual, settings.margin)
    predicted = clv(models.bgnbd, models.gg, s, *args)
    p_alive = models.bgnbd.probability_alive(s["frequency"], s["recency"], s["T"])
    predicted = predicted.assign(p_alive=np.asarray(p_alive, dtype=float).reshape(-1))
    values = inputs.merge(predicted, on="customer_id", how="inner").rename(
        columns={"clv": "predicted_clv"}
    )
    values["years_retained"] = settings.years_retained
    values["margin"] = settings.margin
    values["formula_clv"] = formula_clv(
        values["aov"] * settings.margin,
        values["purchases_per_year"],
        settings.years_retained,
        values["acquisition_cost"],
    )
    retained = clv(models.bgnbd, models.gg, s, *args, if_alive=True)
    values["value_if_retained"] = values["customer_id"].map(
        retained.set_index("customer_id")["clv"]
    )
    tiers = tier_columns(con)
    if tiers is not None:
        values = values.merge(tiers, on="customer_id", how="left")
    return values


# --- the same values for a page: the knobs without refitting -------------------------------
# `customer_values` and `value_totals` define the figures; a page moving a knob gets them
# from these steps instead, each cached on what it depends on: who the customers are
# (`customer_base`, once per as-of date), what the models say over a horizon at a discount
# rate (`model_values` per customer, `sample_totals` for the intervals: the costly parts, at
# a margin of 1) and the knobs that only scale or add (`priced_values`, `priced_totals`:
# margin and years retained). Value is linear in the
# margin, so the figures agree with the definition to rounding (tests: 1e-12 relative).


@dataclass(frozen=True, eq=False)
class CustomerBase:
    """The buyers `customer_values` lists, in its order: `frame` holds who they are and the
    formula inputs (`customer_inputs`), `rows` each one's row in the models' summary and
    `tiers` the TIERS columns (None when customer_features has none)."""

    frame: pd.DataFrame
    rows: np.ndarray
    tiers: pd.DataFrame | None


def customer_base(
    con: duckdb.DuckDBPyConnection, models: ValueModels, inputs: pd.DataFrame | None = None
) -> CustomerBase:
    """The `CustomerBase` of `models` (`inputs`: `customer_inputs` as of its date, read
    here when not given)."""
    inputs = customer_inputs(con, models.as_of) if inputs is None else inputs
    position = pd.Index(models.summary["customer_id"]).get_indexer(inputs["customer_id"])
    kept = position >= 0
    frame = inputs[kept].reset_index(drop=True)
    tiers = tier_columns(con)
    if tiers is not None:
        tiers = frame[["customer_id"]].merge(tiers, on="customer_id", how="left")
        tiers = tiers.drop(columns="customer_id")
    return CustomerBase(frame, position[kept], tiers)


@dataclass(frozen=True, eq=False)
class ModelValues:
    """What the models say per summary row over `horizon_months` at `discount_rate_annual`,
    at a margin of 1: arrays `p_alive`, `expected_purchases` (over the horizon),
    `expected_spend` (per purchase) and `value_if_retained` (the discounted value were the
    customer known to be active)."""

    horizon_months: int
    discount_rate_annual: float
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray
    value_if_retained: np.ndarray


def model_values(
    models: ValueModels, horizon_months: int, discount_rate_annual: float
) -> ModelValues:
    """The `ModelValues` of `models`: `core.clv.clv` for an active customer, once (the
    predicted CLV is that times P(alive))."""
    s = models.summary
    args = (horizon_months, discount_rate_annual, 1.0)
    retained = clv(models.bgnbd, models.gg, s, *args, if_alive=True)
    p_alive = models.bgnbd.probability_alive(s["frequency"], s["recency"], s["T"])
    p_alive = np.asarray(p_alive, dtype=float).reshape(-1)
    return ModelValues(
        horizon_months=horizon_months,
        discount_rate_annual=discount_rate_annual,
        p_alive=p_alive,
        expected_purchases=retained["expected_purchases"].to_numpy() * p_alive,
        expected_spend=retained["expected_spend"].to_numpy(),
        value_if_retained=retained["clv"].to_numpy(),
    )


@dataclass(frozen=True)
class SampleTotals:
    """The totals of `value_totals`' interval sample over `horizon_months` at
    `discount_rate_annual`, at a margin of 1: `clv` and `expected_purchases` (point, p5,
    p50, p95), and how many `customers` the sample holds."""

    horizon_months: int
    discount_rate_annual: float
    clv: dict[str, float]
    expected_purchases: dict[str, float]
    customers: int


def sample_totals(
    models: ValueModels,
    horizon_months: int,
    discount_rate_annual: float,
    sample: int = INTERVAL_SAMPLE,
    draws: int = INTERVAL_DRAWS,
    seed: int = 0,
) -> SampleTotals:
    """The intervals of `value_totals` on their seeded sample, at a margin of 1."""
    part = representative_sample(models.summary, sample, seed)
    args = (horizon_months, discount_rate_annual, 1.0)
    value_iv = clv_interval(models.bgnbd, models.gg, part, *args, n=draws, rng=seed)
    t = horizon_months * 365.25 / 12 / 7
    purchases_iv = expected_purchases_interval(models.bgnbd, part, t, n=draws, rng=seed)
    return SampleTotals(
        horizon_months, discount_rate_annual, value_iv.total, purchases_iv.total, len(part)
    )


def priced_values(base: CustomerBase, model: ModelValues, settings: ValueSettings) -> pd.DataFrame:
    """`customer_values` at `settings` from its parts (the horizon and discount rate of
    `model`): the same rows and columns, in the same order."""
    _check_knobs(model, settings)
    rows = base.rows
    retained = model.value_if_retained[rows] * settings.margin
    values = base.frame.assign(
        expected_purchases=model.expected_purchases[rows],
        expected_spend=model.expected_spend[rows],
        predicted_clv=retained * model.p_alive[rows],
        p_alive=model.p_alive[rows],
        years_retained=settings.years_retained,
        margin=settings.margin,
    )
    values["formula_clv"] = formula_clv(
        values["aov"] * settings.margin,
        values["purchases_per_year"],
        settings.years_retained,
        values["acquisition_cost"],
    )
    values["value_if_retained"] = retained
    if base.tiers is not None:
        values = pd.concat([values, base.tiers], axis=1)
    return values


def priced_totals(
    values: pd.DataFrame, totals: SampleTotals, settings: ValueSettings
) -> ValueTotals:
    """`value_totals` of `priced_values(..., settings)`: the intervals' relative width does
    not depend on the margin, so the sample's totals at a margin of 1 carry over."""
    _check_knobs(totals, settings)
    return ValueTotals(
        customers=len(values),
        predicted_clv=scaled_total(totals.clv, "clv", values["predicted_clv"].sum()),
        expected_purchases=scaled_total(
            totals.expected_purchases, "expected_purchases", values["expected_purchases"].sum()
        ),
        formula_clv=float(values["formula_clv"].sum()),
        interval_customers=totals.customers,
    )


def _check_knobs(model: ModelValues | SampleTotals, settings: ValueSettings) -> None:
    knobs = (settings.horizon_months, settings.discount_rate_annual)
    if knobs != (model.horizon_months, model.discount_rate_annual):
        raise ValueError(
            f"the model values are for {model.horizon_months} months at "
            f"{model.discount_rate_annual:g} a year, the settings ask {knobs[0]} at {knobs[1]:g}"
        )


def tier_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """`customer_id` and whichever of TIERS customer_features holds, or None."""
    have = db.columns(con, "customer_features")
    present = [name for name in TIERS if name in have]
    if not present:
        return None
    columns = ", ".join(present)  # names from TIERS only
    return con.execute(f"select customer_id, {columns} from customer_features").df()


def groupings(values: pd.DataFrame) -> list[str]:
    """The columns the value can be grouped by, best first: star tier and segment when they
    have been built, else the acquisition channel."""
    found = [name for name in TIERS if name in values.columns and values[name].notna().any()]
    return [*found, "acquisition_channel"]


@dataclass(frozen=True)
class ValueTotals:
    """Totals over the customers of `customer_values`, with the 5th-95th percentile range
    from parameter uncertainty: `predicted_clv` and `expected_purchases` are dicts with the
    point estimate under their own name and p5, p50, p95. `interval_customers` says how
    many customers the intervals were estimated on."""

    customers: int
    predicted_clv: dict[str, float]
    expected_purchases: dict[str, float]
    formula_clv: float
    interval_customers: int


def value_totals(
    values: pd.DataFrame,
    models: ValueModels,
    settings: ValueSettings,
    sample: int = INTERVAL_SAMPLE,
    draws: int = INTERVAL_DRAWS,
    seed: int = 0,
) -> ValueTotals:
    """Totals and their intervals (on a seeded sample of `sample` customers)."""
    part = representative_sample(models.summary, sample, seed)
    args = (settings.horizon_months, settings.discount_rate_annual, settings.margin)
    value_iv = clv_interval(models.bgnbd, models.gg, part, *args, n=draws, rng=seed)
    t = settings.horizon_months * 365.25 / 12 / 7
    purchases_iv = expected_purchases_interval(models.bgnbd, part, t, n=draws, rng=seed)
    return ValueTotals(
        customers=len(values),
        predicted_clv=scaled_total(value_iv.total, "clv", values["predicted_clv"].sum()),
        expected_purchases=scaled_total(
            purchases_iv.total, "expected_purchases", values["expected_purchases"].sum()
        ),
        formula_clv=float(values["formula_clv"].sum()),
        interval_customers=len(part),
    )


def top_customers(
    values: pd.DataFrame,
    models: ValueModels,
    settings: ValueSettings,
    n: int = 20,
    draws: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """The `n` customers of highest predicted CLV, with `clv_p5` and `clv_p95` (parameter
    uncertainty), highest first."""
    top = values.nlargest(n, "predicted_clv")
    part = models.summary[models.summary["customer_id"].isin(top["customer_id"])]
    part.attrs = dict(models.summary.attrs)
    iv = clv_interval(
        models.bgnbd,
        models.gg,
        part.reset_index(drop=True),
        settings.horizon_months,
        settings.discount_rate_annual,
        settings.margin,
        n=draws,
        rng=seed,
    ).customers[["customer_id", "clv_p5", "clv_p95"]]
    return top.merge(iv, on="customer_id", how="left").reset_index(drop=True)


def clv_by_group(values: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per value of `by` (a column of `customer_values`): `group, customers`, total and
    mean `predicted_clv`, mean `formula_clv` and the mean formula inputs, most valuable
    group first."""
    if by not in values.columns:
        raise ValueError(f"cannot group by {by!r}: the values have no such column")
    keys = values[by].astype(object).where(values[by].notna(), "unknown")
    table = (
        values.assign(group=keys)
        .groupby("group", as_index=False)
        .agg(
            customers=("customer_id", "size"),
            predicted_clv_total=("predicted_clv", "sum"),
            predicted_clv=("predicted_clv", "mean"),
            formula_clv=("formula_clv", "mean"),
            aov=("aov", "mean"),
            purchases_per_year=("purchases_per_year", "mean"),
            acquisition_cost=("acquisition_cost", "mean"),
            p_alive=("p_alive", "mean"),
        )
    )
    return table.sort_values("predicted_clv_total", ascending=False, ignore_index=True)


def distribution(values: pd.DataFrame, column: str, bins: int = 30, top: float = 0.99):
    """A histogram of `column` as a table `lower, upper, customers`: `bins` equal bins from
    the minimum to the `top` quantile, the customers above it counted in the last bin (so
    a few very large values do not squash the chart)."""
    x = values[column].to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return pd.DataFrame({"lower": [], "upper": [], "customers": []})
    low, high = float(x.min()), float(np.quantile(x, top))
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    counts, _ = np.histogram(np.clip(x, low, high), edges)
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "customers": counts})


def group_customers(values: pd.DataFrame, by: str, key: str) -> pd.DataFrame:
    """The rows of `values` in the group `key` of `by` as `clv_by_group` names it
    ("unknown": no value; keys compared as text, so a star 5 is "5"), highest predicted
    CLV first: the customers behind one bar of the value by group."""
    if by not in values.columns:
        raise ValueError(f"cannot group by {by!r}: the values have no such column")
    keys = values[by].astype(object).where(values[by].notna(), "unknown").astype(str)
    chosen = values[keys.to_numpy() == str(key)]
    return chosen.sort_values("predicted_clv", ascending=False, kind="stable", ignore_index=True)


def band_customers(
    values: pd.DataFrame, column: str, hist: pd.DataFrame, band: int
) -> pd.DataFrame:
    """The rows of `values` counted in row `band` of `hist` (`distribution(values, column)`):
    `lower <= value < upper`, the last band everything from its lower edge up (as the
    histogram counts them), highest `column` first."""
    if not 0 <= band < len(hist):
        raise ValueError(f"band {band} is not a row of the distribution ({len(hist)} rows)")
    x = values[column].to_numpy(dtype=float, na_value=np.nan)
    inside = x >= hist["lower"].iloc[band]
    if band < len(hist) - 1:
        inside &= x < hist["upper"].iloc[band]
    chosen = values[inside]
    return chosen.sort_values(column, ascending=False, kind="stable", ignore_index=True)


# --- the build step: model outputs in customer_features -----------------------------------


@dataclass(frozen=True, eq=False)
class ModelOutputs:
    """Per customer with a purchase, the MODEL_COLUMNS (null where a model did not run), and
    why a model did not run: `reasons` maps "p_alive" (BG/NBD: P(alive) and expected
    purchases), "clv" (BG/NBD + Gamma-Gamma: predicted CLV) and "churn" to the Reason, or
    None when it ran. What the pages read is kept too: `models` (as `fit_value_models`
    gives them, or why it would fail) and `churn` (`churn.churn_risks` per standard
    horizon)."""

    frame: pd.DataFrame
    reasons: dict[str, Reason | None]
    models: ValueModels | Reason | None = None
    churn: dict[int, churn.ChurnResult | Reason] = field(default_factory=dict)
    defaults: ValueDefaults | None = None  # the data's margin and retention, when read
    choice: model_choice.BuildChoice | None = None  # the purchase model used, and why
    purchase_fit: object | None = None  # that model's fit when it predicts (even without spend)


def model_outputs(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ModelOutputs:
    """The BTYD summary, P(alive), expected purchases and predicted CLV over 12 months (at
    the data's margin, 10% a year discount) and the churn classifier's risk for the next 90
    days, per customer with a purchase by `as_of`. BG/NBD alone gives P(alive) and the
    expected purchases when Gamma-Gamma cannot be fitted (CLV then stays empty). The churn
    classifier runs for every standard horizon (`churn.HORIZONS`), with its quality.

    The BTYD models are fitted in a thread of their own while the churn step reads its
    features and trains its classifiers: the two share nothing but the data read first."""
    summary = btyd_summary(con, as_of, unit="weeks")
    defaults = value_defaults(con, as_of)
    setting = business_settings.get(con, "purchase_model")
    choice = model_choice.build_choice(con, as_of, setting)  # reads on con: before the thread
    frames = churn.FeatureFrames(con, churn.ChurnSettings().active_days)
    with ThreadPoolExecutor(1) as pool:
        fitted = pool.submit(_btyd_outputs, summary, as_of, defaults, choice.model)
        results = churn.churn_risks(con, as_of, frames=frames)
        frame, reasons, models, purchase_fit = fitted.result()
    standard = results[churn.ChurnSettings().horizon_days]
    if isinstance(standard, Reason):
        reasons["churn"] = standard
    else:
        frame["churn_risk"] = _by_customer(standard.scores, "churn_risk", frame["customer_id"])
    return ModelOutputs(frame, reasons, models, results, defaults, choice, purchase_fit)


def _by_customer(table: pd.DataFrame, column: str, customers: pd.Series) -> np.ndarray:
    """`column` of `table` (unique customer_id) for each of `customers`, NaN for one not in
    it: the customers looked up in one hashed pass of Arrow's (a Series.map of strings
    takes twice as long)."""
    position = pc.index_in(
        pa.array(customers.astype("str").array),
        value_set=pa.array(table["customer_id"].astype("str").array),
    ).to_numpy(zero_copy_only=False)
    found = ~np.isnan(position)
    values = np.full(len(customers), np.nan)
    values[found] = table[column].to_numpy(dtype=float)[position[found].astype(np.int64)]
    return values


def _btyd_outputs(
    summary: pd.DataFrame, as_of: dt.date, defaults: ValueDefaults, purchase_model: str = "bgnbd"
) -> tuple[pd.DataFrame, dict[str, Reason | None], ValueModels | Reason, object | None]:
    """`model_outputs`' frame with its BTYD columns (churn_risk empty), the reasons a model
    did not run ("churn" None), the models and the purchase model's fit when it gave the
    P(alive) and expected purchases (None otherwise), from the summary and the data's
    defaults, with `purchase_model` (`core.purchase_models.fit_purchase_model`'s name)."""
    frame = pd.DataFrame(
        {
            "customer_id": summary["customer_id"],
            "btyd_frequency": summary["frequency"].astype(float),
            "btyd_recency_weeks": summary["recency"],
            "btyd_t_weeks": summary["T"],
            "btyd_monetary": summary["monetary"],
        }
    )
    for name in ("p_alive", "expected_purchases_12m", "predicted_clv_12m", "churn_risk"):
        frame[name] = np.nan
    reasons: dict[str, Reason | None] = {"p_alive": None, "clv": None, "churn": None}
    models: ValueModels | Reason
    try:
        readiness = data_readiness(summary)
        readiness.require()
        bgnbd = fit_purchase_model(purchase_model, summary)
    except ModelFitError as error:  # NotReady included
        reasons["p_alive"] = reasons["clv"] = models = error.reason
        return frame, reasons, models, None
    try:
        expected = expected_purchases(bgnbd, summary, 12)
    except ModelFitError as error:
        reasons["p_alive"] = reasons["clv"] = error.reason
        expected = None
    try:
        gg = fit_gamma_gamma(summary)
    except ModelFitError as error:
        models = error.reason
        reasons["clv"] = reasons["clv"] or error.reason
    else:
        models = ValueModels(as_of, summary, readiness, bgnbd, gg)
    if expected is not None:
        frame["p_alive"] = bgnbd.probability_alive(
            summary["frequency"], summary["recency"], summary["T"]
        )
        frame["expected_purchases_12m"] = expected
        if isinstance(models, ValueModels):
            settings = defaults.settings()
            args = (12, settings.discount_rate_annual, settings.margin)
            try:
                frame["predicted_clv_12m"] = clv(bgnbd, gg, summary, *args)["clv"].to_numpy()
            except ModelFitError as error:
                reasons["clv"] = error.reason
    return frame, reasons, models, bgnbd if expected is not None else None


def add_model_outputs(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ModelOutputs:
    """The build step: join `model_outputs` into customer_features; `.reasons` says why a
    model did not run (core.build stores them as the results' status). The table is written
    again with the columns joined: at 1M customers 0.6 s, where adding the columns and
    filling them by one `update` took 16-18 s (DuckDB 2.0)."""
    outputs = model_outputs(con, as_of)
    con.register("model_outputs", outputs.frame)
    try:
        con.execute(
            "create or replace table customer_features as " + sql.load("customer_features_models")
        )
    finally:
        con.unregister("model_outputs")
    return outputs


@dataclass(frozen=True)
class FormulaTotals:
    """What needs no model: `customers` with an order, their `orders`, `revenue` (net of
    refunds), `aov` (revenue / orders) and the formula CLV summed at `settings`."""

    customers: int
    orders: int
    revenue: float
    aov: float | None
    formula_clv: float


def formula_totals(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: ValueSettings,
    customers: np.ndarray | None = None,
) -> FormulaTotals:
    """The formula side of customer value, for a page whose models cannot run: of the
    `customers` (ids) alone when given."""
    inputs = core_filters.keep(customer_inputs(con, as_of), customers)
    orders = int(inputs["count_orders"].sum())
    revenue = float(inputs["revenue"].sum())
    total = formula_clv(
        inputs["aov"] * settings.margin,
        inputs["purchases_per_year"],
        settings.years_retained,
        inputs["acquisition_cost"],
    )
    return FormulaTotals(
        customers=len(inputs),
        orders=orders,
        revenue=revenue,
        aov=revenue / orders if orders else None,
        formula_clv=float(np.sum(total)),
    )


def customer_inputs(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """Who each buyer is and the formula inputs, without any model
    (`core/sql/customer_value_inputs.sql`): for lists when the models cannot run."""
    return con.execute(sql.load("customer_value_inputs", con), {"as_of": as_of}).df()


# --- what core build stores for the Value and Churn risk pages ----------------------------

STORED_TABLES = ("value_models", "value_summary", "value_inputs")


def store_page_inputs(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, outputs: ModelOutputs
) -> None:
    """The build step after `add_model_outputs`: store what the pages read as of `as_of`,
    so that a page on the build's date fits nothing: `value_models` (BG/NBD and Gamma-Gamma
    with their covariance, or why they cannot be fitted, and the data's defaults),
    `value_summary` (the BTYD summary in weeks), `value_inputs` (`customer_inputs`), the
    churn classifier of every standard horizon (`churn.store_churn_results`) and what its
    warning list values the scored customers with (`churn.store_warning_worth`: their
    `customer_values` at the defaults, as the Churn risk page asks for them)."""
    models = outputs.models
    defaults = outputs.defaults or value_defaults(con, as_of)
    if isinstance(models, ValueModels):
        purchase = model_name(models.bgnbd)
        rows = [(purchase, _model_json(models.bgnbd)), ("gamma_gamma", _model_json(models.gg))]
        summary = models.summary
    else:
        rows = [] if models is None else [("reason", churn.reason_json(models))]
        if outputs.purchase_fit is not None:  # P(alive) is stored: keep the fit that gave it
            fit = outputs.purchase_fit
            rows.append((model_name(fit), _model_json(fit)))
        summary = btyd_summary(con, as_of, unit="weeks")
    rows.append(("defaults", json.dumps(defaults.__dict__)))
    if outputs.choice is not None:
        rows.append(("model_choice", outputs.choice.to_json()))
    con.execute("create or replace table value_models (as_of date, model varchar, fit varchar)")
    con.executemany("insert into value_models values (?, ?, ?)", [(as_of, *r) for r in rows])
    inputs = customer_inputs(con, as_of)
    for table, frame in (("value_summary", summary), ("value_inputs", inputs)):
        con.register("stored_frame", frame)
        try:  # table names from STORED_TABLES
            con.execute(f"create or replace table {table} as select * from stored_frame")
        finally:
            con.unregister("stored_frame")
    churn.store_churn_results(con, as_of, outputs.churn)
    worth = inputs
    if isinstance(models, ValueModels):
        settings = defaults.settings()
        parts = model_values(models, settings.horizon_months, settings.discount_rate_annual)
        worth = priced_values(customer_base(con, models, inputs), parts, settings)
    churn.store_warning_worth(con, worth)


def stored_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date of the value models stored by the last build, or None (none stored,
    or an import has changed the raw tables since: the stored rows are of older data)."""
    if not db.columns(con, "value_models") or not sql.staging_is_current(con):
        return None
    found = con.execute("select max(as_of) from value_models").fetchall()
    return found[0][0]


def stored_value_models(
    con: duckdb.DuckDBPyConnection, as_of: dt.date
) -> ValueModels | Reason | None:
    """The models `core build` stored as of `as_of`, the same as `fit_value_models` gives
    them (or the Reason it raises), or None when the build stored none for that date."""
    fits = stored_fits(con, as_of)
    if fits is None or isinstance(fits, Reason):
        return fits
    summary = con.execute("select * from value_summary order by customer_id").df()
    summary.attrs["unit"] = "weeks"
    return ValueModels(as_of, summary, data_readiness(summary), *fits)


def stored_fits(
    con: duckdb.DuckDBPyConnection, as_of: dt.date
) -> tuple[BGNBDModel, GammaGammaModel] | Reason | None:
    """The BG/NBD and Gamma-Gamma fits `core build` stored as of `as_of` (without the BTYD
    summary `stored_value_models` reads too), the Reason they could not be fitted, or None
    when the build stored none for that date."""
    if stored_as_of(con) != as_of:
        return None
    fits = dict(con.execute("select model, fit from value_models").fetchall())
    if "reason" in fits:
        return churn.reason_from_json(fits["reason"])
    purchase = next(name for name in PURCHASE_MODEL_CLASSES if name in fits)
    return PURCHASE_MODEL_CLASSES[purchase](**_model_fields(fits[purchase])), GammaGammaModel(
        **_model_fields(fits["gamma_gamma"])
    )


def stored_purchase_model(con: duckdb.DuckDBPyConnection, as_of: dt.date):
    """The purchase model `core build` stored as of `as_of` (the one that gave the stored
    P(alive)), also when Gamma-Gamma could not be fitted; None when it stored none."""
    if stored_as_of(con) != as_of:
        return None
    fits = dict(con.execute("select model, fit from value_models").fetchall())
    name = next((name for name in PURCHASE_MODEL_CLASSES if name in fits), None)
    return None if name is None else PURCHASE_MODEL_CLASSES[name](**_model_fields(fits[name]))


def stored_choice(con: duckdb.DuckDBPyConnection) -> model_choice.BuildChoice | None:
    """The purchase model the last build used and why (`model_choice.build_choice`), or
    None when the stored results are not current or were built before the choice was kept."""
    if stored_as_of(con) is None:
        return None
    found = con.execute("select fit from value_models where model = 'model_choice'").fetchall()
    return model_choice.BuildChoice.from_json(found[0][0]) if found else None


def stored_value_defaults(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ValueDefaults | None:
    """`value_defaults` as of `as_of` as the build stored them, or None when it stored none
    for that date."""
    if stored_as_of(con) != as_of:
        return None
    found = con.execute("select fit from value_models where model = 'defaults'").fetchall()
    return ValueDefaults(**json.loads(found[0][0])) if found else None


def stored_customer_inputs(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """`customer_inputs` as of `as_of`: read from the build's table on its date, else
    computed."""
    if stored_as_of(con) == as_of:
        return con.execute("select * from value_inputs order by customer_id").df()
    return customer_inputs(con, as_of)


PURCHASE_MODEL_CLASSES = {"bgnbd": BGNBDModel, "pareto_nbd": ParetoNBDModel, "mbgnbd": MBGNBDModel}


def _model_json(model) -> str:
    """A fitted model's fields as JSON (floats written exactly, covariance as a nested list)."""
    fields = {**model.__dict__}
    if fields["covariance"] is not None:
        fields["covariance"] = np.asarray(fields["covariance"]).tolist()
    return json.dumps(fields, default=float)


def _model_fields(text: str) -> dict:
    fields = json.loads(text)
    if fields["covariance"] is not None:
        fields["covariance"] = np.array(fields["covariance"], dtype=float)
    return fields
