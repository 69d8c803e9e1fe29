"""From a plotly selection event, as `st.plotly_chart(..., on_select="rerun")` gives it, to
the group a Segments, What to offer next or Customer value chart's click or drawn area
names, and from the group to its customers, checked by hand on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import segments, value
from ui import charts
from ui import products as pr
from ui import segments as sg
from ui import value as vu


def _event(points=(), box=(), lasso=()) -> dict:
    """A selection event shaped as Streamlit 1.67 sends it (PlotlyState as a dict)."""
    return {
        "selection": {
            "points": list(points),
            "point_indices": [p.get("point_index", 0) for p in points],
            "box": list(box),
            "lasso": list(lasso),
        }
    }


def _point(trace, index: int) -> dict:
    custom = np.asarray(trace.customdata, dtype=object)
    return {"curve_number": 0, "point_index": index, "customdata": list(custom[index])}


VALUES = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e"],
        "stars": pd.array([5, 4, 5, pd.NA, 4], dtype="Int8"),
        "predicted_clv": [50.0, 10.0, 30.0, 1.0, 12.0],
    }
).assign(formula_clv=0.0, aov=1.0, purchases_per_year=1.0, acquisition_cost=0.0, p_alive=0.5)


def test_a_clicked_value_bar_names_its_group_whatever_its_label():
    groups = value.clv_by_group(VALUES, "stars")
    keys = [str(g) for g in groups["group"]]
    figure = charts.value_by_group(
        ["五星", "四星", "未评级"], list(groups["predicted_clv"]), [0.0] * 3, "t",
        {"predicted": "P", "formula": "F", "axis": "A"}, keys=keys,
    )  # fmt: skip
    first = list(groups["group"].astype(str)).index("4")
    key = vu.clicked(_event([_point(figure.data[1], first)]), 1)  # the formula bar
    assert key == "4"
    rows = value.group_customers(VALUES, "stars", key)
    assert list(rows["customer_id"]) == ["e", "b"]  # by hand: the 4-star ones, top first
    assert vu.clicked(_event(), 1) is None


def test_a_clicked_band_names_its_row_of_the_distribution():
    hist = value.distribution(VALUES, "predicted_clv", bins=4)
    figure = charts.value_distribution(hist, "t", {"value": "V", "customers": "C"})
    band = vu.clicked(_event([_point(figure.data[0], 3)]), 1)
    assert band == 3
    rows = value.band_customers(VALUES, "predicted_clv", hist, band)
    assert list(rows["customer_id"]) == ["a"]  # 37.75 and above: a (50) alone
    assert hist["customers"].sum() == 5


def test_a_clicked_cell_names_its_scores():
    cells = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    ).assign(segment_label="S", customers=0, revenue=0.0)
    figure = charts.rfm_heatmap(cells, "customers", "t", {"r": "R", "f": "F", "customers": "C",
                                "revenue": "Rev"})  # fmt: skip
    custom = np.asarray(figure.data[1].customdata, dtype=object)  # the cells' markers
    point = {"x": 2, "y": 4, "customdata": list(custom[3 * 5 + 1])}  # R = 4, F = 2
    assert sg.clicked_cell(_event([point])) == [4, 2]
    assert sg.clicked_cell(_event()) is None


def test_a_drawn_box_and_lasso_become_areas_and_their_customers():
    box = {"xref": "x", "yref": "y", "x": [10.0, 1.0], "y": [1.0, 3.0]}
    lasso = {"xref": "x", "yref": "y", "x": [20.0, 30.0, 25.0], "y": [1.0, 1.0, 5.0]}
    areas = sg.drawn_areas(_event(box=[box], lasso=[lasso]))
    assert areas == [[[10.0, 1.0], [1.0, 3.0]], [[20.0, 30.0, 25.0], [1.0, 1.0, 5.0]]]
    frame = pd.DataFrame(
        {
            "customer_id": ["in_box", "in_lasso", "outside"],
            "revenue": [100.0, 100.0, 100.0],
            "count_purchase_days": [2.0, 2.0, 9.0],
            "recency_days": [5.0, 25.0, 25.0],
            "avg_order_value": [10.0, 10.0, 10.0],
        }
    )
    regions = [{"x": xs, "y": ys} for xs, ys in areas]
    rows = segments.region_customers(frame, "recency_days", "count_purchase_days", regions)
    assert list(rows["customer_id"]) == ["in_box", "in_lasso"]
    assert sg.drawn_areas(_event()) == []


def test_a_clicked_item_bar_names_its_code_not_its_name():
    items = pd.DataFrame(
        {"item": ["85123A", "22423"], "name": ["White heart", "Cake stand"],
         "customers": [10, 4], "popularity": [0.5, 0.2]}
    )  # fmt: skip
    figure = charts.popular_items(items, "t", {"customers": "C", "popularity": "P"})
    assert pr.clicked_item(_event([_point(figure.data[0], 0)])) == "22423"  # drawn bottom up
    assert pr.clicked_item(_event()) is None
