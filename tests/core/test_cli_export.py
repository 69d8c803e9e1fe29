"""`python -m core export` to .xlsx writes a sheet people can use (the writer of the pages'
lists: number formats by column, a bold frozen header with filters, sized columns, an About
sheet), on the demo and on a real-shaped shop; CSV stays the plain stored values."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import db, export
from core.cli import main

FORMATS = {  # a column of customer_features -> its Excel number format
    "revenue_12m": "#,##0.00",
    "predicted_clv_12m": "#,##0.00",
    "churn_risk": "0.0%",
    "p_alive": "0.0%",
    "count_orders": "#,##0",
    "stars": "0",
    "score": "#,##0.00",
    "as_of": "yyyy-mm-dd",
    "signed_up_at": "yyyy-mm-dd hh:mm",
}


def _copy(source, tmp_path):
    path = tmp_path / "shop.duckdb"
    shutil.copyfile(source, path)
    return path


def _export(capsys, path, table: str, out) -> str:
    code = main(["export", table, str(out), "--db", str(path)])
    said = capsys.readouterr()
    assert code == 0, said.err
    return said.out


def _stored(path, table: str) -> pd.DataFrame:
    con = db.connect(path, read_only=True)
    try:
        return con.execute(f"select * from {table} order by 1").df()
    finally:
        con.close()


@pytest.mark.parametrize("shop", ["demo_db", "uk_shop_db"])
def test_an_excel_export_is_formatted_and_says_what_it_holds(request, tmp_path, capsys, shop):
    path = _copy(request.getfixturevalue(shop), tmp_path)
    out = tmp_path / "features.xlsx"
    assert "for a spreadsheet" in _export(capsys, path, "customer_features", out)
    stored = _stored(path, "customer_features")

    book = load_workbook(out)
    sheet, about = book.worksheets
    assert sheet.title == "customer_features" and about.title == "About"
    assert sheet.freeze_panes == "A2"
    last = sheet.cell(row=1, column=sheet.max_column).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{len(stored) + 1}"
    header = [cell.value for cell in sheet[1]]
    assert header == list(stored.columns)
    assert all(cell.font.bold for cell in sheet[1])
    widths = {sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert len(widths) > 1  # sized to their contents, not one default

    known = stored[list(FORMATS)].notna().all(axis=1)  # a rated buyer with a model's figures
    at = int(known.to_numpy().argmax())
    assert known.iloc[at]
    cells = {name: sheet.cell(row=at + 2, column=i + 1) for i, name in enumerate(header)}
    for name, number_format in FORMATS.items():
        assert cells[name].number_format == number_format, name
    row = stored.iloc[at]
    assert cells["customer_id"].value == row["customer_id"]
    assert cells["revenue_12m"].value == pytest.approx(round(row["revenue_12m"], 2))
    assert cells["churn_risk"].value == pytest.approx(round(row["churn_risk"], 3))
    assert cells["count_orders"].value == row["count_orders"]

    facts = {label: value for label, value in about.iter_rows(values_only=True)}
    con = db.connect(path, read_only=True)
    built, currency = (
        db.built_as_of(con),
        con.execute("select value from meta where key = 'setting.currency'").fetchone(),
    )
    con.close()
    assert facts["Table"] == "customer_features"
    assert facts["Rows"] == f"{len(stored):,}"
    assert facts["As of (last build)"] == built.isoformat()
    assert facts["Star rule set"] == "built-in default, version 0"
    assert facts["Currency"] == (currency[0] if currency else "not set")
    assert facts["Exported at"].endswith("UTC")


def test_a_raw_tables_export_names_the_days_it_covers(uk_shop_db, tmp_path, capsys):
    path = _copy(uk_shop_db, tmp_path)
    out = tmp_path / "transactions.xlsx"
    _export(capsys, path, "transactions", out)
    stored = _stored(path, "transactions")
    sheet, about = load_workbook(out).worksheets
    facts = dict(about.iter_rows(values_only=True))
    first, last = stored["ordered_at"].min().date(), stored["ordered_at"].max().date()
    assert facts["Data from"] == f"{first} to {last}"
    amount = [c.value for c in sheet[1]].index("amount") + 1
    assert sheet.cell(row=2, column=amount).number_format == "#,##0.00"
    refunds = (stored["amount"] < 0).sum()
    shown = [sheet.cell(row=r, column=amount).value for r in range(2, sheet.max_row + 1)]
    assert sum(v < 0 for v in shown) == refunds  # a refund stays a negative number


def test_csv_stays_the_plain_stored_values(demo_db, tmp_path, capsys):
    path = _copy(demo_db, tmp_path)
    out = tmp_path / "features.csv"
    _export(capsys, path, "customer_features", out)
    stored = _stored(path, "customer_features")
    assert out.read_bytes() == export.to_csv_bytes(stored)
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert back["revenue_12m"].tolist() == pytest.approx(stored["revenue_12m"].tolist())


def test_a_table_too_long_for_a_sheet_is_refused(demo_db, tmp_path, capsys, monkeypatch):
    path = _copy(demo_db, tmp_path)
    monkeypatch.setattr(export, "EXCEL_ROWS", 10)
    out = tmp_path / "t.xlsx"
    code = main(["export", "transactions", str(out), "--db", str(path)])
    said = capsys.readouterr()
    assert code != 0 and "more than the 10 an Excel sheet holds" in said.err
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "sql_type", "kind"),
    [
        ("amount", "DOUBLE", export.MONEY),
        ("churn_risk", "DOUBLE", export.PERCENT),
        ("stars", "TINYINT", export.STARS),
        ("count_orders", "BIGINT", export.COUNT),
        ("score", "DOUBLE", export.RATIO),
        ("amount_paid", "DECIMAL(18,2)", export.RATIO),  # not a money column it knows
        ("as_of", "DATE", export.DATE),
        ("ordered_at", "TIMESTAMP WITH TIME ZONE", export.DATETIME),
        ("is_buyer", "BOOLEAN", export.TEXT),
        ("city", "VARCHAR", export.TEXT),
    ],
)
def test_a_columns_kind_follows_its_name_then_its_type(name, sql_type, kind):
    assert export.column_kind(name, sql_type) == kind
