"""The Overview's figures: headline KPIs over the trailing 12 months and the monthly trend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import churn, db, filters, lifecycle, satisfaction, sql, stars
from core import value as value_module
from core.clv import ModelFitError, Reason
from core.precompute import page_result


@dataclass(frozen=True)
class Kpis:
    """Headline figures for the 12 months ending on `as_of`, and the 12 months before.

    customers: signed up on or before the period's end; active_customers: bought in the
    period; revenue: net of refunds; orders: orders (stg_orders: the lines sharing an
    order_id) that are not refunds; repeat_customers: active customers who bought on two or
    more days in the period. has_previous: the data
    cover the previous 12 months (the first transaction, `first_ordered_on`, is on or
    before their first day); without it the previous figures are not a period to compare
    with.
    """

    as_of: dt.date
    customers: int
    customers_previous: int
    active_customers: int
    active_customers_previous: int
    revenue: float
    revenue_previous: float
    orders: int
    orders_previous: int
    repeat_customers: int
    repeat_customers_previous: int
    previous_start: dt.date | None = None
    first_ordered_on: dt.date | None = None
    has_previous: bool = False

    @property
    def avg_order_value(self) -> float | None:
        return self.revenue / self.orders if self.orders else None

    @property
    def avg_order_value_previous(self) -> float | None:
        return self.revenue_previous / self.orders_previous if self.orders_previous else None

    @property
    def repeat_rate(self) -> float | None:
        """Share of active customers who bought on 2+ days in the period."""
        return self.repeat_customers / self.active_customers if self.active_customers else None

    @property
    def repeat_rate_previous(self) -> float | None:
        if not self.active_customers_previous:
            return None
        return self.repeat_customers_previous / self.active_customers_previous


def chosen_query(name: str, chosen: str | None, con: duckdb.DuckDBPyConnection) -> str:
    """`core/sql/<name>.sql` (`sql.load`); with `chosen` (the chosen customers' relation,
    registered on `con` by `core.filters.chosen_relation`), each `/* and chosen(column) */`
    in it becomes `and column in (the chosen customers)`; without, it stays a comment."""
    return filters.chosen_sql(sql.load(name, con), chosen)


@page_result()
def overview_kpis(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, customers: np.ndarray | None = None
) -> Kpis:
    """The headline KPIs as of `as_of` (see `Kpis` for the definitions), of the
    `customers` the shared filters choose (None: everyone): their sign-ups, orders and
    purchase days. Whether the earlier 12 months are covered is the data's, not theirs."""
    cur = con.cursor()
    with filters.chosen_relation(cur, customers) as chosen:
        cur.execute(chosen_query("overview_kpis", chosen, cur), {"as_of": as_of})
        names = [d[0] for d in cur.description]
        row = dict(zip(names, cur.fetchone(), strict=True))
    return Kpis(as_of=as_of, **row)


@page_result()
def monthly_revenue(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    months: int = 36,
    customers: np.ndarray | None = None,
):
    """Revenue, orders and buying customers per calendar month, the `months` up to `as_of`,
    starting no earlier than the first month with a transaction, over the orders of the
    `customers` the shared filters choose (None: everyone's).

    Returns a DataFrame `month, revenue, orders, customers, is_partial` (the as-of month is
    partial unless `as_of` is its last day); months without sales are zero, not missing.
    """
    start = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp().date()
    cur = con.cursor()
    with filters.chosen_relation(cur, customers) as chosen:
        return cur.execute(
            chosen_query("monthly_revenue", chosen, cur), {"as_of": as_of, "start_month": start}
        ).df()


@dataclass(frozen=True)
class DataSpan:
    """The first and last day of each dated raw table (None when it has no rows)."""

    days: dict[str, tuple[dt.date, dt.date] | None]

    def first(self, table: str) -> dt.date | None:
        span = self.days.get(table)
        return span[0] if span else None

    def last(self, table: str) -> dt.date | None:
        span = self.days.get(table)
        return span[1] if span else None

    @property
    def first_day(self) -> dt.date | None:
        """The first day of any dated data."""
        firsts = [span[0] for span in self.days.values() if span]
        return min(firsts) if firsts else None

    @property
    def last_day(self) -> dt.date | None:
        """The last day of any dated data: orders, feedback or interactions."""
        lasts = [span[1] for span in self.days.values() if span]
        return max(lasts) if lasts else None


def referred_customers(con: duckdb.DuckDBPyConnection) -> int:
    """Customers whose referrer is known (customers.referred_by): 0 when the data carry no
    referrals at all, so a referral rate is unknown rather than zero."""
    return con.execute("select count(referred_by) from customers").fetchone()[0]


def data_span(con: duckdb.DuckDBPyConnection) -> DataSpan:
    """The first and last day of transactions, feedback and interactions."""
    return DataSpan({table: db.day_span(con, table) for table in db.DATED_COLUMNS})


# --- the story: what the other pages found, side by side --------------------------------
#
# The Overview shows figures the Stars, Value, Churn risk, Satisfaction and Lifecycle pages
# compute; the pages' own results come in (read once, cached by the pages' readers) and
# these functions only put them side by side, so a share here is the share there.

VALUE_BASES = ("margin", "revenue")


@dataclass(frozen=True)
class StarMix:
    """The rated customers by star. `table`: `stars, customers, customer_share, value,
    value_share, at_risk, at_risk_clv` (value: 12-month margin, or revenue where the data
    carry no cost, as `basis` says; at_risk: customers on the churn warning list, None when
    churn risk could not be scored; at_risk_clv: their predicted CLV, None without the
    model). `high_value_stars`: the stars the active rules call high value."""

    table: pd.DataFrame
    basis: str
    high_value_stars: tuple[int, ...]

    @property
    def rated(self) -> int:
        return int(self.table["customers"].sum())

    def group(self, stars: tuple[int, ...]) -> dict:
        """The sums over `stars`: customers, customer_share, value, value_share, at_risk,
        at_risk_clv (None where unknown)."""
        rows = self.table[self.table["stars"].isin(stars)]

        def total(column: str):
            values = rows[column]
            return None if values.isna().all() else float(values.sum())

        return {
            "customers": int(rows["customers"].sum()),
            **{c: total(c) for c in ("customer_share", "value", "value_share", "at_risk")},
            "at_risk_clv": total("at_risk_clv"),
        }


def star_mix(
    distribution: pd.DataFrame,
    star_of: pd.Series,
    warning: pd.DataFrame | None,
    high_value_stars: tuple[int, ...],
) -> StarMix:
    """The mix of `distribution` (`core.stars.star_distribution`, as the Stars page shows
    it), with the customers of the churn `warning` list (`core.churn.warning_list`; None:
    not scored) counted by their star (`star_of`: customer_id -> stars, 0 for prospects)."""
    basis = "margin" if distribution["margin_12m"].notna().any() else "revenue"
    value = distribution[f"{basis}_12m"].fillna(0.0).astype(float)
    total = float(value.sum())
    table = pd.DataFrame(
        {
            "stars": distribution["stars"].astype(int),
            "customers": distribution["customers"].astype(int),
            "customer_share": distribution["share"].astype(float),
            "value": value,
            "value_share": value / total if total > 0 else float("nan"),
            "at_risk": float("nan"),
            "at_risk_clv": float("nan"),
        }
    )
    if warning is not None:
        risky = warning[["customer_id", "predicted_clv"]].assign(
            stars=warning["customer_id"].map(star_of)
        )
        by_star = risky.groupby("stars")
        counts = by_star.size()
        clv = by_star["predicted_clv"].sum(min_count=1)
        table["at_risk"] = table["stars"].map(counts).fillna(0).astype(float)
        table["at_risk_clv"] = table["stars"].map(clv).astype(float)
    return StarMix(table, basis, tuple(high_value_stars))


@dataclass(frozen=True)
class ValueFigure:
    """Predicted CLV of the base over `horizon_months` (as the Value page's total, at its
    opening knobs), over `customers` valued."""

    total: float
    customers: int
    horizon_months: int


def value_figure(values: pd.DataFrame, horizon_months: int) -> ValueFigure:
    """The `ValueFigure` of `values` (`core.value.customer_values` or `priced_values` over
    `horizon_months`, of the customers to count)."""
    return ValueFigure(
        total=float(values["predicted_clv"].sum()),
        customers=len(values),
        horizon_months=horizon_months,
    )


@dataclass(frozen=True)
class RiskFigure:
    """The churn warning list in numbers: of the `scored` customers, `at_risk` have a risk
    of `min_risk` or more of no purchase in the next `horizon_days`; `predicted_clv` is
    their predicted CLV (None without the value model), `value_at_risk` the sum of risk x
    12 months of value if retained (as the Churn risk page's tile)."""

    scored: int
    at_risk: int
    predicted_clv: float | None
    value_at_risk: float | None
    min_risk: float
    horizon_days: int

    @property
    def share(self) -> float | None:
        return self.at_risk / self.scored if self.scored else None


def risk_figure(
    scores: pd.DataFrame, warning: pd.DataFrame, min_risk: float, horizon_days: int
) -> RiskFigure:
    """`RiskFigure` of the churn `scores` and the `warning` list cut at `min_risk`."""

    def total(column: str) -> float | None:
        values = warning[column]
        return None if values.isna().all() else float(values.sum())

    return RiskFigure(
        scored=len(scores),
        at_risk=len(warning),
        predicted_clv=total("predicted_clv"),
        value_at_risk=total("value_at_risk"),
        min_risk=min_risk,
        horizon_days=horizon_days,
    )


@dataclass(frozen=True)
class SatisfactionFigure:
    """NPS (points) where the data have NPS answers, else CSAT (1-5 average): the 12 months
    up to the as-of date and the 12 before (`covered`: the feedback covers them)."""

    measure: str  # "nps" or "csat"
    current: float
    previous: float | None
    answers: int
    previous_answers: int
    covered: bool


def satisfaction_figure(kpis, covered: bool) -> SatisfactionFigure | None:
    """The headline satisfaction figure of `kpis` (`core.satisfaction.SatisfactionKpis`):
    NPS when the 12 months have NPS answers, else CSAT, else None (neither in the data)."""
    now, before = kpis.current, kpis.previous
    for measure, answers, previous_answers in (
        ("nps", now.nps_answers, before.nps_answers),
        ("csat", now.csat_answers, before.csat_answers),
    ):
        if answers:
            return SatisfactionFigure(
                measure=measure,
                current=float(getattr(now, measure)),
                previous=getattr(before, measure),
                answers=int(answers),
                previous_answers=int(previous_answers or 0),
                covered=covered,
            )
    return None


FUNNEL_STEPS = ("acquired", "converted", "repeat", "retained")


@dataclass(frozen=True)
class FunnelFigure:
    """The lifecycle funnel's customers at each step (`FUNNEL_STEPS`), as the Lifecycle
    page's funnel: acquired -> first purchase -> repeat purchase -> still active."""

    customers: dict[str, int]

    def rate(self, step: str) -> float | None:
        """The share of the step before who reached `step` (None from an empty step)."""
        before = self.customers[FUNNEL_STEPS[FUNNEL_STEPS.index(step) - 1]]
        return self.customers[step] / before if before else None

    def weakest(self) -> str | None:
        """The step with the lowest rate from the step before (None if none has a rate)."""
        rates = {s: self.rate(s) for s in FUNNEL_STEPS[1:]}
        known = {s: r for s, r in rates.items() if r is not None}
        return min(known, key=known.get) if known else None


def funnel_figure(funnel: pd.DataFrame) -> FunnelFigure:
    """The overall row of `core.lifecycle.lifecycle_snapshot(...).funnel`."""
    row = funnel.iloc[0]
    return FunnelFigure({step: int(row[step]) for step in FUNNEL_STEPS})


def funnel_steps(listed: pd.DataFrame) -> dict[str, pd.Series]:
    """Which customers of `listed` (`core.lifecycle.lifecycle_customers`) reached each
    funnel step, as core/sql/lifecycle_funnel.sql and lifecycle_customers.sql count them:
    acquired, converted (a first purchase), repeat (2+ purchase days), retained (repeat
    and still new or active)."""
    repeat = listed["count_purchase_days"].fillna(0) >= 2
    return {
        "acquired": pd.Series(True, index=listed.index),
        "converted": listed["first_purchase_on"].notna(),
        "repeat": repeat,
        "retained": repeat & listed["stage"].isin(("new", "active")),
    }


def chosen_funnel(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: lifecycle.LifecycleRules,
    customers: np.ndarray,
) -> FunnelFigure:
    """The funnel of the chosen `customers` only, their stages those of the whole base."""
    listed = filters.keep(lifecycle.lifecycle_customers(con, as_of, rules), customers)
    return FunnelFigure({step: int(hit.sum()) for step, hit in funnel_steps(listed).items()})


def step_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: lifecycle.LifecycleRules,
    step: str,
    customers: np.ndarray | None = None,
    limit: int | None = None,
) -> lifecycle.DrillResult:
    """The customers who reached funnel `step` (the Lifecycle page's drill-down of that
    step: `core.lifecycle.lifecycle_customers`), largest revenue first, the first `limit`
    (None: all) and how many in all, only the chosen `customers` (None: everyone)."""
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step {step!r}: choose one of {', '.join(FUNNEL_STEPS)}")
    drill = lifecycle.Drill(group=None if step == FUNNEL_STEPS[0] else step)
    if customers is None and limit is not None:
        return lifecycle.drill_down(con, as_of, rules, drill, limit)
    listed = filters.keep(lifecycle.lifecycle_customers(con, as_of, rules, drill), customers)
    shown = listed if limit is None else listed.head(limit)
    return lifecycle.DrillResult(customers=shown.reset_index(drop=True), total=len(listed))


def star_customers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    star: int,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """The customers with `star` stars under the active rules as of `as_of`, as the Star
    ratings page lists a tier (`core.stars.tier_list`: id, city, channel, stars, value
    tier, scores, 12-month revenue and margin, predicted CLV; highest score first), only
    the chosen `customers` (None: everyone)."""
    if star not in stars.STARS:
        raise ValueError(f"unknown star {star!r}: choose one of {stars.STARS}")
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    tier = stars.tier_list(base, rules, rated, star)
    return filters.keep(tier, customers).reset_index(drop=True)


@dataclass(frozen=True)
class Story:
    """The Overview's figures: the KPIs and, each None where the data or the models do not
    give it, the star mix, predicted CLV, churn risk, satisfaction and the funnel."""

    kpis: Kpis
    mix: StarMix | None = None
    value: ValueFigure | None = None
    risk: RiskFigure | None = None
    satisfaction: SatisfactionFigure | None = None
    funnel: FunnelFigure | None = None


CHURN_HORIZON = 90  # days: the Churn risk page's opening horizon
CHURN_MIN_RISK = 0.70  # the Churn risk page's opening threshold of its warning list
CHURN_OPENING = (CHURN_MIN_RISK, CHURN_HORIZON)


def _churn_result(con, as_of: dt.date):
    """The churn classifier of CHURN_HORIZON as the Churn risk page gets it: as the build
    stored it, else trained here; a Reason when it cannot run."""
    stored = churn.stored_churn_result(con, as_of, CHURN_HORIZON)
    if stored is not None:
        return stored
    try:
        return churn.churn_risk(con, as_of, churn.ChurnSettings(horizon_days=CHURN_HORIZON))
    except ModelFitError as error:
        return error.reason


def overview_story(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    value: ValueFigure | None = None,
    customers: pd.DataFrame | None = None,
    rules: lifecycle.LifecycleRules = lifecycle.DEFAULT_RULES,
    chosen: np.ndarray | None = None,
    kpis: Kpis | None = None,
) -> tuple[Story, dict]:
    """The Overview's story as of `as_of`, each part computed as its page computes it at
    its opening settings: the star mix under the active rules (Star ratings), the churn
    warning list of CHURN_HORIZON days at CHURN_MIN_RISK (Churn risk), NPS or CSAT
    (Satisfaction), the funnel under the stage `rules` (Lifecycle: the session's). `value`
    is the base's predicted CLV and `customers` the valued customers
    (`core.value.customer_values`, for the warning list's worth off the build's date), both
    from the value models the caller holds; None: not valued. `chosen`: the ids of the
    customers the shared filters choose (None: everyone); each part then counts only them,
    every customer's star, risk, value and stage being those of the whole base (`value`
    is then the chosen customers' already). `kpis`: their `overview_kpis`, when the caller
    has them (computed here when None). Returns the story and the Reasons a part could not
    be had (part -> Reason: 'risk')."""
    figures = overview_kpis(con, as_of, chosen) if kpis is None else kpis
    reasons: dict = {}
    if db.day_span(con, "transactions") is None:
        return Story(figures), reasons

    result = _churn_result(con, as_of)
    warning = risk = None
    if isinstance(result, Reason):
        reasons["risk"] = result
    else:
        warning = churn.stored_warning_list(con, as_of, CHURN_HORIZON, CHURN_MIN_RISK)
        if warning is None:
            worth = customers
            if worth is None:
                worth = value_module.stored_customer_inputs(con, as_of)
            warning = churn.warning_list(result.scores, worth, as_of, CHURN_MIN_RISK)
        warning = filters.keep(warning, chosen)
        risk = risk_figure(filters.keep(result.scores, chosen), warning, *CHURN_OPENING)

    base = stars.rating_base(con, as_of)
    star_rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, star_rules)
    kept = filters.keep_mask(base.frame["customer_id"], chosen)
    if kept is not None:
        rated = np.where(kept, rated, 0)  # the others counted as no star: left out
    mix = None
    if (rated > 0).any():
        star_of = pd.Series(rated, index=base.frame["customer_id"].to_numpy())
        mix = star_mix(
            stars.star_distribution(base, rated), star_of, warning, star_rules.high_value_stars
        )

    feedback = db.day_span(con, "feedback")
    covered = feedback is not None and feedback[0] <= previous_start(as_of)
    sat = satisfaction_figure(_satisfaction_kpis(con, as_of, chosen), covered)
    if chosen is None:
        funnel = funnel_figure(lifecycle.lifecycle_snapshot(con, as_of, rules).funnel)
    else:
        funnel = chosen_funnel(con, as_of, rules, chosen)
    return Story(figures, mix, value, risk, sat, funnel), reasons


def opening_value(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> ValueFigure | Reason:
    """The base's predicted CLV as of `as_of` at the Value page's opening knobs (the data's
    defaults), from the value models as `ui.models` has them (as the build stored them,
    else fitted), or the Reason they cannot run."""
    models = value_module.stored_value_models(con, as_of)
    if models is None:
        try:
            models = value_module.fit_value_models(con, as_of)
        except ModelFitError as error:
            return error.reason
    if isinstance(models, Reason):
        return models
    defaults = value_module.stored_value_defaults(con, as_of)
    settings = (defaults or value_module.value_defaults(con, as_of)).settings()
    inputs = value_module.stored_customer_inputs(con, as_of)
    # the buyers `core.value.customer_base` values, without the star and segment columns it
    # adds for the Value page's groups (the total needs none; at a million customers their
    # join took most of this)
    position = pd.Index(models.summary["customer_id"]).get_indexer(inputs["customer_id"])
    kept = position >= 0
    base = value_module.CustomerBase(inputs[kept].reset_index(drop=True), position[kept], None)
    knobs = (settings.horizon_months, settings.discount_rate_annual)
    values = value_module.priced_values(base, value_module.model_values(models, *knobs), settings)
    return value_figure(values, settings.horizon_months)


@page_result(ratings=True, after_commit=True)  # the ratings through a cursor
def opening_story(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[Story, dict]:
    """The Overview's story as it opens (`overview_story` of everyone, under the default
    stage rules, predicted CLV at the Value page's opening knobs: `opening_value`), and the
    Reasons a part could not be had (part -> Reason: 'value', 'risk'). The build keeps it,
    so the unfiltered page on the build's date reads it instead of valuing every customer;
    it holds until the data version changes (a star rule set saved, an import)."""
    found = opening_value(con, as_of)
    reasons = {"value": found} if isinstance(found, Reason) else {}
    value = None if isinstance(found, Reason) else found
    story, why = overview_story(con, as_of, value)
    return story, reasons | why


SPARK_MONTHS = 24  # months of a tile's sparkline


@page_result()
def satisfaction_months(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    months: int = SPARK_MONTHS,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """CSAT and NPS per month over the `months` up to `as_of` (`core.satisfaction.
    satisfaction_trend`, one group) of the answers of `customers` (None: everyone's), a
    month with fewer answers than the Satisfaction page's trend opens with left without a
    score (`core.satisfaction.opening_min_answers` on the same customers). For the
    satisfaction tile's sparkline; it reads only the answers, so it holds until an import."""
    least = satisfaction.opening_min_answers(con, as_of, customers=customers)
    return satisfaction.satisfaction_trend(
        con, as_of, "all", months=months, min_answers=least, customers=customers
    )


def _satisfaction_kpis(con, as_of: dt.date, chosen: np.ndarray | None):
    """The Satisfaction page's headline figures of the chosen customers' answers."""
    if chosen is None:
        return satisfaction.satisfaction_kpis(con, as_of)
    return satisfaction.satisfaction_kpis(con.cursor(), as_of, customers=chosen)


def previous_start(as_of: dt.date) -> dt.date:
    """The first day of the 12 months before the 12 months up to `as_of`."""
    return (pd.Timestamp(as_of) - pd.DateOffset(years=2) + pd.Timedelta(days=1)).date()
