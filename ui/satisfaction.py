"""Cached access to the satisfaction and service figures for pages/satisfaction.py.

Cached functions take small knobs (a date, a grouping, a service level in hours, the frozen
lifecycle rules, the shared filters, the data version) and read the data inside; exports
are built only when the user clicks. With filters, every figure counts only the chosen
customers' answers, complaints and purchases (the stored results are for the whole base,
so the page then computes live).

A click on a point of the trend, a complaints bar, a backlog age or a band opens the
customers behind it (`Pick`, from the trace's customdata) under that chart, with its
download; the list closes with its button.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import satisfaction
from core.filters import NO_FILTERS, Filters
from core.lifecycle import LifecycleRules
from core.satisfaction import Pick
from ui import charts, data, drill, filters, report
from ui import format as fmt
from ui.export import columns_from_config, download_buttons, list_about
from ui.i18n import t
from ui.labels import label, labelled, star_name
from ui.session import lifecycle_rules, lifecycle_rules_choices
from ui.sidebar import Context
from ui.widgets import Tile, change_tile, choice, customer_table, metric_row, show_table

TREND_MONTHS = satisfaction.TREND_MONTHS
LIST_ROWS = 500
SLA_HOURS = satisfaction.SLA_HOURS  # the page's default service level


@st.cache_data(max_entries=8, show_spinner=False)
def models(version: int) -> tuple[bool, str]:
    """(stars exist, value basis 'predicted' or 'margin')."""
    con = data.cursor()
    return satisfaction.has_stars(con), satisfaction.value_basis(con)


def _ids(chosen: Filters, as_of: dt.date, version: int):
    """The chosen customers' ids (None: no filter)."""
    return filters.ids(chosen, as_of, version)


@st.cache_data(max_entries=32, show_spinner=False)
def kpis(
    as_of: dt.date, sla_hours: float, version: int, chosen: Filters = NO_FILTERS
) -> satisfaction.SatisfactionKpis:
    return satisfaction.satisfaction_kpis(
        data.cursor(), as_of, sla_hours, customers=_ids(chosen, as_of, version)
    )


@st.cache_data(max_entries=32, show_spinner=False)
def trend(
    as_of: dt.date, by: str, min_answers: int, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """The monthly trend of the `TREND_MONTHS` up to `as_of`, from the first month with an
    answer (a chart does not open on empty months)."""
    frame = satisfaction.satisfaction_trend(
        data.cursor(),
        as_of,
        by,
        months=TREND_MONTHS,
        min_answers=min_answers,
        customers=_ids(chosen, as_of, version),
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


THIN_MIN_ANSWERS = satisfaction.THIN_MIN_ANSWERS


@st.cache_data(max_entries=32, show_spinner=False)
def opening_min_answers(as_of: dt.date, version: int, chosen: Filters = NO_FILTERS) -> int:
    """The minimum of answers a monthly point needs, as the page opens
    (`core.satisfaction.opening_min_answers`: fewer on a small shop, or on the few
    customers the filters choose)."""
    return satisfaction.opening_min_answers(
        data.cursor(), as_of, customers=_ids(chosen, as_of, version)
    )


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
def by_group(
    as_of: dt.date, by: str, min_answers: int, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    return satisfaction.satisfaction_by_group(
        data.cursor(), as_of, by, min_answers=min_answers, customers=_ids(chosen, as_of, version)
    )


@st.cache_data(max_entries=32, show_spinner=False)
def complaints(
    as_of: dt.date, sla_hours: float, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """Complaints per month and category, from the first month with one."""
    frame = satisfaction.complaints_by_month(
        data.cursor(),
        as_of,
        sla_hours,
        months=TREND_MONTHS,
        customers=_ids(chosen, as_of, version),
    )
    return from_first_month(frame, frame["complaints"].fillna(0) > 0)


@st.cache_data(max_entries=16, show_spinner=False)
def backlog(
    as_of: dt.date, version: int, chosen: Filters = NO_FILTERS
) -> tuple[pd.DataFrame, int, float | None]:
    """(open complaints per age bucket, open complaints, age of the oldest in days)."""
    frame = satisfaction.complaint_backlog(
        data.cursor(), as_of, customers=_ids(chosen, as_of, version)
    )
    oldest = float(frame["age_days"].max()) if len(frame) else None
    return satisfaction.backlog_ages(frame), len(frame), oldest


@st.cache_data(max_entries=16, show_spinner=False)
def value_report(
    as_of: dt.date, rules: LifecycleRules, version: int, chosen: Filters = NO_FILTERS
) -> satisfaction.ValueReport:
    return satisfaction.value_report(
        data.cursor(), as_of, rules, limit=LIST_ROWS, customers=_ids(chosen, as_of, version)
    )


def unhappy(
    as_of: dt.date,
    rules: LifecycleRules,
    top_only: bool,
    version: int,
    chosen: Filters = NO_FILTERS,
) -> satisfaction.UnhappyCustomers:
    """The value-at-risk list's first rows and count (every tier: from the value report)."""
    if not top_only:
        return value_report(as_of, rules, version, chosen).unhappy
    return _top_tier_unhappy(as_of, rules, version, chosen)


@st.cache_data(max_entries=16, show_spinner=False)
def _top_tier_unhappy(
    as_of: dt.date, rules: LifecycleRules, version: int, chosen: Filters = NO_FILTERS
) -> satisfaction.UnhappyCustomers:
    return satisfaction.unhappy_customers(
        data.cursor(),
        as_of,
        rules,
        satisfaction.TOP_STARS,
        limit=LIST_ROWS,
        customers=_ids(chosen, as_of, version),
    )


def list_export(
    as_of: dt.date,
    rules: LifecycleRules,
    top_only: bool,
    basis: str,
    currency: str | None,
    customers=None,
) -> Callable[[], pd.DataFrame]:
    """The whole value-at-risk list (of the chosen `customers`; None: all) for
    `ui.export.download_buttons` (made on Streamlit's download thread: its cursor is taken
    now); `basis` and `currency` are those of `list_columns`, which says what is
    exported."""
    con = data.cursor()
    top = satisfaction.TOP_STARS if top_only else None
    return lambda: satisfaction.value_at_risk(con, as_of, rules, top, customers=customers)


def export_columns(
    basis: str, has_stars: bool, currency: str | None, missing: dict[str, str | None]
) -> list:
    """The value-at-risk list's exported columns: those its table shows (`list_columns`)."""
    return columns_from_config(list_columns(basis, has_stars, currency, missing), currency)


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


def age_labels(edges: tuple[int, ...] = satisfaction.BACKLOG_AGES) -> list[str]:
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


def no_answers_text(ctx: Context, by: str, min_answers: int, metric: str, chosen: Filters) -> str:
    """Why the trend has no answer for `metric`: the filters choose customers who have not
    answered while others have (widen the filters), or nobody has (import feedback)."""
    if _ids(chosen, ctx.as_of, ctx.version) is not None:
        everyone = trend(ctx.as_of, by, min_answers, ctx.version)
        if has_answers(everyone, metric):
            return t("satisfaction.no_answers_chosen")
    return t("satisfaction.no_answers")


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
        "nps": st.column_config.NumberColumn(
            t("satisfaction.metric_nps"), format="%.1f", help=t("glossary.nps")
        ),
        "nps_answers": st.column_config.NumberColumn(t("satisfaction.nps_answers"), format="%,d"),
        "csat": st.column_config.NumberColumn(
            t("satisfaction.metric_csat"), format="%.2f", help=t("glossary.csat")
        ),
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


# --- the page's sections -------------------------------------------------------------


def headline(ctx: Context, missing: dict[str, str | None], sla_hours: float):
    """The caption, what the data lack, the four tiles against the previous 12 months and
    the loyalty index's parts; returns the current 12 months' figures."""
    lang = ctx.lang
    span = ctx.state.span
    first_feedback = span.first("feedback") if span else None
    first_order = span.first("transactions") if span else None
    feedback_covered = covers_previous([first_feedback], ctx.as_of)
    loyalty_covered = covers_previous([first_feedback, first_order], ctx.as_of)
    st.caption(
        t(
            "satisfaction.caption" if feedback_covered else "satisfaction.caption_alone",
            as_of=ctx.as_of,
        )
    )
    absent = [code for code in dict.fromkeys(missing.get(k) for k in PAGE_INPUTS) if code]
    if absent:
        st.info(
            "\n\n".join([t("satisfaction.missing_intro"), *(missing_text(c) for c in absent)]),
            icon=":material/info:",
        )
    figures = kpis(ctx.as_of, sla_hours, ctx.version, filters.current())
    now, before = figures.current, figures.previous

    referrals_known = ctx.state.referred_customers > 0
    weights = loyalty_weights(referrals_known)
    loyalty_now, loyalty_before = now.loyalty_index(weights), before.loyalty_index(weights)
    tiles = {  # catalog key -> (value, delta, answers behind it, covered, missing input)
        "nps": (
            score(now.nps, 0),
            change(now.nps, before.nps),
            now.nps_answers,
            feedback_covered,
            missing.get("nps"),
        ),
        "csat": (
            score(now.csat, 2),
            change(now.csat, before.csat, 2),
            now.csat_answers,
            feedback_covered,
            missing.get("csat"),
        ),
        "satisfied": (
            fmt.percent(now.satisfied_share),
            change(now.satisfied_share, before.satisfied_share, points=True),
            now.csat_answers,
            feedback_covered,
            missing.get("csat"),
        ),
        "loyalty": (
            score(loyalty_now, 1),
            change(loyalty_now, loyalty_before),
            now.buyers,
            loyalty_covered,
            missing.get("csat"),
        ),
    }
    metric_row(
        Tile(
            t(f"satisfaction.{key}"),
            fmt.UNKNOWN,
            t(f"satisfaction.{key}_help"),
            caption=t("satisfaction.not_in_data"),
        )
        if lacking  # the input is not in the data: no figure and no delta, say so
        else change_tile(
            t(f"satisfaction.{key}"),
            value,
            delta,
            covered=covered,
            help=t(f"satisfaction.{key}_help"),
            caption=t(f"satisfaction.{key}_basis", n=fmt.count(answers, lang)),
        )
        for key, (value, delta, answers, covered, lacking) in tiles.items()
    )
    if not feedback_covered and first_feedback is not None:
        st.caption(
            t(
                "metric.no_previous_help",
                first=first_feedback,
                start=previous_start(ctx.as_of),
            )
        )
    with st.expander(t("satisfaction.loyalty_parts")):
        st.caption(
            t(
                "satisfaction.loyalty_formula"
                if referrals_known
                else "satisfaction.loyalty_formula_two"
            )
        )
        parts = [
            ("repeat_rate", now.repeat_rate, before.repeat_rate, loyalty_covered),
            (
                "referral_rate",
                now.referral_rate if referrals_known else None,  # no referral data: unknown
                before.referral_rate,
                loyalty_covered,
            ),
            ("satisfied", now.satisfied_share, before.satisfied_share, feedback_covered),
        ]
        metric_row(
            change_tile(
                t(f"satisfaction.{key}"),
                fmt.percent(value),
                change(value, previous, points=True),
                covered=covered,
            )
            for key, value, previous, covered in parts
        )
    return now


def trends(ctx: Context, missing: dict[str, str | None], has_stars: bool) -> None:
    """The monthly trend of the chosen measure by the chosen split, its table, and the
    customers behind a point clicked."""
    chosen = filters.current()
    st.subheader(t("satisfaction.trend_header"))
    metric_col, split_col, min_col = st.columns([2, 3, 1])
    metric = choice(
        t("satisfaction.metric"),
        ["nps", "csat", "satisfied_share"],
        opening_measure(missing),
        format_func=lambda m: t(f"satisfaction.metric_{m}"),
        key="satisfaction_metric",
        container=metric_col,
    )
    by = choice(
        t("satisfaction.split"),
        satisfaction.GROUPINGS,
        "all",
        format_func=lambda b: t(f"satisfaction.split_{b}"),
        key="satisfaction_split",
        container=split_col,
    )
    min_answers = int(
        min_col.number_input(
            t("satisfaction.min_answers"),
            min_value=1,
            max_value=1000,
            value=opening_min_answers(ctx.as_of, ctx.version, chosen),
            step=5,
            help=t("satisfaction.min_answers_help"),
            key="satisfaction_min_answers",
        )
    )
    if by == "stars" and not has_stars:
        st.info(t("satisfaction.stars_pending"), icon=":material/star:")
    else:
        monthly = trend(ctx.as_of, by, min_answers, ctx.version, chosen)
        keys = group_keys(monthly)
        thin = thin_points(monthly, metric)
        if lacking := missing.get(MEASURE_INPUT[metric]):
            st.info(missing_text(lacking))
        elif not has_answers(monthly, metric):
            st.info(no_answers_text(ctx, by, min_answers, metric, chosen))
        elif thin == len(monthly):
            st.info(t("satisfaction.too_few_answers", n=min_answers))
        else:
            report.chart(
                charts.satisfaction_trend(
                    monthly,
                    metric,
                    group_labels(by, keys),
                    t(f"satisfaction.trend_title_{metric}", split=t(f"satisfaction.split_{by}")),
                    {
                        "month": t("satisfaction.month"),
                        "metric": t(f"satisfaction.metric_{metric}"),
                        "answers": t("satisfaction.answers"),
                    },
                    split=by,
                ),
                **clickable("answers", by),
            )
            drill.hint(t("satisfaction.click_trend"))
            if thin:
                st.caption(
                    t("satisfaction.thin_points", thin=thin, total=len(monthly), n=min_answers)
                )
        if by == "category" and keys == ["unspecified"]:
            st.caption(t("satisfaction.no_categories"))
        with st.expander(t("satisfaction.group_table")):
            groups = group_table(by_group(ctx.as_of, by, min_answers, ctx.version, chosen), by)
            show_table(groups, column_config=group_columns())
            download_buttons(
                lambda: groups,
                len(groups),
                columns_from_config(group_columns(), ctx.currency),
                f"satisfaction-by-{by}-{ctx.as_of}",
                about=list_about(
                    ctx,
                    "satisfaction",
                    t("satisfaction.group_table"),
                    choices={
                        t("satisfaction.split"): t(f"satisfaction.split_{by}"),
                        t("satisfaction.min_answers"): str(min_answers),
                    },
                    filters=filters.choices(chosen),
                ),
            )
    picked_list(ctx, ("answers",), has_stars, split=by)


def complaints_section(ctx: Context, missing: dict[str, str | None], now, sla_hours: float) -> None:
    """The service level, complaints by month and category, and the open backlog."""
    lang = ctx.lang
    chosen = filters.current()
    st.subheader(t("satisfaction.complaints_header"))
    if lacking := missing.get("complaints"):
        st.info(missing_text(lacking))
    else:
        sla_col, _ = st.columns([1, 4])
        sla_col.number_input(
            t("satisfaction.sla"),
            min_value=1,
            max_value=24 * 90,
            value=int(satisfaction.SLA_HOURS),
            step=4,
            help=t("satisfaction.sla_help"),
            key="satisfaction_sla",
        )
        ages, open_count, oldest = backlog(ctx.as_of, ctx.version, chosen)
        tiles = {
            "complaints": fmt.count(now.complaints, lang),
            "median_resolution": hours(now.median_resolution_hours, lang),
            "within_sla": fmt.percent(now.sla_share),
            "backlog": fmt.count(open_count, lang),
        }
        metric_row(
            Tile(
                t(f"satisfaction.{key}", hours=f"{sla_hours:g}"),
                value,
                t(f"satisfaction.{key}_help", hours=f"{sla_hours:g}"),
            )
            for key, value in tiles.items()
        )
        by_month = complaints(ctx.as_of, sla_hours, ctx.version, chosen)
        left, right = st.columns([2, 1])
        if complaint_total(by_month) == 0:
            left.info(t("satisfaction.no_complaints"))
        else:
            report.chart(
                container=left,
                figure=charts.complaints_by_category(
                    by_month,
                    category_labels(by_month),
                    t("satisfaction.complaints_title", hours=f"{sla_hours:g}"),
                    {
                        "month": t("satisfaction.month"),
                        "complaints": t("satisfaction.complaints"),
                        "sla_share": t("satisfaction.within_sla", hours=f"{sla_hours:g}"),
                    },
                ),
                **clickable("complaints"),
            )
            drill.hint(t("satisfaction.click_complaints"), left)
        report.chart(
            container=right,
            figure=charts.backlog_ages(
                age_labels(),
                ages["complaints"].tolist(),
                t("satisfaction.backlog_title"),
                t("satisfaction.backlog"),
                t("satisfaction.axis_age"),
                edges=satisfaction.BACKLOG_AGES,
            ),
            **clickable("backlog"),
        )
        right.caption(
            t("satisfaction.oldest", days=f"{oldest:,.1f}", as_of=ctx.as_of)
            if oldest is not None
            else t("satisfaction.backlog_none", as_of=ctx.as_of)
        )
        if open_count:
            drill.hint(t("satisfaction.click_backlog"), right)
        picked_list(ctx, ("complaints", "backlog"), True)


def value_section(
    ctx: Context,
    rules: LifecycleRules,
    missing: dict[str, str | None],
    has_stars: bool,
    basis: str,
) -> None:
    """Churn by satisfaction band and the value unhappy customers hold."""
    lang = ctx.lang
    st.subheader(t("satisfaction.value_header"))
    at_risk = value_report(ctx.as_of, rules, ctx.version, filters.current())
    summary = at_risk.summary
    left, right = st.columns([3, 2])
    band_measure = bands_measure(missing)  # NPS bands; CSAT bands when there is no NPS
    if band_measure is None:
        left.info(missing_text(missing.get("nps")))
    else:
        bands = churn_bands(at_risk, band_measure)
        words = "" if band_measure == "nps" else "_csat"
        report.chart(
            container=left,
            figure=charts.churn_by_band(
                bands,
                [band_label(b) for b in bands["band"]],
                t(f"satisfaction.bands_title{words}", as_of=ctx.as_of),
                {
                    "churn_rate": t("satisfaction.churn_rate"),
                    "at_risk_rate": t("satisfaction.at_risk_rate"),
                    "buyers": t("satisfaction.buyers"),
                    "rate": t("satisfaction.share_of_buyers"),
                    "band": t("satisfaction.axis_band"),
                },
            ),
            **clickable("band"),
        )
        left.caption(t(f"satisfaction.bands_caption{words}"))
        drill.hint(t("satisfaction.click_bands"), left)
    tiles = []
    for key, amount, share, customers, lacking in (
        (
            "detractor_value",
            summary.detractor_value,
            summary.detractor_value_share,
            summary.detractors,
            missing.get("nps"),
        ),
        (
            "open_complaint_value",
            summary.open_complaint_value,
            summary.open_complaint_value_share,
            summary.open_complaint_customers,
            missing.get("complaints"),
        ),
    ):
        if lacking:  # unknown, not zero
            value, caption = fmt.UNKNOWN, t("satisfaction.not_in_data")
        else:
            value = fmt.money(amount, lang, ctx.currency)  # '–' when the value is unknown
            caption = (
                t("satisfaction.unhappy_top_count", customers=fmt.count(customers, lang))
                if amount is None  # no value known: no share of it
                else t(
                    "satisfaction.value_share",
                    share=fmt.percent(share),
                    customers=fmt.count(customers, lang),
                )
            )
        tiles.append(
            Tile(t(f"satisfaction.{key}"), value, t(f"satisfaction.{key}_help"), caption=caption)
        )
    if has_stars and all(missing.get(k) for k in ("nps", "csat", "complaints")):
        tiles.append(  # nothing to judge by
            Tile(t("satisfaction.unhappy_top"), fmt.UNKNOWN, caption=t("satisfaction.not_in_data"))
        )
    elif has_stars:
        tiles.append(
            Tile(
                t("satisfaction.unhappy_top"),
                fmt.money(summary.unhappy_top_tier_value, lang, ctx.currency),
                t("satisfaction.unhappy_top_help"),
                caption=t(
                    "satisfaction.unhappy_top_count",
                    customers=fmt.count(summary.unhappy_top_tier, lang),
                ),
            )
        )
    metric_row(tiles, columns=1, container=right)
    if not has_stars:
        right.info(t("satisfaction.stars_pending"), icon=":material/star:")
    # no buyer has a value: the value model could not run on these data (unknown, not 0)
    value_unknown = summary.value is None and basis == "predicted"
    st.caption(t("satisfaction.value_unknown" if value_unknown else f"satisfaction.basis_{basis}"))
    picked_list(ctx, ("band",), has_stars, rules=rules, basis=basis, missing=missing)


def call_list(
    ctx: Context,
    rules: LifecycleRules,
    missing: dict[str, str | None],
    has_stars: bool,
    basis: str,
) -> None:
    """The valuable unhappy customers to call, with their download."""
    lang = ctx.lang
    st.subheader(t("satisfaction.list_header"))
    st.caption(t("satisfaction.list_caption"))
    top_only = st.toggle(
        t("satisfaction.top_only"),
        value=False,
        disabled=not has_stars,
        help=t("satisfaction.top_only_help") if has_stars else t("satisfaction.stars_pending"),
        key="satisfaction_top_only",
    )
    chosen = filters.current()
    result = unhappy(ctx.as_of, rules, top_only and has_stars, ctx.version, chosen)
    st.caption(
        t(
            "satisfaction.list_count",
            total=fmt.count(result.total, lang),
            shown=fmt.count(len(result.customers), lang),
        )
    )
    if result.total:
        customer_table(
            list_table(result.customers),
            "customer_id",
            "satisfaction",
            "satisfaction_unhappy_rows",
            height=320,
            column_config=list_columns(basis, has_stars, ctx.currency, missing),
        )
        download_buttons(
            list_export(
                ctx.as_of,
                rules,
                top_only and has_stars,
                basis,
                ctx.currency,
                _ids(chosen, ctx.as_of, ctx.version),
            ),
            result.total,
            export_columns(basis, has_stars, ctx.currency, missing),
            f"value-at-risk-{ctx.as_of}",
            about=list_about(
                ctx,
                "satisfaction",
                t("satisfaction.list_header"),
                choices={
                    t("satisfaction.top_only"): t("export.yes" if top_only else "export.no"),
                    **lifecycle_rules_choices(rules),  # the stages the list is made from
                },
                filters=filters.choices(chosen),
            ),
        )


# --- the customers behind a point clicked -------------------------------------------------

PICK_KEY = "satisfaction_pick"  # the Pick whose customers are listed, while the list is open
DRAWN_KEY = "_satisfaction_charts_drawn"  # closing a list redraws the charts under new keys
PICK_ROWS_KEY = "satisfaction_pick_rows"


def chart_key(chart: str) -> str:
    """The key of `chart`'s plotly chart (a new one after a list is closed, so no point is
    left selected and the same point can be clicked again)."""
    return drill.chart_key(f"satisfaction_{chart}_chart", DRAWN_KEY)


def clickable(chart: str, by: str = "all") -> dict:
    """The `st.plotly_chart` arguments that make a click on a point of `chart` ('answers',
    'complaints', 'backlog', 'band'; `by`: the trend's split) open its customers."""
    return drill.clickable(
        chart_key(chart),
        PICK_KEY,
        lambda event: pick_from_selection(chart, event.get("selection"), by),
    )


def close_pick() -> None:
    """The list's Close button: no pick, and the charts redrawn with nothing selected."""
    drill.close(PICK_KEY, DRAWN_KEY)


def _day(value) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def pick_from_selection(chart: str, selection, by: str = "all") -> Pick | None:
    """The `Pick` the first clicked point of a plotly selection (the event's `selection`:
    `points`, each with the customdata the chart builder gave it) stands for; None when no
    point is selected. Customdata, not the labels (they are translated), names the group;
    its text comes back unescaped (`drill.points`)."""
    for custom in drill.points({"selection": selection}):
        values = list(custom) if isinstance(custom, list | tuple) else [custom]
        if chart == "answers":
            return Pick("answers", str(values[1]), by, _day(values[2]))
        if chart == "complaints":
            category = values[0] if isinstance(values[0], str) else None  # the line: all
            return Pick("complaints", category, month=_day(values[1]))
        if chart == "backlog":
            return Pick("backlog", age_from=int(values[0]))
        if chart == "band":
            return Pick("band", str(values[1]), str(values[2]))
        raise ValueError(f"no chart {chart!r} to pick from")
    return None


@st.cache_data(max_entries=4, show_spinner=False)
def picked(
    as_of: dt.date, pick: Pick, rules: LifecycleRules, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """The customers behind `pick` (`core.satisfaction.picked_customers`), of the chosen."""
    return satisfaction.picked_customers(
        data.cursor(), as_of, pick, rules, customers=_ids(chosen, as_of, version)
    )


def pick_text(pick: Pick, customers: int, lang: str) -> str:
    """What was clicked and how many customers are behind it, in words."""
    count = fmt.count(customers, lang)
    if pick.chart == "answers":
        group = group_label(pick.by, pick.key)
        return t("satisfaction.pick_answers", month=f"{pick.month:%Y-%m}", group=group, n=count)
    if pick.chart == "complaints":
        category = (
            t("satisfaction.all_categories")
            if pick.key is None
            else label("feedback_category", pick.key)
        )
        return t(
            "satisfaction.pick_complaints", month=f"{pick.month:%Y-%m}", category=category, n=count
        )
    if pick.chart == "backlog":
        age = age_labels()[satisfaction.BACKLOG_AGES.index(pick.age_from)]
        return t("satisfaction.pick_backlog", age=age, n=count)
    return t(f"satisfaction.pick_band_{pick.by}", band=band_label(pick.key), n=count)


def picked_columns(has_stars: bool) -> dict:
    """The columns of the customers behind an answers, complaints or backlog pick."""
    return {
        "customer_id": st.column_config.TextColumn(t("satisfaction.col_customer_id")),
        "city": st.column_config.TextColumn(t("satisfaction.col_city")),
        "acquisition_channel": st.column_config.TextColumn(
            t("satisfaction.col_acquisition_channel")
        ),
        "stars": st.column_config.TextColumn(t("satisfaction.col_stars")) if has_stars else None,
        "picked": st.column_config.NumberColumn(t("satisfaction.col_picked"), format="%d"),
        "last_submitted_at": st.column_config.DatetimeColumn(
            t("satisfaction.col_last_submitted_at"), format="YYYY-MM-DD HH:mm"
        ),
    }


def picked_list(
    ctx: Context,
    charts_here: tuple[str, ...],
    has_stars: bool,
    *,
    rules: LifecycleRules | None = None,
    basis: str = "margin",
    missing: dict[str, str | None] | None = None,
    split: str | None = None,
) -> None:
    """The customers behind the point clicked, under the chart it was clicked on (one of
    `charts_here`): what was clicked and how many, a Close button, the list (rows open
    Customer 360) and its download naming the chart, the point, the as-of date and the
    filters. A trend's pick made under another `split` than the trend's now is dropped
    (its group is not on the chart)."""
    pick = st.session_state.get(PICK_KEY)
    if not isinstance(pick, Pick) or pick.chart not in charts_here:
        return
    if split is not None and pick.by != split:
        drill.forget(PICK_KEY)
        return
    chosen = filters.current()
    frame = picked(ctx.as_of, pick, rules or lifecycle_rules(), ctx.version, chosen)
    heading = pick_text(pick, len(frame), ctx.lang)
    if pick.chart == "band":
        config = list_columns(basis, has_stars, ctx.currency, missing or {})
    else:
        config = picked_columns(has_stars)
    about = list_about(
        ctx,
        "satisfaction",
        heading,
        choices={
            t("satisfaction.pick_chart"): t(f"satisfaction.pick_chart_{pick.chart}"),
            t("satisfaction.pick_point"): heading,
        },
        filters=filters.choices(chosen),
    )
    drill.customer_list(
        "satisfaction_pick",
        fmt.plain(heading),
        list_table(frame.head(LIST_ROWS)),
        len(frame),
        page="satisfaction",
        close_label=t("satisfaction.pick_close"),
        on_close=close_pick,
        table=dict(height=320, column_config=config),
        download=dict(
            make=lambda: frame,
            columns=columns_from_config(config, ctx.currency),
            name=f"satisfaction-{pick.chart}-{ctx.as_of}",
            about=about,
        ),
        chosen=chosen,
        more=t(
            "satisfaction.pick_first",
            shown=fmt.count(LIST_ROWS, ctx.lang),
            total=fmt.count(len(frame), ctx.lang),
        ),
        empty=t("satisfaction.pick_none"),
    )
