"""Stars: the star distribution (a bar clicked lists its tier just below), live sliders for
the rules with the draft's effect beside them (flows, net change per star, who moves), saved
versions made active after confirmation, migration between month ends and the service
playbook. The shared filters choose which customers are counted, each rated among all."""

import streamlit as st

from ui import charts, drill, filters, report
from ui import format as fmt
from ui import stars as sr
from ui.empty import show_empty_state
from ui.export import download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.session import PRESENT, switch_on
from ui.widgets import (
    Tile,
    choice,
    customer_table,
    metric_row,
    show_missing_inputs,
    show_table,
)

ctx = page_context()
st.title(t("stars.title"))
if show_empty_state(ctx):
    st.stop()
if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()

lang = ctx.lang
chosen = filters.current()
ids = filters.ids(chosen, ctx.as_of, ctx.version)
base = sr.base(ctx.as_of, ctx.version)
saved = sr.active(ctx.version)
score, rated, marks = sr.rate(base, saved.rules)
rated = sr.chosen_only(base, rated, ids)  # the thresholds (marks) are the whole base's
dist = sr.distribution(base, rated)
source = "stars.inputs_model" if base.uses["growth"] == "model" else "stars.inputs_fallback"
st.caption(
    t("stars.caption", as_of=ctx.as_of, name=sr.rules_name(saved), version=saved.version)
    + " "
    + t(source if base.from_build else "stars.inputs_other_day")
)
show_missing_inputs(ctx.version, ("margin", "csat", "complaints", "engagement"))
if chosen.active:
    st.caption(t("stars.filtered_note"))
star_names = [sr.star_label(s) for s in sr.STARS]

# --- distribution ---------------------------------------------------------------------------
headline = sr.headline(dist, saved.rules)
tiles = {
    "rated": fmt.count(headline.rated, lang),
    "five_stars": fmt.count(headline.five_stars, lang),
    "high_value_share": fmt.percent(headline.high_value_share),
    "high_value_revenue": fmt.percent(headline.high_value_revenue_share),
}
metric_row(Tile(t(f"stars.{key}"), value, t(f"stars.{key}_help")) for key, value in tiles.items())

labels = {
    "stars": star_names,
    "axis": t("stars.col_stars"),
    "customers": t("stars.customers"),
    "revenue": t("stars.revenue_12m"),
    "saved": t("stars.saved_rules"),
    "draft": t("stars.draft_rules"),
}
LIST_KEY = "stars_list"  # the tier list's select box, which a click on a bar sets
distribution_title = t("stars.distribution_title", as_of=ctx.as_of)
clicked = report.chart(
    charts.star_bars(dist, distribution_title, labels, currency=ctx.currency),
    on_select="rerun",
    selection_mode="points",
    key="stars_distribution",
)
sr.follow_click(clicked, LIST_KEY)
drill.hint(t("stars.distribution_click"))
show_table(sr.distribution_table(dist, lang, ctx.currency))
download_buttons(
    sr.distribution_export(dist),
    len(dist),
    sr.distribution_export_columns(ctx.currency),
    f"startier-star-distribution-{ctx.as_of}",
    about=sr.distribution_about(ctx, distribution_title, chosen),
)
st.caption(t("stars.distribution_caption"))

# --- the customers of a tier (a click on a bar above chooses it) --------------------------------
st.subheader(t("stars.list_header"))
c1, c2 = st.columns([1, 3], vertical_alignment="center")
star = c1.selectbox(
    t("stars.list_star"), list(reversed(sr.STARS)), format_func=sr.star_label, key=LIST_KEY
)
tier = sr.tier_list(base, saved.rules, rated, star)
c2.markdown(
    f"**{t('stars.list_count', star=sr.star_label(star), count=fmt.count(len(tier), lang))}**"
)
st.caption(t("stars.list_caption", count=fmt.count(len(tier), lang), rows=sr.LIST_ROWS))
customer_table(
    sr.shown_list(tier),
    t("stars.col_customer_id"),
    "stars",
    "stars_tier_rows",
    money=sr.list_money_labels(),
    currency=ctx.currency,
)
download_buttons(
    sr.tier_export(base, saved.rules, rated, star),
    len(tier),
    sr.tier_columns(tier, ctx.currency),
    f"startier-{star}-stars-{ctx.as_of}",
    about=sr.tier_about(ctx, star, chosen),
)

with st.expander(t("stars.how_header")):
    st.markdown(sr.how_it_works(base.uses))


# --- try new rules ----------------------------------------------------------------------------
# The sliders stack in a narrow column and the draft's effect (tiles, then the draft's
# distribution against the active one) stands beside them, so every slider move shows its
# effect without scrolling: at 1400 px the two columns are about 370 and 560 px wide, enough
# for a slider's label and for four tiles two to a row.
@st.fragment
def try_rules():
    st.subheader(t("stars.try_header"))
    st.caption(t("stars.try_caption"))
    inputs, effect_column = st.columns([2, 3], gap="large")
    draft = sr.rules_input(saved, inputs)
    _, draft_stars, draft_marks = sr.rate(base, draft)
    draft_stars = sr.chosen_only(base, draft_stars, ids)
    effect = sr.change(base, rated, draft_stars)
    inputs.caption(sr.thresholds_text(draft, draft_marks))
    metric_row(
        [
            Tile(t("stars.moved_up"), fmt.count(effect.moved_up, lang)),
            Tile(t("stars.moved_down"), fmt.count(effect.moved_down, lang)),
            Tile(t("stars.revenue_up"), fmt.money(effect.revenue_up, lang, ctx.currency)),
            Tile(t("stars.revenue_down"), fmt.money(effect.revenue_down, lang, ctx.currency)),
        ],
        columns=2,
        container=effect_column,
    )
    if not base.from_build:
        effect_column.caption(t("stars.effect_other_day", as_of=ctx.as_of))
    report.chart(
        container=effect_column,
        figure=charts.star_bars(
            dist, t("stars.compare_title"), labels, draft=effect.draft, currency=ctx.currency
        ),
    )

    st.markdown(f"#### {t('stars.flow_header')}")
    flow_column, net_column = st.columns([3, 2], gap="large")
    keys = sr.flow_keys("stars")
    report.chart(
        container=flow_column,
        figure=charts.flow_sankey(
            sr.labelled_flows(effect.flows, "saved", "draft"),
            keys,
            keys,
            t("stars.flow_title"),
            t("stars.saved_rules"),
            t("stars.draft_rules"),
            colors=sr.flow_colors("stars"),
            ranked=True,
        ),
    )
    flow_column.caption(t("stars.flow_caption"))
    net_column.markdown(f"**{t('stars.net_header')}**")
    net_column.markdown(sr.net_text(sr.net_change(effect.flows), lang))

    st.markdown(f"#### {t('stars.moves_header')}")
    movers = sr.moves(base, saved.rules, rated, draft, draft_stars)
    st.caption(t("stars.moves_caption", count=fmt.count(len(movers), lang), rows=sr.LIST_ROWS))
    customer_table(
        sr.shown_moves(movers),
        t("stars.col_customer_id"),
        "stars",
        "stars_moves_rows",
        money=sr.moves_money_labels(),
        currency=ctx.currency,
        column_config=sr.moves_column_config(),
    )
    download_buttons(
        sr.moves_export(movers),
        len(movers),
        sr.moves_export_columns(ctx.currency),
        f"startier-star-moves-{ctx.as_of}",
        about=sr.moves_about(ctx, draft, chosen),
    )
    sr.save_form(draft, saved, ctx.version)


if not switch_on(PRESENT):  # its sliders are hidden there: the draft is the active rules
    try_rules()
sr.version_switch(saved, ctx)

# --- migration between month ends ---------------------------------------------------------
st.subheader(t("stars.migration_header"))
ends = sr.month_ends(ctx.version)
if len(ends) < 2:
    st.info(t("stars.migration_empty"))
else:
    c1, c2, c3 = st.columns(3)
    start = c1.selectbox(t("stars.migration_from"), ends, index=max(len(ends) - 13, 0))
    end = c2.selectbox(t("stars.migration_to"), ends, index=len(ends) - 1)
    by = choice(
        t("stars.migration_by"),
        ["stars", "segment"],
        "stars",
        format_func=lambda key: t(f"stars.by_{key}"),
        key="stars_migration_by",
        container=c3,
    )
    moved = sr.flows(start, end, by, chosen, ctx.as_of, ctx.version)
    keys = sr.flow_keys(by)
    report.chart(
        charts.flow_sankey(
            sr.labelled_flows(moved, "source", "target", by),
            keys,
            keys,
            t("stars.migration_title", start=start, end=end),
            f"{start}",
            f"{end}",
            colors=sr.flow_colors(by),
            ranked=by == "stars",
        ),
    )
    st.caption(t("stars.migration_caption"))

# --- playbook, one customer, export -----------------------------------------------------------
st.subheader(t("stars.playbook_header"))
show_table(sr.playbook(saved.rules))
playbook = sr.playbook_rows(saved.rules)  # its actions in the reader's language, read now
download_buttons(
    lambda: playbook,
    len(playbook),
    sr.playbook_columns(),
    f"startier-star-playbook-{ctx.as_of}",
    about=sr.playbook_about(ctx),
)


st.subheader(t("stars.move_header"))
example = sr.example_customer(base, saved.rules, rated)
customer = st.text_input(t("stars.move_customer"), value=example, key="stars_move")
st.markdown(sr.move_text(base, saved.rules, marks, customer))
