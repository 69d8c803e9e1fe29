"""StarTier's one look for charts: a Plotly template and one colour per concept.

Every figure of `ui.charts` carries `TEMPLATE`; `install()` also makes it Plotly's default
for the app (the frame calls it). A concept keeps its colour on every page: 5 stars are
gold wherever stars are drawn, and no other concept (a lifecycle stage, an RFM segment, a
complaint category, a series) is drawn in a star's colour. `.streamlit/config.toml`'s
[theme] uses the same brand, text and background colours.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

NAME = "startier"

# The app's own colours (.streamlit/config.toml [theme] says the same).
BRAND = "#2E5BFF"  # StarTier's numbers: revenue, predicted value, the mean of a simulation
BRAND_LIGHT = "#A9BCFF"  # a paler brand: a partial month, the saved rules beside a draft
TEXT = "#1B2233"
BACKGROUND = "#FFFFFF"
SECONDARY_BACKGROUND = "#F4F6FB"
GRID = "#E3E8F2"
NEUTRAL = "#8A94A8"  # reference lines: perfect calibration, zero, totals
MISSING = "#D5DBE6"  # unrated customers, an unknown group

# One colour for each star level, from pale violet to deep violet, and gold for the top.
STAR_COLORS = {1: "#D6D0EA", 2: "#AFA3D8", 3: "#8771C2", 4: "#5A3EA3", 5: "#E0A000"}

# Direction of a move (a customer's star, a flow of buyers).
UP = "#1E9E6A"
UP_LIGHT = "#8FD3B4"  # coming back up: reactivated buyers
DOWN = "#D9453D"
SAME = "#C9D0DC"

# Risk of losing a customer, and the lifecycle from hopeful to lost.
RISK = "#C0392B"
AT_RISK = "#F0762B"
STAGE_COLORS = {
    "prospect": "#B8C2D6",
    "new": "#7FB3FF",
    "active": BRAND,
    "at_risk": AT_RISK,
    "churned": "#8E2A22",
}

# Model checks: what the model predicted, what happened, and the simple formula; what a
# customer cost to acquire.
PREDICTED = BRAND
ACTUAL = "#1B998B"
FORMULA = "#7A8B2E"
COST = "#B5838D"

# Steps of the acquisition funnel, and open complaints by age (older: darker).
FUNNEL = ("#A9BCFF", "#6F8FFF", BRAND, "#1A3AB8")
AGES = ("#C9D0DC", "#9AA5B8", "#6B778C", "#3E4859")

# Complaint and survey categories.
CATEGORY_COLORS = {
    "quality": "#1B998B",
    "delivery": "#5AB0D6",
    "price": "#B5838D",
    "service": "#7A8B2E",
    "other": "#8D99AE",
    "unspecified": MISSING,
    "unknown": MISSING,
}

# RFM segments (the at-risk ones in the at-risk colour).
SEGMENT_COLORS = {
    "champions": "#0B6E4F",
    "loyal_customers": "#1B998B",
    "potential_loyalist": "#5AB0D6",
    "new_customers": "#7FB3FF",
    "promising": "#9BB53A",
    "need_attention": "#B5838D",
    "about_to_sleep": "#A88B6E",
    "at_risk": AT_RISK,
    "cant_lose_them": "#D9453D",
    "hibernating": "#8D99AE",
    "lost": "#5C6679",
    "none": MISSING,
}

# Groups without a colour of their own (channels, clusters, months): in this order.
SERIES = (
    BRAND,
    "#1B998B",
    "#B5838D",
    "#5AB0D6",
    "#7A8B2E",
    "#A88B6E",
    "#0B6E4F",
    "#5C6679",
    "#9BB53A",
    "#7FB3FF",
)

# Continuous scales: few to many (heatmaps).
SEQUENTIAL = [[0.0, "#F4F6FB"], [0.35, "#A9BCFF"], [0.7, "#5A7CFF"], [1.0, "#1A3AB8"]]


def star_color(star) -> str:
    """The colour of a star level (1-5, as a number or text); unrated: MISSING."""
    try:
        return STAR_COLORS[int(star)]
    except (KeyError, TypeError, ValueError):
        return MISSING


def translucent(color: str, alpha: float = 0.35) -> str:
    """`color` ('#RRGGBB') see-through, as Plotly's 'rgba(r, g, b, alpha)'."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def series_colors(keys) -> dict:
    """A colour for each of `keys` in order, from SERIES (repeated when there are more)."""
    return {key: SERIES[i % len(SERIES)] for i, key in enumerate(keys)}


def concept_colors(kind: str, keys) -> dict:
    """The colour of each of `keys` of one kind of group: 'stars' (1-5, 'unrated'),
    'category', 'segment', 'stage'; any other kind (channels, clusters) takes SERIES in
    order. A key the concept does not know takes the next series colour."""
    known = {
        "stars": {str(s): c for s, c in STAR_COLORS.items()}
        | {"unrated": MISSING, "none": MISSING},
        "category": CATEGORY_COLORS,
        "segment": SEGMENT_COLORS,
        "stage": STAGE_COLORS,
    }.get(kind, {})
    others = series_colors([k for k in keys if str(k) not in known])
    return {key: known.get(str(key), others.get(key)) for key in keys}


def _template() -> go.layout.Template:
    axis = dict(
        gridcolor=GRID,
        zerolinecolor=NEUTRAL,
        linecolor=GRID,
        title=dict(font=dict(size=13)),
        automargin=True,
        separatethousands=True,
    )
    return go.layout.Template(
        layout=go.Layout(
            colorway=list(SERIES),
            font=dict(color=TEXT, size=13),
            title=dict(font=dict(size=16, color=TEXT), x=0.0, xanchor="left"),
            paper_bgcolor=BACKGROUND,
            plot_bgcolor=BACKGROUND,
            separators=".,",
            xaxis=axis,
            yaxis=axis,
            colorscale=dict(sequential=SEQUENTIAL),
            hoverlabel=dict(bgcolor=BACKGROUND, bordercolor=GRID, font=dict(color=TEXT)),
            legend=dict(font=dict(size=12)),
        ),
        data=dict(
            heatmap=[go.Heatmap(colorscale=SEQUENTIAL)],
            bar=[go.Bar(marker=dict(line=dict(width=0)))],
            sankey=[go.Sankey(textfont=dict(color=TEXT, size=12))],
        ),
    )


TEMPLATE = _template()


def install() -> None:
    """Register the template under NAME and make it Plotly's default (idempotent)."""
    pio.templates[NAME] = TEMPLATE
    pio.templates.default = NAME
