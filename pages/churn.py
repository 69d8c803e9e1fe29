"""Churn risk: how risk is spread (a bar opens its customers), the warning list (most value
at risk first) with export, of the customers the shared filters choose; and how good the
whole base's classifier is and what drives it."""

import streamlit as st

from ui import charts, drill, filters, report
from ui import churn as ch
from ui import format as fmt
from ui.empty import show_empty_state
from ui.export import download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.models import Reason, purchase_model_label, reason_text
from ui.widgets import Tile, choice, customer_table, metric_row, show_missing_inputs

ctx = page_context()
st.title(t("churn.title"))
if show_empty_state(ctx):
    st.stop()
if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()
lang, as_of = ctx.lang, ctx.as_of
chosen = filters.current()
headline = st.container()  # results first: the tiles above the knobs

# --- the knobs ---------------------------------------------------------------------------------
with st.container(border=True):
    horizon_col, risk_col = st.columns(2)
    horizon = choice(
        t("churn.horizon"),
        ch.HORIZONS,
        ch.DEFAULT_HORIZON,
        format_func=lambda d: t("churn.days", days=d),
        help=t("churn.horizon_help"),
        key="churn_horizon",
        container=horizon_col,
    )
    min_risk = risk_col.slider(
        t("churn.min_risk"),
        0,
        100,
        70,
        step=5,
        format="%d%%",
        help=t("churn.min_risk_help"),
        key="churn_min_risk",
    )

show_missing_inputs(ctx.version, ("csat", "nps", "engagement"))
result = ch.churn_result(as_of, horizon, ctx.version)
if isinstance(result, Reason):
    st.warning(f"**{t('churn.not_ready_title')}**\n\n{reason_text(result)}", icon=":material/info:")
    st.stop()
st.caption(t("churn.caption", days=horizon, as_of=as_of))
st.caption(t("models.p_alive_vs_churn", days=horizon, model=purchase_model_label(ctx.version)))

# --- the headline -------------------------------------------------------------------------------
warning = ch.warning_list(as_of, horizon, min_risk / 100, ctx.version, chosen)
quality = result.quality
scored = len(ch.scores(as_of, horizon, ctx.version, chosen))
if quality is None:  # too young to judge an earlier model: the scores stand alone
    auc, auc_note = fmt.UNKNOWN, reason_text(result.quality_reason)
else:
    auc, auc_note = f"{quality.auc:.2f}", t("churn.auc_baseline", auc=f"{quality.recency_auc:.2f}")
metric_row(
    [
        Tile(t("churn.scored"), fmt.count(scored, lang), t("churn.scored_help")),
        Tile(
            t("churn.at_risk", risk=min_risk),
            fmt.count(len(warning), lang),
            t("churn.at_risk_help", days=horizon),
            caption=t("churn.share_scored", share=fmt.percent(len(warning) / max(scored, 1))),
        ),
        Tile(
            t("churn.value_at_risk"),
            fmt.money(warning["value_at_risk"].sum(), lang, ctx.currency),
            t("churn.value_at_risk_help"),
        ),
        Tile(t("churn.auc"), auc, t("churn.auc_help"), caption=auc_note),
    ],
    container=headline,
)
if chosen.active:
    headline.caption(t("churn.model_whole_base"))

report.chart(
    charts.risk_distribution(
        ch.risk_distribution(as_of, horizon, ctx.version, chosen),
        min_risk / 100,
        t("churn.distribution_title", days=horizon, as_of=as_of),
        {"risk": t("churn.axis_risk"), "customers": t("churn.axis_customers")},
    ),
    **ch.clickable(),
)
drill.hint(t("churn.click_band"))
ch.band_section(ctx, horizon, chosen)

# --- the warning list ------------------------------------------------------------------------
st.subheader(t("churn.list_title"))
st.caption(
    t("churn.list_caption", risk=min_risk, rows=fmt.count(min(len(warning), ch.LIST_ROWS), lang))
)
table, config = ch.warning_table(warning, ctx.currency)
customer_table(table, "customer_id", "churn", "churn_warning_rows", column_config=config)
download_buttons(
    ch.warning_export(warning),
    len(warning),
    ch.warning_columns(ctx.currency),
    f"churn-warning-{as_of}",
    sheet=t("churn.export_sheet"),
    about=ch.warning_about(ctx, horizon, min_risk, chosen),
)

# --- how good the classifier is -------------------------------------------------------------
st.subheader(t("churn.quality_title"))
if chosen.active:
    st.caption(t("churn.model_whole_base"))
if quality is None:
    st.info(
        t("models.churn_no_quality", reason=reason_text(result.quality_reason)),
        icon=":material/info:",
    )
    st.stop()
cuts = result.cut_offs
st.caption(
    t(
        "churn.quality_caption",
        days=horizon,
        train=cuts.training,
        evaluate=cuts.evaluation,
        end=cuts.scoring,
        customers=fmt.count(quality.customers, lang),
        base_rate=fmt.percent(quality.base_rate),
        brier=f"{quality.brier:.3f}",
    )
)
left, right = st.columns(2)
report.chart(
    container=left,
    figure=charts.calibration_chart(
        quality.calibration,
        t("churn.calibration_title", days=horizon),
        {
            "predicted": t("churn.axis_predicted"),
            "observed": t("churn.axis_observed"),
            "perfect": t("churn.perfect"),
            "customers": t("churn.axis_customers"),
        },
    ),
)
drivers = ch.top_drivers(result)
report.chart(
    container=right,
    figure=charts.driver_bars(
        [ch.feature_label(f) for f in drivers["feature"]],
        drivers["importance"].tolist(),
        t("churn.drivers_title"),
        t("churn.axis_importance"),
    ),
)
right.caption(t("churn.drivers_caption"))
