"""The Lifecycle page with the shared filters and after a click on a chart.

The filters choose whom the stage tiles, the funnel, the economics and the drill-down
count, checked against every customer's stage restricted by hand. AppTest cannot click a
Plotly chart, so a click is given as its callback leaves the session (the chart clicked and
the drill-down's choices; tests/ui/test_lifecycle_clicks.py turns real selection events into
them): the list opens under that chart, says what was clicked and how many, and closes."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from core import db, lifecycle
from core import filters as core_filters
from core.filters import Filters
from tests.apptest import without_legacy_pages_mode
from tests.pages.conftest import APP, _clear_caches
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui import format as fmt
from ui import lifecycle as lc
from ui.i18n import load_catalog

PAGE = "pages/lifecycle.py"


@pytest.fixture
def open_page(monkeypatch):
    """`open_page(path, session=..., **params)`: the Lifecycle page at `?params`, with
    `session` values set before the page's run (what a click's callback sets)."""
    _clear_caches()

    def start(path, session: dict | None = None, **params) -> AppTest:
        monkeypatch.setenv(db.ENV_VAR, str(path))
        at = AppTest.from_file(APP, default_timeout=600)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        for key, value in (session or {}).items():
            at.session_state[key] = value
        return at.switch_page(PAGE).run()

    with without_legacy_pages_mode():
        yield start
    _clear_caches()


@pytest.fixture(scope="module")
def stages(demo_db):
    con = db.connect(demo_db)
    as_of = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    frame = lifecycle.customer_stages(con, as_of)
    cohorts = lifecycle.cohort_retention(con, as_of)
    con.close()
    return as_of, frame, cohorts


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _bold(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**")]


def test_the_filters_choose_whom_the_page_counts(open_page, demo_db, stages):
    as_of, everyone, _ = stages
    at = open_page(demo_db, channel="wechat")
    assert not at.exception
    mine = everyone[everyone["acquisition_channel"] == "wechat"]
    counts = mine["stage"].value_counts()
    labels = {"prospect": "Prospects", "new": "New", "active": "Active"}
    labels |= {"at_risk": "At risk", "churned": "Churned"}
    assert _tiles(at) == {labels[s]: fmt.count(counts.get(s, 0), "en") for s in labels}
    economics = next(d.value for d in at.dataframe if "cac" in d.value.columns)
    assert list(economics["channel"]) == ["WeChat"]
    count = next(c.value for c in at.caption if "customers; showing" in c.value)
    assert count.startswith(f"{fmt.count(len(mine), 'en')} customers")
    files = [b.key for b in at.main.get("download_button")]
    assert f"lifecycle-flows-{as_of}_csv" in files
    assert f"lifecycle-economics-{as_of}_csv" in files
    assert f"lifecycle-{as_of}_csv" in files


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_cohort_cell_click_opens_its_buyers_under_the_heatmap(open_page, demo_db, stages, lang):
    _, _, cohorts = stages
    cell = cohorts[(cohorts["months_since_signup"] == 2) & (cohorts["buyers"] > 0)].iloc[-1]
    cohort = cell["cohort"].date()
    session = {
        lc.CLICKED: "cohorts",
        "lifecycle_drill_cohort": cohort,
        "lifecycle_drill_month": 2,
    }
    at = open_page(demo_db, session=session, lang=lang)
    assert not at.exception
    count = fmt.count(cell["buyers"], lang)
    expected = (
        f"**Signed up {cohort:%Y-%m} · bought in month 2 after sign-up: {count} customers**"
        if lang == "en"
        else f"**{cohort:%Y-%m} 注册 · 注册后第 2 月购买：{count} 位客户**"
    )
    assert expected in _bold(at)
    assert len(at.subheader) == 4  # the drill-down left the end of the page for the heatmap
    listed = at.dataframe[-2].value  # under the heatmap, before the economics table
    assert len(listed) == min(cell["buyers"], lc.DRILL_ROWS)
    if lang == "zh":  # AppTest writes a selectbox's value back in English words
        return
    at.button(key="lifecycle_drill_close").click().run()
    assert not at.exception
    assert lc.CLICKED not in at.session_state
    assert at.session_state["lifecycle_drill_cohort"] == lc.ANY
    assert len(at.subheader) == 5  # back at the end of the page
    assert not any("bought in month 2" in b or "第 2 月购买" in b for b in _bold(at))


def test_a_funnel_click_with_a_filter_lists_the_chosen_steps_customers(open_page, demo_db, stages):
    _, everyone, _ = stages
    session = {lc.CLICKED: "funnel", "lifecycle_drill_group": "repeat"}
    at = open_page(demo_db, session=session, channel="wechat")
    assert not at.exception
    mine = everyone[
        (everyone["acquisition_channel"] == "wechat") & (everyone["count_purchase_days"] >= 2)
    ]
    assert f"**Repeat (2+ purchases): {fmt.count(len(mine), 'en')} customers**" in _bold(at)
    listed = next(d.value for d in at.dataframe if "days_since_purchase" in d.value.columns)
    assert set(listed["acquisition_channel"]) == {"WeChat"}
    assert (listed["count_purchase_days"] >= 2).all()


def _about(call) -> dict[str, str]:
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[1]
    return {str(r[0].value): str(r[1].value) for r in sheet.iter_rows()}


def test_the_clicked_lists_export_names_the_chart_the_click_and_the_filters(
    open_page,
    made,  # noqa: F811
    demo_db,
    stages,
):
    as_of, everyone, _ = stages
    words = load_catalog("en")
    con = db.connect(demo_db)
    ids = core_filters.attribute_ids(con, Filters(channels=("wechat",)))
    cohorts = lifecycle.cohort_retention(con.cursor(), as_of, customers=ids)
    con.close()
    cell = cohorts[(cohorts["months_since_signup"] == 1) & (cohorts["buyers"] > 0)].iloc[-1]
    session = {
        lc.CLICKED: "cohorts",
        "lifecycle_drill_cohort": cell["cohort"].date(),
        "lifecycle_drill_month": 1,
    }
    at = open_page(demo_db, session=session, channel="wechat")
    assert not at.exception
    call = next(
        c
        for c in reversed(made)
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["lifecycle.drill_header"]
    )
    assert call["rows"] == cell["buyers"]
    about = _about(call)
    assert about[words["export.about_as_of"]] == as_of.isoformat()
    choices = about[words["export.about_choices"]]
    assert f"{words['lifecycle.drill_chart']}: {words['lifecycle.cohort_header']}" in choices
    clicked = f"Signed up {cell['cohort']:%Y-%m} · bought in month 1 after sign-up"
    assert f"{words['lifecycle.drill_clicked']}: {clicked}" in choices
    assert "wechat" in about[words["export.about_filters"]].lower()
    listed = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig")
    assert len(listed) == cell["buyers"]
    assert set(listed[words["lifecycle.col_acquisition_channel"]]) == {"WeChat"}
    economics = next(
        c
        for c in made
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["lifecycle.economics_header"]
    )
    assert economics["rows"] == 1  # the chosen channel's row
    flows = next(
        c
        for c in made
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["lifecycle.flows_table"]
    )
    table = pd.read_csv(io.BytesIO(flows["csv"]()), encoding="utf-8-sig")
    mine = everyone[everyone["acquisition_channel"] == "wechat"]
    live = mine["stage"].isin(["new", "active", "at_risk"]).sum()
    assert table[words["lifecycle.live_at_end"]].iloc[0] == live  # the latest month first
