"""StarTier's one look for charts: a Plotly template and one colour per concept.

Every figure of `ui.charts` carries `TEMPLATE`; `install()` also makes it Plotly's default
for the app (the frame calls it). A concept keeps its colour on every page: 5 stars are
gold wherever stars are drawn, and no other concept (a lifecycle stage, an RFM segment, a
complaint category, a series) is drawn in a star's colour. `.streamlit/config.toml`'s
[theme] uses the same brand, text and background colours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from ui import session

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


# Presentation mode's dark theme (a projector in a dim room): the same concept colours on a
# dark ground; .streamlit/config.toml's [theme.dark] says the same.
DARK_TEXT = "#E8ECF5"
DARK_BACKGROUND = "#0E1422"
DARK_SECONDARY_BACKGROUND = "#1A2236"
DARK_GRID = "#2C3650"
LARGE = 1.25  # presentation mode's type, against the usual


@dataclass(frozen=True)
class Look:
    """The colours and type size of a view: the usual one, or presentation mode's."""

    text: str = TEXT
    background: str = BACKGROUND
    secondary_background: str = SECONDARY_BACKGROUND
    grid: str = GRID
    scale: float = 1.0


LIGHT = Look()
DARK = Look(DARK_TEXT, DARK_BACKGROUND, DARK_SECONDARY_BACKGROUND, DARK_GRID)


def _template(look: Look = LIGHT) -> go.layout.Template:
    def size(points: int) -> int:
        return round(points * look.scale)

    axis = dict(
        gridcolor=look.grid,
        zerolinecolor=NEUTRAL,
        linecolor=look.grid,
        title=dict(font=dict(size=size(13))),
        tickfont=dict(size=size(12)),
        automargin=True,
        separatethousands=True,
    )
    return go.layout.Template(
        layout=go.Layout(
            colorway=list(SERIES),
            font=dict(color=look.text, size=size(13)),
            title=dict(font=dict(size=size(16), color=look.text), x=0.0, xanchor="left"),
            paper_bgcolor=look.background,
            plot_bgcolor=look.background,
            separators=".,",
            xaxis=axis,
            yaxis=axis,
            colorscale=dict(sequential=SEQUENTIAL),
            hoverlabel=dict(
                bgcolor=look.background, bordercolor=look.grid, font=dict(color=look.text)
            ),
            legend=dict(font=dict(size=size(12))),
        ),
        data=dict(
            heatmap=[go.Heatmap(colorscale=SEQUENTIAL)],
            bar=[go.Bar(marker=dict(line=dict(width=0)))],
            sankey=[go.Sankey(textfont=dict(color=look.text, size=size(12)))],
        ),
    )


TEMPLATE = _template()
PRESENTATION = _template(replace(LIGHT, scale=LARGE))
PRESENTATION_DARK = _template(replace(DARK, scale=LARGE))


def template_for(present: bool, dark: bool) -> go.layout.Template:
    """The template of a view: the usual one, or presentation mode's large type, light or
    dark (dark only counts in presentation mode)."""
    if not present:
        return TEMPLATE
    return PRESENTATION_DARK if dark else PRESENTATION


def template() -> go.layout.Template:
    """The template of the view being drawn (the session's presentation switches); every
    figure of `ui.charts` wears it, so figures follow presentation mode and its theme."""
    return template_for(session.switch_on(session.PRESENT), session.switch_on(session.DARK))


def layout_for(present: bool, dark: bool) -> dict:
    """What a figure's own layout must say, beyond its template, in a view: Streamlit draws
    a Plotly chart in its own theme's colours over the template's (`st.plotly_chart`'s
    default `theme="streamlit"`), and keeps only what the layout itself sets. Empty for the
    usual view; for presentation mode its fonts, and the dark ground when `dark`."""
    if not present:
        return {}
    return _layout_of(replace(DARK if dark else LIGHT, scale=LARGE))


def _layout_of(look: Look) -> dict:
    axis = dict(gridcolor=look.grid, linecolor=look.grid, color=look.text)
    return dict(
        font=dict(color=look.text, size=round(13 * look.scale)),
        title_font=dict(color=look.text, size=round(16 * look.scale)),
        paper_bgcolor=look.background,
        plot_bgcolor=look.background,
        legend_font=dict(color=look.text, size=round(12 * look.scale)),
        xaxis=axis,
        yaxis=axis,
    )


def on_paper(figure: go.Figure) -> go.Figure:
    """A copy of `figure` in the usual light look whatever the view it was drawn in (a
    page's HTML report reads on a white page)."""
    copy = go.Figure(figure)
    copy.update_layout(template=TEMPLATE, **_layout_of(LIGHT))
    copy.update_traces(textfont_color=TEXT, selector=dict(type="sankey"))
    return copy


def follow_view(figure: go.Figure) -> go.Figure:
    """`figure` in the view being drawn (the session's presentation switches): its layout's
    fonts and ground (`layout_for`), and, on the dark ground, a Sankey's labels (drawn in
    TEXT by their builders) in the light text."""
    present, dark = session.switch_on(session.PRESENT), session.switch_on(session.DARK)
    figure.update_layout(layout_for(present, dark))
    if present and dark:
        figure.update_traces(textfont_color=DARK_TEXT, selector=dict(type="sankey"))
    return figure


# --- presentation mode's page style -------------------------------------------------------------
# Streamlit 1.67 takes its theme from .streamlit/config.toml, and the viewer may switch it
# (light, dark, the system's) in the app menu's settings; a script cannot change it (only
# `client.*` options can be set at run time) and `st.context.theme` only reports it. So
# presentation mode draws its own look with a style sheet: it hides the pages' controls by
# their Streamlit test ids (every page at once, with no page having to know), enlarges the
# type (Streamlit sizes in rem, so the root size scales the page) and, when asked, puts the
# page on a dark ground (tables and sparklines, drawn on canvases, in negative).

CONTROLS = (
    "stSlider",
    "stSelectbox",
    "stMultiSelect",
    "stRadio",
    "stNumberInput",
    "stTextInput",
    "stTextArea",
    "stDateInput",
    "stTimeInput",
    "stCheckbox",
    "stButton",
    "stDownloadButton",
    "stButtonGroup",
    "stFileUploader",
    "stColorPicker",
)
MAIN = '[data-testid="stMain"]'


def _hidden_controls() -> str:
    boxes = ",\n".join(
        f'{MAIN} [data-testid="stElementContainer"]:has([data-testid="{test_id}"])'
        for test_id in CONTROLS
    )
    forms = f'{MAIN} [data-testid="stForm"]'
    return f"{boxes},\n{forms} {{ display: none !important; }}"


def page_style(present: bool, dark: bool) -> str:
    """The style sheet of presentation mode (empty outside it): controls hidden in the main
    area (the sidebar keeps its switches), type and figures enlarged, a dark ground when
    `dark`."""
    if not present:
        return ""
    rules = [
        _hidden_controls(),
        f"html {{ font-size: {LARGE * 100:.0f}%; }}",
        f'{MAIN} [data-testid="stMetricValue"] {{ font-size: 2.6rem; }}',
    ]
    if dark:
        look = DARK
        rules += [
            f'[data-testid="stApp"], [data-testid="stHeader"], {MAIN} '
            f"{{ background-color: {look.background}; color: {look.text}; }}",
            f'[data-testid="stSidebar"] {{ background-color: {look.secondary_background}; }}',
            # text on the ground; a widget's own box (a delta's pill, an input) keeps its colours
            f'[data-testid="stApp"] :is(h1, h2, h3, h4, h5, h6, p, li, label, summary, '
            f'[data-testid="stCaptionContainer"], [data-testid="stMetricValue"], '
            f'[data-testid="stPageLink"] span) {{ color: {look.text}; }}',
            '[data-testid="stApp"] [data-testid="stCaptionContainer"] { opacity: 0.8; }',
            # inputs keep their light boxes (the sidebar's switches): their text stays dark
            f'[data-testid="stApp"] :is(input, textarea) {{ color: {TEXT} !important; '
            f"-webkit-text-fill-color: {TEXT}; }}",
            # a locked switch (masking in presentation mode) keeps a visible track
            '[data-testid="stSidebar"] label[data-disabled="true"][data-selected="true"] '
            f"> div:first-of-type {{ background-color: {NEUTRAL}; }}",
            '[data-testid="stApp"] [data-testid="stMetricDelta"] :is(p, span, div) '
            "{ color: inherit; }",
            # a tile's sparkline is drawn by Vega on a white ground: shown in negative
            '[data-testid="stMetricChart"] { filter: invert(0.93) hue-rotate(180deg); }',
            # so is a table: the grid paints a canvas in the app theme's light colours, which
            # no style sheet reaches, and a Styler's colours are the cells' only (the header,
            # borders and toolbar would stay light); the negative turns all of it dark at
            # once, for every table, and keeps its hues (a selection stays blue)
            '[data-testid="stDataFrame"] { filter: invert(0.93) hue-rotate(180deg); }',
            '[data-testid="stApp"] [data-testid="stAlertContainer"] '
            "{ background-color: rgba(255, 255, 255, 0.08); }",
            f'[data-testid="stApp"] [data-testid="stCode"] pre '
            f"{{ background-color: {look.secondary_background}; }}",
        ]
    return "\n".join(rules)


def show_page_style() -> None:
    """Draw the session's presentation style sheet (nothing outside presentation mode)."""
    css = page_style(session.switch_on(session.PRESENT), session.switch_on(session.DARK))
    if css:
        st.html(f"<style>{css}</style>")


def install() -> None:
    """Register the template under NAME and make it Plotly's default (idempotent); the
    figures of `ui.charts` wear the view's own (`template()`)."""
    pio.templates[NAME] = TEMPLATE
    pio.templates.default = NAME
