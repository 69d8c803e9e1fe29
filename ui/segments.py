"""Cached access to the segments for pages/segments.py, its labels and its exports.

The buyers' frame (up to a million rows) and the clusters are kept as resources per
(as-of date, data version); the small results (grid, table, Pareto curve) as data.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from core import export, rfm, segments, stars
from core import filters as core_filters
from core.filters import NO_FILTERS, Filters
from ui import charts, data, drill, filters, report
from ui import format as fmt
from ui.export import About, Column, columns, download_buttons, list_about
from ui.i18n import t
from ui.labels import label, labelled
from ui.sidebar import Context
from ui.widgets import show_table

SEGMENTS = rfm.SEGMENTS
CLUSTER_FEATURES = segments.CLUSTER_FEATURES
SCATTER_POINTS = 3_000
LIST_ROWS = 200
LOG_FEATURES = ("revenue", "count_purchase_days", "avg_order_value")
MONEY_FEATURES = segments.MONEY_FEATURES


@st.cache_resource(max_entries=4, show_spinner=False)
def frame(as_of: dt.date, version: int) -> pd.DataFrame:
    """The buyers with their RFM scores and segment (read-only: do not modify)."""
    return segments.segment_frame(data.cursor(), as_of)


@st.cache_resource(max_entries=8, show_spinner=False)
def chosen_rows(as_of: dt.date, chosen: Filters, version: int) -> np.ndarray:
    """The rows of `frame` of the chosen customers (every row without filters)."""
    whole = frame(as_of, version)
    mask = core_filters.keep_mask(whole["customer_id"], filters.ids(chosen, as_of, version))
    return np.arange(len(whole)) if mask is None else np.flatnonzero(mask)


@st.cache_resource(max_entries=8, show_spinner=False)
def buyers(as_of: dt.date, chosen: Filters, version: int) -> pd.DataFrame:
    """The chosen buyers of `frame` (`frame` itself without filters; read-only), with
    their rows' index in it."""
    if not chosen.active:
        return frame(as_of, version)
    return frame(as_of, version).iloc[chosen_rows(as_of, chosen, version)]


@st.cache_data(max_entries=16, show_spinner=False)
def grid(as_of: dt.date, chosen: Filters, version: int) -> pd.DataFrame:
    rules = stars.active_rules(data.cursor()).rules
    return segments.grid_cells(buyers(as_of, chosen, version), rules.segment_grid)


@st.cache_data(max_entries=16, show_spinner=False)
def summary(as_of: dt.date, chosen: Filters, version: int) -> pd.DataFrame:
    return segments.segment_summary(buyers(as_of, chosen, version))


@st.cache_resource(max_entries=8, show_spinner=False)
def clusters(as_of: dt.date, k: int | None, version: int) -> segments.Clusters:
    return segments.clusters_at(data.cursor(), as_of, k, frame(as_of, version))


@st.cache_data(max_entries=16, show_spinner=False)
def scatter_sample(as_of: dt.date, k: int | None, chosen: Filters, version: int) -> pd.DataFrame:
    """At most SCATTER_POINTS of the chosen buyers, seeded, as the scatter draws them."""
    rows = chosen_rows(as_of, chosen, version)
    found = clusters(as_of, k, version)
    rng = np.random.default_rng(0)
    rows = rows[rng.choice(len(rows), size=min(SCATTER_POINTS, len(rows)), replace=False)]
    sample = segments.plotted_features(frame(as_of, version).iloc[rows])
    sample["cluster"] = found.labels[rows]
    return sample


@st.cache_data(max_entries=16, show_spinner=False)
def profile(as_of: dt.date, k: int | None, chosen: Filters, version: int) -> pd.DataFrame:
    """The clusters' profile over the chosen buyers (the clusters are the whole base's)."""
    found = clusters(as_of, k, version)
    if not chosen.active:
        return found.profile
    rows = chosen_rows(as_of, chosen, version)
    return segments.chosen_profile(found.profile, frame(as_of, version), found.labels, rows)


@st.cache_data(max_entries=16, show_spinner=False)
def pareto(as_of: dt.date, chosen: Filters, version: int) -> pd.DataFrame:
    return segments.pareto_curve(buyers(as_of, chosen, version))


@st.cache_data(max_entries=16, show_spinner=False)
def measure(as_of: dt.date, version: int) -> str:
    """What ranks the key accounts: "margin", or "revenue" without costs."""
    return segments.value_measure(frame(as_of, version))


@st.cache_data(max_entries=32, show_spinner=False)
def key_accounts(
    as_of: dt.date, top_share: float, chosen: Filters, version: int
) -> tuple[float, int]:
    carried, top = segments.key_accounts(buyers(as_of, chosen, version), top_share)
    return carried, len(top)


def key_account_list(
    as_of: dt.date, top_share: float, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    return segments.key_accounts(buyers(as_of, chosen, version), top_share)[1]


def segment_list(
    as_of: dt.date, segment: str, version: int, chosen: Filters = NO_FILTERS
) -> pd.DataFrame:
    found = buyers(as_of, chosen, version)
    found = found[found["segment"] == segment]
    return found.sort_values("revenue_12m", ascending=False, ignore_index=True)


# --- labels ---------------------------------------------------------------------------------


def segment_label(segment: str) -> str:
    return label("segment", segment)


def feature_label(feature: str) -> str:
    return t(f"segments.feature_{feature}")


def cluster_label(cluster: int) -> str:
    return t("segments.cluster_n", n=cluster + 1)


def describe(traits) -> str:
    if not traits:
        return t("segments.trait_typical")
    words = t("segments.trait_join").join(t(f"segments.trait_{f}_{level}") for f, level in traits)
    return t("segments.trait_sentence", traits=words)


def labelled_grid(cells: pd.DataFrame) -> pd.DataFrame:
    return cells.assign(segment_label=[segment_label(s) for s in cells["segment"]])


def segment_table(table: pd.DataFrame, lang: str, currency: str | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("segments.col_segment"): [segment_label(s) for s in table["segment"]],
            t("segments.col_what"): [t(f"segments.what_{s}") for s in table["segment"]],
            t("segments.col_action"): [t(f"segments.do_{s}") for s in table["segment"]],
            t("segments.col_customers"): [fmt.count(v, lang) for v in table["customers"]],
            t("segments.col_share"): [fmt.percent(v) for v in table["share"]],
            t("segments.col_revenue_12m"): [
                fmt.money(v, lang, currency) for v in table["revenue_12m"]
            ],
            t("segments.col_revenue_share"): [fmt.percent(v) for v in table["revenue_share"]],
            t("segments.col_recency"): [fmt.count(v, lang) for v in table["median_recency_days"]],
        }
    )


def profile_table(profile: pd.DataFrame, lang: str, currency: str | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("segments.col_cluster"): [cluster_label(c) for c in profile["cluster"]],
            t("segments.col_description"): [describe(x) for x in profile["traits"]],
            t("segments.col_customers"): [fmt.count(v, lang) for v in profile["customers"]],
            t("segments.col_share"): [fmt.percent(v) for v in profile["share"]],
            feature_label("revenue"): [
                fmt.money(v, lang, currency) for v in profile["median_revenue"]
            ],
            feature_label("count_purchase_days"): profile["median_count_purchase_days"],
            feature_label("recency_days"): profile["median_recency_days"],
            feature_label("avg_order_value"): [
                fmt.money(v, lang, currency, exact=True) for v in profile["median_avg_order_value"]
            ],
        }
    )


def list_columns() -> dict[str, str]:
    names = {
        "customer_id": t("stars.col_customer_id"),
        "city": t("stars.col_city"),
        "acquisition_channel": t("stars.col_channel"),
        "segment": t("segments.col_segment"),
        "stars": t("stars.col_stars"),
        "r_score": "R",
        "f_score": "F",
        "m_score": "M",
        "revenue_12m": t("stars.col_revenue_12m"),
        "margin_12m": t("stars.col_margin_12m"),
        "revenue": t("segments.feature_revenue"),
        "recency_days": t("segments.feature_recency_days"),
        "count_purchase_days": t("segments.feature_count_purchase_days"),
        "avg_order_value": t("segments.feature_avg_order_value"),
        "tenure_days": t("segments.feature_tenure_days"),
        "cluster": t("segments.col_cluster"),
    }
    return names


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The first LIST_ROWS of a customer list with labels (segment, city, channel) and
    money rounded."""
    head = labelled(table.head(LIST_ROWS))
    for column in MONEY_COLUMNS:
        head[column] = head[column].round(0)
    return head.rename(columns=list_columns())


MONEY_COLUMNS = ("revenue_12m", "margin_12m", "revenue", "avg_order_value")


def money_labels() -> tuple[str, ...]:
    """A customer list's money columns as the page names them (formatted in the currency)."""
    names = list_columns()
    return tuple(names[c] for c in MONEY_COLUMNS)


LIST_KINDS = {
    **{name: export.COUNT for name in ("r_score", "f_score", "m_score")},
    **{name: export.COUNT for name in ("recency_days", "count_purchase_days", "tenure_days")},
    **{name: export.MONEY for name in MONEY_COLUMNS},
}  # the other columns are text, but `stars`


def export_columns(table: pd.DataFrame, currency: str | None) -> list[Column]:
    """The exported columns of a customer list (`table`: the list or its first rows): the
    named ones it has (`list_columns`), with their kinds (LIST_KINDS)."""
    names = {key: name for key, name in list_columns().items() if key in table.columns}
    return columns(names, LIST_KINDS, currency)


def about_sheet(
    ctx: Context, list_title: str, choices: dict[str, str], chosen: Filters | None = None
) -> About:
    """A customer list's About sheet: its title, what was chosen for it and the filters
    (the session's when `chosen` is None)."""
    return list_about(ctx, "segments", list_title, choices=choices, filters=filters.choices(chosen))


# --- the summary tables' downloads ----------------------------------------------------------

SUMMARY_KINDS = {
    "customers": export.COUNT,
    "share": export.PERCENT,
    "revenue_12m": export.MONEY,
    "revenue_share": export.PERCENT,
    "median_recency_days": export.COUNT,
}
PROFILE_KINDS = {
    "customers": export.COUNT,
    "share": export.PERCENT,
    "median_revenue": export.MONEY,
    "median_count_purchase_days": export.COUNT,
    "median_recency_days": export.COUNT,
    "median_avg_order_value": export.MONEY,
}


def summary_download(table: pd.DataFrame, currency: str | None) -> tuple:
    """(make, columns) of the segment table's download: the segments named now, shares
    as shares, the revenue in the currency."""
    named = table.assign(segment=[segment_label(s) for s in table["segment"]])
    names = {
        "segment": t("segments.col_segment"),
        "customers": t("segments.col_customers"),
        "share": t("segments.col_share"),
        "revenue_12m": t("segments.col_revenue_12m"),
        "revenue_share": t("segments.col_revenue_share"),
        "median_recency_days": t("segments.col_recency"),
    }
    return (lambda: named[list(names)]), columns(names, SUMMARY_KINDS, currency)


def profile_download(profile: pd.DataFrame, currency: str | None) -> tuple:
    """(make, columns) of the cluster profile's download: the clusters named and described
    now, the medians in their units."""
    named = profile.assign(
        cluster=[cluster_label(c) for c in profile["cluster"]],
        description=[describe(x) for x in profile["traits"]],
    )
    names = {
        "cluster": t("segments.col_cluster"),
        "description": t("segments.col_description"),
        "customers": t("segments.col_customers"),
        "share": t("segments.col_share"),
        "median_revenue": feature_label("revenue"),
        "median_count_purchase_days": feature_label("count_purchase_days"),
        "median_recency_days": feature_label("recency_days"),
        "median_avg_order_value": feature_label("avg_order_value"),
    }
    return (lambda: named[list(names)]), columns(names, PROFILE_KINDS, currency)


# --- drill-downs: the customers behind a cell, a drawn area or a row --------------------------

GRID_CHART = "segments_grid_chart"  # the RFM grid; its clicked cell kept as [R, F]
SCATTER_CHART = "segments_scatter_chart"  # the clusters; the area drawn kept as [x, y, areas]
PICKS = {GRID_CHART: "segments_drill_cell", SCATTER_CHART: "segments_drill_area"}


def chart_key(chart: str) -> str:
    """The key of a clickable chart: a new one after each Close, which clears its selection."""
    return drill.chart_key(chart)


def close(chart: str) -> None:
    """Close `chart`'s list: forget its pick and clear its selection (a new key)."""
    drill.close(PICKS[chart], f"{chart}_closed")


def clicked_cell(event) -> list[int] | None:
    """[R, F] of the grid cell clicked in a plotly `event` (the cell's customdata holds
    customers, revenue, R, F), or None when nothing is selected."""
    for custom in drill.points(event):
        if isinstance(custom, list | tuple) and len(custom) >= 4:
            return [int(custom[2]), int(custom[3])]
    return None


def drawn_areas(event) -> list[list[list[float]]]:
    """The boxes and lassos drawn in a plotly `event`, each [xs, ys] in data units (a box
    by two corners, a lasso by its vertices); [] when none."""
    selection = (event or {}).get("selection") or {}
    areas = []
    for kind in ("box", "lasso"):
        for shape in selection.get(kind) or ():
            xs, ys = list(shape.get("x") or ()), list(shape.get("y") or ())
            if xs and len(xs) == len(ys):
                areas.append([[float(v) for v in xs], [float(v) for v in ys]])
    return areas


def pick_cell(event) -> list[int] | None:
    """The cell clicked now, else the one clicked before (kept for the way back from
    Customer 360), else None."""
    return drill.keep(PICKS[GRID_CHART], clicked_cell(event))


def pick_area(event, x: str, y: str) -> list[list[list[float]]] | None:
    """The areas drawn now on the `x` by `y` scatter, else those drawn before on the same
    axes, else None."""
    now = drawn_areas(event)
    if now:
        st.session_state[PICKS[SCATTER_CHART]] = [x, y, now]
    kept = st.session_state.get(PICKS[SCATTER_CHART])
    if not kept or kept[:2] != [x, y]:
        return None
    return kept[2]


def area_words(areas: list) -> str:
    """The areas drawn, in words: a box by its ranges on the two axes, a lasso by its
    corners' count."""
    words = []
    for xs, ys in areas:
        if len(xs) == 2:
            words.append(
                t(
                    "segments.drill_box",
                    x0=f"{min(xs):,.4g}",
                    x1=f"{max(xs):,.4g}",
                    y0=f"{min(ys):,.4g}",
                    y1=f"{max(ys):,.4g}",
                )
            )
        else:
            words.append(t("segments.drill_lasso", corners=len(xs)))
    return "; ".join(words)


def follow_table_row(event, table: pd.DataFrame) -> None:
    """A row newly selected in the segment table (`event`, its rows in `table`'s order)
    chooses that segment for the list below (widget `seg_list`, drawn after); a row kept
    selected leaves the list's own choice alone."""
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    picked = str(table["segment"].iloc[rows[0]]) if rows and rows[0] < len(table) else None
    if picked is not None and st.session_state.get("_segments_table_pick") != picked:
        st.session_state["seg_list"] = picked
    st.session_state["_segments_table_pick"] = picked


def cell_list(as_of: dt.date, r: int, f: int, chosen: Filters, version: int) -> pd.DataFrame:
    """The chosen buyers of the R x F cell, highest 12-month revenue first."""
    return segments.cell_customers(buyers(as_of, chosen, version), r, f)


def area_list(
    as_of: dt.date,
    k: int | None,
    x: str,
    y: str,
    areas: list,
    chosen: Filters,
    version: int,
) -> pd.DataFrame:
    """Every chosen buyer inside the `areas` drawn on the `x` by `y` scatter (not only the
    points drawn), with their cluster named, highest 12-month revenue first."""
    regions = [{"x": xs, "y": ys} for xs, ys in areas]
    log = (x in LOG_FEATURES, y in LOG_FEATURES)
    found = segments.region_customers(buyers(as_of, chosen, version), x, y, regions, log)
    labels = clusters(as_of, k, version).labels[found.index.to_numpy()]
    found = found.assign(cluster=[cluster_label(c) for c in labels])
    return found.sort_values("revenue_12m", ascending=False, kind="stable", ignore_index=True)


def drill_list(
    ctx: Context,
    chart: str,
    rows: pd.DataFrame,
    heading: str,
    about: About,
    name: str,
    note: str | None = None,
) -> None:
    """The list behind a clicked cell or a drawn area: what was picked and how many, a
    Close button, the first LIST_ROWS rows (a row opens Customer 360) and the download."""
    drill.customer_list(
        chart,
        heading,
        shown(rows),
        len(rows),
        page="segments",
        close_label=t("segments.drill_close"),
        on_close=close,
        close_args=(chart,),
        id_column=list_columns()["customer_id"],
        table=dict(money=money_labels(), currency=ctx.currency),
        download=dict(
            make=lambda: rows,
            columns=export_columns(rows, ctx.currency),
            name=name,
            about=about,
        ),
        note=note,
        more=t("segments.drill_more", rows=LIST_ROWS),
    )


def clusters_section(ctx: Context, chosen: Filters = NO_FILTERS) -> None:
    """The k-means section: k (chosen or given), the scatter of two features (a box or
    lasso drawn on it lists every chosen customer inside) and the plain words profile of
    each cluster with its download; a sentence instead when too few customers have bought."""
    count = len(frame(ctx.as_of, ctx.version))
    if count < segments.MIN_CLUSTER_BUYERS:
        st.info(t("segments.clusters_too_few", needed=segments.MIN_CLUSTER_BUYERS, found=count))
        return
    lang = ctx.lang
    c1, c2, c3 = st.columns(3)
    auto = c1.toggle(t("segments.k_auto"), value=True, key="segments_k_auto")
    k = None if auto else c1.slider(t("segments.k"), 2, 8, 4, key="segments_k")
    features = list(CLUSTER_FEATURES)
    x = c2.selectbox(t("segments.x"), features, 0, format_func=feature_label, key="seg_x")
    y = c3.selectbox(t("segments.y"), features, 1, format_func=feature_label, key="seg_y")
    found = clusters(ctx.as_of, k, ctx.version)
    sample = scatter_sample(ctx.as_of, k, chosen, ctx.version)
    sample = sample.assign(cluster_label=[cluster_label(c) for c in sample["cluster"]])
    axis = {f: feature_label(f) for f in features} | {f"{f}_log": True for f in LOG_FEATURES}
    unit = fmt.money_unit(lang, ctx.currency)  # the money axes' unit, in their titles
    axis |= {f"{f}_axis": fmt.with_unit(feature_label(f), unit, lang) for f in MONEY_FEATURES}
    title = t("segments.scatter_title", k=found.k, x=feature_label(x), y=feature_label(y))
    event = report.chart(
        charts.cluster_scatter(sample, x, y, title, axis, ctx.currency, MONEY_FEATURES),
        on_select="rerun",
        selection_mode=("box", "lasso"),
        key=chart_key(SCATTER_CHART),
    )
    st.caption(
        (
            t("segments.k_chosen", k=found.k)
            if found.silhouettes
            else t("segments.k_given", k=found.k)
        )
        + " "
        + t("segments.scatter_drag", points=fmt.count(len(sample), lang))
    )
    if chosen.active:
        st.caption(t("segments.clusters_whole_base"))
    areas = pick_area(event, x, y)
    if areas:
        rows = area_list(ctx.as_of, k, x, y, areas, chosen, ctx.version)
        axes = t("segments.drill_axes", x=feature_label(x), y=feature_label(y))
        drill_list(
            ctx,
            SCATTER_CHART,
            rows,
            t("segments.drill_area", axes=axes, count=fmt.count(len(rows), lang)),
            about_sheet(
                ctx, title, {t("segments.drill_picked"): f"{axes}: {area_words(areas)}"}, chosen
            ),
            f"segments-area-{x}-{y}-{ctx.as_of}",
            note=t("segments.drill_area_note"),
        )
    shown_profile = profile(ctx.as_of, k, chosen, ctx.version)
    show_table(profile_table(shown_profile, lang, ctx.currency))
    make, exported = profile_download(shown_profile, ctx.currency)
    download_buttons(
        make,
        len(shown_profile),
        exported,
        f"clusters-{ctx.as_of}",
        about=about_sheet(ctx, t("segments.clusters_header"), {"k": str(found.k)}, chosen),
    )
