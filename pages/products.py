"""What to offer next: association rules between categories or products, the segments each
holds for, their backtest against the most popular items, and the target list's export."""

import streamlit as st

from ui import drill, filters, report
from ui import format as fmt
from ui import products as pr
from ui.empty import show_empty_state
from ui.export import download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.offers import item_labels
from ui.widgets import Tile, choice, customer_table, metric_row, show_table

ctx = page_context()
st.title(t("products.title"))
if show_empty_state(ctx):
    st.stop()
if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()
levels = pr.levels(ctx.version)
if not levels:
    st.info(t("products.no_items"), icon=":material/database:")
    st.stop()
lang = ctx.lang
chosen = filters.current()  # whose offers, items and segment counts (rules: every basket)
st.caption(t("products.caption", as_of=ctx.as_of))
results = st.container()  # the rules' figures first, filled once the controls below are read

# --- controls ---------------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
level = choice(
    t("products.level"),
    levels,
    levels[0],
    format_func=lambda v: t(f"products.level_{v}"),
    key="products_level",
    container=c1,
)
min_support = c2.select_slider(
    t("products.min_support"),
    pr.SUPPORT_STEPS,
    value=0.01,
    format_func=lambda v: fmt.percent(v),
    help=t("products.min_support_help"),
    key="products_support",
)
min_confidence = (
    c3.slider(
        t("products.min_confidence"),
        5,
        90,
        20,
        step=5,
        format="%d%%",
        help=t("products.min_confidence_help"),
        key="products_confidence",
    )
    / 100
)
knobs = (level, min_support, min_confidence)

# --- rules ------------------------------------------------------------------------------------
with st.spinner(t("products.computing")):
    found = pr.rules(ctx.as_of, ctx.version, *knobs)
    items = pr.bought_items(ctx.as_of, ctx.version, level, chosen)
    segments = pr.by_segment(ctx.as_of, ctx.version, *knobs, chosen)
results.subheader(t("products.rules_header"))
results.caption(t(f"products.basket_{found.basket}", baskets=fmt.count(found.baskets, lang)))
if chosen.active:
    results.caption(t("products.filtered_baskets"))
metric_row(
    [
        Tile(t("products.rule_count"), fmt.count(len(found.rules), lang), t("products.lift_help")),
        Tile(t(f"products.basket_count_{found.basket}"), fmt.count(found.baskets, lang)),
        Tile(t("products.item_count"), fmt.count(len(items), lang)),
    ],
    container=results,
)

# --- the most bought items: a bar opens its buyers ------------------------------------------------
st.subheader(t("products.items_header"))
if items.empty:
    st.info(t("products.no_items_bought"))
else:
    item_event = report.chart(
        pr.items_chart(items, level, ctx.as_of),
        on_select="rerun",
        selection_mode="points",
        key=pr.chart_key(),
    )
    drill.hint(t("products.items_click"))
    item = pr.pick_item(item_event, level)
    if item is not None:
        pr.buyers_section(ctx, knobs, item, chosen)

st.subheader(t("products.rules_list_header"))
if found.rules.empty:
    st.info(t("products.no_rules"))
else:
    report.chart(pr.rules_chart(found, ctx.as_of))
    show_table(pr.rules_table(found, segments, lang))
    make, exported = pr.rules_download(found, segments)
    download_buttons(
        make,
        len(found.rules),
        exported,
        f"rules-{level}-{ctx.as_of}",
        about=pr.target_about(ctx, knobs, t("products.rules_header"), chosen=chosen),
    )

    st.subheader(t("products.segments_header"))
    pairs = list(zip(found.rules["antecedent"], found.rules["consequent"], strict=True))
    names = item_labels(level)
    pair = st.selectbox(
        t("products.segments_rule"),
        pairs[: pr.RULE_ROWS],
        format_func=lambda p: t(
            "products.rule_arrow",
            antecedent=names.get(p[0], p[0]),
            consequent=names.get(p[1], p[1]),
        ),
        key="products_rule",
    )
    st.caption(t("products.segments_caption"))
    show_table(pr.segment_rows(segments, *pair))
    rule = t("products.rule_arrow", antecedent=names.get(pair[0], pair[0]),
             consequent=names.get(pair[1], pair[1]))  # fmt: skip
    make, count, exported = pr.segment_rows_download(segments, *pair)
    download_buttons(
        make,
        count,
        exported,
        f"rule-segments-{level}-{ctx.as_of}",
        about=pr.target_about(
            ctx, knobs, t("products.segments_header"), {t("products.segments_rule"): rule}, chosen
        ),
    )

# --- backtest ---------------------------------------------------------------------------------
st.subheader(t("products.backtest_header"))
at_once = pr.at_once(found)  # small data: at once; a large base on request (seconds)
if st.toggle(t("products.backtest_run"), at_once, key="products_backtest_run"):
    with st.spinner(t("products.computing")):
        pr.backtest_section(ctx, knobs)
else:
    st.caption(t("products.on_request", baskets=fmt.count(found.baskets, lang)))

# --- target list ------------------------------------------------------------------------------
st.subheader(t("products.targets_header"))
if not st.toggle(t("products.targets_run"), at_once, key="products_targets_run"):
    st.caption(t("products.on_request", baskets=fmt.count(found.baskets, lang)))
    st.stop()
with st.spinner(t("products.computing")):
    targets = pr.target_list(ctx.as_of, ctx.version, *knobs, chosen)
st.caption(
    t(
        "products.targets_caption",
        customers=fmt.count(pr.customers(targets), lang),
        rows=pr.LIST_ROWS,
    )
)
customer_table(
    pr.target_export(lambda: targets.head(pr.LIST_ROWS), found.basket, level)(),
    t("products.col_customer"),
    "products",
    "products_target_rows",
)
download_buttons(
    pr.target_rows(lambda: targets, found.basket, level),
    len(targets),
    pr.target_columns(),
    f"offers-{level}-{ctx.as_of}",
    about=pr.target_about(ctx, knobs, chosen=chosen),
)
