"""Review of issue 17 (R2): Customer value keeps a clicked group's key without the grouping
it was clicked under (ui/value.py `pick`, PICKS), so after "Group by" changes the list stays
open for a group the chart no longer has: the 5-star bar's list, regrouped by segment, reads
"5 customers: 0" (a segment named "5") under a chart of segments."""

from __future__ import annotations

from tests.pages.conftest import app_on  # noqa: F401 (the fixture)

PAGE = "pages/value.py"


def _heading(at) -> str:
    return next((m.value for m in at.main.markdown if m.value.startswith("**")), "")


def test_a_new_grouping_does_not_list_the_old_groups_key(app_on, demo_db):  # noqa: F811
    at = app_on(demo_db).switch_page(PAGE).run()
    at.session_state["value_drill_group"] = "5"  # what a click on the 5-star bar keeps
    at.run()
    assert not at.exception
    assert _heading(at).startswith("**5★ customers: ")
    at.session_state["value_group_by"] = "segment"  # a click on "Segment" in Group by
    at.run()
    assert not at.exception
    heading = _heading(at)
    assert not heading.endswith(": 0**"), heading  # a list of a group not on the chart
