"""Every summary table of Satisfaction, Loyalty and Customer 360 downloads what it shows,
with an About sheet: Satisfaction's table by group, Loyalty's saved scenarios side by side,
Customer 360's churn drivers and offers (the list pages' downloads are tested with them)."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest

from core import db
from core.satisfaction import satisfaction_by_group
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui.i18n import load_catalog


def _call(made, title: str, lang: str = "en"):  # noqa: F811
    words = load_catalog(lang)
    calls = [
        c
        for c in made
        if c["about"] is not None and c["about"].value(words["export.about_list"]) == title
    ]
    assert calls, [c["about"] and c["about"].value(words["export.about_list"]) for c in made]
    return calls[-1]


def _csv(call, dtype=None) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig", dtype=dtype)


def _unguarded(text: str) -> str:
    """A cell as shown: the CSV writes a text starting like a formula ('-¥1.2K') behind a
    quote, so a spreadsheet does not run it (core.export)."""
    return text[1:] if text.startswith("'") and text[1:2] in ("-", "+", "=", "@") else text


def test_satisfactions_table_by_group_downloads_its_figures(app_on, made, demo_db):  # noqa: F811
    words = load_catalog("en")
    at = app_on(demo_db).switch_page("pages/satisfaction.py").run()
    assert not at.exception
    call = _call(made, words["satisfaction.group_table"])
    con = db.connect(demo_db)
    as_of = con.execute("select max(ordered_at)::date from transactions").fetchall()[0][0]
    opening = int(at.number_input(key="satisfaction_min_answers").value)
    expected = satisfaction_by_group(con, as_of, "all", min_answers=opening)
    con.close()
    frame = _csv(call)
    assert len(frame) == len(expected) == call["rows"]
    assert frame[words["satisfaction.metric_nps"]].tolist() == pytest.approx(
        expected["nps"].round(1).tolist()
    )
    assert frame[words["satisfaction.nps_answers"]].tolist() == expected["nps_answers"].tolist()


def test_customer_360s_drivers_and_offers_download_as_shown(app_on, made, demo_db):  # noqa: F811
    words = load_catalog("en")
    con = db.connect(demo_db)  # as the app opens it (not read-only)
    customer = con.execute(  # a rated customer with churn drivers
        "select customer_id from customer_features where churn_risk is not null "
        "order by customer_id limit 1"
    ).fetchall()[0][0]
    con.close()
    at = app_on(demo_db)
    at.query_params["customer"] = customer
    at = at.switch_page("pages/customer.py").run()
    assert not at.exception
    drivers = _call(made, words["customer.drivers_title"])
    shown = next(d.value for d in at.dataframe if words["customer.col_feature"] in d.value.columns)
    assert _csv(drivers, str).values.tolist() == shown.astype(str).values.tolist()
    about = dict(drivers["about"].rows)
    assert about[words["export.about_choices"]].endswith(customer)
    offers = [c for c in made if c["about"] and "offers" in str(c["about"].rows).lower()]
    if offers:  # the demo customer has something to offer
        assert _csv(offers[-1]).columns[0] == words["customer.col_rank"]


def test_loyaltys_saved_scenarios_download_side_by_side(app_on, made, demo_db, tmp_path):  # noqa: F811
    words = load_catalog("en")
    path = tmp_path / "scenarios.duckdb"
    shutil.copyfile(demo_db, path)
    at = app_on(path).switch_page("pages/loyalty.py").run()
    at.text_input(key="loyalty_scenario_name").input("forty percent")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception
    call = _call(made, words["loyalty.scenarios_title"])
    frame = _csv(call)
    assert list(frame.columns) == [words["loyalty.compare_figure"], "forty percent"]
    shown = next(d.value for d in at.dataframe if "forty percent" in d.value.columns)
    written = _csv(call, str).map(_unguarded)
    assert written.values.tolist() == shown.astype(str).values.tolist()
