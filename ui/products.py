"""Cached access to what to offer next for pages/products.py: the rules, their segments,
the backtest and the target list, with the reasons worded in the reader's language.

The rules and the backtest are small and kept as data per (as-of date, data version,
settings); the target list (three rows per buyer, millions at a million customers) as a
resource, two at most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import export, offers
from core.filters import NO_FILTERS, Filters
from ui import charts, data, drill, filters
from ui import format as fmt
from ui.export import About, Column, columns, list_about
from ui.i18n import t
from ui.labels import label
from ui.offers import item_labels, reason_text, reason_words
from ui.sidebar import Context
from ui.widgets import DATE, MONEY, Tile, column_config, metric_row, share_table

SUPPORT_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)  # minimum support offered
RULE_ROWS = 50  # rules in the table
CHART_RULES = 15  # rules in the chart
LIST_ROWS = 200  # target-list rows shown (the download has all)
AT_ONCE_BASKETS = 200_000  # above: the backtest and the target list run on request


def settings(level: str, min_support: float, min_confidence: float) -> offers.OfferSettings:
    return offers.OfferSettings(level=level, min_support=min_support, min_confidence=min_confidence)


@st.cache_data(max_entries=8, show_spinner=False)
def levels(version: int) -> tuple[str, ...]:
    return offers.levels(data.cursor())


def _ids(as_of: dt.date, chosen: Filters, version: int):
    return filters.ids(chosen, as_of, version)


@st.cache_data(max_entries=16, show_spinner=False)
def rules(
    as_of: dt.date,
    version: int,
    level: str,
    min_support: float,
    min_confidence: float,
) -> offers.Rules:
    """The rules mined on every customer's baskets, whatever the filters (they choose whose
    offers are listed, as Customer 360 offers from the same rules)."""
    knobs = settings(level, min_support, min_confidence)
    return offers.association_rules(data.cursor(), as_of, knobs)


@st.cache_data(max_entries=16, show_spinner=False)
def bought_items(as_of: dt.date, version: int, level: str, chosen: Filters) -> pd.DataFrame:
    """The items the chosen customers bought (everyone's without filters), most popular
    first, counted in the same baskets as the rules (`offers.Rules.items`)."""
    knobs = offers.OfferSettings(level=level)
    return offers.bought_items(data.cursor(), as_of, knobs, _ids(as_of, chosen, version))


@st.cache_data(max_entries=16, show_spinner=False)
def by_segment(
    as_of: dt.date,
    version: int,
    level: str,
    min_support: float,
    min_confidence: float,
    chosen: Filters = NO_FILTERS,
) -> pd.DataFrame:
    knobs = settings(level, min_support, min_confidence)
    found = rules(as_of, version, level, min_support, min_confidence)
    ids = _ids(as_of, chosen, version)
    return offers.rule_segments(data.cursor(), as_of, knobs, found, ids)


@st.cache_data(max_entries=16, show_spinner=False)
def backtest(
    as_of: dt.date,
    version: int,
    level: str,
    min_support: float,
    min_confidence: float,
) -> offers.Backtest:
    """The backtest on every customer's baskets, as the rules are mined."""
    knobs = settings(level, min_support, min_confidence)
    return offers.backtest(data.cursor(), as_of, knobs)


@st.cache_resource(max_entries=2, show_spinner=False)
def target_list(
    as_of: dt.date,
    version: int,
    level: str,
    min_support: float,
    min_confidence: float,
    chosen: Filters = NO_FILTERS,
) -> pd.DataFrame:
    """Every chosen buyer's offers from the rules of every basket, the same as each one's
    Customer 360 (read-only: do not modify)."""
    knobs = settings(level, min_support, min_confidence)
    found = rules(as_of, version, level, min_support, min_confidence)
    ids = _ids(as_of, chosen, version)
    return offers.offers(data.cursor(), as_of, knobs, found, customers=ids)


@st.cache_data(max_entries=16, show_spinner=False)
def buyers(as_of: dt.date, level: str, item: str, chosen: Filters, version: int) -> pd.DataFrame:
    """The chosen customers who bought `item` by `as_of`, most spent first."""
    return offers.item_buyers(data.cursor(), as_of, level, item, _ids(as_of, chosen, version))


def at_once(found: offers.Rules) -> bool:
    """True when the backtest and the target list are quick enough to run with the page:
    at a million customers they take about 10 and 8 s (bench/offers.py)."""
    return found.baskets <= AT_ONCE_BASKETS


def customers(targets: pd.DataFrame) -> int:
    return int(targets["customer_id"].nunique())


# --- words ----------------------------------------------------------------------------------


def rule_words(found: offers.Rules, names: dict[str, str]) -> list[str]:
    return [
        t("products.rule_arrow", antecedent=names.get(a, a), consequent=names.get(c, c))
        for a, c in zip(found.rules["antecedent"], found.rules["consequent"], strict=True)
    ]


def holding_segments(segments: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(antecedent, consequent) -> the segments the rule holds for, named, joined."""
    held = segments[segments["holds"]]
    out: dict[tuple[str, str], str] = {}
    for (a, c), rows in held.groupby(["antecedent", "consequent"], sort=False):
        out[(a, c)] = t("products.join").join(label("segment", s) for s in rows["segment"])
    return out


def rules_table(found: offers.Rules, segments: pd.DataFrame, lang: str) -> pd.DataFrame:
    names = item_labels(found.level)
    head = found.rules.head(RULE_ROWS)
    held = holding_segments(segments)
    return pd.DataFrame(
        {
            t("products.col_if"): [names.get(a, a) for a in head["antecedent"]],
            t("products.col_then"): [names.get(c, c) for c in head["consequent"]],
            t("products.col_baskets"): [fmt.count(v, lang) for v in head["baskets_both"]],
            t("products.col_support"): [fmt.percent(v) for v in head["support"]],
            t("products.col_confidence"): [fmt.percent(v) for v in head["confidence"]],
            t("products.col_lift"): [f"{v:.2f}" for v in head["lift"]],
            t("products.col_segments"): [
                held.get((a, c), t("products.no_segment"))
                for a, c in zip(head["antecedent"], head["consequent"], strict=True)
            ],
        }
    )


def segment_rows(segments: pd.DataFrame, antecedent: str, consequent: str) -> pd.DataFrame:
    chosen = segments[
        (segments["antecedent"] == antecedent) & (segments["consequent"] == consequent)
    ]
    chosen = chosen.sort_values("lift", ascending=False)
    return pd.DataFrame(
        {
            t("products.col_segment"): [label("segment", s) for s in chosen["segment"]],
            t("products.col_support"): [fmt.percent(v) for v in chosen["support"]],
            t("products.col_confidence"): [fmt.percent(v) for v in chosen["confidence"]],
            t("products.col_lift"): [f"{v:.2f}" for v in chosen["lift"]],
            t("products.col_holds"): [
                t("products.holds_yes") if v else t("products.holds_no") for v in chosen["holds"]
            ],
        }
    )


def target_export(
    make: Callable[[], pd.DataFrame], basket: str, level: str
) -> Callable[[], pd.DataFrame]:
    """The target list `make` builds (core.offers.offers) as shown and exported: customer,
    rank, offer, reason in the current language; for `ui.export.download_buttons`, worded
    with what is read now and built when called."""
    rows = target_rows(make, basket, level)
    headers = {c: t(f"products.col_{c}") for c in TARGET_COLUMNS}
    return lambda: rows().rename(columns=headers)


TARGET_COLUMNS = ("customer", "rank", "offer", "reason")


def target_rows(
    make: Callable[[], pd.DataFrame], basket: str, level: str
) -> Callable[[], pd.DataFrame]:
    """The target list `make` builds as TARGET_COLUMNS (customer, rank, offer and reason in
    the current language), worded with what is read now and built when called."""
    names = item_labels(level)
    words = reason_words(basket)

    def build() -> pd.DataFrame:
        frame = make()
        columns = [
            frame["customer_id"].to_numpy(),
            frame["rank"].to_numpy(),
            [names.get(i, i) for i in frame["item"]],
            [reason_text(row, words, names) for row in frame.itertuples(index=False)],
        ]
        return pd.DataFrame(dict(zip(TARGET_COLUMNS, columns, strict=True)))

    return build


def target_columns() -> list[Column]:
    """The target list's exported columns: the rank a count, the others text."""
    names = {c: t(f"products.col_{c}") for c in TARGET_COLUMNS}
    return columns(names, {"rank": export.COUNT}, None)


def target_about(
    ctx: Context,
    knobs: tuple[str, float, float],
    list_title: str | None = None,
    picked: dict[str, str] | None = None,
    chosen: Filters = NO_FILTERS,
) -> About:
    """A list's About sheet on this page (by default the target list's): the level, the two
    rule thresholds, what was `picked` for it and the filters."""
    level, min_support, min_confidence = knobs
    return list_about(
        ctx,
        "products",
        list_title or t("products.targets_header"),
        choices={
            **(picked or {}),
            t("products.level"): t(f"products.level_{level}"),
            t("products.min_support"): fmt.percent(min_support),
            t("products.min_confidence"): fmt.percent(min_confidence, 0),
        },
        filters=filters.choices(chosen),
    )


# --- the rules' downloads ----------------------------------------------------------------------

RULE_KINDS = {
    "baskets_both": export.COUNT,
    "support": export.PERCENT,
    "confidence": export.PERCENT,
    "lift": export.RATIO,
}


def rules_download(found: offers.Rules, segments: pd.DataFrame) -> tuple:
    """(make, columns) of the rules table's download: every rule (the table shows the first
    RULE_ROWS), items named, shares as shares, the segments it holds for in words."""
    names = item_labels(found.level)
    held = holding_segments(segments)
    rows = found.rules.assign(
        antecedent=[names.get(a, a) for a in found.rules["antecedent"]],
        consequent=[names.get(c, c) for c in found.rules["consequent"]],
        segments=[
            held.get((a, c), t("products.no_segment"))
            for a, c in zip(found.rules["antecedent"], found.rules["consequent"], strict=True)
        ],
    )
    headers = {
        "antecedent": t("products.col_if"),
        "consequent": t("products.col_then"),
        "baskets_both": t("products.col_baskets"),
        "support": t("products.col_support"),
        "confidence": t("products.col_confidence"),
        "lift": t("products.col_lift"),
        "segments": t("products.col_segments"),
    }
    return (lambda: rows[list(headers)]), columns(headers, RULE_KINDS, None)


def segment_rows_download(segments: pd.DataFrame, antecedent: str, consequent: str) -> tuple:
    """(make, rows, columns) of one rule's table by segment: segments named, holds in
    words."""
    chosen = segments[
        (segments["antecedent"] == antecedent) & (segments["consequent"] == consequent)
    ].sort_values("lift", ascending=False)
    rows = chosen.assign(
        segment=[label("segment", s) for s in chosen["segment"]],
        holds=[t("products.holds_yes") if v else t("products.holds_no") for v in chosen["holds"]],
    )
    headers = {
        "segment": t("products.col_segment"),
        "support": t("products.col_support"),
        "confidence": t("products.col_confidence"),
        "lift": t("products.col_lift"),
        "holds": t("products.col_holds"),
    }
    return (lambda: rows[list(headers)]), len(rows), columns(headers, RULE_KINDS, None)


# --- the most bought items and their buyers -----------------------------------------------------

ITEMS_CHART = "products_items_chart"  # the most bought items; the clicked item kept as ITEM_PICK
ITEM_PICK = "products_drill_item"
CHART_ITEMS = 15  # items in the chart
BUYER_FORMATS = {
    "customer_id": None,
    "city": None,
    "acquisition_channel": None,
    "first_bought_on": DATE,
    "last_bought_on": DATE,
    "count_orders": "%d",
    "amount": MONEY,
}


def items_chart(items: pd.DataFrame, level: str, as_of: dt.date):
    """The CHART_ITEMS most bought of `items` (`bought_items`: the chosen customers')."""
    names = item_labels(level)
    head = items.head(CHART_ITEMS)
    head = head.assign(name=[names.get(i, i) for i in head["item"]])
    return charts.popular_items(
        head,
        t(f"products.items_title_{level}", count=len(head), as_of=as_of),
        {"customers": t("products.axis_buyers"), "popularity": t("products.col_popularity")},
    )


def chart_key() -> str:
    """The items chart's key: a new one after each Close, which clears its selection."""
    return drill.chart_key(ITEMS_CHART)


def close() -> None:
    drill.close(ITEM_PICK, f"{ITEMS_CHART}_closed")


def clicked_item(event) -> str | None:
    """The code of the item whose bar was clicked in a plotly `event` (the first point's
    customdata: code, popularity), or None when nothing is selected."""
    code = drill.item(event, 0)
    return None if code is None else str(code)


def pick_item(event, level: str) -> str | None:
    """The item clicked now, else the one clicked before at the same level (kept for the
    way back from Customer 360), else None."""
    now = clicked_item(event)
    kept = drill.keep(ITEM_PICK, None if now is None else [level, now])
    return kept[1] if kept and kept[0] == level else None


def buyers_section(ctx: Context, knobs: tuple, item: str, chosen: Filters) -> None:
    """The customers who bought the clicked item: how many, a Close button, the first
    LIST_ROWS (a row opens Customer 360) and the download with its About sheet."""
    level = knobs[0]
    rows = buyers(ctx.as_of, level, item, chosen, ctx.version)
    name = item_labels(level).get(item, item)
    heading = t("products.drill_item", item=name, count=fmt.count(len(rows), ctx.lang))
    exported = columns(
        {key: t(f"products.bcol_{key}") for key in BUYER_FORMATS},
        {
            "first_bought_on": export.DATE,
            "last_bought_on": export.DATE,
            "count_orders": export.COUNT,
            "amount": export.MONEY,
        },
        ctx.currency,
    )
    drill.customer_list(
        ITEMS_CHART,
        heading,
        share_table(rows.head(LIST_ROWS), BUYER_FORMATS, ()),
        len(rows),
        page="products",
        close_label=t("products.drill_close"),
        on_close=close,
        table=dict(column_config=column_config(BUYER_FORMATS, "products.bcol_", ctx.currency)),
        download=dict(
            make=lambda: rows,
            columns=exported,
            name=f"buyers-{level}-{_file_part(item)}-{ctx.as_of}",
            about=target_about(
                ctx, knobs, t("products.drill_title"), {t("products.drill_picked"): name}, chosen
            ),
        ),
        more=t("products.drill_more", rows=LIST_ROWS),
    )


def _file_part(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(key)) or "item"


# --- sections -------------------------------------------------------------------------------


def rules_chart(found: offers.Rules, as_of: dt.date):
    names = item_labels(found.level)
    head = found.rules.head(CHART_RULES).assign(rule=rule_words(found, names)[:CHART_RULES])
    return charts.rule_lifts(
        head,
        t("products.chart_title", count=len(head), as_of=as_of),
        {
            "lift": t("products.col_lift"),
            "confidence": t("products.col_confidence"),
            "support": t("products.col_support"),
        },
    )


def backtest_section(ctx: Context, knobs: tuple) -> None:
    """The backtest's hit rates beside the popularity baseline, in tiles and words (on every
    customer's baskets, as the rules are mined)."""
    found = backtest(ctx.as_of, ctx.version, *knobs)
    if not found.customers:
        st.info(
            t(
                "products.backtest_none",
                cut_off=found.cut_off,
                days=(found.end - found.cut_off).days,
            )
        )
        return
    lang = ctx.lang
    points = fmt.point_change(found.hit_rate, found.baseline_hit_rate)
    metric_row(
        [
            Tile(
                t("products.hit_rate"),
                fmt.percent(found.hit_rate),
                t("products.hit_rate_help"),
                delta=points and t("products.points", points=points),
                delta_color="normal" if found.hits != found.baseline_hits else "off",
                delta_description=t("products.vs_baseline"),
            ),
            Tile(
                t("products.baseline_hit_rate"),
                fmt.percent(found.baseline_hit_rate),
                t("products.baseline_help"),
            ),
            Tile(t("products.first_hit_rate"), fmt.percent(found.first_hit_rate)),
            Tile(t("products.baseline_first_hit_rate"), fmt.percent(found.baseline_first_hit_rate)),
        ]
    )
    verdict = (
        "better"
        if found.hits > found.baseline_hits
        else "worse"
        if found.hits < found.baseline_hits
        else "same"
    )
    st.markdown(
        t(
            "products.backtest_words",
            cut_off=found.cut_off,
            end=found.end,
            rules=fmt.count(found.rules, lang),
            customers=fmt.count(found.customers, lang),
            rate=fmt.percent(found.hit_rate),
            baseline=fmt.percent(found.baseline_hit_rate),
            first=fmt.percent(found.first_hit_rate),
            baseline_first=fmt.percent(found.baseline_first_hit_rate),
        )
        + " "
        + t(f"products.verdict_{verdict}")
    )
