"""Satisfaction and service: CSAT and NPS trends, complaints, what unhappy customers are worth,
the loyalty index, and the list of valuable unhappy customers to call."""

import streamlit as st

from ui import data
from ui import satisfaction as sat
from ui.empty import show_empty_state
from ui.frame import page_context
from ui.i18n import t
from ui.session import lifecycle_rules

ctx = page_context()
st.title(t("satisfaction.title"))
if show_empty_state(ctx):
    st.stop()
missing = data.missing_inputs(ctx.version)  # input -> why it is empty (None: it is there)
has_stars, basis = sat.models(ctx.version)
sla_hours = float(st.session_state.get("satisfaction_sla", sat.SLA_HOURS))  # drawn below
with st.spinner(t("satisfaction.computing")):  # seconds at a million customers, off the build's day
    now = sat.headline(ctx, missing, sla_hours)
    sat.trends(ctx, missing, has_stars)
    sat.complaints_section(ctx, missing, now, sla_hours)
    rules = lifecycle_rules()
    sat.value_section(ctx, rules, missing, has_stars, basis)
    sat.call_list(ctx, rules, missing, has_stars, basis)
