"""Seasons in the purchase forecasts: the seasonal clock by hand, shops simulated from the
BG/NBD story on a known seasonal clock (November at twice the rate; no seasons at all), a
one-year shop, no leakage from the holdout, and the demo's Double 11 holdout."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, seasons
from core.clv import backtest, btyd_summary, fit_bgnbd
from tests import realshops
from tests.conftest import DEMO_END

START = dt.date(2023, 1, 1)
END = dt.date(2025, 11, 30)
NOVEMBER_TWICE = np.where(np.arange(1, 13) == 11, 2.0, 1.0)


def _simulate(con, factors: np.ndarray, customers: int = 3_000, seed: int = 3) -> None:
    """Customers acquired uniformly from START to END, each buying by the BG/NBD story
    (lambda ~ gamma(0.9, 1/30) per day, p ~ beta(1, 6)) on the seasonal clock where a day of
    month m lasts factors[m - 1]: the rate on a calendar day is factors[month] x lambda."""
    rng = np.random.default_rng(seed)
    calendar = np.arange(np.datetime64(START), np.datetime64(END) + 1)
    month = pd.DatetimeIndex(calendar).month.to_numpy()
    clock = np.cumsum(factors[month - 1])  # seasonal time at the end of each day
    first = rng.integers(0, len(calendar), customers)
    lam = rng.gamma(0.9, 1 / 30, customers)
    p = rng.beta(1.0, 6.0, customers)
    repeats = 150
    gaps = rng.exponential(1.0, (customers, repeats)) / lam[:, None]
    at = clock[first][:, None] - rng.random(customers)[:, None] + np.cumsum(gaps, axis=1)
    leaves_after = rng.geometric(p)  # the repeat purchase after which the customer leaves
    kept = np.arange(1, repeats + 1)[None, :] <= leaves_after[:, None]
    day = np.searchsorted(clock, at)
    kept &= day < len(calendar)
    who = np.concatenate([np.arange(customers), np.nonzero(kept)[0]])
    days = np.concatenate([first, day[kept]])
    frame = pd.DataFrame(
        {
            "transaction_id": [str(i) for i in range(len(who))],
            "customer_id": [f"c{i}" for i in who],
            "ordered_at": pd.to_datetime(calendar[days]) + pd.Timedelta(hours=12),
            "amount": 10.0,
        }
    )
    con.register("rows", frame)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select * from rows"
    )
    con.unregister("rows")


@pytest.fixture(scope="module")
def november_shop(tmp_path_factory):
    con = db.connect(tmp_path_factory.mktemp("seasons") / "november.duckdb")
    _simulate(con, NOVEMBER_TWICE)
    yield con
    con.close()


@pytest.fixture(scope="module")
def flat_shop(tmp_path_factory):
    con = db.connect(tmp_path_factory.mktemp("seasons") / "flat.duckdb")
    _simulate(con, np.ones(12))
    yield con
    con.close()


def _index(factors) -> seasons.SeasonalIndex:
    months = pd.DataFrame({"month": np.arange(1, 13), "index": np.asarray(factors, dtype=float)})
    return seasons.SeasonalIndex(dt.date(2025, 9, 30), months)


def test_seasonal_clock_by_hand():
    index = _index(NOVEMBER_TWICE)
    # October 31 + 1 .. 30 days: the 30 days of November count twice; then December once
    assert index.seasonal_days(dt.date(2025, 10, 31), [1, 30, 31]) == pytest.approx([2, 60, 61])
    assert index.seasonal_days(dt.date(2025, 10, 1), [30]) == pytest.approx([30])
    first = np.array(["2025-10-21", "2025-11-30"], dtype="datetime64[D]")
    last = np.array(["2025-11-10", "2025-12-10"], dtype="datetime64[D]")
    assert index.seasonal_length(first, last) == pytest.approx([10 + 20, 10])


def test_seasonal_summary_of_a_flat_index_is_the_summary(november_shop):
    summary = btyd_summary(november_shop, dt.date(2025, 9, 30))
    same = seasons.seasonal_summary(summary, _index(np.ones(12)), dt.date(2025, 9, 30))
    pd.testing.assert_frame_equal(same, summary)


def test_index_recovers_november_at_twice_the_rate(november_shop):
    index = seasons.seasonal_index(november_shop, dt.date(2025, 9, 30))
    assert index.learnt, index.reason
    factors = index.factors
    # true: November 2 / (13 / 12) ~ 1.85 against 0.92 for the other months, days-weighted
    ratio = factors[10] / np.delete(factors, 10).mean()
    assert 1.6 < ratio < 2.3, factors
    assert np.all(np.abs(np.delete(factors, 10) / np.delete(factors, 10).mean() - 1) < 0.1)
    assert np.average(factors, weights=[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) == (
        pytest.approx(1.0)
    )


def test_seasonal_backtest_removes_the_november_bias(november_shop):
    check = backtest(november_shop, dt.date(2025, 9, 30), 61, n=20, sample=1_000)
    assert check.is_seasonal
    # October at 0.92, November at 1.85: the flat forecast misses about a quarter
    assert check.flat_error_pct < -12
    assert abs(check.total_error_pct) < 6
    assert set(check.tracking.columns) >= {"predicted", "predicted_flat", "actual"}
    flat = backtest(november_shop, dt.date(2025, 9, 30), 61, n=20, sample=1_000, seasonal=False)
    assert flat.seasonal_index is None
    assert flat.predicted_total == pytest.approx(check.predicted_flat_total)


def test_shop_without_seasons_keeps_indices_near_one(flat_shop):
    index = seasons.seasonal_index(flat_shop, dt.date(2025, 9, 30))
    # three seeds gave indices within 0.01, 0.04 and 0.09 of 1
    assert np.all(np.abs(index.factors - 1) < 0.12), index.months
    check = backtest(flat_shop, dt.date(2025, 9, 30), 61, n=20, sample=1_000)
    assert abs(check.total_error_pct) < abs(check.flat_error_pct) + 2


def test_one_year_shop_says_the_index_cannot_be_learnt(tmp_path):
    con = db.connect(tmp_path / "uk.duckdb")
    realshops.load_tables(con, realshops.uk_shop_tables(realshops.uk_shop_lines()), "GBP")
    as_of = realshops.UK_END.date() - dt.timedelta(days=60)
    index = seasons.seasonal_index(con, as_of)
    assert not index.learnt and "full months" in index.reason
    assert index.months_used < index.months_needed
    assert np.all(index.factors == 1)
    check = backtest(con, as_of, 60, n=20, sample=1_000, seasonal=True)
    assert not check.is_seasonal and "predicted_flat" not in check.customers
    assert check.predicted_total == check.predicted_flat_total


def test_changing_the_holdout_does_not_change_the_index(tmp_path):
    con = db.connect(tmp_path / "leak.duckdb")
    _simulate(con, NOVEMBER_TWICE, customers=1_500, seed=5)
    as_of = dt.date(2025, 9, 30)
    before = seasons.seasonal_index(con, as_of)
    check = backtest(con, as_of, 61, n=20, sample=1_000)
    # a flood of holdout purchases, by old customers and new
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "select 'extra' || i, 'c' || (i % 2000), '2025-10-01'::timestamp + to_days(i % 60), 10 "
        "from range(20000) t(i)"
    )
    after = seasons.seasonal_index(con, as_of)
    pd.testing.assert_frame_equal(before.months, after.months)
    again = backtest(con, as_of, 61, n=20, sample=1_000)
    assert again.actual_total > check.actual_total
    assert again.predicted_total == pytest.approx(check.predicted_total, rel=1e-9)


def test_demo_double_11_holdout_is_no_longer_under_predicted(demo_db):
    con = db.connect(demo_db, read_only=True)
    check = backtest(con, DEMO_END - dt.timedelta(days=90), 90, n=20, sample=1_000)
    assert check.is_seasonal
    november = check.seasonal_index.factors[10]
    assert november > 1.1  # Double 11 seen in the calibration years
    assert check.flat_error_pct < 0  # the flat forecast under-predicts the peak
    assert abs(check.total_error_pct) < abs(check.flat_error_pct)


def test_monthly_forecast_puts_the_peak_in_november(november_shop):
    as_of = dt.date(2025, 9, 30)
    summary = btyd_summary(november_shop, as_of)
    index = seasons.seasonal_index(november_shop, as_of)
    seasonal = seasons.seasonal_summary(summary, index, as_of)
    flat_model, seasonal_model = fit_bgnbd(summary), fit_bgnbd(seasonal)
    months = seasons.monthly_forecast(seasonal_model, seasonal, flat_model, summary, index, 3)
    assert [m.month for m in months["month"]] == [10, 11, 12]
    assert months["days"].tolist() == [31, 30, 31]
    per_day = months["seasonal"] / months["days"]
    assert per_day[1] > 1.5 * per_day[0] and per_day[1] > 1.5 * per_day[2]
    flat_per_day = months["flat"] / months["days"]
    assert flat_per_day[1] < 1.05 * flat_per_day[0]  # flat: no peak, a slow decline
    # the months add up to the whole stretch on either clock
    x, t_x, T = (seasonal[c] for c in ("frequency", "recency", "T"))
    whole = seasonal_model.expected_purchases(index.seasonal_days(as_of, [92])[0] / 7, x, t_x, T)
    assert months["seasonal"].sum() == pytest.approx(float(np.sum(whole)))


def test_demo_holdout_without_a_peak_is_no_worse(demo_db):
    # July to September: no festival; the 3,000-customer demo's figures are noisy (a 90-day
    # holdout to 31 May went from +3.9% to +7.8% here, where the 20k and 1M demos improve)
    con = db.connect(demo_db, read_only=True)
    check = backtest(con, dt.date(2026, 7, 2), 90, n=20, sample=1_000)
    assert check.is_seasonal
    assert abs(check.total_error_pct) <= abs(check.flat_error_pct) + 1
