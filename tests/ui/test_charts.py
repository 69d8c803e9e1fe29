"""Figures as pure functions: what the axes say."""

import pandas as pd

from ui import charts


def _monthly(revenue):
    months = pd.date_range("2024-01-01", periods=len(revenue), freq="MS")
    return pd.DataFrame(
        {
            "month": months,
            "revenue": revenue,
            "orders": 1,
            "customers": 1,
            "is_partial": [False] * (len(revenue) - 1) + [True],
        }
    )


def test_revenue_ticks_in_ten_thousands_keep_their_decimals():
    labels = {"month": "月份", "revenue": "营收（万英镑）", "orders": "订单", "customers": "客户"}
    figure = charts.revenue_trend(_monthly([12_000, 33_000, 8_000]), "t", labels, scale=1e4)
    assert figure.layout.yaxis.tickformat == ",.2~f"  # 0.5, 1, 1.5: never "1, 1, 2, 2"
    assert list(figure.data[0].y) == [1.2, 3.3, 0.8]
    assert figure.layout.yaxis.title.text == "营收（万英镑）"


def test_money_hovers_carry_the_currency():
    frame = pd.DataFrame({"cac": [10.0], "margin_per_customer": [25.0]})
    figure = charts.channel_economics(
        frame, ["Web"], {"cac": "CAC"}, "t", "Per customer (£)", "GBP"
    )
    assert "£%{y:,.0f}" in figure.data[0].hovertemplate
    assert figure.layout.yaxis.tickprefix == "£"


def test_text_from_the_data_is_drawn_as_text():
    evil = '<a href="https://evil.example">Verify</a>'
    frame = pd.DataFrame({"cac": [10.0, 12.0], "margin_per_customer": [25.0, 30.0]})
    figure = charts.channel_economics(frame, [evil, "Web & app"], {"cac": evil}, "t", "axis")
    trace = figure.data[0]
    assert list(trace.x) == [
        '&lt;a href="https://evil.example"&gt;Verify&lt;/a&gt;',
        "Web &amp; app",  # Plotly draws the entity as "&"
    ]
    assert trace.name == '&lt;a href="https://evil.example"&gt;Verify&lt;/a&gt;'
    assert "<br>" in trace.hovertemplate  # the chart's own markup stays
