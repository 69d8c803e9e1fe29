"""Overview: the business in six numbers, the story the other pages tell (stars, value, risk,
satisfaction, the funnel) with insights in plain words, and the monthly revenue trend; the
whole page downloadable as one HTML file."""

import streamlit as st

from ui import filters, report
from ui import overview as ov
from ui.empty import show_empty_state
from ui.frame import page_context
from ui.i18n import t

ctx = page_context()
st.title(t("overview.title"))
if show_empty_state(ctx):
    st.stop()

chosen = filters.current()
kpis = ov.kpis(ctx.as_of, chosen, ctx.version)
caption = t("overview.caption" if kpis.has_previous else "overview.caption_alone", as_of=ctx.as_of)
report.note(caption)
download = st.container()  # the report's button, filled once the page is drawn

has_sales = ctx.state.transactions > 0
monthly = ov.monthly_revenue(ctx.as_of, chosen, ctx.version) if has_sales else None
ov.kpi_tiles(ctx, kpis, monthly)
if not kpis.has_previous and kpis.first_ordered_on is not None:
    st.caption(t("metric.no_previous_help", first=kpis.first_ordered_on, start=kpis.previous_start))

if not has_sales:
    st.info(t("empty.no_transactions"))
    st.stop()

story, reasons = ov.story(ctx, chosen)
ov.insights_section(ctx, story)
ov.story_tiles(ctx, story, reasons, chosen)
ov.story_charts(ctx, story, chosen)
ov.trend_section(ctx, monthly)
ov.report_button(download)
