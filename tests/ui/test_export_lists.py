"""What each page's download buttons write: the page's columns under headers of its
language with their units, the values in the page's units, and an About sheet whose as-of
date, rule set and horizon are the page's; on the demo and a real-shaped shop. An empty
list has its buttons disabled."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import db, export
from core import stars as core_stars
from core.stars import DIMENSIONS
from tests.pages.conftest import app_on  # noqa: F401 (the fixture, shared with the page tests)
from ui import export as ui_export
from ui.i18n import load_catalog

CURRENCIES = {"demo_db": "CNY", "uk_shop_db": "GBP"}


@pytest.fixture
def made(monkeypatch) -> list[dict]:
    """What every download_buttons call of a run will write: its rows, columns, About, and
    the CSV and Excel makers (called after the run, as a click would)."""
    calls: list[dict] = []
    original = ui_export.list_files

    def recording(make, rows, described, sheet=export.SHEET_NAME, about=None):
        to_csv, to_excel, width = original(make, rows, described, sheet, about)
        calls.append(
            {"rows": rows, "columns": described, "about": about, "csv": to_csv, "xlsx": to_excel}
        )
        return to_csv, to_excel, width

    monkeypatch.setattr(ui_export, "list_files", recording)
    return calls


def _page(app_on, path, page: str, lang: str):  # noqa: F811
    at = app_on(path, lang=lang).switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _unit(label: str, unit: str, lang: str) -> str:
    """A header with its unit as each language writes it."""
    return f"{label} ({unit})" if lang == "en" else f"{label}（{unit}）"


def _about(xlsx: bytes) -> dict[str, str]:
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[1]
    return {row[0].value: row[1].value for row in sheet.iter_rows()}


def _rule_set(path, words: dict[str, str]) -> str:
    con = db.connect(path)
    saved = core_stars.active_rules(con)
    con.close()
    name = words["stars.builtin"] if saved.version == 0 else saved.name
    return words["export.rule_set_value"].format(name=name, version=saved.version)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db"])
def test_the_churn_list_in_the_pages_units_and_language(app_on, made, request, database, lang):  # noqa: F811
    path = request.getfixturevalue(database)
    at = _page(app_on, path, "pages/churn.py", lang)
    (call,) = made
    words = load_catalog(lang)
    currency = CURRENCIES[database]
    csv = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig")
    assert len(csv) == call["rows"] > 0
    assert csv.columns[0] == words["churn.col_customer_id"]
    money = _unit(words["churn.col_value_at_risk"], currency, lang)
    assert money in csv.columns and csv[money].round(2).equals(csv[money])
    risk = _unit(words["churn.col_churn_risk"], "%", lang)
    assert csv[risk].between(0, 100).all() and (csv[risk] > 1).any()  # percent, not a share
    change = csv[words["churn.col_risk_change"]]
    if database == "demo_db":  # the UK shop's year has no earlier model to compare with
        assert change.abs().max() > 1  # points, not a share
    dates = csv[words["churn.col_last_purchase_on"]].dropna().astype(str)
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()  # no 00:00:00

    xlsx = call["xlsx"]()
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    formats = {c.value: sheet.cell(2, c.column).number_format for c in sheet[1]}
    assert formats[words["churn.col_churn_risk"]] == "0.0%"
    assert formats[money] == "#,##0.00"
    assert formats[words["churn.col_last_purchase_on"]] == "yyyy-mm-dd"
    about = _about(xlsx)
    as_of = at.date_input(key="sidebar_as_of").value
    assert about[words["export.about_as_of"]] == as_of.isoformat()
    assert about[words["export.about_rule_set"]] == _rule_set(path, words)
    assert about[words["export.about_horizon"]] == words["churn.days"].format(days=90)
    assert about[words["export.about_currency"]] == currency
    assert about[words["export.about_rows"]] == f"{call['rows']:,}"
    assert about[words["export.about_filters"]] == words["export.none"]
    assert words["export.about_exported"] in about


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_value_list_holds_every_valued_customer(app_on, made, uk_shop_db, lang):  # noqa: F811
    at = _page(app_on, uk_shop_db, "pages/value.py", lang)
    groups, call, _ = made  # the by-group table, every valued customer, the model parameters
    by_group = pd.read_csv(io.BytesIO(groups["csv"]()), encoding="utf-8-sig")
    assert len(by_group) == groups["rows"] > 1
    assert _unit(load_catalog(lang)["value.gcol_predicted_clv"], "GBP", lang) in by_group.columns
    words = load_catalog(lang)
    csv = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig")
    assert len(csv) == call["rows"] > 20  # more than the top customers shown
    clv = _unit(words["value.col_predicted_clv"], "GBP", lang)
    assert csv[clv].is_monotonic_decreasing and csv[clv].round(2).equals(csv[clv])
    alive = [c for c in csv.columns if c.startswith(words["value.col_p_alive"])]
    assert alive and csv[alive[0]].max() > 1  # a percentage
    about = _about(call["xlsx"]())
    assert (
        about[words["export.about_as_of"]] == at.date_input(key="sidebar_as_of").value.isoformat()
    )
    assert about[words["export.about_horizon"]] == words["value.months"].format(months=12)
    assert about[words["export.about_rule_set"]] == _rule_set(uk_shop_db, words)


@pytest.mark.parametrize(
    ("page", "money", "database"),
    [
        ("pages/stars.py", "stars.col_revenue_12m", "uk_shop_db"),
        ("pages/segments.py", "stars.col_revenue_12m", "uk_shop_db"),
        ("pages/lifecycle.py", "lifecycle.col_revenue", "uk_shop_db"),  # customer lists only
        ("pages/satisfaction.py", "satisfaction.col_revenue", "market_db"),
    ],
)
def test_each_list_has_headers_with_units_and_an_about_sheet(
    app_on,  # noqa: F811
    made,
    request,
    page,
    money,
    database,
):
    path = request.getfixturevalue(database)
    at = _page(app_on, path, page, "zh")
    words = load_catalog("zh")
    lists = [call for call in made if call["about"] is not None and call["rows"]]
    summaries = {words["lifecycle.flows_table"], words["lifecycle.economics_header"]}  # no revenue
    summaries |= {words["segments.table_header"], words["segments.clusters_header"]}  # by group
    summaries |= {words["stars.playbook_header"], words["stars.versions_header"]}  # rules
    summaries |= {words["satisfaction.group_table"]}  # scores by group
    lists = [c for c in lists if c["about"].value(words["export.about_list"]) not in summaries]
    assert lists  # (Stars' movers are none until a draft moves someone)
    for call in lists:
        csv = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig", nrows=50)
        assert list(csv.columns) == [c.header for c in call["columns"]]
        currency = {"uk_shop_db": "GBP", "market_db": "BRL"}[database]
        assert f"{words[money]}（{currency}）" in csv.columns  # Chinese brackets
        about = _about(call["xlsx"]())
        assert about[words["export.about_as_of"]] == (
            at.date_input(key="sidebar_as_of").value.isoformat()
        )
        assert about[words["export.about_language"]] == "简体中文"


def test_an_empty_list_has_disabled_buttons(app_on, made, demo_db):  # noqa: F811
    at = _page(app_on, demo_db, "pages/churn.py", "en")
    at = at.slider(key="churn_min_risk").set_value(100).run()
    assert not at.exception
    assert made[-1]["rows"] == 0
    buttons = at.main.get("download_button")  # the sidebar offers the view's report
    assert len(buttons) == 2 and all(b.proto.disabled for b in buttons)


def _titled(made: list[dict], label: str, title: str) -> list[dict]:
    """The recorded downloads of the list titled `title` (About row `label`)."""
    return [c for c in made if c["about"] is not None and c["about"].value(label) == title]


def _referrer(path) -> str:
    """A demo customer who referred others."""
    con = db.connect(path)
    (customer,) = con.execute(
        "select referred_by from customers where referred_by is not null "
        "group by referred_by order by count(*) desc, referred_by limit 1"
    ).fetchone()
    con.close()
    return customer


@pytest.mark.parametrize("mask", [False, True])
def test_customer_360s_referrals_download_masks_names_with_the_switch(
    app_on,  # noqa: F811
    made,
    demo_db,
    mask,
):
    customer = _referrer(demo_db)
    at = app_on(demo_db)
    if mask:  # the sidebar's switch
        at = at.toggle(key="sidebar_mask").set_value(True).run()
    at.query_params["customer"] = customer
    at = at.switch_page("pages/customer.py").run()
    assert not at.exception, at.exception
    words = load_catalog("en")
    (call,) = _titled(made, words["export.about_list"], words["customer.referrals_header"])
    csv = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig", dtype=str)
    assert len(csv) == call["rows"] > 0
    assert set(csv[words["customer.col_is_buyer"]]) <= {"yes", "no"}
    assert csv[words["customer.col_signed_up"]].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    con = db.connect(demo_db)
    names = {
        r[0]
        for r in con.execute(
            "select name from customers where referred_by = ?", [customer]
        ).fetchall()
    }
    con.close()
    written = set(csv[words["customer.col_name"]])
    assert (written & names == set()) if mask else (written == names)
    about = _about(call["xlsx"]())
    assert (
        about[words["export.about_choices"]] == f"{words['customer.col_customer_id']}: {customer}"
    )


def test_an_empty_segment_has_disabled_buttons(app_on, made, uk_shop_db):  # noqa: F811
    from core import rfm

    con = db.connect(uk_shop_db)
    found = {r[0] for r in con.execute("select distinct segment from customer_features").fetchall()}
    con.close()
    empty = [s for s in rfm.SEGMENTS if s not in found]
    assert empty, "the UK shop has a customer in every segment: pick another empty list"
    at = _page(app_on, uk_shop_db, "pages/segments.py", "en")
    at = at.selectbox(key="seg_list").set_value(empty[0]).run()
    assert not at.exception
    buttons = {b.proto.id.split("-", 2)[2]: b for b in at.get("download_button")}
    chosen = [b for key, b in buttons.items() if key.startswith(f"segment-{empty[0]}-")]
    assert len(chosen) == 2 and all(b.proto.disabled for b in chosen)
    assert not any(b.proto.disabled for k, b in buttons.items() if k.startswith("key-accounts"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_360s_time_line_downloads_with_times_to_the_minute(app_on, made, demo_db, lang):  # noqa: F811
    customer = _referrer(demo_db)
    at = app_on(demo_db, lang=lang)
    at.query_params["customer"] = customer
    at = at.switch_page("pages/customer.py").run()
    assert not at.exception, at.exception
    words = load_catalog(lang)
    (call,) = _titled(made, words["export.about_list"], words["customer.contacts_header"])
    csv = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig", dtype=str)
    assert len(csv) == call["rows"] > 0
    assert csv[words["customer.col_when"]].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
    opened = csv[words["customer.col_open"]].dropna()
    assert set(opened) <= {words["export.yes"], words["export.no"]}
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[0]
    header = [c.value for c in sheet[1]]
    when = header.index(words["customer.col_when"]) + 1
    assert sheet.cell(2, when).number_format == "yyyy-mm-dd hh:mm"


def test_the_movers_of_a_draft_download_with_stars_as_numbers(app_on, made, demo_db):  # noqa: F811
    at = _page(app_on, demo_db, "pages/stars.py", "en")
    at = at.slider(key="stars_w_relationship_default_0").set_value(100).run()
    assert not at.exception
    words = load_catalog("en")
    call = _titled(made, words["export.about_list"], words["stars.moves_header"])[-1]  # last run
    assert call["rows"] > 0
    csv = pd.read_csv(io.BytesIO(call["csv"]()), encoding="utf-8-sig")
    assert len(csv) == call["rows"]
    moved = csv[[words["stars.col_from"], words["stars.col_to"]]].dropna()
    assert (moved[words["stars.col_from"]] != moved[words["stars.col_to"]]).all()
    assert moved.isin([1, 2, 3, 4, 5]).all().all()  # stars as numbers, not '5★'
    reasons = {words["stars.reason_thresholds"], *(words[f"stars.dim_{d}"] for d in DIMENSIONS)}
    assert set(csv[words["stars.col_reason"]]) <= reasons
    assert f"{words['stars.col_revenue_12m']} (CNY)" in csv.columns
