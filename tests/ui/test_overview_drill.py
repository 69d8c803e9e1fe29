"""The Overview's clicks: a selection event of the star mix or the funnel (as
`st.plotly_chart(on_select="rerun")` returns it) names its star or step from the point's
customdata, never from its translated label, and the list it opens is that group's
customers restricted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import db, lifecycle, stars
from ui import charts
from ui import overview as ov


def _event(*points: dict) -> dict:
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def _point(figure, trace: int, index: int) -> dict:
    """The point Streamlit reports for a click on bar `index` of `trace` of `figure`."""
    data = figure.data[trace]
    customdata = data.customdata[index]
    if isinstance(customdata, np.ndarray):
        customdata = customdata.tolist()
    elif isinstance(customdata, np.generic):
        customdata = customdata.item()
    return {
        "curve_number": trace,
        "point_number": index,
        "point_index": index,
        "x": data.x[index],
        "y": data.y[index],
        "customdata": customdata,
    }


def _mix_figure() -> object:
    mix = pd.DataFrame(
        {"stars": [5, 4, 3], "customer_share": [0.1, 0.3, 0.6], "value_share": [0.5, 0.3, 0.2]}
    )
    labels = {"customers": "客户", "value": "毛利", "axis": "占比"}
    return charts.star_mix(mix, ["5★", "4★", "3★"], "t", labels)


def test_a_click_on_either_bar_of_a_star_names_that_star():
    figure = _mix_figure()
    assert ov.clicked_star(_event(_point(figure, 0, 1))) == 4  # the customers' bar
    assert ov.clicked_star(_event(_point(figure, 1, 0))) == 5  # the value's bar
    assert ov.clicked_star(_event(_point(figure, 1, 2))) == 3


def test_no_click_or_a_point_without_a_star_names_nothing():
    assert ov.clicked_star(_event()) is None
    assert ov.clicked_star(None) is None
    assert ov.clicked_star({"selection": {"points": []}}) is None
    assert ov.clicked_star(_event({"x": 12.0, "y": "4★"})) is None  # no customdata: no guess
    assert ov.clicked_star(_event({"customdata": 9})) is None
    assert ov.clicked_step(_event({"customdata": "loyal"})) is None
    assert ov.clicked_step(_event({"customdata": 4})) is None


def test_a_click_on_a_funnel_step_names_its_code_in_any_language():
    names = ["获客", "转化（首次购买）", "复购（2 次以上）", "留存"]
    figure = charts.lifecycle_funnel(
        names, [100, 60, 30, 20], "t", ["acquired", "converted", "repeat", "retained"]
    )
    for index, step in enumerate(("acquired", "converted", "repeat", "retained")):
        point = {
            "point_index": index,
            "y": names[index],
            "customdata": figure.data[0].customdata[index],
        }
        assert ov.clicked_step(_event(point)) == step


def test_the_star_bars_first_customdata_value_is_the_star():
    dist = pd.DataFrame(
        {"stars": [1, 2, 3, 4, 5], "customers": [5, 4, 3, 2, 1], "share": [0.2] * 5}
    ).assign(revenue_12m=100.0)
    labels = {"stars": [f"{s}★" for s in range(1, 6)], "customers": "C", "revenue": "R"}
    figure = charts.star_bars(dist, "t", labels | {"saved": "S", "draft": "D"})
    assert ov.clicked_star(_event(_point(figure, 0, 3))) == 4


@pytest.mark.parametrize("fixture", ["demo_db", "market_db"])
def test_the_list_a_star_click_opens_is_that_tier_by_hand(fixture, request, monkeypatch):
    path = request.getfixturevalue(fixture)
    monkeypatch.setenv(db.ENV_VAR, str(path))
    ov.star_drill.clear()
    con = db.connect(path)
    as_of = db.built_as_of(con)
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    ids = base.frame["customer_id"].to_numpy(dtype=object)
    con.close()
    figure = _mix_figure()
    star = ov.clicked_star(_event(_point(figure, 0, 1)))
    result = ov.star_drill(as_of, star, ov.core_filters.NO_FILTERS, 0)
    assert result.total == int((rated == star).sum())
    assert set(result.customers["customer_id"]) <= set(ids[rated == star])
    assert len(result.customers) == min(result.total, ov.LIST_ROWS)


def test_the_list_a_funnel_click_opens_is_that_step_by_hand(demo_db, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    ov.step_drill.clear()
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    listed = lifecycle.lifecycle_customers(con, as_of)
    con.close()
    event = _event({"point_index": 2, "customdata": "repeat"})
    step = ov.clicked_step(event)
    result = ov.step_drill(as_of, lifecycle.DEFAULT_RULES, step, ov.core_filters.NO_FILTERS, 0)
    assert result.total == int((listed["count_purchase_days"] >= 2).sum())
    assert (result.customers["count_purchase_days"] >= 2).all()


def _panels():
    """The two lists as the page draws them, on the database of STARTIER_DB."""
    from types import SimpleNamespace

    from core import db
    from core.filters import NO_FILTERS
    from ui import overview as ov

    con = db.connect(db.default_path())
    as_of = db.built_as_of(con)
    con.close()
    ctx = SimpleNamespace(as_of=as_of, version=0, lang="zh", currency="CNY")
    ov.star_list(ctx, 4, NO_FILTERS)
    ov.step_list(ctx, "repeat", NO_FILTERS)


def test_the_lists_show_what_was_clicked_their_rows_downloads_and_a_close(demo_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui.i18n import load_catalog

    monkeypatch.setenv(db.ENV_VAR, str(demo_db))
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    fours = con.execute("select count(*) from customer_features where stars = 4").fetchone()[0]
    listed = lifecycle.lifecycle_customers(con, as_of)
    con.close()
    repeat = int((listed["count_purchase_days"] >= 2).sum())
    at = AppTest.from_function(_panels, default_timeout=600)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    words = load_catalog("zh")
    headings = [m.value for m in at.markdown]
    star = words["overview.drill_star"].format(star="4★")
    step = words["overview.drill_step"].format(step=words["lifecycle.step_repeat"])
    assert f"**{words['overview.drill_heading'].format(group=star, n=f'{fours:,}')}**" in headings
    assert f"**{words['overview.drill_heading'].format(group=step, n=f'{repeat:,}')}**" in headings
    tables = at.dataframe
    assert len(tables[0].value) == min(fours, ov.LIST_ROWS)
    assert len(tables[1].value) == min(repeat, ov.LIST_ROWS)
    assert words["stars.col_customer_id"] in tables[0].value.columns
    files = {b.proto.id.split("-", 2)[2] for b in at.get("download_button")}
    for name in (f"startier-overview-4-stars-{as_of}", f"startier-overview-step-repeat-{as_of}"):
        assert {f"{name}_csv", f"{name}_xlsx"} <= files
    at.button(key="overview_mix_close").click().run()
    assert at.session_state["overview_mix_closed"] == 1  # the star mix's key is new: no selection
