"""Customer value through app.py: a clicked CLV band's list is kept only while the band is
the one the chart draws; a new horizon or margin moves the bands' edges and closes it."""

from __future__ import annotations

import pytest

from ui.i18n import load_catalog

PAGE = "pages/value.py"


# Model health's own bold title, always on the page: not a list's heading
MODEL_CHOICE = {f"**{load_catalog(lang)['model_choice.title']}**" for lang in ("en", "zh")}


def _heading(at) -> str:
    """The open list's heading ("" when no list is open)."""
    bold = (m.value for m in at.main.markdown if m.value.startswith("**"))
    return next((v for v in bold if v not in MODEL_CHOICE), "")


@pytest.mark.parametrize(
    "change", [("value_horizon", "select_slider", 24), ("value_margin", "slider", 50)]
)
def test_a_bands_list_closes_when_the_bands_are_redrawn(app_on, demo_db, change):
    key, kind, value = change
    at = app_on(demo_db).switch_page(PAGE).run()
    at.session_state["value_drill_band"] = 0  # what a click on the first band keeps
    at.run()
    assert not at.exception
    assert _heading(at).startswith("**Customers with a predicted CLV of ")
    at.run()  # nothing changed: the list stays (the way back from Customer 360 finds it)
    assert _heading(at).startswith("**Customers with a predicted CLV of ")
    getattr(at, kind)(key=key).set_value(value).run()
    assert not at.exception
    assert _heading(at) == ""
    assert "value_drill_band" not in at.session_state


def test_the_way_back_from_customer_360_finds_the_bands_list_under_moved_knobs(app_on, demo_db):
    at = app_on(demo_db).switch_page(PAGE).run()
    at.select_slider(key="value_horizon").set_value(24).run()  # knobs away from their opening
    at.session_state["value_drill_band"] = 0
    at.run()
    listed = _heading(at)
    assert listed.startswith("**Customers with a predicted CLV of ")
    at.session_state["value_band_chart_rows"] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()  # the first row opens Customer 360
    assert at.query_params.get("from") == "value" and at.query_params.get("customer")
    at.switch_page(PAGE).run()  # the way back
    assert not at.exception
    assert _heading(at) == listed
