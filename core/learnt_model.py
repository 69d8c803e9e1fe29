"""A learnt forecaster of each customer's purchase days in a holdout: gradient boosting
(scikit-learn's HistGradientBoostingRegressor, Poisson loss) on calibration-period
features, judged beside the BTYD models in `core.model_choice`.

    forecast = fit_learnt_model(con, dt.date(1997, 9, 30), holdout_days=273)
    forecast.expected_purchases(learnt_features(con, dt.date(1997, 9, 30)))

No holdout data reach the model. It is trained on an earlier split: features as known at
the end of `cut_off` (before the calibration end `as_of`), target the purchase days in
`(cut_off, as_of]`; then applied to the features as known at the end of `as_of`. The
training window is as long as the holdout when the history allows (`cut_off = as_of -
holdout`); on a shorter history it starts `min_history_days` after the first purchase and
must be at least half the holdout, and the predictions are scaled to the holdout's length
(a rate per day, as a Poisson model's offset would be). Features (`learnt_features.sql`):
frequency, recency, age (T) and idle days, mean spend, purchase days in the last
30/90/180/365 days, contacts, answers, complaints, mean CSAT and the acquisition channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from core import db, sql
from core.clv import ModelFitError

NUMERIC = (
    "frequency",
    "recency_days",
    "age_days",
    "idle_days",
    "spend_mean",
    "days_30",
    "days_90",
    "days_180",
    "days_365",
    "contacts",
    "contacts_90",
    "answers",
    "complaints",
    "csat_mean",
)
CATEGORY = "acquisition_channel"
MAX_CATEGORIES = 50  # the most common channels; the rest are one "other" level


@dataclass(frozen=True)
class LearntSettings:
    """How the learnt forecaster is trained. `train_sample` customers at most (a seeded
    sample) keep a 1M-customer shop's fit to seconds; `min_customers` bought by the training
    cut-off and `min_history_days` of purchases before it are what an earlier split needs."""

    max_iter: int = 200
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 50
    l2_regularization: float = 1.0
    train_sample: int = 100_000
    min_customers: int = 200
    min_history_days: int = 90
    seed: int = 18


@dataclass(frozen=True, eq=False)
class LearntForecast:
    """A fitted forecaster: `cut_off` and `train_days` of its training split, the customers
    it was trained on, and the channels it knows."""

    estimator: HistGradientBoostingRegressor
    cut_off: dt.date
    train_days: int
    holdout_days: int
    customers: int
    channels: tuple[str, ...]

    def expected_purchases(self, features: pd.DataFrame) -> np.ndarray:
        """Expected purchase days in the `holdout_days` after the features' as-of date, one
        per row of `features` (`learnt_features`)."""
        with threadpool_limits(limits=1, user_api="openmp"):
            rate = self.estimator.predict(feature_matrix(features, self.channels))
        return rate * (self.holdout_days / self.train_days)


def learnt_features(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """One row per customer who bought on or before `as_of`: `customer_id`, NUMERIC and
    CATEGORY as known at the end of that day (`core/sql/learnt_features.sql`)."""
    return con.execute(sql.load("learnt_features", con), {"as_of": as_of}).df()


def feature_matrix(features: pd.DataFrame, channels: tuple[str, ...]) -> np.ndarray:
    """NUMERIC as floats and the
    channel as its position in `channels` (NaN for a channel not among them)."""
    missing = [c for c in (*NUMERIC, CATEGORY) if c not in features.columns]
    if missing:
        raise ValueError(f"features lack the column(s) {', '.join(missing)}")
    numeric = features[list(NUMERIC)].astype(float).to_numpy()
    code = pd.Index(channels).get_indexer(features[CATEGORY].astype(str)).astype(float)
    code[code < 0] = np.nan
    return np.column_stack([numeric, code])


def training_split(
    first_day: dt.date, as_of: dt.date, holdout_days: int, settings: LearntSettings
) -> tuple[dt.date, int]:
    """The training cut-off and the training window's length in days (see the module's
    docstring), or ModelFitError ("short_history") when the history before `as_of` cannot
    hold a window at least half the holdout after `min_history_days` of purchases."""
    cut_off = max(
        as_of - dt.timedelta(days=holdout_days),
        first_day + dt.timedelta(days=settings.min_history_days),
    )
    train_days = (as_of - cut_off).days
    if 2 * train_days < holdout_days:
        raise ModelFitError(
            f"the learnt model needs an earlier split: {settings.min_history_days} days of "
            f"purchases and then at least {-(-holdout_days // 2)} days before the calibration "
            f"end, but the purchases start on {first_day} and the calibration ends on {as_of}",
            "short_history",
        )
    return cut_off, train_days


def fit_learnt_model(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    holdout_days: int,
    settings: LearntSettings = LearntSettings(),
) -> LearntForecast:
    """The forecaster trained on the split before `as_of` (`training_split`): features at
    the cut-off, target each customer's purchase days in `(cut_off, as_of]` as known at the
    end of `as_of`. Nothing after `as_of` is read. Raises ModelFitError when the history or
    the customers are too few, or nobody bought in the training window."""
    span = db.day_span(con, "transactions")
    if span is None:
        raise ModelFitError("there are no transactions to learn from", "no_data")
    cut_off, train_days = training_split(span[0], as_of, holdout_days, settings)
    frame = learnt_features(con, cut_off)
    if len(frame) < settings.min_customers:
        raise ModelFitError(
            f"the learnt model needs at least {settings.min_customers} customers who bought by "
            f"its training cut-off {cut_off}; there are {len(frame)}",
            "few_customers",
        )
    frame["target"] = _purchase_days_between(con, frame["customer_id"], cut_off, as_of)
    if not frame["target"].any():
        raise ModelFitError(
            f"no customer who bought by {cut_off} bought again by {as_of}: nothing to learn",
            "no_repeats",
        )
    if len(frame) > settings.train_sample:
        rng = np.random.default_rng(settings.seed)
        frame = frame.iloc[np.sort(rng.choice(len(frame), settings.train_sample, replace=False))]
    counts = frame[CATEGORY].astype(str).value_counts(sort=True)
    channels = tuple(sorted(counts.index[:MAX_CATEGORIES]))
    X = feature_matrix(frame, channels)
    estimator = HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=settings.learning_rate,
        max_iter=settings.max_iter,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        l2_regularization=settings.l2_regularization,
        categorical_features=[False] * len(NUMERIC) + [True],
        early_stopping=False,
        random_state=settings.seed,
    )
    with threadpool_limits(limits=1, user_api="openmp"):  # the same data, the same model
        estimator.fit(X, frame["target"].to_numpy(float))
    return LearntForecast(estimator, cut_off, train_days, holdout_days, len(frame), channels)


def _purchase_days_between(
    con: duckdb.DuckDBPyConnection, customer_ids: pd.Series, after: dt.date, as_of: dt.date
) -> np.ndarray:
    """Each customer's purchase days in `(after, as_of]`, as known at the end of `as_of`."""
    days = con.execute(sql.load("purchase_days_after", con), {"after": after, "as_of": as_of}).df()
    counts = days.groupby("customer_id").size()
    return counts.reindex(customer_ids.to_numpy(), fill_value=0).to_numpy(float)


def learnt_purchases(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    holdout_days: int,
    customer_ids: pd.Series,
    settings: LearntSettings = LearntSettings(),
) -> np.ndarray:
    """Expected purchase days in the `holdout_days` after `as_of` for `customer_ids` (who
    bought by `as_of`), by the forecaster trained before it (`fit_learnt_model`)."""
    forecast = fit_learnt_model(con, as_of, holdout_days, settings)
    features = learnt_features(con, as_of).set_index("customer_id")
    features = features.reindex(customer_ids.to_numpy()).reset_index()
    if features["frequency"].isna().any():
        raise ValueError("some customers have no purchase by the calibration end")
    return forecast.expected_purchases(features)
