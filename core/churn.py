"""Churn risk: who will not buy in the next N days, learnt from the past with a time split.

Scripted like the rest of core::

    result = churn_risk(con, dt.date(2026, 11, 20))
    result.quality.auc, result.drivers, result.scores

The question is the one a marketer acts on: "will this customer make no purchase in the next
`horizon_days` days?" (the label `is_churned`). Who is asked: the customers with a purchase
in the `active_days` days up to a cut-off date (customers gone longer are already lost, and
would make the question too easy). What the model knows: `churn_features`, defined in SQL
(`core/sql/churn_features.sql`) from the raw tables cut at the end of the cut-off day. The
model steps cut them at every cut-off from one read of the tables instead (`ChurnHistory`,
the same numbers to the bit: tests/core/test_churn_history.py).

Three cut-offs, each `horizon_days` apart, so that nothing the model learns from lies after
the period it is judged on:

- training: features as of as_of - 2N, labels from the N days after (ending at as_of - N);
- evaluation: features as of as_of - N, labels from the N days up to as_of; the AUC, the
  calibration table and the drivers come from this later period only;
- scoring: features as of as_of, the risk for the N days ahead. The scoring model is the
  same recipe refitted on the evaluation cut-off, the latest period whose outcome is known.

The classifier is scikit-learn's HistGradientBoostingClassifier (seeded; missing values and
the acquisition channel handled natively; small trees, L2 and early stopping so that a few
thousand customers give calibrated risks, not 0s and 1s), trained on at most
`max_train_rows` customers drawn at random; drivers are permutation importances (the drop
in AUC when a feature is shuffled) on a seeded sample of the evaluation period.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from core import db, sql
from core.clv import NotReady, Reason

CATEGORICAL = ("acquisition_channel",)
# Outbound touches (outreach, follow-ups) are left out: they record what the business did,
# not what the customer did. On the demo data outreach counts raise the AUC by about 0.002
# (20,000 customers, three seeds), all of it from the generator aiming outreach by each
# customer's latent value; with one outreach rate for everyone they add nothing.
NUMERIC = (
    "recency_days",
    "tenure_days",
    "count_purchase_days",
    "count_purchase_days_90",
    "count_purchase_days_365",
    "avg_spend",
    "spend_365",
    "mean_gap_days",
    "overdue_ratio",
    "count_refunds_365",
    "count_inquiries_90",
    "count_complaints_365",
    "count_open_complaints",
    "latest_csat",
    "latest_nps",
)
FEATURES = CATEGORICAL + NUMERIC
MIN_HISTORY_DAYS = 30  # of purchases before the earliest cut-off
HORIZONS = (30, 60, 90, 180)  # the standard horizons (days) the build scores ahead


@dataclass(frozen=True)
class ChurnSettings:
    """How the churn classifier is set up; every field has a sensible default."""

    horizon_days: int = 90  # the label: no purchase in the next horizon_days days
    active_days: int = 365  # who is scored: a purchase within this many days of the cut-off
    # Training customers drawn at random beyond this. On 200,000 demo customers (about
    # 100,000 per period) 25,000 give an AUC within 0.003 of a fit on every customer, a
    # Brier score within 0.001 and the same calibration to 0.006 (30/60/90/180 days), in
    # a third of the time; the build trains eight models.
    max_train_rows: int = 25_000
    # Boosting's step: 0.2 stops after about 40% fewer trees than 0.1 did (25-40 instead of
    # 38-72 at 1M customers), and a prediction costs one pass per tree; on the 1M bench the
    # four horizons kept AUC within 0.0015 and the Brier score within 0.0005 of 0.1's.
    learning_rate: float = 0.2
    importance_rows: int = 5_000  # evaluation customers the drivers are measured on
    importance_repeats: int = 3
    calibration_bins: int = 10
    min_customers: int = 200  # per period, below which no model is trained
    min_per_class: int = 20  # churned and retained customers needed per period
    seed: int = 0
    # Python threads a prediction of many rows is split across, each predicting its share of
    # the rows on one OpenMP thread (the risks are the same to the bit: each row's risk is its
    # own sum over the trees). A page predicts on one; the build on BUILD_THREADS.
    threads: int = 1

    def __post_init__(self):
        if not 7 <= self.horizon_days <= 730:
            raise ValueError(f"horizon_days must be 7 to 730; got {self.horizon_days}")
        if self.active_days < 1:
            raise ValueError(f"active_days must be at least 1; got {self.active_days}")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1; got {self.threads}")


BUILD_THREADS = 2  # the build's prediction threads (ChurnSettings.threads): one per core
MIN_ROWS_PER_THREAD = 20_000  # fewer rows than this a thread are predicted on one thread
# rows predicted at a time: their features (2 MB) stay in the CPU's cache while every tree
# reads them, instead of streaming all the rows from memory once per tree (1.5x faster on
# 540,000 rows); the risks are the same to the bit
PREDICT_ROWS = 16_384


def churn_features(
    con: duckdb.DuckDBPyConnection,
    cut_off: dt.date,
    active_days: int = 365,
    customers: list[str] | None = None,
) -> pd.DataFrame:
    """One row per customer with a purchase in the `active_days` up to `cut_off`: the
    `FEATURES` as known at the end of that day (see `core/sql/churn_features.sql`), numbers as
    floats (missing: NaN) and the acquisition channel as text. With `customers` (ids), the
    rows of those customers only, computed from their purchases alone."""
    query = sql.load("churn_features", con)
    params = {"as_of": cut_off, "active_days": active_days, "customers": customers}
    frame = con.execute(query, params).df()
    for name in NUMERIC:
        frame[name] = frame[name].astype("float64")
    frame["acquisition_channel"] = frame["acquisition_channel"].astype(object)
    return frame


def churn_labels(
    con: duckdb.DuckDBPyConnection, features: pd.DataFrame, cut_off: dt.date, horizon_days: int
) -> pd.Series:
    """`is_churned` per row of `features`: True when the customer made no purchase in the
    `horizon_days` days after `cut_off` (`core/sql/purchase_days_after.sql`)."""
    bought = con.execute(
        sql.load("purchase_days_after", con),
        {"after": cut_off, "as_of": cut_off + dt.timedelta(days=horizon_days)},
    ).df()["customer_id"]
    # an index lookup: Series.isin is slow on pandas' Arrow-backed strings
    churned = pd.Index(bought.unique()).get_indexer(features["customer_id"]) < 0
    return pd.Series(churned, index=features.index, name="is_churned")


def labelled(
    con: duckdb.DuckDBPyConnection, cut_off: dt.date, settings: ChurnSettings
) -> pd.DataFrame:
    """`churn_features` as of `cut_off` with the `is_churned` label of the next
    `horizon_days` days."""
    features = churn_features(con, cut_off, settings.active_days)
    return features.assign(is_churned=churn_labels(con, features, cut_off, settings.horizon_days))


def usable_features(frame: pd.DataFrame) -> tuple[str, ...]:
    """The FEATURES the training frame can teach anything about: the categorical ones and
    each numeric one with a known value for someone (a shop without feedback has no CSAT or
    NPS; without interactions, inquiries are unknown, not zero, only if the SQL says so).
    An all-missing column is left out rather than handed to the classifier, which cannot
    bin it."""
    return CATEGORICAL + tuple(n for n in NUMERIC if frame[n].notna().any())


@dataclass(frozen=True, eq=False)
class ChurnModel:
    """A fitted classifier, the features it uses and the categories it knows; `risk`
    gives P(no purchase)."""

    estimator: HistGradientBoostingClassifier
    categories: dict[str, list[str]]
    cut_off: dt.date
    features: tuple[str, ...] = FEATURES
    threads: int = 1  # ChurnSettings.threads

    def matrix(self, features: pd.DataFrame) -> np.ndarray:
        """The model's input: its feature columns as floats in one C-ordered array (the
        classifier reads it as it is, with no per-call conversion of a frame), a categorical
        one as its position among the training categories (an unseen or missing category
        reads as missing, NaN: the classifier's own encoding of a pandas category)."""
        missing = [f for f in self.features if f not in features.columns]
        if missing:
            raise ValueError(f"the features lack column(s) {', '.join(missing)}")
        X = np.empty((len(features), len(self.features)))
        for j, name in enumerate(self.features):
            if name in CATEGORICAL:
                codes = pd.Index(self.categories[name]).get_indexer(features[name])
                X[:, j] = np.where(codes >= 0, codes, np.nan)
            else:
                X[:, j] = features[name].to_numpy(dtype=float, na_value=np.nan)
        return X

    def risk(self, features: pd.DataFrame) -> np.ndarray:
        """P(no purchase in the horizon) for each row of `features`."""
        if features.empty:
            return np.empty(0)
        X = self.matrix(features)
        threads = min(self.threads, len(X) // MIN_ROWS_PER_THREAD)
        if threads <= 1:
            return self._risk(X)
        with ThreadPoolExecutor(threads) as pool:  # the prediction releases the GIL
            return np.concatenate(list(pool.map(self._risk, np.array_split(X, threads))))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        """`estimator.predict_proba(X)[:, 1]`, worked out as scikit-learn does it
        (`_raw_predict`, then the loss's link) with only its column transformer, the part
        handed to joblib, under _SKLEARN_TASKS: the trees run in the threads at once."""
        estimator = self.estimator
        with _SKLEARN_TASKS:
            X = estimator._preprocess_X(X, reset=False)
        raw = np.zeros(
            (len(X), estimator.n_trees_per_iteration_),
            dtype=estimator._baseline_prediction.dtype,
            order="F",
        )
        raw += estimator._baseline_prediction
        estimator._predict_iterations(X, estimator._predictors, raw, False, 1)
        return estimator._loss.predict_proba(raw)[:, 1]

    def _risk(self, X: np.ndarray) -> np.ndarray:
        """The risks of the rows of X, PREDICT_ROWS at a time (each row's risk is its own)."""
        with _one_thread():  # in the thread that predicts: OpenMP's limit is per thread
            parts = range(0, len(X), PREDICT_ROWS)
            return np.concatenate([self._predict(X[i : i + PREDICT_ROWS]) for i in parts])


def train_churn_model(frame: pd.DataFrame, settings: ChurnSettings, cut_off: dt.date):
    """Fit the classifier on a labelled frame (`labelled`), on at most `max_train_rows`
    customers drawn with the settings' seed."""
    _check_trainable(frame, settings, "training")
    return fit_churn_model(training_sample(frame, settings), settings, cut_off)


def training_sample(frame: pd.DataFrame, settings: ChurnSettings) -> pd.DataFrame:
    """The rows of `frame` a model is trained on: at most `max_train_rows`, drawn with the
    settings' seed (in the order drawn)."""
    if len(frame) > settings.max_train_rows:
        return frame.sample(settings.max_train_rows, random_state=settings.seed)
    return frame


def fit_churn_model(frame: pd.DataFrame, settings: ChurnSettings, cut_off: dt.date):
    """Fit the classifier on every row of a labelled frame (`training_sample`)."""
    categories = {n: sorted(frame[n].dropna().unique().tolist()) for n in CATEGORICAL}
    features = usable_features(frame)
    estimator = HistGradientBoostingClassifier(
        learning_rate=settings.learning_rate,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=50,
        l2_regularization=1.0,
        early_stopping=True,  # on a seeded 10% of the training customers, at any size
        categorical_features=[name in CATEGORICAL for name in features],
        random_state=settings.seed,
    )
    model = ChurnModel(estimator, categories, cut_off, features, settings.threads)
    with _one_thread(), _SKLEARN_TASKS:
        estimator.fit(model.matrix(frame), frame["is_churned"].to_numpy())
    return model


# scikit-learn (1.7 on) runs each task it hands to joblib inside warnings.catch_warnings()
# after warnings.resetwarnings(), to pass the caller's filters on (sklearn.utils.parallel,
# _FuncWrapper), and the histogram GBM hands tasks so in every fit (its binning) and every
# prediction (its column transformer), even on one thread. Before Python 3.14 the filters
# are one list for the whole process: two threads doing this at once empty and restore each
# other's list, so warnings meant to be ignored are shown (again and again: every change of
# the list forgets which were shown once), sklearn warns that `delayed` ran without its
# Parallel (it read an emptied list), and the process can be left with another thread's
# copy. The build's threads take turns through this lock for those calls, and only them.
_SKLEARN_TASKS = threading.Lock()


def _one_thread():
    """OpenMP limited to one thread, for fits and predictions alike. Fits: OpenMP's parallel
    sums of gradients are not bit-for-bit repeatable, and a rounding difference can flip a
    split; one thread makes the same data give the same model. Predictions: on a machine
    whose cores are busy, OpenMP's waiting threads made the drivers of one horizon take 50 s
    instead of 4 s (200,000 customers)."""
    return threadpool_limits(limits=1, user_api="openmp")


def _check_trainable(frame: pd.DataFrame, settings: ChurnSettings, period: str) -> None:
    churned = int(frame["is_churned"].sum())
    retained = len(frame) - churned
    if len(frame) < settings.min_customers:
        raise NotReady(
            Reason(
                "churn_few_customers",
                {"period": period, "need": settings.min_customers, "have": len(frame)},
                f"the {period} period has {len(frame)} active customers; the churn model "
                f"needs at least {settings.min_customers}",
            )
        )
    if min(churned, retained) < settings.min_per_class:
        raise NotReady(
            Reason(
                "churn_one_sided",
                {
                    "period": period,
                    "need": settings.min_per_class,
                    "churned": churned,
                    "retained": retained,
                },
                f"the {period} period has {churned} customers who stopped buying and "
                f"{retained} who bought again; the churn model needs at least "
                f"{settings.min_per_class} of each",
            )
        )


@dataclass(frozen=True, eq=False)
class ChurnQuality:
    """How well the model separated the evaluation period: `auc` (ROC AUC), `brier`
    (mean squared error of the probabilities), `base_rate` (share who did not buy), the
    same AUC for the simplest rule (longer since the last purchase = riskier) for
    comparison, and `calibration`: per decile of predicted risk `bin, customers,
    predicted, observed`."""

    auc: float
    brier: float
    base_rate: float
    customers: int
    recency_auc: float
    calibration: pd.DataFrame


def evaluate(model: ChurnModel, frame: pd.DataFrame, bins: int = 10) -> ChurnQuality:
    """The model's quality on a labelled frame of a later period than its training."""
    return _quality(frame, model.risk(frame), bins)


def _quality(frame: pd.DataFrame, risk: np.ndarray, bins: int) -> ChurnQuality:
    y = frame["is_churned"].to_numpy()
    return ChurnQuality(
        auc=float(roc_auc_score(y, risk)),
        brier=float(brier_score_loss(y, risk)),
        base_rate=float(y.mean()),
        customers=len(frame),
        recency_auc=float(roc_auc_score(y, frame["recency_days"].to_numpy())),
        calibration=calibration_table(y, risk, bins),
    )


def calibration_table(y: np.ndarray, risk: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Customers cut into `bins` equal groups by predicted risk (ties kept together): per
    group `bin` (1 = lowest risk), `customers`, mean `predicted` risk and `observed` share
    who made no purchase."""
    order = pd.Series(risk).rank(method="first").to_numpy()
    group = np.minimum((order - 1) * bins // len(risk), bins - 1).astype(int) + 1
    table = (
        pd.DataFrame({"bin": group, "predicted": risk, "observed": y.astype(float)})
        .groupby("bin", as_index=False)
        .agg(
            customers=("predicted", "size"),
            predicted=("predicted", "mean"),
            observed=("observed", "mean"),
        )
    )
    return table


def drivers(model: ChurnModel, frame: pd.DataFrame, settings: ChurnSettings) -> pd.DataFrame:
    """Permutation importance on at most `importance_rows` customers of a labelled frame:
    per feature the mean and standard deviation of the drop in AUC when the feature is
    shuffled, most important first."""
    if len(frame) > settings.importance_rows:
        frame = frame.sample(settings.importance_rows, random_state=settings.seed)
    with _one_thread():
        mean, std = permutation_auc_drops(
            model.estimator,
            model.matrix(frame),
            frame["is_churned"].to_numpy(),
            settings.importance_repeats,
            settings.seed,
        )
    table = pd.DataFrame(
        {"feature": list(model.features), "importance": mean, "importance_std": std}
    )
    return table.sort_values("importance", ascending=False, ignore_index=True)


def permutation_auc_drops(
    estimator: HistGradientBoostingClassifier, X: np.ndarray, y: np.ndarray, repeats: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The mean and standard deviation per column of X of the drop in AUC when the column
    is shuffled: `importances_mean` and `importances_std` of scikit-learn's
    `permutation_importance(estimator, X, y, scoring="roc_auc", n_repeats=repeats,
    random_state=seed)`, the same shuffles and the same sums to the bit, with fewer trees
    evaluated: the score is the baseline plus each tree's value in turn, and a tree that never
    splits on the shuffled column gives every row the value it gave unshuffled, so only the
    trees splitting on it (about half) are evaluated again (tests/core/test_churn_paths.py)."""
    trees = [tree for (tree,) in estimator._predictors]  # one tree per boosting round
    known, feature_map = estimator._bin_mapper.make_known_categories_bitsets()

    def auc(values: list[np.ndarray]) -> float:  # as estimator.decision_function sums them
        raw = np.zeros((len(X), 1), dtype=estimator._baseline_prediction.dtype, order="F")
        raw += estimator._baseline_prediction
        for value in values:
            raw[:, 0] += value
        return roc_auc_score(y, raw.ravel())

    unshuffled = [tree.predict(X, known, feature_map, 1) for tree in trees]
    baseline = auc(unshuffled)
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    scores = np.empty((X.shape[1], repeats))
    for j in range(X.shape[1]):
        splits = [
            bool(np.any((t.nodes["feature_idx"] == j) & (t.nodes["is_leaf"] == 0))) for t in trees
        ]
        rng = np.random.RandomState(column_seed)  # each column's shuffles start alike
        shuffled, order = X.copy(), np.arange(len(X))
        for r in range(repeats):
            rng.shuffle(order)
            shuffled[:, j] = shuffled[order, j]
            values = [
                tree.predict(shuffled, known, feature_map, 1) if split else value
                for tree, split, value in zip(trees, splits, unshuffled, strict=True)
            ]
            scores[j, r] = auc(values)
    drops = baseline - scores
    return np.mean(drops, axis=1), np.std(drops, axis=1)


@dataclass(frozen=True)
class CutOffs:
    """The three dates of the time split (see the module docstring)."""

    training: dt.date
    evaluation: dt.date
    scoring: dt.date

    @classmethod
    def of(cls, as_of: dt.date, horizon_days: int) -> CutOffs:
        step = dt.timedelta(days=horizon_days)
        return cls(as_of - 2 * step, as_of - step, as_of)


@dataclass(frozen=True, eq=False)
class ChurnResult:
    """The churn classifier as of `as_of`: its `cut_offs`, `quality` on the evaluation
    period and `drivers` (None without `with_quality`), and `scores`: per customer active at
    `as_of` the `churn_risk` for the next `horizon_days` and `churn_risk_previous`, the risk
    the evaluated model gave the customer `horizon_days` earlier (NaN for customers not
    active then, or without `with_quality`)."""

    as_of: dt.date
    horizon_days: int
    cut_offs: CutOffs
    quality: ChurnQuality | None
    drivers: pd.DataFrame | None
    scores: pd.DataFrame
    quality_reason: Reason | None = None  # why quality is None although it was asked for


def churn_risk(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: ChurnSettings | None = None,
    *,
    with_quality: bool = True,
    frames: FeatureFrames | None = None,
) -> ChurnResult:
    """Score the customers active at `as_of` with the model trained on the evaluation
    cut-off; with `with_quality`, also train on the training cut-off and judge that model on
    the evaluation period (quality, drivers, the risk N days ago). `frames` shares the
    feature frames of each cut-off between calls (the standard horizons share cut-offs).

    Raises NotReady (with the reason) when the history is too short for the cut-offs, or the
    evaluation period has too few customers or only one outcome. When only the training
    period is too thin, the scores come back without quality (`quality_reason` says why).
    """
    settings = settings or ChurnSettings()
    cuts = CutOffs.of(as_of, settings.horizon_days)
    frames = frames or FeatureFrames(con, settings.active_days)
    _check_history(frames.first_day(), cuts, settings, with_quality=False)
    current = frames.features(cuts.scoring)
    evaluation = frames.labelled(cuts.evaluation, settings.horizon_days)
    _check_trainable(evaluation, settings, "evaluation")
    scoring_model = train_churn_model(evaluation, settings, cuts.evaluation)
    scores = pd.DataFrame(
        {
            "customer_id": current["customer_id"],
            "churn_risk": scoring_model.risk(current),
            "churn_risk_previous": np.nan,
        }
    )
    if not with_quality:
        return ChurnResult(as_of, settings.horizon_days, cuts, None, None, scores)
    try:
        _check_history(frames.first_day(), cuts, settings, with_quality=True)
        training = frames.training(cuts.training, settings)
        model = fit_churn_model(training, settings, cuts.training)
    except NotReady as error:  # a young shop: scores today, but no earlier model to judge
        return ChurnResult(as_of, settings.horizon_days, cuts, None, None, scores, error.reason)
    risk = model.risk(evaluation)
    quality = _quality(evaluation, risk, settings.calibration_bins)
    scores["churn_risk_previous"] = frames.carried(risk, cuts.evaluation, cuts.scoring)
    table = drivers(model, evaluation, settings)
    return ChurnResult(as_of, settings.horizon_days, cuts, quality, table, scores)


class FeatureFrames:
    """`churn_features` and their labels per cut-off, each worked out once from one read of
    the history (`ChurnHistory`): the standard horizons share cut-offs (as_of - 60 days is
    the 30-day training cut-off and the 60-day evaluation one), and every cut-off is a cut
    of the same events, so scoring them together reads the tables once."""

    def __init__(self, con: duckdb.DuckDBPyConnection, active_days: int = 365):
        self._con = con
        self._active_days = active_days
        self._history: ChurnHistory | None = None
        self._first_day: tuple[dt.date | None] | None = None
        self._features: dict[dt.date, pd.DataFrame] = {}
        self._numbers: dict[dt.date, np.ndarray] = {}  # each row's customer number
        self._labelled: dict[tuple[dt.date, int], pd.DataFrame] = {}

    @property
    def history(self) -> ChurnHistory:
        """The events every cut-off is cut from, read on first use."""
        if self._history is None:
            self._history = ChurnHistory.read(self._con)
        return self._history

    def first_day(self) -> dt.date | None:
        """The day of the first transaction (None without any), read on first use."""
        if self._first_day is None:
            query = "select min(ordered_at)::date from transactions"
            self._first_day = (self._con.execute(query).fetchall()[0][0],)
        return self._first_day[0]

    def prepare(self, as_of: dt.date, horizons: tuple[int, ...]) -> None:
        """Read what `churn_risk` asks of these frames for each of `horizons` as of `as_of`
        (the tables, the features and labels of its cut-offs), so that the horizons can then
        be worked out in other threads without touching the connection."""
        self.first_day()
        self.features(as_of)
        for horizon in horizons:
            cuts = CutOffs.of(as_of, horizon)
            self.labelled(cuts.evaluation, horizon)
            self.labelled(cuts.training, horizon)

    def features(self, cut_off: dt.date) -> pd.DataFrame:
        """`churn_features` as of `cut_off` (not to be changed in place)."""
        if cut_off not in self._features:
            frame, numbers = self.history.features(cut_off, self._active_days)
            self._features[cut_off], self._numbers[cut_off] = frame, numbers
        return self._features[cut_off]

    def labelled(self, cut_off: dt.date, horizon_days: int) -> pd.DataFrame:
        """`features(cut_off)` with the `is_churned` label of the next `horizon_days` days
        (`ChurnHistory.churned`: the labels of `churn_labels`)."""
        key = (cut_off, horizon_days)
        if key not in self._labelled:
            features = self.features(cut_off)
            churned = self.history.churned(self._numbers[cut_off], cut_off, horizon_days)
            label = pd.Series(churned, index=features.index, name="is_churned")
            self._labelled[key] = features.assign(is_churned=label)
        return self._labelled[key]

    def carried(self, values: np.ndarray, cut_off: dt.date, later: dt.date) -> np.ndarray:
        """`values` of the rows of `features(cut_off)` put on the rows of `features(later)`
        by customer, NaN for a customer not among the first."""
        placed = np.full(len(self.history.customer_id), np.nan)
        placed[self._numbers[cut_off]] = values
        return placed[self._numbers[later]]

    def training(self, cut_off: dt.date, settings: ChurnSettings) -> pd.DataFrame:
        """`training_sample` of `labelled(cut_off, settings.horizon_days)`, after checking
        that the period can be trained on (NotReady if not)."""
        frame = self.labelled(cut_off, settings.horizon_days)
        _check_trainable(frame, settings, "training")
        return training_sample(frame, settings)


EPOCH = dt.date(1970, 1, 1)  # churn_history's days count from it
NEVER = 2**31 - 1  # churn_history's day for "not yet": no end of validity, not resolved
PURCHASE_DAY, REFUND, INQUIRY, FEEDBACK = range(4)  # churn_history's events


@dataclass(frozen=True, eq=False)
class ChurnHistory:
    """What `churn_features` reads, for every cut-off date at once: the customers with a
    purchase day (`core/sql/churn_purchasers.sql`: `customer_id`, `channel` as the features
    name it, `signed_up_on` in days since 1970, NEVER when unknown) and their events
    (`core/sql/churn_history.sql`), each kind in its own arrays keyed by `n`, the customer's
    row in `customer_id`. `features` cuts them at a date as churn_features.sql cuts the
    tables (tests/core/test_churn_history.py pins the two to the same numbers)."""

    customer_id: pd.Series
    channel: np.ndarray
    signed_up_on: np.ndarray
    events: dict[int, dict[str, np.ndarray]]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> ChurnHistory:
        """The history in `con`'s tables, as of the end of its last day."""
        buyers = con.execute(sql.load("churn_purchasers", con)).df()
        rows = con.execute(sql.load("churn_history", con)).fetchnumpy()
        kinds = rows.pop("event")
        bounds = np.searchsorted(kinds, np.arange(FEEDBACK + 2))  # the rows come by event
        events = {}
        for kind in (PURCHASE_DAY, REFUND, INQUIRY, FEEDBACK):
            chosen = slice(bounds[kind], bounds[kind + 1])
            events[kind] = {name: column[chosen] for name, column in rows.items()}
        answers = events[FEEDBACK]  # each customer's answers in time order: the latest last
        order = np.lexsort((answers["tie"], answers["submitted_us"], answers["n"]))
        events[FEEDBACK] = {name: column[order] for name, column in answers.items()}
        signed = buyers["signed_up_on"].to_numpy(dtype="datetime64[D]")
        return cls(
            customer_id=buyers["customer_id"],
            channel=buyers["acquisition_channel"].astype(object).fillna("unknown").to_numpy(),
            signed_up_on=np.where(
                np.isnat(signed), NEVER, signed.astype("int64", copy=False)
            ).astype(np.int64),
            events=events,
        )

    def features(self, cut_off: dt.date, active_days: int = 365) -> tuple[pd.DataFrame, np.ndarray]:
        """`churn_features(con, cut_off, active_days)` (the same rows, columns and numbers)
        and each row's customer number `n`."""
        c = (cut_off - EPOCH).days
        days = self.events[PURCHASE_DAY]
        valid = (days["valid_from"] <= c) & (c < days["valid_to"])
        n = days["n"][valid]
        day = days["on_day"][valid].astype(np.int64)
        spend = days["spend_millionths"][valid]
        starts = np.flatnonzero(np.r_[True, n[1:] != n[:-1]]) if len(n) else np.empty(0, int)
        if len(n):
            first = np.minimum.reduceat(day, starts)
            last = np.maximum.reduceat(day, starts)
        else:
            first = last = np.empty(0, np.int64)
        count = np.diff(np.r_[starts, len(n)])
        kept = last > c - active_days
        who = n[starts][kept].astype(np.int64)

        def per_customer(values: np.ndarray) -> np.ndarray:  # summed over each kept one's days
            return np.add.reduceat(values, starts)[kept] if len(n) else values[:0]

        first, last, count = first[kept], last[kept], count[kept]
        gap = np.full(len(who), np.nan)
        repeat = count > 1
        gap[repeat] = (last[repeat] - first[repeat]) / (count[repeat] - 1)
        overdue = np.full(len(who), np.nan)
        overdue[repeat] = (c - last[repeat]) / np.maximum(gap[repeat], 1)
        spend_365 = per_customer(np.where(day > c - 365, spend, 0))
        columns = {
            "recency_days": c - last,
            "tenure_days": c - first,
            "count_purchase_days": count,
            "count_purchase_days_90": per_customer((day > c - 90).astype(np.int64)),
            "count_purchase_days_365": per_customer((day > c - 365).astype(np.int64)),
            "avg_spend": per_customer(spend) / 1e6 / count,
            "spend_365": spend_365 / 1e6,
            "mean_gap_days": gap,
            "overdue_ratio": overdue,
            **self._contacts(c, who),
        }
        numeric = np.empty((len(NUMERIC), len(who)))  # one block, as pandas keeps it
        for j, name in enumerate(NUMERIC):
            numeric[j] = columns[name]
        frame = pd.DataFrame(numeric.T, columns=list(NUMERIC), copy=False)
        channel = np.where(self.signed_up_on[who] <= c, self.channel[who], "unknown")
        frame.insert(0, "acquisition_channel", pd.Series(channel, dtype=object))
        frame.insert(0, "customer_id", self.customer_id.array.take(who))
        return frame, who

    def _contacts(self, c: int, who: np.ndarray) -> dict[str, np.ndarray]:
        """The features of refunds, inquiries and feedback as of day `c`, for customers
        `who` (in churn_features' column order)."""
        size = len(self.customer_id)

        def counted(kind: int, rows: np.ndarray) -> np.ndarray:
            return np.bincount(self.events[kind]["n"][rows], minlength=size)[who]

        refunds, inquiries = self.events[REFUND], self.events[INQUIRY]
        in_refunds = (refunds["valid_from"] <= c) & (c < refunds["valid_to"])
        in_inquiries = (inquiries["on_day"] <= c) & (inquiries["on_day"] >= c - 89)
        feedback = self.events[FEEDBACK]
        known = feedback["on_day"] <= c
        complaint = known & feedback["is_complaint"]
        return {
            "count_refunds_365": counted(REFUND, in_refunds & (refunds["on_day"] >= c - 364)),
            "count_inquiries_90": counted(INQUIRY, in_inquiries),
            "count_complaints_365": counted(FEEDBACK, complaint & (feedback["on_day"] >= c - 364)),
            "count_open_complaints": counted(FEEDBACK, complaint & (feedback["resolved_on"] > c)),
            "latest_csat": self._latest(feedback, known, "csat", who),
            "latest_nps": self._latest(feedback, known, "nps", who),
        }

    def _latest(self, feedback: dict, known: np.ndarray, name: str, who: np.ndarray):
        """Each customer's last known `name` answer (the rows are in time order), NaN
        without one."""
        rows = np.flatnonzero(known & ~np.isnan(feedback[name]))
        n = feedback["n"][rows]
        last = np.r_[n[1:] != n[:-1], True] if len(n) else np.empty(0, bool)
        latest = np.full(len(self.customer_id), np.nan)
        latest[n[last]] = feedback[name][rows[last]]
        return latest[who]

    def churned(self, numbers: np.ndarray, cut_off: dt.date, horizon_days: int) -> np.ndarray:
        """`churn_labels` of the customers numbered `numbers` (`features`' second part):
        True for one without a purchase day in the `horizon_days` days after `cut_off`, as
        known at the end of the last of them."""
        c = (cut_off - EPOCH).days
        end = c + horizon_days
        days = self.events[PURCHASE_DAY]
        after = (days["valid_from"] <= end) & (end < days["valid_to"]) & (days["on_day"] > c)
        bought = np.zeros(len(self.customer_id), bool)
        bought[days["n"][after]] = True
        return ~bought[numbers]


def churn_risks(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    horizons: tuple[int, ...] = HORIZONS,
    settings: ChurnSettings | None = None,
    frames: FeatureFrames | None = None,
) -> dict[int, ChurnResult | Reason]:
    """`churn_risk` with quality for each of `horizons` (days) as of `as_of`, the features
    of each cut-off read once; a horizon the data are too thin for maps to its Reason. The
    default settings work on BUILD_THREADS threads (the build's step): the horizons share
    them out, each horizon's work is its own (seeded, one OpenMP thread), so the results do
    not depend on the threads (tests/core/test_churn_paths.py). `frames`: FeatureFrames
    of `settings.active_days` already read (`prepare`), or None to read them here."""
    settings = settings or ChurnSettings(threads=BUILD_THREADS)
    frames = frames or FeatureFrames(con, settings.active_days)
    frames.prepare(as_of, horizons)  # every read of the connection, in this thread

    def result(horizon: int) -> ChurnResult | Reason:
        chosen = replace(settings, horizon_days=horizon)
        try:
            return churn_risk(con, as_of, chosen, frames=frames)
        except NotReady as error:
            return error.reason

    with ThreadPoolExecutor(settings.threads) as pool:
        return dict(zip(horizons, pool.map(result, horizons), strict=True))


def _check_history(
    first: dt.date | None, cuts: CutOffs, settings: ChurnSettings, with_quality: bool
) -> None:
    """The first cut-off used must leave at least MIN_HISTORY_DAYS of purchases before it
    (`first`: the day of the first transaction, None without any)."""
    earliest = cuts.training if with_quality else cuts.evaluation
    have = (cuts.scoring - first).days if first is not None else 0
    need = (cuts.scoring - earliest).days + MIN_HISTORY_DAYS
    if first is None or have < need:
        raise NotReady(
            Reason(
                "churn_short_history",
                {"need": need, "have": have, "horizon": settings.horizon_days},
                f"the churn model learns from {need - MIN_HISTORY_DAYS} days of outcomes "
                f"after at least {MIN_HISTORY_DAYS} days of history, {need} days in all; the "
                f"data hold {have} days up to the as-of date",
            )
        )


WARNING_COLUMNS = (
    "customer_id",
    "city",
    "acquisition_channel",
    "last_purchase_on",
    "days_since_purchase",
    "count_orders",
    "predicted_clv",
    "value_if_retained",
    "p_alive",
    "churn_risk",
    "churn_risk_previous",
    "risk_change",
    "value_at_risk",
)


def warning_list(
    scores: pd.DataFrame, customers: pd.DataFrame, as_of: dt.date, min_risk: float = 0.0
) -> pd.DataFrame:
    """The customers of `scores` (`ChurnResult.scores`) whose churn risk is at least
    `min_risk`, with who they are and what they are worth from `customers` (rows of
    `core.value.customer_values`; without the model columns, the worth reads as missing):
    `WARNING_COLUMNS`, where `risk_change` = churn_risk - churn_risk_previous and
    `value_at_risk` = churn_risk x value_if_retained (the 12 months of value the customer
    brings if they stay). Most value at risk first, then highest risk."""
    _check_min_risk(min_risk)
    chosen = scores[scores["churn_risk"] >= min_risk]
    return _warning_table(chosen.merge(customers, on="customer_id", how="left"), as_of)


def _check_min_risk(min_risk: float) -> None:
    if not 0 <= min_risk <= 1:
        raise ValueError(f"min_risk is a probability from 0 to 1; got {min_risk}")


def _warning_table(table: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """`warning_list` of the chosen scores joined with their customers' rows."""
    for name in ("predicted_clv", "value_if_retained", "p_alive"):
        if name not in table.columns:
            table[name] = np.nan
    table["days_since_purchase"] = (
        pd.Timestamp(as_of) - pd.to_datetime(table["last_purchase_on"])
    ).dt.days
    table["risk_change"] = table["churn_risk"] - table["churn_risk_previous"]
    table["value_at_risk"] = table["churn_risk"] * table["value_if_retained"]
    table = table.sort_values(
        ["value_at_risk", "churn_risk", "customer_id"],
        ascending=[False, False, True],
        na_position="last",
        ignore_index=True,
    )
    return table[list(WARNING_COLUMNS)]


RISK_BANDS = 20  # the bands of churn risk the Churn risk page draws


def risk_band_edges(bins: int = RISK_BANDS) -> np.ndarray:
    """The edges of `bins` equal bands of churn risk from 0 to 1."""
    return np.linspace(0, 1, bins + 1)


def risk_histogram(risk: pd.Series, bins: int = RISK_BANDS) -> pd.DataFrame:
    """Customers per band of churn risk: `lower, upper, customers` for `bins` equal bands
    from 0 to 1 (the last band includes 1)."""
    edges = risk_band_edges(bins)
    counts, _ = np.histogram(np.asarray(risk, dtype=float), edges)
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "customers": counts})


def in_risk_band(risk, band: int, bins: int = RISK_BANDS) -> np.ndarray:
    """True where `risk` falls in band `band` (0 = the lowest) of `risk_histogram`: from
    its lower edge up to, not including, its upper one (the last band includes 1)."""
    if not 0 <= band < bins:
        raise ValueError(f"band must be from 0 to {bins - 1}; got {band}")
    edges = risk_band_edges(bins)
    risk = np.asarray(risk, dtype=float)
    below = risk <= edges[band + 1] if band == bins - 1 else risk < edges[band + 1]
    return (risk >= edges[band]) & below


# --- what core build stores for the Churn risk page ---------------------------------------

SCORES_COLUMNS = ("customer_id", "churn_risk", "churn_risk_previous")
QUALITY_COLUMNS = ("auc", "brier", "base_rate", "customers", "recency_auc")
CALIBRATION_COLUMNS = ("bin", "customers", "predicted", "observed")
DRIVER_COLUMNS = ("feature", "importance", "importance_std")
STORED_TABLES = {
    "churn_results": "as_of date, horizon_days integer, reason varchar, quality_reason varchar, "
    "auc double, brier double, base_rate double, customers bigint, recency_auc double",
    "churn_scores": "horizon_days integer, customer_id varchar, churn_risk double, "
    "churn_risk_previous double",
    "churn_calibration": "horizon_days integer, bin bigint, customers bigint, predicted double, "
    "observed double",
    "churn_drivers": "horizon_days integer, rank integer, feature varchar, importance double, "
    "importance_std double",
}


def store_churn_results(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, results: dict[int, ChurnResult | Reason]
) -> None:
    """Replace the stored churn results with `results` (`churn_risks` as of `as_of`):
    `churn_results` (one row per horizon: why it did not run, or its quality),
    `churn_scores` (per horizon and customer scored), `churn_calibration` (per horizon and
    bin of risk) and `churn_drivers` (per horizon and feature, `rank` 1 = most important)."""
    rows, scores, calibration, drivers_ = [], [], [], []
    for horizon, result in results.items():
        row = {"as_of": as_of, "horizon_days": horizon, "reason": None, "quality_reason": None}
        row.update(dict.fromkeys(QUALITY_COLUMNS))
        if isinstance(result, Reason):
            rows.append({**row, "reason": reason_json(result)})
            continue
        scores.append(result.scores[list(SCORES_COLUMNS)].assign(horizon_days=horizon))
        if result.quality is None:
            rows.append({**row, "quality_reason": reason_json(result.quality_reason)})
            continue
        rows.append({**row, **{n: getattr(result.quality, n) for n in QUALITY_COLUMNS}})
        calibration.append(result.quality.calibration.assign(horizon_days=horizon))
        ranked = result.drivers.assign(rank=np.arange(1, len(result.drivers) + 1))
        drivers_.append(ranked.assign(horizon_days=horizon))
    frames = {
        "churn_results": pd.DataFrame(rows),
        "churn_scores": scores,
        "churn_calibration": calibration,
        "churn_drivers": drivers_,
    }
    for table, schema in STORED_TABLES.items():
        con.execute(f"create or replace table {table} ({schema})")  # names from STORED_TABLES
        parts = frames[table]
        if isinstance(parts, list):
            if not parts:
                continue
            parts = pd.concat(parts, ignore_index=True)
        frame = parts
        if frame.empty:
            continue
        names = [c.split()[0] for c in schema.split(", ")]
        con.register("stored_frame", frame[names])
        try:
            con.execute(f"insert into {table} select * from stored_frame")
        finally:
            con.unregister("stored_frame")


def stored_churn_result(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, horizon_days: int
) -> ChurnResult | Reason | None:
    """What `core build` stored for `horizon_days` as of `as_of`: the result as
    `churn_risk` gives it (the same figures), the Reason it could not run, or None when the
    build stored nothing for that date and horizon (another as-of date, an older build, or
    an import since: the stored rows are of older data)."""
    if not db.columns(con, "churn_results") or not sql.staging_is_current(con):
        return None
    found = con.execute(
        "select reason, quality_reason, auc, brier, base_rate, customers, recency_auc "
        "from churn_results where as_of = $as_of and horizon_days = $horizon",
        {"as_of": as_of, "horizon": horizon_days},
    ).fetchall()
    if not found:
        return None
    [(reason, quality_reason, *quality)] = found
    if reason is not None:
        return reason_from_json(reason)
    key = {"horizon": horizon_days}
    scores = con.execute(
        "select customer_id, churn_risk, churn_risk_previous from churn_scores "
        "where horizon_days = $horizon order by customer_id",
        key,
    ).df()
    cuts = CutOffs.of(as_of, horizon_days)
    if quality_reason is not None:
        why = reason_from_json(quality_reason)
        return ChurnResult(as_of, horizon_days, cuts, None, None, scores, why)
    calibration = con.execute(
        "select bin, customers, predicted, observed from churn_calibration "
        "where horizon_days = $horizon order by bin",
        key,
    ).df()
    table = con.execute(
        "select feature, importance, importance_std from churn_drivers "
        "where horizon_days = $horizon order by rank",
        key,
    ).df()
    figures = dict(zip(QUALITY_COLUMNS, quality, strict=True))
    figures["customers"] = int(figures["customers"])
    return ChurnResult(
        as_of, horizon_days, cuts, ChurnQuality(**figures, calibration=calibration), table, scores
    )


# who each scored customer is and what they are worth, as `warning_list` reads them from
# `core.value.customer_values` at the data's defaults (stored by the build: `churn_worth`)
WORTH_COLUMNS = (
    "customer_id",
    "city",
    "acquisition_channel",
    "last_purchase_on",
    "count_orders",
    "predicted_clv",
    "value_if_retained",
    "p_alive",
)


def store_warning_worth(con: duckdb.DuckDBPyConnection, customers: pd.DataFrame) -> None:
    """Replace `churn_worth` with the WORTH_COLUMNS of `customers` (the rows the Churn risk
    page values its warning list with; a missing value column is stored empty) for the
    customers `churn_scores` holds. Run after `store_churn_results`."""
    frame = customers.reindex(columns=list(WORTH_COLUMNS))
    con.register("worth_frame", frame)
    try:
        con.execute(
            "create or replace table churn_worth as select * from worth_frame "
            "where customer_id in (select customer_id from churn_scores)"
        )
    finally:
        con.unregister("worth_frame")


def stored_warning_list(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, horizon_days: int, min_risk: float = 0.0
) -> pd.DataFrame | None:
    """`warning_list` of the stored scores of `horizon_days` as of `as_of` with the stored
    worth (`churn_worth`), joined in the database for the chosen customers only; None when
    the build stored no scores and worth for that date and horizon."""
    _check_min_risk(min_risk)
    if not db.columns(con, "churn_worth") or not sql.staging_is_current(con):
        return None  # nothing stored, or an import since
    stored = con.execute(
        "select count(*) from churn_results where as_of = $as_of and horizon_days = $horizon "
        "and reason is null",
        {"as_of": as_of, "horizon": horizon_days},
    ).fetchall()[0][0]
    if not stored:
        return None
    table = con.execute(
        "select s.customer_id, s.churn_risk, s.churn_risk_previous, "
        "w.* exclude (customer_id) "
        "from churn_scores as s left join churn_worth as w on w.customer_id = s.customer_id "
        "where s.horizon_days = $horizon and s.churn_risk >= $min_risk",
        {"horizon": horizon_days, "min_risk": min_risk},
    ).df()
    return _warning_table(table, as_of)


def reason_json(reason: Reason) -> str:
    return json.dumps(
        {"code": reason.code, "values": reason.values, "message": reason.message}, default=str
    )


def reason_from_json(text: str) -> Reason:
    data = json.loads(text)
    return Reason(data["code"], data["values"], data["message"])
