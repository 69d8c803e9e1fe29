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
from ui import charts, data, report
from ui import format as fmt
from ui.export import About, Column, columns, list_about
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


@st.cache_data(max_entries=16, show_spinner=False)
def grid(as_of: dt.date, version: int) -> pd.DataFrame:
    rules = stars.active_rules(data.cursor()).rules
    return segments.grid_cells(frame(as_of, version), rules.segment_grid)


@st.cache_data(max_entries=16, show_spinner=False)
def summary(as_of: dt.date, version: int) -> pd.DataFrame:
    return segments.segment_summary(frame(as_of, version))


@st.cache_resource(max_entries=8, show_spinner=False)
def clusters(as_of: dt.date, k: int | None, version: int) -> segments.Clusters:
    return segments.clusters_at(data.cursor(), as_of, k, frame(as_of, version))


@st.cache_data(max_entries=16, show_spinner=False)
def scatter_sample(as_of: dt.date, k: int | None, version: int) -> pd.DataFrame:
    buyers = frame(as_of, version)
    found = clusters(as_of, k, version)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(buyers), size=min(SCATTER_POINTS, len(buyers)), replace=False)
    # money to the cent, at least one unit on the log axes (a net of 0 has no place on one)
    sample = segments.cluster_inputs(buyers.iloc[rows])
    for name in segments.MONEY_FEATURES:
        sample[name] = sample[name].clip(lower=1.0)
    sample["cluster"] = found.labels[rows]
    return sample


@st.cache_data(max_entries=16, show_spinner=False)
def pareto(as_of: dt.date, version: int) -> pd.DataFrame:
    return segments.pareto_curve(frame(as_of, version))


@st.cache_data(max_entries=16, show_spinner=False)
def measure(as_of: dt.date, version: int) -> str:
    """What ranks the key accounts: "margin", or "revenue" without costs."""
    return segments.value_measure(frame(as_of, version))


@st.cache_data(max_entries=32, show_spinner=False)
def key_accounts(as_of: dt.date, top_share: float, version: int) -> tuple[float, int]:
    carried, top = segments.key_accounts(frame(as_of, version), top_share)
    return carried, len(top)


def key_account_list(as_of: dt.date, top_share: float, version: int) -> pd.DataFrame:
    return segments.key_accounts(frame(as_of, version), top_share)[1]


def segment_list(as_of: dt.date, segment: str, version: int) -> pd.DataFrame:
    buyers = frame(as_of, version)
    chosen = buyers[buyers["segment"] == segment]
    return chosen.sort_values("revenue_12m", ascending=False, ignore_index=True)


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


def about_sheet(ctx: Context, list_title: str, choices: dict[str, str]) -> About:
    """A customer list's About sheet: its title and what was chosen for it."""
    return list_about(ctx, "segments", list_title, choices=choices)


def clusters_section(ctx: Context) -> None:
    """The k-means section: k (chosen or given), the scatter of two features and the plain
    words profile of each cluster; a sentence instead when too few customers have bought."""
    buyers = len(frame(ctx.as_of, ctx.version))
    if buyers < segments.MIN_CLUSTER_BUYERS:
        st.info(t("segments.clusters_too_few", needed=segments.MIN_CLUSTER_BUYERS, found=buyers))
        return
    lang = ctx.lang
    c1, c2, c3 = st.columns(3)
    auto = c1.toggle(t("segments.k_auto"), value=True, key="segments_k_auto")
    k = None if auto else c1.slider(t("segments.k"), 2, 8, 4, key="segments_k")
    features = list(CLUSTER_FEATURES)
    x = c2.selectbox(t("segments.x"), features, 0, format_func=feature_label, key="seg_x")
    y = c3.selectbox(t("segments.y"), features, 1, format_func=feature_label, key="seg_y")
    found = clusters(ctx.as_of, k, ctx.version)
    sample = scatter_sample(ctx.as_of, k, ctx.version)
    sample = sample.assign(cluster_label=[cluster_label(c) for c in sample["cluster"]])
    axis = {f: feature_label(f) for f in features} | {f"{f}_log": True for f in LOG_FEATURES}
    unit = fmt.money_unit(lang, ctx.currency)  # the money axes' unit, in their titles
    axis |= {f"{f}_axis": fmt.with_unit(feature_label(f), unit, lang) for f in MONEY_FEATURES}
    report.chart(
        charts.cluster_scatter(
            sample,
            x,
            y,
            t("segments.scatter_title", k=found.k, x=feature_label(x), y=feature_label(y)),
            axis,
            ctx.currency,
            MONEY_FEATURES,
        ),
    )
    st.caption(
        t("segments.k_chosen", k=found.k) if found.silhouettes else t("segments.k_given", k=found.k)
    )
    show_table(profile_table(found.profile, lang, ctx.currency))
