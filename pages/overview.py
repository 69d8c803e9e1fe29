"""Overview: the business in six numbers, the story the other pages tell (stars, value, risk,
satisfaction, the funnel) with insights in plain words, and the monthly revenue trend."""

import streamlit as st

from ui import charts
from ui import format as fmt
from ui import overview as ov
from ui.empty import show_empty_state
from ui.frame import page_context
from ui.i18n import t

ctx = page_context()
st.title(t("overview.title"))
if show_empty_state(ctx):
    st.stop()

kpis = ov.kpis(ctx.as_of, ctx.version)
st.caption(
    t("overview.caption" if kpis.has_previous else "overview.caption_alone", as_of=ctx.as_of)
)

has_sales = ctx.state.transactions > 0
monthly = ov.monthly_revenue(ctx.as_of, ctx.version) if has_sales else None
ov.kpi_tiles(ctx, kpis, monthly)
if not kpis.has_previous and kpis.first_ordered_on is not None:
    st.caption(t("metric.no_previous_help", first=kpis.first_ordered_on, start=kpis.previous_start))

if not has_sales:
    st.info(t("empty.no_transactions"))
    st.stop()

story, reasons = ov.story(ctx)
ov.insights_section(ctx, story)
ov.story_tiles(ctx, story, reasons)
ov.story_charts(ctx, story)

lang = ctx.lang
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
