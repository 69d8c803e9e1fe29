"""The Overview as one HTML file: what the page shows, readable offline, in both languages
(the shared view report, `ui.report`, which the Overview offers with its own button too)."""

from __future__ import annotations

import html
import re

import pytest

from ui import report
from ui.i18n import load_catalog


def _text(page: str) -> str:
    """The report's text outside its scripts, unescaped."""
    return html.unescape(re.sub(r"<script.*?</script>", "", page, flags=re.S))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_holds_what_the_page_shows(app_on, demo_db, lang):
    at = app_on(demo_db, lang=lang)
    assert not at.exception
    words = load_catalog(lang)
    assert [b.proto.label for b in at.main.get("download_button")] == [words["overview.report"]]
    page = report.report_html(at.session_state["_view_report"])
    text = _text(page)
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    assert words["nav.overview"] in text
    assert at.caption[0].value in text  # the as-of date and the period compared
    for metric in at.metric:  # ten tiles, label and figure
        assert metric.label in text and metric.value in text, metric.label
    sentences = [m.value[2:].replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert sentences and all(s in text for s in sentences)
    assert page.count('class="plotly-graph-div"') == 3  # star mix, funnel, monthly revenue


def test_the_report_opens_without_a_network(app_on, demo_db):
    at = app_on(demo_db)
    page = report.report_html(at.session_state["_view_report"])
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js is inline
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # and only once
    assert "<link" not in page
