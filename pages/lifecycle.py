"""Lifecycle: stages today, the funnel, stages and flows over time, cohorts, channel economics
and a drill-down to the customers behind any stage or cell, opened by a click on the funnel,
a cohort cell or a channel's bars; every figure of the customers the shared filters choose."""

import streamlit as st

from ui import charts, drill, filters, report
from ui import format as fmt
from ui import lifecycle as lc
from ui.empty import show_empty_state
from ui.frame import page_context
from ui.i18n import t
from ui.labels import label
from ui.widgets import Tile, choice, metric_row, show_missing_inputs, show_table

ctx = page_context()
st.title(t("lifecycle.title"))
if show_empty_state(ctx):
    st.stop()
st.caption(t("lifecycle.caption", as_of=ctx.as_of))
lang = ctx.lang
chosen = filters.current()
stages_box = st.container()  # results first: the stage tiles above the rules' inputs
rules = lc.rules_input()
st.caption(
    t(
        "lifecycle.rules_summary",
        new_days=rules.new_days,
        at_risk_min_days=rules.at_risk_min_days,
        multiple=f"{rules.at_risk_gap_multiple:g}",
        churned_days=rules.churned_days,
    )
)

# --- where the customers are today ----------------------------------------------------------
# seconds at a million customers, off the build's day or with a filter
with st.spinner(t("lifecycle.computing")):
    snap = lc.snapshot(ctx.as_of, rules, ctx.version, chosen)
# "refunds only" (returns of goods bought before the data) only where such customers exist
shown = snap.stages[(snap.stages["stage"] != "refund_only") | (snap.stages["customers"] > 0)]
metric_row(
    (
        Tile(
            lc.stage_label(row.stage),
            fmt.count(row.customers, lang),
            t(f"lifecycle.stage_{row.stage}_help"),
            caption=t("lifecycle.share_of_customers", share=fmt.percent(row.share)),
        )
        for row in shown.itertuples()
    ),
    container=stages_box,
)

if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()

show_missing_inputs(ctx.version, ("acquisition_cost", "margin"))

# --- the funnel -------------------------------------------------------------------------------
st.subheader(t("lifecycle.funnel_header"))
overall = snap.funnel.iloc[0]
left, right = st.columns([2, 3])
steps = [t(f"lifecycle.step_{step}") for step in lc.FUNNEL_STEPS]
report.chart(
    container=left,
    figure=charts.lifecycle_funnel(
        steps,
        [int(overall[step]) for step in lc.FUNNEL_STEPS],
        t("lifecycle.funnel_title", as_of=ctx.as_of),
        keys=list(lc.FUNNEL_STEPS),
    ),
    **lc.clickable("funnel"),
)
drill.hint(t("lifecycle.click_funnel"), left)
left.caption(
    t(
        "lifecycle.first_purchase",
        days=fmt.count(overall["median_days_to_first_purchase"], lang),
        same_day=fmt.percent(overall["share_first_purchase_same_day"]),
        week=fmt.percent(overall["share_first_purchase_7_days"]),
    )
)
split = choice(
    t("lifecycle.funnel_split"),
    ["channel", "cohort"],
    "channel",
    format_func=lambda by: t(f"lifecycle.split_{by}"),
    key="lifecycle_funnel_split",
    container=right,
)
by_group = snap.funnel_by_channel if split == "channel" else snap.funnel_by_cohort
rates = {
    rate: t(f"lifecycle.{rate}") for rate in ("conversion_rate", "repeat_rate", "retention_rate")
}
groups = [label("channel", key) if split == "channel" else key for key in by_group["group_key"]]
report.chart(
    container=right,
    figure=charts.funnel_rates(
        by_group,
        groups,
        rates,
        t(f"lifecycle.funnel_rates_title_{split}"),
        {
            "group": t(f"lifecycle.split_{split}"),
            "rate": t("lifecycle.rate"),
            "acquired": t("lifecycle.step_acquired"),
        },
        over_time=split == "cohort",
    ),
    **lc.clickable(f"rates_{split}"),
)
right.caption(t("lifecycle.funnel_rates_caption"))
drill.hint(t("lifecycle.click_rates"), right)
if lc.clicked_chart() in ("funnel", "rates_channel", "rates_cohort"):
    lc.drill_section(ctx, rules, snap, chosen)

# --- stage mix and flows over time ------------------------------------------------------------
with st.spinner(t("lifecycle.computing")):
    history = lc.history(ctx.as_of, rules, ctx.version, chosen)
start, end = f"{history['month'].iloc[0]:%Y-%m}", f"{history['month'].iloc[-1]:%Y-%m}"
st.subheader(t("lifecycle.history_header"))
left, right = st.columns(2)
report.chart(
    container=left,
    figure=charts.stage_mix(
        history,
        {stage: lc.stage_label(stage) for stage in lc.STAGES},
        t("lifecycle.stage_mix_title", start=start, end=end),
        t("lifecycle.month_end"),
        t("lifecycle.axis_customers"),
    ),
)
flow_labels = {
    key: t(f"lifecycle.{key}")
    for key in ("flow_new", "flow_reactivated", "flow_churned", "live_at_end", "month")
} | {"buyers": t("lifecycle.axis_buyers")}
report.chart(
    container=right,
    figure=charts.lifecycle_flows(
        history, flow_labels, t("lifecycle.flows_title", start=start, end=end)
    ),
)
if history["is_partial"].iloc[-1]:
    st.caption(t("lifecycle.history_partial", as_of=ctx.as_of))
with st.expander(t("lifecycle.flows_table")):
    st.caption(t("lifecycle.flows_identity"))
    show_table(
        lc.flows_table(history),
        column_config=lc.flows_columns(),
    )
    lc.flows_download(ctx, history, chosen)

# --- cohorts ------------------------------------------------------------------------------------
st.subheader(t("lifecycle.cohort_header"))
with st.spinner(t("lifecycle.computing_figures")):  # live with a filter or another day
    cohorts = lc.cohorts(ctx.as_of, ctx.version, chosen)
measure = choice(
    t("lifecycle.cohort_measure"),
    ["buyer_share", "revenue_retention"],
    "buyer_share",
    format_func=lambda m: t(f"lifecycle.cohort_{m}"),
    key="lifecycle_cohort_measure",
)
if cohorts.empty:
    st.info(t("lifecycle.cohort_empty"))
else:
    report.chart(
        charts.cohort_heatmap(
            cohorts,
            measure,
            t(f"lifecycle.cohort_title_{measure}"),
            {
                "cohort": t("lifecycle.cohort"),
                "months": t("lifecycle.months_since_signup"),
                "value": t(f"lifecycle.cohort_{measure}"),
                "cohort_size": t("lifecycle.cohort_size"),
                "buyers": t("lifecycle.cohort_buyers"),
            },
        ),
        **lc.clickable("cohorts"),
    )
    st.caption(t(f"lifecycle.cohort_caption_{measure}"))
    drill.hint(t("lifecycle.click_cohorts"))
    if lc.clicked_chart() == "cohorts":
        lc.drill_section(ctx, rules, snap, chosen)

# --- acquisition economics ----------------------------------------------------------------------
st.subheader(t("lifecycle.economics_header"))
with st.spinner(t("lifecycle.computing_figures")):
    economics = lc.economics(ctx.as_of, ctx.version, chosen)
has_prediction = economics["predicted_clv"].notna().any()
basis = lc.economics_basis(economics)  # revenue stands in for margin when there is no cost
words = lc.economics_labels(basis)
series = {"cac": t("lifecycle.col_cac"), "value_per_customer": words["per_customer"]}
if has_prediction:
    series["predicted_clv_per_customer"] = t("lifecycle.col_predicted_per_customer")
left, right = st.columns([2, 3])
report.chart(
    container=left,
    figure=charts.channel_economics(
        economics,
        [label("channel", c) for c in economics["channel"]],
        series,
        words["title"],
        fmt.with_unit(t("lifecycle.per_customer_axis"), fmt.money_unit(lang, ctx.currency), lang),
        ctx.currency,
        channel=t("lifecycle.col_channel"),
    ),
    **lc.clickable("economics"),
)
drill.hint(t("lifecycle.click_economics"), left)
show_table(
    container=right,
    data=lc.economics_table(economics),
    column_config=lc.economics_columns(has_prediction, ctx.currency, basis),
)
right.caption(t(words["caption"], as_of=ctx.as_of))
for gap in lc.economics_gaps(economics):
    right.caption(gap)
if not has_prediction:
    right.caption(t("lifecycle.prediction_pending"))
with right:
    lc.economics_download(ctx, economics, has_prediction, basis, chosen)
if lc.clicked_chart() == "economics":
    lc.drill_section(ctx, rules, snap, chosen)

# --- drill-down (here unless a click opened it under its chart) -------------------------------
if lc.clicked_chart() is None:
    lc.drill_section(ctx, rules, snap, chosen)
