"""The Satisfaction page with the shared filters and a clicked point, through app.py: the
tiles count only the chosen customers' answers, and the list behind a point says what was
clicked, lists the customers pandas finds, downloads with an About sheet naming the chart,
the point, the as-of date and the filters, and closes."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core import db
from core.filters import Filters, chosen_ids
from core.satisfaction import Pick, picked_customers, satisfaction_kpis
from tests.pages.conftest import opening
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui import satisfaction as sat
from ui.i18n import load_catalog

PAGE = "pages/satisfaction.py"
REGION = "North China"  # of the demo


@pytest.fixture
def open_at(monkeypatch):
    """`open_at(path, lang, **params)` -> the Satisfaction page at `?params`, run once."""
    with opening(monkeypatch, PAGE) as start:
        yield start


def _chosen(path, chosen: Filters):
    con = db.connect(path)
    as_of = con.execute("select max(ordered_at)::date from transactions").fetchall()[0][0]
    return con, as_of, chosen_ids(con, chosen)


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_tiles_count_the_chosen_customers_answers(open_at, demo_db):
    at = open_at(demo_db, region=REGION)
    assert not at.exception
    con, as_of, ids = _chosen(demo_db, Filters(regions=(REGION,)))
    now = satisfaction_kpis(con, as_of, customers=ids).current
    everyone = satisfaction_kpis(con, as_of).current
    con.close()
    tiles = _tiles(at)
    assert tiles["Net Promoter Score"] == f"{now.nps:.0f}"
    assert tiles["CSAT (1–5)"] == f"{now.csat:.2f}"
    assert tiles["Complaints"] == f"{now.complaints:,}"
    assert now.nps_answers < everyone.nps_answers
    assert f"from {now.nps_answers:,} answers" in [c.value for c in at.caption]


def test_the_marketplace_filtered_by_sign_up_day(open_at, market_db):
    """The CSAT-only marketplace knows no region or channel: a sign-up day filters it."""
    con = db.connect(market_db)
    middle = con.execute("select median(signed_up_at)::date from customers").fetchall()[0][0]
    con.close()
    at = open_at(market_db, joined_from=middle.isoformat())
    assert not at.exception
    con, as_of, ids = _chosen(market_db, Filters(joined_from=middle))
    now = satisfaction_kpis(con, as_of, customers=ids).current
    con.close()
    assert _tiles(at)["CSAT (1–5)"] == f"{now.csat:.2f}"
    assert f"from {now.csat_answers:,} answers" in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_clicked_band_lists_its_buyers_downloads_and_closes(open_at, made, demo_db, lang):  # noqa: F811
    words = load_catalog(lang)
    at = open_at(demo_db, lang, region=REGION)
    pick = Pick("band", "detractor", "nps")
    at.session_state[sat.PICK_KEY] = pick  # what a click on the Detractors bar sets
    at.run()
    assert not at.exception
    con, as_of, ids = _chosen(demo_db, Filters(regions=(REGION,)))
    expected = picked_customers(con, as_of, pick, customers=ids)
    con.close()
    count = f"{len(expected):,}"
    heading = next(m.value for m in at.markdown if m.value.startswith("**") and count in m.value)
    assert words["satisfaction.band_detractor"].split(" ")[0].split("（")[0] in heading
    table = at.dataframe(key=sat.PICK_ROWS_KEY).value
    assert sorted(table.iloc[:, 0]) == sorted(expected["customer_id"])
    call = next(c for c in made if c["rows"] == len(expected) and c["about"] is not None)
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[1]
    about = " | ".join(f"{r[0].value}: {r[1].value}" for r in sheet.iter_rows())
    assert f"{words['satisfaction.pick_chart']}: {words['satisfaction.pick_chart_band']}" in about
    assert words[f"region.{REGION}"] in about and as_of.isoformat() in about  # reader's words
    at.button(key="satisfaction_pick_close").click().run()
    assert not at.exception
    assert sat.PICK_KEY not in at.session_state
    assert not any(m.value.startswith("**") and count in m.value for m in at.markdown)
