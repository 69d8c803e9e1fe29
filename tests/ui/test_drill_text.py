"""ui/drill.py reads a click's customdata as the data hold it: the charts escape their
text for Plotly (`charts.data_as_text`) and the browser sends the escaped text back."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from ui import charts, drill

CODES = ["Home & Garden", "<b>bold</b>", "a &amp; b", "x > y & y < z", "&lt;", "plain"]


def _sent_back(figure: go.Figure, index: int) -> dict:
    """The selection event of a click on point `index`, its customdata as the browser got it."""
    custom = json.loads(figure.to_json())["data"][0]["customdata"][index]
    return {"selection": {"points": [{"point_index": index, "customdata": custom}]}}


@pytest.mark.parametrize("index", range(len(CODES)))
def test_a_clicked_points_text_is_as_the_data_hold_it(index):
    figure = go.Figure(
        go.Bar(x=CODES, y=list(range(len(CODES))), customdata=[[c, i] for i, c in enumerate(CODES)])
    )
    charts.data_as_text(figure)
    event = _sent_back(figure, index)
    sent = event["selection"]["points"][0]["customdata"][0]
    assert (sent != CODES[index]) == any(ch in CODES[index] for ch in "&<>")  # escaped
    assert list(drill.points(event)) == [[CODES[index], index]]
    assert drill.item(event, 0) == CODES[index]


def test_a_bare_string_and_numbers_come_back_as_they_were():
    assert charts.text_as_data(charts._escaped("R&D <x>")) == "R&D <x>"
    assert charts.text_as_data([5, None, 2.5, (7, 1)]) == [5, None, 2.5, (7, 1)]
    assert charts.text_as_data(charts._escaped(("a&amp;", 1))) == ("a&amp;", 1)


MARKUP = "<b>R&D</b> > 2"  # a code of the shop's own with every character Plotly escapes


def test_products_value_and_lifecycle_clicks_name_a_code_with_markup_as_stored():
    import pandas as pd

    from ui import lifecycle as lc
    from ui import products as pr
    from ui import value as vu

    items = pd.DataFrame({"item": [MARKUP], "name": [MARKUP], "customers": [3], "popularity": [1]})
    figure = charts.popular_items(items, "t", {"customers": "C", "popularity": "P"})
    assert pr.clicked_item(_sent_back(figure, 0)) == MARKUP
    labels = {"predicted": "P", "formula": "F", "axis": "A", "group": "G"}
    figure = charts.value_by_group([MARKUP], [1.0], [2.0], "t", labels, keys=[MARKUP])
    assert vu.clicked(_sent_back(figure, 0), 1) == MARKUP
    economics = pd.DataFrame(
        {"channel": [MARKUP], "customers": [4], "cac": [5.0], "value_per_customer": [6.0]}
    )
    labels = {"cac": "CAC", "value_per_customer": "V"}
    figure = charts.channel_economics(economics, [MARKUP], labels, "t", "a")
    assert lc.clicked_drill("economics", _sent_back(figure, 0)["selection"]).channel == MARKUP
