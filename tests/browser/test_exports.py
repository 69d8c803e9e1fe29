"""A list's downloads in Chromium on the real server, as a user gets them: the Customer value
list (new in issue 17) in both languages, its .xlsx opened with openpyxl (About sheet, formats,
frozen header, filter) and its CSV with pandas; a screenshot of the buttons per language."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.browser.test_pages import (  # noqa: F401 (demo_db_for_browser: a fixture)
    DEADLINE,
    _open,
    _settled,
    demo_db_for_browser,
)
from tests.conftest import DEMO_END
from ui.i18n import load_catalog

pytestmark = pytest.mark.browser


LIST = f"customer-value-{DEMO_END}"  # the buttons' keys: <file name>_csv, <file name>_xlsx


def _download(page, kind: str) -> bytes:
    """The file the list's button of `kind` ('csv', 'xlsx') gives."""
    button = page.locator(f".st-key-{LIST}_{kind} button")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=DEADLINE) as info:
        button.click()
    return open(info.value.path(), "rb").read()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_value_list_downloads_as_a_spreadsheet_people_can_use(
    browser,
    serve,
    screenshots,
    demo_db_for_browser,  # noqa: F811
    lang,
):
    words = load_catalog(lang)
    url = serve(demo_db_for_browser)
    page = _open(browser, f"{url}/value?lang={lang}")
    try:
        excel = page.locator(f".st-key-{LIST}_xlsx button")
        excel.wait_for(timeout=DEADLINE)
        assert excel.inner_text().strip().endswith(words["export.excel"])  # after its icon
        excel.scroll_into_view_if_needed()
        _settled(page)
        page.screenshot(path=screenshots / f"export-value-demo-{lang}.png")

        book = load_workbook(io.BytesIO(_download(page, "xlsx")))
        sheet, about = book.worksheets
        assert about.title == words["export.about_sheet"]
        facts = {row[0].value: row[1].value for row in about.iter_rows()}
        assert facts[words["export.about_page"]] == words["nav.value"]
        assert facts[words["export.about_as_of"]] == DEMO_END.isoformat()
        assert facts[words["export.about_horizon"]] == words["value.months"].format(months=12)
        assert facts[words["export.about_currency"]] == "CNY"
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
        header = [c.value for c in sheet[1]]
        assert header[0] == words["value.col_customer_id"]
        unit = " (CNY)" if lang == "en" else "（CNY）"
        clv = header.index(words["value.col_predicted_clv"] + unit) + 1
        assert sheet.cell(2, clv).number_format == "#,##0.00"

        csv = pd.read_csv(io.BytesIO(_download(page, "csv")), encoding="utf-8-sig")
        assert len(csv) == sheet.max_row - 1  # the same customers, header first in both
        assert list(csv.columns)[0] == words["value.col_customer_id"]
        last = csv[words["value.col_last_purchase_on"]].dropna().astype(str)
        assert last.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    finally:
        page.close()
