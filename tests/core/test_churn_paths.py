"""The churn step's faster paths give the old answers bit for bit: the scores, quality and
drivers of `churn_risks` (the features of every cut-off cut from one read of the history)
are those of reading every cut-off's features and labels with the SQL, and predictions split
across threads are those of one."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance

from core import churn, db
from core.churn import (
    ChurnSettings,
    FeatureFrames,
    churn_features,
    churn_labels,
    churn_risk,
    churn_risks,
    fit_churn_model,
    train_churn_model,
)
from core.clv import NotReady

SHOPS = ["demo_db", "uk_shop_db", "market_db"]
# the default, and a sample small enough to draw from every shop's active customers
SAMPLES = [ChurnSettings().max_train_rows, 150]


class SqlFrames(FeatureFrames):
    """The old definition: each cut-off's features read by churn_features.sql and its labels
    by purchase_days_after.sql (`churn_labels`), every customer at every cut-off."""

    def features(self, cut_off):
        if cut_off not in self._features:
            self._features[cut_off] = churn_features(self._con, cut_off, self._active_days)
        return self._features[cut_off]

    def labelled(self, cut_off, horizon_days):
        key = (cut_off, horizon_days)
        if key not in self._labelled:
            features = self.features(cut_off)
            label = churn_labels(self._con, features, cut_off, horizon_days)
            self._labelled[key] = features.assign(is_churned=label)
        return self._labelled[key]

    def carried(self, values, cut_off, later):
        previous = pd.Series(values, index=self.features(cut_off)["customer_id"])
        return self.features(later)["customer_id"].map(previous).astype(float)


def _same(result, reference):
    pd.testing.assert_frame_equal(result.scores, reference.scores)
    if reference.quality_reason is not None:
        assert vars(result.quality_reason) == vars(reference.quality_reason)
    if reference.quality is None:
        assert result.quality is None and result.drivers is None
        return
    for name in ("auc", "brier", "base_rate", "customers", "recency_auc"):
        assert getattr(result.quality, name) == getattr(reference.quality, name)
    pd.testing.assert_frame_equal(result.quality.calibration, reference.quality.calibration)
    pd.testing.assert_frame_equal(result.drivers, reference.drivers)


@pytest.mark.parametrize("shop_db", SHOPS)
@pytest.mark.parametrize(("max_train_rows", "threads"), list(zip(SAMPLES, (2, 1), strict=True)))
def test_churn_risks_equal_reading_every_customer_at_every_cut_off(
    request, shop_db, max_train_rows, threads
):
    """The horizons worked out on `threads` threads, each cut-off cut from the history,
    against one horizon after another on one thread, each cut-off read by the SQL."""
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    settings = ChurnSettings(max_train_rows=max_train_rows, threads=threads)
    results = churn_risks(con, as_of, settings=settings)
    every = SqlFrames(con)  # the old path: each cut-off read by the SQL
    scored = 0
    for horizon, result in results.items():
        chosen = ChurnSettings(horizon_days=horizon, max_train_rows=max_train_rows)
        try:
            reference = churn_risk(con, as_of, chosen, frames=every)
        except NotReady as error:  # the same Reason both ways
            assert vars(result) == vars(error.reason)
            continue
        _same(result, reference)
        scored += reference.quality is not None and np.isfinite(reference.quality.auc)
    assert scored or shop_db == "market_db"  # a horizon compared with its quality
    con.close()


@pytest.mark.parametrize("shop_db", ["demo_db", "uk_shop_db"])
def test_predictions_split_across_threads_are_the_one_thread_risks(request, shop_db, monkeypatch):
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    frames = FeatureFrames(con)
    scored = frames.features(as_of)
    training = frames.labelled(as_of - dt.timedelta(days=90), 90)
    con.close()
    monkeypatch.setattr(churn, "MIN_ROWS_PER_THREAD", 50)  # split the fixtures' rows too
    monkeypatch.setattr(churn, "PREDICT_ROWS", 37)  # and predict them a few rows at a time
    assert len(scored) >= 3 * churn.MIN_ROWS_PER_THREAD
    risks = {}
    for threads in (1, 2, 3):
        settings = ChurnSettings(horizon_days=90, threads=threads)
        model = train_churn_model(training, settings, as_of - dt.timedelta(days=90))
        assert model.threads == threads
        risks[threads] = model.risk(scored)
    whole = model.estimator.predict_proba(model.matrix(scored))[:, 1]  # all rows at once
    np.testing.assert_array_equal(risks[1], whole)
    np.testing.assert_array_equal(risks[2], risks[1])
    np.testing.assert_array_equal(risks[3], risks[1])
    assert 0 < risks[1].min() < risks[1].max() < 1  # distinct risks: a misplaced row shows


@pytest.mark.parametrize("shop_db", ["demo_db", "uk_shop_db"])
def test_the_drivers_are_scikit_learns_permutation_importances(request, shop_db):
    """Only the trees that split on a shuffled feature are evaluated again: the same AUC
    drops, to the bit, as scikit-learn's permutation_importance."""
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    frames = FeatureFrames(con)
    for horizon, rows, repeats, seed in [(90, 2_000, 3, 0), (30, 400, 5, 3), (60, 150, 2, 11)]:
        cut = as_of - dt.timedelta(days=horizon)
        settings = ChurnSettings(horizon_days=horizon, seed=seed)
        model = fit_churn_model(
            frames.labelled(cut - dt.timedelta(days=horizon), horizon), settings, cut
        )
        frame = frames.labelled(cut, horizon)
        frame = frame.sample(min(rows, len(frame)), random_state=seed)
        X, y = model.matrix(frame), frame["is_churned"].to_numpy()
        expected = permutation_importance(
            model.estimator, X, y, scoring="roc_auc", n_repeats=repeats, random_state=seed
        )
        mean, std = churn.permutation_auc_drops(model.estimator, X, y, repeats, seed)
        np.testing.assert_array_equal(mean, expected.importances_mean)
        np.testing.assert_array_equal(std, expected.importances_std)
        assert np.count_nonzero(mean) >= 3  # features that matter, so a wrong tree shows
    con.close()
