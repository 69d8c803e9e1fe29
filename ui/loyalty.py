"""Cached access to the loyalty simulator for pages/loyalty.py, its tables and the one-page
HTML summary.

The customer model is fitted once per (as-of date, data version) and kept as a resource; a
model that cannot be fitted comes back as the `Reason`, cached like a result, and the
simulation then runs in simple mode (fixed rates per tier from history). A simulation is
cached per programme (a frozen dataclass), so a rerun of the page does not run it again.

With the shared filters, the programme is offered to the chosen customers only: the
simulation runs on them (the models stay those fitted on everyone). A click on a bar of the
tier chart lists the customers of that tier, with their download.
"""

from __future__ import annotations

import datetime as dt
import html

import numpy as np
import pandas as pd
import streamlit as st

from core import loyalty
from core.clv import Reason
from core.filters import NO_FILTERS, Filters
from core.loyalty import (
    PRESETS,
    TIERS,
    LoyaltyModels,
    LoyaltyResult,
    Programme,
    SimpleHistory,
    TierTerms,
    UpliftSensitivity,
)
from ui import charts, data, drill, filters
from ui import format as fmt
from ui.export import columns as export_columns
from ui.export import columns_from_config, download_buttons, list_about
from ui.i18n import t
from ui.labels import label, labelled
from ui.widgets import Tile

RUNS = loyalty.OPENING_RUNS
SEED = loyalty.OPENING_SEED
MAX_COMPARED = 3
MIN_RETENTION_BUYERS = loyalty.MIN_RETENTION_BUYERS
MONEY_MEASURES = ("incremental_revenue", "incremental_margin", "programme_cost", "net_impact")
PRESET_NAMES = tuple(PRESETS)


@st.cache_resource(max_entries=4, show_spinner=False)
def models(as_of: dt.date, version: int) -> LoyaltyModels | Reason:
    """BG/NBD + Gamma-Gamma on customer_features, or why they cannot be fitted."""
    try:
        return loyalty.loyalty_models(data.cursor())
    except loyalty.ModelNotFitted as error:
        return error.reason


@st.cache_resource(max_entries=4, show_spinner=False)
def simple_history(as_of: dt.date, version: int) -> SimpleHistory | Reason:
    """Simple mode's history as of `as_of`, or why even simple mode cannot run."""
    try:
        return loyalty.simple_history(data.cursor(), as_of)
    except loyalty.SimpleModeUnavailable as error:
        return error.reason


def engine(
    as_of: dt.date, version: int, chosen: Filters = NO_FILTERS
) -> LoyaltyModels | SimpleHistory:
    """What the simulation runs on, offered to the chosen customers only: the fitted models
    with their inputs, or simple mode's history when the models cannot be fitted."""
    fitted = models(as_of, version)
    base = simple_history(as_of, version) if isinstance(fitted, Reason) else fitted
    return loyalty.offered_to(base, filters.ids(chosen, as_of, version))


@st.cache_resource(max_entries=16, show_spinner=False)
def simulate(
    as_of: dt.date, programme: Programme, version: int, chosen: Filters = NO_FILTERS
) -> tuple[LoyaltyResult, UpliftSensitivity]:
    """The Monte Carlo of `programme` (RUNS runs, a fixed seed: the same knobs, the same
    result) and, on its draws, net impact against the share of the assumed uplifts with
    the break-even share: on the customer model, or in simple mode when it is not fitted;
    offered to the customers `chosen` filters choose."""
    if not chosen.active:  # the opening view: the build keeps it
        kept = loyalty.kept_simulation(data.cursor(), as_of, programme, RUNS, SEED)
        if kept is not None:
            return kept
    offered = engine(as_of, version, chosen)
    if isinstance(offered, SimpleHistory):
        engine_args = {"history": offered}
    else:
        engine_args = {"models": offered}
    return loyalty.simulate_with_sensitivity(
        data.cursor(), programme, runs=RUNS, seed=SEED, **engine_args
    )


def save(name: str, programme: Programme, result: LoyaltyResult) -> None:
    loyalty.save_scenario(data.cursor(), name, programme, loyalty.result_summary(result))


def scenarios() -> list[dict]:
    return loyalty.saved_scenarios(data.cursor())


def programme_from_form(preset: Programme, values: dict) -> Programme:
    """The preset with the form's knobs; percentages in the form are whole numbers."""
    tiers = {
        tier: TierTerms(
            discount=values[f"{tier}_discount"] / 100,
            perk_cost=preset.tier(tier).perk_cost,
            purchase_uplift=values[f"{tier}_purchase_uplift"] / 100,
            retention_uplift=values[f"{tier}_retention_uplift"] / 100,
        )
        for tier in TIERS
    }
    return preset.replace(
        earn_rate=float(values["earn_rate"]),
        point_value=float(values["point_value"]),
        redemption_rate=values["redemption_rate"] / 100,
        participation=values["participation"] / 100,
        referral_reward=float(values["referral_reward"]),
        fixed_cost=float(values["fixed_cost"]),
        horizon_months=int(values["horizon_months"]),
        gross_margin=values["margin"] / 100,
        **tiers,
    )


# --- the programme as a form ---------------------------------------------------------------


def programme_input(preset_name: str, lang: str, currency: str | None) -> Programme:
    """The programme form, starting from preset `preset_name` (each preset keeps its own
    knobs); returns the programme in force: the last one run, the preset's until the form
    is first submitted."""
    preset = PRESETS[preset_name]
    k = f"loyalty_{preset_name}_"  # each preset keeps its own knobs
    with st.form(f"loyalty_form_{preset_name}", border=True):
        a, b, c, d = st.columns(4)
        values = {
            "earn_rate": a.number_input(
                earn_rate_label(lang, currency),
                0.0,
                100.0,
                preset.earn_rate,
                0.5,
                key=k + "earn_rate",
                help=t("loyalty.earn_rate_help"),
            ),
            "point_value": b.number_input(
                money_field("loyalty.point_value", lang, currency),
                0.0,
                10.0,
                preset.point_value,
                0.005,
                format="%.3f",
                key=k + "point_value",
                help=t("loyalty.point_value_help"),
            ),
            "redemption_rate": c.slider(
                t("loyalty.redemption_rate"),
                0,
                100,
                round(preset.redemption_rate * 100),
                format="%d%%",
                key=k + "redemption_rate",
                help=t("loyalty.redemption_rate_help"),
            ),
            "participation": d.slider(
                t("loyalty.participation"),
                0,
                100,
                round(preset.participation * 100),
                format="%d%%",
                key=k + "participation",
                help=t("loyalty.participation_help"),
            ),
        }
        st.markdown(f"**{t('loyalty.tiers_heading')}**")
        for column, tier in zip(st.columns(3), TIERS, strict=True):
            terms = preset.tier(tier)
            column.markdown(label("value_tier", tier))
            for field, value, top in (
                ("discount", terms.discount, 30),
                ("purchase_uplift", terms.purchase_uplift, 100),
                ("retention_uplift", terms.retention_uplift, 100),
            ):
                values[f"{tier}_{field}"] = column.slider(
                    t(f"loyalty.{field}"),
                    0,
                    top,
                    round(value * 100),
                    format="%d%%",
                    key=k + f"{tier}_{field}",
                    help=t(f"loyalty.{field}_help"),
                )
        a, b, c, d = st.columns(4)
        values["referral_reward"] = a.number_input(
            money_field("loyalty.referral_reward", lang, currency),
            0.0,
            10_000.0,
            preset.referral_reward,
            10.0,
            key=k + "referral_reward",
            help=t("loyalty.referral_reward_help"),
        )
        values["fixed_cost"] = b.number_input(
            money_field("loyalty.fixed_cost", lang, currency),
            0.0,
            1e9,
            preset.fixed_cost,
            10_000.0,
            key=k + "fixed_cost",
            help=t("loyalty.fixed_cost_help"),
        )
        values["horizon_months"] = c.slider(
            t("loyalty.horizon"),
            3,
            36,
            preset.horizon_months,
            key=k + "horizon_months",
            help=t("loyalty.horizon_help"),
        )
        values["margin"] = d.slider(
            t("loyalty.margin"),
            5,
            100,
            round(preset.gross_margin * 100),
            format="%d%%",
            key=k + "margin",
            help=t("loyalty.margin_help"),
        )
        submitted = st.form_submit_button(t("loyalty.run"), type="primary")
    if submitted or st.session_state.get("loyalty_run", (None,))[0] != preset_name:
        st.session_state["loyalty_run"] = (preset_name, programme_from_form(preset, values))
    return st.session_state["loyalty_run"][1]


# --- labels and figures ------------------------------------------------------------------


def _roi(value: float) -> str:
    return fmt.percent(value, 0)


def show(measure: str, value: float, lang: str, currency: str | None) -> str:
    """A measure's value as the page shows it: money, or ROI as a percentage."""
    return _roi(value) if measure == "roi" else fmt.money(value, lang, currency)


def headline(
    result: LoyaltyResult, programme: Programme, lang: str, currency: str | None
) -> list[Tile]:
    """The headline tiles: per measure its mean with "between x and y" under it, then the
    chance the programme pays and the month it pays back (the page and the summary show
    the same figures)."""
    rows = result.summary.set_index("measure")
    tiles = []
    for measure in (*MONEY_MEASURES, "points_liability", "roi"):
        row = rows.loc[measure]
        tiles.append(
            Tile(
                t(f"loyalty.m_{measure}"),
                show(measure, row["mean"], lang, currency),
                t(f"loyalty.m_{measure}_help"),
                caption=t(
                    "loyalty.between",
                    low=show(measure, row["p5"], lang, currency),
                    high=show(measure, row["p95"], lang, currency),
                ),
            )
        )
    return [
        *tiles,
        Tile(
            t("loyalty.p_positive"),
            fmt.percent(result.p_positive, 0),
            t("loyalty.p_positive_help"),
        ),
        Tile(
            t("loyalty.payback"),
            payback_text(result.payback_month),
            t("loyalty.payback_help"),
            caption=t("loyalty.payback_caption", months=programme.horizon_months),
        ),
    ]


def net_impact(result: LoyaltyResult) -> dict[str, float]:
    """The simulated net impact: mean, p5 and p95."""
    return result.summary.set_index("measure").loc["net_impact"].to_dict()


def verdict(
    result: LoyaltyResult,
    found: UpliftSensitivity,
    programme: Programme,
    lang: str,
    currency: str | None,
) -> tuple[bool, str]:
    """Whether the programme is worth it (a positive mean net impact) and the verdict in
    one line: the net impact over the horizon at the assumed uplifts, then where it breaks
    even (or, in words, why it does not within the range)."""
    net = net_impact(result)["mean"]
    worth = net > 0
    share = found.break_even
    largest = float(found.curve["share"].max())
    outcome = found.outcome
    if outcome == "no_uplift" and programme.referrals_per_member > 0:
        outcome = "no_uplift_referrals"  # no uplift, yet referrals can gain
    clause = t(
        f"loyalty.verdict_{outcome}",
        share=fmt.percent(share, 0) if share is not None else "",
        largest=fmt.percent(largest, 0),
    )
    line = t(
        "loyalty.verdict_worth" if worth else "loyalty.verdict_not_worth",
        net=("+" if worth else "") + fmt.money(net, lang, currency),
        months=programme.horizon_months,
        clause=clause,
    )
    return worth, line


def offered_text(chosen: Filters, result: LoyaltyResult, lang: str) -> str | None:
    """With filters, who the programme is offered to (the filters and how many customers the
    simulation runs on), for the verdict's caption; None without filters."""
    if not chosen.active:
        return None
    named = "; ".join(f"{k}: {v}" for k, v in filters.choices(chosen).items())
    return t("loyalty.offered_to", filters=named, customers=fmt.count(result.customers, lang))


def _uplift_words(uplifts: tuple[float, float]) -> str:
    purchase, retention = uplifts
    return t(
        "loyalty.uplift_words", purchase=fmt.percent(purchase), retention=fmt.percent(retention)
    )


def verdict_detail(found: UpliftSensitivity) -> str:
    """What the assumed uplifts mean, on average over members, and what the break-even
    uplift means (when there is one above zero)."""
    text = t("loyalty.verdict_assumed", uplifts=_uplift_words(found.assumed))
    if found.break_even:  # a break-even above zero, where the curve changes sign
        text += " " + t("loyalty.verdict_at_break_even", uplifts=_uplift_words(found.at_break_even))
    return text


def assumptions_text(
    result: LoyaltyResult,
    found: UpliftSensitivity,
    programme: Programme,
    lang: str,
    currency: str | None,
) -> str:
    """What the verdict rests on, in one line, for presentation mode (the programme's form
    is hidden there): the assumed uplifts on average over members, the gross margin and
    the simulated programme cost over the horizon; the break-even's uplifts when there is
    one above zero."""
    cost = result.summary.set_index("measure").loc["programme_cost", "mean"]
    text = t(
        "loyalty.presentation_assumptions",
        uplifts=_uplift_words(found.assumed),
        margin=fmt.percent(programme.gross_margin, 0),
        cost=fmt.money(cost, lang, currency),
        months=programme.horizon_months,
    )
    if found.break_even:
        text += " " + t("loyalty.verdict_at_break_even", uplifts=_uplift_words(found.at_break_even))
    return text


def sensitivity_chart(
    result: LoyaltyResult, found: UpliftSensitivity, lang: str, currency: str | None
):
    """The sensitivity figure with the page's labels, money in the page's units."""
    scale = fmt.money_axis_scale(lang)
    labels = {
        key: t(f"loyalty.sens_{key}")
        for key in ("x", "curve", "assumed", "break_even", "purchase", "retention")
    }
    labels["net"] = t("loyalty.m_net_impact")
    labels["axis"] = fmt.with_unit(
        t("loyalty.m_net_impact"), fmt.money_unit(lang, currency, scale), lang
    )
    return charts.loyalty_sensitivity(
        found.curve,
        net_impact(result),
        found.break_even,
        t("loyalty.sens_title", months=result.monthly["month"].max()),
        labels,
        scale,
        currency,
    )


def payback_text(month: int | None) -> str:
    if month is None:
        return t("loyalty.payback_never")
    if month == 0:
        return t("loyalty.payback_none")
    return t("loyalty.payback_month_n", month=month)


def method_text(result: LoyaltyResult, lang: str) -> str:
    """How the result was simulated, for the caption and the summary."""
    values = {
        "sample": fmt.count(result.sample_size, lang),
        "customers": fmt.count(result.customers, lang),
        "runs": result.runs,
    }
    if result.mode == "simple":
        return t("loyalty.method_simple", days=result.window_days, **values)
    return t("loyalty.method", **values)


MONEY = "money"  # a money column: its format comes from the currency
TIER_FORMATS = {
    "tier": None,
    "members": "%,.0f",
    "incremental_revenue": MONEY,
    "incremental_margin": MONEY,
    "programme_cost": MONEY,
    "points_liability": MONEY,
    "net_impact": MONEY,
    "subsidy_share": "%.0f%%",
}


RATE_FORMATS = {
    "tier": None,
    "customers": "%,d",
    "purchases_per_month": "%.2f",
    "spend_per_purchase": MONEY,
    "monthly_retention": "%.1f%%",
}


def _tier_frame(
    frame: pd.DataFrame, formats: dict, percent: str, currency: str | None
) -> tuple[pd.DataFrame, dict]:
    """`frame`'s columns in `formats` with tier labels and `percent` times 100, and the
    column config (labels from loyalty.col_<name>)."""
    frame = frame[list(formats)].copy()
    frame["tier"] = frame["tier"].map(lambda tier: label("value_tier", tier))
    frame[percent] = frame[percent] * 100
    config = {}
    for name, number_format in formats.items():
        heading = t(f"loyalty.col_{name}")
        if number_format is None:  # the tier: what a value tier is, on hover
            config[name] = st.column_config.TextColumn(heading, help=t("glossary.value_tier"))
        else:
            if number_format == MONEY:
                number_format = fmt.money_column(currency)
            config[name] = st.column_config.NumberColumn(heading, format=number_format)
    return frame, config


def tier_table(by_tier: pd.DataFrame, currency: str | None) -> tuple[pd.DataFrame, dict]:
    """The per-tier results with labels (subsidy share times 100), and the column config."""
    return _tier_frame(by_tier, TIER_FORMATS, "subsidy_share", currency)


def rates_table(rates: pd.DataFrame, currency: str | None) -> tuple[pd.DataFrame, dict]:
    """Simple mode's fixed rates per tier (retention times 100), and the column config."""
    return _tier_frame(rates, RATE_FORMATS, "monthly_retention", currency)


def pooled_tiers(rates: pd.DataFrame, lang: str) -> str | None:
    """The tiers that use all tiers' retention, as one label list (None when none do)."""
    pooled = rates.loc[rates["pooled_retention"] & (rates["customers"] > 0), "tier"]
    return ("、" if lang == "zh" else ", ").join(label("value_tier", x) for x in pooled) or None


def comparison_table(
    saved: list[dict], names: list[str], lang: str, currency: str | None
) -> pd.DataFrame:
    """Chosen saved scenarios side by side: one row per figure, one column per scenario."""
    chosen = [s for s in saved if s["name"] in names][:MAX_COMPARED]
    rows = []
    for measure in loyalty.MEASURES:
        row = {t("loyalty.compare_figure"): t(f"loyalty.m_{measure}")}
        for s in chosen:
            values = s["summary"].get("measures", {}).get(measure)
            row[s["name"]] = (
                f"{show(measure, values['mean'], lang, currency)} "
                f"({show(measure, values['p5'], lang, currency)} – "
                f"{show(measure, values['p95'], lang, currency)})"
                if values
                else "–"
            )
        rows.append(row)
    extra = {
        "p_positive": lambda s: fmt.percent(s["summary"].get("p_positive"), 0),
        "payback": lambda s: payback_text(s["summary"].get("payback_month")),
        "method": lambda s: t(f"loyalty.method_{s['summary'].get('mode', 'model')}_short"),
        "participation": lambda s: fmt.percent(s["programme"].participation, 0),
        "horizon": lambda s: t("loyalty.months", months=s["programme"].horizon_months),
    }
    for key, value in extra.items():
        rows.append(
            {t("loyalty.compare_figure"): t(f"loyalty.compare_{key}")}
            | {s["name"]: value(s) for s in chosen}
        )
    return pd.DataFrame(rows)


def money_field(key: str, lang: str, currency: str | None) -> str:
    """The label of a money field of the form with the currency's unit (fmt.with_unit)."""
    return fmt.with_unit(t(key), fmt.money_unit(lang, currency), lang)


def earn_rate_label(lang: str, currency: str | None) -> str:
    """'Points per <one unit of money> spent' in the database's currency."""
    return t("loyalty.earn_rate", money=fmt.money(1, lang, currency, exact=True))


def assumptions(programme: Programme, lang: str, currency: str | None) -> list[tuple[str, str]]:
    """The programme's knobs as (label, value) rows, for the summary."""
    rows = [
        (earn_rate_label(lang, currency), f"{programme.earn_rate:g}"),
        (
            t("loyalty.point_value"),
            fmt.money(programme.point_value, lang, currency, exact=True)
            if programme.point_value >= 1
            else f"{fmt.symbol(currency)}{programme.point_value:g}",
        ),
        (t("loyalty.redemption_rate"), fmt.percent(programme.redemption_rate, 0)),
        (t("loyalty.participation"), fmt.percent(programme.participation, 0)),
    ]
    for tier in TIERS:
        terms = programme.tier(tier)
        rows.append(
            (
                label("value_tier", tier),
                t(
                    "loyalty.tier_terms",
                    discount=fmt.percent(terms.discount, 0),
                    purchase=fmt.percent(terms.purchase_uplift, 0),
                    retention=fmt.percent(terms.retention_uplift, 0),
                ),
            )
        )
    rows += [
        (
            t("loyalty.referral_reward"),
            fmt.money(programme.referral_reward, lang, currency, exact=True),
        ),
        (t("loyalty.fixed_cost"), fmt.money(programme.fixed_cost, lang, currency, exact=True)),
        (t("loyalty.horizon"), t("loyalty.months", months=programme.horizon_months)),
        (t("loyalty.margin"), fmt.percent(programme.gross_margin, 0)),
    ]
    return rows


def summary_document(
    result: LoyaltyResult,
    programme: Programme,
    tiles: list[Tile],
    as_of: dt.date,
    lang: str,
    currency: str | None,
    found: UpliftSensitivity | None = None,
) -> str:
    """The one-page HTML summary of `result`: the verdict first (with `found`, the
    sensitivity the page shows), the page's headline `tiles` (the chance and month of
    payback among them), the programme's assumptions and how it was simulated."""
    simple = result.mode == "simple"
    lead = ""
    if found is not None:
        lead = verdict(result, found, programme, lang, currency)[1].replace("**", "")
    return summary_html(
        t("loyalty.report_title"),
        t("loyalty.report_subtitle", as_of=as_of, customers=fmt.count(result.customers, lang)),
        [(tile.label, tile.value, tile.caption or "") for tile in tiles],
        t("loyalty.assumptions"),
        assumptions(programme, lang, currency),
        [
            *([verdict_detail(found), t("loyalty.sens_caption")] if found is not None else []),
            t("loyalty.report_simple_note" if simple else "loyalty.report_interval_note"),
            t("loyalty.subsidy_note", share=fmt.percent(result.subsidy_share, 0)),
            method_text(result, lang),
        ],
        lead=lead,
    )


def summary_html(
    title: str,
    subtitle: str,
    figures: list[tuple[str, str, str]],
    assumptions_title: str,
    assumptions: list[tuple[str, str]],
    notes: list[str],
    lead: str = "",
) -> str:
    """A one-page HTML summary: the `lead` (the verdict) in bold, the headline `figures`
    (label, value, interval), the `assumptions` (label, value) and `notes`. Pure: strings
    in, a document out."""
    e = html.escape
    figure_rows = "".join(
        f"<tr><th>{e(label)}</th><td class='v'>{e(value)}</td><td>{e(interval)}</td></tr>"
        for label, value, interval in figures
    )
    assumption_rows = "".join(
        f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in assumptions
    )
    note_items = "".join(f"<li>{e(note)}</li>" for note in notes)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:760px;margin:32px auto;color:#1d2433}"
        "h1{margin-bottom:4px}p.sub{color:#5b6478;margin-top:0}"
        "table{border-collapse:collapse;width:100%;margin:12px 0 24px}"
        "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e3e7ef}"
        "td.v{font-weight:600;font-size:1.1em}li{margin:4px 0;color:#3b4357}"
        "p.lead{font-weight:600;font-size:1.15em}"
        f"</style></head><body><h1>{e(title)}</h1><p class='sub'>{e(subtitle)}</p>"
        f"{f'<p class=lead>{e(lead)}</p>' if lead else ''}"
        f"<table>{figure_rows}</table><h2>{e(assumptions_title)}</h2>"
        f"<table>{assumption_rows}</table><ul>{note_items}</ul></body></html>"
    )


# --- the tier tables' downloads -------------------------------------------------------------


def table_download(
    ctx, frame: pd.DataFrame, config: dict, title: str, name: str, chosen: Filters
) -> None:
    """The download buttons of a per-tier table: `frame` is the result's own (shares as
    fractions), `config` the column config its table is shown with (`tier_table`,
    `rates_table`); the About sheet names the table and the filters."""
    shown = frame[list(config)].assign(tier=[label("value_tier", x) for x in frame["tier"]])
    download_buttons(
        lambda: shown,
        len(shown),
        columns_from_config(config, ctx.currency),
        f"{name}-{ctx.as_of}",
        about=list_about(ctx, "loyalty", title, filters=filters.choices(chosen)),
    )


def comparison_download(ctx, table: pd.DataFrame) -> None:
    """The download buttons of the saved scenarios side by side (as shown: figures in words
    and the page's units), with an About sheet."""
    download_buttons(
        lambda: table,
        len(table),
        export_columns({str(c): str(c) for c in table.columns}, {}, ctx.currency),
        f"loyalty-scenarios-{ctx.as_of}",
        about=list_about(ctx, "loyalty", t("loyalty.scenarios_title")),
    )


# --- the customers of a tier, from a click on the tier chart ------------------------------------

TIER_PICK = "loyalty_tier_pick"  # the tier whose customers are listed, while the list is open
TIERS_DRAWN = "_loyalty_tiers_drawn"  # closing the list redraws the chart under a new key
TIER_ROWS_KEY = "loyalty_tier_rows"
LIST_ROWS = 500


def tiers_chart(offered: pd.DataFrame, result: LoyaltyResult):
    """The tier chart: customers offered and members expected per value tier."""
    return charts.loyalty_tiers(
        loyalty.tier_counts(offered, result),
        {tier: label("value_tier", tier) for tier in TIERS},
        t("loyalty.tiers_chart_title"),
        {
            "customers": t("loyalty.tiers_offered"),
            "members": t("loyalty.tiers_members"),
            "tier": t("loyalty.col_tier"),
            "axis": t("loyalty.tiers_axis"),
        },
    )


def tiers_clickable() -> dict:
    """The `st.plotly_chart` arguments that make a click on a tier's bar list its customers."""
    key = drill.chart_key("loyalty_tiers_chart", TIERS_DRAWN)
    return drill.clickable(
        key, TIER_PICK, lambda event: tier_from_selection(event.get("selection"))
    )


def close_tier() -> None:
    drill.close(TIER_PICK, TIERS_DRAWN)


def tier_from_selection(selection) -> str | None:
    """The value tier a click on the tier chart picked (from its bar's customdata, not its
    translated label); None when no bar is selected."""
    for custom in drill.points({"selection": selection}):
        tier = str(np.atleast_1d(custom)[0])
        if tier in TIERS:
            return tier
    return None


@st.cache_data(max_entries=4, show_spinner=False)
def tier_customers(
    as_of: dt.date, tier: str, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    """The customers offered the programme in value `tier` (of the chosen)."""
    return loyalty.tier_customers(data.cursor(), engine(as_of, version, chosen).customers, tier)


def tier_columns(currency: str | None) -> dict:
    return {
        "customer_id": st.column_config.TextColumn(t("loyalty.col_customer_id")),
        "city": st.column_config.TextColumn(t("loyalty.col_city")),
        "acquisition_channel": st.column_config.TextColumn(t("loyalty.col_acquisition_channel")),
        "stars": st.column_config.TextColumn(t("loyalty.col_stars")),
        "predicted_clv": st.column_config.NumberColumn(
            t("loyalty.col_predicted_clv"), format=fmt.money_column(currency)
        ),
    }


def tier_list(ctx, chosen: Filters) -> None:
    """The customers of the tier clicked: which tier and how many, a Close button, the list
    (rows open Customer 360) and its download naming the chart, the tier, the as-of date
    and the filters."""
    tier = st.session_state.get(TIER_PICK)
    if tier not in TIERS:
        return
    frame = tier_customers(ctx.as_of, tier, ctx.version, chosen)
    heading = t(
        "loyalty.tier_picked", tier=label("value_tier", tier), n=fmt.count(len(frame), ctx.lang)
    )
    config = tier_columns(ctx.currency)
    about = list_about(
        ctx,
        "loyalty",
        heading,
        choices={
            t("loyalty.tier_chart"): t("loyalty.tiers_chart_title"),
            t("loyalty.col_tier"): label("value_tier", tier),
        },
        filters=filters.choices(chosen),
    )
    drill.customer_list(
        "loyalty_tier",
        fmt.plain(heading),
        labelled(frame.head(LIST_ROWS)),
        len(frame),
        page="loyalty",
        close_label=t("loyalty.tier_close"),
        on_close=close_tier,
        table=dict(height=320, column_config=config),
        download=dict(
            make=lambda: frame,
            columns=columns_from_config(config, ctx.currency),
            name=f"loyalty-{tier}-tier-{ctx.as_of}",
            about=about,
        ),
        chosen=chosen,
        more=t(
            "loyalty.tier_first",
            shown=fmt.count(LIST_ROWS, ctx.lang),
            total=fmt.count(len(frame), ctx.lang),
        ),
        empty=t("loyalty.tier_none"),
    )
