"""Cached access to the satisfaction and service figures for pages/satisfaction.py.

Cached functions take small knobs (a date, a grouping, a service level in hours, the frozen
lifecycle rules, the data version) and read the data inside; exports are built only when
the user clicks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import satisfaction
from core.lifecycle import LifecycleRules
from ui import data
from ui import format as fmt
from ui.i18n import t
from ui.labels import label, labelled, star_name, value_labels

TREND_MONTHS = 24
LIST_ROWS = 500
GROUPINGS = satisfaction.GROUPINGS
NPS_BANDS = satisfaction.NPS_BANDS
CSAT_BANDS = satisfaction.CSAT_BANDS
MIN_ANSWERS = satisfaction.MIN_ANSWERS
SLA_HOURS = satisfaction.SLA_HOURS
TOP_STARS = satisfaction.TOP_STARS
BACKLOG_AGES = satisfaction.BACKLOG_AGES


@st.cache_data(max_entries=8, show_spinner=False)
def models(version: int) -> tuple[bool, str]:
    """(stars exist, value basis 'predicted' or 'margin')."""
    con = data.cursor()
    return satisfaction.has_stars(con), satisfaction.value_basis(con)


@st.cache_data(max_entries=32, show_spinner=False)
def kpis(as_of: dt.date, sla_hours: float, version: int) -> satisfaction.SatisfactionKpis:
    return satisfaction.satisfaction_kpis(data.cursor(), as_of, sla_hours)


@st.cache_data(max_entries=32, show_spinner=False)
def trend(as_of: dt.date, by: str, min_answers: int, version: int) -> pd.DataFrame:
    """The monthly trend of the `TREND_MONTHS` up to `as_of`, from the first month with an
    answer (a chart does not open on empty months)."""
    frame = satisfaction.satisfaction_trend(
        data.cursor(), as_of, by, months=TREND_MONTHS, min_answers=min_answers
    )
    answered = frame["csat_answers"].fillna(0) + frame["nps_answers"].fillna(0) > 0
    return from_first_month(frame, answered)


def from_first_month(frame: pd.DataFrame, has_data: pd.Series) -> pd.DataFrame:
    """The rows of `frame` from the first `month` where `has_data` holds (all of them when
    it never holds), for every group."""
    if not has_data.any():
        return frame
    first = frame.loc[has_data, "month"].min()
    return frame[frame["month"] >= first].reset_index(drop=True)


# --- what the data hold -----------------------------------------------------------------

MEASURE_INPUT = {"nps": "nps", "csat": "csat", "satisfied_share": "csat"}
PAGE_INPUTS = ("nps", "csat", "complaints", "engagement")  # build results this page reads


def bands_measure(missing: dict[str, str | None]) -> str | None:
    """What churn is banded by: 'nps' when there are NPS answers, else 'csat' when there
    are CSAT answers, else None (`missing`: build result -> why it is empty)."""
    return next((m for m in ("nps", "csat") if not missing.get(m)), None)


def opening_measure(missing: dict[str, str | None]) -> str:
    """The measure the trend opens on: the one churn is banded by (`bands_measure`), else
    NPS (its chart then says what to import)."""
    return bands_measure(missing) or "nps"


THIN_MIN_ANSWERS = 10  # the opening minimum when few months reach MIN_ANSWERS


def opening_min_answers(as_of: dt.date, version: int) -> int:
    """The minimum of answers a monthly point needs, as the page opens: MIN_ANSWERS, or
    THIN_MIN_ANSWERS when most months with answers have fewer (a small shop still sees
    its trend; the caption says which points rest on too few)."""
    frame = trend(as_of, "all", MIN_ANSWERS, version)
    monthly = (frame["csat_answers"].fillna(0) + frame["nps_answers"].fillna(0))[
        lambda answers: answers > 0
    ]
    if monthly.empty or monthly.median() >= MIN_ANSWERS:
        return MIN_ANSWERS
    return THIN_MIN_ANSWERS


def loyalty_weights(referrals_known: bool) -> satisfaction.LoyaltyWeights | None:
    """The loyalty index's weights: the default three parts, or without the referral rate
    when the data carry no referrals (unknown is not 0%: it would pull the index down)."""
    return None if referrals_known else satisfaction.LoyaltyWeights(referral=0)


def missing_text(code: str) -> str:
    """What is missing and what to import, in words, for a build status code."""
    try:
        return t(f"satisfaction.missing_{code}")
    except KeyError:
        return t("satisfaction.missing_no_feedback")


def previous_start(as_of: dt.date) -> dt.date:
    """The first day of the 12 months before the 12 months up to `as_of`."""
    return (pd.Timestamp(as_of) - pd.DateOffset(years=2) + pd.Timedelta(days=1)).date()


def covers_previous(firsts: list[dt.date | None], as_of: dt.date) -> bool:
    """True when every one of the inputs starts on or before the previous period's start."""
    start = previous_start(as_of)
    return all(first is not None and first <= start for first in firsts)


@st.cache_data(max_entries=32, show_spinner=False)
def by_group(as_of: dt.date, by: str, min_answers: int, version: int) -> pd.DataFrame:
    return satisfaction.satisfaction_by_group(data.cursor(), as_of, by, min_answers=min_answers)


@st.cache_data(max_entries=32, show_spinner=False)
def complaints(as_of: dt.date, sla_hours: float, version: int) -> pd.DataFrame:
    """Complaints per month and category, from the first month with one."""
    frame = satisfaction.complaints_by_month(data.cursor(), as_of, sla_hours, months=TREND_MONTHS)
    return from_first_month(frame, frame["complaints"].fillna(0) > 0)


@st.cache_data(max_entries=16, show_spinner=False)
def backlog(as_of: dt.date, version: int) -> tuple[pd.DataFrame, int, float | None]:
    """(open complaints per age bucket, open complaints, age of the oldest in days)."""
    frame = satisfaction.complaint_backlog(data.cursor(), as_of)
    oldest = float(frame["age_days"].max()) if len(frame) else None
    return satisfaction.backlog_ages(frame), len(frame), oldest


@st.cache_data(max_entries=16, show_spinner=False)
def value_report(as_of: dt.date, rules: LifecycleRules, version: int) -> satisfaction.ValueReport:
    return satisfaction.value_report(data.cursor(), as_of, rules, limit=LIST_ROWS)


def unhappy(
    as_of: dt.date, rules: LifecycleRules, top_only: bool, version: int
) -> satisfaction.UnhappyCustomers:
    """The value-at-risk list's first rows and count (every tier: from the value report)."""
    if not top_only:
        return value_report(as_of, rules, version).unhappy
    return _top_tier_unhappy(as_of, rules, version)


@st.cache_data(max_entries=16, show_spinner=False)
def _top_tier_unhappy(
    as_of: dt.date, rules: LifecycleRules, version: int
) -> satisfaction.UnhappyCustomers:
    return satisfaction.unhappy_customers(data.cursor(), as_of, rules, TOP_STARS, limit=LIST_ROWS)


def list_export(
    as_of: dt.date,
    rules: LifecycleRules,
    top_only: bool,
    basis: str,
    currency: str | None,
) -> Callable[[], pd.DataFrame]:
    """The whole value-at-risk list for `ui.export.download_buttons`, in the current
    language, money headers with the currency code (made on Streamlit's download thread:
    its cursor and labels are taken now)."""
    con = data.cursor()
    names = column_names(basis)
    labels = value_labels(names)
    for column in MONEY_COLUMNS:
        names[column] = fmt.money_header(names[column], currency)
    top = TOP_STARS if top_only else None
    return lambda: labelled(satisfaction.value_at_risk(con, as_of, rules, top), names, labels)


# --- labels ----------------------------------------------------------------------------


def group_label(by: str, key: str) -> str:
    """The label of a group of answers: a channel, a category, a star rating or all."""
    if by == "channel":
        return label("channel", key)
    if by == "category":
        return label("feedback_category", key)
    if by == "stars":
        return t("satisfaction.unrated") if key == "unrated" else star_name(key)
    return t("satisfaction.all_answers")


def group_labels(by: str, keys) -> dict[str, str]:
    return {key: group_label(by, key) for key in keys}


def band_label(band: str) -> str:
    """An NPS band (promoter...) or a CSAT band (unhappy, neutral, happy) with its scores."""
    return t(f"satisfaction.band_{band}")


def churn_bands(report: satisfaction.ValueReport, measure: str) -> pd.DataFrame:
    """The report's churn by band on `measure` ('nps' or 'csat')."""
    return report.bands if measure == "nps" else report.csat_bands


def age_labels(edges: tuple[int, ...] = BACKLOG_AGES) -> list[str]:
    """'0-2 days', '2-7 days', ..., '30+ days' in the current language."""
    bounds = [*edges, None]
    return [
        t("satisfaction.age_range", low=lo, high=hi)
        if hi is not None
        else t("satisfaction.age_over", low=lo)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]


MONEY_COLUMNS = ("revenue", "value")  # of the value-at-risk list


def column_names(basis: str) -> dict[str, str]:
    """The value-at-risk list's columns in the current language; `value` is named for what
    it is (`basis`: 'predicted' or 'margin')."""
    columns = [
        "customer_id",
        "city",
        "acquisition_channel",
        "stage",
        "stars",
        "latest_nps",
        "latest_csat",
        "open_complaints",
        "last_purchase_on",
        "revenue",
        "value",
    ]
    names = {c: t(f"satisfaction.col_{c}") for c in columns if c != "value"}
    names["value"] = t(f"satisfaction.col_value_{basis}")
    return names


# --- numbers for the page ---------------------------------------------------------------


def change(current, previous, digits: int = 1, points: bool = False) -> str | None:
    """The change from `previous` to `current` as '+1.2' (or '+1.2 pts' with `points`,
    for shares given as 0..1), '0' when it rounds to nothing, None when one is missing."""
    if current is None or previous is None or pd.isna(current) or pd.isna(previous):
        return None
    delta = (current - previous) * (100 if points else 1)
    if round(delta, digits) == 0:
        return "0"
    text = f"{delta:+.{digits}f}"
    return t("metric.points", change=text) if points else text


def score(value, digits: int) -> str:
    return fmt.UNKNOWN if value is None or pd.isna(value) else f"{value:.{digits}f}"


def answers_column(metric: str) -> str:
    """The count of answers behind `metric` ('nps', 'csat' or 'satisfied_share')."""
    return "nps_answers" if metric == "nps" else "csat_answers"


def has_answers(trend: pd.DataFrame, metric: str) -> bool:
    """True when some month of the trend has an answer for `metric`."""
    return bool(trend[answers_column(metric)].sum() > 0)


def thin_points(trend: pd.DataFrame, metric: str) -> int:
    """The monthly points of the trend with too few answers for `metric` to be drawn."""
    thin = "nps_thin" if metric == "nps" else "csat_thin"
    return int(trend[thin].sum())


def group_keys(trend: pd.DataFrame) -> list[str]:
    """The trend's groups, in their order."""
    return list(dict.fromkeys(trend["group_key"]))


def complaint_total(complaints: pd.DataFrame) -> int:
    """The complaints of all the months of `complaints_by_month`."""
    return int(complaints.loc[complaints["is_total"], "complaints"].sum())


def category_labels(complaints: pd.DataFrame) -> dict[str, str]:
    """The complaint categories of `complaints_by_month`, in order, with their labels."""
    categories = complaints.loc[~complaints["is_total"], "category"]
    return {c: label("feedback_category", c) for c in dict.fromkeys(categories.dropna())}


# --- tables for the page ----------------------------------------------------------------


def hours(value: float | None, lang: str) -> str:
    """A duration in hours: '31.5 h' / '31.5 小时'."""
    if value is None or pd.isna(value):
        return fmt.UNKNOWN
    return t("satisfaction.hours_value", hours=f"{value:,.1f}")


def group_table(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """The 12-month figures per group, labelled, with the answers behind each."""
    frame = frame.assign(group=[group_label(by, k) for k in frame["group_key"]])
    columns = ["group", "nps", "nps_answers", "csat", "satisfied_share", "csat_answers"]
    return frame[columns]


def group_columns() -> dict:
    return {
        "group": st.column_config.TextColumn(t("satisfaction.group")),
        "nps": st.column_config.NumberColumn(t("satisfaction.metric_nps"), format="%.1f"),
        "nps_answers": st.column_config.NumberColumn(t("satisfaction.nps_answers"), format="%,d"),
        "csat": st.column_config.NumberColumn(t("satisfaction.metric_csat"), format="%.2f"),
        "satisfied_share": st.column_config.NumberColumn(
            t("satisfaction.metric_satisfied_share"), format="percent"
        ),
        "csat_answers": st.column_config.NumberColumn(t("satisfaction.csat_answers"), format="%,d"),
    }


def list_table(customers: pd.DataFrame) -> pd.DataFrame:
    """The value-at-risk rows with city, channel and stage labels."""
    return labelled(customers)


def list_columns(
    basis: str, has_stars: bool, currency: str | None, missing: dict[str, str | None]
) -> dict:
    """The list's columns; a column whose input is not in the data (`missing`: NPS,
    CSAT, complaints) is hidden rather than filled with unknowns or zeros."""
    names = column_names(basis)
    money = fmt.money_column(currency)
    config = {
        column: st.column_config.TextColumn(names[column])
        for column in ("customer_id", "city", "acquisition_channel", "stage")
    }
    config |= {
        "stars": st.column_config.TextColumn(names["stars"])  # '5★' (labelled)
        if has_stars
        else None,
        "latest_nps": st.column_config.NumberColumn(names["latest_nps"], format="%d"),
        "latest_csat": st.column_config.NumberColumn(names["latest_csat"], format="%d"),
        "open_complaints": st.column_config.NumberColumn(names["open_complaints"], format="%d"),
        "last_purchase_on": st.column_config.DateColumn(names["last_purchase_on"]),
        "revenue": st.column_config.NumberColumn(names["revenue"], format=money),
        "value": st.column_config.NumberColumn(names["value"], format=money),
    }
    for column, needs in (
        ("latest_nps", "nps"),
        ("latest_csat", "csat"),
        ("open_complaints", "complaints"),
    ):
        if missing.get(needs):
            config[column] = None
    return config
