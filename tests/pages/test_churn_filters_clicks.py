"""Churn risk with the shared filters and a click on the risk histogram.

The filters choose the customers counted, charted and listed, checked against the whole
base's scores and worth restricted by hand; the classifier stays the whole base's and says
so. A click on a bar names its band in its customdata (`clicked_band`, tested on the event
as the browser sends it); the band's list is opened as the click's callback opens it (the
session's band) and holds the customers whose risk is in the band, counted by hand."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from core import churn, db, value
from tests.apptest import without_legacy_pages_mode
from tests.conftest import DEMO_END
from tests.pages.conftest import APP, _clear_caches
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui import charts
from ui import churn as ch
from ui import format as fmt
from ui.i18n import load_catalog

PAGE = "pages/churn.py"


@pytest.fixture(scope="module")
def scored(demo_db):
    """The whole base's result and every scored customer's channel and worth."""
    con = db.connect(demo_db)
    result = churn.churn_risk(con, DEMO_END)
    models = value.fit_value_models(con, DEMO_END)
    settings = value.value_defaults(con, DEMO_END).settings()
    customers = value.customer_values(con, models, settings)
    listed = churn.warning_list(result.scores, customers, DEMO_END, 0.0)
    channels = con.execute("select customer_id, acquisition_channel from customers").df()
    con.close()
    return result, listed.merge(channels, on="customer_id", suffixes=("_listed", ""))


@pytest.fixture
def open_page(monkeypatch):
    """`open_page(path, session=..., **params)`: the Churn risk page at `?params`, with
    `session` values set before the run (what a callback would have set)."""
    _clear_caches()

    def start(path, session: dict | None = None, **params) -> AppTest:
        monkeypatch.setenv(db.ENV_VAR, str(path))
        at = AppTest.from_file(APP, default_timeout=600)
        for key, value_ in params.items():
            at.query_params[key] = value_
        at.run()
        for key, value_ in (session or {}).items():
            at.session_state[key] = value_
        return at.switch_page(PAGE).run()

    with without_legacy_pages_mode():
        yield start
    _clear_caches()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_the_filters_choose_whom_the_page_counts_and_lists_not_the_model(
    open_page, demo_db, scored
):
    result, everyone = scored
    at = open_page(demo_db, channel="wechat")
    assert not at.exception
    mine = everyone[everyone["acquisition_channel"] == "wechat"]
    at_risk = mine[mine["churn_risk"] >= 0.7]
    assert 0 < len(at_risk) < (everyone["churn_risk"] >= 0.7).sum()
    tiles = _tiles(at)
    assert tiles["Customers scored"] == fmt.count(len(mine), "en")
    assert tiles["At risk (70% or more)"] == fmt.count(len(at_risk), "en")
    assert tiles["Value at risk"] == fmt.money(at_risk["value_at_risk"].sum(), "en", "CNY")
    assert tiles["Classifier AUC"] == f"{result.quality.auc:.2f}"  # the whole base's
    listed = at.dataframe[0].value
    assert len(listed) == min(len(at_risk), ch.LIST_ROWS)
    assert set(listed["acquisition_channel"]) == {"WeChat"}
    whole_base = [c for c in _captions(at) if c.startswith("Filtered: the counts")]
    assert len(whole_base) == 2  # under the tiles and under the model's heading


def test_without_filters_no_caption_about_the_model(open_page, demo_db, scored):
    at = open_page(demo_db)
    assert not any(c.startswith("Filtered: the counts") for c in _captions(at))
    assert _tiles(at)["Customers scored"] == fmt.count(len(scored[1]), "en")


def _event(figure, index: int) -> dict:
    sent = json.loads(figure.to_json())["data"][0]
    point = {"curve_number": 0, "point_index": index, "customdata": sent["customdata"][index]}
    return {"points": [point], "point_indices": [index], "box": [], "lasso": []}


def test_a_bar_names_its_band_and_the_bands_split_the_customers_as_the_histogram(scored):
    result, _ = scored
    risk = result.scores["churn_risk"]
    hist = churn.risk_histogram(risk)
    figure = charts.risk_distribution(hist, 0.7, "t", {"risk": "r", "customers": "c"})
    for band in range(len(hist)):
        assert ch.clicked_band(_event(figure, band)) == band
        assert churn.in_risk_band(risk, band).sum() == hist["customers"].iloc[band]
    assert ch.clicked_band({"points": []}) is None
    edges = churn.risk_band_edges()[[0, 1, 19, 20]]  # in the band above it, 1 in the last
    assert [int(np.flatnonzero([churn.in_risk_band([e], b)[0] for b in range(20)])[0])
            for e in edges] == [0, 1, 19, 19]  # fmt: skip
    with pytest.raises(ValueError, match="band"):
        churn.in_risk_band(risk, 20)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_band_lists_its_customers_with_their_risk_and_worth(
    open_page, demo_db, scored, lang
):
    _, everyone = scored
    band = 15  # 75% - 80%
    at = open_page(demo_db, session={ch.CLICKED: band}, lang=lang)
    assert not at.exception
    mine = everyone[churn.in_risk_band(everyone["churn_risk"], band)]
    assert len(mine) > 0
    heading = next(m.value for m in at.markdown if ch.band_text(band) in m.value)
    count = fmt.count(len(mine), lang)
    assert heading == (
        f"**Risk 75% – 80%: {count} customers**"
        if lang == "en"
        else f"**风险 75% – 80%：{count} 位客户**"
    )
    listed = at.dataframe[0].value  # the band's list comes before the warning list
    assert len(listed) == min(len(mine), ch.LIST_ROWS)
    assert listed["churn_risk"].between(75, 80).all()  # shown in percent
    top = mine.sort_values("value_at_risk", ascending=False).head(len(listed))
    np.testing.assert_allclose(listed["value_at_risk"], top["value_at_risk"])
    assert [b.proto.label for b in at.main.get("download_button")][:1] == [
        "Download CSV" if lang == "en" else "下载 CSV"
    ]
    close = at.button(key="churn_band_close")
    close.click().run()
    assert not at.exception
    assert ch.CLICKED not in at.session_state
    assert not any(ch.band_text(band) in m.value for m in at.markdown)


def test_the_band_list_follows_the_filters(open_page, demo_db, scored):
    _, everyone = scored
    band = 14
    at = open_page(demo_db, session={ch.CLICKED: band}, channel="wechat")
    assert not at.exception
    mine = everyone[
        churn.in_risk_band(everyone["churn_risk"], band)
        & (everyone["acquisition_channel"] == "wechat")
    ]
    heading = next(m.value for m in at.markdown if ch.band_text(band) in m.value)
    assert heading == f"**Risk 70% – 75%: {fmt.count(len(mine), 'en')} customers**"
    assert set(pd.Series(at.dataframe[0].value["acquisition_channel"])) <= {"WeChat"}


def test_the_bands_export_names_the_chart_the_band_and_the_filters(
    open_page,
    made,  # noqa: F811
    demo_db,
    scored,
):
    _, everyone = scored
    words = load_catalog("en")
    band = 16  # 80% - 85%
    at = open_page(demo_db, session={ch.CLICKED: band}, channel="wechat")
    assert not at.exception
    call = next(
        c
        for c in reversed(made)
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["churn.distribution_header"]
    )
    mine = everyone[
        churn.in_risk_band(everyone["churn_risk"], band)
        & (everyone["acquisition_channel"] == "wechat")
    ]
    assert call["rows"] == len(mine) > 0
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[1]
    about = {str(r[0].value): str(r[1].value) for r in sheet.iter_rows()}
    assert about[words["export.about_as_of"]] == DEMO_END.isoformat()
    assert about[words["export.about_horizon"]] == "90 days"
    assert about[words["export.about_choices"]] == f"{words['churn.band_clicked']}: 80% – 85%"
    assert "wechat" in about[words["export.about_filters"]].lower()
    listed = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig")
    assert sorted(listed["Customer ID"]) == sorted(mine["customer_id"])
