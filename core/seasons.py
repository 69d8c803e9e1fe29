"""Seasons in the purchase forecasts: a seasonal index learnt from the shop's own history, and
the purchase model run on a seasonal clock.

BG/NBD (and the other purchase models) have a purchase rate that is flat in time, so a
holdout holding Double 11 is under-predicted and one holding the Spring Festival dip is
over-predicted. Here the calendar is mapped to "seasonal time" (operational time): a day of
the month m lasts `index[m]` seasonal days, where the index is the shop's repeat purchases
per customer per day in month m relative to the year's mean. The model is fitted and
evaluated on that clock::

    index = seasonal_index(con, as_of)
    seasonal = seasonal_summary(summary, index, as_of)   # x, t_x, T on the seasonal clock
    bgnbd = fit_bgnbd(seasonal)
    t = index.seasonal_days(as_of, [30, 60, 90]) / 7      # the next 30, 60, 90 days
    bgnbd.expected_purchases(t, x, seasonal["recency"], seasonal["T"])

What this assumes:
- every customer's purchase rate is scaled by the same factor on a calendar day (the
  season moves everybody alike), and the factor depends on the calendar month only, the
  same every year (a festival that moves, like the Spring Festival between January and
  February, is blurred over both months);
- BG/NBD's dropout happens at a purchase, so it follows the purchases' clock: with the rate
  scaled by g(c) at calendar time c, a customer's purchases are the model's purchases at
  seasonal time tau(c) = integral of g, and every formula of the model holds with tau in
  place of calendar time (a time-changed Poisson process is a Poisson process in tau). The
  expected purchases in (t0, t1) are E[Y(tau(t1))] - E[Y(tau(t0))];
- the index is the same for new and old customers, and the trend (a growing or ageing
  customer base) is smooth: a quadratic in time over the calibration months.

Calendar months rather than weeks of the year: a month is seen once a year, so two or three
years give two or three looks at each of 12 effects, where weeks would give the same looks at
52 effects four times noisier each; the holidays that matter (6.18, Double 11, Double 12, the
Spring Festival) fall within one or two months; and weeks of the year shift against the
calendar from one year to the next. Half-months were tried on the 20k demo (2026-12): they
follow Double 11 closer (30-day holdout to 20 Nov: -5.2% against -9.2% by months, of which
about -10% is what even the true monthly mean gives, the peak sitting in 1-14 Nov) but lose
the Spring Festival, whose date moves by weeks (30 days to 15 Mar: +26.1% against +15.3%;
90 days: +4.4% against +2.5%), and twice the effects are shrunk harder.

How it is learnt (from the calibration period only, no holdout data): per full calendar
month, log(repeat purchase days / (customers acquired before it + half of those acquired in
it) / days in the month) = a quadratic trend + a month effect + noise, by least squares. A
month effect seen in y years has the noise's variance over y; the effects' own spread is
what the raw effects spread beyond that noise (method of moments). Each effect is shrunk
toward 0 (index 1) by spread / (spread + noise / y) (James-Stein / empirical Bayes): a shop
without seasons gets indices near 1, a month seen in one year only is shrunk hard, and with
too few months to tell noise from season (fewer than MIN_RESIDUAL_DOF months beyond the
parameters, e.g. one year of history) there is no index and the reason says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import sql

MIN_RESIDUAL_DOF = 6  # months beyond the 15 parameters (12 months and a quadratic trend)
MIN_MONTH_CUSTOMERS = 20  # a month counts when at least this many customers could buy
TREND_TERMS = 3  # the month effects' partner: log rate = a quadratic in time + month effect


@dataclass(frozen=True, eq=False)
class SeasonalIndex:
    """The seasonal index learnt from the history up to `calibration_end`.

    `months`: one row per calendar month (`month` 1..12): `years` (full months of that
    month in the history), `raw` (the month effect before shrinking, as a factor),
    `weight` (the share of the raw effect kept, 0..1) and `index` (the factor used; the
    days of a year average 1). `reason` is empty when learnt; otherwise it says why not,
    and every index is 1. `months_used`: the full months learnt from; `months_needed`: the
    fewest that can be.
    """

    calibration_end: dt.date
    months: pd.DataFrame
    reason: str = ""
    months_used: int = 0
    months_needed: int = 0

    @property
    def learnt(self) -> bool:
        return not self.reason

    @property
    def factors(self) -> np.ndarray:
        """The 12 indices, January first."""
        return self.months["index"].to_numpy(dtype=float)

    def seasonal_days(self, start: dt.date, days) -> np.ndarray:
        """The seasonal length of the `days` calendar days after `start` (days start + 1 to
        start + d): the sum of each day's index."""
        days = np.asarray(days, dtype=np.int64)
        return self._clock(start, np.datetime64(start, "D") + _days(days))

    def seasonal_length(self, first, last) -> np.ndarray:
        """Seasonal days from each `first` to `last` date (arrays of dates): the sum of the
        indices of days first + 1 .. last."""
        first = np.asarray(first, dtype="datetime64[D]")
        last = np.asarray(last, dtype="datetime64[D]")
        origin = first.min().astype(object) if first.size else self.calibration_end
        return self._clock(origin, last) - self._clock(origin, first)

    def _clock(self, origin: dt.date, dates) -> np.ndarray:
        """Seasonal days from `origin` to each date: the sum of the indices of days
        origin + 1 .. date (negative before the origin)."""
        dates = np.asarray(dates, dtype="datetime64[D]")
        start = np.datetime64(origin, "D")
        low = min(start, dates.min()) if dates.size else start
        high = max(start, dates.max()) if dates.size else start
        month = pd.DatetimeIndex(np.arange(low, high + 1)).month.to_numpy() - 1
        cumulative = np.cumsum(self.factors[month])
        at = (dates - low).astype(np.int64)
        return cumulative[at] - cumulative[(start - low).astype(np.int64)]


def _days(days: np.ndarray) -> np.ndarray:
    return days.astype("timedelta64[D]")


def seasonal_index(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, *, min_residual_dof: int = MIN_RESIDUAL_DOF
) -> SeasonalIndex:
    """The seasonal index of repeat purchases per customer per day, learnt from the purchase
    days up to and including `as_of` (as known that day), in full calendar months; see the
    module docstring for the model and the shrinkage."""
    monthly = con.execute(sql.load("seasonal_repeat_purchases", con), {"as_of": as_of}).df()
    return index_from_monthly(monthly, as_of, min_residual_dof=min_residual_dof)


def index_from_monthly(
    monthly: pd.DataFrame, as_of: dt.date, *, min_residual_dof: int = MIN_RESIDUAL_DOF
) -> SeasonalIndex:
    """The index from the monthly counts (`seasonal_repeat_purchases`): full months only
    (not the first, which starts with the first purchase, nor one that ends after `as_of`),
    with at least MIN_MONTH_CUSTOMERS customers and one repeat purchase."""
    frame = monthly.copy()
    start = pd.to_datetime(frame["month_start"])
    frame["days"] = start.dt.days_in_month.to_numpy()
    end = start + pd.to_timedelta(frame["days"] - 1, unit="D")
    exposure = frame["count_customers_before"] + 0.5 * frame["count_new_customers"]
    usable = (
        (np.arange(len(frame)) > 0)
        & (end <= pd.Timestamp(as_of)).to_numpy()
        & (exposure >= MIN_MONTH_CUSTOMERS).to_numpy()
        & (frame["count_repeat_days"] > 0).to_numpy()
    )
    used = frame[usable]
    month = start[usable].dt.month.to_numpy()
    n = len(used)
    present = np.unique(month)
    dof = n - len(present) - (TREND_TERMS - 1)
    needed = len(present) + TREND_TERMS - 1 + min_residual_dof
    if dof < min_residual_dof:
        reason = (
            f"{n} full months of repeat purchases up to {as_of}: a seasonal index needs "
            f"{needed} or more to tell the seasons from chance and from the trend (about two "
            "years)"
        )
        return _flat(as_of, month, reason, needed)
    y = np.log(used["count_repeat_days"] / exposure[usable] / used["days"]).to_numpy()
    t = np.arange(len(frame))[usable].astype(float)
    t = (t - t.mean()) / max(t.std(), 1.0)
    dummies = (month[:, None] == present[None, :]).astype(float)
    design = np.column_stack([dummies] + [t**k for k in range(1, TREND_TERMS)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    noise = float(residual @ residual) / dof  # variance of one month's log rate
    effects = coef[: len(present)]
    years = dummies.sum(axis=0)
    raw = effects - np.average(effects, weights=_days_in(present))
    spread = max(float(np.mean(raw**2) - np.mean(noise / years)), 0.0)
    weight = spread / (spread + noise / years) if spread > 0 else np.zeros(len(present))
    table = _months(present, years, np.exp(raw), weight, raw * weight)
    return SeasonalIndex(as_of, table, months_used=n, months_needed=needed)


def _days_in(months: np.ndarray) -> np.ndarray:
    """Days in each calendar month of a non-leap year."""
    return pd.DatetimeIndex([f"2025-{m:02d}-01" for m in months]).days_in_month.to_numpy()


def _months(present, years, raw, weight, log_index) -> pd.DataFrame:
    """The 12-row table; months never seen get index 1, their log index being 0. The index
    is rescaled so that the days of a year average 1."""
    table = pd.DataFrame({"month": np.arange(1, 13)})
    at = present - 1
    for name, values, missing in (
        ("years", years, 0),
        ("raw", raw, 1.0),
        ("weight", weight, 0.0),
        ("log_index", log_index, 0.0),
    ):
        column = np.full(12, missing, dtype=float)
        column[at] = values
        table[name] = column
    factor = np.exp(table.pop("log_index").to_numpy())
    table["index"] = factor / np.average(factor, weights=_days_in(np.arange(1, 13)))
    table["years"] = table["years"].astype(int)
    return table


def _flat(as_of: dt.date, month: np.ndarray, reason: str, needed: int) -> SeasonalIndex:
    present, years = np.unique(month, return_counts=True)
    ones = np.ones(len(present))
    table = _months(present, years, ones, 0 * ones, 0 * ones)
    return SeasonalIndex(as_of, table, reason, months_used=len(month), months_needed=needed)


def seasonal_summary(summary: pd.DataFrame, index: SeasonalIndex, as_of: dt.date) -> pd.DataFrame:
    """The BTYD summary (`btyd_summary`, any unit) with recency and T on the seasonal clock:
    the first purchase day is `as_of` - T, the last the first + recency, and each span is the
    sum of the indices of its days, in the summary's unit."""
    unit_days = {"days": 1, "weeks": 7}[summary.attrs.get("unit", "weeks")]
    T_days = np.rint(summary["T"].to_numpy(dtype=float) * unit_days).astype(np.int64)
    t_x_days = np.rint(summary["recency"].to_numpy(dtype=float) * unit_days).astype(np.int64)
    end = np.datetime64(as_of, "D")
    first = end - _days(T_days)
    last = first + _days(t_x_days)
    out = summary.copy()
    out["recency"] = index.seasonal_length(first, last) / unit_days
    out["T"] = index.seasonal_length(first, np.full(len(first), end)) / unit_days
    return out


def monthly_forecast(
    seasonal_model,
    seasonal: pd.DataFrame,
    flat_model,
    summary: pd.DataFrame,
    index: SeasonalIndex,
    months: int = 12,
) -> pd.DataFrame:
    """Expected purchases of the summary's customers per calendar month after the index's
    `calibration_end` (the first month from the day after it): `month` (its first day),
    `days`, `seasonal` (`seasonal_model` fitted on `seasonal`, the `seasonal_summary`:
    the purchases in (t0, t1) are E[Y(tau(t1))] - E[Y(tau(t0))]) and `flat` (`flat_model`
    fitted on the calendar `summary`, which spreads the purchases evenly over the days).
    Any model with `expected_purchases(t, frequency, recency, T)` will do."""
    as_of = index.calibration_end
    unit_days = {"days": 1, "weeks": 7}[summary.attrs.get("unit", "weeks")]
    first = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    bounds = [first, *pd.date_range(first + pd.offsets.MonthBegin(1), periods=months, freq="MS")]
    calendar = np.array([(b - first).days for b in bounds], dtype=np.int64)
    out = pd.DataFrame({"month": [b.date() for b in bounds[:-1]], "days": np.diff(calendar)})
    out["seasonal"] = np.diff(
        _cumulative(seasonal_model, index.seasonal_days(as_of, calendar) / unit_days, seasonal)
    )
    out["flat"] = np.diff(_cumulative(flat_model, calendar / unit_days, summary))
    return out


def _cumulative(model, t: np.ndarray, summary: pd.DataFrame) -> np.ndarray:
    """The customers' total expected purchases by each time t."""
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    return np.array([float(np.sum(model.expected_purchases(s, x, t_x, T))) for s in t])
