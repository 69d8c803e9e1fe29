"""Star rating: four value dimensions, a weighted composite, thresholds, 1-5 stars.

How each dimension is scored (0-100; the page shows the same text from its catalogs).
Only customers with a purchase are rated; prospects get no score and no star. A
"percentile rank" is the share of rated customers with a lower value (ties share their
average rank), from 0 (the lowest) to 100 (the highest).

- contribution (贡献度): percentile rank of the margin over the trailing 12 months
  (revenue over the trailing 12 months when the data carry no cost).
- growth potential (增长潜力): percentile rank of the predicted CLV over the next 12 months
  (`predicted_clv_12m`, BG/NBD + Gamma-Gamma). Fallback when the model did not run: the
  trailing-12-month margin (or revenue) x exp(-days since the last purchase / 365).
- loyalty (忠诚度): the mean of three percentile ranks: P(alive) (`p_alive`; fallback: fewer
  days since the last purchase), purchase days to date, and tenure (days since sign-up).
- relationship (合作关系): 40% engagement (percentile rank of touchpoints in the last 12
  months) + 40% satisfaction (mean CSAT of the last 12 months, 1 -> 0 and 5 -> 100;
  50 without an answer) + 20% referrals (customers they referred, 3 or more -> 100),
  minus 25 points per complaint still open on the as-of date; kept within 0-100.

The composite score is the weighted mean of the four scores (weights are normalised to sum
to 1). Stars come from four thresholds on the composite: in quantile mode the thresholds
are set so that the top shares of rated customers get 5, 4+, 3+ and 2+ stars ("top 5% are
5 stars": the floor(5% x n) highest composites, ties at the boundary included); in score
mode they are fixed composite scores (5 stars at 80 or more). Thresholds are computed once
per rating and then applied, so more of any dimension never lowers a star.

Month ends (for migration and trends) are rated by the same rule: the same percentile ranks
and tie rule, composite, thresholds, RFM quintiles and segment grid, over the customers
rated at that month end, from the inputs that exist on that day
(`core/sql/customer_monthly.sql`). `customer_monthly` keeps, per customer and month end,
only what does not depend on the rule set (the dimension scores, R and F); the composite,
stars and segment under the active rule set are worked out when read
(`month_end_ratings`, `star_flows`), so a rule save re-rates customer_features alone.
Contribution and the RFM scores read what they read on
the as-of date; growth and loyalty read their fallbacks, as the models are fitted for the
as-of date only; relationship is left out, as its inputs (touchpoints, CSAT, referrals, open
complaints) are the as-of date's, and its weight is shared out over the other three
(`month_end_rules`). A month end that is the as-of date therefore shows the same stars as
customer_features only when relationship weighs nothing and the models did not run.

A rule set (`RuleSet`) is data: weights, the mode and its thresholds, which stars are high
/ medium / low value, the loyalty-class cut-offs on the loyalty score, and the RFM segment
grid. Rule sets are saved in `rule_sets` by name and version; one is active.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import db, monthly, ranks, rfm, sql

DIMENSIONS = ("contribution", "growth", "loyalty", "relationship")
SCORE_COLUMNS = tuple(f"score_{d}" for d in DIMENSIONS)
MODES = ("quantile", "score")
VALUE_TIERS = ("high", "medium", "low")
LOYALTY_CLASSES = ("loyal", "potentially_loyal", "not_loyal")
STARS = (1, 2, 3, 4, 5)
DEFAULT_NAME = "default"
OPEN_COMPLAINT_PENALTY = 25.0
MONTHS = 36  # month-end snapshots kept in customer_monthly


@dataclass(frozen=True)
class RuleSet:
    """How customers are rated. Thresholds are for 5, 4, 3 and 2 stars, in that order."""

    weights: tuple[float, ...] = (35.0, 25.0, 25.0, 15.0)  # in DIMENSIONS order
    mode: str = "quantile"
    top_shares: tuple[float, ...] = (0.05, 0.20, 0.50, 0.80)  # quantile mode: top shares
    score_thresholds: tuple[float, ...] = (80.0, 65.0, 50.0, 30.0)  # score mode: composite
    high_value_stars: tuple[int, ...] = (4, 5)
    medium_value_stars: tuple[int, ...] = (3,)  # the other stars are low value
    loyal_min: float = 70.0  # loyalty score for "loyal"
    potentially_loyal_min: float = 40.0  # loyalty score for "potentially loyal"
    segment_grid: rfm.SegmentGrid = field(default=rfm.DEFAULT_GRID)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "weights", tuple(float(w) for w in self.weights))
        set_(self, "top_shares", tuple(float(s) for s in self.top_shares))
        set_(self, "score_thresholds", tuple(float(s) for s in self.score_thresholds))
        set_(self, "high_value_stars", tuple(sorted(int(s) for s in self.high_value_stars)))
        set_(self, "medium_value_stars", tuple(sorted(int(s) for s in self.medium_value_stars)))
        set_(self, "segment_grid", rfm.check_grid(self.segment_grid))
        if len(self.weights) != len(DIMENSIONS) or min(self.weights) < 0 or not sum(self.weights):
            raise ValueError(f"weights must be 4 non-negative numbers, not all 0: {self.weights}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        shares = self.top_shares
        if len(shares) != 4 or not 0 <= shares[0] <= shares[1] <= shares[2] <= shares[3] <= 1:
            raise ValueError(f"top_shares must be 4 increasing shares within 0-1: {shares}")
        marks = self.score_thresholds
        if len(marks) != 4 or not 100 >= marks[0] >= marks[1] >= marks[2] >= marks[3] >= 0:
            raise ValueError(f"score_thresholds must be 4 decreasing scores within 0-100: {marks}")
        tiers = self.high_value_stars + self.medium_value_stars
        if len(set(tiers)) != len(tiers) or not set(tiers) <= set(STARS):
            raise ValueError("high and medium value stars must be distinct stars 1-5")
        if not 0 <= self.potentially_loyal_min <= self.loyal_min <= 100:
            raise ValueError("loyalty cut-offs must satisfy 0 <= potentially loyal <= loyal <= 100")

    @property
    def normalised_weights(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=np.float64)
        return w / w.sum()

    def replace(self, **changes) -> RuleSet:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown rule(s) {sorted(unknown)} in a saved rule set")
        if "segment_grid" in data:
            data["segment_grid"] = tuple(tuple(row) for row in data["segment_grid"])
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


DEFAULT_RULES = RuleSet()


# --- the dimension scores -----------------------------------------------------------------


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """0-100: (average rank - 1) / (n - 1) x 100; 100 for a single value, empty for none,
    all NaN when a value is NaN. The average rank of a tie group is `below + (equal + 1) / 2`
    (`ranks.ties`), as scipy's `rankdata(method="average")` gives it."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n <= 1:
        return np.full(n, 100.0)
    if np.isnan(values).any():
        return np.full(n, np.nan)
    return percentile_of_ties(*ranks.ties(values))


def percentile_of_ties(below: np.ndarray, equal: np.ndarray) -> np.ndarray:
    """`percentile_rank` of values with no NaN, from their `ranks.ties` (more than one)."""
    average = (2 * below + equal + 1) * 0.5
    return (average - 1) / (len(below) - 1) * 100


def _column(features: pd.DataFrame, name: str, fill: float = np.nan) -> np.ndarray | None:
    if name not in features.columns:
        return None
    return features[name].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def rated_mask(features: pd.DataFrame) -> np.ndarray:
    """True for customers with a purchase (the rated ones)."""
    if "is_buyer" in features.columns:
        return features["is_buyer"].fillna(False).to_numpy(dtype=bool)
    if "count_orders" in features.columns:
        return features["count_orders"].fillna(0).to_numpy() > 0
    raise ValueError("features need is_buyer or count_orders to tell buyers from prospects")


def _filled(values: np.ndarray | None, fill: float) -> np.ndarray | None:
    return None if values is None else np.where(np.isnan(values), fill, values)


def _has_values(values: np.ndarray | None) -> bool:
    return values is not None and bool(np.isfinite(values).any())


def dimension_inputs(features: pd.DataFrame) -> dict[str, str]:
    """Which input each dimension uses on these features ("model" or "fallback")."""
    rated = rated_mask(features)
    clv = _column(features, "predicted_clv_12m")
    p_alive = _column(features, "p_alive")
    return {
        "growth": "model" if _has_values(None if clv is None else clv[rated]) else "fallback",
        "loyalty": "model"
        if _has_values(None if p_alive is None else p_alive[rated])
        else "fallback",
    }


def dimension_scores(features: pd.DataFrame) -> pd.DataFrame:
    """The four dimension scores (0-100) per customer, in `features` row order, as
    `score_contribution, score_growth, score_loyalty, score_relationship`; null for
    customers without a purchase. How each is computed: the module docstring."""
    for name in ("recency_days", "count_purchase_days", "tenure_days"):
        if name not in features.columns:
            raise ValueError(f"dimension_scores needs column {name!r} of customer_features")
    rated = rated_mask(features)
    every = bool(rated.all())  # at a month end every row is rated: no copies then
    f = features if every else features.loc[rated]
    n = len(features)
    uses = dimension_inputs(features)

    revenue = _column(f, "revenue_12m")
    value_12m = value_12m_of(
        _column(f, "margin_12m"), np.zeros(len(f)) if revenue is None else revenue
    )
    recency = _filled(_column(f, "recency_days"), 10_000.0)

    contribution = percentile_rank(value_12m)
    if uses["growth"] == "model":
        growth = percentile_rank(_filled(_column(f, "predicted_clv_12m"), 0.0))
    else:
        growth = percentile_rank(growth_fallback(value_12m, recency))
    alive = _filled(_column(f, "p_alive"), 0.0) if uses["loyalty"] == "model" else -recency
    loyalty = (
        percentile_rank(alive)
        + percentile_rank(_filled(_column(f, "count_purchase_days"), 0.0))
        + percentile_rank(_filled(_column(f, "tenure_days"), 0.0))
    ) / 3
    relationship = relationship_score(f)

    scores = np.column_stack([contribution, growth, loyalty, relationship])
    if not every:
        out = np.full((n, 4), np.nan)
        out[rated] = scores
        scores = out
    return pd.DataFrame(scores, columns=list(SCORE_COLUMNS), index=features.index)


def value_12m_of(margin: np.ndarray | None, revenue: np.ndarray) -> np.ndarray:
    """What contribution ranks, per rated customer: the 12-month margin, its revenue where
    the margin is unknown, the revenue for all when no margin is known (no cost in the
    data); unknown revenue counts as 0."""
    revenue = _filled(revenue, 0.0)
    value_12m = revenue if margin is None or not np.isfinite(margin).any() else margin
    return np.where(np.isnan(value_12m), revenue, value_12m)


def growth_fallback(value_12m: np.ndarray, recency: np.ndarray) -> np.ndarray:
    """What growth ranks without the model: `value_12m` x exp(-days since the last
    purchase / 365)."""
    return value_12m * np.exp(-recency / 365.0)


def relationship_score(f: pd.DataFrame) -> np.ndarray:
    """0-100 per row: 40% engagement rank + 40% satisfaction + 20% referrals - 25 per open
    complaint, within 0-100. Missing inputs count as neutral (engagement and satisfaction
    50, no referrals, no open complaints)."""
    n = len(f)
    touches = _column(f, "count_interactions_12m")
    engagement = np.full(n, 50.0) if touches is None else percentile_rank(_filled(touches, 0.0))
    csat = _column(f, "avg_csat_12m")
    satisfaction = np.full(n, 50.0) if csat is None else _filled((csat - 1) / 4 * 100, 50.0)
    referrals = _filled(_column(f, "count_referrals"), 0.0)
    referral = np.zeros(n) if referrals is None else np.minimum(referrals, 3) / 3 * 100
    complaints = _filled(_column(f, "count_open_complaints"), 0.0)
    penalty = np.zeros(n) if complaints is None else complaints * OPEN_COMPLAINT_PENALTY
    score = 0.4 * engagement + 0.4 * satisfaction + 0.2 * referral - penalty
    return np.clip(score, 0.0, 100.0)


# --- rating --------------------------------------------------------------------------------


def composite(dims: np.ndarray, rules: RuleSet) -> np.ndarray:
    """The weighted mean of the dimension scores (rows x 4), 0-100; NaN for prospects.

    Summed column by column, so customers with the same scores get the very same composite
    (a matrix product may round rows differently by their position, splitting a tie)."""
    dims = np.asarray(dims, dtype=np.float64)
    weights = rules.normalised_weights
    score = dims[:, 0] * weights[0]
    for column, weight in enumerate(weights[1:], start=1):
        score = score + dims[:, column] * weight
    return score


def thresholds(score: np.ndarray, rules: RuleSet) -> np.ndarray:
    """The composite scores needed for 5, 4, 3 and 2 stars, for these rated scores.

    Quantile mode: the k-th highest composite with k = floor(share x rated customers)
    (infinity when k = 0: nobody gets that star). Score mode: the rule's thresholds."""
    if rules.mode == "score":
        return np.asarray(rules.score_thresholds, dtype=np.float64)
    rated = score[~np.isnan(score)]
    n = len(rated)
    ks = [math.floor(share * n + 1e-9) for share in rules.top_shares]
    if n == 0:
        return np.full(4, np.inf)
    kth = np.partition(rated, [n - k for k in ks if k > 0]) if any(ks) else rated
    return np.array([kth[n - k] if k > 0 else np.inf for k in ks], dtype=np.float64)


def stars_for(score: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """1-5 per score against the thresholds for 5, 4, 3, 2 stars (0 where score is NaN)."""
    stars = 1 + (score[:, None] >= marks[None, :]).sum(axis=1)
    return np.where(np.isnan(score), 0, stars).astype(np.int8)


def rate(dims: np.ndarray, rules: RuleSet, marks: np.ndarray | None = None):
    """(composite score, stars with 0 for prospects, thresholds) for dimension scores.

    The fast path used after a slider change: a weighted sum and four thresholds."""
    score = composite(dims, rules)
    marks = thresholds(score, rules) if marks is None else marks
    return score, stars_for(score, marks), marks


def value_tier(stars: np.ndarray, rules: RuleSet) -> np.ndarray:
    """'high', 'medium' or 'low' per star (None for 0 = unrated)."""
    tier = np.full(len(stars), None, dtype=object)
    tier[stars > 0] = "low"
    tier[np.isin(stars, rules.medium_value_stars)] = "medium"
    tier[np.isin(stars, rules.high_value_stars)] = "high"
    return tier


def loyalty_class(loyalty: np.ndarray, rules: RuleSet) -> np.ndarray:
    """'loyal', 'potentially_loyal' or 'not_loyal' per loyalty score (None for NaN)."""
    out = np.full(len(loyalty), None, dtype=object)
    known = ~np.isnan(loyalty)
    out[known] = "not_loyal"
    out[known & (loyalty >= rules.potentially_loyal_min)] = "potentially_loyal"
    out[known & (loyalty >= rules.loyal_min)] = "loyal"
    return out


def assign_stars(features: pd.DataFrame, rules: RuleSet = DEFAULT_RULES) -> pd.DataFrame:
    """`features` (customer_features as a DataFrame) with the dimension scores
    (`score_contribution`, ... when not there yet), `score` (the composite, 0-100),
    `stars` (1-5, null for prospects), `value_tier` and `loyalty_class` added."""
    out = features.copy()
    if not set(SCORE_COLUMNS) <= set(out.columns):
        out[list(SCORE_COLUMNS)] = dimension_scores(features)
    dims = out[list(SCORE_COLUMNS)].to_numpy(dtype=np.float64, na_value=np.nan)
    score, stars, _ = rate(dims, rules)
    out["score"] = score
    out["stars"] = pd.array(np.where(stars > 0, stars, 0), dtype="Int8")
    out.loc[stars == 0, "stars"] = pd.NA
    out["value_tier"] = value_tier(stars, rules)
    out["loyalty_class"] = loyalty_class(dims[:, 2], rules)
    return out


# --- what would move a customer up a star ---------------------------------------------------


@dataclass(frozen=True)
class Move:
    """The smallest change in one dimension that lifts a customer to `to_stars`."""

    dimension: str
    from_score: float
    to_score: float
    to_stars: int

    @property
    def points(self) -> float:
        return self.to_score - self.from_score


def next_star_move(dims: np.ndarray, rules: RuleSet, marks: np.ndarray) -> Move | None:
    """For one customer's four scores, the dimension whose smallest rise crosses the next
    star's threshold (all else and the thresholds equal), or None at 5 stars, when no
    single dimension can get there (even at 100), or for a prospect."""
    dims = np.asarray(dims, dtype=np.float64)
    if np.isnan(dims).any():
        return None
    score, stars, _ = rate(dims[None, :], rules, marks)
    star = int(stars[0])
    if star >= 5:
        return None
    target = marks[4 - star]  # marks are for 5, 4, 3, 2 stars: the next star is at 4 - star
    if not np.isfinite(target):
        return None
    gap = target - score[0]
    best = None
    for i, w in enumerate(rules.normalised_weights):
        if w <= 0:
            continue
        needed = dims[i] + gap / w + 1e-6
        if needed <= 100 and (best is None or needed - dims[i] < best.points):
            best = Move(DIMENSIONS[i], float(dims[i]), float(needed), star + 1)
    return best


def score_step(start: float, end: float, max_digits: int = 3) -> tuple[str, str, str]:
    """A rise of a score from `start` to at least `end`, as (start, end, points) texts with
    one decimal as scores are shown elsewhere, more when one does not show the rise: the
    end rounded up (reaching it is enough), the points the difference of the shown values,
    so 86.6 -> 86.9 reads '86.6', '86.9', '0.3' and never '87 to 87 (+1)'."""
    for digits in range(1, max_digits + 1):
        scale = 10**digits
        shown_start = round(start, digits)
        shown_end = math.ceil(end * scale - 1e-9) / scale
        if shown_end > shown_start:
            break
    return (
        f"{shown_start:.{digits}f}",
        f"{shown_end:.{digits}f}",
        f"{shown_end - shown_start:.{digits}f}",
    )


def describe_move(move: Move | None) -> str:
    """The move in plain English (the dashboard words it from its catalogs), with the
    scores as the rule compares them (`score_step`), never "from 87 to 87 (+1 points)"."""
    if move is None:
        return "No single dimension can lift this customer to the next star."
    start, end, points = score_step(move.from_score, move.to_score)
    return (
        f"Raise {move.dimension} from {start} to {end} "
        f"(+{points} points) to reach {move.to_stars} stars."
    )


# --- saved rule sets ---------------------------------------------------------------------


@dataclass(frozen=True)
class SavedRules:
    name: str
    version: int  # 0: the built-in default, never saved
    rules: RuleSet
    saved_by: str | None = None
    saved_at: dt.datetime | None = None


def save_rule_set(
    con: duckdb.DuckDBPyConnection,
    rules: RuleSet,
    name: str = DEFAULT_NAME,
    saved_by: str | None = None,
    activate: bool = True,
) -> SavedRules:
    """Save `rules` as the next version of `name` (older versions stay). Unless `activate`
    is False, make it the active rule set and re-rate the customers with it
    (`reapply_rules`) in the same transaction, so the active rules and the stored stars
    never disagree: all of it lands or none of it."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a rule set needs a name")
    with db.transaction(con):
        version = con.execute(
            "select coalesce(max(version), 0) + 1 from rule_sets where name = ?", [name]
        ).fetchall()[0][0]
        if activate:
            con.execute("update rule_sets set is_active = false where is_active")
        con.execute(
            "insert into rule_sets (name, version, rules_json, is_active, saved_by) "
            "values (?, ?, ?, ?, ?)",
            [name, version, rules.to_json(), activate, saved_by],
        )
        saved = load_rule_set(con, name, version)
        if activate:
            reapply_rules(con)
    return saved


def load_rule_set(con: duckdb.DuckDBPyConnection, name: str, version: int) -> SavedRules:
    rows = con.execute(
        "select rules_json, saved_by, saved_at from rule_sets where name = ? and version = ?",
        [name, version],
    ).fetchall()
    if not rows:
        raise ValueError(f"no saved rule set {name!r} version {version}")
    text, saved_by, saved_at = rows[0]
    return SavedRules(name, version, RuleSet.from_json(text), saved_by, saved_at)


def active_rules(con: duckdb.DuckDBPyConnection) -> SavedRules:
    """The active saved rule set, else the built-in DEFAULT_RULES (version 0)."""
    rows = con.execute(
        "select name, version from rule_sets where is_active "
        "order by saved_at desc, version desc limit 1"
    ).fetchall()
    if not rows:
        return SavedRules(DEFAULT_NAME, 0, DEFAULT_RULES)
    return load_rule_set(con, *rows[0])


def activate_rule_set(con: duckdb.DuckDBPyConnection, name: str, version: int) -> SavedRules:
    """Make a saved version the active one (version 0: back to the built-in default) and
    re-rate the customers with it, in one transaction (see `save_rule_set`)."""
    with db.transaction(con):
        con.execute("update rule_sets set is_active = false where is_active")
        if version:
            load_rule_set(con, name, version)  # raises when there is no such version
            con.execute(
                "update rule_sets set is_active = true where name = ? and version = ?",
                [name, version],
            )
        return reapply_rules(con)


def rule_set_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved version: `name, version, is_active, saved_by, saved_at`, newest first."""
    return (
        con.cursor()
        .execute(
            "select name, version, is_active, saved_by, saved_at from rule_sets "
            "order by saved_at desc, name, version desc"
        )
        .df()
    )


# --- the build step --------------------------------------------------------------------------

RATING_COLUMNS = (
    *SCORE_COLUMNS,
    "score",
    "stars",
    "value_tier",
    "loyalty_class",
    "r_score",
    "f_score",
    "m_score",
    "segment",
)
RELATIONSHIP_INPUTS = (  # core/sql/star_inputs.sql adds them to customer_features
    "count_interactions_12m",
    "avg_csat_12m",
    "count_referrals",
    "count_open_complaints",
)
FEATURE_INPUTS = (
    "customer_id",
    "is_buyer",
    "count_orders",
    "count_purchase_days",
    "recency_days",
    "tenure_days",
    "revenue",
    "revenue_12m",
    "margin_12m",
    "predicted_clv_12m",
    "p_alive",
    "count_interactions_12m",
    "avg_csat_12m",
    "count_referrals",
    "count_open_complaints",
)


def ratings(features: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """customer_id and RATING_COLUMNS for `features`, rated with `rules`."""
    rated = assign_stars(features, rules)
    buyer = rated_mask(features)
    seg = rfm.rfm_arrays(features, buyer, rules.segment_grid)
    out = rated[["customer_id", *SCORE_COLUMNS, "score", "stars"]].copy()
    out["value_tier"] = rated["value_tier"].astype("string")
    out["loyalty_class"] = rated["loyalty_class"].astype("string")
    for name in ("r_score", "f_score", "m_score"):
        column = np.zeros(len(out), dtype=np.int8)
        column[buyer] = seg[name]
        out[name] = pd.array(column, dtype="Int8")
        out.loc[~buyer, name] = pd.NA
    segment = np.full(len(out), None, dtype=object)
    segment[buyer] = seg["segment"]
    out["segment"] = pd.array(segment, dtype="string")
    return out


def rating_columns(features: pd.DataFrame, rules: RuleSet) -> dict[str, pa.Array]:
    """RATING_COLUMNS of `features` as `ratings` gives them (null for prospects), as arrow
    arrays in row order: the same scores, stars and RFM scores, the texts decoded from
    numbers (no Python string per customer), for the build to write."""
    dims = dimension_scores(features).to_numpy(dtype=np.float64)
    score, stars, _ = rate(dims, rules)
    buyer = rated_mask(features)
    seg = rfm.rfm_arrays(features, buyer, rules.segment_grid)
    out = {name: pa.array(dims[:, i], from_pandas=True) for i, name in enumerate(SCORE_COLUMNS)}
    out["score"] = pa.array(score, from_pandas=True)
    out["stars"] = pa.array(stars, mask=stars == 0, type=pa.int8())
    tier = np.select(
        [np.isin(stars, rules.high_value_stars), np.isin(stars, rules.medium_value_stars)],
        [0, 1],
        2,
    )
    out["value_tier"] = _texts(tier, stars == 0, VALUE_TIERS)
    loyalty = dims[:, 2]
    cut = [loyalty >= rules.loyal_min, loyalty >= rules.potentially_loyal_min]
    out["loyalty_class"] = _texts(np.select(cut, [0, 1], 2), np.isnan(loyalty), LOYALTY_CLASSES)
    for name in ("r_score", "f_score", "m_score"):
        column = np.zeros(len(features), dtype=np.int8)
        column[buyer] = seg[name]
        out[name] = pa.array(column, mask=~buyer)
    segment = np.zeros(len(features), dtype=np.int8)
    segment[buyer] = segment_numbers(seg["r_score"], seg["f_score"], rules.segment_grid)
    names = segment_names(rules.segment_grid)
    out["segment"] = _texts(segment, ~buyer, names)
    return {name: out[name] for name in RATING_COLUMNS}


def _texts(numbers: np.ndarray, missing: np.ndarray, names) -> pa.Array:
    """Texts `names[number]` per row, null where `missing`, as an arrow string array."""
    codes = pa.array(numbers.astype(np.int8), mask=missing)
    return pa.DictionaryArray.from_arrays(codes, pa.array(list(names))).cast(pa.string())


def feature_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The columns of customer_features the ratings read (those that exist)."""
    have = set(db.columns(con, "customer_features"))
    columns = ", ".join(c for c in FEATURE_INPUTS if c in have)  # names from FEATURE_INPUTS
    return con.execute(f"select {columns} from customer_features").df()


def add_ratings(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, with_monthly: bool = True
) -> SavedRules:
    """The build step: the relationship inputs (`core/sql/star_inputs.sql`), the dimension
    scores, composite score, stars, value tier, loyalty class and RFM segment (active rule
    set) into customer_features; then (`with_monthly`) the month ends' scores into
    customer_monthly, which no rule set changes (core build writes those itself, worked
    out beside its other steps: `month_end_rows`)."""
    pending = rating_inputs(con, as_of)
    write_ratings(con, pending.active, pending.added())
    if with_monthly:
        build_customer_monthly(con, as_of)
    return pending.active


@dataclass(frozen=True, eq=False)
class RatingInputs:
    """What `add_ratings` reads: the `active` rule set and the `features` it rates
    (FEATURE_INPUTS that exist, with RELATIONSHIP_INPUTS), in customer_features' order."""

    active: SavedRules
    features: pa.Table

    def added(self) -> pa.Table:
        """`customer_id`, RELATIONSHIP_INPUTS and RATING_COLUMNS, for `write_ratings`:
        numpy and arrow only, no connection (the build works them out in a thread of their
        own while it runs other queries)."""
        rated = rating_columns(self.features.to_pandas(), self.active.rules)  # same order
        added = self.features.select(["customer_id", *RELATIONSHIP_INPUTS])
        for name, column in rated.items():
            added = added.append_column(name, column)
        return added


def rating_inputs(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> RatingInputs:
    """The active rule set and customer_features with the relationship inputs
    (`core/sql/star_inputs.sql`) as of `as_of`."""
    active = active_rules(con)
    inputs = sql.load("star_inputs", con)  # customer_features and RELATIONSHIP_INPUTS
    have = {*db.columns(con, "customer_features"), *RELATIONSHIP_INPUTS}
    columns = ", ".join(c for c in FEATURE_INPUTS if c in have)  # names from FEATURE_INPUTS
    query = f"select {columns} from ({inputs})"
    return RatingInputs(active, con.sql(query, params={"as_of": as_of}).to_arrow_table())


def write_ratings(con: duckdb.DuckDBPyConnection, active: SavedRules, added: pa.Table) -> None:
    """The columns of `added` (`RatingInputs.added`) into customer_features, and the rule
    set they were rated with into `meta`."""
    _add_columns(con, "customer_features", added)
    db.set_meta(con, "rules_applied", f"{active.name}:{active.version}")


def _add_columns(con: duckdb.DuckDBPyConnection, table: str, added: pa.Table) -> None:
    """Add the columns of `added` but its first (the key, `customer_id`) to `table`, each
    row's values from the row of `added` with its key (null where none has it). In place:
    cheaper than writing the whole table again (measured: about half the time at 200k
    customers)."""
    con.register("added_columns", added)
    try:
        types = con.execute("select column_name, column_type from (describe added_columns)")
        names = []
        for name, kind in types.fetchall()[1:]:  # names and types from the arrow table
            con.execute(f'alter table {table} add column "{name}" {kind}')
            names.append(name)
        assigned = ", ".join(f'"{name}" = a."{name}"' for name in names)
        con.execute(
            f"update {table} as t set {assigned} "
            "from added_columns as a where a.customer_id = t.customer_id"
        )
    finally:
        con.unregister("added_columns")


RULE_COLUMNS = ("score", "stars", "value_tier", "loyalty_class", "segment")  # rules change


def rule_ratings(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> pd.DataFrame:
    """customer_id and RULE_COLUMNS of every customer of customer_features under `rules`,
    from the dimension scores and R and F it holds (no rule set changes those: `ratings`
    gives them the same from the inputs): what `ratings` gives for those columns."""
    kept = ", ".join(("customer_id", *SCORE_COLUMNS, "r_score", "f_score"))  # fixed names
    frame = con.execute(f"select {kept} from customer_features").df()
    dims = frame[list(SCORE_COLUMNS)].to_numpy(dtype=np.float64, na_value=np.nan)
    score, stars, _ = rate(dims, rules)
    out = pd.DataFrame({"customer_id": frame["customer_id"], "score": score})
    out["stars"] = pd.array(stars, dtype="Int8")
    out.loc[stars == 0, "stars"] = pd.NA
    out["value_tier"] = pd.array(value_tier(stars, rules), dtype="string")
    out["loyalty_class"] = pd.array(loyalty_class(dims[:, 2], rules), dtype="string")
    buyer = frame["r_score"].notna().to_numpy()
    segment = np.full(len(out), None, dtype=object)
    r = frame["r_score"].to_numpy(dtype=np.int64, na_value=1)[buyer]
    f = frame["f_score"].to_numpy(dtype=np.int64, na_value=1)[buyer]
    segment[buyer] = rfm.segment_of(r, f, rules.segment_grid)
    out["segment"] = pd.array(segment, dtype="string")
    return out


def reapply_rules(con: duckdb.DuckDBPyConnection) -> SavedRules:
    """Re-rate customer_features with the active rule set (a save or a switch does it),
    without rebuilding anything else; raises the data version (the month ends are rated
    under the active set when read: customer_monthly keeps only what no rule changes, and
    is built again here only when an older build left it without that). A database
    not built yet has nothing to re-rate: its first `core build` rates with the active set.
    Runs on `con` itself (pass a cursor of your own when the connection is shared), in the
    caller's transaction when there is one."""
    with db.transaction(con):
        active = active_rules(con)
        if not set(RATING_COLUMNS) <= set(db.columns(con, "customer_features")):
            return active
        out = rule_ratings(con, active.rules)  # every row of customer_features
        con.register("customer_ratings", out)
        replaced = ", ".join(f"{c} = r.{c}" for c in RULE_COLUMNS)  # fixed names
        try:  # in place: the other columns stay as they are stored
            con.execute(
                f"update customer_features as f set {replaced} "
                "from customer_ratings as r where r.customer_id = f.customer_id"
            )
        finally:
            con.unregister("customer_ratings")
        as_of = db.built_as_of(con)
        if as_of is not None and not monthly_is_current(con):  # an older build's
            build_customer_monthly(con, as_of)  # the month ends are rated when read
        db.set_meta(con, "rules_applied", f"{active.name}:{active.version}")
        db.bump_data_version(con, raw=False)
    return active


# --- month-end snapshots and migration ----------------------------------------------------


def month_ends(as_of: dt.date, months: int = MONTHS) -> list[dt.date]:
    """The last `months` month ends on or before `as_of`, oldest first."""
    first_of_month = as_of.replace(day=1)
    ends = []
    end = as_of if (as_of + dt.timedelta(days=1)).day == 1 else first_of_month - dt.timedelta(1)
    while len(ends) < months:
        ends.append(end)
        end = end.replace(day=1) - dt.timedelta(days=1)
    return ends[::-1]


MONTH_END_INPUTS = monthly.INPUTS
MONTH_END_SCORES = SCORE_COLUMNS[:3]  # no relationship score at a month end
MONTH_END_KEPT = (*MONTH_END_SCORES, "r_score", "f_score")  # what the rating reads
MONTH_END_RATING = (  # what `month_end_ratings` gives: the kept scores and the rating
    *MONTH_END_SCORES,
    "score",
    "stars",
    "r_score",
    "f_score",
    "segment",
)
MONTHLY_COLUMNS = ("month_end", "customer_id", *MONTH_END_KEPT)
MONTHLY_SCHEMA = pa.schema(
    [
        ("month_end", pa.date32()),
        ("customer_id", pa.dictionary(pa.int32(), pa.string())),  # a VARCHAR when written
        *((name, pa.float64()) for name in MONTH_END_SCORES),
        *((name, pa.int8()) for name in ("r_score", "f_score")),
    ]
)


# The ids are stored uncompressed: DuckDB's dictionary and FSST compression of 13M ids (1M
# customers, 36 month ends) took most of the table's write; uncompressed takes a quarter
# of that CPU, for about 10 bytes more per row, and reads a month end as fast.
MONTHLY_TABLE = """
create or replace table customer_monthly (
    month_end date,
    customer_id varchar using compression uncompressed,
    score_contribution double,
    score_growth double,
    score_loyalty double,
    r_score tinyint,
    f_score tinyint
)
"""


def month_end_rules(rules: RuleSet) -> RuleSet:
    """The rule set a month end is rated with: `rules` with relationship's weight 0, so
    that its weight is shared out over the other three in proportion (the weights are
    normalised); contribution alone when relationship is the only weight."""
    contribution, growth, loyalty, _ = rules.weights
    if contribution + growth + loyalty == 0:
        return rules.replace(weights=(1.0, 0.0, 0.0, 0.0))
    return rules.replace(weights=(contribution, growth, loyalty, 0.0))


def month_end_scores(inputs: Mapping[str, np.ndarray]) -> dict:
    """MONTH_END_KEPT (MONTH_END_SCORES, `r_score`, `f_score`) of one month end's customers
    (their MONTH_END_INPUTS, all rated: core.monthly's `MonthEnd.inputs`), as arrays in
    their order: the `dimension_scores` and `rfm.rf_scores` of the as-of date, on these
    inputs. None of it depends on the rule set."""
    missing = [c for c in MONTH_END_INPUTS if c not in inputs]
    if missing:
        raise ValueError(f"a month end's rating needs column(s) {', '.join(missing)}")
    got = {name: np.asarray(inputs[name], dtype=np.float64) for name in MONTH_END_INPUTS}
    recency, days = got["recency_days"], got["count_purchase_days"]
    if np.isnan(recency).any() or np.isnan(days).any():
        raise ValueError("every customer rated at a month end has a purchase day")
    # as dimension_scores without the models, and rfm.rf_scores; the ties of recency and
    # purchase days are found once for both (-recency: loyalty's fallback and R)
    value_12m = value_12m_of(got["margin_12m"], got["revenue_12m"])
    recent, frequent = ranks.ties(-recency), ranks.ties(days)
    loyalty = (
        _percentile_of(recent)
        + _percentile_of(frequent)
        + percentile_rank(_filled(got["tenure_days"], 0.0))
    ) / 3
    return {
        "score_contribution": percentile_rank(value_12m),
        "score_growth": percentile_rank(growth_fallback(value_12m, recency)),
        "score_loyalty": loyalty,
        "r_score": rfm.quintile_of_ties(recent[0]),
        "f_score": rfm.quintile_of_ties(frequent[0]),
    }


def _percentile_of(ties: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """`percentile_rank` of values without NaN from their `ranks.ties`."""
    return np.full(len(ties[0]), 100.0) if len(ties[0]) <= 1 else percentile_of_ties(*ties)


def month_end_stars(scores: Mapping[str, np.ndarray], rules: RuleSet) -> dict:
    """`score`, `stars` and `segment` of one month end's customers from their
    `month_end_scores`: the composite and stars by `rate` under `month_end_rules(rules)`
    (quantile thresholds set among these customers), the segment from the rule set's grid
    as its number in `segment_names(rules.segment_grid)`."""
    dims = np.zeros((len(scores["r_score"]), len(DIMENSIONS)))
    for i, name in enumerate(MONTH_END_SCORES):
        dims[:, i] = scores[name]
    score, stars, _ = rate(dims, month_end_rules(rules))
    segment = segment_numbers(scores["r_score"], scores["f_score"], rules.segment_grid)
    return {"score": score, "stars": stars, "segment": segment}


def segment_names(grid: rfm.SegmentGrid) -> list[str]:
    """The segments of `grid`, sorted: what `segment_numbers` number."""
    return sorted({cell for row in rfm.check_grid(grid) for cell in row})


def segment_numbers(r_score: np.ndarray, f_score: np.ndarray, grid: rfm.SegmentGrid):
    """`rfm.segment_of` as numbers into `segment_names(grid)` (int8)."""
    names = segment_names(grid)
    numbers = np.array([[names.index(cell) for cell in row] for row in rfm.check_grid(grid)])
    r, f = np.asarray(r_score, dtype=np.int64), np.asarray(f_score, dtype=np.int64)
    return numbers[r - 1, f - 1].astype(np.int8)


def _segments(numbers: np.ndarray, grid: rfm.SegmentGrid) -> pa.DictionaryArray:
    names = pa.array(segment_names(grid), type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(numbers, type=pa.int8()), names)


def build_customer_monthly(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, months: int = MONTHS
) -> None:
    """customer_monthly: one row per customer rated at each of the last `months` month
    ends (signed up, with a purchase by then) with MONTH_END_KEPT, what the rating reads
    and no rule set changes (`month_end_scores`), ordered by month end. The inputs come
    from core.monthly (`core/sql/customer_monthly.sql` rolled over the month ends), one
    month end at a time (the module docstring says how a month end differs from the as-of
    date); the stars are worked out when read (`month_end_ratings`)."""
    inputs = monthly.month_end_inputs(con, month_ends(as_of, months))
    write_customer_monthly(con, month_end_rows(inputs))


def month_end_rows(inputs: monthly.MonthEnds) -> pa.Table:
    """customer_monthly's rows (MONTHLY_SCHEMA) from the month ends' inputs, in month-end
    order: numpy and arrow only, no connection, so that the build can work them out in a
    thread of their own while its other steps run their queries."""
    batches = [_month_batch(month, inputs.customer_ids) for month in inputs]
    return pa.Table.from_batches(batches, schema=MONTHLY_SCHEMA)


def write_customer_monthly(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """customer_monthly replaced by `rows` (`month_end_rows`)."""
    con.execute(MONTHLY_TABLE)
    con.register("customer_monthly_rows", rows)
    try:
        con.execute("insert into customer_monthly from customer_monthly_rows")
    finally:
        con.unregister("customer_monthly_rows")


def _month_batch(month: monthly.MonthEnd, customer_ids: pa.Array) -> pa.RecordBatch:
    """One month end's rows of customer_monthly (MONTHLY_SCHEMA): the customers' ids as
    their numbers into `customer_ids` (by rowid), so that no id is copied."""
    scores = month_end_scores(month.inputs)
    day = (month.end - monthly.EPOCH).days
    columns = {
        "month_end": pa.array(np.full(len(month), day, dtype=np.int32)).view(pa.date32()),
        "customer_id": pa.DictionaryArray.from_arrays(
            pa.array(month.customer_no, type=pa.int32()), customer_ids
        ),
        **{name: scores[name] for name in MONTH_END_KEPT},
    }
    return pa.record_batch(list(columns.values()), schema=MONTHLY_SCHEMA)


def monthly_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether customer_monthly is there with MONTHLY_COLUMNS (a build before the month ends
    kept their scores has stars and segments instead: no month end reads as rated then)."""
    return set(MONTHLY_COLUMNS) <= set(db.columns(con, "customer_monthly"))


def month_end_table(
    con: duckdb.DuckDBPyConnection, end: dt.date, rules: RuleSet | None = None
) -> pa.Table:
    """The customers rated at month end `end` with MONTH_END_RATING, as an arrow table
    (`customer_id` first, `segment` dictionary-coded): the kept scores read from
    customer_monthly, the composite, stars and segment worked out now by
    `month_end_stars` under `rules` (default: the active rule set). Empty for a month end
    customer_monthly does not hold."""
    cur = con.cursor()
    rules = active_rules(cur).rules if rules is None else rules
    kept = ", ".join(("customer_id", *MONTH_END_KEPT))  # fixed names
    query = f"select {kept} from customer_monthly where month_end = ?"
    table = cur.sql(query, params=[end]).to_arrow_table()
    scores = {name: table[name].to_numpy() for name in MONTH_END_KEPT}
    rating = month_end_stars(scores, rules)
    columns = {
        "customer_id": table["customer_id"],
        **{name: table[name] for name in MONTH_END_SCORES},
        "score": rating["score"],
        "stars": rating["stars"],
        "r_score": table["r_score"],
        "f_score": table["f_score"],
        "segment": _segments(rating["segment"], rules.segment_grid),
    }
    return pa.table(columns)


def month_end_ratings(
    con: duckdb.DuckDBPyConnection, end: dt.date, rules: RuleSet | None = None
) -> pd.DataFrame:
    """`month_end_table` as a DataFrame (segment as text)."""
    table = month_end_table(con, end, rules)
    segment = table.column("segment").cast(pa.string())
    return table.set_column(table.num_columns - 1, "segment", segment).to_pandas()


def star_flows(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    by: str = "stars",
    rules: RuleSet | None = None,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Customers moving between two month ends: `source, target, customers` where source
    and target are stars (as text, "none" for not yet rated) or segments (`by`), each
    month end rated now under `rules` (default: the active rule set; `month_end_table`);
    only the `customers` the shared filters choose (ids; None: everyone), each rated among
    the whole base."""
    if by not in ("stars", "segment"):
        raise ValueError(f"flows are by 'stars' or 'segment', not {by!r}")
    cur = con.cursor()
    rules = active_rules(cur).rules if rules is None else rules
    wanted = ["customer_id", "stars", "segment"]

    def rated_at(day: dt.date) -> pa.Table:
        table = month_end_table(cur, day, rules).select(wanted)
        if customers is None:
            return table
        chosen = pa.array(list(customers), type=pa.string())
        return table.filter(pc.is_in(table.column("customer_id").cast(pa.string()), chosen))

    cur.register("rated_at_start", rated_at(start))
    cur.register("rated_at_end", rated_at(end))
    try:
        return cur.execute(sql.load("rating_flows"), {"by": by}).df()
    finally:
        cur.unregister("rated_at_start")
        cur.unregister("rated_at_end")


def monthly_ends(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """The month ends customer_monthly holds, oldest first (empty when not built, or built
    before the month ends kept their scores: `monthly_is_current`)."""
    if not monthly_is_current(con.cursor()):
        return []
    rows = (
        con.cursor()
        .execute("select distinct month_end from customer_monthly order by month_end")
        .fetchall()
    )
    return [row[0] for row in rows]


# --- the ratings for the dashboard: dimension scores once, re-rating in numpy -------------

BASE_COLUMNS = (
    "customer_id",
    "city",
    "acquisition_channel",
    "revenue_12m",
    "margin_12m",
    "predicted_clv_12m",
)


@dataclass(frozen=True, eq=False)
class RatingBase:
    """Every customer's dimension scores as of a date, ready to be re-rated in numpy.

    `frame` has BASE_COLUMNS (predicted_clv_12m null without the model) and SCORE_COLUMNS
    (null for prospects); `dims` is the scores as an n x 4 array; `uses` says whether
    growth and loyalty read the models or their fallbacks; `from_build` is True when the
    scores are those of the last build (its as-of date), False when computed for another
    date from the transactions (then without the models: fallbacks)."""

    as_of: dt.date
    frame: pd.DataFrame
    dims: np.ndarray
    uses: dict[str, str]
    from_build: bool

    def money(self, column: str) -> np.ndarray:
        return self.frame[column].to_numpy(dtype=np.float64, na_value=np.nan)


def rating_base(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> RatingBase:
    """The dimension scores of every customer as of `as_of` (see RatingBase)."""
    cur = con.cursor()
    columns = set(db.columns(cur, "customer_features"))
    from_build = db.built_as_of(cur) == as_of
    if from_build and set(SCORE_COLUMNS) <= columns:
        wanted = [c for c in (*BASE_COLUMNS, *SCORE_COLUMNS, "p_alive") if c in columns]
        frame = cur.execute(f"select {', '.join(wanted)} from customer_features").df()
        uses = dimension_inputs(frame.assign(is_buyer=frame["score_contribution"].notna()))
    else:
        with db.temp_table(cur, "customer_features", {"as_of": as_of}):
            frame = cur.execute(sql.load("star_inputs", cur), {"as_of": as_of}).df()
        if not from_build:
            frame = frame.drop(columns=["predicted_clv_12m", "p_alive"], errors="ignore")
        uses = dimension_inputs(frame)
        frame[list(SCORE_COLUMNS)] = dimension_scores(frame)
    for column in BASE_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    frame = frame[[*BASE_COLUMNS, *SCORE_COLUMNS]]
    dims = frame[list(SCORE_COLUMNS)].to_numpy(dtype=np.float64, na_value=np.nan)
    return RatingBase(as_of, frame, dims, uses, from_build)


def star_distribution(base: RatingBase, stars: np.ndarray) -> pd.DataFrame:
    """One row per star 1-5: `stars, customers, share, revenue_12m, margin_12m, clv_12m`
    (sums over the customers with that star; clv null without the model)."""
    out = pd.DataFrame({"stars": STARS})
    counts = np.bincount(stars, minlength=6)[1:6]
    out["customers"] = counts
    out["share"] = counts / max(counts.sum(), 1)
    for name, column in (
        ("revenue_12m", "revenue_12m"),
        ("margin_12m", "margin_12m"),
        ("clv_12m", "predicted_clv_12m"),
    ):
        values = base.money(column)
        sums = np.bincount(stars, weights=np.nan_to_num(values), minlength=6)[1:6]
        has = np.bincount(stars, weights=np.isfinite(values), minlength=6)[1:6] > 0
        out[name] = np.where(has, sums, np.nan)
    return out


@dataclass(frozen=True)
class RatingChange:
    """What a draft rule set changes against the saved one: `flows` (one row per saved x
    draft star pair with customers and 12-month revenue), who moves up and down and the
    12-month revenue of the customers who move."""

    flows: pd.DataFrame
    moved_up: int
    moved_down: int
    revenue_up: float
    revenue_down: float
    draft: pd.DataFrame  # star_distribution under the draft rules


def rating_change(base: RatingBase, saved: np.ndarray, draft: np.ndarray) -> RatingChange:
    """Compare two ratings of the same customers (stars 0-5, 0 = prospect)."""
    revenue = np.nan_to_num(base.money("revenue_12m"))
    cell = saved.astype(np.int64) * 6 + draft.astype(np.int64)
    counts = np.bincount(cell, minlength=36).reshape(6, 6)[1:, 1:]
    money = np.bincount(cell, weights=revenue, minlength=36).reshape(6, 6)[1:, 1:]
    rows = [
        (s, d, int(counts[s - 1, d - 1]), float(money[s - 1, d - 1]))
        for s in STARS
        for d in STARS
        if counts[s - 1, d - 1]
    ]
    flows = pd.DataFrame(rows, columns=["saved", "draft", "customers", "revenue_12m"])
    up, down = draft > saved, draft < saved
    return RatingChange(
        flows=flows,
        moved_up=int(up.sum()),
        moved_down=int(down.sum()),
        revenue_up=float(revenue[up].sum()),
        revenue_down=float(revenue[down].sum()),
        draft=star_distribution(base, draft),
    )


def star_net_change(flows: pd.DataFrame, source: str = "saved", target: str = "draft"):
    """Per star, 5 first: `stars, came_in, went_out, net`, from `flows` (one row per
    `source` x `target` star pair with `customers`, as `rating_change` gives them): the
    customers who reach the star from another, those who leave it for another, and the
    difference (the star's count under `target` minus under `source`)."""
    moved = flows[flows[source] != flows[target]]
    came_in = moved.groupby(target)["customers"].sum()
    went_out = moved.groupby(source)["customers"].sum()
    order = list(reversed(STARS))
    out = pd.DataFrame(
        {
            "stars": order,
            "came_in": [int(came_in.get(s, 0)) for s in order],
            "went_out": [int(went_out.get(s, 0)) for s in order],
        }
    )
    out["net"] = out["came_in"] - out["went_out"]
    return out


MOVE_REASONS = (*DIMENSIONS, "thresholds")


def star_moves(
    base: RatingBase,
    saved_rules: RuleSet,
    saved: np.ndarray,
    draft_rules: RuleSet,
    draft: np.ndarray,
) -> pd.DataFrame:
    """The customers whose star differs between two ratings (`saved` and `draft`, stars
    0-5 by `rate` under `saved_rules` and `draft_rules`): `customer_id, from_stars,
    to_stars, reason, score_saved, score_draft`, the four dimension scores and
    `revenue_12m`; the biggest move first, then the highest revenue (unknown last), then
    in the base's order. Sorted in numpy before the frame is made: at a million customers
    a pandas sort with the ids as the last key took most of a second per slider move.

    `reason` is the dimension whose change of weight moved the composite most in the
    direction of the move (its score x the change of its normalised weight) when the
    composite itself moved that way; "thresholds" when it did not (it stayed, or moved the
    other way: the thresholds moved past it)."""
    rows = np.flatnonzero((saved != draft) & (saved > 0) & (draft > 0))
    revenue = base.money("revenue_12m")[rows]
    step = np.abs(draft[rows].astype(np.int64) - saved[rows])
    rows = rows[np.lexsort((rows, np.where(np.isnan(revenue), np.inf, -revenue), -step))]
    dims = base.dims[rows]
    pushed = dims * (draft_rules.normalised_weights - saved_rules.normalised_weights)
    way = np.where(draft[rows] > saved[rows], 1.0, -1.0)
    toward = pushed * way[:, None]  # > 0: pushed the way the customer moved
    best = np.argmax(toward, axis=1)
    score_saved, score_draft = composite(dims, saved_rules), composite(dims, draft_rules)
    moved_by_weight = (score_draft - score_saved) * way > 1e-9
    reason = np.where(moved_by_weight, best, MOVE_REASONS.index("thresholds"))
    out = pd.DataFrame(
        {
            "customer_id": base.frame["customer_id"].take(rows).reset_index(drop=True),
            "from_stars": saved[rows].astype(np.int64),
            "to_stars": draft[rows].astype(np.int64),
            "reason": pd.Categorical.from_codes(reason, categories=MOVE_REASONS),
            "score_saved": score_saved,
            "score_draft": score_draft,
        }
    )
    for i, column in enumerate(SCORE_COLUMNS):
        out[column] = dims[:, i]
    out["revenue_12m"] = base.money("revenue_12m")[rows]
    return out


@dataclass(frozen=True)
class StarShift:
    """What making a rule set active would change in customer_features: the customers
    moving up and down a star or more, `net` (`star_net_change`) per star, and `day`, the
    as-of day the stored stars are for (the last build's; None: never built)."""

    moved_up: int
    moved_down: int
    net: pd.DataFrame
    day: dt.date | None = None

    @property
    def moved(self) -> int:
        return self.moved_up + self.moved_down


def activation_change(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> StarShift:
    """How the stars stored in customer_features would change were `rules` made active:
    the stored dimension scores rated under `rules` (as `reapply_rules` rates them),
    against the stored stars, which are for the last build's day (not the as-of day a page
    may show). Nothing moves in a database not rated yet."""
    cur = con.cursor()
    day = db.built_as_of(cur)
    if not {"stars", *SCORE_COLUMNS} <= set(db.columns(cur, "customer_features")):
        flows = pd.DataFrame({"saved": [], "draft": [], "customers": []})
        return StarShift(0, 0, star_net_change(flows), day)
    kept = ", ".join(("stars", *SCORE_COLUMNS))  # fixed names
    frame = cur.execute(f"select {kept} from customer_features").df()
    now = frame["stars"].fillna(0).to_numpy(dtype=np.int64)
    dims = frame[list(SCORE_COLUMNS)].to_numpy(dtype=np.float64, na_value=np.nan)
    _, after, _ = rate(dims, rules)
    after = after.astype(np.int64)
    counts = np.bincount(now * 6 + after, minlength=36).reshape(6, 6)[1:, 1:]
    flows = pd.DataFrame(
        [(s, d, int(counts[s - 1, d - 1])) for s in STARS for d in STARS],
        columns=["saved", "draft", "customers"],
    )
    return StarShift(
        moved_up=int(((after > now) & (now > 0)).sum()),
        moved_down=int(((after < now) & (after > 0)).sum()),
        net=star_net_change(flows),
        day=day,
    )


def tier_list(base: RatingBase, rules: RuleSet, stars: np.ndarray, star: int) -> pd.DataFrame:
    """The customers with `star` stars (no personal data): id, city, channel, stars, value
    tier, composite and dimension scores, 12-month revenue and margin, predicted CLV;
    highest composite first."""
    score = composite(base.dims, rules)
    rows = np.flatnonzero(stars == star)
    out = base.frame.iloc[rows].copy()
    out.insert(3, "stars", star)
    out.insert(4, "value_tier", value_tier(stars[rows], rules))
    out.insert(5, "score", score[rows])
    return out.sort_values("score", ascending=False, ignore_index=True)
