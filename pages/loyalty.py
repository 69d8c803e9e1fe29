"""Loyalty simulator, results first: the verdict in one line (worth it or not, and the
uplift at which it breaks even), the figures with 5-95% intervals, net impact against the
uplift achieved and over time, per tier (a click on a tier's bar lists its customers); then
the programme's inputs, saved scenarios side by side and a one-page summary. With the shared
filters, the programme is offered to the chosen customers only."""

import streamlit as st

from ui import charts, drill, filters, report
from ui import format as fmt
from ui import loyalty as lu
from ui.empty import show_empty_state
from ui.frame import page_context
from ui.i18n import t
from ui.models import reason_text
from ui.session import PRESENT, switch_on
from ui.widgets import choice, metric_row, show_missing_inputs, show_table

ctx = page_context()
st.title(t("loyalty.title"))
if show_empty_state(ctx):
    st.stop()
if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()
lang, as_of = ctx.lang, ctx.as_of
scope = filters.current()  # the customers the programme is offered to
presenting = switch_on(PRESENT)  # the form is hidden: no words about it, the assumptions shown

fitted = lu.models(as_of, ctx.version)
simple = isinstance(fitted, lu.Reason)
if simple:
    history = lu.simple_history(as_of, ctx.version)
    if isinstance(history, lu.Reason):
        st.warning(
            f"**{t('loyalty.not_fitted_title')}**\n\n{t('loyalty.not_fitted_body')}\n\n"
            f"{t('loyalty.not_fitted_reason', reason=reason_text(fitted))}\n\n"
            f"{t('loyalty.simple_unavailable', reason=reason_text(history))}",
            icon=":material/info:",
        )
        st.stop()

offered = lu.engine(as_of, ctx.version, scope).customers
if offered.empty:  # the filters leave customers, but none who has bought
    st.info(t("loyalty.none_offered"), icon=":material/info:")
    st.stop()

# results first (the verdict, the figures), the programme's inputs below them: the form is
# as wide as the page, and the verdict is what an executive reads first
results, inputs = st.container(), st.container()

# --- the programme -------------------------------------------------------------------------
with inputs:
    if not presenting:
        st.subheader(t("loyalty.inputs_title"))
        st.caption(t("loyalty.inputs_caption"))
    preset_name = choice(
        t("loyalty.preset"),
        lu.PRESET_NAMES,
        "points_tiers",
        format_func=lambda p: t(f"loyalty.preset_{p}"),
        help=t("loyalty.preset_help"),
        key="loyalty_preset",
    )
    programme = lu.programme_input(preset_name, lang, ctx.currency)
    report.says(*(f"{k}: {v}" for k, v in lu.assumptions(programme, lang, ctx.currency)))
    echo = st.empty()  # the verdict again, beside the knobs that made it

with results, st.spinner(t("loyalty.running")):
    result, found = lu.simulate(as_of, programme, ctx.version, scope)
worth, verdict = lu.verdict(result, found, programme, lang, ctx.currency)
if not presenting:
    echo.caption(t("loyalty.result_echo", verdict=verdict))

# --- the verdict and the headline ----------------------------------------------------------
with results:
    if worth:
        st.success(verdict, icon=":material/thumb_up:")
    else:
        st.warning(verdict, icon=":material/thumb_down:")
    if presenting:
        st.caption(lu.assumptions_text(result, found, programme, lang, ctx.currency))
    else:
        st.caption(lu.verdict_detail(found))
    if offered_to := lu.offered_text(scope, result, lang):
        st.caption(offered_to)
    tiles = lu.headline(result, programme, lang, ctx.currency)
    metric_row(tiles, columns=4)  # money on the first row, the rest below
    st.caption(lu.method_text(result, lang))
    st.caption(t("loyalty.caption_simple" if simple else "loyalty.caption"))
    if simple:
        st.info(
            f"**{t('loyalty.simple_title')}**\n\n"
            f"{t('loyalty.simple_body', days=2 * history.period_days)}\n\n"
            f"{t('loyalty.simple_why', reason=reason_text(fitted))}",
            icon=":material/functions:",
        )
    show_missing_inputs(ctx.version, ("margin",), margin_assumed=True)

    # --- how much is assumption, and over time ---------------------------------------------
    assumption, over_time = st.columns(2)
    report.chart(lu.sensitivity_chart(result, found, lang, ctx.currency), container=assumption)
    assumption.caption(t("loyalty.sens_caption"))
    scale = fmt.money_axis_scale(lang)
    report.chart(
        container=over_time,
        figure=charts.loyalty_net_impact(
            result.monthly,
            t("loyalty.chart_title"),
            {
                "month": t("loyalty.axis_month"),
                "axis": fmt.with_unit(
                    t("loyalty.axis_net"), fmt.money_unit(lang, ctx.currency, scale), lang
                ),
                "mean": t("loyalty.series_mean"),
                "band": t("loyalty.series_band"),
            },
            scale,
            ctx.currency,
        ),
    )

    # --- by tier ---------------------------------------------------------------------------
    st.subheader(t("loyalty.tier_title"))
    report.chart(lu.tiers_chart(offered, result), **lu.tiers_clickable())
    drill.hint(t("loyalty.tiers_click"))
    lu.tier_list(ctx, scope)
    table, config = lu.tier_table(result.by_tier, ctx.currency)
    show_table(table, column_config=config)
    lu.table_download(ctx, result.by_tier, config, t("loyalty.tier_title"), "loyalty-tiers", scope)
    st.caption(t("loyalty.subsidy_note", share=fmt.percent(result.subsidy_share, 0)))
    if result.rates is not None:
        st.subheader(t("loyalty.rates_title"))
        rates, config = lu.rates_table(result.rates, ctx.currency)
        show_table(rates, column_config=config)
        lu.table_download(
            ctx, result.rates, config, t("loyalty.rates_title"), "loyalty-rates", scope
        )
        period = result.window_days // 2
        st.caption(t("loyalty.rates_caption", days=result.window_days, as_of=as_of, period=period))
        if pooled := lu.pooled_tiers(result.rates, lang):
            st.caption(t("loyalty.rates_pooled", need=lu.MIN_RETENTION_BUYERS, tiers=pooled))

# --- save, compare, download ---------------------------------------------------------------
st.subheader(t("loyalty.scenarios_title"))
save_col, compare_col = st.columns([1, 2])
with save_col.form("loyalty_save", border=False):
    name = st.text_input(t("loyalty.scenario_name"), key="loyalty_scenario_name", max_chars=80)
    if st.form_submit_button(t("loyalty.save"), icon=":material/save:"):
        if name.strip():
            lu.save(name, programme, result)
            st.success(t("loyalty.saved", name=fmt.plain(name.strip())))
        else:
            st.warning(t("loyalty.name_needed"))
saved = lu.scenarios()
if saved:
    names = [s["name"] for s in saved]
    chosen = compare_col.multiselect(
        t("loyalty.compare"),
        names,
        default=names[: lu.MAX_COMPARED],
        max_selections=lu.MAX_COMPARED,
        key="loyalty_compare",
    )
    comparison = lu.comparison_table(saved, chosen, lang, ctx.currency)
    show_table(container=compare_col, data=comparison)
    if chosen:
        with compare_col:
            lu.comparison_download(ctx, comparison)
else:
    compare_col.info(t("loyalty.no_scenarios"))

summary = lu.summary_document(result, programme, tiles, as_of, lang, ctx.currency, found)
st.download_button(
    t("loyalty.download"),
    summary.encode("utf-8"),
    file_name="loyalty-summary.html",
    mime="text/html",
    icon=":material/download:",
)
