"""Segments: the RFM grid, what each segment is and what to do, k-means clusters, key
accounts and the Pareto curve of margin, and each list's export."""

import streamlit as st

from ui import charts, drill, filters, report
from ui import format as fmt
from ui import segments as sg
from ui.empty import show_empty_state
from ui.export import download_buttons
from ui.frame import page_context
from ui.i18n import t
from ui.widgets import (
    Tile,
    choice,
    customer_table,
    metric_row,
    show_missing_inputs,
    show_table,
)

ctx = page_context()
st.title(t("segments.title"))
if show_empty_state(ctx):
    st.stop()
if ctx.state.transactions == 0:
    st.info(t("empty.no_transactions"))
    st.stop()
lang = ctx.lang
chosen = filters.current()  # the customers counted, charted and listed (segments are the base's)
st.caption(t("segments.caption", as_of=ctx.as_of))
show_missing_inputs(ctx.version, ("margin",))

# --- RFM grid ---------------------------------------------------------------------------------
st.subheader(t("segments.grid_header"), help=t("glossary.rfm"))
measure = choice(
    t("segments.grid_measure"),
    ["customers", "revenue"],
    "customers",
    format_func=lambda m: t(f"segments.measure_{m}"),
    key="segments_measure",
)
with st.spinner(t("segments.computing")):  # seconds at a million customers, off the build's day
    cells = sg.labelled_grid(sg.grid(ctx.as_of, chosen, ctx.version))
grid_labels = {
    "r": t("segments.axis_r"),
    "f": t("segments.axis_f"),
    "customers": t("segments.measure_customers"),
    "revenue": t("segments.measure_revenue"),  # the hover writes amounts whole
    "revenue_axis": fmt.with_unit(
        t("segments.measure_revenue"),
        fmt.money_unit(lang, ctx.currency, fmt.money_axis_scale(lang)),
        lang,
    ),
}
grid_title = t(f"segments.grid_title_{measure}", as_of=ctx.as_of)
grid_event = report.chart(
    charts.rfm_heatmap(
        cells,
        measure,
        grid_title,
        grid_labels,
        fmt.money_axis_scale(lang),
        ctx.currency,
    ),
    on_select="rerun",
    selection_mode="points",
    key=sg.chart_key(sg.GRID_CHART),
)
st.caption(t("segments.grid_caption"))
drill.hint(t("segments.grid_click"))
cell = sg.pick_cell(grid_event)
if cell is not None:
    r, f = cell
    rows = sg.cell_list(ctx.as_of, r, f, chosen, ctx.version)
    name = sg.segment_label(cells.set_index(["r_score", "f_score"]).loc[(r, f), "segment"])
    picked = t("segments.drill_cell_words", r=r, f=f, segment=name)
    sg.drill_list(
        ctx,
        sg.GRID_CHART,
        rows,
        t("segments.drill_cell", cell=picked, count=fmt.count(len(rows), lang)),
        sg.about_sheet(ctx, grid_title, {t("segments.drill_picked"): picked}, chosen),
        f"segments-r{r}-f{f}-{ctx.as_of}",
    )

st.subheader(t("segments.table_header"))
table = sg.summary(ctx.as_of, chosen, ctx.version)
table_event = show_table(
    sg.segment_table(table, lang, ctx.currency),
    on_select="rerun",
    selection_mode="single-row",
    key="segments_table_rows",
)
sg.follow_table_row(table_event, table)  # a row clicked chooses the list's segment below
drill.hint(t("segments.table_click"))
make, exported = sg.summary_download(table, ctx.currency)
download_buttons(
    make,
    len(table),
    exported,
    f"segments-{ctx.as_of}",
    about=sg.about_sheet(ctx, t("segments.table_header"), {}, chosen),
)
segment = st.selectbox(
    t("segments.list_segment"), list(sg.SEGMENTS), format_func=sg.segment_label, key="seg_list"
)
members = sg.segment_list(ctx.as_of, segment, ctx.version, chosen)
st.caption(t("segments.list_caption", count=fmt.count(len(members), lang), rows=sg.LIST_ROWS))
customer_table(
    sg.shown(members),
    sg.list_columns()["customer_id"],
    "segments",
    "segments_list_rows",
    money=sg.money_labels(),
    currency=ctx.currency,
)
download_buttons(
    lambda: sg.segment_list(ctx.as_of, segment, ctx.version, chosen),
    len(members),
    sg.export_columns(members, ctx.currency),
    f"segment-{segment}-{ctx.as_of}",
    about=sg.about_sheet(
        ctx,
        t("segments.list_segment"),
        {t("segments.col_segment"): sg.segment_label(segment)},
        chosen,
    ),
)

# --- clusters ---------------------------------------------------------------------------------
st.subheader(t("segments.clusters_header"))
with st.spinner(t("segments.computing")):
    sg.clusters_section(ctx, chosen)

# --- key accounts -----------------------------------------------------------------------------
st.subheader(t("segments.key_header"))
by_revenue = sg.measure(ctx.as_of, ctx.version) == "revenue"  # no cost: revenue ranks them
key_top = t("models.key_top_revenue") if by_revenue else t("segments.key_top")
top = st.slider(key_top, 1, 50, 20, format="%d%%", key="segments_top") / 100
carried, count = sg.key_accounts(ctx.as_of, top, chosen, ctx.version)
c1, c2 = st.columns([2, 3])
metric_row(
    [
        Tile(
            t(
                "models.key_metric_revenue" if by_revenue else "segments.key_metric",
                top=fmt.percent(top, 0),
            ),
            fmt.percent(carried),
            t("models.key_metric_revenue_help" if by_revenue else "segments.key_metric_help"),
        ),
        Tile(t("segments.key_count"), fmt.count(count, lang)),
    ],
    columns=1,
    container=c1,
)
report.chart(
    container=c2,
    figure=charts.pareto_curve(
        sg.pareto(ctx.as_of, chosen, ctx.version),
        t(
            "models.pareto_title_revenue" if by_revenue else "segments.pareto_title",
            as_of=ctx.as_of,
        ),
        {
            "customers": t(
                "models.pareto_customers_revenue" if by_revenue else "segments.pareto_customers"
            ),
            "margin": t("models.pareto_revenue" if by_revenue else "segments.pareto_margin"),
        },
        top,
        carried,
    ),
)
accounts = sg.key_account_list(ctx.as_of, top, ctx.version, chosen)
customer_table(
    sg.shown(accounts),
    sg.list_columns()["customer_id"],
    "segments",
    "segments_key_account_rows",
    money=sg.money_labels(),
    currency=ctx.currency,
)
download_buttons(
    lambda: sg.key_account_list(ctx.as_of, top, ctx.version, chosen),
    count,
    sg.export_columns(accounts, ctx.currency),
    f"key-accounts-{ctx.as_of}",
    about=sg.about_sheet(ctx, t("segments.key_header"), {key_top: fmt.percent(top, 0)}, chosen),
)
