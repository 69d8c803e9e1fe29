"""Cached access to the star ratings for pages/stars.py, and its labels.

The dimension scores of every customer are read once per (as-of date, data version) and
kept as a resource (no copy per rerun: at a million customers that matters); re-rating
after a slider change is then a weighted sum and four thresholds in numpy
(`core.stars.rate`), not cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from core import stars
from core.stars import DIMENSIONS, RatingBase, RuleSet, SavedRules
from ui import data, theme
from ui import format as fmt
from ui.i18n import t
from ui.labels import label, labelled, star_name, value_labels
from ui.widgets import choice, show_table

STARS = stars.STARS
MODES = stars.MODES
LIST_ROWS = 200  # rows of a tier list shown on the page (the export has all)


@st.cache_resource(max_entries=4, show_spinner=False)
def base(as_of: dt.date, version: int) -> RatingBase:
    """Every customer's dimension scores as of `as_of` (read-only: do not modify)."""
    return stars.rating_base(data.cursor(), as_of)


@st.cache_data(max_entries=8, show_spinner=False)
def active(version: int) -> SavedRules:
    return stars.active_rules(data.cursor())


@st.cache_data(max_entries=8, show_spinner=False)
def versions(version: int) -> pd.DataFrame:
    return stars.rule_set_versions(data.cursor())


@st.cache_data(max_entries=8, show_spinner=False)
def month_ends(version: int) -> list[dt.date]:
    return stars.monthly_ends(data.cursor())


@st.cache_data(max_entries=32, show_spinner=False)
def flows(start: dt.date, end: dt.date, by: str, version: int) -> pd.DataFrame:
    return stars.star_flows(data.cursor(), start, end, by)


def rate(rating_base: RatingBase, rules: RuleSet):
    """(composite, stars with 0 for prospects, thresholds) for these rules."""
    return stars.rate(rating_base.dims, rules)


distribution = stars.star_distribution
change = stars.rating_change
next_star_move = stars.next_star_move


@dataclass(frozen=True)
class Headline:
    """The distribution's headline numbers: rated customers, 5-star customers, the
    high-value stars' share of the rated and of the 12 months' revenue (None without
    revenue)."""

    rated: int
    five_stars: int
    high_value_share: float
    high_value_revenue_share: float | None


def headline(dist: pd.DataFrame, rules: RuleSet) -> Headline:
    """The headline numbers of a `distribution` under `rules` (which stars are high value)."""
    high = dist["stars"].isin(rules.high_value_stars)
    rated = int(dist["customers"].sum())
    revenue = dist["revenue_12m"].sum()
    return Headline(
        rated=rated,
        five_stars=int(dist.loc[dist["stars"] == 5, "customers"].sum()),
        high_value_share=dist.loc[high, "customers"].sum() / max(rated, 1),
        high_value_revenue_share=dist.loc[high, "revenue_12m"].sum() / revenue if revenue else None,
    )


def save(rules: RuleSet, name: str, saved_by: str) -> SavedRules:
    """Save the draft as a new version, make it active and re-rate customer_features."""
    saved = stars.save_rule_set(data.cursor(), rules, name, saved_by or None)
    st.cache_data.clear()
    return saved


def activate(name: str, version: int) -> SavedRules:
    chosen = stars.activate_rule_set(data.cursor(), name, version)
    st.cache_data.clear()
    return chosen


def customer_row(rating_base: RatingBase, customer_id: str) -> int | None:
    """The row of `customer_id` in the base, or None."""
    ids = rating_base.frame["customer_id"]
    hits = np.flatnonzero((ids == customer_id).to_numpy())
    return int(hits[0]) if len(hits) else None


def tier_list(rating_base: RatingBase, rules: RuleSet, rated: np.ndarray, star: int):
    return stars.tier_list(rating_base, rules, rated, star)


def tier_export(
    rating_base: RatingBase,
    rules: RuleSet,
    rated: np.ndarray,
    star: int,
    currency: str | None = None,
) -> Callable[[], pd.DataFrame]:
    """The tier's whole list for `ui.export.download_buttons`, made when the user clicks:
    column names and labels (city, channel, value tier) of the current language, money
    headers with the currency code."""
    names = column_names()
    labels = value_labels(names)
    for column in ("revenue_12m", "margin_12m", "predicted_clv_12m"):
        names[column] = fmt.money_header(names[column], currency)
    return lambda: labelled(stars.tier_list(rating_base, rules, rated, star), names, labels)


# --- labels ----------------------------------------------------------------------------


def rules_name(saved: SavedRules) -> str:
    return t("stars.builtin") if saved.version == 0 else saved.name


def dimension_label(dimension: str) -> str:
    return t(f"stars.dim_{dimension}")


def value_tier_label(tier: str | None) -> str:
    return label("value_tier", tier)


def star_label(star: int | str) -> str:
    return star_name(star)


def column_names() -> dict[str, str]:
    """Catalog names of the tier list's columns."""
    names = {
        "customer_id": t("stars.col_customer_id"),
        "city": t("stars.col_city"),
        "acquisition_channel": t("stars.col_channel"),
        "stars": t("stars.col_stars"),
        "value_tier": t("stars.col_value_tier"),
        "score": t("stars.col_score"),
        "revenue_12m": t("stars.col_revenue_12m"),
        "margin_12m": t("stars.col_margin_12m"),
        "predicted_clv_12m": t("stars.col_clv_12m"),
    }
    names.update({f"score_{d}": dimension_label(d) for d in DIMENSIONS})
    return names


def distribution_table(dist: pd.DataFrame, lang: str, currency: str | None) -> pd.DataFrame:
    """The distribution as the page shows it: star labels, counts, shares and money as text."""
    table = dist.assign(
        stars=[star_label(s) for s in dist["stars"]],
        customers=[fmt.count(v, lang) for v in dist["customers"]],
        share=[fmt.percent(v) for v in dist["share"]],
        revenue_12m=[fmt.money(v, lang, currency) for v in dist["revenue_12m"]],
        margin_12m=[fmt.money(v, lang, currency) for v in dist["margin_12m"]],
        clv_12m=[fmt.money(v, lang, currency) for v in dist["clv_12m"]],
    )
    return table.rename(columns=distribution_columns())


def distribution_columns() -> dict[str, str]:
    return {
        "stars": t("stars.col_stars"),
        "customers": t("stars.customers"),
        "share": t("stars.share"),
        "revenue_12m": t("stars.col_revenue_12m"),
        "margin_12m": t("stars.col_margin_12m"),
        "clv_12m": t("stars.col_clv_12m"),
    }


def how_it_works(uses: dict[str, str]) -> str:
    """The four dimensions and the composite in the marketer's words (from the catalog)."""
    lines = [f"- **{dimension_label(d)}**: {t(f'stars.how_{d}')}" for d in DIMENSIONS]
    for dimension in ("growth", "loyalty"):
        if uses.get(dimension) == "fallback":
            lines.append(f"- {t(f'stars.how_{dimension}_fallback')}")
    lines.append("")
    lines.append(t("stars.how_composite"))
    return "\n".join(lines)


# --- the rules as widgets ------------------------------------------------------------------


def rules_input(saved: SavedRules) -> RuleSet:
    """Sliders for the weights and thresholds, starting from the saved rules; the draft."""
    rules = saved.rules
    suffix = f"{saved.name}_{saved.version}"
    left, right = st.columns(2)
    left.markdown(f"**{t('stars.weights')}**")
    weights = [
        left.slider(
            dimension_label(d),
            0,
            100,
            int(round(w)),
            step=5,
            key=f"stars_w_{d}_{suffix}",
            help=t(f"stars.how_{d}"),
        )
        for d, w in zip(DIMENSIONS, rules.weights, strict=True)
    ]
    if not sum(weights):
        left.warning(t("stars.weights_zero"))
        weights = list(rules.weights)
    mode = choice(
        t("stars.mode"),
        MODES,
        rules.mode,
        format_func=lambda m: t(f"stars.mode_{m}"),
        key=f"stars_mode_{suffix}",
        container=right,
    )
    shares, marks = list(rules.top_shares), list(rules.score_thresholds)
    if mode == "quantile":
        picked = [
            right.slider(
                t("stars.top_share", star=5 - i),
                0,
                100,
                int(round(share * 100)),
                key=f"stars_share_{i}_{suffix}",
                format="%d%%",
            )
            for i, share in enumerate(rules.top_shares)
        ]
        shares = list(np.maximum.accumulate(picked) / 100)
    else:
        picked = [
            right.slider(
                t("stars.threshold", star=5 - i),
                0,
                100,
                int(round(mark)),
                key=f"stars_mark_{i}_{suffix}",
            )
            for i, mark in enumerate(rules.score_thresholds)
        ]
        marks = [float(m) for m in np.minimum.accumulate(picked)]
    return rules.replace(
        weights=tuple(weights), mode=mode, top_shares=shares, score_thresholds=marks
    )


def thresholds_text(rules: RuleSet, marks: np.ndarray) -> str:
    shown = ", ".join(
        t("stars.threshold_at", star=5 - i, score="–" if not np.isfinite(m) else f"{m:.1f}")
        for i, m in enumerate(marks)
    )
    return t("stars.thresholds_now", thresholds=shown)


def save_form(draft: RuleSet, saved: SavedRules) -> None:
    """Name, who and a button that saves the draft as a new active version."""
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    name = c1.text_input(t("stars.save_name"), value=saved.name, key="stars_save_name")
    who = c2.text_input(t("stars.save_by"), key="stars_save_by")
    if c3.button(t("stars.save"), type="primary", disabled=draft == saved.rules):
        try:
            stored = save(draft, name, who)
        except ValueError as error:
            st.error(fmt.plain(error))  # may quote the typed name
            return
        st.toast(t("stars.saved", name=fmt.plain(stored.name), version=stored.version))
        st.rerun(scope="app")


def version_switch(saved: SavedRules, version: int) -> None:
    """The saved versions and a switch of the active one."""
    with st.expander(t("stars.versions_header")):
        table = versions(version)
        if table.empty:
            st.caption(t("stars.versions_none"))
            return
        shown = table.assign(is_active=table["is_active"].map({True: "✓", False: ""})).rename(
            columns={
                "name": t("stars.col_name"),
                "version": t("stars.col_version"),
                "is_active": t("stars.col_active"),
                "saved_by": t("stars.col_saved_by"),
                "saved_at": t("stars.col_saved_at"),
            }
        )
        show_table(shown)
        options = [(stars.DEFAULT_NAME, 0)] + list(
            zip(table["name"], table["version"].astype(int), strict=True)
        )
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        chosen = c1.selectbox(
            t("stars.switch_to"),
            options,
            index=options.index((saved.name, saved.version)) if saved.version else 0,
            format_func=lambda o: t("stars.builtin") if o[1] == 0 else f"{o[0]} v{o[1]}",
            key="stars_switch",
        )
        if c2.button(t("stars.activate"), disabled=chosen == (saved.name, saved.version)):
            activate(*chosen)
            st.rerun()


# --- flows, playbook, lists --------------------------------------------------------------


def flow_keys(by: str) -> list[str]:
    """The groups of a flow chart, top to bottom."""
    if by == "stars":
        return [*(str(s) for s in reversed(STARS)), "none"]
    return [*stars.rfm.SEGMENTS, "none"]


def flow_colors(by: str) -> dict[str, str] | None:
    """The concept colours of the groups of a flow chart: stars or segments (ui.theme)."""
    return theme.concept_colors("stars" if by == "stars" else "segment", flow_keys(by))


def example_customer(rating_base: RatingBase, rules: RuleSet, rated: np.ndarray) -> str:
    """The best-scored 4-star customer (else any rated one below 5 stars), for the example."""
    for star in (4, 3, 2, 1):
        tier = stars.tier_list(rating_base, rules, rated, star)
        if len(tier):
            return str(tier["customer_id"].iloc[0])
    return ""


def segment_label(segment: str) -> str:
    return t("stars.unrated") if segment == "none" else label("segment", segment)


def labelled_flows(flows: pd.DataFrame, source: str, target: str, by: str = "stars"):
    """`flows` with `source, target` as text and their labels, for charts.flow_sankey."""
    label = star_label if by == "stars" else segment_label
    out = pd.DataFrame(
        {
            "source": flows[source].astype(str),
            "target": flows[target].astype(str),
            "customers": flows["customers"],
        }
    )
    out["source_label"] = [label(k) for k in out["source"]]
    out["target_label"] = [label(k) for k in out["target"]]
    return out


def playbook(rules: RuleSet) -> pd.DataFrame:
    """One row per star: the value tier and what service that tier gets."""
    tiers = stars.value_tier(np.array(STARS[::-1], dtype=np.int8), rules)
    return pd.DataFrame(
        {
            t("stars.col_stars"): [star_label(s) for s in STARS[::-1]],
            t("stars.col_value_tier"): [value_tier_label(x) for x in tiers],
            t("stars.col_actions"): [t(f"stars.playbook_{s}") for s in STARS[::-1]],
        }
    )


LIST_MONEY = ("revenue_12m", "margin_12m", "predicted_clv_12m")


def list_money_labels() -> tuple[str, ...]:
    """The tier list's money columns as the page names them (formatted in the currency)."""
    names = column_names()
    return tuple(names[c] for c in LIST_MONEY)


def shown_list(tier: pd.DataFrame) -> pd.DataFrame:
    """The first LIST_ROWS of a tier list with labels and rounded scores."""
    head = labelled(tier.head(LIST_ROWS))
    for column in ("score", *stars.SCORE_COLUMNS):
        head[column] = head[column].round(1)
    for column in LIST_MONEY:
        head[column] = head[column].round(0)
    return head.rename(columns=column_names())


def move_text(rating_base: RatingBase, rules: RuleSet, marks: np.ndarray, customer: str) -> str:
    """What would move this customer up a star, in words (Markdown: the typed ID is
    escaped, so it shows as typed and never as a link)."""
    typed = (customer or "").strip()
    if not typed:
        return ""
    row = customer_row(rating_base, typed)
    customer = fmt.plain(typed)
    if row is None:
        return t("stars.move_unknown", customer=customer)
    dims = rating_base.dims[row]
    if np.isnan(dims).any():
        return t("stars.move_prospect", customer=customer)
    score, rated, _ = stars.rate(dims[None, :], rules, marks)
    now = int(rated[0])
    if now == 5:
        return t("stars.move_top", customer=customer, score=f"{score[0]:.1f}")
    move = next_star_move(dims, rules, marks)
    if move is None:
        return t("stars.move_none", customer=customer, stars=star_label(now))
    start, end, points = stars.score_step(move.from_score, move.to_score)  # as the rule compares
    return t(
        "stars.move_text",
        customer=customer,
        stars=star_label(now),
        score=f"{score[0]:.1f}",
        dimension=dimension_label(move.dimension),
        start=start,
        end=end,
        points=points,
        target=star_label(move.to_stars),
    )
