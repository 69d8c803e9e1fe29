"""The Overview through app.py under the shared filters (in the address, as a shared link
brings them): the tiles count only the chosen customers, the star mix and the funnel say
they can be clicked, in both languages; no filter leaves today's figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import db, overview
from core.filters import Filters, chosen_ids
from tests.pages.test_filters import open_at as open_at  # noqa: F401  (the fixture)
from ui.i18n import load_catalog


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _largest_region(path) -> tuple[str, np.ndarray]:
    con = db.connect(path)
    try:
        region = con.execute(
            "select region from customers where region is not null "
            "group by region order by count(*) desc limit 1"
        ).fetchone()[0]
        return region, chosen_ids(con, Filters(regions=(region,)))
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_region_filter_counts_only_its_customers(open_at, demo_db, lang):  # noqa: F811
    words = load_catalog(lang)
    region, ids = _largest_region(demo_db)
    whole = open_at(demo_db, lang=lang)
    at = open_at(demo_db, lang=lang, region=[region])
    assert not at.exception
    con = db.connect(demo_db)
    try:
        as_of = db.built_as_of(con)
        expected = overview.overview_kpis(con, as_of, ids)
        story, _ = overview.overview_story(con, as_of, chosen=ids)
        unfiltered = overview.overview_kpis(con, as_of)
    finally:
        con.close()
    shown, before = _metrics(at), _metrics(whole)
    customers = words["overview.customers"]
    assert shown[customers] == f"{expected.customers:,}" != before[customers]
    assert before[customers] == f"{unfiltered.customers:,}"
    top = words["overview.stars_tile"].format(n=5)
    assert shown[top] == f"{story.mix.group((5,))['customers']:,}"
    captions = " ".join(c.value for c in at.caption)
    assert words["overview.mix_click"] in captions and words["overview.funnel_click"] in captions
    funnel = [
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["data"][0]["type"] == "funnel"
    ]
    assert funnel[0]["data"][0]["x"] == [story.funnel.customers[s] for s in overview.FUNNEL_STEPS]
    assert funnel[0]["data"][0]["customdata"] == list(overview.FUNNEL_STEPS)
