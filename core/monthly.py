"""The inputs of the month-end ratings (customer_monthly), rolled over the month ends.

`core/sql/customer_monthly.sql` sums each customer's orders by month (money in millionths:
exact integers, so that no sum depends on the order it is taken in). Here those sums are
rolled forward one month end at a time, for every customer at once: what each customer has
to date (revenue, purchase days, last purchase) grows by the month's sums, and what they
have over the trailing 12 months grows by them and loses the sums of the month that falls
out. At each month end the customers rated then (signed up, with a purchase day) are read
off: the inputs customer_features holds with that month end as its as-of date (the SQL
file's header says which column is which). The state is a few numbers per customer, so
memory stays flat however many month ends are rolled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from core import sql

INPUTS = (
    "revenue",
    "revenue_12m",
    "margin_12m",
    "recency_days",
    "count_purchase_days",
    "tenure_days",
)
MILLIONTHS = 1_000_000
NO_DAY = -(2**31)  # before every date (days since 1970, as int32)
NEVER = 2**31 - 1  # after every date
EPOCH = dt.date(1970, 1, 1)
_BEFORE = -12  # the months before every rated month end's 12 months, taken together
# customer_monthly.sql's sums of the steady orders by month, what the changing orders add at
# a month end alone (its end_* columns), and what is rolled per customer
_STEADY = ("revenue", "margin", "count_costed", "purchase_days")
_ALONE = ("revenue", "revenue_12m", "margin_12m", "count_costed_12m", "purchase_days")
_STATE = ("revenue", "purchase_days", "revenue_12m", "margin_12m", "count_costed_12m")


@dataclass(frozen=True, eq=False)
class MonthEnd:
    """The customers rated at month end `end` (signed up, with a purchase day by then), in
    their rowid order: `customer_no` (their rowid in customers) and `inputs` (INPUTS, money
    in the currency, days and counts as int64)."""

    end: dt.date
    customer_no: np.ndarray
    inputs: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.customer_no)


@dataclass(frozen=True, eq=False)
class MonthEnds:
    """The rated customers' inputs at each of `ends`, one `MonthEnd` at a time (iterate),
    with the customers' ids by rowid (`customer_ids`, null for a rowid no row has)."""

    ends: tuple[dt.date, ...]
    customer_ids: pa.Array
    signed_up_on: np.ndarray  # days since 1970 by rowid (NEVER: no row)
    monthly: dict[str, np.ndarray]  # customer_monthly.sql's columns

    def __iter__(self) -> Iterator[MonthEnd]:
        return _roll(self)

    def frame(self) -> pd.DataFrame:
        """`month_end, customer_id` and INPUTS of every month end, as a DataFrame."""
        frames = []
        for month in self:
            ids = self.customer_ids.take(pa.array(month.customer_no)).to_pylist()
            frames.append(
                pd.DataFrame({"month_end": month.end, "customer_id": ids, **month.inputs})
            )
        columns = ["month_end", "customer_id", *INPUTS]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def month_end_inputs(
    con: duckdb.DuckDBPyConnection, ends: list[dt.date], from_lines: bool = False
) -> MonthEnds:
    """The inputs of the customers rated at each of `ends` (consecutive month ends, oldest
    first), from `core/sql/customer_monthly.sql`: its orders read from the staging tables
    when they are current, else (or when `from_lines`) derived from the transactions."""
    ends = tuple(ends)
    days = np.array([(end - EPOCH).days for end in ends], dtype=np.int64)
    if len(ends) == 0 or (_months(days) != _months(days[:1]) + np.arange(len(ends))).any():
        raise ValueError(f"month ends must be consecutive, oldest first: {ends}")
    text = sql.load("customer_monthly", None if from_lines else con)
    monthly = con.execute(text, {"first_end": ends[0], "last_end": ends[-1]}).fetchnumpy()
    customers = con.sql(  # arrow: the ids stay one string buffer, no Python string each
        "select rowid as customer_no, customer_id, "
        "coalesce(signed_up_at::date - date '1970-01-01', $never) as signed_up_on "
        "from customers order by rowid",
        params={"never": NEVER},
    ).to_arrow_table()
    numbers = customers["customer_no"].to_numpy().astype(np.int64, copy=False)
    rows = int(numbers[-1]) + 1 if len(numbers) else 0
    ids = customers["customer_id"].combine_chunks().cast(pa.string())
    signed_up_on = np.full(rows, NEVER, dtype=np.int64)
    signed_up_on[numbers] = customers["signed_up_on"].to_numpy()
    if rows != len(numbers):  # rowids with no row (deleted): their ids are null
        spread = np.full(rows, -1, dtype=np.int64)
        spread[numbers] = np.arange(len(numbers))
        ids = ids.take(pa.array(spread, mask=spread < 0))
    return MonthEnds(ends, ids, signed_up_on, monthly)


def _days(column: np.ndarray, fill: int = NO_DAY) -> np.ndarray:
    """A date column as DuckDB hands it to numpy, as int64 days since 1970 (`fill`: null)."""
    days = np.ma.getdata(column).astype("datetime64[D]").astype(np.int64)
    return np.where(np.ma.getmaskarray(column), fill, days)


def _ints(column: np.ndarray) -> np.ndarray:
    """An integer column as int64, 0 for null."""
    return np.ma.filled(column, 0).astype(np.int64, copy=False)


def _months(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 of days since 1970."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _roll(month_ends: MonthEnds) -> Iterator[MonthEnd]:
    ends, monthly = month_ends.ends, month_ends.monthly
    signed_up_on = month_ends.signed_up_on
    first = _months(np.array([(ends[0] - EPOCH).days]))[0]
    signed_month = _months(signed_up_on) - first  # 0: the first month end's month

    # the rows month by month: 0 is the first month end's month, _BEFORE all before -11
    month = np.maximum(_months(_days(monthly["month_end"])) - first, _BEFORE)
    order = np.argsort((month - _BEFORE).astype(np.int16), kind="stable")
    months = np.arange(_BEFORE, len(ends) + 1)
    bounds = np.searchsorted(month[order], months)
    customers = _ints(monthly["customer_no"])
    customer = customers[order]
    steady = {name: _ints(monthly[name])[order] for name in _STEADY}
    steady["last_purchase_on"] = _days(monthly["last_purchase_on"])[order]
    # the few rows with what changing orders add at a month end alone, by month end
    extra = np.flatnonzero(~np.ma.getmaskarray(monthly["end_revenue_12m"]))
    extra = extra[np.argsort(month[extra], kind="stable")]
    extra_bounds = np.searchsorted(month[extra], months)
    extra_customer = customers[extra]
    alone = {name: _ints(monthly[f"end_{name}"][extra]) for name in _ALONE}
    alone["last_purchase_on"] = _days(monthly["end_last_purchase_on"][extra])

    # what each customer has to date and over the 12 months, by rowid
    state = {name: np.zeros(len(signed_up_on), np.int64) for name in _STATE}
    state["last_purchase_on"] = np.full(len(signed_up_on), NO_DAY, np.int64)

    def rows_of(m: int) -> slice:
        return slice(bounds[m - _BEFORE], bounds[m - _BEFORE + 1])

    def to_date(m: int) -> None:
        at, who = rows_of(m), customer[rows_of(m)]
        for name in ("revenue", "purchase_days"):
            _add(state[name], who, steady[name][at], once=m > _BEFORE)
        _latest(state["last_purchase_on"], who, steady["last_purchase_on"][at], once=m > _BEFORE)

    def trailing(m: int, sign: int) -> None:
        at, who = rows_of(m), customer[rows_of(m)]
        for name in ("revenue", "margin", "count_costed"):
            _add(state[f"{name}_12m"], who, sign * steady[name][at], once=True)

    for m in range(_BEFORE, 0):  # what each customer has before the first month end
        to_date(m)
        if m > _BEFORE:
            trailing(m, 1)
    for m, end in enumerate(ends):
        to_date(m)
        trailing(m, 1)
        if m - 12 > _BEFORE:
            trailing(m - 12, -1)  # its month leaves the 12 months
        at = slice(extra_bounds[m - _BEFORE], extra_bounds[m - _BEFORE + 1])
        yield _month_end(
            end,
            m,
            state,
            extra_customer[at],
            {k: v[at] for k, v in alone.items()},
            signed_month,
            signed_up_on,
        )


def _add(state: np.ndarray, who: np.ndarray, values: np.ndarray, once: bool) -> None:
    """Add `values` to `state` at `who`; `once`: each customer is in `who` at most once
    (one month's rows), so plain indexing does what np.add.at does, faster."""
    if once:
        state[who] += values
    else:
        np.add.at(state, who, values)


def _latest(state: np.ndarray, who: np.ndarray, days: np.ndarray, once: bool) -> None:
    """`state` at `who` raised to `days` where later (np.maximum.at; `once` as in _add)."""
    if once:
        state[who] = np.maximum(state[who], days)
    else:
        np.maximum.at(state, who, days)


def _month_end(end, m, state, who, alone, signed_month, signed_up_on) -> MonthEnd:
    """The customers rated at month end `end` (number `m`) from `state` rolled to it, with
    what changing orders (and the 12 months' head) add at that month end alone (`alone`,
    for customers `who`, each once), added for the reading and taken away after it."""
    last = state["last_purchase_on"]
    kept = last[who]
    for name in _ALONE:  # one row per customer and month end: each in `who` once
        _add(state[name], who, alone[name], once=True)
    _latest(last, who, alone["last_purchase_on"], once=True)
    rated = np.flatnonzero((state["purchase_days"] > 0) & (signed_month <= m))
    got = {name: values[rated] for name, values in state.items()}
    for name in _ALONE:
        _add(state[name], who, -alone[name], once=True)
    last[who] = kept
    end_day = (end - EPOCH).days
    margin = np.where(got["count_costed_12m"] > 0, got["margin_12m"] / MILLIONTHS, np.nan)
    inputs = {
        "revenue": got["revenue"] / MILLIONTHS,
        "revenue_12m": got["revenue_12m"] / MILLIONTHS,
        "margin_12m": margin,
        "recency_days": end_day - got["last_purchase_on"],
        "count_purchase_days": got["purchase_days"],
        "tenure_days": end_day - signed_up_on[rated],
    }
    return MonthEnd(end, rated, inputs)
