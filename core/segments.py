"""Segments beyond the stars: the RFM grid and segment table, k-means clusters and the key
accounts (Pareto curve of margin).

Everything works on the buyers' frame `segment_frame(con, as_of)`: customer_features of
the last build when `as_of` is its date, else the same figures computed for `as_of` from
the transactions (RFM with the active rule set's grid).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import db, precompute, rfm, sql, stars
from core.precompute import page_result

FRAME_COLUMNS = (
    "customer_id",
    "city",
    "acquisition_channel",
    "recency_days",
    "count_purchase_days",
    "revenue",
    "revenue_12m",
    "margin_12m",
    "avg_order_value",
    "tenure_days",
)
# k-means features: money and counts on a log scale before scaling
CLUSTER_FEATURES = ("revenue", "count_purchase_days", "recency_days", "avg_order_value")
K_RANGE = (2, 3, 4, 5, 6, 7, 8)
FIT_SAMPLE = 20_000  # customers the clusters are fitted on (all are then assigned)
MIN_CLUSTER_BUYERS = 10  # fewer buyers than this are not clustered
SILHOUETTE_SAMPLE = 4_000
DESCRIBE_Z = 0.5  # a cluster is "high"/"low" on a feature when its mean is this far out


def segment_frame(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """One row per customer with a purchase by `as_of`: FRAME_COLUMNS, `r_score, f_score,
    m_score, segment` (and `stars` when rated by the build)."""
    cur = con  # not a cursor of its own: the build reads its own uncommitted tables
    wanted = [*FRAME_COLUMNS, "r_score", "f_score", "m_score", "segment", "stars"]
    if db.built_as_of(cur) == as_of and set(wanted) <= set(db.columns(cur, "customer_features")):
        frame = cur.execute(
            f"select {', '.join(wanted)} from customer_features where is_buyer "  # fixed names
            "order by customer_id"  # the kept clusters' labels follow this order
        ).df()
        for name in ("r_score", "f_score", "m_score", "stars"):
            frame[name] = frame[name].astype("Int8")
        return frame
    features = cur.execute(sql.load("customer_features", cur), {"as_of": as_of}).df()
    features = features[features["is_buyer"].fillna(False)]
    features = features.sort_values("customer_id", ignore_index=True)
    grid = stars.active_rules(con).rules.segment_grid
    return rfm.rfm_segments(features, grid)[
        [*FRAME_COLUMNS, "r_score", "f_score", "m_score", "segment"]
    ]


def grid_cells(frame: pd.DataFrame, grid: rfm.SegmentGrid = rfm.DEFAULT_GRID) -> pd.DataFrame:
    """All 25 R x F cells: `r_score, f_score, segment, customers, revenue` (12 months)."""
    out = rfm.rfm_grid_summary(frame)
    out["segment"] = rfm.segment_of(out["r_score"], out["f_score"], grid)
    return out


def segment_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per segment of rfm.SEGMENTS (in that order): `segment, customers, share,
    revenue_12m, revenue_share, median_recency_days, mean_purchase_days`."""
    groups = frame.groupby("segment", observed=True)
    out = pd.DataFrame(
        {
            "customers": groups.size(),
            "revenue_12m": groups["revenue_12m"].sum(),
            "median_recency_days": groups["recency_days"].median(),
            "mean_purchase_days": groups["count_purchase_days"].mean(),
        }
    )
    out = out.reindex(list(rfm.SEGMENTS)).fillna({"customers": 0, "revenue_12m": 0.0})
    out["customers"] = out["customers"].astype(int)
    out["share"] = out["customers"] / max(out["customers"].sum(), 1)
    total = out["revenue_12m"].sum()
    out["revenue_share"] = out["revenue_12m"] / total if total else np.nan
    out = out.rename_axis("segment").reset_index()
    return out[
        [
            "segment",
            "customers",
            "share",
            "revenue_12m",
            "revenue_share",
            "median_recency_days",
            "mean_purchase_days",
        ]
    ]


def cell_customers(frame: pd.DataFrame, r_score: int, f_score: int) -> pd.DataFrame:
    """The buyers of `frame` in the R x F cell (`r_score`, `f_score`) of the grid, highest
    12-month revenue first: the customers behind one cell of `grid_cells`."""
    if not (1 <= int(r_score) <= 5 and 1 <= int(f_score) <= 5):
        raise ValueError(f"R and F scores are 1 to 5, not ({r_score}, {f_score})")
    r = frame["r_score"].to_numpy(dtype=np.float64, na_value=np.nan)
    f = frame["f_score"].to_numpy(dtype=np.float64, na_value=np.nan)
    chosen = frame[(r == int(r_score)) & (f == int(f_score))]
    return chosen.sort_values("revenue_12m", ascending=False, kind="stable", ignore_index=True)


# --- clusters ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Clusters:
    """k-means on the scaled CLUSTER_FEATURES: `labels` per row of the frame, the chosen
    `k`, the silhouette of each k tried (empty when k was given), and `profile` (one row
    per cluster: customers, share, the feature medians, and `traits`: up to three
    (feature, "high" | "low") pairs that set the cluster apart, strongest first)."""

    labels: np.ndarray
    k: int
    silhouettes: dict[int, float]
    profile: pd.DataFrame


MONEY_FEATURES = ("revenue", "avg_order_value")


def cluster_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The CLUSTER_FEATURES as clustered and plotted: money to the cent (refunds netting to
    1e-14 are 0) and never below 0 (a buyer whose refunds exceed their purchases spent
    nothing, for a cluster), so that a log scale starts at the first cent, not at 1e-14."""
    out = frame[list(CLUSTER_FEATURES)].astype("float64")
    for name in MONEY_FEATURES:
        out[name] = out[name].round(2).clip(lower=0.0)
    return out


def plotted_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The CLUSTER_FEATURES as the cluster scatter draws them: `cluster_inputs` with money
    at least one unit (a net of 0 has no place on a log axis)."""
    out = cluster_inputs(frame)
    for name in MONEY_FEATURES:
        out[name] = out[name].clip(lower=1.0)
    return out


def region_customers(
    frame: pd.DataFrame,
    x: str,
    y: str,
    regions: list[dict],
    log: tuple[bool, bool] = (False, False),
) -> pd.DataFrame:
    """The rows of `frame` whose (`x`, `y`) as plotted (`plotted_features`) lie inside any
    of `regions`, each a dict with lists `x` and `y` in data units: two corners of a box, or
    the vertices of a lasso. `log`: whether each axis is logarithmic (the region's edges
    are straight there in log units, so points and vertices are compared in them). In
    `frame`'s order."""
    plotted = plotted_features(frame)
    px = plotted[x].to_numpy(dtype=np.float64, na_value=np.nan)
    py = plotted[y].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        px, py = (np.log10(v) if on else v for v, on in zip((px, py), log, strict=True))
    inside = np.zeros(len(frame), dtype=bool)
    for region in regions:
        xs = np.asarray(region.get("x") or (), dtype=np.float64)
        ys = np.asarray(region.get("y") or (), dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            xs, ys = (np.log10(v) if on else v for v, on in zip((xs, ys), log, strict=True))
        if len(xs) == 2 and len(ys) == 2:  # a box: its two corners
            inside |= (px >= xs.min()) & (px <= xs.max()) & (py >= ys.min()) & (py <= ys.max())
        elif len(xs) >= 3 and len(xs) == len(ys):
            inside |= _in_polygon(px, py, xs, ys)
    return frame[inside]


def _in_polygon(px: np.ndarray, py: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Whether each point (px, py) is inside the polygon of vertices (xs, ys), by the even-odd
    rule: a ray to the right crosses its edges an odd number of times."""
    inside = np.zeros(len(px), dtype=bool)
    for x0, y0, x1, y1 in zip(xs, ys, np.roll(xs, -1), np.roll(ys, -1), strict=True):
        if y0 == y1:
            continue  # a horizontal edge is never crossed by a horizontal ray
        spans = (py >= min(y0, y1)) & (py < max(y0, y1))
        crossing = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= spans & (px < crossing)
    return inside


def _matrix(frame: pd.DataFrame) -> np.ndarray:
    """k-means input: money and counts as log(1 + x), recency in days; missing as 0."""
    inputs = cluster_inputs(frame).fillna(0.0)
    columns = []
    for name in CLUSTER_FEATURES:
        values = inputs[name].to_numpy(dtype=np.float64)
        if name != "recency_days":
            values = np.log1p(np.maximum(values, 0.0))
        columns.append(values)
    return np.column_stack(columns)


def customer_clusters(frame: pd.DataFrame, k: int | None = None, seed: int = 0) -> Clusters:
    """Cluster the buyers of `frame` (segment_frame). k by the best silhouette over K_RANGE
    unless given; fitted on a seeded sample of FIT_SAMPLE customers, then every customer
    is assigned to the nearest centre."""
    if k is None:
        return cluster_set(frame, seed).clusters(None)
    from threadpoolctl import threadpool_limits  # with scikit-learn, not before it is needed

    z, fit_rows = _scaled(frame, seed)
    with threadpool_limits(limits=1):
        labels = _fit_labels(z, fit_rows, k, seed)
    return Clusters(labels, k, {}, _profile(frame, z, labels, k))


@dataclass(frozen=True, eq=False)
class ClusterSet:
    """The clusters for every k the silhouette search tries (K_RANGE below the sample
    size): `labels[k]` per row of the frame (int8), `silhouettes` of each k, and `profiles[k]`
    (as Clusters.profile, with `traits` written "feature:level,..." so that it keeps)."""

    labels: dict[int, np.ndarray]
    silhouettes: dict[int, float]
    profiles: dict[int, pd.DataFrame]

    def clusters(self, k: int | None) -> Clusters:
        """The Clusters `customer_clusters(frame, k)` gives: k by the best silhouette when
        None (2 when no k separates the customers)."""
        chosen = k if k is not None else self.best_k()
        if chosen not in self.labels:
            raise KeyError(f"no clusters kept for k = {chosen}")
        profile = self.profiles[chosen].copy()
        profile["traits"] = [_traits_of(text) for text in profile["traits"]]
        labels = self.labels[chosen].astype(np.int64)
        return Clusters(labels, chosen, self.silhouettes if k is None else {}, profile)

    def best_k(self) -> int:
        return max(self.silhouettes, key=self.silhouettes.get) if self.silhouettes else 2


def cluster_set(frame: pd.DataFrame, seed: int = 0) -> ClusterSet:
    """k-means for every k of K_RANGE below the fit sample's size on one scaling and sample
    (the silhouette search's fits are the clusters themselves: a fit is seeded, so a k
    chosen by the search and the same k given give the same clusters)."""
    from sklearn.metrics import pairwise_distances  # not on a page's import
    from threadpoolctl import threadpool_limits

    z, fit_rows = _scaled(frame, seed)
    score_rows = fit_rows[:SILHOUETTE_SAMPLE]
    labels: dict[int, np.ndarray] = {}
    silhouettes: dict[int, float] = {}
    with threadpool_limits(limits=1):  # OpenMP threads spin on a busy machine: 20x slower
        distances = pairwise_distances(z[score_rows])  # the scored rows', once for every k
        for candidate in (c for c in K_RANGE if c < len(fit_rows)):
            labels[candidate] = _fit_labels(z, fit_rows, candidate, seed)
            scored = labels[candidate][score_rows]
            if len(set(scored)) > 1:
                silhouettes[candidate] = mean_silhouette(distances, scored)
        if 2 not in labels:  # too few customers for any k of the search
            labels[2] = _fit_labels(z, fit_rows, 2, seed)
    profiles = {}
    for k, found in labels.items():
        profile = _profile(frame, z, found, k)
        profile["traits"] = [_traits_text(traits) for traits in profile["traits"]]
        profiles[k] = profile
    small = {k: found.astype(np.int8) for k, found in labels.items()}  # k <= 8: kept small
    return ClusterSet(small, silhouettes, profiles)


def mean_silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette coefficient (Rousseeuw 1987) of `labels` over the rows of the
    square matrix `distances`, as scikit-learn's `silhouette_score(..., metric=
    "precomputed")` defines it: per row, a = mean distance to the other members of its
    cluster, b = the least mean distance to another cluster's members, s = (b - a) /
    max(a, b), 0 in a cluster of one. The distances to each cluster are summed by one
    matrix product (the same sums, added in another order: equal within 1e-12 relative)."""
    present, codes = np.unique(labels, return_inverse=True)
    n = len(codes)
    rows = np.arange(n)
    members = np.zeros((n, len(present)))
    members[rows, codes] = 1.0
    sums = distances @ members
    sizes = members.sum(axis=0)
    a = sums[rows, codes].copy()
    sums[rows, codes] = np.inf
    b = (sums / sizes).min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a /= (sizes - 1)[codes]
        s = (b - a) / np.maximum(a, b)
    return float(np.nan_to_num(s).mean())


def _scaled(frame: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The scaled k-means input of `frame` and the seeded rows the centres are fitted on."""
    n = len(frame)
    if n < MIN_CLUSTER_BUYERS:
        raise ValueError(
            f"clusters need at least {MIN_CLUSTER_BUYERS} customers with a purchase, not {n}"
        )
    from sklearn.preprocessing import StandardScaler

    x = _matrix(frame)
    z = StandardScaler().fit(x).transform(x)
    rng = np.random.default_rng(seed)
    return z, rng.choice(n, size=min(n, FIT_SAMPLE), replace=False)


def _fit_labels(z: np.ndarray, fit_rows: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Every row's cluster, numbered by size (largest first) so labels are stable."""
    from sklearn.cluster import KMeans

    labels = KMeans(k, n_init=4, random_state=seed).fit(z[fit_rows]).predict(z)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    return relabel[labels]


def _traits_text(traits: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{feature}:{level}" for feature, level in traits)


def _traits_of(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(part.split(":")) for part in text.split(",") if part)


def clusters_at(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, k: int | None, frame: pd.DataFrame
) -> Clusters:
    """`customer_clusters(frame, k)` for the buyers of `segment_frame(con, as_of)` (passed
    as `frame`): read from the build's ClusterSet when it kept one for `as_of`."""
    found = precompute.kept(built_clusters, con, as_of)
    return found.clusters(k) if found is not None else customer_clusters(frame, k=k, seed=0)


@page_result(ratings=True)
def built_clusters(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ClusterSet:
    """The ClusterSet of the buyers of `segment_frame(con, as_of)`, seed 0: kept by the
    build for its as-of date, so that the Segments page reads its clusters for any k."""
    return cluster_set(_cluster_frame(con, as_of), seed=0)


def _cluster_frame(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """The columns of `segment_frame(con, as_of)` that clusters read (CLUSTER_FEATURES and
    revenue_12m), its rows in its order: only those columns read from the build's
    customer_features when `as_of` is its date, else cut from the whole frame."""
    wanted = [*CLUSTER_FEATURES, "revenue_12m"]
    if db.built_as_of(con) == as_of and set(wanted) <= set(db.columns(con, "customer_features")):
        return con.execute(
            f"select {', '.join(wanted)} from customer_features where is_buyer "  # fixed names
            "order by customer_id"
        ).df()
    return segment_frame(con, as_of)[wanted]


def _profile(frame: pd.DataFrame, z: np.ndarray, labels: np.ndarray, k: int) -> pd.DataFrame:
    """One row per cluster: customers, share, feature medians and traits. The rows are
    grouped by one stable sort by cluster, so each cluster's rows keep their order: its
    means and medians are those of `z[labels == c]` (the same numbers, summed in the same
    order), without a pass over every row per cluster and feature."""
    order = np.argsort(labels.astype(np.int16), kind="stable")  # small ints: a radix sort
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    grouped_z = z[order]
    grouped = {
        name: frame[name].to_numpy(dtype=float, na_value=np.nan)[order]
        for name in (*CLUSTER_FEATURES, "revenue_12m")
    }
    n = len(labels)
    rows = []
    for c in range(k):
        start, end = bounds[c], bounds[c + 1]
        means = grouped_z[start:end].mean(axis=0)
        strongest = np.argsort(-np.abs(means))[:3]
        traits = tuple(
            (CLUSTER_FEATURES[i], "high" if means[i] > 0 else "low")
            for i in strongest
            if abs(means[i]) >= DESCRIBE_Z
        )
        row = {"cluster": c, "customers": int(end - start), "share": (end - start) / n}
        for name, values in grouped.items():
            row[f"median_{name}"] = float(np.nanmedian(values[start:end]))
        row["traits"] = traits
        rows.append(row)
    return pd.DataFrame(rows)


def chosen_profile(
    profile: pd.DataFrame, frame: pd.DataFrame, labels: np.ndarray, rows: np.ndarray
) -> pd.DataFrame:
    """`profile` (Clusters.profile of the buyers of `frame`, whose clusters are `labels`)
    counted over the rows `rows` of `frame` alone: each cluster's customers, share and
    medians among them; the traits, which describe the cluster's centre, are kept."""
    chosen = np.asarray(labels)[rows]
    k = len(profile)
    counts = np.bincount(chosen, minlength=k)
    out = profile.copy()
    out["customers"] = counts.astype(int)
    out["share"] = counts / max(len(rows), 1)
    for name in (*CLUSTER_FEATURES, "revenue_12m"):
        values = frame[name].to_numpy(dtype=float, na_value=np.nan)[rows]
        out[f"median_{name}"] = [
            float(np.nanmedian(values[chosen == c])) if counts[c] else np.nan for c in range(k)
        ]
    return out


def describe_cluster(traits: tuple[tuple[str, str], ...]) -> str:
    """The cluster in plain English words (the dashboard words it from its catalogs)."""
    words = {
        ("revenue", "high"): "spend a lot",
        ("revenue", "low"): "spend little",
        ("count_purchase_days", "high"): "buy often",
        ("count_purchase_days", "low"): "buy rarely",
        ("recency_days", "high"): "have not bought for a long time",
        ("recency_days", "low"): "bought recently",
        ("avg_order_value", "high"): "place large orders",
        ("avg_order_value", "low"): "place small orders",
    }
    if not traits:
        return "Typical customers, close to the average on every measure."
    return "Customers who " + ", ".join(words[t] for t in traits) + "."


# --- key accounts ----------------------------------------------------------------------------


def value_measure(frame: pd.DataFrame) -> str:
    """Which 12-month measure ranks the key accounts: "margin", or "revenue" when no buyer
    has a margin (the transactions carry no cost). Pages name the chart after it."""
    margin = frame["margin_12m"].to_numpy(dtype=np.float64, na_value=np.nan)
    return "margin" if np.isfinite(margin).any() else "revenue"


def _margin(frame: pd.DataFrame) -> np.ndarray:
    margin = frame["margin_12m"].to_numpy(dtype=np.float64, na_value=np.nan)
    revenue = frame["revenue_12m"].to_numpy(dtype=np.float64, na_value=0.0)
    if value_measure(frame) == "revenue":
        return revenue
    return np.where(np.isnan(margin), 0.0, margin)


def pareto_curve(frame: pd.DataFrame, points: int = 200) -> pd.DataFrame:
    """`share_customers, share_margin`: the top x of customers by 12-month margin carry y of
    the total 12-month margin (revenue when there is no cost), at `points` + 1 points."""
    margin = np.sort(_margin(frame))[::-1]
    n, total = len(margin), margin.sum()
    if n == 0 or total == 0:
        return pd.DataFrame({"share_customers": [0.0, 1.0], "share_margin": [0.0, 1.0]})
    cumulative = np.concatenate([[0.0], np.cumsum(margin)]) / total
    at = np.unique(np.linspace(0, n, points + 1).round().astype(int))
    return pd.DataFrame({"share_customers": at / n, "share_margin": cumulative[at]})


def key_accounts(frame: pd.DataFrame, top_share: float) -> tuple[float, pd.DataFrame]:
    """(share of the 12-month margin they carry, the list) for the top `top_share` of
    customers by 12-month margin; the list has the frame's columns, best first."""
    if not 0 < top_share <= 1:
        raise ValueError(f"top_share must be within (0, 1], not {top_share}")
    margin = _margin(frame)
    count = max(int(np.floor(top_share * len(frame) + 1e-9)), 1 if len(frame) else 0)
    order = np.argsort(-margin, kind="stable")[:count]
    total = margin.sum()
    carried = float(margin[order].sum() / total) if total else float("nan")
    top = frame.iloc[order].reset_index(drop=True)
    return carried, top
