"""Plotly figures as pure functions: data and labels in, a figure out; pages only show them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

BRAND = "#2E5BFF"
BRAND_LIGHT = "#A9BCFF"


def revenue_trend(
    monthly: pd.DataFrame, title: str, labels: dict[str, str], scale: float = 1.0
) -> go.Figure:
    """Monthly revenue as bars (a partial last month paler), orders in the hover.

    `monthly` has `month, revenue, orders, customers, is_partial`; revenue is divided by
    `scale` (1 or 10,000 for 万元); `labels` holds `month`, `revenue`, `orders`, `customers`.
    """
    colors = [BRAND_LIGHT if partial else BRAND for partial in monthly["is_partial"]]
    figure = go.Figure(
        go.Bar(
            x=monthly["month"],
            y=monthly["revenue"] / scale,
            marker_color=colors,
            customdata=monthly[["orders", "customers"]].to_numpy(),
            hovertemplate=(
                f"%{{x|%Y-%m}}<br>{labels['revenue']}: %{{y:,.1f}}<br>"
                f"{labels['orders']}: %{{customdata[0]:,}}<br>"
                f"{labels['customers']}: %{{customdata[1]:,}}<extra></extra>"
            ),
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title=labels["month"],
        yaxis_title=labels["revenue"],
        margin=dict(l=10, r=10, t=50, b=10),
        height=380,
        bargap=0.15,
    )
    figure.update_xaxes(tickformat="%Y-%m", dtick="M3")
    figure.update_yaxes(tickformat="~s" if scale == 1.0 else ",.0f")
    return figure
