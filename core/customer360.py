"""Customer 360 (客户画像): find one customer, and everything StarTier knows about them.

    found = search(con, "宋玲", limit=20)     # id, name, e-mail or phone; best match first
    card = portrait(con, "C0000001")          # one customer as of the build's date

`search` reads the raw customers table (`core/sql/customer360_search.sql`): one scan, no
index, about 0.1 s at a million customers. `portrait` reads the figures the build keeps
(customer_features, the stored value models and churn results) for one customer, so its
numbers are the marts' numbers, and adds what only one customer needs:

- what would lift them a star: `core.stars.next_star_move` against the active rule set's
  thresholds over every rated customer (the Stars page's box);
- the formula CLV from the build's formula inputs (`value_inputs`) at the data's defaults,
  as the Value page computes it; the predicted CLV over 12 months with its 5-95% range from
  parameter uncertainty (`core.clv.clv_interval` on this customer's BTYD row);
- P(alive) at each past month end: the fitted BG/NBD applied to the customer's own purchase
  days up to that day (x, t_x, T as `btyd_summary` counts them), the last point the as-of
  date's stored P(alive);
- the churn drivers for this customer: the classifier's most important features (the stored
  permutation importance) with this customer's value of each, set against the same feature
  over a fixed sample of the scored customers (`DRIVER_SAMPLE`): "N days since the last
  purchase, more than 85% of active customers". The stored classifier itself is not kept,
  so this says where the customer stands on what drives risk, not each feature's share of
  their own score;
- the next order: if the customer is still active, BG/NBD's purchase rate given their
  history is Gamma(r + x, alpha + T) (Fader, Hardie & Lee 2005, eq. 1-2 with the Poisson
  count), so the wait from the as-of date to the next purchase has the survival function
  ((alpha + T) / (alpha + T + t))^(r + x) (a Lomax law); its quartiles give the date and
  range (`next_order`), to be read with P(alive);
- the orders, the category mix, interactions and feedback on one time line (open
  complaints first) and referrals made and received.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import db, filters, segments, sql, value
from core import precompute as kept_results
from core import stars as star_rating
from core.churn import ChurnSettings, churn_features
from core.clv import BGNBDModel, GammaGammaModel, ModelFitError, Reason, clv_interval

SEARCH_LIMIT = 20
MIN_PHONE_DIGITS = 4  # typed digits (and no letter) from which phones are searched too
DRIVERS = 5  # the churn classifier's features shown for one customer
DRIVER_SAMPLE = 2_000  # scored customers a customer's driver values are set against
INTERVAL_DRAWS = 200  # parameter sets the predicted CLV's range is drawn from
NEXT_ORDER_QUANTILES = (0.25, 0.5, 0.75)  # the range and the date of the next order
WEEK = dt.timedelta(days=7)


def search(
    con: duckdb.DuckDBPyConnection,
    text: str,
    limit: int = SEARCH_LIMIT,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """The customers whose id, name, e-mail or phone holds `text` (case-insensitive; phone
    by its digits): `customer_id, name, email, phone, city, match_rank` (0 exact id, 1 exact
    name / e-mail / phone, 2 prefix, 3 anywhere), best first, at most `limit` rows; only
    those among the ids `customers` (None: everyone). Empty for blank text."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    query = sql.load("customer360_search")
    params = {"text": text or "", "limit": limit, "min_digits": MIN_PHONE_DIGITS}
    cur = con.cursor()
    if customers is None:
        return cur.execute(query, params).df()
    with filters.chosen_relation(cur, customers):
        return cur.execute(
            f"select * from ({query}) as m where {filters.restricted('m.customer_id')} "
            "order by match_rank, customer_id limit $shown",
            {**params, "limit": None, "shown": limit},
        ).df()


def hidden_matches(con: duckdb.DuckDBPyConnection, text: str, customers: np.ndarray) -> int:
    """How many customers match `text` (as `search`, every match) outside the ids
    `customers`: the matches a filter hides."""
    query = sql.load("customer360_search")
    params = {"text": text or "", "limit": None, "min_digits": MIN_PHONE_DIGITS}
    cur = con.cursor()
    with filters.chosen_relation(cur, customers):
        return cur.execute(
            f"select count(*) from ({query}) as m where not {filters.restricted('m.customer_id')}",
            params,
        ).fetchall()[0][0]


# --- the portrait ------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """A figure with its low and high ends (None when the model gives no range)."""

    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class NextOrder:
    """When the next order comes if the customer is still active: the median date and the
    dates between which it falls with even odds (quartiles), and P(alive) to read it with."""

    on: dt.date
    earliest: dt.date
    latest: dt.date
    p_alive: float


@dataclass(frozen=True)
class Cluster:
    """The customer's k-means cluster (number from 1) among `k`, and what sets it apart."""

    number: int
    k: int
    traits: tuple[tuple[str, str], ...]


@dataclass(frozen=True, eq=False)
class Portrait:
    """One customer as of `as_of` (the build's date). Figures are customer_features' unless
    said; None where the data or a model give none. DataFrames are empty when there is
    nothing (no feedback, no referrals...); `missing` names what the data lack as a whole
    (e.g. "interactions", "feedback", "models", "churn")."""

    customer_id: str
    as_of: dt.date
    profile: dict  # name, email, phone, city, region, acquisition_channel, signed_up_at, ...
    features: dict  # the customer_features row
    stars: int | None
    scores: dict[str, float | None]  # the four dimension scores
    score: float | None  # the composite
    move: star_rating.Move | None  # what would lift a star (None: top, prospect, no way)
    segment: str | None
    cluster: Cluster | None
    lifecycle_stage: str | None
    value_tier: str | None
    loyalty_class: str | None
    revenue: float | None  # historic, net of refunds
    margin: float | None  # historic (None without costs)
    formula_clv: float | None
    formula_inputs: dict  # aov, margin, purchases_per_year, years_retained, acquisition_cost
    predicted_clv: Range | None  # 12 months, at the data's margin, 10% a year
    p_alive: float | None
    p_alive_history: pd.DataFrame  # month_end, p_alive
    churn_risk: float | None  # next 90 days (the build's standard horizon)
    churn_drivers: pd.DataFrame  # feature, importance, value, typical, share_below
    next_order: NextOrder | None
    orders: pd.DataFrame  # customer360_orders
    categories: pd.DataFrame  # customer360_categories
    contacts: pd.DataFrame  # customer360_contacts
    referred_by: str | None
    referrals: pd.DataFrame  # customer360_referrals
    missing: tuple[str, ...]

    @property
    def is_buyer(self) -> bool:
        return bool(self.features.get("is_buyer"))

    @property
    def open_complaints(self) -> int:
        contacts = self.contacts
        return int(contacts["is_open_complaint"].sum()) if len(contacts) else 0


def _query(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date, customer_id: str):
    return con.execute(sql.load(name, con), {"as_of": as_of, "customer_id": customer_id}).df()


def _number(values: dict, name: str) -> float | None:
    found = values.get(name)
    return None if found is None or pd.isna(found) else float(found)


def _text(values: dict, name: str) -> str | None:
    found = values.get(name)
    return None if found is None or pd.isna(found) else str(found)


def _row(con: duckdb.DuckDBPyConnection, table: str, customer_id: str) -> dict | None:
    frame = con.execute(
        f"select * from {table} where customer_id = ?",  # table names are this module's
        [customer_id],
    ).df()
    return None if frame.empty else frame.iloc[0].to_dict()


def portrait(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    as_of: dt.date | None = None,
    marks: np.ndarray | None = None,
    reference: pd.DataFrame | None = None,
) -> Portrait | None:
    """The portrait of `customer_id` as of the build's date (`as_of`, when given, must be
    that date: the marts hold no other), or None when there is no such customer or no
    build. `marks`: the active rule set's star thresholds when the caller has them (read
    from the stored composites otherwise); `reference`: `driver_reference` when the caller
    keeps it (read otherwise)."""
    cur = con.cursor()
    built = db.built_as_of(cur)
    if built is None:
        return None
    if as_of is not None and as_of != built:
        raise ValueError(f"the portrait is as of the build's date {built}, not {as_of}")
    as_of = built
    profile = _row(cur, "customers", customer_id)
    features = _row(cur, "customer_features", customer_id)
    if profile is None or features is None:
        return None
    rules = star_rating.active_rules(cur).rules
    dims = np.array([_number(features, c) for c in star_rating.SCORE_COLUMNS], dtype=np.float64)
    if marks is None:
        marks = star_marks(cur, rules)
    models = _stored_models(cur, as_of)
    missing = tuple(name for name, ok in _data_present(cur).items() if not ok)
    if models is None:
        missing = (*missing, "models")
    stars_now = _number(features, "stars")
    return Portrait(
        customer_id=customer_id,
        as_of=as_of,
        profile=profile,
        features=features,
        stars=None if stars_now is None else int(stars_now),
        scores={d: _number(features, f"score_{d}") for d in star_rating.DIMENSIONS},
        score=_number(features, "score"),
        move=star_rating.next_star_move(dims, rules, marks),
        segment=_text(features, "segment"),
        cluster=customer_cluster(cur, customer_id, as_of),
        lifecycle_stage=_text(features, "lifecycle_stage"),
        value_tier=_text(features, "value_tier"),
        loyalty_class=_text(features, "loyalty_class"),
        revenue=_number(features, "revenue"),
        margin=_number(features, "margin"),
        **_formula(cur, customer_id, as_of),
        predicted_clv=_predicted_clv(cur, customer_id, features, models),
        p_alive=_number(features, "p_alive"),
        p_alive_history=p_alive_history(cur, customer_id, as_of, models or _purchase(cur, as_of)),
        churn_risk=_number(features, "churn_risk"),
        churn_drivers=churn_drivers(cur, customer_id, as_of, reference),
        next_order=next_order(features, models, as_of),
        orders=_query(cur, "customer360_orders", as_of, customer_id),
        categories=_query(cur, "customer360_categories", as_of, customer_id),
        contacts=_query(cur, "customer360_contacts", as_of, customer_id),
        referred_by=_text(profile, "referred_by"),
        referrals=_query(cur, "customer360_referrals", as_of, customer_id),
        missing=missing,
    )


def star_marks(con: duckdb.DuckDBPyConnection, rules: star_rating.RuleSet) -> np.ndarray:
    """The composite scores for 5, 4, 3 and 2 stars under `rules`, over the composites
    customer_features holds (those of the active rule set, as the build and a save rate)."""
    score = con.execute("select score from customer_features").fetchnumpy()["score"]
    score = np.asarray(np.ma.filled(score.astype(np.float64), np.nan))
    return star_rating.thresholds(score, rules)


def _data_present(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Whether the shop's data hold interactions, feedback and referrals at all."""
    [(interactions, feedback, referrals)] = con.execute(
        "select exists (from interactions), exists (from feedback), "
        "exists (from customers where referred_by is not null)"
    ).fetchall()
    return {"interactions": interactions, "feedback": feedback, "referrals": referrals}


# --- value --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StoredModels:
    """The value models and the data's defaults the build stored for its date."""

    bgnbd: BGNBDModel
    gg: GammaGammaModel
    defaults: value.ValueDefaults


def _stored_models(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> StoredModels | None:
    """The build's BG/NBD and Gamma-Gamma fits (without the whole summary
    `value.stored_value_models` reads), or None when it stored none for `as_of`."""
    fits = value.stored_fits(con, as_of)
    defaults = value.stored_value_defaults(con, as_of)
    if fits is None or isinstance(fits, Reason) or defaults is None:
        return None
    return StoredModels(*fits, defaults)


def _purchase(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> StoredModels | None:
    """The build's purchase model alone (no spend model, no defaults): what P(alive) over
    time needs when Gamma-Gamma could not be fitted but P(alive) was stored."""
    fit = value.stored_purchase_model(con, as_of)
    return None if fit is None else StoredModels(fit, None, None)


def _defaults(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> value.ValueDefaults:
    return value.stored_value_defaults(con, as_of) or value.value_defaults(con, as_of)


def _formula(con: duckdb.DuckDBPyConnection, customer_id: str, as_of: dt.date) -> dict:
    """`formula_clv` and `formula_inputs` as `core.value.customer_values` gives them at the
    data's defaults (the Value page's opening knobs); None for a customer with no order."""
    if value.stored_as_of(con) == as_of:
        inputs = _row(con, "value_inputs", customer_id)
    else:
        found = value.customer_inputs(con, as_of)
        found = found[found["customer_id"] == customer_id]
        inputs = None if found.empty else found.iloc[0].to_dict()
    if inputs is None:
        return {"formula_clv": None, "formula_inputs": {}}
    settings = _defaults(con, as_of).settings()
    used = {
        "aov": float(inputs["aov"]),
        "purchases_per_year": float(inputs["purchases_per_year"]),
        "years_retained": settings.years_retained,
        "acquisition_cost": float(inputs["acquisition_cost"]),
        "margin": settings.margin,
    }
    total = value.formula_clv(
        used["aov"] * settings.margin,
        used["purchases_per_year"],
        used["years_retained"],
        used["acquisition_cost"],
    )
    return {"formula_clv": float(total), "formula_inputs": used}


def _predicted_clv(
    con: duckdb.DuckDBPyConnection, customer_id: str, features: dict, models: StoredModels | None
) -> Range | None:
    """The stored predicted CLV over 12 months and its 5-95% range from parameter
    uncertainty (`clv_interval` at the build's settings; no range when it cannot be drawn)."""
    point = _number(features, "predicted_clv_12m")
    if point is None:
        return None
    if models is None:
        return Range(point, None, None)
    summary = con.execute("select * from value_summary where customer_id = ?", [customer_id]).df()
    settings = models.defaults.settings()
    try:
        iv = clv_interval(
            models.bgnbd,
            models.gg,
            summary,
            12,
            settings.discount_rate_annual,
            settings.margin,
            n=INTERVAL_DRAWS,
            rng=0,
        ).customers
    except (ModelFitError, ValueError, np.linalg.LinAlgError):
        return Range(point, None, None)
    if iv.empty:
        return Range(point, None, None)
    return Range(point, float(iv["clv_p5"].iloc[0]), float(iv["clv_p95"].iloc[0]))


# --- P(alive) over time and the next order -------------------------------------------------


def history_month_ends(first: dt.date, as_of: dt.date) -> list[dt.date]:
    """Every month end from the month of `first` to before `as_of`, then `as_of` itself."""
    ends = [d.date() for d in pd.date_range(first, as_of, freq="ME") if d.date() < as_of]
    return [*ends, as_of]


def p_alive_history(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    as_of: dt.date,
    models: StoredModels | None,
) -> pd.DataFrame:
    """`month_end, p_alive`: BG/NBD's P(alive) (`BGNBDModel.probability_alive`, the build's
    fit) from the customer's purchase days up to each month end since their first purchase
    (x = days - 1, t_x = first to last, T = first to the month end, in weeks, as
    `btyd_summary` counts them). Empty without the model or a purchase."""
    empty = pd.DataFrame({"month_end": pd.Series(dtype="object"), "p_alive": []})
    if models is None:
        return empty
    days = _query(con, "customer360_purchase_days", as_of, customer_id)
    if days.empty:
        return empty
    bought = pd.to_datetime(days["purchased_on"]).dt.date.to_numpy()
    first = bought[0]
    ends = history_month_ends(first, as_of)
    counts = np.searchsorted(bought, np.array(ends), side="right")  # days up to each end
    last = bought[counts - 1]
    x = (counts - 1).astype(np.float64)
    t_x = np.array([(d - first).days for d in last], dtype=np.float64) / 7
    T = np.array([(d - first).days for d in ends], dtype=np.float64) / 7
    alive = np.asarray(models.bgnbd.probability_alive(x, t_x, T), dtype=np.float64)
    return pd.DataFrame({"month_end": ends, "p_alive": alive.reshape(-1)})


def next_order(features: dict, models: StoredModels | None, as_of: dt.date) -> NextOrder | None:
    """The next order's median date and quartile range if the customer is still active
    (the module docstring: t_q = (alpha + T) ((1 - q)^(-1 / (r + x)) - 1) weeks after the
    as-of date), with P(alive); None without the model or a purchase."""
    x = _number(features, "btyd_frequency")
    T = _number(features, "btyd_t_weeks")
    p_alive = _number(features, "p_alive")
    if models is None or x is None or T is None or p_alive is None:
        return None
    shape, scale = models.bgnbd.r + x, models.bgnbd.alpha + T
    low, mid, high = (
        as_of + WEEK * float(scale * ((1 - q) ** (-1 / shape) - 1)) for q in NEXT_ORDER_QUANTILES
    )
    return NextOrder(on=mid, earliest=low, latest=high, p_alive=p_alive)


def next_order_chance(features: dict, models: StoredModels, weeks: float) -> float:
    """P(an order within `weeks` of the as-of date | still active): 1 - the Lomax survival."""
    x, T = _number(features, "btyd_frequency"), _number(features, "btyd_t_weeks")
    scale = models.bgnbd.alpha + T
    return 1 - (scale / (scale + weeks)) ** (models.bgnbd.r + x)


# --- churn drivers ------------------------------------------------------------------------


def _stored_drivers(con: duckdb.DuckDBPyConnection, horizon: int) -> pd.DataFrame:
    if not db.has_table(con, "churn_drivers") or not sql.staging_is_current(con):
        return pd.DataFrame({"feature": [], "importance": []})
    return con.execute(
        "select feature, importance from churn_drivers where horizon_days = ? order by rank",
        [horizon],
    ).df()


def driver_reference(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The churn features as of `as_of` of a fixed sample of the scored customers (at most
    DRIVER_SAMPLE: those of smallest hash of their id), which one customer is set against."""
    horizon = ChurnSettings().horizon_days
    if not db.has_table(con, "churn_scores"):
        return pd.DataFrame()
    ids = [
        row[0]
        for row in con.execute(
            "select customer_id from churn_scores where horizon_days = ? "
            "order by hash(customer_id), customer_id limit ?",
            [horizon, DRIVER_SAMPLE],
        ).fetchall()
    ]
    if not ids:
        return pd.DataFrame()
    return churn_features(con, as_of, ChurnSettings().active_days, ids)


def churn_drivers(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    as_of: dt.date,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The classifier's DRIVERS most important numeric features (stored permutation
    importance, the build's 90-day model) with this customer's `value` as of `as_of`, the
    `typical` value (median over `reference`, `driver_reference` when not given) and
    `share_below`: the share of the reference with a lower value (ties count half). Empty
    when no classifier ran or the customer is not scored (no purchase in the last year)."""
    settings = ChurnSettings()
    columns = {"feature": [], "importance": [], "value": [], "typical": [], "share_below": []}
    stored = _stored_drivers(con, settings.horizon_days)
    stored = stored[stored["feature"] != "acquisition_channel"].head(DRIVERS)
    if stored.empty:
        return pd.DataFrame(columns)
    own = churn_features(con, as_of, settings.active_days, [customer_id])
    if own.empty:
        return pd.DataFrame(columns)
    reference = driver_reference(con, as_of) if reference is None else reference
    for feature, importance in zip(stored["feature"], stored["importance"], strict=True):
        mine = float(own[feature].iloc[0])
        known = reference[feature].dropna().to_numpy(dtype=np.float64) if len(reference) else []
        columns["feature"].append(feature)
        columns["importance"].append(float(importance))
        columns["value"].append(mine)
        if len(known) and not np.isnan(mine):
            below = (known < mine).sum() + 0.5 * (known == mine).sum()
            columns["typical"].append(float(np.median(known)))
            columns["share_below"].append(float(below / len(known)))
        else:
            columns["typical"].append(np.nan)
            columns["share_below"].append(np.nan)
    return pd.DataFrame(columns)


# --- cluster ------------------------------------------------------------------------------


def customer_cluster(
    con: duckdb.DuckDBPyConnection, customer_id: str, as_of: dt.date
) -> Cluster | None:
    """The customer's cluster at the best silhouette k, from the clusters the build kept
    (`segments.built_clusters`: labels by buyer in customer_id order); None when none were
    kept for `as_of` or the customer has no purchase."""
    kept = kept_results.kept(segments.built_clusters, con, as_of)
    if kept is None:
        return None
    [(row, is_buyer)] = con.execute(
        "select count(*) filter (where customer_id < $id), "
        "bool_or(customer_id = $id) from customer_features where is_buyer",
        {"id": customer_id},
    ).fetchall()
    if not is_buyer:
        return None
    clusters = kept.clusters(None)
    label = int(clusters.labels[row])
    traits = clusters.profile.loc[clusters.profile["cluster"] == label, "traits"]
    return Cluster(label + 1, clusters.k, tuple(traits.iloc[0]) if len(traits) else ())
