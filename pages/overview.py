"""Overview: the business in six numbers and a monthly revenue trend."""

import streamlit as st

from ui import charts
from ui import format as fmt
from ui import overview as ov
from ui.empty import show_empty_state
from ui.frame import page_context
from ui.i18n import t
from ui.widgets import change_tile, metric_row

ctx = page_context()
st.title(t("overview.title"))
if show_empty_state(ctx):
    st.stop()

kpis = ov.kpis(ctx.as_of, ctx.version)
st.caption(
    t("overview.caption" if kpis.has_previous else "overview.caption_alone", as_of=ctx.as_of)
)


lang = ctx.lang
tiles = {  # catalog key -> (value, change against the previous 12 months)
    "customers": (
        fmt.count(kpis.customers, lang),
        fmt.change(kpis.customers, kpis.customers_previous),
    ),
    "active_customers": (
        fmt.count(kpis.active_customers, lang),
        fmt.change(kpis.active_customers, kpis.active_customers_previous),
    ),
    "revenue": (
        fmt.money(kpis.revenue, lang, ctx.currency),
        fmt.change(kpis.revenue, kpis.revenue_previous),
    ),
    "orders": (fmt.count(kpis.orders, lang), fmt.change(kpis.orders, kpis.orders_previous)),
    "aov": (
        fmt.money(kpis.avg_order_value, lang, ctx.currency, exact=True),
        fmt.change(kpis.avg_order_value, kpis.avg_order_value_previous),
    ),
    "repeat_rate": (
        fmt.percent(kpis.repeat_rate),
        ov.points(fmt.point_change(kpis.repeat_rate, kpis.repeat_rate_previous)),
    ),
}
metric_row(
    [
        change_tile(
            t(f"overview.{key}"),
            value,
            change,
            covered=kpis.has_previous,
            help=t(f"overview.{key}_help"),
        )
        for key, (value, change) in tiles.items()
    ],
    columns=3,
)
if not kpis.has_previous and kpis.first_ordered_on is not None:
    st.caption(t("metric.no_previous_help", first=kpis.first_ordered_on, start=kpis.previous_start))

if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()

monthly = ov.monthly_revenue(ctx.as_of, ctx.version)
start, end = monthly["month"].iloc[0], monthly["month"].iloc[-1]
scale = fmt.money_axis_scale(lang)
labels = {
    "month": t("overview.trend_month"),
    "revenue": fmt.with_unit(
        t("overview.trend_revenue"), fmt.money_unit(lang, ctx.currency, scale), lang
    ),
    "orders": t("overview.trend_orders"),
    "customers": t("overview.trend_customers"),
}
title = t("overview.trend_title", start=f"{start:%Y-%m}", end=f"{end:%Y-%m}")
figure = charts.revenue_trend(monthly, title, labels, scale)
st.plotly_chart(figure, width="stretch")
if monthly["is_partial"].iloc[-1]:
    st.caption(t("overview.trend_partial", as_of=ctx.as_of))
