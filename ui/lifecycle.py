"""Cached access to the lifecycle figures for pages/lifecycle.py, and its labels.

Cached functions take small knobs (a date, the frozen rules, a frozen drill-down, the data
version, the shared filters) and read the data inside; exports are built only when the user
clicks. With the shared filters on, every figure counts only the chosen customers (computed
live: the build stored the whole base's).

A click on the funnel, the funnel rates, a cohort cell or a channel's bars drives the
drill-down: the chart's point names its group in its customdata (`clicked_drill`), the
drill-down's choices take it, and the list opens under the chart clicked until closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import fields
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from core import lifecycle
from core.filters import NO_FILTERS, Filters
from core.lifecycle import Drill, LifecycleRules
from ui import data, filters, report, widgets
from ui import format as fmt
from ui.drill import chart_key, points
from ui.drill import close as close_list
from ui.export import About, Column, columns_from_config, download_buttons, list_about
from ui.i18n import t
from ui.labels import label, labelled
from ui.session import keep_lifecycle_rules, lifecycle_rules, lifecycle_rules_choices

HISTORY_MONTHS = 36
COHORTS = 24
DRILL_ROWS = 500


def _chosen(chosen: Filters, as_of: dt.date, version: int) -> np.ndarray | None:
    """The ids of the customers the filters choose (None: no filter)."""
    return filters.ids(chosen, as_of, version)


@st.cache_data(max_entries=16, show_spinner=False)
def snapshot(
    as_of: dt.date, rules: LifecycleRules, version: int, chosen: Filters = NO_FILTERS
) -> lifecycle.LifecycleSnapshot:
    return lifecycle.lifecycle_snapshot(
        data.cursor(), as_of, rules, limit=DRILL_ROWS, customers=_chosen(chosen, as_of, version)
    )


@st.cache_data(max_entries=16, show_spinner=False)
def history(
    as_of: dt.date, rules: LifecycleRules, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    return lifecycle.stage_history(
        data.cursor(),
        as_of,
        rules,
        months=HISTORY_MONTHS,
        customers=_chosen(chosen, as_of, version),
    )


@st.cache_data(max_entries=16, show_spinner=False)
def cohorts(as_of: dt.date, version: int, chosen: Filters = NO_FILTERS) -> pd.DataFrame:
    return lifecycle.cohort_retention(
        data.cursor(), as_of, cohorts=COHORTS, customers=_chosen(chosen, as_of, version)
    )


@st.cache_data(max_entries=16, show_spinner=False)
def economics(as_of: dt.date, version: int, chosen: Filters = NO_FILTERS) -> pd.DataFrame:
    return lifecycle.channel_economics(
        data.cursor(), as_of, months=HISTORY_MONTHS, customers=_chosen(chosen, as_of, version)
    )


def drill_down(
    as_of: dt.date,
    rules: LifecycleRules,
    drill: Drill,
    version: int,
    chosen: Filters = NO_FILTERS,
) -> lifecycle.DrillResult:
    """The drill-down's first rows and count (any customer: from the snapshot)."""
    if drill == Drill():
        return snapshot(as_of, rules, version, chosen).customers
    return _drill_down(as_of, rules, drill, version, chosen)


@st.cache_data(max_entries=32, show_spinner=False)
def _drill_down(
    as_of: dt.date, rules: LifecycleRules, drill: Drill, version: int, chosen: Filters
) -> lifecycle.DrillResult:
    return lifecycle.drill_down(
        data.cursor(),
        as_of,
        rules,
        drill,
        limit=DRILL_ROWS,
        customers=_chosen(chosen, as_of, version),
    )


def drill_export(
    as_of: dt.date, rules: LifecycleRules, drill: Drill, customers: np.ndarray | None = None
) -> Callable[[], pd.DataFrame]:
    """The drill-down's whole list (of the chosen `customers`) for
    `ui.export.download_buttons`. It is made on Streamlit's download thread, so it gets its
    cursor now."""
    con = data.cursor()
    return lambda: lifecycle.lifecycle_customers(con, as_of, rules, drill, customers=customers)


def drill_columns(currency: str | None) -> list[Column]:
    """The drill-down's exported columns: those of its table (`customer_columns`)."""
    return columns_from_config(customer_columns(currency), currency)


def drill_about(
    ctx, drill: Drill, chosen: Filters = NO_FILTERS, clicked: Mapping[str, str] | None = None
) -> About:
    """The drill-down's About sheet: what was picked (and, after a click, the chart and
    what was clicked on it: `clicked`), the stage rules in force (the session's, as the
    page applied them), which decide who is in a stage, and the shared filters."""
    any_one = t("lifecycle.any")
    month = drill.months_since_signup
    return list_about(
        ctx,
        "lifecycle",
        t("lifecycle.drill_header"),
        filters=filters.choices(chosen),
        choices={
            **(clicked or {}),
            **lifecycle_rules_choices(lifecycle_rules()),
            t("lifecycle.drill_group"): group_label(drill.group),
            t("lifecycle.split_channel"): any_one
            if drill.channel is None
            else label("channel", drill.channel),
            t("lifecycle.cohort"): any_one if drill.cohort is None else f"{drill.cohort:%Y-%m}",
            t("lifecycle.drill_bought_in"): any_one
            if month is None
            else t("lifecycle.month_n", n=month),
        },
    )


# --- labels ----------------------------------------------------------------------------


def stage_label(stage: str) -> str:
    return label("stage", stage)


def column_names() -> dict[str, str]:
    """The customer-list columns in the current language."""
    columns = [
        "customer_id",
        "city",
        "acquisition_channel",
        "signed_up_on",
        "first_purchase_on",
        "last_purchase_on",
        "count_purchase_days",
        "revenue",
        "margin",
        "days_since_purchase",
        "stage",
    ]
    return {c: t(f"lifecycle.col_{c}") for c in columns}


def rule_limits() -> dict[str, tuple[float, float]]:
    """Each rule's allowed range, for the inputs."""
    return {f.name: (f.metadata["low"], f.metadata["high"]) for f in fields(LifecycleRules)}


DEFAULT_RULES = lifecycle.DEFAULT_RULES
STAGES = lifecycle.STAGES
FUNNEL_STEPS = lifecycle.FUNNEL_STEPS


# --- the rules, kept while moving between pages (ui.session) ----------------------------


def rules_input() -> LifecycleRules:
    """The stage rules as inputs in an expander (defaults and help shown); returns the rules
    in force, keeping the last valid ones and saying why when the inputs clash."""
    rules = lifecycle_rules()
    limits = rule_limits()
    values = {}
    with st.expander(t("lifecycle.rules_title"), icon=":material/tune:"):
        st.caption(t("lifecycle.rules_caption"))
        columns = st.columns(len(limits))
        for column, (name, (low, high)) in zip(columns, limits.items(), strict=True):
            default = getattr(DEFAULT_RULES, name)
            is_float = isinstance(default, float)
            values[name] = column.number_input(
                t(f"lifecycle.rule_{name}"),
                min_value=float(low) if is_float else int(low),
                max_value=float(high) if is_float else int(high),
                value=getattr(rules, name),
                step=0.5 if is_float else 1,
                help=t(f"lifecycle.rule_{name}_help", default=default),
                key=f"lifecycle_rule_{name}",
            )
        try:
            chosen = LifecycleRules(**values)
        except ValueError:
            st.warning(t("lifecycle.rules_invalid"))
            return rules
        if chosen != DEFAULT_RULES and st.button(t("lifecycle.rules_reset")):
            for name in limits:
                st.session_state.pop(f"lifecycle_rule_{name}", None)
            keep_lifecycle_rules(DEFAULT_RULES)
            st.rerun()
    keep_lifecycle_rules(chosen)
    return chosen


# --- tables for the page ----------------------------------------------------------------


def group_label(group: str | None) -> str:
    """A drill-down choice: any customer, a stage or a funnel step."""
    if group is None:
        return t("lifecycle.any")
    if group in STAGES:
        return stage_label(group)
    return t(f"lifecycle.step_{group}")


def cohort_months(funnel_by_cohort: pd.DataFrame) -> list[dt.date]:
    """The sign-up months of the cohort funnel, newest first, as first days of months."""
    months = pd.to_datetime(funnel_by_cohort["group_key"], format="%Y-%m").dt.date
    return sorted(months, reverse=True)


def flows_table(history: pd.DataFrame) -> pd.DataFrame:
    """The month's flows: live buyers at the start, in, out and at the end."""
    columns = [
        "month",
        "live_at_start",
        "flow_new",
        "flow_reactivated",
        "flow_churned",
        "live_at_end",
    ]
    return history[columns].sort_values("month", ascending=False)


def flows_columns() -> dict:
    config = {"month": st.column_config.DateColumn(t("lifecycle.month"), format="YYYY-MM")}
    for key in ("live_at_start", "flow_new", "flow_reactivated", "flow_churned", "live_at_end"):
        config[key] = st.column_config.NumberColumn(t(f"lifecycle.{key}"), format="%,d")
    return config


def economics_basis(economics: pd.DataFrame) -> str:
    """'margin', or 'revenue' when the data carry no cost and revenue stands in for margin."""
    return str(economics["basis"].iloc[0]) if len(economics) else "margin"


def economics_table(economics: pd.DataFrame) -> pd.DataFrame:
    """The channel economics the page shows: channel label, CAC, value (margin, or revenue
    when margin is unknown) and predicted value per customer, value over CAC, payback
    months. Unknown stays empty (NaN): no CAC, or a CAC of 0, gives no ratio."""
    cac = economics["cac"].where(economics["cac"] > 0)
    frame = economics.assign(
        channel=[label("channel", c) for c in economics["channel"]],
        value_to_cac=economics["value_per_customer"] / cac,
    )
    columns = [
        "channel",
        "cac",
        "value_per_customer",
        "predicted_clv_per_customer",
        "value_to_cac",
        "payback_months",
    ]
    return frame[columns]


def economics_labels(basis: str) -> dict[str, str]:
    """The words that name the value on `basis`: the chart title, the per-customer column,
    the ratio, their helps and the caption (keys of the current language)."""
    if basis == "revenue":
        return {
            "title": t("lifecycle.economics_title_revenue"),
            "per_customer": t("lifecycle.col_revenue_per_customer"),
            "ratio": t("lifecycle.revenue_to_cac"),
            "ratio_help": t("lifecycle.revenue_to_cac_help"),
            "payback_help": t("lifecycle.payback_help_revenue"),
            "caption": "lifecycle.economics_caption_revenue",
        }
    return {
        "title": t("lifecycle.economics_title"),
        "per_customer": t("lifecycle.col_margin_per_customer"),
        "ratio": t("lifecycle.margin_to_cac"),
        "ratio_help": t("lifecycle.margin_to_cac_help"),
        "payback_help": t("lifecycle.payback_help"),
        "caption": "lifecycle.economics_caption",
    }


def economics_columns(has_prediction: bool, currency: str | None, basis: str = "margin") -> dict:
    money = fmt.money_column(currency)
    words = economics_labels(basis)
    return {
        "channel": st.column_config.TextColumn(t("lifecycle.col_channel")),
        "cac": st.column_config.NumberColumn(
            t("lifecycle.col_cac"), format=money, help=t("lifecycle.cac_help")
        ),
        "value_per_customer": st.column_config.NumberColumn(words["per_customer"], format=money),
        "predicted_clv_per_customer": (
            st.column_config.NumberColumn(t("lifecycle.col_predicted_per_customer"), format=money)
            if has_prediction
            else None
        ),
        "value_to_cac": st.column_config.NumberColumn(
            words["ratio"], format="%.1f×", help=words["ratio_help"]
        ),
        "payback_months": st.column_config.NumberColumn(
            t("lifecycle.payback_months"), format="%d", help=words["payback_help"]
        ),
    }


def economics_gaps(economics: pd.DataFrame) -> list[str]:
    """One sentence per reason the table has empty cells, naming the channels: no
    acquisition cost recorded (CAC, ratio and payback unknown), a CAC of 0 (no ratio),
    not paid back within the months observed."""
    cac = economics["cac"]
    cases = (
        ("lifecycle.economics_no_cac", cac.isna()),
        ("lifecycle.economics_free_cac", cac.eq(0)),
        ("lifecycle.economics_not_paid_back", cac.gt(0) & economics["payback_months"].isna()),
    )
    sentences = []
    for key, rows in cases:
        if rows.any():
            names = [label("channel", c) for c in economics.loc[rows, "channel"]]
            sentences.append(t(key, channels=t("lifecycle.channel_join").join(names)))
    return sentences


def customer_table(customers: pd.DataFrame) -> pd.DataFrame:
    """The drill-down's rows with cities, channels and stages as labels."""
    return labelled(customers)


def customer_columns(currency: str | None) -> dict:
    """Column labels and formats of the customer list."""
    names = column_names()
    money = fmt.money_column(currency)
    return {
        "customer_id": st.column_config.TextColumn(names["customer_id"]),
        "city": st.column_config.TextColumn(names["city"]),
        "acquisition_channel": st.column_config.TextColumn(names["acquisition_channel"]),
        "signed_up_on": st.column_config.DateColumn(names["signed_up_on"]),
        "first_purchase_on": st.column_config.DateColumn(names["first_purchase_on"]),
        "last_purchase_on": st.column_config.DateColumn(names["last_purchase_on"]),
        "count_purchase_days": st.column_config.NumberColumn(
            names["count_purchase_days"], format="%,d"
        ),
        "revenue": st.column_config.NumberColumn(names["revenue"], format=money),
        "margin": st.column_config.NumberColumn(names["margin"], format=money),
        "days_since_purchase": st.column_config.NumberColumn(
            names["days_since_purchase"], format="%,d"
        ),
        "stage": st.column_config.TextColumn(names["stage"]),
    }


# --- downloads of the summary tables ------------------------------------------------------


def rules_and_filters(chosen: Filters) -> dict[str, dict[str, str]]:
    """The stage rules in force and the filters, as `list_about` takes them."""
    return {
        "choices": lifecycle_rules_choices(lifecycle_rules()),
        "filters": filters.choices(chosen),
    }


def flows_download(ctx, history: pd.DataFrame, chosen: Filters) -> None:
    """The monthly flows table's download buttons, with its About sheet."""
    download_buttons(
        lambda: flows_table(history),
        len(history),
        columns_from_config(flows_columns(), ctx.currency),
        f"lifecycle-flows-{ctx.as_of}",
        about=list_about(ctx, "lifecycle", t("lifecycle.flows_table"), **rules_and_filters(chosen)),
    )


def economics_download(
    ctx, economics: pd.DataFrame, has_prediction: bool, basis: str, chosen: Filters
) -> None:
    """The channel economics table's download buttons, with its About sheet."""
    config = economics_columns(has_prediction, ctx.currency, basis)
    table = economics_table(economics)  # labelled now: the file is made on another thread
    download_buttons(
        lambda: table,
        len(economics),
        columns_from_config(config, ctx.currency),
        f"lifecycle-economics-{ctx.as_of}",
        about=list_about(
            ctx, "lifecycle", t("lifecycle.economics_header"), filters=filters.choices(chosen)
        ),
    )


# --- clicks on the charts open the drill-down ---------------------------------------------

CLICKED = "lifecycle_clicked"  # the chart whose click the drill-down shows (session)
CLICK_ROUND = "lifecycle_click_round"  # raised on closing, to clear the charts' selections
DRILL_KEYS = {  # the drill-down's choices: Drill's field -> its selectbox's key
    "group": "lifecycle_drill_group",
    "channel": "lifecycle_drill_channel",
    "cohort": "lifecycle_drill_cohort",
    "months_since_signup": "lifecycle_drill_month",
}
# the clickable charts -> the catalog key of their name
CHARTS = {
    "funnel": "lifecycle.chart_funnel",
    "rates_channel": "lifecycle.funnel_rates_title_channel",
    "rates_cohort": "lifecycle.funnel_rates_title_cohort",
    "cohorts": "lifecycle.cohort_header",
    "economics": "lifecycle.economics_header",
}
RATE_STEPS = {"conversion_rate": "converted", "repeat_rate": "repeat", "retention_rate": "retained"}
# a drill-down choice's 'any': a value of its own (a selectbox at None shows no choice, and a
# key removed in a callback comes back with the browser's last value)
ANY = "any"


def clicked_drill(chart: str, selection: Mapping | None) -> Drill | None:
    """The drill-down a click on `chart` (CHARTS) picks, from the customdata of the first
    point selected (`ui.charts`), or None when no point is:

    - funnel: the step's customers ('acquired': every customer);
    - rates_channel, rates_cohort: the customers of the channel or sign-up month who
      reached the step the rate leads to (conversion -> converted, ...);
    - cohorts: the cohort's customers who bought in that month since sign-up (the cell's
      buyers, the figure its colour is made of);
    - economics: the channel's customers.
    """
    if chart not in CHARTS:
        raise ValueError(f"unknown chart {chart!r}: choose one of {', '.join(CHARTS)}")
    custom = next(points({"selection": selection}), None)
    if custom is None:
        return None
    if chart == "funnel":
        return Drill(group=None if custom == "acquired" else str(custom))
    if chart == "rates_channel":
        return Drill(group=RATE_STEPS[custom[2]], channel=str(custom[1]))
    if chart == "rates_cohort":
        cohort = dt.datetime.strptime(str(custom[1]), "%Y-%m").date()
        return Drill(group=RATE_STEPS[custom[2]], cohort=cohort)
    if chart == "cohorts":
        return Drill(cohort=dt.date.fromisoformat(custom[2]), months_since_signup=int(custom[3]))
    return Drill(channel=str(custom[1]))


def clicked_chart() -> str | None:
    """The chart whose click the drill-down shows now (None: none, or closed)."""
    return st.session_state.get(CLICKED)


def clickable(chart: str) -> dict:
    """The arguments of `report.chart` (as of `st.plotly_chart`) that make `chart` open
    the drill-down on a click."""
    key = chart_key(f"lifecycle_{chart}_click", CLICK_ROUND)
    return dict(key=key, on_select=partial(_on_click, chart, key), selection_mode="points")


def _on_click(chart: str, key: str) -> None:
    """A click on `chart`: its group becomes the drill-down's choices, shown under the
    chart; a cleared selection closes the drill-down it opened."""
    event = st.session_state.get(key) or {}
    found = clicked_drill(chart, event.get("selection"))
    if found is None:
        if clicked_chart() == chart:
            close_drill()
        return
    st.session_state[CLICKED] = chart
    for name, key_ in DRILL_KEYS.items():
        picked = getattr(found, name)
        st.session_state[key_] = ANY if picked is None else picked


def close_drill() -> None:
    """Close the list a click opened: the choices back to any, the charts' selections
    cleared (their keys change)."""
    for key in DRILL_KEYS.values():
        st.session_state[key] = ANY
    close_list(CLICKED, CLICK_ROUND)


def drill_words(drill: Drill) -> str:
    """What a drill-down picks, in words: 'Converted (1+ purchase) · WeChat'."""
    parts = []
    if drill.group is not None:
        parts.append(group_label(drill.group))
    if drill.channel is not None:
        parts.append(label("channel", drill.channel))
    if drill.cohort is not None:
        parts.append(t("lifecycle.drill_cohort_words", month=f"{drill.cohort:%Y-%m}"))
    if drill.months_since_signup is not None:
        parts.append(t("lifecycle.drill_bought_words", n=drill.months_since_signup))
    words = " · ".join(parts) or t("lifecycle.drill_everyone")
    return words[:1].upper() + words[1:]


def _with(options: list, key: str) -> list:
    """ANY, then `options`, then the session's value of selectbox `key` (a click's) when
    missing from them."""
    value = st.session_state.get(key)
    options = [ANY, *options]
    return options if value is None or value in options else [*options, value]


def _any_or(words: Callable, options: list) -> Callable:
    """A selectbox's format_func over `options`: 'Any' for ANY, else `words(value)`, worded
    now (a test's or another thread's later call gets the words of this run's language)."""
    shown = {value: t("lifecycle.any") if value == ANY else words(value) for value in options}
    return shown.__getitem__


def _picked(value):
    """A drill-down choice as Drill takes it: None for ANY."""
    return None if value == ANY else value


def drill_section(
    ctx, rules: LifecycleRules, snap: lifecycle.LifecycleSnapshot, chosen: Filters
) -> None:
    """The drill-down: its choices, the customers they pick (rows open Customer 360) and
    the export. Opened by a click (`clicked_chart`), it sits in a box under the chart, says
    what was clicked and how many customers it holds, and has a Close button; otherwise
    it is the page's last section, headed."""
    chart = clicked_chart()
    box = st.container(border=chart is not None)
    if chart is None:
        box.subheader(t("lifecycle.drill_header"))
        box.caption(t("lifecycle.drill_caption"))
    head = box.container(horizontal=True, vertical_alignment="center")
    group_col, channel_col, cohort_col, month_col = box.columns(4)
    choices = {
        "group": _with([*STAGES, *FUNNEL_STEPS[1:]], DRILL_KEYS["group"]),
        "channel": _with(list(snap.funnel_by_channel["group_key"]), DRILL_KEYS["channel"]),
        "cohort": _with(cohort_months(snap.funnel_by_cohort), DRILL_KEYS["cohort"]),
        "months": _with(list(range(COHORTS)), DRILL_KEYS["months_since_signup"]),
    }
    group = group_col.selectbox(
        t("lifecycle.drill_group"),
        options=choices["group"],
        format_func=_any_or(group_label, choices["group"]),
        key=DRILL_KEYS["group"],
    )
    channel = channel_col.selectbox(
        t("lifecycle.split_channel"),
        options=choices["channel"],
        format_func=_any_or(lambda c: label("channel", c), choices["channel"]),
        key=DRILL_KEYS["channel"],
    )
    cohort = cohort_col.selectbox(
        t("lifecycle.cohort"),
        options=choices["cohort"],
        format_func=_any_or(lambda m: f"{m:%Y-%m}", choices["cohort"]),
        key=DRILL_KEYS["cohort"],
    )
    months_since = month_col.selectbox(
        t("lifecycle.drill_bought_in"),
        options=choices["months"],
        format_func=_any_or(lambda k: t("lifecycle.month_n", n=k), choices["months"]),
        key=DRILL_KEYS["months_since_signup"],
        help=t("lifecycle.drill_bought_in_help"),
    )
    drill = Drill(
        group=_picked(group),
        channel=_picked(channel),
        cohort=_picked(cohort),
        months_since_signup=_picked(months_since),
    )
    result = drill_down(ctx.as_of, rules, drill, ctx.version, chosen)
    lang, shown = ctx.lang, len(result.customers)
    clicked = None
    if chart is not None:
        what = drill_words(drill)
        count = fmt.count(result.total, lang)
        heading = t("lifecycle.drill_clicked_count", what=what, count=count)
        report.text(f"**{heading}**", container=head)  # the view's report says it too
        head.button(
            t("lifecycle.drill_close"),
            icon=":material/close:",
            on_click=close_drill,
            key="lifecycle_drill_close",
        )
        clicked = {t("lifecycle.drill_chart"): t(CHARTS[chart]), t("lifecycle.drill_clicked"): what}
    with box:
        st.caption(
            t(
                "lifecycle.drill_count",
                total=fmt.count(result.total, lang),
                shown=fmt.count(shown, lang),
            )
        )
        if not result.total:
            return
        widgets.customer_table(
            customer_table(result.customers),
            "customer_id",
            "lifecycle",
            "lifecycle_drill_rows",
            height=320,
            column_config=customer_columns(ctx.currency),
        )
        download_buttons(
            drill_export(ctx.as_of, rules, drill, _chosen(chosen, ctx.as_of, ctx.version)),
            result.total,
            drill_columns(ctx.currency),
            f"lifecycle-{ctx.as_of}",
            about=drill_about(ctx, drill, chosen, clicked),
        )
