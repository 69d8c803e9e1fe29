"""The churn step's faster paths give the old answers bit for bit: a cut-off read for training
only computes the features of its sampled customers alone (the same rows in the same order as
sampling every active customer's features), and the scores, quality and drivers of
`churn_risks` are those of reading every customer at every cut-off."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import churn, db, sql
from core.churn import (
    HORIZONS,
    ChurnSettings,
    CutOffs,
    FeatureFrames,
    churn_features,
    churn_risk,
    churn_risks,
    train_churn_model,
    training_sample,
)
from core.clv import NotReady

SHOPS = ["demo_db", "uk_shop_db", "market_db"]
# the default, and a sample small enough to draw from every shop's active customers
SAMPLES = [ChurnSettings().max_train_rows, 150]


@pytest.mark.parametrize("shop_db", SHOPS)
def test_the_active_customers_are_those_churn_features_has_in_its_order(request, shop_db):
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    for days in (0, 60, 120, 360, 2000):  # the last one before any purchase
        cut = as_of - dt.timedelta(days=days)
        active = con.execute(
            sql.load("churn_active_customers", con), {"as_of": cut, "active_days": 365}
        ).df()
        expected = churn_features(con, cut)["customer_id"]
        assert active["customer_id"].tolist() == expected.tolist()
    con.close()


@pytest.mark.parametrize("shop_db", SHOPS)
@pytest.mark.parametrize("max_train_rows", SAMPLES)
def test_a_training_only_cut_off_gives_the_rows_sampled_from_every_customer(
    request, shop_db, max_train_rows
):
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    sampled = trained = 0
    for horizon in HORIZONS:
        settings = ChurnSettings(horizon_days=horizon, max_train_rows=max_train_rows)
        cuts = CutOffs.of(as_of, horizon)
        every = FeatureFrames(con)
        only = FeatureFrames(con, whole={cuts.scoring, cuts.evaluation})
        for frames in (every, only):  # the labels read off the evaluation features
            frames.features(cuts.scoring)
            frames.features(cuts.evaluation)
        whole = every.labelled(cuts.training, horizon)
        try:
            train_churn_model(whole, settings, cuts.training)
        except NotReady as error:  # too thin to train on: the same reason
            with pytest.raises(NotReady) as raised:
                only.training(cuts.training, settings)
            assert vars(raised.value.reason) == vars(error.reason)
            continue
        expected = training_sample(whole, settings)
        pd.testing.assert_frame_equal(only.training(cuts.training, settings), expected)
        assert cuts.training not in only._features  # the fast path was taken
        trained += 1
        sampled += len(expected) < len(whole)
    if max_train_rows < ChurnSettings().max_train_rows:
        assert sampled == trained  # the sample drew some customers, not all
    assert trained or shop_db == "market_db"  # too young a shop for any training period
    con.close()


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
@pytest.mark.parametrize("max_train_rows", SAMPLES)
def test_churn_risks_equal_reading_every_customer_at_every_cut_off(
    request, shop_db, max_train_rows
):
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    settings = ChurnSettings(max_train_rows=max_train_rows)
    results = churn_risks(con, as_of, settings=settings)
    every = FeatureFrames(con)  # the old path: each cut-off read whole
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
    assert len(scored) >= 3 * churn.MIN_ROWS_PER_THREAD
    risks = {}
    for threads in (1, 2, 3):
        settings = ChurnSettings(horizon_days=90, threads=threads)
        model = train_churn_model(training, settings, as_of - dt.timedelta(days=90))
        assert model.threads == threads
        risks[threads] = model.risk(scored)
    np.testing.assert_array_equal(risks[2], risks[1])
    np.testing.assert_array_equal(risks[3], risks[1])
    assert 0 < risks[1].min() < risks[1].max() < 1  # distinct risks: a misplaced row shows
