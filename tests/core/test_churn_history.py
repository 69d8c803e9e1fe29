"""The churn step reads its tables once (`ChurnHistory`) and cuts them at each cut-off in
numpy: the same features and labels, to the bit, as churn_features.sql and
purchase_days_after.sql give at that date, on the demo, the real-shaped shops and a shop
whose orders change after they are placed (versions)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db
from core.churn import ChurnHistory, FeatureFrames, churn_features, churn_labels
from tests.core.test_staging import busy_shop  # noqa: F401  (a fixture: changing orders)

SHOPS = ["demo_db", "uk_shop_db", "market_db", "busy_shop"]


def _cut_offs(con, as_of: dt.date, step: int) -> list[dt.date]:
    """From before the first purchase to after the as-of date, every `step` days."""
    first = con.execute("select min(ordered_at)::date from transactions").fetchall()[0][0]
    days = range((first - as_of).days - 3, 4, step)
    return [as_of + dt.timedelta(days=d) for d in days]


@pytest.mark.parametrize("shop_db", SHOPS)
def test_the_history_cut_at_a_date_gives_churn_features(request, shop_db):
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    history = ChurnHistory.read(con)
    compared = 0
    for cut in _cut_offs(con, as_of, 23 if shop_db != "busy_shop" else 1):
        for active_days in (365, 45):
            expected = churn_features(con, cut, active_days)
            frame, numbers = history.features(cut, active_days)
            if expected.empty:  # DuckDB types no rows' ids as objects
                assert frame.empty and list(frame.columns) == list(expected.columns)
                continue
            pd.testing.assert_frame_equal(frame, expected, check_exact=True)
            ids = history.customer_id.to_numpy()[numbers]
            assert ids.tolist() == expected["customer_id"].tolist()
            compared += len(expected)
    assert compared > 100
    con.close()


@pytest.mark.parametrize("shop_db", SHOPS)
def test_the_history_gives_the_labels_of_the_purchase_days_after(request, shop_db):
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    history = ChurnHistory.read(con)
    churned = retained = 0
    for cut in _cut_offs(con, as_of, 41 if shop_db != "busy_shop" else 3):
        frame, numbers = history.features(cut)
        for horizon in (7, 30, 90, 180, 500):
            expected = churn_labels(con, frame, cut, horizon).to_numpy()
            found = history.churned(numbers, cut, horizon)
            np.testing.assert_array_equal(found, expected)
            churned += int(expected.sum())
            retained += int((~expected).sum())
    assert churned and retained  # both outcomes are compared
    con.close()


def test_the_feature_frames_hold_the_history_cuts(demo_db):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    frames = FeatureFrames(con)
    cut = as_of - dt.timedelta(days=60)
    labelled = frames.labelled(cut, 30)
    pd.testing.assert_frame_equal(labelled.drop(columns="is_churned"), churn_features(con, cut))
    expected = churn_labels(con, labelled, cut, 30)
    pd.testing.assert_series_equal(labelled["is_churned"], expected)
    assert frames.labelled(cut, 30) is labelled  # worked out once
    con.close()
