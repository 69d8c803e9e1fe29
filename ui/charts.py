"""Plotly figures as pure functions: data and labels in, a figure out; pages only show them.

Every figure wears the StarTier template and the concept colours of `ui.theme`; money in
hovers is written by `ui.format.money` in the currency given (the sign before the symbol);
money axes carry their unit in the title the page gives (`fmt.with_unit`) and
plain numbers with thousands separators on the ticks; axes of counts never show a
fraction, nor the same whole number twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui import theme

COUNT_FORMAT = ",d"
FRACTION_FORMAT = ",.2~f"  # a count axis zoomed in below a step of 1: 0.5, never "1"
MONEY_FORMAT = ",~f"  # 1,250 / 0.5 (万): the unit is in the axis title


def count_axis(largest: float | None = None) -> dict:
    """Axis settings for whole numbers: thousands separators, a step of 1 when the largest
    value is 10 or less (so 0.5 is never drawn as "1" beside a "1"), and decimals (never a
    repeated whole number) if a reader zooms in below a step of 1."""
    axis = dict(
        tickformat=COUNT_FORMAT,
        tickformatstops=[dict(dtickrange=[None, 0.999], value=FRACTION_FORMAT)],
    )
    if largest is None or not np.isfinite(largest) or abs(largest) <= 10:
        axis |= dict(tickmode="linear", tick0=0, dtick=1)
    return axis


def money_axis() -> dict:
    """Axis settings for money: plain numbers with separators (the unit is in the title)."""
    return dict(tickformat=MONEY_FORMAT, tickprefix="")


def _largest(*values) -> float | None:
    found = [float(np.nanmax(np.abs(np.asarray(v, dtype=float)))) for v in values if len(v)]
    found = [f for f in found if np.isfinite(f)]
    return max(found) if found else None


def revenue_trend(
    monthly: pd.DataFrame, title: str, labels: dict[str, str], scale: float = 1.0
) -> go.Figure:
    """Monthly revenue as bars (a partial last month paler), orders in the hover.

    `monthly` has `month, revenue, orders, customers, is_partial`; revenue is divided by
    `scale` (1, or 10,000 for 万 in Chinese); `labels` holds `month`, `revenue`, `orders`,
    `customers`.
    """
    colors = [theme.BRAND_LIGHT if partial else theme.BRAND for partial in monthly["is_partial"]]
    digits = 0 if scale == 1.0 else 2  # in 万: 1.25
    figure = go.Figure(
        go.Bar(
            x=monthly["month"],
            y=monthly["revenue"] / scale,
            marker_color=colors,
            customdata=monthly[["orders", "customers"]].to_numpy(),
            hovertemplate=(
                f"%{{x|%Y-%m}}<br>{labels['revenue']}: %{{y:,.{digits}f}}<br>"
                f"{labels['orders']}: %{{customdata[0]:,}}<br>"
                f"{labels['customers']}: %{{customdata[1]:,}}<extra></extra>"
            ),
        )
    )
    figure.update_layout(bargap=0.15)
    figure.update_xaxes(title=labels["month"], tickformat="%Y-%m", dtick="M3")
    figure.update_yaxes(title=labels["revenue"], **money_axis())
    return _layout(figure, title)


# --- lifecycle and satisfaction (pages/lifecycle.py, pages/satisfaction.py) ----------------

# Plotly reads a little HTML in every text it draws (<a href>, <b>, <br>); text from the
# data (a city, a channel, a category of the user's own) is shown as it is written.
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TEXT_ATTRIBUTES = ("x", "y", "text", "labels", "ids", "customdata")


def _escaped(values):
    if isinstance(values, str):
        return values.translate(_HTML)
    if isinstance(values, (list, tuple)):
        return type(values)(_escaped(v) for v in values)
    if hasattr(values, "dtype") and values.dtype == object:  # numpy arrays of labels
        return np.vectorize(_escaped, otypes=[object])(values) if values.size else values
    return values


def text_as_data(values):
    """`values` (customdata as a click sends it back: a string or a list of them) as they
    were before `data_as_text` escaped them; what is not a string is left as it is."""
    if isinstance(values, str):
        return values.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if isinstance(values, (list, tuple)):
        return type(values)(text_as_data(v) for v in values)
    return values


def data_as_text(figure: go.Figure) -> go.Figure:
    """`figure` with the strings of its data (categories, labels, names, custom data)
    escaped, so Plotly draws them as text, never as a link or markup."""
    for trace in figure.data:
        for attribute in _TEXT_ATTRIBUTES:
            if attribute in trace and trace[attribute] is not None:
                trace[attribute] = _escaped(trace[attribute])
        if isinstance(trace.name, str):
            trace.name = _escaped(trace.name)
        if "node" in trace and trace.node.label is not None:
            trace.node.label = _escaped(trace.node.label)
    return figure


def _layout(figure: go.Figure, title: str, height: int = 380) -> go.Figure:
    """The layout of every chart here: title at the top left, the legend (when there is
    one) between it and the plot, with room for it to wrap in a narrow column; the data's
    text shown as text (`data_as_text`)."""
    data_as_text(figure)
    entries = sum(getattr(trace, "showlegend", False) is not False for trace in figure.data)
    legend = entries > 1
    rows = min(entries, 3) if legend else 0  # a narrow column wraps one entry a row
    figure.update_layout(
        template=theme.template(),
        title=dict(text=title, y=1.0, yanchor="top", yref="container", pad=dict(t=12)),
        margin=dict(l=10, r=10, t=50 + 25 * rows, b=10),
        height=height + 25 * rows,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0.0),
        showlegend=legend,
        hovermode="closest",
    )
    return theme.follow_view(figure)  # presentation mode's type and ground, if on


def lifecycle_funnel(
    steps: list[str], counts: list[int], title: str, keys: list[str] | None = None
) -> go.Figure:
    """Acquired -> converted -> repeat -> retained as a funnel: each step's customers and
    its share of the acquired. `steps` are the step labels, in order; `keys` the steps'
    codes, kept in each step's customdata so that a click names its step in any language."""
    figure = go.Figure(
        go.Funnel(
            y=steps,
            x=counts,
            customdata=keys,
            texttemplate="%{value:,}<br>%{percentInitial:.1%}",
            hovertemplate="%{y}: %{x:,} (%{percentPrevious:.1%})<extra></extra>",
            marker_color=list(theme.FUNNEL[: len(steps)]),
            connector=dict(fillcolor=theme.SECONDARY_BACKGROUND, line=dict(width=0)),
        )
    )
    figure.update_xaxes(visible=False)  # the bars carry their counts and shares
    return _layout(figure, title, height=340)


def star_mix(
    mix: pd.DataFrame, star_labels: list[str], title: str, labels: dict[str, str]
) -> go.Figure:
    """Each star's share of the rated customers beside its share of the value, as
    horizontal bars from 5 stars at the top: where the value sits against the head count.

    `mix` has `stars, customer_share, value_share` (0..1; value_share may be unknown);
    `star_labels` the label of each row; `labels` holds `customers`, `value` and `axis`.
    Each bar's customdata is its star, so that a click names the star in any language.
    """
    figure = go.Figure()
    for column, name, color in (
        ("customer_share", labels["customers"], theme.BRAND_LIGHT),
        ("value_share", labels["value"], theme.BRAND),
    ):
        shares = mix[column].astype(float) * 100
        figure.add_trace(
            go.Bar(
                y=star_labels,
                x=shares,
                customdata=mix["stars"].astype(int).to_numpy(),
                name=name,
                orientation="h",
                marker_color=color,
                text=[fmt.percent(v / 100, 0) for v in shares],  # never "-0%"
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"%{{y}}<br>{name}: %{{x:.1f}}%<extra></extra>",
            )
        )
    figure.update_layout(barmode="group", bargap=0.25)
    figure.update_xaxes(title=labels["axis"], ticksuffix="%", rangemode="tozero")
    figure.update_yaxes(title=None, categoryorder="array", categoryarray=star_labels[::-1])
    return _layout(figure, title, height=300)


def funnel_rates(
    frame: pd.DataFrame,
    groups: list[str],
    rates: dict[str, str],
    title: str,
    labels: dict[str, str],
    over_time: bool = False,
) -> go.Figure:
    """Each step's rate per group: bars per group (`over_time` False) or lines over the
    sign-up months (`over_time` True, `groups` then being YYYY-MM).

    `frame` has the funnel rates; `groups` the label of each row; `rates` maps a rate
    column to its label; `labels` holds `group`, `rate` and `acquired`. Each point's
    customdata is (acquired, the group's key: `frame`'s `group_key`, else its label, the
    rate column): a click names its group and rate in any language.
    """
    keys = frame["group_key"] if "group_key" in frame else pd.Series(groups, index=frame.index)
    figure = go.Figure()
    for color, (column, name) in zip(theme.SERIES, rates.items(), strict=False):
        common = dict(
            name=name,
            x=groups,
            y=frame[column],
            customdata=[
                [int(acquired), str(key), column]
                for acquired, key in zip(frame["acquired"], keys, strict=True)
            ],
            hovertemplate=(
                f"%{{x}}<br>{name}: %{{y:.1%}}<br>{labels['acquired']}: "
                "%{customdata[0]:,}<extra></extra>"
            ),
        )
        if over_time:
            figure.add_trace(go.Scatter(mode="lines+markers", line_color=color, **common))
        else:
            figure.add_trace(go.Bar(marker_color=color, **common))
    figure.update_yaxes(tickformat=".0%", title=labels["rate"], rangemode="tozero")
    figure.update_xaxes(title=labels["group"])
    if over_time:
        figure.update_xaxes(type="category", nticks=12)
    return _layout(figure, title, height=340)


def stage_mix(
    history: pd.DataFrame,
    stages: dict[str, str],
    title: str,
    month: str,
    customers: str = "",
) -> go.Figure:
    """Customers in each stage at each month end, stacked; `stages` maps a stage to its
    label (drawing order), `month` and `customers` are the axis titles."""
    figure = go.Figure()
    for stage, name in stages.items():
        figure.add_trace(
            go.Scatter(
                x=history["day"],
                y=history[stage],
                name=name,
                mode="lines",
                stackgroup="stages",
                line=dict(width=0.5, color=theme.concept_colors("stage", [stage])[stage]),
                hovertemplate=f"%{{x|%Y-%m-%d}}<br>{name}: %{{y:,}}<extra></extra>",
            )
        )
    stacked = history[list(stages)].sum(axis=1) if len(history) else []
    figure.update_xaxes(title=month, tickformat="%Y-%m", dtick="M3")
    figure.update_yaxes(title=customers or None, **count_axis(_largest(stacked)))
    return _layout(figure, title).update_layout(hovermode="x unified")


def lifecycle_flows(history: pd.DataFrame, labels: dict[str, str], title: str) -> go.Figure:
    """The month's flows of buyers: new and reactivated up, churned down (bars), and live
    buyers at the month end (line, right axis). `labels` holds `flow_new`,
    `flow_reactivated`, `flow_churned`, `live_at_end`, `month` and (the left axis) `buyers`;
    buyers coming in are drawn in the colours of up moves, those leaving of down moves."""
    figure = go.Figure()
    for column, color, sign in (
        ("flow_new", theme.UP, 1),
        ("flow_reactivated", theme.UP_LIGHT, 1),
        ("flow_churned", theme.DOWN, -1),
    ):
        figure.add_trace(
            go.Bar(
                x=history["month"],
                y=sign * history[column],
                name=labels[column],
                marker_color=color,
                customdata=history[column],
                hovertemplate=(
                    f"%{{x|%Y-%m}}<br>{labels[column]}: %{{customdata:,}}<extra></extra>"
                ),
            )
        )
    figure.add_trace(
        go.Scatter(
            x=history["month"],
            y=history["live_at_end"],
            name=labels["live_at_end"],
            mode="lines",
            line=dict(color=theme.TEXT, width=2),
            yaxis="y2",
            hovertemplate=f"%{{x|%Y-%m}}<br>{labels['live_at_end']}: %{{y:,}}<extra></extra>",
        )
    )
    flows = _largest(history["flow_new"] + history["flow_reactivated"], history["flow_churned"])
    figure.update_layout(
        barmode="relative",
        yaxis=dict(
            title=labels.get("buyers"),
            zeroline=True,
            zerolinecolor=theme.NEUTRAL,
            **count_axis(flows),
        ),
        yaxis2=dict(
            title=labels["live_at_end"],
            overlaying="y",
            side="right",
            showgrid=False,
            rangemode="tozero",
            **count_axis(_largest(history["live_at_end"])),
        ),
    )
    figure.update_xaxes(title=labels["month"], tickformat="%Y-%m", dtick="M3")
    return _layout(figure, title)


def cohort_heatmap(
    cohorts: pd.DataFrame, value: str, title: str, labels: dict[str, str]
) -> go.Figure:
    """Sign-up cohorts (rows, newest at the bottom) x months since sign-up (columns), the
    colour being `value` (a share). The colour scale tops out at the 95th percentile of
    months 1+ so that month 0 does not wash out the rest; the hover has exact figures.
    `labels` holds `cohort`, `months`, `value`, `cohort_size`, `buyers`.

    Plotly cannot select a heatmap's cell, so an unseen marker sits on each cell and carries
    its hover and its customdata (cohort size, buyers, the cohort's first day as
    YYYY-MM-DD, months since sign-up): a click on a cell selects its marker."""
    grid = cohorts.pivot(index="cohort", columns="months_since_signup", values=value)
    later = cohorts.loc[cohorts["months_since_signup"] > 0, value].dropna()
    top = float(later.quantile(0.95)) if len(later) else None
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=[str(c) for c in grid.columns],
            y=[f"{pd.Timestamp(c):%Y-%m}" for c in grid.index],
            zmin=0,
            zmax=top if top and top > 0 else None,
            colorscale=theme.SEQUENTIAL,
            colorbar=dict(tickformat=".0%", title=""),
            hoverinfo="skip",  # the cells' markers carry the hover
        )
    )
    cells = cohorts.dropna(subset=[value])
    figure.add_trace(
        go.Scatter(
            x=[str(k) for k in cells["months_since_signup"]],
            y=[f"{pd.Timestamp(c):%Y-%m}" for c in cells["cohort"]],
            mode="markers",
            marker=dict(size=14, symbol="square", color="rgba(0,0,0,0)"),
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            showlegend=False,
            customdata=[
                [int(size), int(bought), f"{pd.Timestamp(c):%Y-%m-%d}", int(k), float(v)]
                for size, bought, c, k, v in zip(
                    cells["cohort_size"],
                    cells["buyers"],
                    cells["cohort"],
                    cells["months_since_signup"],
                    cells[value],
                    strict=True,
                )
            ],
            hovertemplate=(
                f"{labels['cohort']}: %{{y}}<br>{labels['months']}: %{{x}}<br>"
                f"{labels['value']}: %{{customdata[4]:.1%}}<br>{labels['cohort_size']}: "
                f"%{{customdata[0]:,}}<br>{labels['buyers']}: %{{customdata[1]:,}}<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title=labels["months"], type="category")
    figure.update_yaxes(title=labels["cohort"], type="category", autorange="reversed")
    return _layout(figure, title, height=520)


def channel_economics(
    frame: pd.DataFrame,
    channels: list[str],
    series: dict[str, str],
    title: str,
    axis: str,
    currency: str | None = None,
    channel: str = "",
) -> go.Figure:
    """Per acquisition channel, grouped bars of per-customer money in `currency`: `series`
    maps a column (cac, value_per_customer, predicted_clv_per_customer...) to its label;
    `axis` is the y-axis title, `channel` the x-axis one. Each bar's customdata is (the
    amount in words, the channel's code: `frame`'s `channel`, else its label): a click names
    the channel in any language."""
    colors = {
        "cac": theme.COST,
        "value_per_customer": theme.ACTUAL,
        "predicted_clv_per_customer": theme.PREDICTED,
    }
    codes = frame.get("channel", channels)
    figure = go.Figure()
    for column, name in series.items():
        figure.add_trace(
            go.Bar(
                x=channels,
                y=frame[column],
                name=name,
                marker_color=colors.get(column, theme.NEUTRAL),
                customdata=[
                    [text, str(code)]
                    for text, code in zip(
                        fmt.money_texts(frame[column], currency), codes, strict=True
                    )
                ],
                hovertemplate=f"%{{x}}<br>{name}: %{{customdata[0]}}<extra></extra>",
            )
        )
    figure.update_xaxes(title=channel or None)
    figure.update_yaxes(title=axis, **money_axis())
    return _layout(figure, title, height=360)


def satisfaction_trend(
    trend: pd.DataFrame,
    metric: str,
    groups: dict[str, str],
    title: str,
    labels: dict[str, str],
    split: str = "",
) -> go.Figure:
    """One line per group of `metric` ('nps', 'csat' or 'satisfied_share') over the
    months; months with too few answers are gaps. `groups` maps a group key to its label;
    `split` says what the groups are ('stars', 'category', 'channel': star levels and
    categories keep their colours); `labels` holds `month`, `metric`, `answers`. Each
    point's customdata is (answers, group key, month 'YYYY-MM-DD'): what a click picks."""
    answers = "csat_answers" if metric in ("csat", "satisfied_share") else "nps_answers"
    number = {"nps": "%{y:.0f}", "csat": "%{y:.2f}", "satisfied_share": "%{y:.1%}"}[metric]
    colors = theme.concept_colors(split, list(groups))
    figure = go.Figure()
    for key, name in groups.items():
        color = colors[key]
        rows = trend[trend["group_key"] == key]
        figure.add_trace(
            go.Scatter(
                x=rows["month"],
                y=rows[metric],
                name=name,
                mode="lines+markers",
                line_color=color,
                connectgaps=False,
                customdata=[
                    [int(n), key, day]
                    for n, day in zip(rows[answers], _days(rows["month"]), strict=True)
                ],
                hovertemplate=(
                    f"%{{x|%Y-%m}} · %{{fullData.name}}<br>{labels['metric']}: {number}<br>"
                    f"{labels['answers']}: %{{customdata[0]:,}}<extra></extra>"
                ),
            )
        )
    figure.update_xaxes(title=labels["month"], tickformat="%Y-%m", dtick="M3")
    figure.update_yaxes(
        title=labels["metric"], tickformat=".0%" if metric == "satisfied_share" else None
    )
    return _layout(figure, title)


def complaints_by_category(
    monthly: pd.DataFrame, categories: dict[str, str], title: str, labels: dict[str, str]
) -> go.Figure:
    """Complaints per month stacked by category (bars) and the share resolved within the
    service level (line, right axis). `monthly` is `complaints_by_month`'s frame;
    `categories` maps a category to its label; `labels` holds `month`, `complaints`,
    `sla_share`. A bar's customdata is (category, month 'YYYY-MM-DD'), the line's (None,
    month): all categories; what a click picks."""
    figure = go.Figure()
    detail = monthly[~monthly["is_total"]]
    colors = theme.concept_colors("category", list(categories))
    for category, name in categories.items():
        color = colors[category]
        rows = detail[detail["category"] == category]
        figure.add_trace(
            go.Bar(
                x=rows["month"],
                y=rows["complaints"],
                name=name,
                marker_color=color,
                customdata=[[category, day] for day in _days(rows["month"])],
                hovertemplate="%{x|%Y-%m}<br>%{fullData.name}: %{y:,}<extra></extra>",
            )
        )
    total = monthly[monthly["is_total"]]
    figure.add_trace(
        go.Scatter(
            x=total["month"],
            y=total["sla_share"],
            name=labels["sla_share"],
            mode="lines+markers",
            line=dict(color=theme.TEXT, width=2),
            yaxis="y2",
            customdata=[[None, day] for day in _days(total["month"])],
            hovertemplate=f"%{{x|%Y-%m}}<br>{labels['sla_share']}: %{{y:.1%}}<extra></extra>",
        )
    )
    stacked = detail.groupby("month")["complaints"].sum()
    figure.update_layout(
        barmode="stack",
        yaxis=dict(title=labels["complaints"], **count_axis(_largest(stacked))),
        yaxis2=dict(
            title=labels["sla_share"],
            overlaying="y",
            side="right",
            tickformat=".0%",
            range=[0, 1.05],
            tickmode="linear",
            dtick=0.25,
            showgrid=False,
        ),
    )
    figure.update_xaxes(title=labels["month"], tickformat="%Y-%m", dtick="M3")
    return _layout(figure, title)


def _days(months) -> list[str]:
    """Months as 'YYYY-MM-DD', for a trace's customdata."""
    return [f"{month:%Y-%m-%d}" for month in pd.to_datetime(pd.Series(months))]


def backlog_ages(
    ages: list[str],
    counts: list[int],
    title: str,
    axis: str,
    age: str = "",
    edges: tuple[int, ...] | None = None,
) -> go.Figure:
    """Open complaints per age bucket (`ages` are the bucket labels, `age` the x-axis
    title), older buckets darker; a bar's customdata is its bucket's lower edge in days
    (`edges`, one per bucket): what a click picks."""
    figure = go.Figure(
        go.Bar(
            x=ages,
            y=counts,
            customdata=[[edge] for edge in edges] if edges is not None else None,
            marker_color=list(theme.AGES[: len(ages)]),
            text=[f"{c:,}" for c in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    figure.update_xaxes(title=age or None)
    figure.update_yaxes(title=axis, rangemode="tozero", **count_axis(_largest(counts)))
    return _layout(figure, title, height=340)


def churn_by_band(
    bands: pd.DataFrame, names: list[str], title: str, labels: dict[str, str]
) -> go.Figure:
    """Churned and at-risk shares of the buyers in each NPS or CSAT band (grouped bars),
    buyers in the hover. `names` are the band labels; `labels` holds `churn_rate`,
    `at_risk_rate`, `buyers`, `rate` and (the x-axis title) `band`. A bar's customdata is
    (buyers, band, measure): what a click picks."""
    figure = go.Figure()
    for column, color in (
        ("churn_rate", theme.STAGE_COLORS["churned"]),
        ("at_risk_rate", theme.AT_RISK),
    ):
        figure.add_trace(
            go.Bar(
                x=names,
                y=bands[column],
                name=labels[column],
                marker_color=color,
                customdata=[
                    [int(n), band, measure]
                    for n, band, measure in zip(
                        bands["buyers"], bands["band"], bands["measure"], strict=True
                    )
                ],
                text=[f"{v:.0%}" if pd.notna(v) else "" for v in bands[column]],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=(
                    f"%{{x}}<br>{labels[column]}: %{{y:.1%}}<br>{labels['buyers']}: "
                    "%{customdata[0]:,}<extra></extra>"
                ),
            )
        )
    figure.update_xaxes(title=labels.get("band"))
    figure.update_yaxes(title=labels["rate"], tickformat=".0%", rangemode="tozero")
    return _layout(figure, title, height=360)


# --- customer value and churn risk (pages/value.py, pages/churn.py) ------------------------


def value_distribution(
    hist: pd.DataFrame, title: str, labels: dict[str, str], currency: str | None = None
) -> go.Figure:
    """Customers per band of predicted CLV in `currency` (`hist`: `lower, upper, customers`;
    the last band also holds everything above it). `labels` holds `value` and `customers`.
    Each bar's customdata is (its range in words, its band's row in `hist`): a click names
    the band by the row."""
    lows, highs = fmt.money_texts(hist["lower"], currency), fmt.money_texts(hist["upper"], currency)
    ranges = [f"{lo} – {hi}" for lo, hi in zip(lows, highs, strict=True)]
    if ranges:
        ranges[-1] = f"≥ {lows[-1]}"
    bands = [[text, row] for row, text in enumerate(ranges)]
    figure = go.Figure(
        go.Bar(
            x=(hist["lower"] + hist["upper"]) / 2,
            y=hist["customers"],
            width=(hist["upper"] - hist["lower"]) * 0.95,
            marker_color=theme.PREDICTED,
            customdata=bands or None,
            hovertemplate=(f"%{{customdata[0]}}<br>{labels['customers']}: %{{y:,}}<extra></extra>"),
        )
    )
    figure.update_xaxes(title=labels["value"], **money_axis())
    figure.update_yaxes(title=labels["customers"], **count_axis(_largest(hist["customers"])))
    figure.update_layout(bargap=0.08)
    return _layout(figure, title)


def value_by_group(
    groups: list[str],
    predicted: list[float],
    formula: list[float],
    title: str,
    labels: dict[str, str],
    currency: str | None = None,
    keys: list[str] | None = None,
) -> go.Figure:
    """Mean predictive and formula CLV per customer in each group (money in `currency`),
    side by side. `labels` holds `predicted`, `formula`, `axis` and (the x-axis title)
    `group`. Each bar's customdata is (the amount in words, the group's key of `keys`,
    the groups' own names when not given): a click names the group by its key."""
    keys = list(groups) if keys is None else list(keys)
    figure = go.Figure()
    for name, values, color in (
        ("predicted", predicted, theme.PREDICTED),
        ("formula", formula, theme.FORMULA),
    ):
        texts = fmt.money_texts(values, currency)
        figure.add_trace(
            go.Bar(
                x=groups,
                y=values,
                name=labels[name],
                marker_color=color,
                customdata=[[text, key] for text, key in zip(texts, keys, strict=True)],
                hovertemplate=f"%{{x}}<br>{labels[name]}: %{{customdata[0]}}<extra></extra>",
            )
        )
    figure.update_xaxes(title=labels.get("group"))
    figure.update_yaxes(title=labels["axis"], **money_axis())
    return _layout(figure, title)


def backtest_by_frequency(
    by_frequency: pd.DataFrame, title: str, labels: dict[str, str]
) -> go.Figure:
    """Mean predicted and actual holdout purchases per customer by calibration frequency
    (`frequency, customers, predicted, actual`). `labels` holds `frequency`, `predicted`,
    `actual`, `customers` and `axis`."""
    figure = go.Figure()
    for name, color in (("predicted", theme.PREDICTED), ("actual", theme.ACTUAL)):
        figure.add_trace(
            go.Bar(
                x=by_frequency["frequency"],
                y=by_frequency[name],
                name=labels[name],
                marker_color=color,
                customdata=by_frequency[["customers"]].to_numpy(),
                hovertemplate=(
                    f"{labels['frequency']} %{{x}}<br>{labels[name]}: %{{y:.2f}}<br>"
                    f"{labels['customers']}: %{{customdata[0]:,}}<extra></extra>"
                ),
            )
        )
    figure.update_xaxes(title=labels["frequency"], type="category")
    figure.update_yaxes(title=labels["axis"], rangemode="tozero")
    return _layout(figure, title, height=360)


def backtest_tracking(tracking: pd.DataFrame, title: str, labels: dict[str, str]) -> go.Figure:
    """Cumulative predicted and actual purchases over the holdout (`date, predicted,
    actual`). `labels` holds `date`, `predicted`, `actual` and `axis`."""
    figure = go.Figure()
    for name, color, dash in (
        ("predicted", theme.PREDICTED, "dash"),
        ("actual", theme.ACTUAL, "solid"),
    ):
        figure.add_trace(
            go.Scatter(
                x=tracking["date"],
                y=tracking[name],
                name=labels[name],
                mode="lines+markers",
                line=dict(color=color, dash=dash, width=2),
                hovertemplate=f"%{{x|%Y-%m-%d}}<br>{labels[name]}: %{{y:,.0f}}<extra></extra>",
            )
        )
    figure.update_xaxes(title=labels["date"], tickformat="%Y-%m-%d")
    largest = _largest(tracking["predicted"], tracking["actual"])
    figure.update_yaxes(title=labels["axis"], rangemode="tozero", **count_axis(largest))
    return _layout(figure, title, height=360)


def risk_distribution(
    hist: pd.DataFrame, threshold: float, title: str, labels: dict[str, str]
) -> go.Figure:
    """Customers per band of churn risk (`lower, upper, customers`), bands at or above
    `threshold` in red. `labels` holds `risk` and `customers`. Each bar's customdata is (its
    range in words, its band's row in `hist`): a click names the band by the row."""
    colors = [theme.RISK if lo >= threshold - 1e-9 else theme.BRAND_LIGHT for lo in hist["lower"]]
    bands = zip(hist["lower"], hist["upper"], strict=True)
    ranges = [[f"{lo:.0%} – {hi:.0%}", row] for row, (lo, hi) in enumerate(bands)]
    figure = go.Figure(
        go.Bar(
            x=(hist["lower"] + hist["upper"]) / 2,
            y=hist["customers"],
            width=(hist["upper"] - hist["lower"]) * 0.95,
            marker_color=colors,
            customdata=ranges or None,
            hovertemplate=f"%{{customdata[0]}}<br>{labels['customers']}: %{{y:,}}<extra></extra>",
        )
    )
    figure.update_xaxes(title=labels["risk"], tickformat=".0%", range=[0, 1])
    figure.update_yaxes(title=labels["customers"], **count_axis(_largest(hist["customers"])))
    return _layout(figure, title, height=360)


def calibration_chart(calibration: pd.DataFrame, title: str, labels: dict[str, str]) -> go.Figure:
    """Observed against predicted churn per group of customers ranked by predicted risk
    (`bin, customers, predicted, observed`), with the line where they agree. `labels`
    holds `predicted`, `observed`, `perfect` and `customers`."""
    figure = go.Figure(
        [
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                name=labels["perfect"],
                mode="lines",
                line=dict(color=theme.NEUTRAL, dash="dot"),
                hoverinfo="skip",
            ),
            go.Scatter(
                x=calibration["predicted"],
                y=calibration["observed"],
                name=labels["observed"],
                mode="lines+markers",
                line=dict(color=theme.RISK, width=2),
                marker=dict(size=8),
                customdata=calibration[["customers"]].to_numpy(),
                hovertemplate=(
                    f"{labels['predicted']}: %{{x:.0%}}<br>{labels['observed']}: %{{y:.0%}}<br>"
                    f"{labels['customers']}: %{{customdata[0]:,}}<extra></extra>"
                ),
            ),
        ]
    )
    figure.update_xaxes(title=labels["predicted"], tickformat=".0%", range=[0, 1])
    figure.update_yaxes(title=labels["observed"], tickformat=".0%", range=[0, 1])
    return _layout(figure, title, height=360)


def driver_bars(names: list[str], importance: list[float], title: str, axis: str) -> go.Figure:
    """Horizontal bars of feature importance, the largest at the top."""
    figure = go.Figure(
        go.Bar(
            x=importance[::-1],
            y=names[::-1],
            orientation="h",
            marker_color=theme.RISK,
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    figure.update_xaxes(title=axis, rangemode="tozero")
    return _layout(figure, title, height=max(300, 28 * len(names) + 100))


# --- stars and segments (pages/stars.py, pages/segments.py) ---------------------------------


def star_bars(
    saved: pd.DataFrame,
    title: str,
    labels: dict[str, str],
    draft: pd.DataFrame | None = None,
    currency: str | None = None,
) -> go.Figure:
    """Customers per star as bars in the star colours (and the draft rules' next to them,
    hatched, when given).

    `saved`/`draft` have `stars, customers, share, revenue_12m`; `labels` holds `stars`
    (the star names by position), `customers`, `revenue`, `saved`, `draft` and (the x-axis
    title) `axis`. Each bar's customdata starts with its star, so that a click names the
    star in any language."""
    figure = go.Figure()
    series = [(labels["saved"], saved, "")]
    if draft is not None:
        series.append((labels["draft"], draft, "/"))
    for name, frame, hatch in series:
        figure.add_trace(
            go.Bar(
                name=name,
                x=labels["stars"],
                y=frame["customers"],
                marker=dict(
                    color=[theme.star_color(s) for s in frame["stars"]],
                    opacity=0.6 if hatch else 1.0,
                    pattern=dict(shape=hatch, fgcolor=theme.TEXT, fgopacity=0.35),
                ),
                customdata=pd.DataFrame(
                    {
                        "stars": frame["stars"].astype(int),
                        "share": frame["share"].astype(float),
                        "revenue": fmt.money_texts(frame["revenue_12m"], currency),
                    }
                ).to_numpy(dtype=object),
                hovertemplate=(
                    f"%{{x}}<br>{labels['customers']}: %{{y:,}} (%{{customdata[1]:.1%}})<br>"
                    f"{labels['revenue']}: %{{customdata[2]}}<extra>{name}</extra>"
                ),
                text=[f"{share:.0%}" for share in frame["share"]],
                textposition="outside",
                cliponaxis=False,
            )
        )
    largest = _largest(saved["customers"], *([] if draft is None else [draft["customers"]]))
    figure.update_layout(showlegend=draft is not None, barmode="group")
    figure.update_xaxes(title=labels.get("axis"))
    figure.update_yaxes(title=labels["customers"], rangemode="tozero", **count_axis(largest))
    return _layout(figure, title)


def flow_sankey(
    flows: pd.DataFrame,
    sources: list[str],
    targets: list[str],
    title: str,
    left: str,
    right: str,
    value: str = "customers",
    colors: dict[str, str] | None = None,
    ranked: bool = False,
) -> go.Figure:
    """Customers (or another `value`) flowing from the left groups to the right ones.

    `flows` has `source, target` (keys, drawn top to bottom in the order of `sources` /
    `targets`), their labels `source_label` / `target_label`, and `value`; `left` and
    `right` name the two sides (saved / draft rules, or two month ends); `colors` maps a
    key to its colour. When the groups are `ranked` (`sources` best first, as stars are),
    each flow is coloured by its direction: up, down or staying."""
    totals_src = flows.groupby("source")[value].sum()
    totals_tgt = flows.groupby("target")[value].sum()
    src_keys = [k for k in sources if totals_src.get(k, 0) > 0]
    tgt_keys = [k for k in targets if totals_tgt.get(k, 0) > 0]
    src_label = dict(zip(flows["source"], flows["source_label"], strict=False))
    tgt_label = dict(zip(flows["target"], flows["target_label"], strict=False))
    nodes = [f"{src_label[k]} ({left})" for k in src_keys] + [
        f"{tgt_label[k]} ({right})" for k in tgt_keys
    ]

    def heights(keys, totals):
        shares = [totals[k] / totals.sum() for k in keys]
        tops = [sum(shares[:i]) for i in range(len(shares))]
        return [0.02 + 0.96 * (top + share / 2) for top, share in zip(tops, shares, strict=True)]

    index_src = {k: i for i, k in enumerate(src_keys)}
    index_tgt = {k: len(src_keys) + i for i, k in enumerate(tgt_keys)}
    kept = flows[flows["source"].isin(index_src) & flows["target"].isin(index_tgt)]
    colors = colors or theme.series_colors(sources)
    rank = {k: i for i, k in enumerate(sources)}  # 0 is the best

    def link_color(source: str, target: str) -> str:
        if not ranked or rank[source] == rank.get(target, rank[source]):
            return theme.translucent(theme.SAME if ranked else colors.get(source, theme.NEUTRAL))
        return theme.translucent(theme.UP if rank[target] < rank[source] else theme.DOWN)

    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node=dict(
                label=nodes,
                color=[colors.get(k, theme.NEUTRAL) for k in (*src_keys, *tgt_keys)],
                x=[0.001] * len(src_keys) + [0.999] * len(tgt_keys),
                y=heights(src_keys, totals_src) + heights(tgt_keys, totals_tgt),
                pad=10,
                thickness=16,
            ),
            link=dict(
                source=[index_src[s] for s in kept["source"]],
                target=[index_tgt[t] for t in kept["target"]],
                value=kept[value],
                color=[
                    link_color(s, t) for s, t in zip(kept["source"], kept["target"], strict=True)
                ],
                hovertemplate=("%{source.label} → %{target.label}<br>%{value:,}<extra></extra>"),
            ),
            textfont=dict(size=12, color=theme.TEXT),
        )
    )
    return _layout(figure, title, height=420)


def _columns(*columns) -> np.ndarray:
    """The columns side by side as one object array (numbers stay numbers beside text,
    where `np.column_stack` would make them all text)."""
    out = np.empty((len(columns[0]), len(columns)), dtype=object)
    for index, values in enumerate(columns):
        out[:, index] = list(values)
    return out


def rfm_heatmap(
    grid: pd.DataFrame,
    value: str,
    title: str,
    labels: dict[str, str],
    scale: float = 1.0,
    currency: str | None = None,
) -> go.Figure:
    """The R x F grid: colour = `value` (customers or revenue / `scale`), the segment name
    in each cell, the revenue in `currency` in the hover. `grid` has `r_score, f_score,
    segment_label, customers, revenue`; `labels` holds `r`, `f`, `customers`, `revenue`
    and may give the colour bar's title as `<value>_axis` (revenue with its unit: the
    hover writes each amount whole, so its label has none).

    A heatmap cannot be selected in Plotly, so an invisible marker sits at each cell's
    centre (the second trace): it carries the hover and, as customdata, (customers,
    revenue in words, R, F); any point of the plot hovers and clicks the nearest marker,
    the one of the cell under the mouse, so a click names the cell by its scores."""
    cells = grid.sort_values(["r_score", "f_score"])
    z = (cells[value] / (scale if value == "revenue" else 1)).to_numpy().reshape(5, 5)
    text = cells["segment_label"].to_numpy().reshape(5, 5)
    custom = _columns(
        cells["customers"].astype(int),
        fmt.money_texts(cells["revenue"], currency),
        cells["r_score"].astype(int),
        cells["f_score"].astype(int),
    )
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[1, 2, 3, 4, 5],
            y=[1, 2, 3, 4, 5],
            text=text,
            texttemplate="%{text}",
            textfont=dict(size=11),
            colorscale=theme.SEQUENTIAL,
            hoverinfo="skip",
            colorbar=dict(
                title=labels.get(f"{value}_axis") or labels[value],
                thickness=12,
                tickformat=COUNT_FORMAT if value == "customers" else MONEY_FORMAT,
            ),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=cells["f_score"].astype(int),
            y=cells["r_score"].astype(int),
            text=cells["segment_label"],
            mode="markers",
            marker=dict(size=1, color="rgba(0, 0, 0, 0)"),
            customdata=custom,
            showlegend=False,
            hovertemplate=(
                f"R %{{y}} · F %{{x}}<br>%{{text}}<br>{labels['customers']}: "
                f"%{{customdata[0]:,}}<br>{labels['revenue']}: %{{customdata[1]}}"
                "<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title=labels["f"], **count_axis())
    figure.update_yaxes(title=labels["r"], **count_axis())
    figure = _layout(figure, title, height=460)
    figure.update_layout(hoverdistance=-1)  # the nearest cell's marker, from anywhere in it
    return figure


def pareto_curve(
    curve: pd.DataFrame, title: str, labels: dict[str, str], top: float, carried: float
) -> go.Figure:
    """Cumulative share of margin against the share of customers (best first), the chosen
    top share marked. `curve` has `share_customers, share_margin`."""
    figure = go.Figure(
        go.Scatter(
            x=curve["share_customers"],
            y=curve["share_margin"],
            mode="lines",
            line=dict(color=theme.BRAND, width=3),
            showlegend=False,
            hovertemplate=(
                f"{labels['customers']}: %{{x:.1%}}<br>"
                f"{labels['margin']}: %{{y:.1%}}<extra></extra>"
            ),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line=dict(color=theme.NEUTRAL, dash="dot"),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[top, top, 0],
            y=[0, carried, carried],
            mode="lines+markers",
            line=dict(color=theme.TEXT, dash="dash"),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.update_xaxes(title=labels["customers"], tickformat=".0%", range=[0, 1])
    figure.update_yaxes(title=labels["margin"], tickformat=".0%")
    return _layout(figure, title)


def cluster_scatter(
    sample: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    labels: dict[str, str],
    currency: str | None = None,
    money: tuple[str, ...] = (),
) -> go.Figure:
    """Sampled customers on two features, coloured by cluster. `sample` has `x`, `y` and
    `cluster_label`; `labels` names each feature (the hover's words), may give its axis
    title as `<feature>_axis` (a money axis with its unit) and marks a log axis with
    `<feature>_log`. The features in `money` are amounts in `currency`, written in the
    hover by `fmt.money`. Money and counts on log axes."""
    figure = go.Figure()
    parts = list(sample.groupby("cluster_label", sort=True))
    colors = theme.series_colors([name for name, _ in parts])
    amounts = list(dict.fromkeys(f for f in (x, y) if f in money))  # the hover's money texts
    shown = {
        letter: f"%{{customdata[{amounts.index(f)}]}}" if f in money else f"%{{{letter}:,.0f}}"
        for letter, f in (("x", x), ("y", y))
    }
    for name, part in parts:
        color = colors[name]
        texts = [fmt.money_texts(part[amount], currency) for amount in amounts]
        figure.add_trace(
            go.Scattergl(
                x=part[x],
                y=part[y],
                name=name,
                mode="markers",
                marker=dict(size=5, color=color, opacity=0.55),
                customdata=np.column_stack(texts).astype(object) if texts else None,
                hovertemplate=(
                    f"{labels[x]}: {shown['x']}<br>{labels[y]}: {shown['y']}<extra>{name}</extra>"
                ),
            )
        )
    for update, name in ((figure.update_xaxes, x), (figure.update_yaxes, y)):
        log = bool(labels.get(f"{name}_log"))
        update(
            title=labels.get(f"{name}_axis") or labels[name],
            type="log" if log else "linear",
            dtick=1 if log else None,
            **(money_axis() if name in money else {}),
        )
    return _layout(figure, title, height=440)


def loyalty_net_impact(
    monthly: pd.DataFrame,
    title: str,
    labels: dict[str, str],
    scale: float = 1.0,
    currency: str | None = None,
) -> go.Figure:
    """Cumulative net impact of a programme by month: the mean as a line in its 5-95% band.
    `monthly` has `month, mean, p5, p95`; the axis shows money divided by `scale`, the
    hover the mean in `currency`; `labels` holds `month`, `axis`, `mean` and `band`."""
    months = monthly["month"].tolist()
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=months + months[::-1],
            y=(monthly["p95"] / scale).tolist() + (monthly["p5"] / scale).tolist()[::-1],
            fill="toself",
            fillcolor=theme.translucent(theme.BRAND, 0.15),
            line=dict(width=0),
            name=labels["band"],
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=months,
            y=monthly["mean"] / scale,
            mode="lines+markers",
            line=dict(color=theme.BRAND, width=3),
            name=labels["mean"],
            customdata=fmt.money_texts(monthly["mean"], currency),
            hovertemplate=(
                f"{labels['month']} %{{x}}<br>{labels['mean']}: %{{customdata}}<extra></extra>"
            ),
        )
    )
    figure.add_hline(y=0, line=dict(color=theme.NEUTRAL, dash="dot"))
    figure.update_xaxes(title=labels["month"], **count_axis(_largest(months)))
    figure.update_yaxes(title=labels["axis"], **money_axis())
    return _layout(figure, title)


def loyalty_sensitivity(
    curve: pd.DataFrame,
    assumed: dict[str, float],
    break_even: float | None,
    title: str,
    labels: dict[str, str],
    scale: float = 1.0,
    currency: str | None = None,
) -> go.Figure:
    """Net impact against the uplift achieved, as a percentage of the assumed uplifts: the
    curve, the assumed point (share 1) with its 5-95% interval, and the break-even share
    (None: not drawn) on the zero line. `curve` has `share, purchase_uplift,
    retention_uplift, net_impact`; `assumed` has `mean, p5, p95` (the simulated figures);
    money divided by `scale` on the axis, whole in `currency` in the hovers. `labels`:
    `x`, `axis`, `curve`, `assumed`, `break_even`, `purchase`, `retention`, `net`."""
    x = curve["share"] * 100
    purchases = [("+" if p > 0 else "") + fmt.percent(p) for p in curve["purchase_uplift"]]
    dropout = [fmt.percent(-r) for r in curve["retention_uplift"]]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=x,
            y=curve["net_impact"] / scale,
            mode="lines",
            line=dict(color=theme.BRAND, width=3),
            name=labels["curve"],
            customdata=np.column_stack(
                [fmt.money_texts(curve["net_impact"], currency), purchases, dropout]
            ),
            hovertemplate=(
                f"%{{x:.0f}}%<br>{labels['purchase']}: %{{customdata[1]}}<br>"
                f"{labels['retention']}: %{{customdata[2]}}<br>"
                f"{labels['net']}: %{{customdata[0]}}<extra></extra>"
            ),
        )
    )
    band = [assumed["p95"] - assumed["mean"]], [assumed["mean"] - assumed["p5"]]
    figure.add_trace(
        go.Scatter(
            x=[100],
            y=[assumed["mean"] / scale],
            mode="markers",
            marker=dict(color=theme.BRAND, size=12, symbol="diamond"),
            error_y=dict(
                type="data",
                array=[band[0][0] / scale],
                arrayminus=[band[1][0] / scale],
                color=theme.BRAND,
            ),
            name=labels["assumed"],
            customdata=[
                [fmt.money_texts([assumed[k]], currency)[0] for k in ("mean", "p5", "p95")]
            ],
            hovertemplate=(
                f"{labels['assumed']}<br>{labels['net']}: %{{customdata[0]}}"
                " (%{customdata[1]} – %{customdata[2]})<extra></extra>"
            ),
        )
    )
    if break_even is not None:
        figure.add_trace(
            go.Scatter(
                x=[break_even * 100],
                y=[0],
                mode="markers",
                marker=dict(color=theme.NEUTRAL, size=11, symbol="circle-open", line_width=3),
                name=labels["break_even"],
                hovertemplate=f"{labels['break_even']}: %{{x:.0f}}%<extra></extra>",
            )
        )
        figure.add_vline(x=break_even * 100, line=dict(color=theme.NEUTRAL, dash="dash"))
    figure.add_vline(x=100, line=dict(color=theme.BRAND, dash="dot"))
    figure.add_hline(y=0, line=dict(color=theme.NEUTRAL, dash="dot"))
    ends = [-0.025 * x.max(), 1.025 * x.max()]  # every 50% ticked, the last one too
    figure.update_xaxes(title=labels["x"], ticksuffix="%", range=ends, tick0=0, dtick=50)
    figure.update_yaxes(title=labels["axis"], **money_axis())
    return _layout(figure, title)


def loyalty_tiers(
    tiers: pd.DataFrame, names: dict[str, str], title: str, labels: dict[str, str]
) -> go.Figure:
    """The customers offered the programme per value tier and the members expected among
    them (grouped bars). `tiers` has `tier, customers, members`; `names` maps a tier to its
    label; `labels` holds `customers`, `members` and the axis titles `tier` and `axis`. Each
    bar's customdata is its tier: what a click picks."""
    figure = go.Figure()
    for column, color in (("customers", theme.BRAND_LIGHT), ("members", theme.BRAND)):
        figure.add_trace(
            go.Bar(
                x=[names.get(tier, tier) for tier in tiers["tier"]],
                y=tiers[column],
                name=labels[column],
                marker_color=color,
                customdata=[[tier] for tier in tiers["tier"]],
                text=[f"{v:,.0f}" for v in tiers[column]],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"%{{x}}<br>{labels[column]}: %{{y:,.0f}}<extra></extra>",
            )
        )
    figure.update_xaxes(title=labels["tier"])
    figure.update_yaxes(
        title=labels["axis"], rangemode="tozero", **count_axis(_largest(tiers["customers"]))
    )
    return _layout(figure, title, height=340)


# --- what to offer next (pages/products.py) ---------------------------------------------------


def rule_lifts(rules: pd.DataFrame, title: str, labels: dict[str, str]) -> go.Figure:
    """The rules as horizontal bars of their lift drawn from 1 (no association: a bar to the
    right, the consequent is likelier after the antecedent), the strongest at the top, with
    the lift, confidence and support in the hover.

    `rules` has `rule` (the rule in words, "A → B"), `lift`, `confidence`, `support`;
    `labels` holds `lift` (the axis), `confidence` and `support`."""
    shown = rules.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=shown["lift"] - 1.0,
            base=1.0,
            y=shown["rule"],
            orientation="h",
            marker_color=theme.BRAND,
            customdata=shown[["lift", "confidence", "support"]].to_numpy(),
            hovertemplate=(
                f"%{{y}}<br>{labels['lift']}: %{{customdata[0]:.2f}}<br>"
                f"{labels['confidence']}: %{{customdata[1]:.1%}}<br>"
                f"{labels['support']}: %{{customdata[2]:.1%}}<extra></extra>"
            ),
        )
    )
    figure.add_vline(x=1.0, line=dict(color=theme.NEUTRAL, dash="dot"))
    figure.update_xaxes(title=labels["lift"])
    figure.update_yaxes(automargin=True)
    return _layout(figure, title, height=max(300, 26 * len(rules) + 100))


def popular_items(items: pd.DataFrame, title: str, labels: dict[str, str]) -> go.Figure:
    """The most bought items as horizontal bars of their buyers, the most bought at the
    top, the share of buyers in the hover. `items` has `item` (the code), `name` (in
    words), `customers` and `popularity`; `labels` holds `customers` (the axis) and
    `popularity`. Each bar's customdata is (the item's code, its popularity): a click
    names the item by its code."""
    shown = items.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=shown["customers"],
            y=shown["name"],
            orientation="h",
            marker_color=theme.BRAND,
            customdata=_columns(shown["item"].astype(str), shown["popularity"]),
            hovertemplate=(
                f"%{{y}}<br>{labels['customers']}: %{{x:,}}<br>"
                f"{labels['popularity']}: %{{customdata[1]:.1%}}<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title=labels["customers"], **count_axis(_largest(items["customers"])))
    figure.update_yaxes(automargin=True)
    return _layout(figure, title, height=max(300, 26 * len(items) + 100))


# --- one customer (pages/customer.py) ---------------------------------------------------------


def customer_orders(
    orders: pd.DataFrame, title: str, labels: dict[str, str], currency: str | None = None
) -> go.Figure:
    """One customer's orders over time as stems from zero, refunds (negative) in red.

    `orders` has `ordered_at, amount, is_refund`; `labels` holds `date` and `amount` (the
    axis title with its unit)."""
    colors = [theme.RISK if refund else theme.BRAND for refund in orders["is_refund"]]
    figure = go.Figure(
        go.Bar(
            x=orders["ordered_at"],
            y=orders["amount"],
            marker_color=colors,
            customdata=fmt.money_texts(orders["amount"], currency, digits=2),
            hovertemplate="%{x|%Y-%m-%d}<br>%{customdata}<extra></extra>",
        )
    )
    figure.add_hline(y=0, line=dict(color=theme.NEUTRAL, width=1))
    figure.update_xaxes(title=labels["date"], type="date")
    figure.update_yaxes(title=labels["amount"], **money_axis())
    return _layout(figure, title, height=300)


def customer_categories(
    categories: pd.DataFrame, title: str, labels: dict[str, str], currency: str | None = None
) -> go.Figure:
    """One customer's spend by product category as horizontal bars, the largest at the top
    (`categories`: `label, amount, count_orders`; `labels` holds `amount` and `orders`)."""
    shown = categories.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=shown["amount"],
            y=shown["label"],
            orientation="h",
            marker_color=theme.BRAND,
            customdata=np.column_stack(
                [fmt.money_texts(shown["amount"], currency, digits=2), shown["count_orders"]]
            )
            if len(shown)
            else None,
            hovertemplate=(
                f"%{{y}}<br>{labels['amount']}: %{{customdata[0]}}<br>"
                f"{labels['orders']}: %{{customdata[1]}}<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title=labels["amount"], **money_axis())
    figure.update_yaxes(automargin=True)
    return _layout(figure, title, height=max(260, 30 * len(categories) + 110))


def customer_p_alive(history: pd.DataFrame, title: str, labels: dict[str, str]) -> go.Figure:
    """P(alive) at each month end (`month_end, p_alive`), 0-100%; `labels` holds `month`
    and `p_alive`."""
    figure = go.Figure(
        go.Scatter(
            x=history["month_end"],
            y=history["p_alive"],
            mode="lines+markers",
            line=dict(color=theme.BRAND, width=2, shape="hv"),
            marker=dict(size=5),
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{labels['p_alive']}: %{{y:.0%}}<extra></extra>",
        )
    )
    figure.update_xaxes(title=labels["month"], type="date")
    figure.update_yaxes(title=labels["p_alive"], tickformat=".0%", range=[0, 1.02])
    return _layout(figure, title, height=300)
