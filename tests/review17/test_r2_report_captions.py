"""Review of issue 17 (R2): the view's HTML report leaves out the page's captions
(`st.caption`: ui/report.py records headings, alerts, '#' markdown, tiles, tables, figures
and what a page passes to report.text/note only). Captions carry the qualifiers a reader of
the file needs: on Customer value under a filter, that the models were fitted on every
customer and not refitted on the chosen ones."""

from __future__ import annotations

import html
import re

import pytest

from tests.pages.conftest import app_on  # noqa: F401 (the fixture)
from ui import report

PAGE = "pages/value.py"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<script.*?</script>", "", page, flags=re.S))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_keeps_the_pages_qualifying_caption(app_on, demo_db, lang):  # noqa: F811
    at = app_on(demo_db, lang=lang)
    at.multiselect(key=f"filter_regions_{lang}").set_value(["North China"]).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    words = {"en": "not refitted on the chosen ones", "zh": "不会只用所选客户重新拟合"}[lang]
    caption = next(c.value for c in at.main.caption if words in c.value)
    page = _text(report.report_html(at.session_state["_view_report"]))
    assert report._unmarked(caption) in page
