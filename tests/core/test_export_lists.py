"""A list as a page exports it: values in the page's units, headers with their units, dates
without a time; Excel with number formats, a frozen bold header, a filter, sized columns and
the About sheet; a CSV that pandas reads with its header on the first row."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import export
from core.export import About, Column

COLUMNS = [
    Column("customer_id", "Customer ID"),
    Column("revenue", "Revenue (GBP)", export.MONEY),
    Column("risk", "Risk (%)", export.PERCENT, excel_header="Risk"),
    Column("risk_change", "Risk change (pp)", export.POINTS),
    Column("orders", "Orders", export.COUNT),
    Column("score", "Score", export.RATIO, digits=1),
    Column("last_purchase_on", "Last purchase", export.DATE),
    Column("signed_up_at", "Signed up", export.DATETIME),
    Column("stars", "Stars", export.STARS),
]
ABOUT = About("About", (("As of", "2024-06-30"), ("Star rule set", "Built-in default, version 0")))


@pytest.fixture
def frame() -> pd.DataFrame:
    """Three customers as a page's list holds them: shares, unrounded money, midnight
    timestamps, a time zone, a missing value in each column, a formula-looking ID."""
    return pd.DataFrame(
        {
            "customer_id": ["c1", "=cmd", None],
            "revenue": [1234.5678, -0.004, None],
            "risk": [0.12345, 1.0, None],
            "risk_change": [0.0512, -0.1, None],
            "orders": [3.0, 12.0, None],
            "score": [87.345, 0.06, None],
            "last_purchase_on": pd.to_datetime(["2024-05-01", "2023-12-31", None]),
            "signed_up_at": pd.to_datetime(
                ["2023-01-02 09:15:42+00:00", "2023-06-30 23:59:59+00:00", None]
            ).tz_convert("Europe/London"),
            "stars": [5, 1, None],
            "not_exported": [1, 2, 3],
        }
    )


def test_values_are_written_in_the_pages_units(frame):
    table = export.export_table(frame, COLUMNS)
    assert list(table.columns) == [c.header for c in COLUMNS]
    assert table["Revenue (GBP)"].tolist()[:2] == [1234.57, -0.0]
    assert table["Risk (%)"].tolist()[:2] == [12.3, 100.0]  # a share as a percentage
    assert table["Risk change (pp)"].tolist()[:2] == [5.1, -10.0]
    assert table["Orders"].tolist()[:2] == [3, 12] and str(table["Orders"].dtype) == "Int64"
    assert table["Score"].tolist()[:2] == [87.3, 0.1]
    assert [str(d) for d in table["Last purchase"][:2]] == ["2024-05-01", "2023-12-31"]
    # the zone's local time, to the minute
    assert table["Signed up"].tolist()[:2] == ["2023-01-02 09:15", "2023-07-01 00:59"]
    assert table.iloc[2].isna().all()  # missing stays missing


def test_the_csv_reads_back_with_its_header_first(frame):
    data = export.list_csv_bytes(frame, COLUMNS)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == [c.header for c in COLUMNS]
    first = back.iloc[0].to_dict()
    assert first == {
        "Customer ID": "c1",
        "Revenue (GBP)": "1234.57",
        "Risk (%)": "12.3",
        "Risk change (pp)": "5.1",
        "Orders": "3",
        "Score": "87.3",
        "Last purchase": "2024-05-01",  # no 00:00:00
        "Signed up": "2023-01-02 09:15",
        "Stars": "5",
    }
    assert back["Customer ID"].iloc[1] == "'=cmd"  # still neutralised
    assert back["Revenue (GBP)"].iloc[1] == "0.0"  # -0.004 rounds to 0, never -0.0
    assert set(back.iloc[2]) == {""}
    assert "00:00:00" not in data.decode("utf-8-sig")


def test_the_excel_sheet_has_formats_a_frozen_header_a_filter_and_widths(frame):
    book = load_workbook(io.BytesIO(export.list_excel_bytes(frame, COLUMNS, ABOUT, "list")))
    assert book.sheetnames == ["list", "About"]
    sheet = book["list"]
    header = [c.value for c in sheet[1]]
    assert header == [c.heading(excel=True) for c in COLUMNS]
    assert "Risk" in header and "Risk (%)" not in header  # the cells show the '%'
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I4"
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["Revenue (GBP)"].value == 1234.57
    assert row["Revenue (GBP)"].number_format == "#,##0.00"
    assert row["Risk"].value == 0.123 and row["Risk"].number_format == "0.0%"
    assert row["Risk change (pp)"].value == 5.1
    assert row["Orders"].value == 3 and row["Orders"].number_format == "#,##0"
    assert row["Score"].number_format == "#,##0.0"
    assert row["Last purchase"].is_date and row["Last purchase"].number_format == "yyyy-mm-dd"
    assert row["Signed up"].value.strftime("%Y-%m-%d %H:%M") == "2023-01-02 09:15"
    assert row["Signed up"].number_format == "yyyy-mm-dd hh:mm"
    assert row["Stars"].value == 5
    assert row["Customer ID"].value == "c1" and sheet["A3"].value == "'=cmd"
    assert all(c.value is None for c in sheet[4])
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert all(export.MIN_WIDTH <= w <= export.MAX_WIDTH for w in widths.values())
    assert widths["A"] >= len("Customer ID")


def test_the_about_sheet_holds_what_the_list_depends_on(frame):
    book = load_workbook(io.BytesIO(export.list_excel_bytes(frame, COLUMNS, ABOUT)))
    about = book["About"]
    assert [[c.value for c in row] for row in about.iter_rows()] == [list(r) for r in ABOUT.rows]
    assert about["A1"].font.b


def test_a_wide_chinese_header_gets_a_wider_column():
    frame = pd.DataFrame({"a": ["x"], "b": ["x"]})
    columns = [Column("a", "城市名称城市名称"), Column("b", "abcdefgh")]
    sheet = load_workbook(io.BytesIO(export.list_excel_bytes(frame, columns))).active
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width


def test_a_long_value_widens_its_column_up_to_a_limit():
    frame = pd.DataFrame({"a": ["x" * 30], "b": ["y" * 300]})
    columns = [Column("a", "A"), Column("b", "B")]
    sheet = load_workbook(io.BytesIO(export.list_excel_bytes(frame, columns))).active
    assert sheet.column_dimensions["A"].width == 32
    assert sheet.column_dimensions["B"].width == export.MAX_WIDTH


def test_an_empty_list_is_a_header_alone(frame):
    empty = frame.iloc[:0]
    back = pd.read_csv(io.BytesIO(export.list_csv_bytes(empty, COLUMNS)), encoding="utf-8-sig")
    assert list(back.columns) == [c.header for c in COLUMNS] and back.empty
    sheet = load_workbook(io.BytesIO(export.list_excel_bytes(empty, COLUMNS))).active
    assert [c.value for c in sheet[1]] == [c.heading(excel=True) for c in COLUMNS]
    assert sheet.max_row == 1


def test_a_column_the_list_lacks_is_named(frame):
    with pytest.raises(ValueError, match="'value_at_risk'"):
        export.export_table(frame, [*COLUMNS, Column("value_at_risk", "Value", export.MONEY)])


def test_two_columns_with_one_header_are_refused(frame):
    with pytest.raises(ValueError, match="'Revenue'"):
        export.export_table(
            frame, [Column("revenue", "Revenue"), Column("score", "Revenue", export.RATIO)]
        )


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind 'currency' is not one of"):
        Column("revenue", "Revenue", "currency")
