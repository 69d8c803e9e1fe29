"""Overview: the business in six numbers and a monthly revenue trend."""

import streamlit as st

from ui import charts, data
from ui import format as fmt
from ui.empty import show_empty_state
from ui.i18n import t
from ui.sidebar import context

ctx = context()
st.title(t("overview.title"))
if show_empty_state(ctx):
    st.stop()

kpis = data.kpis(ctx.as_of, ctx.version)
st.caption(t("overview.caption", as_of=ctx.as_of))


def delta(change: str | None, key: str = "overview.delta") -> str | None:
    return t(key, change=change) if change else None


first, second = st.columns(3), st.columns(3)
first[0].metric(
    t("overview.customers"),
    fmt.count(kpis.customers, ctx.lang),
    delta(fmt.change(kpis.customers, kpis.customers_previous)),
    help=t("overview.customers_help"),
    border=True,
)
first[1].metric(
    t("overview.active_customers"),
    fmt.count(kpis.active_customers, ctx.lang),
    delta(fmt.change(kpis.active_customers, kpis.active_customers_previous)),
    help=t("overview.active_customers_help"),
    border=True,
)
first[2].metric(
    t("overview.revenue"),
    fmt.money(kpis.revenue, ctx.lang),
    delta(fmt.change(kpis.revenue, kpis.revenue_previous)),
    help=t("overview.revenue_help"),
    border=True,
)
second[0].metric(
    t("overview.orders"),
    fmt.count(kpis.orders, ctx.lang),
    delta(fmt.change(kpis.orders, kpis.orders_previous)),
    help=t("overview.orders_help"),
    border=True,
)
second[1].metric(
    t("overview.aov"),
    fmt.money(kpis.avg_order_value, ctx.lang, exact=True),
    delta(fmt.change(kpis.avg_order_value, kpis.avg_order_value_previous)),
    help=t("overview.aov_help"),
    border=True,
)
second[2].metric(
    t("overview.repeat_rate"),
    fmt.percent(kpis.repeat_rate),
    delta(fmt.point_change(kpis.repeat_rate, kpis.repeat_rate_previous), "overview.delta_points"),
    help=t("overview.repeat_rate_help"),
    border=True,
)

if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()

monthly = data.monthly_revenue(ctx.as_of, ctx.version)
start, end = monthly["month"].iloc[0], monthly["month"].iloc[-1]
labels = {
    "month": t("overview.trend_month"),
    "revenue": t("overview.trend_revenue"),
    "orders": t("overview.trend_orders"),
    "customers": t("overview.trend_customers"),
}
title = t("overview.trend_title", start=f"{start:%Y-%m}", end=f"{end:%Y-%m}")
figure = charts.revenue_trend(monthly, title, labels, fmt.money_axis_scale(ctx.lang))
st.plotly_chart(figure, width="stretch")
if monthly["is_partial"].iloc[-1]:
    st.caption(t("overview.trend_partial", as_of=ctx.as_of))
