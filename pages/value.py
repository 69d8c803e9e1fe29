"""Customer value: predicted CLV (BG/NBD + Gamma-Gamma) beside the formula CLV, how it is
spread, by group, the top customers and the model's health on a holdout."""

import streamlit as st

from ui import charts, data, drill, filters, report
from ui import format as fmt
from ui import value as vu
from ui.empty import show_empty_state
from ui.export import columns_from_config, download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.models import reason_text
from ui.widgets import (
    Tile,
    choice,
    customer_table,
    metric_row,
    show_missing_inputs,
    show_table,
)

ctx = page_context()
st.title(t("value.title"))
if show_empty_state(ctx):
    st.stop()
if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()
lang, as_of = ctx.lang, ctx.as_of
chosen = filters.current()  # the customers counted, summed, charted and listed
unit = fmt.money_unit(lang, ctx.currency)  # of money axes: not scaled


def between(interval: dict, money: bool = True) -> str:
    show = (lambda v: fmt.money(v, lang, ctx.currency)) if money else (lambda v: fmt.count(v, lang))
    return t("value.between", low=show(interval["p5"]), high=show(interval["p95"]))


show_missing_inputs(ctx.version, ("margin", "acquisition_cost"), margin_assumed=True)
fitted = vu.models(as_of, ctx.version)
if isinstance(fitted, vu.Reason):
    st.warning(f"**{t('value.not_ready_title')}**\n\n{reason_text(fitted)}", icon=":material/info:")
    simple = vu.formula_totals(as_of, chosen, ctx.version)  # what needs no model
    metric_row(
        [
            Tile(t("value.axis_customers"), fmt.count(simple.customers, lang)),
            Tile(
                t("overview.aov"),
                fmt.money(simple.aov, lang, ctx.currency, exact=True),
                t("models.aov_help"),
            ),
            Tile(
                t("value.formula_total"),
                fmt.money(simple.formula_clv, lang, ctx.currency),
                t("value.formula_total_help"),
            ),
        ]
    )
    st.stop()

# --- the totals first (filled once the knobs under them are read), then the knobs -------------
results = st.container()
defaults = vu.defaults(as_of, ctx.version)
start = defaults.settings()  # the data's margin and years retained, rounded for the sliders
with st.container(border=True):
    horizon_col, discount_col, margin_col, years_col = st.columns(4)
    horizon = horizon_col.select_slider(
        t("value.horizon"),
        options=vu.HORIZONS,
        value=12,
        format_func=lambda m: t("value.months", months=m),
        help=t("value.horizon_help"),
        key="value_horizon",
    )
    discount = discount_col.slider(
        t("value.discount"),
        0,
        30,
        10,
        format="%d%%",
        help=t("value.discount_help"),
        key="value_discount",
    )
    margin = margin_col.slider(
        t("value.margin"),
        5,
        100,
        int(round(start.margin * 100)),
        format="%d%%",
        help=t("value.margin_help", margin=fmt.percent(defaults.margin_rate)),
        key="value_margin",
    )
    years = years_col.slider(
        t("value.years"),
        0.5,
        10.0,
        start.years_retained,
        step=0.1,
        format="%.1f",
        help=t("value.years_help", retention=fmt.percent(defaults.retention_rate)),
        key="value_years",
    )
settings = vu.ValueSettings(horizon, discount / 100, margin / 100, years)

totals = vu.totals(as_of, settings, chosen, ctx.version)
valued_count = totals.customers if chosen.active else len(fitted.summary)
purchase_model = vu.model_label(vu.model_name(fitted.bgnbd))
results.caption(
    t("value.caption", as_of=as_of, customers=fmt.count(valued_count, lang), model=purchase_model)
)
if chosen.active:
    results.caption(t("value.filtered_models", customers=fmt.count(len(fitted.summary), lang)))
mean_clv = totals.predicted_clv["clv"] / max(totals.customers, 1)
metric_row(
    [
        Tile(
            t("value.total_clv", months=horizon),
            fmt.money(totals.predicted_clv["clv"], lang, ctx.currency),
            t("value.total_clv_help"),
            caption=between(totals.predicted_clv),
        ),
        Tile(
            t("value.mean_clv"),
            fmt.money(mean_clv, lang, ctx.currency, exact=True),
            t("value.mean_clv_help"),
            caption=t("value.customers_valued", customers=fmt.count(totals.customers, lang)),
        ),
        Tile(
            t("value.purchases", months=horizon),
            fmt.count(totals.expected_purchases["expected_purchases"], lang),
            t("value.purchases_help", model=purchase_model),
            caption=between(totals.expected_purchases, money=False),
        ),
        Tile(
            t("value.formula_total"),
            fmt.money(totals.formula_clv, lang, ctx.currency),
            t("value.formula_total_help"),
            caption=t("value.formula_inputs", years=f"{years:g}", margin=f"{margin}%"),
        ),
    ],
    container=results,
)
results.caption(t("value.interval_note", customers=fmt.count(totals.interval_customers, lang)))

# --- how value is spread, and by group ----------------------------------------------------------
left, right = st.columns(2)
hist = vu.distribution(as_of, settings, chosen, ctx.version)
band_title = t("value.distribution_title", months=horizon)
band_event = report.chart(
    container=left,
    figure=charts.value_distribution(
        hist,
        band_title,
        {
            "value": fmt.with_unit(t("value.axis_clv"), unit, lang),
            "customers": t("value.axis_customers"),
        },
        ctx.currency,
    ),
    on_select="rerun",
    selection_mode="points",
    key=vu.chart_key(vu.BAND_CHART),
)
left.caption(t("value.distribution_note"))
drill.hint(t("value.band_click"), left)
options = vu.groupings(as_of, settings, ctx.version)
by = choice(
    t("value.group_by"),
    options,
    options[0],
    format_func=lambda g: t(f"value.by_{g}"),
    key="value_group_by",
    container=right,
)
groups = vu.by_group(as_of, settings, by, chosen, ctx.version)
names = [vu.group_label(by, g) for g in groups["group"]]
group_title = t("value.by_group_title", group=t(f"value.group_{by}"))
group_event = report.chart(
    container=right,
    figure=charts.value_by_group(
        names,
        groups["predicted_clv"].tolist(),
        groups["formula_clv"].tolist(),
        group_title,
        {
            "predicted": t("value.predicted_clv", months=horizon),
            "formula": t("value.formula_clv", years=f"{years:g}"),
            "axis": fmt.with_unit(t("value.axis_mean_clv"), unit, lang),
            "group": t("value.gcol_group"),
        },
        ctx.currency,
        keys=[str(g) for g in groups["group"]],
    ),
    on_select="rerun",
    selection_mode="points",
    key=vu.chart_key(vu.GROUP_CHART),
)
drill.hint(t("value.group_click"), right)
band = vu.pick(vu.BAND_CHART, band_event, 1, (as_of, settings, chosen))
if band is not None and 0 <= int(band) < len(hist):
    clicked = vu.band_text(hist, int(band), ctx.currency, lang)
    rows = vu.band_list(as_of, settings, int(band), chosen, ctx.version)
    vu.drill_list(
        ctx,
        vu.BAND_CHART,
        rows,
        t("value.drill_band", band=clicked, count=fmt.count(len(rows), lang)),
        vu.value_about(ctx, settings, band_title, clicked, chosen),
        f"customer-value-band-{int(band) + 1}-{as_of}",
    )
group = vu.pick(vu.GROUP_CHART, group_event, 1, by)
if group is not None:
    clicked = vu.group_label(by, group)
    rows = vu.group_list(as_of, settings, by, group, chosen, ctx.version)
    vu.drill_list(
        ctx,
        vu.GROUP_CHART,
        rows,
        t("value.drill_group", group=clicked, count=fmt.count(len(rows), lang)),
        vu.value_about(ctx, settings, group_title, clicked, chosen),
        f"customer-value-{by}-{vu.file_part(group)}-{as_of}",
    )
cost_known = data.missing_inputs(ctx.version)["acquisition_cost"] is None
table, config = vu.group_table(groups, by, ctx.currency, cost_known=cost_known)
show_table(table, column_config=config)
download_buttons(
    vu.group_export(groups, by, cost_known),
    len(groups),
    columns_from_config(config, ctx.currency),
    f"customer-value-by-{by}-{as_of}",
    about=vu.value_about(ctx, settings, group_title, chosen=chosen),
)

# --- the top customers ---------------------------------------------------------------------
st.subheader(t("value.top_title", n=vu.TOP_CUSTOMERS))
st.caption(t("value.top_caption"))
table, config = vu.top_table(vu.top_customers(as_of, settings, chosen, ctx.version), ctx.currency)
customer_table(table, "customer_id", "value", "value_top_rows", column_config=config)
valued = vu.value_list(as_of, settings, ctx.version, chosen)
st.caption(t("export.value_all", count=fmt.count(len(valued), lang), n=vu.TOP_CUSTOMERS))
download_buttons(
    vu.value_export(valued),
    len(valued),
    vu.value_columns(ctx.currency),
    f"customer-value-{as_of}",
    about=vu.value_about(ctx, settings, chosen=chosen),
)
st.caption(t("models.p_alive_vs_churn", days=90, model=purchase_model))

# --- model health ------------------------------------------------------------------------------
st.subheader(t("value.health_title"))
choices, history = vu.holdouts(as_of, ctx.version)
standard = max((d for d in choices if d <= 90), default=None)
holdout = choice(
    t("value.holdout"),
    choices,
    standard,
    format_func=lambda d: t("value.days", days=d),
    help=t("value.holdout_help"),
    key="value_holdout",
)
asked = holdout is not None and st.toggle(
    t("value.health_run"), False, help=t("value.health_run_help"), key="value_health_run"
)
check = vu.backtest(as_of, holdout, ctx.version) if asked else None
if chosen.active:
    st.caption(t("value.health_whole_base"))
if holdout is None:
    st.info(t("models.no_holdout", as_of=as_of, days=fmt.count(history, lang)))
elif check is None:
    st.caption(vu.health_on_request(as_of, holdout, ctx.version))
elif isinstance(check, vu.Reason):
    st.info(t("value.health_not_ready", reason=reason_text(check)))
else:
    st.caption(
        t("value.health_caption", start=check.calibration_end, end=check.holdout_end)
        + " "
        + t("models.holdout_rule", days=fmt.count(history, lang))
    )
    metric_row(
        [
            Tile(
                t("value.health_predicted"),
                fmt.count(check.predicted_total, lang),
                caption=vu.health_range(check, lang),
            ),
            Tile(t("value.health_actual"), fmt.count(check.actual_total, lang)),
            Tile(
                t("value.health_error"),
                f"{check.total_error_pct:+.1f}%",
                t("value.health_error_help"),
            ),
            Tile(t("value.health_mae"), f"{check.mae:.2f}", t("value.health_mae_help")),
        ]
    )
    st.caption(vu.health_range_text(check, lang))
    left, right = st.columns(2)
    labels = {
        "frequency": t("value.axis_frequency"),
        "predicted": t("value.health_series_predicted"),
        "actual": t("value.health_series_actual"),
        "customers": t("value.axis_customers"),
        "date": t("value.axis_date"),
    }
    report.chart(
        container=left,
        figure=charts.backtest_tracking(
            check.tracking,
            t("value.tracking_title", days=holdout),
            {**labels, "axis": t("value.axis_cumulative")},
        ),
    )
    report.chart(
        container=right,
        figure=charts.backtest_by_frequency(
            check.by_frequency,
            t("value.by_frequency_title"),
            {**labels, "axis": t("value.axis_mean_purchases")},
        ),
    )
    st.caption(vu.health_seasons_text(check, lang))

# --- which purchase model (the build's comparison) ------------------------------------------
st.markdown(f"**{t('model_choice.title')}**")
made = vu.stored_choice(ctx.version)
if made is None:
    st.caption(t("model_choice.not_built"))
else:
    st.markdown(vu.choice_text(made, lang))
    if made.comparison is not None:
        st.caption(vu.choice_caption(made.comparison, lang))
        show_table(vu.choice_table(made, lang))
        left, _ = st.columns(2)
        report.chart(container=left, figure=vu.decile_chart(made))
setting_now = vu.purchase_model_setting()
model_words = {choice: vu.model_label(choice) for choice in vu.PURCHASE_MODEL_CHOICES}
picked = st.selectbox(
    t("model_choice.setting"),
    vu.PURCHASE_MODEL_CHOICES,
    index=vu.PURCHASE_MODEL_CHOICES.index(setting_now),
    format_func=model_words.__getitem__,  # words of this run's language
    help=t("model_choice.setting_help"),
    key="value_purchase_model",
)
if st.button(t("model_choice.apply"), disabled=picked == setting_now, key="value_rebuild"):
    with st.spinner(t("model_choice.applying", model=vu.model_label(picked))):
        vu.use_purchase_model(picked)
    st.rerun()

with st.expander(t("value.parameters_title"), icon=":material/functions:"):
    st.caption(t("value.parameters_caption", model=purchase_model))
    parameters = vu.parameters(fitted)
    show_table(parameters)
    download_buttons(
        lambda: parameters,
        len(parameters),
        vu.parameter_columns(parameters),
        f"value-model-parameters-{as_of}",
        about=vu.value_about(ctx, settings, t("value.parameters_title")),
    )
