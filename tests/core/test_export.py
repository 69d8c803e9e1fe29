"""Exports: formula-looking text is neutralised, numbers are not; bytes read back intact."""

from __future__ import annotations

import codecs
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from core.export import neutralise, to_csv_bytes, to_excel_bytes


@pytest.fixture
def frame() -> pd.DataFrame:
    """Text that spreadsheets would evaluate, next to numbers that must stay numbers."""
    return pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+cmd", "-Lost", "@SUM(A1)", "张三", None],
            "amount": [-12.5, 3.0, 0.0, 1234.5, -1.0, 2.0],
            "orders": [1, 2, 3, 4, 5, 6],
            "mixed": pd.Series(["=1+1", 7, None, "ok", "-x", 2.5], dtype=object),
        }
    )


def test_neutralise_prefixes_formula_text_only(frame):
    out = neutralise(frame)
    assert out["name"].tolist()[:5] == [
        '\'=HYPERLINK("http://x")',
        "'+cmd",
        "'-Lost",
        "'@SUM(A1)",
        "张三",
    ]
    assert pd.isna(out["name"].iloc[5])
    assert out["amount"].tolist() == frame["amount"].tolist()
    assert out["orders"].dtype == frame["orders"].dtype
    assert out["mixed"].tolist()[:2] == ["'=1+1", 7]
    assert out["mixed"].iloc[4] == "'-x"
    assert out["mixed"].iloc[5] == 2.5


def test_neutralise_does_not_change_its_input(frame):
    before = frame.copy()
    neutralise(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_neutralise_handles_categories_and_a_named_index():
    df = pd.DataFrame(
        {"segment": pd.Categorical(["=Champions", "Lost", "=Champions"])},
        index=pd.Index(["c1", "c2", "-c3"], name="customer_id"),
    )
    out = neutralise(df)
    assert list(out.columns) == ["customer_id", "segment"]
    assert out["segment"].tolist() == ["'=Champions", "Lost", "'=Champions"]
    assert out["customer_id"].tolist() == ["c1", "c2", "'-c3"]


def test_csv_bytes_have_a_bom_and_read_back(frame):
    data = to_csv_bytes(frame)
    assert data.startswith(codecs.BOM_UTF8)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert back["name"].tolist()[:5] == [
        '\'=HYPERLINK("http://x")',
        "'+cmd",
        "'-Lost",
        "'@SUM(A1)",
        "张三",
    ]
    assert back["amount"].tolist() == [-12.5, 3.0, 0.0, 1234.5, -1.0, 2.0]
    assert back["orders"].tolist() == [1, 2, 3, 4, 5, 6]


def test_excel_bytes_hold_text_cells_and_real_numbers(frame):
    book = load_workbook(io.BytesIO(to_excel_bytes(frame, sheet_name="top/customers")))
    sheet = book.worksheets[0]
    assert sheet.title == "top_customers"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "amount", "orders", "mixed")
    assert [r[0] for r in rows[1:6]] == [
        '\'=HYPERLINK("http://x")',
        "'+cmd",
        "'-Lost",
        "'@SUM(A1)",
        "张三",
    ]
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 7))
    assert [r[1] for r in rows[1:]] == [-12.5, 3, 0, 1234.5, -1, 2]
    assert sheet.cell(row=2, column=2).data_type == "n"


def test_excel_bytes_accept_time_zones_and_control_characters():
    df = pd.DataFrame(
        {
            "at": pd.date_range("2024-03-05 14:30", periods=2, tz="Asia/Shanghai"),
            "note": ["bell\x07here", "fine"],
        }
    )
    rows = list(load_workbook(io.BytesIO(to_excel_bytes(df))).worksheets[0].values)
    assert rows[1][0].isoformat() == "2024-03-05T14:30:00"
    assert [r[1] for r in rows[1:]] == ["bellhere", "fine"]
