"""The customers behind a cell of the RFM grid and inside a box or lasso drawn on the
cluster scatter, on the demo and the UK shop, against pandas by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import db, segments


@pytest.fixture(scope="module", params=["demo", "uk"])
def frame(request, demo_db, uk_shop_db):
    path = {"demo": demo_db, "uk": uk_shop_db}[request.param]
    con = db.connect(path, read_only=True)
    found = segments.segment_frame(con, db.built_as_of(con))
    con.close()
    return found


def test_each_grid_cell_lists_the_customers_it_counts(frame):
    cells = segments.grid_cells(frame)
    listed = 0
    for cell in cells.itertuples():
        rows = segments.cell_customers(frame, cell.r_score, cell.f_score)
        assert len(rows) == cell.customers
        assert set(rows["segment"]) <= {cell.segment}
        assert rows["revenue_12m"].sum() == pytest.approx(cell.revenue)
        listed += len(rows)
    assert listed == len(frame)
    with pytest.raises(ValueError, match="1 to 5"):
        segments.cell_customers(frame, 0, 3)


def test_a_box_on_linear_and_log_axes_holds_the_customers_inside_it(frame):
    plotted = segments.plotted_features(frame)
    x, y = "recency_days", "revenue"  # linear, log
    lo_x, hi_x = plotted[x].quantile([0.2, 0.6])
    lo_y, hi_y = plotted[y].quantile([0.3, 0.9])
    box = {"x": [hi_x, lo_x], "y": [lo_y, hi_y]}  # corners in any order
    rows = segments.region_customers(frame, x, y, [box], log=(False, True))
    by_hand = frame[plotted[x].between(lo_x, hi_x) & plotted[y].between(lo_y, hi_y)]
    assert list(rows["customer_id"]) == list(by_hand["customer_id"])
    assert 0 < len(rows) < len(frame)


def test_a_lasso_is_tested_in_the_axes_own_units(frame):
    """A lasso along a box's edges holds the box's customers but those on its top or right
    edge; on a log axis a straight edge between two amounts is straight in log units."""
    plotted = segments.plotted_features(frame)
    x, y = "count_purchase_days", "avg_order_value"  # both log
    lo_x, hi_x = 1.5, plotted[x].max() + 1
    lo_y, hi_y = plotted[y].quantile([0.25, 0.75])
    lasso = {"x": [lo_x, hi_x, hi_x, lo_x], "y": [lo_y, lo_y, hi_y, hi_y]}
    rows = segments.region_customers(frame, x, y, [lasso], log=(True, True))
    px, py = plotted[x], plotted[y]
    by_hand = frame[(px >= lo_x) & (px < hi_x) & (py >= lo_y) & (py < hi_y)]
    assert list(rows["customer_id"]) == list(by_hand["customer_id"])
    assert len(rows) > 0


def test_a_triangle_and_two_boxes_on_a_tiny_frame():
    tiny = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "revenue": [10.0, 1000.0, 100.0, 0.0],  # d: 0, drawn at 1 on the log axis
            "count_purchase_days": [1.0, 1.0, 1.0, 1.0],
            "recency_days": [1.0, 9.0, 2.0, 1.0],
            "avg_order_value": [10.0, 10.0, 10.0, 10.0],
        }
    )
    triangle = {"x": [0.0, 10.0, 0.0], "y": [0.5, 0.5, 2000.0]}  # recency x, revenue y (log)
    # the long edge, straight in log units: y = 0.5 at x = 10 up to 2000 at x = 0; at x = 2
    # it is at 10 ** 2.58, above c (2, 100); at x = 9, 10 ** 0.06, below b (9, 1000)
    inside = segments.region_customers(tiny, "recency_days", "revenue", [triangle], (False, True))
    assert list(inside["customer_id"]) == ["a", "c", "d"]  # b (9, 1000) is above the edge
    boxes = [{"x": [0, 2], "y": [0.9, 11]}, {"x": [8, 10], "y": [500, 2000]}]
    both = segments.region_customers(tiny, "recency_days", "revenue", boxes, (False, True))
    assert list(both["customer_id"]) == ["a", "b", "d"]
    assert segments.region_customers(tiny, "recency_days", "revenue", [], (False, True)).empty
    np.testing.assert_array_equal(segments.plotted_features(tiny)["revenue"], [10, 1000, 100, 1])


def test_a_cluster_profile_counted_over_chosen_rows(frame):
    found = segments.customer_clusters(frame, k=3)
    every = segments.chosen_profile(found.profile, frame, found.labels, np.arange(len(frame)))
    pd.testing.assert_frame_equal(every, found.profile)  # no filter: today's profile
    rows = np.arange(0, len(frame), 3)
    part = segments.chosen_profile(found.profile, frame, found.labels, rows)
    sub, labels = frame.iloc[rows], found.labels[rows]
    for c in range(3):
        members = sub[labels == c]
        assert part["customers"].iloc[c] == len(members)
        assert part["median_revenue"].iloc[c] == pytest.approx(members["revenue"].median())
    assert part["share"].sum() == pytest.approx(1.0)
    assert list(part["traits"]) == list(found.profile["traits"])  # the centres' words
