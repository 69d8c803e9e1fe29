"""Satisfaction and service: CSAT and NPS trends, complaints, what unhappy customers are worth,
the loyalty index, and the list of valuable unhappy customers to call."""

import streamlit as st

from ui import charts, data
from ui import format as fmt
from ui import satisfaction as sat
from ui.empty import show_empty_state
from ui.export import download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.session import lifecycle_rules
from ui.widgets import change_metric, choice, show_table

ctx = page_context()
st.title(t("satisfaction.title"))
if show_empty_state(ctx):
    st.stop()
lang = ctx.lang
missing = data.missing_inputs(ctx.version)  # input -> why it is empty (None: it is there)
span = ctx.state.span
first_feedback = span.first("feedback") if span else None
first_order = span.first("transactions") if span else None
feedback_covered = sat.covers_previous([first_feedback], ctx.as_of)
loyalty_covered = sat.covers_previous([first_feedback, first_order], ctx.as_of)
st.caption(
    t(
        "satisfaction.caption" if feedback_covered else "satisfaction.caption_alone",
        as_of=ctx.as_of,
    )
)
absent = [code for code in dict.fromkeys(missing.get(k) for k in sat.PAGE_INPUTS) if code]
if absent:
    st.info(
        "\n\n".join([t("satisfaction.missing_intro"), *(sat.missing_text(c) for c in absent)]),
        icon=":material/info:",
    )
has_stars, basis = sat.models(ctx.version)
sla_hours = float(st.session_state.get("satisfaction_sla", sat.SLA_HOURS))  # drawn below
kpis = sat.kpis(ctx.as_of, sla_hours, ctx.version)
now, before = kpis.current, kpis.previous


def tile(column, key, value, change, covered, help_key=None, border=True):
    change_metric(
        column,
        t(f"satisfaction.{key}"),
        value,
        change,
        covered=covered,
        help=t(help_key) if help_key else None,
        border=border,
    )


referrals_known = ctx.state.referred_customers > 0
weights = sat.loyalty_weights(referrals_known)
loyalty_now, loyalty_before = now.loyalty_index(weights), before.loyalty_index(weights)
tiles = {  # catalog key -> (value, change, answers behind it, covered, missing input)
    "nps": (
        sat.score(now.nps, 0),
        sat.change(now.nps, before.nps),
        now.nps_answers,
        feedback_covered,
        missing.get("nps"),
    ),
    "csat": (
        sat.score(now.csat, 2),
        sat.change(now.csat, before.csat, 2),
        now.csat_answers,
        feedback_covered,
        missing.get("csat"),
    ),
    "satisfied": (
        fmt.percent(now.satisfied_share),
        sat.change(now.satisfied_share, before.satisfied_share, points=True),
        now.csat_answers,
        feedback_covered,
        missing.get("csat"),
    ),
    "loyalty": (
        sat.score(loyalty_now, 1),
        sat.change(loyalty_now, loyalty_before),
        now.buyers,
        loyalty_covered,
        missing.get("csat"),
    ),
}
for column, (key, (value, change, answers, covered, lacking)) in zip(
    st.columns(4), tiles.items(), strict=True
):
    if lacking:  # the input is not in the data: no figure and no change, say so
        column.metric(
            t(f"satisfaction.{key}"), fmt.UNKNOWN, help=t(f"satisfaction.{key}_help"), border=True
        )
        column.caption(t("satisfaction.not_in_data"))
        continue
    tile(column, key, value, change, covered, f"satisfaction.{key}_help")
    column.caption(t(f"satisfaction.{key}_basis", n=fmt.count(answers, lang)))
if not feedback_covered and first_feedback is not None:
    st.caption(
        t(
            "metric.no_previous_help",
            first=first_feedback,
            start=sat.previous_start(ctx.as_of),
        )
    )
with st.expander(t("satisfaction.loyalty_parts")):
    st.caption(
        t("satisfaction.loyalty_formula" if referrals_known else "satisfaction.loyalty_formula_two")
    )
    for column, (key, value, previous, covered) in zip(
        st.columns(3),
        [
            ("repeat_rate", now.repeat_rate, before.repeat_rate, loyalty_covered),
            (
                "referral_rate",
                now.referral_rate if referrals_known else None,  # no referral data: unknown
                before.referral_rate,
                loyalty_covered,
            ),
            ("satisfied", now.satisfied_share, before.satisfied_share, feedback_covered),
        ],
        strict=True,
    ):
        tile(
            column,
            key,
            fmt.percent(value),
            sat.change(value, previous, points=True),
            covered,
            border=False,
        )

# --- trends ---------------------------------------------------------------------------------
st.subheader(t("satisfaction.trend_header"))
metric_col, split_col, min_col = st.columns([2, 3, 1])
metric = choice(
    t("satisfaction.metric"),
    ["nps", "csat", "satisfied_share"],
    sat.opening_measure(missing),
    format_func=lambda m: t(f"satisfaction.metric_{m}"),
    key="satisfaction_metric",
    container=metric_col,
)
by = choice(
    t("satisfaction.split"),
    sat.GROUPINGS,
    "all",
    format_func=lambda b: t(f"satisfaction.split_{b}"),
    key="satisfaction_split",
    container=split_col,
)
min_answers = int(
    min_col.number_input(
        t("satisfaction.min_answers"),
        min_value=1,
        max_value=1000,
        value=sat.opening_min_answers(ctx.as_of, ctx.version),
        step=5,
        help=t("satisfaction.min_answers_help"),
        key="satisfaction_min_answers",
    )
)
if by == "stars" and not has_stars:
    st.info(t("satisfaction.stars_pending"), icon=":material/star:")
else:
    trend = sat.trend(ctx.as_of, by, min_answers, ctx.version)
    keys = sat.group_keys(trend)
    thin = sat.thin_points(trend, metric)
    if lacking := missing.get(sat.MEASURE_INPUT[metric]):
        st.info(sat.missing_text(lacking))
    elif not sat.has_answers(trend, metric):
        st.info(t("satisfaction.no_answers"))
    elif thin == len(trend):
        st.info(t("satisfaction.too_few_answers", n=min_answers))
    else:
        st.plotly_chart(
            charts.satisfaction_trend(
                trend,
                metric,
                sat.group_labels(by, keys),
                t(f"satisfaction.trend_title_{metric}", split=t(f"satisfaction.split_{by}")),
                {
                    "month": t("satisfaction.month"),
                    "metric": t(f"satisfaction.metric_{metric}"),
                    "answers": t("satisfaction.answers"),
                },
                split=by,
            ),
        )
        if thin:
            st.caption(t("satisfaction.thin_points", thin=thin, total=len(trend), n=min_answers))
    if by == "category" and keys == ["unspecified"]:
        st.caption(t("satisfaction.no_categories"))
    with st.expander(t("satisfaction.group_table")):
        show_table(
            sat.group_table(sat.by_group(ctx.as_of, by, min_answers, ctx.version), by),
            column_config=sat.group_columns(),
        )

# --- complaints -------------------------------------------------------------------------------
st.subheader(t("satisfaction.complaints_header"))
if lacking := missing.get("complaints"):
    st.info(sat.missing_text(lacking))
else:
    sla_col, _ = st.columns([1, 4])
    sla_col.number_input(
        t("satisfaction.sla"),
        min_value=1,
        max_value=24 * 90,
        value=int(sat.SLA_HOURS),
        step=4,
        help=t("satisfaction.sla_help"),
        key="satisfaction_sla",
    )
    ages, open_count, oldest = sat.backlog(ctx.as_of, ctx.version)
    for column, (key, value) in zip(
        st.columns(4),
        [
            ("complaints", fmt.count(now.complaints, lang)),
            ("median_resolution", sat.hours(now.median_resolution_hours, lang)),
            ("within_sla", fmt.percent(now.sla_share)),
            ("backlog", fmt.count(open_count, lang)),
        ],
        strict=True,
    ):
        column.metric(
            t(f"satisfaction.{key}", hours=f"{sla_hours:g}"),
            value,
            help=t(f"satisfaction.{key}_help", hours=f"{sla_hours:g}"),
            border=True,
        )
    complaints = sat.complaints(ctx.as_of, sla_hours, ctx.version)
    left, right = st.columns([2, 1])
    if sat.complaint_total(complaints) == 0:
        left.info(t("satisfaction.no_complaints"))
    else:
        left.plotly_chart(
            charts.complaints_by_category(
                complaints,
                sat.category_labels(complaints),
                t("satisfaction.complaints_title", hours=f"{sla_hours:g}"),
                {
                    "month": t("satisfaction.month"),
                    "complaints": t("satisfaction.complaints"),
                    "sla_share": t("satisfaction.within_sla", hours=f"{sla_hours:g}"),
                },
            ),
        )
    right.plotly_chart(
        charts.backlog_ages(
            sat.age_labels(),
            ages["complaints"].tolist(),
            t("satisfaction.backlog_title"),
            t("satisfaction.backlog"),
            t("satisfaction.axis_age"),
        ),
    )
    right.caption(
        t("satisfaction.oldest", days=f"{oldest:,.1f}", as_of=ctx.as_of)
        if oldest is not None
        else t("satisfaction.backlog_none", as_of=ctx.as_of)
    )

# --- satisfaction and value -------------------------------------------------------------------
st.subheader(t("satisfaction.value_header"))
rules = lifecycle_rules()
report = sat.value_report(ctx.as_of, rules, ctx.version)
summary = report.summary
left, right = st.columns([3, 2])
band_measure = sat.bands_measure(missing)  # NPS bands; CSAT bands when there is no NPS
if band_measure is None:
    left.info(sat.missing_text(missing.get("nps")))
else:
    bands = sat.churn_bands(report, band_measure)
    words = "" if band_measure == "nps" else "_csat"
    left.plotly_chart(
        charts.churn_by_band(
            bands,
            [sat.band_label(b) for b in bands["band"]],
            t(f"satisfaction.bands_title{words}", as_of=ctx.as_of),
            {
                "churn_rate": t("satisfaction.churn_rate"),
                "at_risk_rate": t("satisfaction.at_risk_rate"),
                "buyers": t("satisfaction.buyers"),
                "rate": t("satisfaction.share_of_buyers"),
                "band": t("satisfaction.axis_band"),
            },
        ),
    )
    left.caption(t(f"satisfaction.bands_caption{words}"))
for key, amount, share, customers, lacking in (
    (
        "detractor_value",
        summary.detractor_value,
        summary.detractor_value_share,
        summary.detractors,
        missing.get("nps"),
    ),
    (
        "open_complaint_value",
        summary.open_complaint_value,
        summary.open_complaint_value_share,
        summary.open_complaint_customers,
        missing.get("complaints"),
    ),
):
    if lacking:  # unknown, not zero
        right.metric(
            t(f"satisfaction.{key}"), fmt.UNKNOWN, help=t(f"satisfaction.{key}_help"), border=True
        )
        right.caption(t("satisfaction.not_in_data"))
        continue
    right.metric(
        t(f"satisfaction.{key}"),
        fmt.money(amount, lang, ctx.currency),  # '–' when the value is unknown
        help=t(f"satisfaction.{key}_help"),
        border=True,
    )
    right.caption(
        t("satisfaction.unhappy_top_count", customers=fmt.count(customers, lang))
        if amount is None  # no value known: no share of it
        else t(
            "satisfaction.value_share",
            share=fmt.percent(share),
            customers=fmt.count(customers, lang),
        )
    )
if has_stars and all(missing.get(k) for k in ("nps", "csat", "complaints")):
    right.metric(t("satisfaction.unhappy_top"), fmt.UNKNOWN, border=True)  # nothing to judge by
    right.caption(t("satisfaction.not_in_data"))
elif has_stars:
    right.metric(
        t("satisfaction.unhappy_top"),
        fmt.money(summary.unhappy_top_tier_value, lang, ctx.currency),
        help=t("satisfaction.unhappy_top_help"),
        border=True,
    )
    right.caption(
        t("satisfaction.unhappy_top_count", customers=fmt.count(summary.unhappy_top_tier, lang))
    )
else:
    right.info(t("satisfaction.stars_pending"), icon=":material/star:")
# no buyer has a value: the value model could not run on these data (unknown, not 0)
value_unknown = summary.value is None and basis == "predicted"
st.caption(t("satisfaction.value_unknown" if value_unknown else f"satisfaction.basis_{basis}"))

# --- the list to call -------------------------------------------------------------------------
st.subheader(t("satisfaction.list_header"))
st.caption(t("satisfaction.list_caption"))
top_only = st.toggle(
    t("satisfaction.top_only"),
    value=False,
    disabled=not has_stars,
    help=t("satisfaction.top_only_help") if has_stars else t("satisfaction.stars_pending"),
    key="satisfaction_top_only",
)
result = sat.unhappy(ctx.as_of, rules, top_only and has_stars, ctx.version)
st.caption(
    t(
        "satisfaction.list_count",
        total=fmt.count(result.total, lang),
        shown=fmt.count(len(result.customers), lang),
    )
)
if result.total:
    show_table(
        sat.list_table(result.customers),
        height=320,
        column_config=sat.list_columns(basis, has_stars, ctx.currency, missing),
    )
    download_buttons(
        sat.list_export(ctx.as_of, rules, top_only and has_stars, basis, ctx.currency),
        result.total,
        len(sat.column_names(basis)),
        f"value-at-risk-{ctx.as_of}",
    )
