"""Satisfaction and service: CSAT, NPS, complaints, and what unhappy customers are worth.

- CSAT: answers on a 1-5 scale; its average, and the share satisfied (4 or 5).
- NPS (Reichheld 2003, "The One Number You Need to Grow"): answers on a 0-10 scale;
  the share of promoters (9-10) minus the share of detractors (0-6), in points (-100..100).
- Every figure comes with the number of answers behind it; a figure from fewer than
  `min_answers` answers is left out (NaN) rather than drawn as a trend.
- Complaints: volume by category, time to resolution against a service level (48 hours by
  default), the open backlog and its age.
- Value: predicted CLV once the CLV model fills `customer_features.predicted_clv_12m`; until
  then margin to date (historic value), and `value_basis` says which.
- Stars: `customer_features.stars` once the star rating is built; figures by star tier are
  None until then.

The SQL of each result is in `core/sql/` (satisfaction_monthly, satisfaction_kpis,
complaints_monthly, complaint_backlog, customer_satisfaction, satisfaction_bands,
satisfaction_value, value_at_risk).

Every result takes `customers`, the ids the shared filters choose (None: no filter): it then
counts only those customers' answers, complaints, purchases and value (core.filters); their
stars and values are still those of the whole base.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields

import duckdb
import numpy as np
import pandas as pd

from core import filters, sql
from core.db import has_column, temp_table
from core.lifecycle import (
    DEFAULT_RULES,
    LifecycleRules,
    month_start,
    staged,
    with_extras,
)
from core.precompute import page_result

GROUPINGS = ("all", "channel", "category", "stars")
NPS_BANDS = ("promoter", "passive", "detractor", "no_answer")
CSAT_BANDS = ("unhappy", "neutral", "happy", "no_answer")  # latest CSAT 1-2, 3, 4-5
BANDS = {"nps": NPS_BANDS, "csat": CSAT_BANDS}
MIN_ANSWERS = 30
THIN_MIN_ANSWERS = 10  # the opening minimum when few months reach MIN_ANSWERS
TREND_MONTHS = 24  # the months of the Satisfaction page's trend, to `as_of`
SLA_HOURS = 48.0
TOP_STARS = 4  # "top star tiers": 4 and 5 stars
BACKLOG_AGES = (0, 2, 7, 30)  # age buckets of open complaints, in days: 0-2, 2-7, 7-30, 30+


def _query(name: str, chosen: str | None, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """`core/sql/<name>.sql` (`sql.load`); with `chosen` (the name of the chosen customers'
    relation, registered on the cursor that runs it), each `/* and chosen(column) */` in it
    becomes `and column in (the chosen customers)`; without, it stays a comment."""
    return filters.chosen_sql(sql.load(name, con), chosen)


def has_stars(con: duckdb.DuckDBPyConnection) -> bool:
    """True once the star rating has filled customer_features.stars."""
    return has_column(con, "customer_features", "stars")


def value_basis(con: duckdb.DuckDBPyConnection) -> str:
    """'predicted' once the CLV model has filled customer_features.predicted_clv_12m (the
    value over the next 12 months), else 'margin' (margin to date)."""
    return "predicted" if has_column(con, "customer_features", "predicted_clv_12m") else "margin"


# --- CSAT and NPS ----------------------------------------------------------------------


def with_scores(frame: pd.DataFrame, min_answers: int = MIN_ANSWERS) -> pd.DataFrame:
    """Answer counts -> `csat` (average), `satisfied_share` (4-5), `nps` (points) and
    `promoter_share`, `detractor_share`; each NaN where fewer than `min_answers` answers
    are behind it, flagged in `csat_thin` / `nps_thin` (True also when there are none)."""
    frame = frame.copy()
    csat_n = frame["csat_answers"].where(frame["csat_answers"] >= max(min_answers, 1))
    nps_n = frame["nps_answers"].where(frame["nps_answers"] >= max(min_answers, 1))
    frame["csat"] = frame["csat_total"] / csat_n
    frame["satisfied_share"] = frame["csat_satisfied"] / csat_n
    frame["promoter_share"] = frame["promoters"] / nps_n
    frame["detractor_share"] = frame["detractors"] / nps_n
    frame["nps"] = (frame["promoter_share"] - frame["detractor_share"]) * 100
    frame["csat_thin"] = csat_n.isna()
    frame["nps_thin"] = nps_n.isna()
    return frame


def satisfaction_trend(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    by: str = "all",
    months: int = 24,
    min_answers: int = MIN_ANSWERS,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """CSAT and NPS per month (the `months` up to `as_of`) and group `by` ('all', 'channel'
    = the answer's channel, 'category', 'stars' = star rating, 'unrated' until stars exist),
    of the answers of `customers` (None: everyone's).

    Returns `month, group_key`, the answer counts (`csat_answers, csat_total,
    csat_satisfied, nps_answers, promoters, passives, detractors`) and the scores of
    `with_scores`; a month with fewer than `min_answers` answers has no score.
    """
    _check_grouping(by)
    params = {"as_of": as_of, "start_month": month_start(as_of, months), "by": by}
    with with_extras(con), filters.chosen_relation(con, customers) as chosen:
        frame = con.execute(_query("satisfaction_monthly", chosen), params).df()
    return with_scores(frame, min_answers)


def satisfaction_by_group(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    by: str = "all",
    months: int = 12,
    min_answers: int = MIN_ANSWERS,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """CSAT and NPS per group over the `months` calendar months up to `as_of`, with the
    answers behind them (as `satisfaction_trend`, without the month), most answers first."""
    trend = satisfaction_trend(con, as_of, by, months, min_answers, customers)
    counts = [
        "csat_answers",
        "csat_total",
        "csat_satisfied",
        "nps_answers",
        "promoters",
        "passives",
        "detractors",
    ]
    totals = trend.groupby("group_key", as_index=False)[counts].sum()
    totals = totals.sort_values(["nps_answers", "group_key"], ascending=[False, True])
    return with_scores(totals.reset_index(drop=True), min_answers)


def _check_grouping(by: str) -> None:
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}: choose one of {', '.join(GROUPINGS)}")


@dataclass(frozen=True)
class LoyaltyWeights:
    """Weights of the loyalty index's three parts (normalised to sum to 1)."""

    repeat: float = field(default=1.0, metadata={"help": "repeat-purchase rate"})
    referral: float = field(default=1.0, metadata={"help": "referral rate"})
    satisfaction: float = field(default=1.0, metadata={"help": "share of satisfied answers"})

    def __post_init__(self):
        values = [getattr(self, f.name) for f in fields(self)]
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError(f"loyalty weights must be >= 0 and not all 0; got {asdict(self)}")

    def normalised(self) -> dict[str, float]:
        total = self.repeat + self.referral + self.satisfaction
        return {name: value / total for name, value in asdict(self).items()}


@dataclass(frozen=True)
class Period:
    """Satisfaction, service and loyalty figures of one 12-month period."""

    csat_answers: int
    csat_total: float
    csat_satisfied: int
    nps_answers: int
    promoters: int
    detractors: int
    complaints: int
    resolved: int
    within_sla: int
    median_resolution_hours: float | None
    buyers: int
    repeat_buyers: int
    referrers: int

    @property
    def csat(self) -> float | None:
        return self.csat_total / self.csat_answers if self.csat_answers else None

    @property
    def satisfied_share(self) -> float | None:
        return self.csat_satisfied / self.csat_answers if self.csat_answers else None

    @property
    def nps(self) -> float | None:
        if not self.nps_answers:
            return None
        return (self.promoters - self.detractors) / self.nps_answers * 100

    @property
    def sla_share(self) -> float | None:
        """Share of the period's complaints resolved within the service level (open ones
        and those resolved later count against it)."""
        return self.within_sla / self.complaints if self.complaints else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def referral_rate(self) -> float | None:
        """Share of the period's buyers who referred a customer who signed up in it."""
        return self.referrers / self.buyers if self.buyers else None

    def loyalty_index(self, weights: LoyaltyWeights | None = None) -> float | None:
        """0-100: the weighted mean of repeat-purchase rate, referral rate and satisfied
        share, in percent; None when one of them cannot be computed."""
        parts = {
            "repeat": self.repeat_rate,
            "referral": self.referral_rate,
            "satisfaction": self.satisfied_share,
        }
        if any(v is None for v in parts.values()):
            return None
        w = (weights or LoyaltyWeights()).normalised()
        return 100 * sum(w[name] * value for name, value in parts.items())


@dataclass(frozen=True)
class SatisfactionKpis:
    """The 12 months up to `as_of` (`current`) and the 12 months before (`previous`)."""

    as_of: dt.date
    sla_hours: float
    current: Period
    previous: Period


@page_result()
def satisfaction_kpis(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    sla_hours: float = SLA_HOURS,
    customers: np.ndarray | None = None,
) -> SatisfactionKpis:
    """Headline satisfaction, service and loyalty figures (core/sql/satisfaction_kpis.sql)
    of `customers` (None: everyone)."""
    _check_sla(sla_hours)
    with filters.chosen_relation(con, customers) as chosen:
        cur = con.execute(
            _query("satisfaction_kpis", chosen, con), {"as_of": as_of, "sla_hours": sla_hours}
        )
        names = [d[0] for d in cur.description]
        rows = {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in cur.fetchall()}
    return SatisfactionKpis(
        as_of=as_of,
        sla_hours=sla_hours,
        current=Period(**rows[True]),
        previous=Period(**rows[False]),
    )


def _check_sla(sla_hours: float) -> None:
    if not 0 < sla_hours <= 24 * 90:
        raise ValueError(f"the service level is a number of hours from 1 to 2160; got {sla_hours}")


# --- complaints ------------------------------------------------------------------------


def complaints_by_month(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    sla_hours: float = SLA_HOURS,
    months: int = 24,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Complaints (of `customers`; None: everyone's) per month (the `months` up to `as_of`)
    and category, plus a row per month for all categories (`is_total`, category None):
    `complaints, resolved, within_sla, median_resolution_hours` and `sla_share`
    (within_sla / complaints)."""
    _check_sla(sla_hours)
    params = {"as_of": as_of, "start_month": month_start(as_of, months), "sla_hours": sla_hours}
    with filters.chosen_relation(con, customers) as chosen:
        frame = con.execute(_query("complaints_monthly", chosen), params).df()
    frame["sla_share"] = frame["within_sla"] / frame["complaints"].where(frame["complaints"] > 0)
    return frame


def complaint_backlog(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, customers: np.ndarray | None = None
) -> pd.DataFrame:
    """Complaints (of `customers`; None: everyone's) open at the end of `as_of`, oldest
    first: `feedback_id, customer_id, category, submitted_at, age_days`."""
    with filters.chosen_relation(con, customers) as chosen:
        return con.execute(_query("complaint_backlog", chosen), {"as_of": as_of}).df()


def backlog_ages(backlog: pd.DataFrame, edges: tuple[int, ...] = BACKLOG_AGES) -> pd.DataFrame:
    """The backlog counted by age: `age_from, age_to` (days; the last to is None) and
    `complaints`, one row per bucket, empty buckets included."""
    bounds = [*edges, np.inf]
    ages = backlog["age_days"].to_numpy()
    return pd.DataFrame(
        {
            "age_from": list(edges),
            "age_to": [None if np.isinf(b) else b for b in bounds[1:]],
            "complaints": [
                int(((ages >= lo) & (ages < hi)).sum())
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
            ],
        }
    )


# --- satisfaction and value ------------------------------------------------------------


@contextmanager
def _satisfaction_of_buyers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules,
    customers: np.ndarray | None = None,
) -> Iterator[str]:
    """The temp table customer_satisfaction (with customer_stages and customer_extras) on
    `con` for the block, of the buyers among `customers` (None: every buyer); yields the
    value basis."""
    basis = value_basis(con)
    with staged(con, as_of, rules), with_extras(con):
        params = {"as_of": as_of, "value_basis": basis}
        with temp_table(con, "customer_satisfaction", params):
            with filters.chosen_relation(con, customers) as chosen:
                if chosen is not None:
                    con.execute(
                        f"delete from customer_satisfaction where not {filters.restricted()}"
                    )
            yield basis


def churn_by_band(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    measure: str = "nps",
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Buyers by the band of their latest answer on `measure`: 'nps' (NPS_BANDS: promoter
    9-10, passive 7-8, detractor 0-6) or 'csat' (CSAT_BANDS: unhappy 1-2, neutral 3, happy
    4-5), each list ending in no_answer. Returns `measure, band, buyers, churned,
    at_risk, value`, `churn_rate` and `at_risk_rate` (stages on `as_of` by `rules`; NaN
    for a band without buyers), one row per band in that order; of the buyers among
    `customers` (None: all)."""
    _check_measure(measure)
    with _satisfaction_of_buyers(con, as_of, rules, customers):
        return _bands(con, measure)


def _check_measure(measure: str) -> None:
    if measure not in BANDS:
        raise ValueError(f"unknown measure {measure!r}: choose one of {', '.join(BANDS)}")


def _bands(con: duckdb.DuckDBPyConnection, measure: str = "nps") -> pd.DataFrame:
    frame = con.execute(sql.load("satisfaction_bands"), {"measure": measure}).df()
    # the SQL gives every band a value or none (unknown): a band without buyers holds 0
    # only when values are known
    empty = {"buyers": 0, "churned": 0, "at_risk": 0}
    if frame["value"].notna().all():
        empty["value"] = 0.0
    frame = (
        frame.set_index("band")
        .reindex(list(BANDS[measure]))
        .rename_axis("band")
        .fillna(empty)
        .reset_index()
    )
    frame["value"] = frame["value"].astype(float)
    frame.insert(0, "measure", measure)
    frame[["buyers", "churned", "at_risk"]] = frame[["buyers", "churned", "at_risk"]].astype(int)
    buyers = frame["buyers"].where(frame["buyers"] > 0)
    frame["churn_rate"] = frame["churned"] / buyers
    frame["at_risk_rate"] = frame["at_risk"] / buyers
    return frame


@dataclass(frozen=True)
class ValueAtRisk:
    """What unhappy customers are worth on `as_of` (see core/sql/satisfaction_value.sql).

    `value_basis` is 'predicted' (CLV model) or 'margin' (margin to date). Every value is
    None (unknown, not 0) when no buyer has one: the value model did not run. The top-tier
    figures are None until stars exist (`has_stars`)."""

    value_basis: str
    has_stars: bool
    buyers: int
    value: float | None
    detractors: int
    detractor_value: float | None
    open_complaint_customers: int
    open_complaint_value: float | None
    unhappy: int
    unhappy_value: float | None
    unhappy_top_tier: int | None
    unhappy_top_tier_value: float | None

    def _share(self, part: float | None) -> float | None:
        """`part` of all buyers' value; None when either is unknown or the whole is 0."""
        return part / self.value if part is not None and self.value else None

    @property
    def detractor_value_share(self) -> float | None:
        return self._share(self.detractor_value)

    @property
    def open_complaint_value_share(self) -> float | None:
        return self._share(self.open_complaint_value)

    @property
    def unhappy_value_share(self) -> float | None:
        return self._share(self.unhappy_value)


def value_at_risk_summary(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    top_stars: int = TOP_STARS,
    customers: np.ndarray | None = None,
) -> ValueAtRisk:
    """Value held by detractors, by customers with an open complaint, by unhappy customers
    and by unhappy customers rated `top_stars` or more (buyers among `customers`)."""
    with _satisfaction_of_buyers(con, as_of, rules, customers) as basis:
        return _summary(con, basis, top_stars)


def _summary(con: duckdb.DuckDBPyConnection, basis: str, top_stars: int) -> ValueAtRisk:
    stars = has_stars(con)
    cur = con.execute(sql.load("satisfaction_value"), {"top_stars": top_stars})
    names = [d[0] for d in cur.description]
    row = dict(zip(names, cur.fetchone(), strict=True))
    if not stars:
        row["unhappy_top_tier"] = row["unhappy_top_tier_value"] = None
    return ValueAtRisk(value_basis=basis, has_stars=stars, **row)


@dataclass(frozen=True, eq=False)
class ValueReport:
    """`churn_by_band` by NPS (`bands`) and by CSAT (`csat_bands`), `value_at_risk_summary`
    and `unhappy_customers` (every star tier) from one computation."""

    bands: pd.DataFrame
    csat_bands: pd.DataFrame
    summary: ValueAtRisk
    unhappy: UnhappyCustomers


@page_result(ratings=True)
def value_report(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    top_stars: int = TOP_STARS,
    limit: int = 500,
    customers: np.ndarray | None = None,
) -> ValueReport:
    """Churn by satisfaction band, the value unhappy customers hold and the most valuable
    of them, on `as_of` (buyers among `customers`; None: all)."""
    with _satisfaction_of_buyers(con, as_of, rules, customers) as basis:
        return ValueReport(
            bands=_bands(con, "nps"),
            csat_bands=_bands(con, "csat"),
            summary=_summary(con, basis, top_stars),
            unhappy=_unhappy(con, basis, None, limit),
        )


def value_at_risk(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    top_stars: int | None = None,
    limit: int | None = None,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Unhappy buyers who have not churned, most valuable first (at most `limit`); with
    `top_stars`, only those rated that many stars or more. Columns: `customer_id, city,
    acquisition_channel, stage, stars, latest_nps, latest_csat, open_complaints,
    last_purchase_on, revenue, value`; `attrs["value_basis"]` says what value is. Of the
    buyers among `customers` (None: all)."""
    with _satisfaction_of_buyers(con, as_of, rules, customers) as basis:
        frame = con.execute(
            sql.load("value_at_risk"), {"top_stars": top_stars, "limit": limit}
        ).df()
    frame.attrs["value_basis"] = basis
    return frame


@dataclass(frozen=True, eq=False)
class UnhappyCustomers:
    """The first rows of `value_at_risk` (`customers`), how many there are in all and what
    `value` means ('predicted' or 'margin')."""

    customers: pd.DataFrame
    total: int
    value_basis: str


def unhappy_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LifecycleRules = DEFAULT_RULES,
    top_stars: int | None = None,
    limit: int = 500,
    customers: np.ndarray | None = None,
) -> UnhappyCustomers:
    """The `limit` most valuable rows of `value_at_risk` and how many rows it has in all."""
    with _satisfaction_of_buyers(con, as_of, rules, customers) as basis:
        return _unhappy(con, basis, top_stars, limit)


def _unhappy(
    con: duckdb.DuckDBPyConnection, basis: str, top_stars: int | None, limit: int
) -> UnhappyCustomers:
    """`unhappy_customers` on the customer_satisfaction temp table already on `con`."""
    query = sql.load("value_at_risk")
    params = {"top_stars": top_stars, "limit": None}
    total = con.execute(f"select count(*) from ({query})", params).fetchone()[0]
    first = con.execute(query, {**params, "limit": limit}).df()
    return UnhappyCustomers(customers=first, total=total, value_basis=basis)


def opening_min_answers(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, customers: np.ndarray | None = None
) -> int:
    """The minimum of answers a monthly point needs as the Satisfaction page opens:
    MIN_ANSWERS, or THIN_MIN_ANSWERS when most months with answers over the TREND_MONTHS to
    `as_of` have fewer (a small shop still sees its trend; the page says which points rest
    on too few). The Overview's sparkline follows the same rule. With `customers`, on
    their answers (a filtered page's months hold fewer)."""
    frame = satisfaction_trend(
        con, as_of, "all", months=TREND_MONTHS, min_answers=MIN_ANSWERS, customers=customers
    )
    monthly = (frame["csat_answers"].fillna(0) + frame["nps_answers"].fillna(0))[
        lambda answers: answers > 0
    ]
    if monthly.empty or monthly.median() >= MIN_ANSWERS:
        return MIN_ANSWERS
    return THIN_MIN_ANSWERS


# --- the customers behind a point of a chart --------------------------------------------

PICKS = ("answers", "complaints", "backlog", "band")


@dataclass(frozen=True)
class Pick:
    """A point of the Satisfaction page's charts, standing for the customers behind it:

    - 'answers': answers in `month` of group `key` under the split `by` (a trend's point);
    - 'complaints': complaints submitted in `month` of category `key` (None: all);
    - 'backlog': complaints open on the as-of date aged from `age_from` days to the next
      of BACKLOG_AGES (a backlog bar);
    - 'band': buyers in band `key` of measure `by` ('nps' or 'csat'; a churn-by-band bar).
    """

    chart: str
    key: str | None = None
    by: str = "all"
    month: dt.date | None = None
    age_from: int | None = None

    def __post_init__(self):
        if self.chart not in PICKS:
            raise ValueError(f"unknown pick {self.chart!r}: choose one of {', '.join(PICKS)}")

    @property
    def age_to(self) -> int | None:
        """The backlog bucket's upper edge in days (None: the last, open-ended bucket)."""
        later = [
            edge for edge in BACKLOG_AGES if self.age_from is not None and edge > self.age_from
        ]
        return later[0] if later else None


def picked_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    pick: Pick,
    rules: LifecycleRules = DEFAULT_RULES,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """The customers behind `pick` on `as_of`, among `customers` (None: all). A band gives
    the columns of `value_at_risk` (churned buyers included), most valuable first; the other
    picks `customer_id, city, acquisition_channel, stars, picked` (their answers or
    complaints picked) and `last_submitted_at`, most picked first
    (core/sql/satisfaction_picked.sql)."""
    if pick.chart == "band":
        _check_measure(pick.by)
        with _satisfaction_of_buyers(con, as_of, rules, customers) as basis:
            params = {"measure": pick.by, "band": pick.key}
            frame = con.execute(sql.load("satisfaction_band_customers"), params).df()
        frame.attrs["value_basis"] = basis
        return frame
    params = {
        "as_of": as_of,
        "pick": pick.chart,
        "by": pick.by,
        "key": pick.key,
        "month": pick.month,
        "age_from": pick.age_from,
        "age_to": pick.age_to,
    }
    with with_extras(con), filters.chosen_relation(con, customers) as chosen:
        return con.execute(_query("satisfaction_picked", chosen), params).df()
