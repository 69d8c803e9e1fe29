"""The learnt forecaster (core.learnt_model): no holdout data reach it, it learns patterns
the BTYD models cannot express, and it says why it is absent when the history is short."""

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import db
from core.clv import ModelFitError
from core.learnt_model import (
    LearntSettings,
    fit_learnt_model,
    learnt_features,
    learnt_purchases,
    training_split,
)
from core.model_choice import compare_models

START = dt.date(2024, 1, 1)
AS_OF = START + dt.timedelta(days=545)  # calibration end
HOLDOUT_DAYS = 182  # the training split: features at day 363, target days 364 to 545
CUSTOMERS = 3_000


def complaining_shop(customers: int = CUSTOMERS, seed: int = 3) -> dict[str, pd.DataFrame]:
    """A shop over 730 days with two patterns the BTYD models cannot express: "app"
    customers buy twice as often as "store" ones (each customer's rate is Gamma(2, 1/2) per
    30 or 60 days), and 40% of customers complain once, within 400 days of their first
    purchase, and never buy again. Otherwise a Poisson process from the first purchase (days
    0 to 540) until an exponential lifetime (mean 500 days). The BTYD models see each
    customer's purchase days only, not the channel or the complaint."""
    rng = np.random.default_rng(seed)
    app = rng.random(customers) < 0.5
    rate = rng.gamma(2.0, 0.5, customers) / np.where(app, 30.0, 60.0)
    first = rng.integers(0, 541, customers)
    end = np.minimum(first + rng.exponential(500.0, customers), 729)
    complains = rng.random(customers) < 0.4
    complaint = first + rng.random(customers) * 400
    end = np.where(complains, np.minimum(end, complaint), end)
    n = rng.poisson(rate * (end - first))
    who = np.repeat(np.arange(customers), n)
    day = (first[who] + rng.random(len(who)) * (end - first)[who]).astype(int)
    days = pd.DataFrame(
        {"i": np.concatenate([np.arange(customers), who]), "day": np.concatenate([first, day])}
    ).drop_duplicates()
    start = pd.Timestamp(START)
    transactions = pd.DataFrame(
        {
            "transaction_id": "t" + pd.RangeIndex(len(days)).astype(str),
            "customer_id": "c" + days["i"].astype(str),
            "ordered_at": start + pd.to_timedelta(days["day"], unit="D"),
            "amount": 20.0 + 10 * (days["i"] % 5),
        }
    )
    people = pd.DataFrame(
        {
            "customer_id": "c" + pd.RangeIndex(customers).astype(str),
            "signed_up_at": start + pd.to_timedelta(first, unit="D"),
            "acquisition_channel": np.where(app, "app", "store"),
        }
    )
    said = np.flatnonzero(complains & (complaint < 729))
    feedback = pd.DataFrame(
        {
            "feedback_id": "f" + pd.Index(said).astype(str),
            "customer_id": "c" + pd.Index(said).astype(str),
            "submitted_at": start + pd.to_timedelta(complaint[said], unit="D"),
            "kind": "complaint",
        }
    )
    return {"customers": people, "transactions": transactions, "feedback": feedback}


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("complaints") / "shop.duckdb"
    con = db.connect(path)
    for table, frame in complaining_shop().items():
        con.register("simulated", frame)
        columns = ", ".join(frame.columns)  # the simulation's own column names
        con.execute(f"insert into {table} ({columns}) select {columns} from simulated")
        con.unregister("simulated")
    con.close()
    return path


def _predictions(path: Path) -> np.ndarray:
    con = db.connect(path, read_only=True)
    ids = con.execute(
        "select distinct customer_id from transactions where ordered_at < $end order by 1",
        {"end": AS_OF + dt.timedelta(days=1)},
    ).df()["customer_id"]
    predicted = learnt_purchases(con, AS_OF, HOLDOUT_DAYS, ids)
    con.close()
    return predicted


def test_holdout_transactions_do_not_change_the_predictions(shop_db, tmp_path):
    before = _predictions(shop_db)
    changed = tmp_path / "changed.duckdb"
    shutil.copy(shop_db, changed)
    con = db.connect(changed)
    holdout = "ordered_at >= $start"
    start = {"start": AS_OF + dt.timedelta(days=1)}
    assert con.execute(f"select count(*) from transactions where {holdout}", start).fetchone()[0]
    # the holdout's purchases removed, and others, for other customers, put in their place
    con.execute(f"delete from transactions where {holdout}", start)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 'h' || i, 'c' || (i * 7 % $n), $start::date + (i % 150)::integer, 99 "
        "from range(5000) t(i)",
        {**start, "n": CUSTOMERS},
    )
    con.close()
    assert np.array_equal(_predictions(changed), before)


def test_calibration_transactions_do_change_the_predictions(shop_db, tmp_path):
    # the leakage test above can fail: a change before the calibration end moves predictions
    before = _predictions(shop_db)
    changed = tmp_path / "changed.duckdb"
    shutil.copy(shop_db, changed)
    con = db.connect(changed)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 'x' || i, 'c' || i, $day, 50 from range(300) t(i)",
        {"day": AS_OF - dt.timedelta(days=3)},
    )
    con.close()
    assert not np.array_equal(_predictions(changed), before)


def test_the_same_data_give_the_same_model(shop_db):
    assert np.array_equal(_predictions(shop_db), _predictions(shop_db))


def test_it_learns_what_the_btyd_models_cannot_see(shop_db):
    con = db.connect(shop_db, read_only=True)
    choice = compare_models(con, AS_OF, HOLDOUT_DAYS)
    con.close()
    table = choice.table.set_index("model")
    assert "learnt" in table.index and not choice.refused
    btyd = table.drop(index="learnt")
    learnt = table.loc["learnt"]
    # the learnt model beats every BTYD model per customer (measured with seed 3: MAE
    # 1.269 against Pareto/NBD 1.304, MBG/NBD 1.343, BG/NBD 1.385, predicting zero 1.622;
    # it won on MAE in each of six seeds of a near-identical simulation)
    assert learnt["mae"] < btyd["mae"].min()
    assert learnt["mae"] < learnt["mae_zero"]
    # and its total stays honest (within 10% of what happened)
    assert abs(learnt["total_error_pct"]) < 10
    # what it learnt: app buyers buy more, and those who complained buy (almost) nothing
    customers = choice.customers.set_index("customer_id")
    shop = complaining_shop()
    channel = shop["customers"].set_index("customer_id")["acquisition_channel"]
    per_channel = customers.groupby(channel.reindex(customers.index))["predicted_learnt"].mean()
    assert 1.5 < per_channel["app"] / per_channel["store"] < 3
    said = shop["feedback"].loc[shop["feedback"]["submitted_at"] <= pd.Timestamp(AS_OF)]
    complained = customers.index.isin(said["customer_id"])
    predicted = customers["predicted_learnt"]
    # (measured: 0.002 purchases each against 2.17; Pareto/NBD gives them 0.40; none happen)
    assert predicted[complained].mean() < 0.2 * predicted[~complained].mean()


def test_training_uses_an_earlier_split():
    settings = LearntSettings()
    # a long history: the training window is as long as the holdout and ends at as_of
    assert training_split(START, AS_OF, HOLDOUT_DAYS, settings) == (
        AS_OF - dt.timedelta(days=HOLDOUT_DAYS),
        HOLDOUT_DAYS,
    )
    # a shorter one: the window starts after min_history_days and is at least half the holdout
    as_of = START + dt.timedelta(days=200)
    assert training_split(START, as_of, 182, settings) == (START + dt.timedelta(days=90), 110)
    with pytest.raises(ModelFitError, match="needs an earlier split") as raised:
        training_split(START, START + dt.timedelta(days=150), 182, settings)
    assert raised.value.reason.code == "short_history"


def test_a_short_history_is_refused_in_the_comparison_with_the_reason(shop_db):
    con = db.connect(shop_db, read_only=True)
    choice = compare_models(con, START + dt.timedelta(days=150), HOLDOUT_DAYS)
    con.close()
    assert "learnt" not in set(choice.table["model"])
    assert "needs an earlier split" in choice.refused["learnt"]
    assert "2024-01-01" in choice.refused["learnt"]


def test_few_customers_and_no_data_are_refused(thin_db, empty_db):
    con = db.connect(thin_db, read_only=True)
    with pytest.raises(ModelFitError, match="at least 200 customers"):
        fit_learnt_model(con, dt.date(2024, 2, 9), 20, LearntSettings(min_history_days=5))
    con.close()
    con = db.connect(empty_db, read_only=True)
    with pytest.raises(ModelFitError, match="no transactions"):
        fit_learnt_model(con, dt.date(2024, 2, 9), 20)
    con.close()


CDNOW = Path("/work/shared/data/cdnow/cdnowElog.csv")


def test_cdnow_learnt_model_misses_the_target(tmp_path):
    # CDNOW is one cohort (first purchases January to March 1997), so the earlier split
    # starts after 90 days of history (1997-04-01): a 182-day window, scaled to the 273-day
    # holdout, whose customers are younger than those it predicts. Issue 18's target
    # (|bias| < 11.5%, MAE < 0.755, top-10% capture > 50.3%) is missed on every figure:
    # measured bias -13.4%, MAE 0.855 (worse than predicting zero, 0.798), capture 49.6%
    con = db.connect(tmp_path / "cdnow.duckdb")
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select (row_number() over ())::varchar, sampleid::varchar, "
        "strptime(date, '%Y%m%d'), sales "
        "from read_csv($path, types = {'date': 'varchar'})",
        {"path": str(CDNOW)},
    )
    as_of = dt.date(1997, 9, 30)
    forecast = fit_learnt_model(con, as_of, 273)
    assert (forecast.cut_off, forecast.train_days) == (dt.date(1997, 4, 1), 182)
    choice = compare_models(con, as_of, 273)
    con.close()
    table = choice.table.set_index("model")
    learnt, pareto = table.loc["learnt"], table.loc["pareto_nbd"]
    assert learnt["actual"] == 1882
    assert round(learnt["total_error_pct"], 1) == -13.4
    assert round(learnt["mae"], 3) == 0.855 and learnt["mae"] > learnt["mae_zero"]
    assert round(learnt["top10_capture_pct"], 1) == 49.6
    assert choice.best == "pareto_nbd" and learnt["mae"] > pareto["mae"]


@pytest.mark.parametrize("shop", ["uk_shop_db", "market_db"])
def test_real_shaped_shops(shop, request):
    # a UK shop's order lines with refunds (no contacts, no feedback) and a marketplace of
    # one-off buyers with review scores only: the features take what each shop has
    con = db.connect(request.getfixturevalue(shop), read_only=True)
    last = db.day_span(con, "transactions")[1]
    as_of = last - dt.timedelta(days=90)
    features = learnt_features(con, as_of)
    choice = compare_models(con, as_of, 90)
    con.close()
    assert features["customer_id"].is_unique and (features["frequency"] >= 0).all()
    assert (features["contacts"] == 0).all()
    assert (features["answers"] > 0).any() == (shop == "market_db")
    assert features["csat_mean"].between(0, 5).all()
    table = choice.table.set_index("model")
    if shop == "uk_shop_db":  # 320 customers, 182 of them by the training cut-off
        assert "learnt" not in table.index
        assert "needs at least 200 customers" in choice.refused["learnt"]
        return
    assert "learnt" in table.index and "learnt" not in choice.refused
    predicted = choice.customers["predicted_learnt"]
    assert np.isfinite(predicted).all() and (predicted >= 0).all()
    assert np.isfinite(table.loc["learnt", ["mae", "top10_capture_pct"]].to_numpy(float)).all()
