"""Review of issue 17 (R2): a click names the wrong group when its code holds '&', '<' or
'>'. Every chart's customdata goes through `ui.charts.data_as_text`, which HTML-escapes its
strings (so Plotly draws a city as text), and the browser sends the escaped text back.
Satisfaction unescapes it (`pick_from_selection`); What to offer next, Customer value and
Lifecycle do not, so a click on "Home & Garden" asks for the buyers of "Home &amp; Garden":
none. A shop's own categories and channels ("Home & Garden", "Friends & family") are common.
"""

from __future__ import annotations

import json

import pandas as pd

from ui import charts
from ui import lifecycle as lc
from ui import products as pr
from ui import value as vu

ITEM = "Home & Garden"
CHANNEL = "friends & family"


def _event(figure, curve: int, index: int) -> dict:
    """The selection event of a click on point `index` of trace `curve`, its customdata as
    the browser received it (the figure's JSON)."""
    sent = json.loads(figure.to_json())["data"][curve]
    point = {"curve_number": curve, "point_number": index, "point_index": index}
    point["customdata"] = sent["customdata"][index]
    return {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}}


def test_a_click_on_an_items_bar_names_the_item_as_stored():
    items = pd.DataFrame({"item": [ITEM], "name": [ITEM], "customers": [12], "popularity": [0.4]})
    figure = charts.popular_items(items, "t", {"customers": "C", "popularity": "P"})
    assert pr.clicked_item(_event(figure, 0, 0)) == ITEM


def test_a_click_on_a_value_groups_bar_names_the_group_as_stored():
    figure = charts.value_by_group(
        [CHANNEL],
        [100.0],
        [90.0],
        "t",
        {"predicted": "P", "formula": "F", "axis": "A", "group": "G"},
        keys=[CHANNEL],
    )
    assert vu.clicked(_event(figure, 0, 0), 1) == CHANNEL


def test_a_click_on_a_channels_economics_names_the_channel_as_stored():
    economics = pd.DataFrame(
        {
            "channel": [CHANNEL],
            "customers": [10],
            "cac": [5.0],
            "value_per_customer": [50.0],
        }
    )
    figure = charts.channel_economics(
        economics, [CHANNEL], {"cac": "CAC", "value_per_customer": "V"}, "t", "a"
    )
    drill = lc.clicked_drill("economics", _event(figure, 0, 0)["selection"])
    assert drill.channel == CHANNEL
