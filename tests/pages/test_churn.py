"""The Churn risk page through app.py, as a user meets it."""

import datetime as dt
import io

import pandas as pd
import pytest

from core import db, value
from core.churn import ChurnSettings, churn_risk, warning_list
from tests.conftest import DEMO_END
from ui import churn as ch
from ui import format as fmt
from ui.export import list_files

PAGE = "pages/churn.py"


def _open(app_on, path, lang=None):
    at = app_on(path, lang=lang)
    return at.switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def expected(demo_db):
    con = db.connect(demo_db)
    result = churn_risk(con, DEMO_END)
    con.close()
    return result


def test_the_page_shows_the_risk_and_the_classifier_quality(app_on, demo_db, expected):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "Churn risk"
    tiles = _tiles(at)
    assert tiles["Customers scored"] == fmt.count(len(expected.scores), "en")
    at_risk = (expected.scores["churn_risk"] >= 0.7).sum()
    assert tiles["At risk (70% or more)"] == fmt.count(at_risk, "en")
    assert tiles["Classifier AUC"] == f"{expected.quality.auc:.2f}"
    listed = at.dataframe[0].value
    assert len(listed) == min(at_risk, 200)
    assert listed["value_at_risk"].is_monotonic_decreasing
    assert (listed["churn_risk"] >= 70).all()  # shown in percent
    assert {"name", "email", "phone"}.isdisjoint(listed.columns)
    buttons = [b.proto.label for b in at.main.get("download_button")]
    assert buttons == ["Download CSV", "Download Excel"]


def test_a_lower_threshold_warns_about_more_customers(app_on, demo_db, expected):
    at = _open(app_on, demo_db)
    at.slider(key="churn_min_risk").set_value(40).run()
    assert not at.exception
    at_risk = (expected.scores["churn_risk"] >= 0.4).sum()
    assert _tiles(at)["At risk (40% or more)"] == fmt.count(at_risk, "en")


def test_another_horizon_retrains(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.segmented_control(key="churn_horizon").set_value(30).run()
    assert not at.exception
    con = db.connect(demo_db)
    result = churn_risk(con, DEMO_END, ChurnSettings(horizon_days=30))
    con.close()
    assert _tiles(at)["Classifier AUC"] == f"{result.quality.auc:.2f}"


def test_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "流失预警"
    assert "分类模型 AUC" in _tiles(at)


def test_too_little_data_says_why(app_on, thin_db):
    at = _open(app_on, thin_db)
    assert not at.exception
    assert "Not enough data for churn risk yet" in at.warning[0].value
    assert "needs 120 days of purchases" in at.warning[0].value
    assert "the data cover 39 days" in at.warning[0].value


def test_an_empty_database_says_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert "No data yet" in at.info[0].value


def test_the_export_holds_the_whole_list_with_labels(app_on, demo_db, expected):
    at = _open(app_on, demo_db)  # the catalogs and the language of a session
    assert not at.exception
    con = db.connect(demo_db)
    models = value.fit_value_models(con, DEMO_END)
    settings = value.value_defaults(con, DEMO_END).settings()
    customers = value.customer_values(con, models, settings)
    con.close()
    listed = warning_list(expected.scores, customers, DEMO_END, 0.5)
    # what the two download buttons write
    to_csv, to_excel, _ = list_files(
        ch.warning_export(listed), len(listed), ch.warning_columns("CNY")
    )
    csv = pd.read_csv(io.BytesIO(to_csv()), encoding="utf-8-sig")
    assert len(csv) == len(listed) > ch.LIST_ROWS
    assert list(csv.columns[:5]) == [
        "Customer ID",
        "City",
        "Channel",
        "Value at risk (CNY)",  # money headers carry the currency
        "Risk (%)",  # a share written as a percentage
    ]
    assert csv["Value at risk (CNY)"].is_monotonic_decreasing
    assert csv["Risk (%)"].tolist() == (listed["churn_risk"] * 100).round(1).tolist()
    excel = pd.read_excel(io.BytesIO(to_excel()))
    assert len(excel) == len(listed)


def test_another_as_of_month_end_and_horizon_train_there(app_on, demo_db):
    at = _open(app_on, demo_db)
    month_end = dt.date(2026, 10, 31)  # not the build's date: nothing stored for it
    at.date_input(key="sidebar_as_of").set_value(month_end).run()
    assert not at.exception
    con = db.connect(demo_db)
    result = churn_risk(con, month_end)
    shorter = churn_risk(con, month_end, ChurnSettings(horizon_days=30))
    con.close()
    tiles = _tiles(at)
    assert tiles["Customers scored"] == fmt.count(len(result.scores), "en")
    assert tiles["Classifier AUC"] == f"{result.quality.auc:.2f}"
    at.segmented_control(key="churn_horizon").set_value(30).run()
    assert not at.exception
    assert _tiles(at)["Classifier AUC"] == f"{shorter.quality.auc:.2f}"
    at_risk = (shorter.scores["churn_risk"] >= 0.7).sum()
    assert _tiles(at)["At risk (70% or more)"] == fmt.count(at_risk, "en")
