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

from core import export, stars
from core import filters as core_filters
from core.filters import Filters
from core.stars import DIMENSIONS, RatingBase, RuleSet, SavedRules
from ui import data, drill, filters, theme
from ui import format as fmt
from ui.export import About, Column, download_buttons, list_about
from ui.export import column as export_column
from ui.i18n import current_language, t
from ui.labels import label, labelled, star_name
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
def flows(
    start: dt.date, end: dt.date, by: str, chosen: Filters, as_of: dt.date, version: int
) -> pd.DataFrame:
    """The moves between two month ends of the customers the filters choose (as of
    `as_of`, the page's day)."""
    ids = filters.ids(chosen, as_of, version)
    return stars.star_flows(data.cursor(), start, end, by, customers=ids)


def chosen_only(rating_base: RatingBase, rated: np.ndarray, ids: np.ndarray | None):
    """`rated` (stars per customer of the base) with the customers the shared filters leave
    out set to 0, as a prospect: every count, flow and list then holds the chosen customers
    only, each rated among the whole base (the thresholds are the whole base's)."""
    kept = core_filters.keep_mask(rating_base.frame["customer_id"], ids)
    return rated if kept is None else np.where(kept, rated, 0).astype(rated.dtype)


def clicked_star(event) -> int | None:
    """The star of the bar clicked in the distribution (`ui.charts.star_bars` puts it first
    in each bar's customdata); None when nothing is clicked."""
    found = next(drill.points(event), None)
    if isinstance(found, list | tuple):
        found = found[0] if found else None
    try:
        star = int(found)
    except (TypeError, ValueError):
        return None
    return star if star in STARS else None


CLICKED = "_stars_clicked"  # the star last clicked in the distribution, once applied


def follow_click(event, key: str) -> None:
    """Make the tier list (its select box under `key`, drawn later in the run) show the
    star just clicked in the distribution. A click is applied once: the select box can be
    changed afterwards while the bar stays selected."""
    star = clicked_star(event)
    if star is not None and st.session_state.get(CLICKED) != star:
        st.session_state[key] = star
    st.session_state[CLICKED] = star


def rate(rating_base: RatingBase, rules: RuleSet):
    """(composite, stars with 0 for prospects, thresholds) for these rules."""
    return stars.rate(rating_base.dims, rules)


distribution = stars.star_distribution
change = stars.rating_change
net_change = stars.star_net_change
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
    """Store the draft as a new version of `name`, not active: no customer's star changes
    and no other page shows anything new (only the list of versions is read again)."""
    saved = stars.save_rule_set(data.cursor(), rules, name, saved_by or None, activate=False)
    versions.clear()
    return saved


def activate(name: str, version: int) -> SavedRules:
    """Make a saved version active: customer_features is re-rated, every page reads anew."""
    chosen = stars.activate_rule_set(data.cursor(), name, version)
    st.cache_data.clear()
    return chosen


@st.cache_data(max_entries=8, show_spinner=False)
def activation_change(name: str, version: int, data_version: int) -> stars.StarShift:
    """What making version `version` of `name` active (0: the built-in default) would
    change in the stored stars (`core.stars.activation_change`)."""
    cur = data.cursor()
    rules = stars.load_rule_set(cur, name, version).rules if version else stars.DEFAULT_RULES
    return stars.activation_change(cur, rules)


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
) -> Callable[[], pd.DataFrame]:
    """The tier's whole list for `ui.export.download_buttons`, made when the user clicks."""
    return lambda: stars.tier_list(rating_base, rules, rated, star)


TIER_KINDS = {
    **{name: export.RATIO for name in ("score", *stars.SCORE_COLUMNS)},
    **{name: export.MONEY for name in ("revenue_12m", "margin_12m", "predicted_clv_12m")},
}  # the other columns are text, but `stars`


def tier_columns(tier: pd.DataFrame, currency: str | None) -> list[Column]:
    """The exported columns of a tier list (`tier`), in its order: the named ones
    (`column_names`), scores to one decimal as the page shows them."""
    names = column_names()
    kinds = {**TIER_KINDS, "stars": export.STARS}
    return [
        export_column(key, names[key], kinds.get(key, export.TEXT), currency, digits=1)
        for key in tier.columns
        if key in names
    ]


def tier_about(ctx, star: int, chosen: Filters) -> About:
    """A tier list's About sheet: the star tier listed and the shared filters."""
    return list_about(
        ctx,
        "stars",
        t("stars.list_header"),
        choices={t("stars.list_star"): star_label(star)},
        filters=filters.choices(chosen),
    )


DISTRIBUTION_KINDS = {
    "stars": export.STARS,
    "customers": export.COUNT,
    "share": export.PERCENT,
    "revenue_12m": export.MONEY,
    "margin_12m": export.MONEY,
    "clv_12m": export.MONEY,
}


def distribution_export_columns(currency: str | None) -> list[Column]:
    """The distribution's exported columns, as the table heads them: counts, the share as
    a percent, money to cents in the currency."""
    names = distribution_columns()
    return [
        export_column(key, names[key], kind, currency, digits=1)
        for key, kind in DISTRIBUTION_KINDS.items()
    ]


def distribution_export(dist: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    return lambda: dist[list(DISTRIBUTION_KINDS)]


def distribution_about(ctx, title: str, chosen: Filters) -> About:
    """The distribution's About sheet (`title`: the chart's): the rule set and as-of date,
    and the filters."""
    return list_about(ctx, "stars", title, filters=filters.choices(chosen))


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


DRAFT_MEMORY = "_stars_draft"  # the draft's slider values, kept while a slider is not drawn


def _kept_slider(where, label: str, default: int, key: str, **options) -> int:
    """A 0-100 slider whose value outlives a run where it is not drawn (Streamlit forgets
    a widget's value then): it opens on the value last read under `key`, else `default`."""
    memory = st.session_state.setdefault(DRAFT_MEMORY, {})
    value = where.slider(label, 0, 100, memory.get(key, default), key=key, **options)
    memory[key] = value
    return value


def rules_input(saved: SavedRules, where=None) -> RuleSet:
    """Sliders for the weights and thresholds, starting from the saved rules, stacked in
    `where` (a column beside the draft's effect); the draft. Each value is kept when the
    mode changes (the other mode's sliders are not drawn meanwhile)."""
    where = where or st.container()
    rules = saved.rules
    suffix = f"{saved.name}_{saved.version}"
    where.markdown(f"**{t('stars.weights')}**")
    weights = [
        _kept_slider(
            where,
            dimension_label(d),
            int(round(w)),
            f"stars_w_{d}_{suffix}",
            step=5,
            help=t(f"stars.how_{d}"),
        )
        for d, w in zip(DIMENSIONS, rules.weights, strict=True)
    ]
    if not sum(weights):
        where.warning(t("stars.weights_zero"))
        weights = list(rules.weights)
    where.caption(weight_shares_text(weights))
    mode_names = {m: t(f"stars.mode_{m}") for m in MODES}  # the language of this run
    mode = choice(
        t("stars.mode"),
        MODES,
        rules.mode,
        format_func=mode_names.get,
        key=f"stars_mode_{suffix}",
        container=where,
    )
    shares, marks = list(rules.top_shares), list(rules.score_thresholds)
    if mode == "quantile":
        picked = [
            _kept_slider(
                where,
                t("stars.top_share", star=5 - i),
                int(round(share * 100)),
                f"stars_share_{i}_{suffix}",
                format="%d%%",
            )
            for i, share in enumerate(rules.top_shares)
        ]
        shares = list(np.maximum.accumulate(picked) / 100)
    else:
        picked = [
            _kept_slider(
                where,
                t("stars.threshold", star=5 - i),
                int(round(mark)),
                f"stars_mark_{i}_{suffix}",
            )
            for i, mark in enumerate(rules.score_thresholds)
        ]
        marks = [float(m) for m in np.minimum.accumulate(picked)]
    return rules.replace(
        weights=tuple(weights), mode=mode, top_shares=shares, score_thresholds=marks
    )


def weight_shares(weights) -> list[float]:
    """Each weight as a share of their total (0..1)."""
    total = float(sum(weights))
    return [float(w) / total for w in weights]


def weight_shares_text(weights) -> str:
    """The weights as percentages of their total, in the dimensions' names."""
    shown = " · ".join(
        t("stars.weight_share", dimension=dimension_label(d), share=fmt.percent(share, 0))
        for d, share in zip(DIMENSIONS, weight_shares(weights), strict=True)
    )
    return t("stars.weight_shares", shares=shown)


def thresholds_text(rules: RuleSet, marks: np.ndarray) -> str:
    shown = ", ".join(
        t("stars.threshold_at", star=5 - i, score="–" if not np.isfinite(m) else f"{m:.1f}")
        for i, m in enumerate(marks)
    )
    return t("stars.thresholds_now", thresholds=shown)


SWITCH_KEY = "stars_switch"
PENDING = "_stars_activation"  # (name, version) waiting for the user's confirmation
ACTIVATED = "_stars_activated"  # the sentence to show once after an activation
SAVED = "_stars_saved"  # the sentence to show once after a save


@st.cache_data(max_entries=32, show_spinner=False)
def _saved_rules(name: str, number: int, version: int) -> RuleSet:
    """The rules of saved version `number` of `name` (a saved version never changes)."""
    return stars.load_rule_set(data.cursor(), name, number).rules


def last_saved(version: int) -> SavedRules | None:
    """The version saved last (any name), or None when none is saved yet."""
    table = versions(version)
    if table.empty:
        return None
    name, number = table["name"].iloc[0], int(table["version"].iloc[0])
    return SavedRules(name, number, _saved_rules(name, number, version))


def save_refusal(draft: RuleSet, saved: SavedRules, version: int) -> str | None:
    """Why the draft cannot be saved (None: it can): it is the active rules, or the rules
    of the version saved last, so saving would only store a copy."""
    if draft == saved.rules:
        return t("stars.save_same_active")
    last = last_saved(version)
    if last is not None and draft == last.rules:
        return t("stars.save_same_last", name=fmt.plain(version_label((last.name, last.version))))
    return None


def save_form(draft: RuleSet, saved: SavedRules, version: int) -> None:
    """Name, who and a button that stores the draft as a new version (not active: the
    version switch below makes a version active, after confirmation). The version just
    saved is then the one the switch offers. A draft that is the active rules or the
    version saved last is not saved again (`save_refusal` says why)."""
    done = st.session_state.pop(SAVED, None)
    if done:  # a message on the page, not a toast: it stays until the next change
        st.success(done, icon=":material/save:")
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    name = c1.text_input(t("stars.save_name"), value=saved.name, key="stars_save_name")
    who = c2.text_input(t("stars.save_by"), key="stars_save_by")
    refusal = save_refusal(draft, saved, version)
    if refusal:
        st.caption(refusal)
    if c3.button(t("stars.save"), type="primary", disabled=refusal is not None):
        try:
            stored = save(draft, name, who)
        except ValueError as error:
            st.error(fmt.plain(error))  # may quote the typed name
            return
        st.session_state[SAVED] = t(
            "stars.saved", name=fmt.plain(stored.name), version=stored.version
        )
        st.session_state[SWITCH_KEY] = (stored.name, stored.version)
        st.rerun(scope="app")
    st.caption(t("stars.save_caption"))


VERSION_COLUMNS = {  # the saved versions' columns -> (catalog key, export kind)
    "name": ("stars.col_name", export.TEXT),
    "version": ("stars.col_version", export.COUNT),
    "is_active": ("stars.col_active", export.TEXT),
    "saved_by": ("stars.col_saved_by", export.TEXT),
    "saved_at": ("stars.col_saved_at", export.DATETIME),
}


def version_columns() -> list[Column]:
    """The saved versions' exported columns (active as ✓, as on the page)."""
    return [
        export_column(key, t(name), kind, None) for key, (name, kind) in VERSION_COLUMNS.items()
    ]


def version_label(option: tuple[str, int]) -> str:
    return t("stars.builtin") if option[1] == 0 else f"{option[0]} v{option[1]}"


def version_switch(saved: SavedRules, ctx) -> None:
    """The saved versions (with their download) and a switch of the active one, which asks
    for confirmation first (`confirm_activation`; the page's day, `ctx.as_of`, is compared
    in the dialog with the day the stored stars are for)."""
    version, as_of = ctx.version, ctx.as_of
    st.subheader(t("stars.versions_header"))
    done = st.session_state.pop(ACTIVATED, None)
    if done:
        st.success(done)
    table = versions(version)
    if table.empty:
        st.caption(t("stars.versions_none"))
        return
    marked = table.assign(is_active=table["is_active"].map({True: "✓", False: ""}))
    shown = marked.rename(
        columns={
            "name": t("stars.col_name"),
            "version": t("stars.col_version"),
            "is_active": t("stars.col_active"),
            "saved_by": t("stars.col_saved_by"),
            "saved_at": t("stars.col_saved_at"),
        }
    )
    show_table(shown)
    download_buttons(
        lambda: marked,
        len(marked),
        version_columns(),
        "startier-star-rule-versions",
        about=list_about(ctx, "stars", t("stars.versions_header")),
    )
    options = [(stars.DEFAULT_NAME, 0)] + list(
        zip(table["name"], table["version"].astype(int), strict=True)
    )
    if st.session_state.get(SWITCH_KEY) not in options:
        st.session_state.pop(SWITCH_KEY, None)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(
        t("stars.switch_to"),
        options,
        index=options.index((saved.name, saved.version)) if saved.version else 0,
        format_func=version_label,
        key=SWITCH_KEY,
    )
    if c2.button(
        t("stars.activate"), disabled=chosen == (saved.name, saved.version), key="stars_activate"
    ):
        st.session_state[PENDING] = chosen
    st.caption(t("stars.versions_caption"))
    pending = st.session_state.get(PENDING)
    if pending:
        confirm_activation(*pending, version, as_of)


def _forget_pending() -> None:
    st.session_state.pop(PENDING, None)


def confirm_activation(name: str, version: int, data_version: int, as_of: dt.date) -> None:
    """A dialog that says how many customers change star, and which way, were this
    version made active, and makes it active on confirmation. Activation re-rates the
    stored stars, which are for the last build's day: the dialog counts on that day and
    says so, and says too when the page (`as_of`) counts the draft's effect on another. It
    stays open (it is drawn again on every run) until confirmed, cancelled or dismissed."""
    st.dialog(t("stars.confirm_title"), on_dismiss=_forget_pending)(_confirmation)(
        name, version, data_version, as_of
    )


def _confirmation(name: str, version: int, data_version: int, as_of: dt.date) -> None:
    lang = current_language()
    shift = activation_change(name, version, data_version)
    shown = fmt.plain(version_label((name, version)))
    if shift.moved:
        st.markdown(
            t(
                "stars.confirm_text",
                name=shown,
                moved=fmt.count(shift.moved, lang),
                up=fmt.count(shift.moved_up, lang),
                down=fmt.count(shift.moved_down, lang),
            )
        )
        st.markdown(net_text(shift.net, lang))
    else:
        st.markdown(t("stars.confirm_none", name=shown))
    if filters.current().active:  # activation re-rates everyone, whatever is filtered
        st.caption(t("stars.confirm_everyone"))
    if shift.day is not None:
        st.caption(t("stars.confirm_day", day=shift.day))
        if shift.day != as_of:
            st.caption(t("stars.confirm_other_day", as_of=as_of, day=shift.day))
    c1, c2 = st.columns(2)
    if c1.button(t("stars.confirm_yes"), type="primary", key="stars_confirm_yes"):
        activate(name, version)
        _forget_pending()
        st.session_state[ACTIVATED] = t(
            "stars.activated", name=shown, moved=fmt.count(shift.moved, lang)
        )
        st.rerun()
    if c2.button(t("stars.confirm_no"), key="stars_confirm_no"):
        _forget_pending()
        st.rerun()


def net_text(net: pd.DataFrame, lang: str) -> str:
    """The net change per star (`core.stars.star_net_change`) as Markdown lines, stars
    that nobody enters or leaves left out: "4★: +312 in, −120 out, net +192"."""
    lines = [
        "- "
        + t(
            "stars.net_line",
            star=star_label(row.stars),
            came_in=fmt.count(row.came_in, lang),
            went_out=fmt.count(row.went_out, lang),
            net=signed_count(row.net, lang),
        )
        for row in net.itertuples()
        if row.came_in or row.went_out
    ]
    return "\n".join(lines) if lines else t("stars.net_none")


def signed_count(value: int, lang: str) -> str:
    """+192, −120 (a true minus), 0."""
    if value > 0:
        return f"+{fmt.count(value, lang)}"
    if value < 0:
        return f"−{fmt.count(-value, lang)}"
    return fmt.count(0, lang)


# --- who the draft moves --------------------------------------------------------------------


def moves(
    rating_base: RatingBase, saved: RuleSet, rated: np.ndarray, draft: RuleSet, drafted
) -> pd.DataFrame:
    return stars.star_moves(rating_base, saved, rated, draft, drafted)


def moves_columns() -> dict[str, str]:
    names = {
        "customer_id": t("stars.col_customer_id"),
        "from_stars": t("stars.col_from"),
        "to_stars": t("stars.col_to"),
        "reason": t("stars.col_reason"),
        "score_saved": t("stars.col_score_saved"),
        "score_draft": t("stars.col_score_draft"),
        "revenue_12m": t("stars.col_revenue_12m"),
    }
    names.update({f"score_{d}": dimension_label(d) for d in DIMENSIONS})
    return names


def reason_label(reason: str) -> str:
    return t("stars.reason_thresholds") if reason == "thresholds" else dimension_label(reason)


def _worded_moves(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    out = table.assign(
        from_stars=[star_label(s) for s in table["from_stars"]],
        to_stars=[star_label(s) for s in table["to_stars"]],
        reason=[reason_label(r) for r in table["reason"]],
    )
    for column in ("score_saved", "score_draft", *stars.SCORE_COLUMNS):
        out[column] = out[column].round(1)
    out["revenue_12m"] = out["revenue_12m"].round(0)
    return out.rename(columns=names)


def shown_moves(table: pd.DataFrame) -> pd.DataFrame:
    """The first LIST_ROWS movers as the page shows them: star and reason labels, scores
    to one decimal, revenue whole."""
    return _worded_moves(table.head(LIST_ROWS), moves_columns())


def moves_money_labels() -> tuple[str, ...]:
    return (moves_columns()["revenue_12m"],)


def moves_column_config() -> dict:
    """The reason wide enough to read, the scores with one decimal."""
    names = moves_columns()
    config = {names["reason"]: st.column_config.TextColumn(names["reason"], width="medium")}
    for column in ("score_saved", "score_draft", *stars.SCORE_COLUMNS):
        config[names[column]] = st.column_config.NumberColumn(names[column], format="%.1f")
    return config


def moves_export(table: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    """Every mover for `ui.export.download_buttons`, the reason worded as on the page (the
    words read now); made when the user clicks."""
    words = {r: reason_label(r) for r in ("thresholds", *DIMENSIONS)}
    return lambda: table.assign(reason=table["reason"].map(words).fillna(table["reason"]))


MOVE_KINDS = {
    "from_stars": export.STARS,
    "to_stars": export.STARS,
    "revenue_12m": export.MONEY,
    **{name: export.RATIO for name in ("score_saved", "score_draft", *stars.SCORE_COLUMNS)},
}  # the other columns are text


def moves_export_columns(currency: str | None) -> list[Column]:
    """The movers' exported columns (`moves_columns`): stars as numbers, scores to one
    decimal as shown, the revenue to cents with the currency."""
    return [
        export_column(key, name, MOVE_KINDS.get(key, export.TEXT), currency, digits=1)
        for key, name in moves_columns().items()
    ]


def moves_about(ctx, draft: RuleSet, chosen: Filters) -> About:
    """The movers' About sheet: the saved rule set (`list_about` names it) against the
    `draft` that moved them: its weights as shares of their total, its mode and its top
    shares or score thresholds, so the file can be tied to the rules that produced it; and
    the shared filters."""
    return list_about(
        ctx,
        "stars",
        t("stars.moves_header"),
        choices=draft_choices(draft),
        filters=filters.choices(chosen),
    )


def draft_choices(draft: RuleSet) -> dict[str, str]:
    """The draft's rules as label -> value, in the words of its sliders."""

    def drafted(label: str) -> str:
        return t("stars.about_draft", what=label)

    weights = " · ".join(
        t("stars.weight_share", dimension=dimension_label(d), share=fmt.percent(share, 0))
        for d, share in zip(DIMENSIONS, weight_shares(draft.weights), strict=True)
    )
    out = {
        drafted(t("stars.weights")): weights,
        drafted(t("stars.mode")): t(f"stars.mode_{draft.mode}"),
    }
    if draft.mode == "quantile":
        for i, share in enumerate(draft.top_shares):
            out[drafted(t("stars.top_share", star=5 - i))] = fmt.percent(share, 0)
    else:
        for i, mark in enumerate(draft.score_thresholds):
            out[drafted(t("stars.threshold", star=5 - i))] = f"{mark:g}"
    return out


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


def playbook_rows(rules: RuleSet) -> pd.DataFrame:
    """One row per star, 5 first: `stars`, `value_tier` (its code under `rules`) and
    `actions`, the service that tier gets (in the reader's language)."""
    tiers = stars.value_tier(np.array(STARS[::-1], dtype=np.int8), rules)
    return pd.DataFrame(
        {
            "stars": list(STARS[::-1]),
            "value_tier": list(tiers),
            "actions": [t(f"stars.playbook_{s}") for s in STARS[::-1]],
        }
    )


PLAYBOOK = {"stars": "stars.col_stars", "value_tier": "stars.col_value_tier"}
PLAYBOOK |= {"actions": "stars.col_actions"}


def playbook(rules: RuleSet) -> pd.DataFrame:
    """The playbook as the page shows it: star and value-tier labels."""
    rows = playbook_rows(rules)
    shown = rows.assign(
        stars=[star_label(s) for s in rows["stars"]],
        value_tier=[value_tier_label(x) for x in rows["value_tier"]],
    )
    return shown.rename(columns={key: t(name) for key, name in PLAYBOOK.items()})


def playbook_columns() -> list[Column]:
    kinds = {"stars": export.STARS}
    return [
        export_column(key, t(name), kinds.get(key, export.TEXT), None)
        for key, name in PLAYBOOK.items()
    ]


def playbook_about(ctx) -> About:
    return list_about(ctx, "stars", t("stars.playbook_header"))


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
