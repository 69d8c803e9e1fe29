"""Review of issue 17 (R2): the view's HTML report against the page with a clicked list open.

On screen a clicked list is headed by what was clicked and how many ("Detractors (NPS 0-6):
123 buyers"); the report of the same view holds the list's table but not that heading, so
a reader of the file sees a table of customers with nothing saying which bar they are."""

from __future__ import annotations

import html
import re

import pytest

from core.satisfaction import Pick
from tests.pages.test_satisfaction_filters import open_at  # noqa: F401 (the fixture)
from ui import report
from ui import satisfaction as sat


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<script.*?</script>", "", page, flags=re.S))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_names_the_clicked_list_as_the_page_does(open_at, demo_db, lang):  # noqa: F811
    at = open_at(demo_db, lang)
    at.session_state[sat.PICK_KEY] = Pick("band", "detractor", "nps")  # a click's pick
    at.run()
    assert not at.exception
    heading = next(
        m.value
        for m in at.markdown
        if m.value.startswith("**")
        and m.value.endswith("**")
        and any(ch.isdigit() for ch in m.value)
    )
    assert at.dataframe(key=sat.PICK_ROWS_KEY).value is not None  # the list is on the page
    made = at.session_state["_view_report"]
    page = _text(report.report_html(made))
    assert report._unmarked(heading) in page
