"""Segments through app.py: a clicked RFM cell's customers, the customers inside an area
drawn on the cluster scatter (the page keeps both in the session, which is how AppTest,
unable to click a plotly chart, gives it one), the summary tables' downloads and the shared
filters, against the core's frame restricted by hand."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from core import db, segments
from tests.ui.test_export_lists import made  # noqa: F401 (a fixture)
from ui import format as fmt

PAGE = "pages/segments.py"


def _frame(path):
    con = db.connect(path)
    try:
        found = segments.segment_frame(con, db.built_as_of(con))
        regions = con.execute("select customer_id, region from customers").df()
        as_of = db.built_as_of(con)
    finally:
        con.close()
    return found.merge(regions, on="customer_id", how="left"), as_of


def _headings(at) -> list[str]:
    return [m.value for m in at.main.markdown if m.value.startswith("**")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_cell_lists_its_customers_until_closed(app_on, demo_db, lang):
    at = app_on(demo_db, lang=lang)
    frame, _ = _frame(demo_db)
    cell = frame[(frame["r_score"] == 5) & (frame["f_score"] == 5)]
    # kept before the page opens: AppTest reruns a page of Chinese choices with English
    # labels (its selectbox formats on the test's thread), so the Chinese run is the first
    at.session_state["segments_drill_cell"] = [5, 5]
    at.switch_page(PAGE).run()
    assert not at.exception
    count = fmt.count(len(cell), lang)
    words = {
        "en": f"**Customers in R 5 · F 5 (Champions): {count}**",
        "zh": f"**R 5 · F 5（冠军客户）的客户：{count}**",
    }[lang]
    assert _headings(at) == [words]
    if lang == "zh":
        return
    at.button(key="segments_grid_chart_close").click().run()
    assert not at.exception and _headings(at) == []


def test_an_area_drawn_lists_every_customer_inside_it(app_on, uk_shop_db):
    at = app_on(uk_shop_db).switch_page(PAGE).run()
    frame, _ = _frame(uk_shop_db)
    plotted = segments.plotted_features(frame)
    box = [[100.0, 2000.0], [2.0, 6.0]]  # revenue (log) by purchase days (log), data units
    at.session_state["segments_drill_area"] = ["revenue", "count_purchase_days", [box]]
    at.run()
    assert not at.exception
    inside = plotted["revenue"].between(100, 2000) & plotted["count_purchase_days"].between(2, 6)
    assert inside.sum() > 0
    [heading] = _headings(at)
    assert heading.startswith("**Customers inside the area drawn on Revenue")
    assert heading.endswith(f": {fmt.count(int(inside.sum()), 'en')}**")
    listed = next(d.value for d in at.dataframe if "Cluster" in d.value.columns)
    assert len(listed) == min(int(inside.sum()), 200)
    at.selectbox(key="seg_y").set_value("recency_days").run()  # other axes: the area is gone
    assert _headings(at) == []


def _region(path) -> str:
    con = db.connect(path)
    try:
        return con.execute(
            "select region from customers group by 1 order by count(*) desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()


def test_a_region_filter_counts_its_customers_and_the_tables_download(app_on, demo_db, made):  # noqa: F811
    region = _region(demo_db)
    at = app_on(demo_db)
    at.multiselect(key="filter_regions_en").set_value([region]).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    frame, _ = _frame(demo_db)
    chosen = frame[frame["region"] == region]
    by_hand = chosen["segment"].value_counts()
    table = at.dataframe[0].value  # what each segment is
    champions = table[table["Segment"] == "Champions"]["Customers"].iloc[0]
    assert champions == fmt.count(by_hand["champions"], "en")
    assert sum(int(v.replace(",", "")) for v in table["Customers"]) == len(chosen) < len(frame)
    profile = next(d.value for d in at.dataframe if "In plain words" in d.value.columns)
    assert sum(int(str(v).replace(",", "")) for v in profile["Customers"]) == len(chosen)
    assert any("not refitted on the chosen ones" in c.value for c in at.caption)
    files = {call["columns"][0].key: call for call in made}
    summary = pd.read_csv(io.BytesIO(files["segment"]["csv"]()))
    assert (
        dict(zip(summary["Segment"], summary["Customers"], strict=True))["Champions"]
        == (by_hand["champions"])
    )
    about = dict(files["segment"]["about"].rows)
    assert region in about["Filters"]
    clusters = pd.read_csv(io.BytesIO(files["cluster"]["csv"]()))
    assert clusters["Customers"].sum() == len(chosen)
    at.session_state["segments_drill_cell"] = [5, 5]
    at.run()
    cell = chosen[(chosen["r_score"] == 5) & (chosen["f_score"] == 5)]
    assert _headings(at)[0].endswith(f": {fmt.count(len(cell), 'en')}**")
