"""The Overview page's figures and sections: the KPI tiles and the monthly trend, the story
the other pages tell and the insights in plain words.

The story is computed once per (as-of date, shared filters, data version) by
`core.overview.overview_story`, which calls the core functions the Star ratings, Churn risk,
Satisfaction and Lifecycle pages call, at their opening settings, so each figure is the one
its page shows; predicted CLV comes from the value models those pages share (`ui.models`).
With filters every figure counts the chosen customers only, their stars, risk, value and
stage being the whole base's. Unfiltered, under the default stage rules, on the build's
date, the page reads the story the build kept (`core.overview.opening_story`) instead: at
a million customers valuing everyone and rating the base took most of its first open. A
page's own ui module is that page's alone (tests/test_architecture.py), so the story has a
cache of its own.

A click on a star's bar in the star mix or on a step of the funnel opens the list of that
group's customers under the charts (`story_charts`): the builders put the star or the
step's code in each point's customdata, `clicked_star` / `clicked_step` read it, and the
pick is kept in the session (`PICKS`, through `ui.drill`) until its list is closed, so the
way back from Customer 360 finds the list open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core import export, overview, precompute
from core import filters as core_filters
from core import insights as ins
from core import stars as core_stars
from core.clv import Reason
from core.filters import Filters
from core.lifecycle import DEFAULT_RULES, DrillResult, LifecycleRules
from ui import charts, data, drill, filters, report, session
from ui import format as fmt
from ui import models as md
from ui.export import About, Column, list_about
from ui.export import column as export_column
from ui.i18n import t
from ui.labels import labelled, star_name
from ui.navigation import PAGES
from ui.widgets import Tile, change_tile, metric_row

TREND_MONTHS = 36


@st.cache_data(max_entries=64, show_spinner=False)
def kpis(as_of: dt.date, chosen: Filters, version: int) -> overview.Kpis:
    """The 12 months to `as_of` and the 12 before: customers, revenue, orders... of the
    customers the shared filters choose (`chosen`)."""
    ids = filters.ids(chosen, as_of, version)
    return overview.overview_kpis(data.cursor(), as_of, ids)


@st.cache_data(max_entries=64, show_spinner=False)
def monthly_revenue(as_of: dt.date, chosen: Filters, version: int) -> pd.DataFrame:
    """Revenue, orders and customers per month over the TREND_MONTHS up to `as_of`, of the
    chosen customers' orders."""
    ids = filters.ids(chosen, as_of, version)
    return overview.monthly_revenue(data.cursor(), as_of, TREND_MONTHS, ids)


def points(change: str | None) -> str | None:
    """A change of a share ('+1.2') in percentage points ('+1.2 pts'), None stays None."""
    return t("metric.points", change=change) if change else None


# --- the story: the other pages' figures, as each page computes them -----------------------

SPARK_MONTHS = overview.SPARK_MONTHS  # months of a tile's sparkline


def story(ctx, chosen: Filters) -> tuple[overview.Story, dict[str, str]]:
    """The Overview's figures as of the context's date (`core.overview.overview_story`),
    with predicted CLV from the value models the Customer value and Churn risk pages share
    (`ui.models`), and why a part is missing in words (part -> words: 'value', 'risk'); of
    the customers the shared filters choose (`chosen`), the models being the whole base's.
    The build keeps the story as it opens (everyone, default stage rules, its date): read
    when it holds, else computed live as here."""
    as_of, version = ctx.as_of, ctx.version
    reasons: dict[str, str] = {}
    if ctx.state.transactions == 0:
        return overview.Story(kpis(as_of, chosen, version)), reasons
    rules = session.lifecycle_rules()
    kept = None
    if not chosen.active and rules == DEFAULT_RULES:
        kept = _kept_story(as_of, version)
    if kept is not None:
        found, why = kept
        return found, {part: md.reason_text(reason) for part, reason in why.items()}
    fitted = md.models(as_of, version)
    value = customers = None
    if isinstance(fitted, Reason):
        reasons["value"] = md.reason_text(fitted)
    else:
        settings = md.defaults(as_of, version).settings()  # the Value page's opening knobs
        customers = md.customer_values(as_of, settings, version)
        valued = core_filters.keep(customers, filters.ids(chosen, as_of, version))
        value = overview.value_figure(valued, settings.horizon_months)
    words = t("overview.computing_filtered" if chosen.active else "overview.computing")
    with st.spinner(words):
        figures = kpis(as_of, chosen, version)  # the page's tiles have them already
        found, why = _story(as_of, version, value, rules, chosen, customers, figures)
    reasons |= {part: md.reason_text(reason) for part, reason in why.items()}
    return found, reasons


@st.cache_resource(max_entries=4, show_spinner=False)
def _kept_story(as_of: dt.date, version: int) -> tuple[overview.Story, dict] | None:
    """The story as it opens (everyone, default stage rules) as the build kept it for
    `as_of` (`core.overview.opening_story`), None when it kept none or it no longer
    holds: the page then computes it from the value models and the other pages' results."""
    return precompute.kept(overview.opening_story, data.cursor(), as_of)


@st.cache_resource(max_entries=4, show_spinner=False)
def _story(
    as_of: dt.date,
    version: int,
    value: overview.ValueFigure | None,
    rules: LifecycleRules,
    chosen: Filters,
    _customers: pd.DataFrame | None,  # read-only; follows from (as_of, version): not hashed
    _kpis: overview.Kpis,  # follows from (as_of, chosen, version): not hashed
) -> tuple[overview.Story, dict]:
    ids = filters.ids(chosen, as_of, version)
    return overview.overview_story(data.cursor(), as_of, value, _customers, rules, ids, _kpis)


def sparkline(values: pd.Series) -> list[float] | None:
    """The last SPARK_MONTHS values of a monthly series for a tile's sparkline (unknown
    months left out); None with fewer than 3 points (no line to read)."""
    points = [float(v) for v in values.tail(SPARK_MONTHS) if pd.notna(v)]
    return points if len(points) >= 3 else None


def complete_months(monthly: pd.DataFrame) -> pd.DataFrame:
    """The trend's months without a partial last month (it would dip for being short)."""
    return monthly[~monthly["is_partial"]]


def satisfaction_sparkline(
    as_of: dt.date, measure: str, version: int, chosen: Filters = core_filters.NO_FILTERS
) -> list[float] | None:
    """The monthly NPS or CSAT over the SPARK_MONTHS up to `as_of` of the chosen
    customers' answers, a month with fewer answers than the Satisfaction page's trend opens
    with left out (its rule, `core.satisfaction.opening_min_answers` on the same chosen
    customers: fewer on a small shop or a narrow filter)."""
    return sparkline(_satisfaction_months(as_of, chosen, version)[measure])


@st.cache_data(max_entries=16, show_spinner=False)
def _satisfaction_months(as_of: dt.date, chosen: Filters, version: int) -> pd.DataFrame:
    """`core.overview.satisfaction_months` of the chosen customers (everyone's on the
    build's date: as the build kept it)."""
    ids = filters.ids(chosen, as_of, version)
    return overview.satisfaction_months(data.cursor(), as_of, SPARK_MONTHS, ids)


def page_path(url_path: str) -> str:
    """The file of the page at `url_path`, as ui.navigation registers it."""
    return next(spec.path for spec in PAGES if spec.url_path == url_path)


PAGE_ICONS = {
    "stars": ":material/star:",
    "value": ":material/savings:",
    "churn": ":material/warning:",
    "satisfaction": ":material/mood:",
    "lifecycle": ":material/cycle:",
}


TREND_ANCHOR = "monthly-trend"  # the trend section's heading, for the growth insight's link


def open_link(url_path: str, container=None) -> None:
    """A link that opens the page at `url_path` in the same view (language, as-of date,
    presentation switches: `ui.session.link_params`); "overview", this page, is a link down
    to its monthly trend (no other page shows revenue over time)."""
    if url_path == "overview":
        (container or st).markdown(
            f":material/trending_up: [{t('overview.open_trend')}](#{TREND_ANCHOR})"
        )
        return
    (container or st).page_link(
        page_path(url_path),
        label=t(f"overview.open_{url_path}"),
        icon=PAGE_ICONS.get(url_path),
        query_params=session.link_params(),
    )


def stars_words(low: int, high: int) -> str:
    return (
        t("insights.stars_one", n=high)
        if low == high
        else t("insights.stars_range", low=low, high=high)
    )


def figure_text(figure, lang: str, currency: str | None) -> str:
    """One figure of an insight written in `lang` (money in `currency`)."""
    kind, value = figure.kind, figure.value
    if kind == ins.COUNT:
        return fmt.count(value, lang)
    if kind == ins.SHARE:
        return fmt.percent(value, 1 if figure.digits is None else figure.digits)
    if kind == ins.CHANGE:
        return fmt.change(1 + value, 1) or fmt.UNKNOWN
    if kind == ins.MONEY:
        return fmt.money(value, lang, currency)
    if kind == ins.POINTS:
        body = f"{abs(value):.{figure.digits}f}"
        return ("-" if value < 0 and body.strip("0.") else "+") + body
    if kind == ins.SCORE:
        return f"{value:.{figure.digits}f}"
    if kind == ins.STARS:
        return stars_words(*value)
    if kind == ins.WORD:
        return t(f"insights.{value}")
    raise ValueError(f"unknown figure kind {kind!r}")


def insight_text(insight, lang: str, currency: str | None) -> str:
    """The sentence of `insight` in `lang`: its catalog template filled with its figures."""
    words = {name: figure_text(f, lang, currency) for name, f in insight.figures.items()}
    return t(f"insights.{insight.key}", **words)


# --- the page's sections -------------------------------------------------------------------


def kpi_tiles(ctx, figures: overview.Kpis, monthly: pd.DataFrame | None) -> None:
    """The six KPI tiles of the 12 months, each against the 12 before where the data cover
    them, with a monthly sparkline where the figure has a monthly series."""
    lang = ctx.lang
    months = complete_months(monthly) if monthly is not None else None

    def spark(column: str):
        if months is None:
            return None
        if column == "aov":
            orders = months["orders"].where(months["orders"] > 0)
            return sparkline(months["revenue"] / orders)
        return sparkline(months[column])

    tiles = {  # catalog key -> (value, change against the previous 12 months, sparkline)
        "customers": (
            fmt.count(figures.customers, lang),
            fmt.change(figures.customers, figures.customers_previous),
            None,
        ),
        "active_customers": (
            fmt.count(figures.active_customers, lang),
            fmt.change(figures.active_customers, figures.active_customers_previous),
            spark("customers"),
        ),
        "revenue": (
            fmt.money(figures.revenue, lang, ctx.currency),
            fmt.change(figures.revenue, figures.revenue_previous),
            spark("revenue"),
        ),
        "orders": (
            fmt.count(figures.orders, lang),
            fmt.change(figures.orders, figures.orders_previous),
            spark("orders"),
        ),
        "aov": (
            fmt.money(figures.avg_order_value, lang, ctx.currency, exact=True),
            fmt.change(figures.avg_order_value, figures.avg_order_value_previous),
            spark("aov"),
        ),
        "repeat_rate": (
            fmt.percent(figures.repeat_rate),
            points(fmt.point_change(figures.repeat_rate, figures.repeat_rate_previous)),
            None,
        ),
    }
    shown = [
        change_tile(
            t(f"overview.{key}"),
            value,
            change,
            covered=figures.has_previous,
            help=t(f"overview.{key}_help"),
            chart_data=line,
        )
        for key, (value, change, line) in tiles.items()
    ]
    metric_row(shown, columns=3)  # six to a row would cut the labels and the changes short


def insights_section(ctx, story_: overview.Story) -> None:
    """The insights in plain words, each beside the link to the page that explains it."""
    st.subheader(t("overview.insights_header"))
    found = ins.insights(story_)
    if not found:
        report.note(t("overview.no_insights"))
    sentences = [insight_text(insight, ctx.lang, ctx.currency) for insight in found]
    for insight, sentence in zip(found, sentences, strict=True):
        words, link = st.columns([6, 1], vertical_alignment="center")
        words.markdown(f"- {fmt.plain(sentence)}")
        open_link(insight.page, link)
    report.says(*sentences)


def _stars_tile(ctx, mix: overview.StarMix | None) -> Tile:
    star = ins.TOP_STAR
    label = t("overview.stars_tile", n=star)
    help_ = t("overview.stars_tile_help", n=star)
    if mix is None:
        return Tile(label, fmt.count(0, ctx.lang), help_, caption=t("overview.no_rated"))
    group = mix.group((star,))
    return Tile(
        label,
        fmt.count(group["customers"], ctx.lang),
        help_,
        caption=t(
            "overview.stars_tile_caption",
            share=fmt.percent(group["customer_share"]),
            value_share=fmt.percent(group["value_share"]),
            basis=t(f"overview.basis_{mix.basis}"),
        ),
    )


def _value_tile(ctx, value: overview.ValueFigure | None, reason: str | None) -> Tile:
    label, help_ = t("overview.clv"), t("overview.clv_help")
    if value is None:
        return Tile(label, fmt.UNKNOWN, help_, caption=t("overview.not_computed", reason=reason))
    return Tile(
        label,
        fmt.money(value.total, ctx.lang, ctx.currency),
        help_,
        caption=t(
            "overview.clv_caption",
            months=value.horizon_months,
            customers=fmt.count(value.customers, ctx.lang),
        ),
    )


def _risk_tile(ctx, risk: overview.RiskFigure | None, reason: str | None) -> Tile:
    label = t("overview.risk")
    help_ = t(
        "overview.risk_help",
        risk=fmt.percent(overview.CHURN_MIN_RISK, 0),
        days=overview.CHURN_HORIZON,
    )
    if risk is None:
        return Tile(label, fmt.UNKNOWN, help_, caption=t("overview.not_computed", reason=reason))
    share = fmt.percent(risk.share)
    caption = (
        t("overview.risk_caption_no_clv", share=share)
        if risk.predicted_clv is None
        else t(
            "overview.risk_caption",
            share=share,
            clv=fmt.money(risk.predicted_clv, ctx.lang, ctx.currency),
        )
    )
    return Tile(label, fmt.count(risk.at_risk, ctx.lang), help_, caption=caption)


def score_change(current: float, previous: float | None, digits: int) -> str | None:
    """A score's change as the Satisfaction page writes it: '+1.2', '0' when it rounds to
    nothing, None without an earlier score."""
    if previous is None or pd.isna(previous):
        return None
    change = current - previous
    return "0" if round(change, digits) == 0 else f"{change:+.{digits}f}"


def _satisfaction_tile(ctx, sat: overview.SatisfactionFigure | None, chosen: Filters) -> Tile:
    if sat is None:
        return Tile(
            t("overview.satisfaction_none"),
            fmt.UNKNOWN,
            t("overview.satisfaction_help"),
            caption=t("overview.satisfaction_none_caption"),
        )
    digits = 0 if sat.measure == "nps" else 2  # as the Satisfaction page writes them
    return change_tile(
        t(f"overview.satisfaction_{sat.measure}"),
        f"{sat.current:.{digits}f}",
        score_change(sat.current, sat.previous, 1 if sat.measure == "nps" else 2),
        covered=sat.covered and sat.previous is not None,
        help=t("overview.satisfaction_help"),
        caption=t("overview.satisfaction_caption", n=fmt.count(sat.answers, ctx.lang)),
        chart_data=satisfaction_sparkline(ctx.as_of, sat.measure, ctx.version, chosen),
    )


def story_tiles(ctx, story_: overview.Story, reasons: dict[str, str], chosen: Filters) -> None:
    """Stars, value, risk and satisfaction side by side, each opening its page."""
    st.subheader(t("overview.story_header"))
    tiles = {
        "stars": _stars_tile(ctx, story_.mix),
        "value": _value_tile(ctx, story_.value, reasons.get("value")),
        "churn": _risk_tile(ctx, story_.risk, reasons.get("risk")),
        "satisfaction": _satisfaction_tile(ctx, story_.satisfaction, chosen),
    }
    for column, (page, tile) in zip(st.columns(len(tiles)), tiles.items(), strict=True):
        metric_row([tile], columns=1, container=column)
        open_link(page, column)


def story_charts(ctx, story_: overview.Story, chosen: Filters) -> None:
    """The star mix and the lifecycle funnel in miniature, each opening its page; a click
    on a star's bar or a funnel step opens the list of its customers below them."""
    left, right = st.columns(2)
    star = step = None
    if story_.mix is not None:
        mix = story_.mix
        table = mix.table.sort_values("stars", ascending=False)
        basis = t(f"overview.chart_basis_{mix.basis}")
        labels = {
            "customers": t("overview.mix_customers"),
            "value": t("overview.mix_value", basis=basis),
            "axis": t("overview.mix_axis"),
        }
        title = t("overview.mix_title", basis=basis, as_of=ctx.as_of)
        star_labels = [star_name(s) for s in table["stars"]]
        figure = charts.star_mix(table, star_labels, title, labels)
        event = report.chart(figure, container=left, **clickable(MIX))
        drill.hint(t("overview.mix_click"), left)
        open_link("stars", left)
        star = drill.keep(PICKS[MIX], clicked_star(event))
    if story_.funnel is not None:
        names = [t(f"lifecycle.step_{key}") for key in overview.FUNNEL_STEPS]
        counts = [story_.funnel.customers[key] for key in overview.FUNNEL_STEPS]
        title = t("overview.funnel_title", as_of=ctx.as_of)
        figure = charts.lifecycle_funnel(names, counts, title, list(overview.FUNNEL_STEPS))
        event = report.chart(figure, container=right, **clickable(FUNNEL))
        drill.hint(t("overview.funnel_click"), right)
        open_link("lifecycle", right)
        step = drill.keep(PICKS[FUNNEL], clicked_step(event))
    if star is not None:
        star_list(ctx, star, chosen)
    if step is not None:
        step_list(ctx, step, chosen)


# --- the customers behind a clicked bar or step ------------------------------------------------

MIX, FUNNEL = "mix", "funnel"  # the clickable charts
PICKS = {MIX: "overview_mix_pick", FUNNEL: "overview_funnel_pick"}  # the star, the step
LIST_ROWS = 500  # rows of a clicked group's list shown on the page (the export has all)


def chart_key(chart: str) -> str:
    """The chart's widget key, `overview_<chart>_<n>`: a new one each time its list is
    closed, which clears the chart's selection (Streamlit lets no page set a chart's
    selection)."""
    return drill.chart_key(f"overview_{chart}")


def clickable(chart: str) -> dict:
    """`st.plotly_chart` options for a chart whose bars open a list when clicked."""
    return {
        "width": "stretch",
        "on_select": "rerun",
        "selection_mode": "points",
        "key": chart_key(chart),
    }


def close(chart: str) -> None:
    """Close the list of `chart`'s clicked group (a button's callback): its pick is
    forgotten and the chart drawn under a new key."""
    drill.close(PICKS[chart], f"overview_{chart}_closed")


def clicked(event) -> object | None:
    """The group a chart builder put in the clicked point's customdata (the first value
    when it holds several), None when nothing is selected. `event`: what
    `st.plotly_chart(..., on_select="rerun")` returns, or a dict of the same shape."""
    found = next(drill.points(event), None)
    if isinstance(found, list | tuple):
        found = found[0] if found else None
    return found


def clicked_star(event) -> int | None:
    """The star of the bar clicked in the star mix (None: none, or not a star)."""
    found = clicked(event)
    try:
        star = int(found)
    except (TypeError, ValueError):
        return None
    return star if star in core_stars.STARS else None


def clicked_step(event) -> str | None:
    """The funnel step clicked (its code in `core.overview.FUNNEL_STEPS`; None: none)."""
    found = clicked(event)
    return found if found in overview.FUNNEL_STEPS else None


@st.cache_data(max_entries=16, show_spinner=False)
def star_drill(as_of: dt.date, star: int, chosen: Filters, version: int) -> DrillResult:
    """The first LIST_ROWS customers with `star` stars under the active rules (chosen by
    the filters) and how many there are."""
    ids = filters.ids(chosen, as_of, version)
    listed = overview.star_customers(data.cursor(), as_of, star, ids)
    return DrillResult(customers=listed.head(LIST_ROWS), total=len(listed))


@st.cache_data(max_entries=16, show_spinner=False)
def step_drill(
    as_of: dt.date, rules: LifecycleRules, step: str, chosen: Filters, version: int
) -> DrillResult:
    """The first LIST_ROWS customers who reached funnel `step` (chosen by the filters) and
    how many there are."""
    ids = filters.ids(chosen, as_of, version)
    return overview.step_customers(data.cursor(), as_of, rules, step, ids, limit=LIST_ROWS)


STAR_COLUMNS = {  # the star list's columns -> (catalog key, export kind)
    "customer_id": ("stars.col_customer_id", export.TEXT),
    "city": ("stars.col_city", export.TEXT),
    "acquisition_channel": ("stars.col_channel", export.TEXT),
    "stars": ("stars.col_stars", export.STARS),
    "value_tier": ("stars.col_value_tier", export.TEXT),
    "score": ("stars.col_score", export.RATIO),
    "revenue_12m": ("stars.col_revenue_12m", export.MONEY),
    "margin_12m": ("stars.col_margin_12m", export.MONEY),
    "predicted_clv_12m": ("stars.col_clv_12m", export.MONEY),
}
STEP_COLUMNS = {  # the funnel step's list columns -> export kind (headed lifecycle.col_*)
    "customer_id": export.TEXT,
    "city": export.TEXT,
    "acquisition_channel": export.TEXT,
    "signed_up_on": export.DATE,
    "first_purchase_on": export.DATE,
    "last_purchase_on": export.DATE,
    "count_purchase_days": export.COUNT,
    "revenue": export.MONEY,
    "margin": export.MONEY,
    "days_since_purchase": export.COUNT,
    "stage": export.TEXT,
}


def star_names() -> dict[str, str]:
    """The star list's columns in the reader's language."""
    return {key: t(name) for key, (name, _) in STAR_COLUMNS.items()}


def step_names() -> dict[str, str]:
    """The funnel step's list columns in the reader's language."""
    return {key: t(f"lifecycle.col_{key}") for key in STEP_COLUMNS}


def star_columns(currency: str | None) -> list[Column]:
    """The star list's exported columns: scores to one decimal, money with its currency."""
    names = star_names()
    return [
        export_column(key, names[key], kind, currency, digits=1)
        for key, (_, kind) in STAR_COLUMNS.items()
    ]


def step_columns(currency: str | None) -> list[Column]:
    """The funnel step's exported columns: days as dates, money with its currency."""
    names = step_names()
    return [export_column(key, names[key], kind, currency) for key, kind in STEP_COLUMNS.items()]


def shown_rows(listed: pd.DataFrame, names: dict[str, str], columns: list[Column]):
    """A list's rows as the page shows them: codes as labels, scores to one decimal,
    headed in the reader's language (`names`)."""
    out = labelled(listed[list(names)])
    for c in columns:
        if c.kind == export.RATIO:
            out[c.key] = out[c.key].round(1)
    return out.rename(columns=names)


def drill_about(
    ctx, chart_title: str, clicked_value: str, chosen: Filters, rules: dict | None = None
) -> About:
    """A clicked group's About sheet: the chart, what was clicked, the as-of date (with the
    star rule set), the stage `rules` the group follows (label -> value) and the shared
    filters."""
    return list_about(
        ctx,
        "overview",
        chart_title,
        choices={**(rules or {}), t("overview.drill_clicked"): clicked_value},
        filters=filters.choices(chosen),
    )


@dataclass(frozen=True)
class Listed:
    """A clicked group's list as `_drill_panel` draws it: `heading` (what was clicked), the
    `result` (first rows and count), the columns' `names` on screen and exported `columns`,
    `file` (the downloads' name), `make` (the whole list, on click) and `about`."""

    heading: str
    result: DrillResult
    names: dict[str, str]
    columns: list[Column]
    file: str
    make: Callable[[], pd.DataFrame]
    about: About


def _drill_panel(ctx, chart: str, listed: Listed) -> None:
    """The list of a clicked group: what was clicked and how many, the first rows (a row
    opens Customer 360), the downloads and a button that closes it."""
    result, names, columns, lang = listed.result, listed.names, listed.columns, ctx.lang
    drill.customer_list(
        f"overview_{chart}",
        t("overview.drill_heading", group=listed.heading, n=fmt.count(result.total, lang)),
        shown_rows(result.customers, names, columns),
        result.total,
        page="overview",
        close_label=t("overview.drill_close"),
        on_close=close,
        close_args=(chart,),
        id_column=names["customer_id"],
        table=dict(
            height=320,
            money=tuple(names[c.key] for c in columns if c.kind == export.MONEY),
            currency=ctx.currency,
        ),
        download=dict(make=listed.make, columns=columns, name=listed.file, about=listed.about),
        more=t(
            "overview.drill_first",
            shown=fmt.count(len(result.customers), lang),
            n=fmt.count(result.total, lang),
        ),
        empty=t("overview.drill_none"),
    )


def star_list(ctx, star: int, chosen: Filters) -> None:
    """The customers of the star clicked in the star mix, as of the page's day under the
    active rules, the filters applied."""
    result = star_drill(ctx.as_of, star, chosen, ctx.version)
    as_of, version, con = ctx.as_of, ctx.version, data.cursor()
    ids = filters.ids(chosen, as_of, version)
    name = t("overview.drill_star", star=star_name(star))
    listed = Listed(
        heading=name,
        result=result,
        names=star_names(),
        columns=star_columns(ctx.currency),
        file=f"startier-overview-{star}-stars-{as_of}",
        make=lambda: overview.star_customers(con, as_of, star, ids),
        about=drill_about(ctx, t("overview.mix_list"), star_name(star), chosen),
    )
    _drill_panel(ctx, MIX, listed)


def step_list(ctx, step: str, chosen: Filters) -> None:
    """The customers who reached the funnel step clicked, under the session's stage rules,
    the filters applied."""
    rules = session.lifecycle_rules()
    result = step_drill(ctx.as_of, rules, step, chosen, ctx.version)
    as_of, version, con = ctx.as_of, ctx.version, data.cursor()
    ids = filters.ids(chosen, as_of, version)
    name = t(f"lifecycle.step_{step}")
    listed = Listed(
        heading=t("overview.drill_step", step=name),
        result=result,
        names=step_names(),
        columns=step_columns(ctx.currency),
        file=f"startier-overview-step-{step}-{as_of}",
        make=lambda: overview.step_customers(con, as_of, rules, step, ids).customers,
        about=drill_about(
            ctx, t("overview.funnel_list"), name, chosen, session.lifecycle_rules_choices(rules)
        ),
    )
    _drill_panel(ctx, FUNNEL, listed)


def trend_section(ctx, monthly: pd.DataFrame) -> None:
    """Monthly revenue over the TREND_MONTHS, a partial last month said in words."""
    lang = ctx.lang
    start, end = monthly["month"].iloc[0], monthly["month"].iloc[-1]
    scale = fmt.money_axis_scale(lang)
    labels = {
        "month": t("overview.trend_month"),
        "revenue": fmt.with_unit(
            t("overview.trend_revenue"), fmt.money_unit(lang, ctx.currency, scale), lang
        ),
        "orders": t("overview.trend_orders"),
        "customers": t("overview.trend_customers"),
    }
    title = t("overview.trend_title", start=f"{start:%Y-%m}", end=f"{end:%Y-%m}")
    figure = charts.revenue_trend(monthly, title, labels, scale)
    st.subheader(t("overview.trend_header"), anchor=TREND_ANCHOR)
    report.chart(figure, width="stretch")
    if monthly["is_partial"].iloc[-1]:
        report.note(t("overview.trend_partial", as_of=ctx.as_of))


# --- the page as a self-contained HTML report ------------------------------------------------


def report_button(container=None) -> None:
    """The Overview's own button for the view's report (`ui.report`; the frame offers it
    in the sidebar on every page)."""
    report.offer(
        container,
        label=t("overview.report"),
        help=t("overview.report_help"),
        key="_overview_report_button",
    )
