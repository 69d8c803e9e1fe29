"""The Overview as one HTML file: what the page shows, readable offline, in both languages."""

from __future__ import annotations

import html
import re

import pytest

from ui import overview as ov


@pytest.fixture
def reports(monkeypatch):
    """The HTML of every report the page offers on a run, as its button would write it."""
    made: list[str] = []
    offer = ov.report_button

    def keep(ctx, report, container=None):
        made.append(ov.report_html(report, ctx.lang))
        offer(ctx, report, container)

    monkeypatch.setattr(ov, "report_button", keep)
    return made


def _text(page: str) -> str:
    """The report's text outside its scripts, unescaped."""
    return html.unescape(re.sub(r"<script.*?</script>", "", page, flags=re.S))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_holds_what_the_page_shows(app_on, demo_db, reports, lang):
    at = app_on(demo_db, lang=lang)
    assert not at.exception
    assert at.get("download_button"), "the page offers the report"
    page = reports[-1]
    text = _text(page)
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
    assert at.title[0].value in text
    for metric in at.metric:  # ten tiles, label and figure
        assert metric.label in text and metric.value in text, metric.label
    sentences = [m.value[2:].replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert sentences and all(s in text for s in sentences)
    assert page.count('class="plotly-graph-div"') == 3  # star mix, funnel, monthly revenue


def test_the_report_opens_without_a_network(app_on, demo_db, reports):
    app_on(demo_db)
    page = reports[-1]
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js is inline
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # and only once
    assert "<link" not in page


def test_text_from_the_data_is_escaped():
    from ui.widgets import Tile

    report = ov.Report("<b>Shop</b>", "a & b")
    report.add("Heading", tiles=[Tile("<i>x</i>", "£1")], sentences=["<script>1</script>"])
    page = ov.report_html(report, "en")
    assert "<b>Shop</b>" not in page and "&lt;b&gt;Shop&lt;/b&gt;" in page
    assert "<script>1</script>" not in page and "&lt;i&gt;x&lt;/i&gt;" in page
