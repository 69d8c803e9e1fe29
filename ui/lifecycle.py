"""Cached access to the lifecycle figures for pages/lifecycle.py, and its labels.

Cached functions take small knobs (a date, the frozen rules, a frozen drill-down, the data
version) and read the data inside; exports are built only when the user clicks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import fields

import pandas as pd
import streamlit as st

from core import lifecycle
from core.lifecycle import Drill, LifecycleRules
from ui import data
from ui import format as fmt
from ui.export import About, Column, columns_from_config, list_about
from ui.i18n import t
from ui.labels import label, labelled
from ui.session import keep_lifecycle_rules, lifecycle_rules, lifecycle_rules_choices

HISTORY_MONTHS = 36
COHORTS = 24
DRILL_ROWS = 500


@st.cache_data(max_entries=16, show_spinner=False)
def snapshot(as_of: dt.date, rules: LifecycleRules, version: int) -> lifecycle.LifecycleSnapshot:
    return lifecycle.lifecycle_snapshot(data.cursor(), as_of, rules, limit=DRILL_ROWS)


@st.cache_data(max_entries=16, show_spinner=False)
def history(as_of: dt.date, rules: LifecycleRules, version: int) -> pd.DataFrame:
    return lifecycle.stage_history(data.cursor(), as_of, rules, months=HISTORY_MONTHS)


@st.cache_data(max_entries=16, show_spinner=False)
def cohorts(as_of: dt.date, version: int) -> pd.DataFrame:
    return lifecycle.cohort_retention(data.cursor(), as_of, cohorts=COHORTS)


@st.cache_data(max_entries=16, show_spinner=False)
def economics(as_of: dt.date, version: int) -> pd.DataFrame:
    return lifecycle.channel_economics(data.cursor(), as_of, months=HISTORY_MONTHS)


def drill_down(
    as_of: dt.date, rules: LifecycleRules, drill: Drill, version: int
) -> lifecycle.DrillResult:
    """The drill-down's first rows and count (without filters: from the snapshot)."""
    if drill == Drill():
        return snapshot(as_of, rules, version).customers
    return _drill_down(as_of, rules, drill, version)


@st.cache_data(max_entries=32, show_spinner=False)
def _drill_down(
    as_of: dt.date, rules: LifecycleRules, drill: Drill, version: int
) -> lifecycle.DrillResult:
    return lifecycle.drill_down(data.cursor(), as_of, rules, drill, limit=DRILL_ROWS)


def drill_export(as_of: dt.date, rules: LifecycleRules, drill: Drill) -> Callable[[], pd.DataFrame]:
    """The drill-down's whole list for `ui.export.download_buttons`. It is made on
    Streamlit's download thread, so it gets its cursor now."""
    con = data.cursor()
    return lambda: lifecycle.lifecycle_customers(con, as_of, rules, drill)


def drill_columns(currency: str | None) -> list[Column]:
    """The drill-down's exported columns: those of its table (`customer_columns`)."""
    return columns_from_config(customer_columns(currency), currency)


def drill_about(ctx, drill: Drill) -> About:
    """The drill-down's About sheet: what was picked, and the stage rules in force (the
    session's, as the page applied them), which decide who is in a stage."""
    any_one = t("lifecycle.any")
    month = drill.months_since_signup
    return list_about(
        ctx,
        "lifecycle",
        t("lifecycle.drill_header"),
        choices={
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
