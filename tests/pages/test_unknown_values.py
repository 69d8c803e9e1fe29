"""Unknown is shown as "–" (or an empty cell), a real zero as 0: on a shop whose export has
no feedback, no costs and no acquisition costs (the UK line-level year)."""

from __future__ import annotations


def _page(app_on, path, page):
    return app_on(path).switch_page(page).run()


def test_satisfaction_without_feedback_shows_no_zero_money(app_on, uk_shop_db):
    at = _page(app_on, uk_shop_db, "pages/satisfaction.py")
    assert not at.exception and not at.error
    tiles = {m.label: m.value for m in at.metric}
    for label in (
        "Net Promoter Score",
        "CSAT (1–5)",
        "Loyalty index",
        "Value held by detractors",
        "Value with an open complaint",
        "Unhappy in the top star tiers",
    ):
        assert tiles[label] == "–", label
    assert tiles["Repeat-purchase rate"] != "–"  # known from the orders
    assert not any(m.value == "£0" for m in at.metric)
    unknown_parts = [m for m in at.metric if m.value == "–"]
    assert all(not m.proto.delta for m in unknown_parts)  # no change of an unknown


def test_value_by_group_leaves_unknown_acquisition_cost_empty(app_on, uk_shop_db):
    at = _page(app_on, uk_shop_db, "pages/value.py")
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "acquisition_cost" in d.value.columns)
    assert table["acquisition_cost"].isna().all()
    assert (table["customers"] > 0).all()  # counts are known


def test_overview_in_pounds(app_on, uk_shop_db):
    at = _page(app_on, uk_shop_db, "pages/overview.py")
    assert not at.exception and not at.error
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Revenue (12 months)"].startswith("£")
    assert tiles["Average order value"].startswith("£")
