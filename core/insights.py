"""Insights in plain words: the few facts of the Overview's `Story` worth a sentence.

Each insight is a catalog key (`[insights]` in ui/locales) with its figures, kept as
numbers of a kind (a count, a share, money...) so the page writes them in its language and
currency, and the page that explains it. An insight is made only when its data are there
and the figure is meaningful: a group of fewer than `MIN_CUSTOMERS` customers, or a score
from fewer than `MIN_ANSWERS` answers, makes no sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.overview import FUNNEL_STEPS, Story

MIN_CUSTOMERS = 20
MIN_ANSWERS = 30  # as core.satisfaction.MIN_ANSWERS: a score from fewer is not a trend
TOP_STAR = 5
TOP_SHARE = 0.25  # a "top stars" group larger than this share of the rated is no top
STEP_RATE = 0.9  # a lifecycle step that keeps this share or more is no weakness

# figure kinds: how the page writes the value
COUNT = "count"
SHARE = "share"  # 0.345 -> 34.5%
CHANGE = "change"  # a relative change, with its sign: 0.123 -> +12.3%
MONEY = "money"
POINTS = "points"  # a change of a score, with its sign, to `digits`
SCORE = "score"  # to `digits`
STARS = "stars"  # (lowest, highest) star of a group
WORD = "word"  # a catalog key under [insights]


@dataclass(frozen=True)
class Figure:
    """A number (or, for WORD, a catalog key; for STARS, the lowest and highest star) and
    how it is written; `digits` for SCORE, POINTS and SHARE (None: the kind's own)."""

    kind: str
    value: object
    digits: int | None = None


@dataclass(frozen=True)
class Insight:
    """A sentence: the catalog key `insights.<key>`, its figures by placeholder name, and
    the page that explains it (a url path of ui.navigation; "overview", the page the
    insights are on, means its monthly trend)."""

    key: str
    page: str
    figures: dict[str, Figure] = field(default_factory=dict)


def top_stars(story: Story, min_customers: int = MIN_CUSTOMERS) -> Insight | None:
    """How much of the value the top stars carry: the 5-star customers, or from 5 down as
    many stars as make `min_customers` (none when that is more than `TOP_SHARE` of the
    rated: no top then); with how many of them are at high churn risk and their predicted
    CLV where churn was scored."""
    mix = story.mix
    if mix is None or mix.rated < min_customers:
        return None
    stars: tuple[int, ...] = ()
    for star in range(TOP_STAR, 0, -1):
        stars = (*stars, star)
        if mix.group(stars)["customers"] >= min_customers:
            break
    group = mix.group(stars)
    if (
        group["value_share"] is None
        or group["customers"] < min_customers
        or group["customer_share"] > TOP_SHARE
    ):
        return None
    figures = {
        "stars": Figure(STARS, (min(stars), max(stars))),
        "customer_share": Figure(SHARE, group["customer_share"]),
        "value_share": Figure(SHARE, group["value_share"]),
        "basis": Figure(WORD, f"basis_{mix.basis}"),
    }
    key = "top_stars"
    if group["at_risk"] and group["at_risk_clv"] is not None:
        key = "top_stars_at_risk"
        figures["at_risk"] = Figure(COUNT, group["at_risk"])
        figures["at_risk_clv"] = Figure(MONEY, group["at_risk_clv"])
    return Insight(key, "stars", figures)


def value_at_risk(story: Story, min_customers: int = MIN_CUSTOMERS) -> Insight | None:
    """The customers on the churn warning list and the predicted CLV they hold."""
    risk = story.risk
    if risk is None or risk.at_risk < min_customers or risk.predicted_clv is None:
        return None
    figures = {
        "customers": Figure(COUNT, risk.at_risk),
        "share": Figure(SHARE, risk.share),
        "risk": Figure(SHARE, risk.min_risk, 0),
        "days": Figure(COUNT, risk.horizon_days),
        "clv": Figure(MONEY, risk.predicted_clv),
    }
    if story.value is not None and story.value.total > 0:
        figures["clv_share"] = Figure(SHARE, risk.predicted_clv / story.value.total)
        return Insight("at_risk_share", "churn", figures)
    return Insight("at_risk", "churn", figures)


def weakest_step(story: Story, min_customers: int = MIN_CUSTOMERS) -> Insight | None:
    """The lifecycle step that loses the largest share of the customers who reach the step
    before it (none when every step keeps `STEP_RATE` or more)."""
    funnel = story.funnel
    if funnel is None or funnel.customers[FUNNEL_STEPS[0]] < min_customers:
        return None
    step = funnel.weakest()
    if step is None or funnel.rate(step) >= STEP_RATE:
        return None
    before = funnel.customers[FUNNEL_STEPS[FUNNEL_STEPS.index(step) - 1]]
    if before < min_customers:
        return None
    return Insight(
        "weakest_step",
        "lifecycle",
        {
            "step": Figure(WORD, f"step_{step}"),
            "rate": Figure(SHARE, funnel.rate(step)),
            "before": Figure(COUNT, before),
            "after": Figure(COUNT, funnel.customers[step]),
        },
    )


def satisfaction_trend(story: Story, min_answers: int = MIN_ANSWERS) -> Insight | None:
    """NPS (or CSAT) over the 12 months, against the 12 before when the feedback covers
    them and both periods have `min_answers` answers."""
    sat = story.satisfaction
    if sat is None or sat.answers < min_answers:
        return None
    digits = 0 if sat.measure == "nps" else 2
    figures = {
        "measure": Figure(WORD, f"measure_{sat.measure}"),
        "score": Figure(SCORE, sat.current, digits),
        "answers": Figure(COUNT, sat.answers),
    }
    if sat.covered and sat.previous is not None and sat.previous_answers >= min_answers:
        figures["change"] = Figure(POINTS, sat.current - sat.previous, max(digits, 1))
        return Insight("satisfaction_change", "satisfaction", figures)
    return Insight("satisfaction_level", "satisfaction", figures)


def growth(story: Story, min_customers: int = MIN_CUSTOMERS) -> Insight | None:
    """Revenue and active customers against the previous 12 months, where covered and both
    periods have `min_customers` active customers. It points to the Overview's own monthly
    trend (`overview`): no other page shows revenue over time."""
    k = story.kpis
    if not k.has_previous or not k.revenue_previous:
        return None
    if min(k.active_customers, k.active_customers_previous) < min_customers:
        return None
    change = (k.revenue - k.revenue_previous) / abs(k.revenue_previous)
    customers = (k.active_customers - k.active_customers_previous) / k.active_customers_previous
    return Insight(
        "growth",
        "overview",
        {
            "revenue": Figure(MONEY, k.revenue),
            "change": Figure(CHANGE, change),
            "customers_change": Figure(CHANGE, customers),
        },
    )


RULES = (top_stars, value_at_risk, weakest_step, satisfaction_trend, growth)


def insights(story: Story) -> list[Insight]:
    """The insights the story supports, most telling first (value concentration, value at
    risk, the weakest lifecycle step, satisfaction, growth)."""
    return [found for rule in RULES if (found := rule(story)) is not None]
