"""Every page as one HTML file (ui/report.py): the report holds what the page drew (its
figures, tables, tiles and headings, as many as on the screen), names the view, reads in
the page's language and opens without a network."""

from __future__ import annotations

import html
import re

import pytest

from ui import data, privacy, report
from ui.i18n import load_catalog
from ui.navigation import PAGES

_REPORT = "_view_report"


def _open(app_on, path, page: str, lang: str = "en"):
    at = app_on(path, lang=lang)
    if page == "pages/customer.py":  # the customer who bought most, by address
        (top,) = (
            data.cursor()
            .execute(
                "select customer_id from transactions group by 1 order by count(*) desc limit 1"
            )
            .fetchone()
        )
        at.query_params["customer"] = str(top)
    if page != "pages/overview.py":
        at = at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _text(page: str) -> str:
    """The report's text outside its scripts, unescaped."""
    return html.unescape(re.sub(r"<script.*?</script>", "", page, flags=re.S))


def _headings(at) -> list[str]:
    """The page's headings under its title: subheaders, headers and '####' parts."""
    found = [h.value for h in at.main.get("subheader")] + [h.value for h in at.main.header]
    found += [m.value.lstrip("#").strip() for m in at.main.markdown if m.value.startswith("#")]
    return found


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.url_path)
@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db"])
def test_the_report_holds_what_the_page_drew(app_on, request, database, spec):
    at = _open(app_on, request.getfixturevalue(database), spec.path)
    made: report.Report = at.session_state[_REPORT]
    assert made.name == spec.url_path
    assert made.title == load_catalog("en")[spec.title_key]
    assert made.count("figure") == len(at.main.get("plotly_chart"))
    assert made.count("table") == len(at.main.dataframe)
    assert sum(len(c) for k, c in made.parts if k == "tiles") == len(at.main.metric)
    assert sorted(c for k, c in made.parts if k == "heading") == sorted(
        report._unmarked(h) for h in _headings(at)
    )
    offered = [b.proto.label for b in at.sidebar.get("download_button")]
    assert offered == ["Download this view (HTML)"]

    page = report.report_html(made)
    assert page.count('class="plotly-graph-div"') == made.count("figure")
    assert page.count("<table>") == made.count("table")
    text = _text(page)
    assert made.title in text
    for metric in at.main.metric:
        assert metric.label in text and metric.value in text, metric.label
    for kind, table in made.parts:
        if kind == "table":
            assert all(column in text for column in table.columns)
            assert all(cell in text for row in table.rows[:3] for cell in row)


def test_a_table_is_kept_as_the_page_shows_it(app_on, demo_db):
    at = _open(app_on, demo_db, "pages/stars.py")
    made = at.session_state[_REPORT]
    distribution = next(c for k, c in made.parts if k == "table")
    shown = at.main.dataframe[0].value
    assert distribution.total == len(shown)
    assert len(distribution.rows) == len(shown)
    # the shares are written as on the screen ("%.1f%%" of the share in percent)
    share = distribution.columns.index("Share")
    assert all(re.fullmatch(r"\d+\.\d%", row[share]) for row in distribution.rows)
    # money in the shop's currency (the demo's is CNY)
    revenue = next(i for i, c in enumerate(distribution.columns) if c.startswith("Revenue"))
    assert all(row[revenue].lstrip("-").startswith("¥") for row in distribution.rows)


def test_the_report_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, "pages/churn.py", "zh")
    made = at.session_state[_REPORT]
    words = load_catalog("zh")
    assert made.title == words["nav.churn"]
    assert [b.proto.label for b in at.sidebar.get("download_button")] == [words["report.download"]]
    page = report.report_html(made)
    assert '<html lang="zh-CN">' in page
    assert made.about[words["export.about_language"]] == "简体中文"
    headings = [c for k, c in made.parts if k == "heading"]
    assert headings and all(re.search(r"[\u4e00-\u9fff]", h) for h in headings)
    table = next(c for k, c in made.parts if k == "table")
    assert all(re.search(r"[\u4e00-\u9fff]", c) for c in table.columns if c != "ID")


def test_the_view_is_named_in_the_file(app_on, uk_shop_db):
    at = _open(app_on, uk_shop_db, "pages/value.py")
    made = at.session_state[_REPORT]
    facts = made.about  # what the sidebar's button writes under the title
    assert facts["Page"] == "Customer value"
    assert facts["As of"] == at.date_input(key="sidebar_as_of").value.isoformat()
    assert facts["Currency"] == "GBP"
    assert facts["Language"] == "English"
    assert facts["Names masked"] == "no"
    text = _text(report.report_html(made))
    assert all(f"{k}" in text and f"{v}" in text for k, v in facts.items())
    assert "£" in text and "¥" not in text


def test_a_long_table_says_how_many_rows_it_leaves_out():
    import pandas as pd

    frame = pd.DataFrame({"n": range(report.ROWS + 5), "hidden": 0})
    table = report.shown_table(frame, {"hidden": None}, {}, {})
    assert table.columns == ["n"] and len(table.rows) == report.ROWS
    assert table.total == report.ROWS + 5 and "5" in table.more
    assert report.shown_table(frame.head(3), {}, {}, {}).more is None
    assert report.shown_table(frame.head(0), {}, {}, {}).more == "No rows in this view."


def test_numbers_are_written_in_their_column_format():
    import pandas as pd

    from ui.widgets import column_config

    frame = pd.DataFrame(
        {
            "count": [1234, 5],
            "share": [12.345, 0.0],
            "day": pd.to_datetime(["2026-01-02", None]),
            "amount": [1234.5, None],
            "change": pd.array([3, -2], dtype="int64"),
            "month": pd.to_datetime(["2026-03-01", "2026-04-01"]),
        }
    )
    config = {
        "count": {"label": "Count", "type_config": {"type": "number", "format": "%,d"}},
        "share": {"label": "Share", "type_config": {"type": "number", "format": "%.1f%%"}},
        "day": {"label": "Day", "type_config": {"type": "date", "format": "YYYY-MM-DD"}},
        "change": {"label": "Change", "type_config": {"type": "number", "format": "%+.0f"}},
        "month": {"label": "Month", "type_config": {"type": "datetime", "format": "%Y-%m"}},
    }
    table = report.shown_table(frame, config, {"amount": "GBP"}, {})
    assert table.columns == ["Count", "Share", "Day", "amount", "Change", "Month"]
    assert [row[4:] for row in table.rows] == [["+3", "2026-03"], ["-2", "2026-04"]]
    assert table.rows[0][:3] == ["1,234", "12.3%", "2026-01-02"]
    assert table.rows[1][:3] == ["5", "0.0%", "–"]
    assert table.rows[0][3].startswith("£") and table.rows[1][3] == "–"
    assert column_config  # the helper pages use makes the same shape of config


def test_text_from_the_data_is_escaped():
    from ui.widgets import Tile

    made = report.Report("<b>Shop</b>")
    made.add("heading", "a & b")
    made.add("tiles", [Tile("<i>x</i>", "£1")])
    made.add("text", "<script>1</script>")
    made.add("table", report.Table(["<u>c</u>"], [["<img src=x>"]], 1))
    page = report.report_html(made, "en", {"<p>": "<q>"})
    for raw in ("<b>Shop</b>", "<script>1</script>", "<i>x</i>", "<u>c</u>", "<img", "<q>"):
        assert raw not in page, raw
    assert "&lt;b&gt;Shop&lt;/b&gt;" in page and "a &amp; b" in page


def test_no_report_is_offered_on_an_empty_database(app_on, empty_db):
    at = app_on(empty_db)
    assert not at.exception
    assert not at.sidebar.get("download_button")


def test_the_report_names_the_filters_and_keeps_names_masked(app_on, demo_db):
    at = _open(app_on, demo_db, "pages/customer.py")
    customer = at.query_params["customer"]
    name, region = (
        data.cursor()
        .execute("select name, region from customers where customer_id = $id", {"id": customer})
        .fetchone()
    )
    made = at.session_state[_REPORT]
    assert made.about["Filters"] == "none" and made.about["Names masked"] == "no"
    assert name in _text(report.report_html(made))

    at = app_on(demo_db)  # a new session: masking and a filter set, then the portrait
    at.toggle(key="sidebar_mask").set_value(True).run()
    at.multiselect(key="filter_regions_en").set_value([region]).run()
    at.query_params["customer"] = customer
    at = at.switch_page("pages/customer.py").run()
    assert not at.exception, at.exception
    made = at.session_state[_REPORT]
    left = (
        data.cursor()
        .execute("select count(*) from customers where region = $r", {"r": region})
        .fetchone()[0]
    )
    assert made.about["Filters"] == f"Region: {region} ({left:,} of 3,000 customers)"
    assert made.about["Names masked"] == "yes"
    page = _text(report.report_html(made))
    assert name not in page
    assert privacy.mask_name(name) in page  # the portrait's heading, as shown


def test_a_figure_drawn_on_the_dark_ground_is_light_in_the_file():
    import plotly.graph_objects as go

    from ui import theme

    dark = go.Figure(go.Bar(x=[1], y=[2])).update_layout(theme.layout_for(True, True))
    light = theme.on_paper(dark)
    assert light.layout.paper_bgcolor == theme.BACKGROUND
    assert light.layout.font.color == theme.TEXT
    assert dark.layout.paper_bgcolor == theme.DARK_BACKGROUND  # the page's own is kept


def test_the_parts_stand_in_the_pages_order(app_on, demo_db):
    """Loyalty draws its inputs first, in a container under the verdict and the figures."""
    at = _open(app_on, demo_db, "pages/loyalty.py")
    made = at.session_state[_REPORT]
    words = load_catalog("en")
    drawn = [kind for kind, _ in made.parts]
    shown = [kind for kind, _ in made.in_place()]
    headings = [c for k, c in made.in_place() if k == "heading"]
    assert sorted(drawn) == sorted(shown)
    assert shown[0] == "alert"  # the verdict first, as on the page
    assert headings.index(words["loyalty.tier_title"]) < headings.index(
        words["loyalty.inputs_title"]
    )
    assert drawn.index("heading") < drawn.index("alert")  # though drawn after the inputs
    # the programme's inputs, hidden widgets in a file, are said in words under its heading
    after = [c for k, c in made.in_place()][shown.index("heading", shown.index("table")) :]
    assert after[0] == words["loyalty.inputs_title"]
    assert any(str(c).startswith(words["loyalty.horizon"] + ": ") for c in after[1:])
