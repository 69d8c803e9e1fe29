"""The Overview page's figures and sections: the KPI tiles and the monthly trend, the story
the other pages tell and the insights in plain words.

The story is computed once per (as-of date, data version) by `core.overview.overview_story`,
which calls the core functions the Star ratings, Churn risk, Satisfaction and Lifecycle
pages call, at their opening settings, so each figure is the one its page shows; predicted
CLV comes from the value models those pages share (`ui.models`). A page's own ui module is
that page's alone (tests/test_architecture.py), so the story has a cache of its own."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from core import insights as ins
from core import overview, satisfaction
from core.clv import Reason
from core.lifecycle import LifecycleRules
from ui import charts, data, session
from ui import format as fmt
from ui import models as md
from ui.i18n import t
from ui.labels import star_name
from ui.navigation import PAGES
from ui.widgets import Tile, change_tile, metric_row

TREND_MONTHS = 36


@st.cache_data(max_entries=64, show_spinner=False)
def kpis(as_of: dt.date, version: int) -> overview.Kpis:
    """The 12 months to `as_of` and the 12 before: customers, revenue, orders..."""
    return overview.overview_kpis(data.cursor(), as_of)


@st.cache_data(max_entries=64, show_spinner=False)
def monthly_revenue(as_of: dt.date, version: int) -> pd.DataFrame:
    """Revenue, orders and customers per month over the TREND_MONTHS up to `as_of`."""
    return overview.monthly_revenue(data.cursor(), as_of, months=TREND_MONTHS)


def points(change: str | None) -> str | None:
    """A change of a share ('+1.2') in percentage points ('+1.2 pts'), None stays None."""
    return t("metric.points", change=change) if change else None


# --- the story: the other pages' figures, as each page computes them -----------------------

SPARK_MONTHS = 24  # months of a tile's sparkline


def story(ctx) -> tuple[overview.Story, dict[str, str]]:
    """The Overview's figures as of the context's date (`core.overview.overview_story`),
    with predicted CLV from the value models the Customer value and Churn risk pages share
    (`ui.models`), and why a part is missing in words (part -> words: 'value', 'risk')."""
    as_of, version = ctx.as_of, ctx.version
    reasons: dict[str, str] = {}
    if ctx.state.transactions == 0:
        return overview.Story(kpis(as_of, version)), reasons
    fitted = md.models(as_of, version)
    value = customers = None
    if isinstance(fitted, Reason):
        reasons["value"] = md.reason_text(fitted)
    else:
        settings = md.defaults(as_of, version).settings()  # the Value page's opening knobs
        customers = md.customer_values(as_of, settings, version)
        value = overview.ValueFigure(
            total=float(customers["predicted_clv"].sum()),
            customers=len(customers),
            horizon_months=settings.horizon_months,
        )
    with st.spinner(t("overview.computing")):
        found, why = _story(as_of, version, value, session.lifecycle_rules(), customers)
    reasons |= {part: md.reason_text(reason) for part, reason in why.items()}
    return found, reasons


@st.cache_resource(max_entries=4, show_spinner=False)
def _story(
    as_of: dt.date,
    version: int,
    value: overview.ValueFigure | None,
    rules: LifecycleRules,
    _customers: pd.DataFrame | None,  # read-only; follows from (as_of, version): not hashed
) -> tuple[overview.Story, dict]:
    return overview.overview_story(data.cursor(), as_of, value, _customers, rules)


def sparkline(values: pd.Series) -> list[float] | None:
    """The last SPARK_MONTHS values of a monthly series for a tile's sparkline (unknown
    months left out); None with fewer than 3 points (no line to read)."""
    points = [float(v) for v in values.tail(SPARK_MONTHS) if pd.notna(v)]
    return points if len(points) >= 3 else None


def complete_months(monthly: pd.DataFrame) -> pd.DataFrame:
    """The trend's months without a partial last month (it would dip for being short)."""
    return monthly[~monthly["is_partial"]]


def satisfaction_sparkline(as_of: dt.date, measure: str, version: int) -> list[float] | None:
    """The monthly NPS or CSAT over the SPARK_MONTHS up to `as_of`, a month with fewer
    answers than the Satisfaction page's trend opens with left out (its rule,
    `core.satisfaction.opening_min_answers`: fewer on a small shop)."""
    min_answers = _opening_min_answers(as_of, version)
    return sparkline(_satisfaction_months(as_of, min_answers, version)[measure])


@st.cache_data(max_entries=16, show_spinner=False)
def _opening_min_answers(as_of: dt.date, version: int) -> int:
    return satisfaction.opening_min_answers(data.cursor(), as_of)


@st.cache_data(max_entries=16, show_spinner=False)
def _satisfaction_months(as_of: dt.date, min_answers: int, version: int) -> pd.DataFrame:
    return satisfaction.satisfaction_trend(
        data.cursor(), as_of, "all", months=SPARK_MONTHS, min_answers=min_answers
    )


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


def kpi_tiles(ctx, figures: overview.Kpis, monthly: pd.DataFrame | None, report: Report) -> None:
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
    report.add(tiles=shown)


def insights_section(ctx, story_: overview.Story, report: Report) -> None:
    """The insights in plain words, each beside the link to the page that explains it."""
    st.subheader(t("overview.insights_header"))
    found = ins.insights(story_)
    if not found:
        st.caption(t("overview.no_insights"))
    sentences = [insight_text(insight, ctx.lang, ctx.currency) for insight in found]
    for insight, sentence in zip(found, sentences, strict=True):
        words, link = st.columns([6, 1], vertical_alignment="center")
        words.markdown(f"- {fmt.plain(sentence)}")
        open_link(insight.page, link)
    report.add(t("overview.insights_header"), sentences=sentences or [t("overview.no_insights")])


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


def _satisfaction_tile(ctx, sat: overview.SatisfactionFigure | None) -> Tile:
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
        chart_data=satisfaction_sparkline(ctx.as_of, sat.measure, ctx.version),
    )


def story_tiles(ctx, story_: overview.Story, reasons: dict[str, str], report: Report) -> None:
    """Stars, value, risk and satisfaction side by side, each opening its page."""
    st.subheader(t("overview.story_header"))
    tiles = {
        "stars": _stars_tile(ctx, story_.mix),
        "value": _value_tile(ctx, story_.value, reasons.get("value")),
        "churn": _risk_tile(ctx, story_.risk, reasons.get("risk")),
        "satisfaction": _satisfaction_tile(ctx, story_.satisfaction),
    }
    for column, (page, tile) in zip(st.columns(len(tiles)), tiles.items(), strict=True):
        metric_row([tile], columns=1, container=column)
        open_link(page, column)
    report.add(t("overview.story_header"), tiles=list(tiles.values()))


def story_charts(ctx, story_: overview.Story, report: Report) -> None:
    """The star mix and the lifecycle funnel in miniature, each opening its page."""
    left, right = st.columns(2)
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
        left.plotly_chart(figure, width="stretch")
        open_link("stars", left)
        report.add(figures=[figure])
    if story_.funnel is not None:
        steps = [t(f"lifecycle.step_{step}") for step in overview.FUNNEL_STEPS]
        counts = [story_.funnel.customers[step] for step in overview.FUNNEL_STEPS]
        title = t("overview.funnel_title", as_of=ctx.as_of)
        figure = charts.lifecycle_funnel(steps, counts, title)
        right.plotly_chart(figure, width="stretch")
        open_link("lifecycle", right)
        report.add(figures=[figure])


def trend_section(ctx, monthly: pd.DataFrame, report: Report) -> None:
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
    st.plotly_chart(figure, width="stretch")
    notes = []
    if monthly["is_partial"].iloc[-1]:
        notes.append(t("overview.trend_partial", as_of=ctx.as_of))
        st.caption(notes[-1])
    report.add(figures=[figure], sentences=notes)


# --- the page as a self-contained HTML report ------------------------------------------------


@dataclass
class Report:
    """What the page shows, gathered as it is drawn, for `report_html`: a title, a caption
    and sections of tiles, sentences and figures (in the page's order)."""

    title: str
    caption: str
    sections: list[dict] = field(default_factory=list)

    def add(self, heading: str | None = None, *, tiles=(), sentences=(), figures=()) -> None:
        self.sections.append(
            {
                "heading": heading,
                "tiles": list(tiles),
                "sentences": list(sentences),
                "figures": list(figures),
            }
        )


REPORT_STYLE = """
body { font-family: "Source Sans Pro", "Noto Sans CJK SC", "PingFang SC", sans-serif;
  color: #1B2233; margin: 2rem auto; max-width: 1200px; padding: 0 1.5rem; }
h1 { margin-bottom: 0.2rem; } .caption { color: #6B778C; font-size: 0.9rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
  gap: 0.8rem; margin: 1rem 0; }
.tile { border: 1px solid #E3E8F2; border-radius: 0.5rem; padding: 0.8rem 1rem; }
.label { font-size: 0.9rem; } .value { font-size: 2rem; margin: 0.2rem 0; }
.delta { font-size: 0.85rem; color: #3E4859; } .note { color: #6B778C; font-size: 0.85rem; }
li { margin: 0.4rem 0; }
"""


def _tile_html(tile: Tile) -> str:
    parts = [
        f'<div class="label">{html.escape(tile.label)}</div>',
        f'<div class="value">{html.escape(tile.value)}</div>',
    ]
    if tile.delta:
        delta = " ".join(p for p in (tile.delta, tile.delta_description) if p)
        parts.append(f'<div class="delta">{html.escape(delta)}</div>')
    if tile.caption:
        parts.append(f'<div class="note">{html.escape(tile.caption)}</div>')
    return f'<div class="tile">{"".join(parts)}</div>'


def report_html(report: Report, lang: str) -> str:
    """`report` as one HTML file that opens anywhere without a network: the tiles and
    sentences as text, the charts with plotly.js inline (once, in the first chart)."""
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    body.append(f'<p class="caption">{html.escape(report.caption)}</p>')
    first_chart = True
    for section in report.sections:
        if section["heading"]:
            body.append(f"<h2>{html.escape(section['heading'])}</h2>")
        if section["tiles"]:
            tiles = "".join(_tile_html(tile) for tile in section["tiles"])
            body.append(f'<div class="tiles">{tiles}</div>')
        for figure in section["figures"]:
            body.append(
                figure.to_html(
                    full_html=False, include_plotlyjs=first_chart, config={"responsive": True}
                )
            )
            first_chart = False
        if section["sentences"]:
            items = "".join(f"<li>{html.escape(s)}</li>" for s in section["sentences"])
            body.append(f"<ul>{items}</ul>")
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{html.escape(report.title)}</title>'
        f"<style>{REPORT_STYLE}</style></head><body>{''.join(body)}</body></html>"
    )


def report_button(ctx, report: Report, container=None) -> None:
    """A button that downloads the page as `report_html` (made when clicked)."""
    (container or st).download_button(
        t("overview.report"),
        data=lambda: report_html(report, ctx.lang),
        file_name=f"startier-overview-{ctx.as_of}-{ctx.lang}.html",
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
        help=t("overview.report_help"),
    )
