"""The one download helper: CSV always, Excel only for a list that fits, else a sentence."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui import export


def _buttons(rows: int, lang: str = "en", present: bool = False) -> AppTest:
    """An app that shows the helper's buttons for a two-row list said to have `rows` rows
    (`present`: in presentation mode)."""

    def script(rows: int, lang: str, present: bool) -> None:
        import pandas as pd
        import streamlit as st

        from ui import session
        from ui.export import download_buttons

        st.session_state["lang"] = lang
        st.session_state[session.PRESENT] = present
        frame = pd.DataFrame({"Customer ID": ["c1", "=c2"], "Value": [1.5, -2.0]})
        download_buttons(lambda: frame, rows, len(frame.columns), "customers")

    at = AppTest.from_function(script, args=(rows, lang, present))
    return at.run()


def test_a_list_that_fits_gets_both_buttons():
    at = _buttons(2)
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download CSV", "Download Excel"]
    assert not any(b.proto.disabled for b in buttons)
    assert not at.caption


def test_a_list_too_long_for_excel_gets_the_csv_and_says_why():
    rows = export.EXCEL_MAX_ROWS + 1
    at = _buttons(rows)
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV"]
    (sentence,) = [c.value for c in at.caption]
    assert "50,001 rows" in sentence and "50,000" in sentence and "CSV holds every row" in sentence


def test_presentation_mode_leaves_out_the_sentence_with_the_buttons_it_hides():
    at = _buttons(export.EXCEL_MAX_ROWS + 1, present=True)
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV"]
    assert not at.caption


def test_the_sentence_is_in_the_pages_language():
    at = _buttons(export.EXCEL_MAX_ROWS + 1, lang="zh")
    assert [b.proto.label for b in at.get("download_button")] == ["下载 CSV"]
    assert "CSV 包含全部行" in at.caption[0].value


def test_an_empty_list_has_disabled_buttons():
    at = _buttons(0)
    buttons = at.get("download_button")
    assert len(buttons) == 2 and all(b.proto.disabled for b in buttons)


def test_excel_fits_its_limits_and_ours():
    assert export.excel_fits(export.EXCEL_MAX_ROWS, 20)
    assert not export.excel_fits(export.EXCEL_MAX_ROWS + 1, 20)
    assert not export.excel_fits(10, export.SHEET_COLUMNS + 1)
    assert export.EXCEL_MAX_ROWS < export.SHEET_ROWS  # our limit is inside Excel's


def test_a_tables_column_config_gives_the_kinds_of_its_export():
    """The kinds come from the formats the page's table already uses (ui.widgets and
    st.column_config), so a page declares its columns once."""
    import streamlit as st

    from core.export import COUNT, DATE, DATETIME, MONEY, PERCENT, POINTS, RATIO, STARS, TEXT
    from ui import format as fmt
    from ui.widgets import PERCENT as SHOWN_PERCENT

    config = {
        "customer_id": st.column_config.TextColumn("Customer ID"),
        "stars": st.column_config.TextColumn("Stars"),  # shown as '5★', exported as 5
        "revenue": st.column_config.NumberColumn("Revenue", format=fmt.money_column("GBP")),
        "risk": st.column_config.NumberColumn("Risk", format=SHOWN_PERCENT),
        "share": st.column_config.NumberColumn("Share", format="percent"),
        "change": st.column_config.NumberColumn("Change (pts)", format="%+.0f"),
        "orders": st.column_config.NumberColumn("Orders", format="%,d"),
        "nps": st.column_config.NumberColumn("NPS", format="%d"),
        "per_year": st.column_config.NumberColumn("Per year", format="%.2f"),
        "csat": st.column_config.NumberColumn("CSAT", format="%.1f"),
        "last": st.column_config.DateColumn("Last purchase"),
        "at": st.column_config.DatetimeColumn("Signed up"),
        "hidden": None,
    }
    found = export.columns_from_config(config, "GBP")
    assert {c.key: c.kind for c in found} == {
        "customer_id": TEXT,
        "stars": STARS,
        "revenue": MONEY,
        "risk": PERCENT,
        "share": PERCENT,
        "change": POINTS,
        "orders": COUNT,
        "nps": COUNT,
        "per_year": RATIO,
        "csat": RATIO,
        "last": DATE,
        "at": DATETIME,
    }
    by_key = {c.key: c for c in found}
    assert by_key["per_year"].digits == 2 and by_key["csat"].digits == 1
    assert by_key["revenue"].header == "Revenue (GBP)"
    assert by_key["risk"].header == "Risk (%)" and by_key["risk"].heading(excel=True) == "Risk"
    assert by_key["change"].header == "Change (pts)"  # its label names its unit


def test_money_headers_without_a_currency_are_the_label_alone():
    (found,) = export.columns({"revenue": "Revenue"}, {"revenue": "money"}, None)
    assert found.header == "Revenue"


def _written(mask: bool) -> str:
    """The CSV a list with a name and a phone downloads as, masking on or off."""

    def script(mask: bool) -> None:
        import pandas as pd
        import streamlit as st

        from core.export import Column
        from ui import session
        from ui.export import list_files

        st.session_state[session.MASK] = mask
        frame = pd.DataFrame({"name": ["Zhang Wei"], "phone": ["13812341234"]})
        columns = [Column("name", "Name"), Column("phone", "Phone")]
        to_csv, _, _ = list_files(lambda: frame, 1, columns)
        st.session_state["written"] = to_csv().decode("utf-8-sig")

    at = AppTest.from_function(script, args=(mask,)).run()
    assert not at.exception
    return at.session_state["written"]


def test_an_export_masks_personal_data_when_the_session_does():
    assert "Zhang Wei" in _written(mask=False) and "13812341234" in _written(mask=False)
    masked = _written(mask=True)
    assert "Zhang *" in masked and "138****1234" in masked
    assert "Wei" not in masked and "13812341234" not in masked
