"""The Loyalty page with the shared filters and a clicked tier, through app.py: the
programme is offered to the chosen customers (the verdict's caption says so and how many),
a tier's bar lists that tier's customers as pandas finds them, with a download naming the
tier and the filters, and the tier tables download with their About sheet."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import db, loyalty
from core.filters import Filters, chosen_ids
from tests.pages.conftest import opening
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui import loyalty as lu
from ui.i18n import load_catalog

PAGE = "pages/loyalty.py"
REGION = "North China"  # of the demo


@pytest.fixture
def open_at(monkeypatch):
    """`open_at(path, lang, **params)` -> the Loyalty page at `?params`, run once."""
    with opening(monkeypatch, PAGE) as start:
        yield start


def _offered(path) -> pd.DataFrame:
    """The demo's buyers the model simulates, in the region, by hand."""
    con = db.connect(path)
    try:
        ids = chosen_ids(con, Filters(regions=(REGION,)))
        customers = loyalty.customer_inputs(con)
    finally:
        con.close()
    return customers[customers["customer_id"].isin(ids)]


def _about(call) -> str:
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[1]
    return " | ".join(f"{r[0].value}: {r[1].value}" for r in sheet.iter_rows())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_programme_is_offered_to_the_chosen_and_a_tier_lists_its_customers(
    open_at,
    made,  # noqa: F811
    demo_db,
    lang,
):
    words = load_catalog(lang)
    region = words[f"region.{REGION}"]  # the region in the reader's words
    at = open_at(demo_db, lang, region=REGION)
    assert not at.exception
    offered = _offered(demo_db)
    count = f"{len(offered):,}"
    caption = next(c.value for c in at.caption if region in c.value and count in c.value)
    assert caption.startswith(words["loyalty.offered_to"][:8])
    at.session_state[lu.TIER_PICK] = "medium"  # what a click on the medium tier's bar sets
    at.run()
    assert not at.exception
    medium = offered[offered["tier"] == "medium"]
    heading = next(
        m.value for m in at.markdown if m.value.startswith("**") and f"{len(medium):,}" in m.value
    )
    assert words["stars.tier_medium"] in heading.replace("\\", "")
    table = at.dataframe(key=lu.TIER_ROWS_KEY).value
    assert sorted(table.iloc[:, 0]) == sorted(medium["customer_id"])
    call = next(c for c in made if c["rows"] == len(medium) and c["about"] is not None)
    about = _about(call)
    assert words["stars.tier_medium"] in about and region in about
    tiers = next(
        c
        for c in made
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["loyalty.tier_title"]
    )
    assert region in _about(tiers)
    csv = pd.read_csv(io.BytesIO(tiers["csv"]()), encoding="utf-8-sig")
    assert len(csv) == 3 and words["stars.tier_high"] in set(csv.iloc[:, 0])
    at.button(key="loyalty_tier_close").click().run()
    assert not at.exception and lu.TIER_PICK not in at.session_state


def test_without_filters_the_whole_base_is_offered(open_at, demo_db):
    at = open_at(demo_db)
    assert not at.exception
    words = load_catalog("en")
    assert not any(c.value.startswith(words["loyalty.offered_to"][:30]) for c in at.caption)
    con = db.connect(demo_db)
    everyone = len(loyalty.customer_inputs(con))
    con.close()
    assert any(f"of {everyone:,} customers simulated" in c.value for c in at.caption)
