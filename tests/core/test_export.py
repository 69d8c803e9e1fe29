"""Exports: formula-looking text is neutralised, numbers are not; bytes read back intact."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

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


# --------------------------------------------------------------------------- machine exports
# `python -m core export TABLE FILE.parquet` (or `--raw` .csv) then `python -m core import`
# of that file into a fresh database gives the same rows, for every raw table. The CLI runs
# in this process (`core.cli.main`, what `python -m core` calls) to keep the suite fast.

TRICKY = {
    "customers": [
        # customer_id, name, email, phone, signed_up_at, region, city, acquisition_channel,
        # acquisition_cost, birth_date, referred_by
        (
            "c1",
            "=SUM(A1)",
            "@x",
            "+86 138 0000 0000",
            "2024-03-05 14:30:05",
            "华东",
            "上海",
            "-",
            0.1 + 0.2,
            "1990-01-02",
            None,
        ),
        (
            "c2",
            "张三",
            None,
            "-5",
            "2024-03-05 00:00:00.123456",
            None,
            None,
            "+ads",
            1e-7,
            None,
            "c1",
        ),
        (
            "c3",
            'a, "quoted"\nline',
            "tab\there",
            "00123",
            "2024-12-31 23:59:59",
            "NA",
            "null",
            "@mention",
            123456789.123456789,
            "2000-02-29",
            "c1",
        ),
        ("c4", None, None, None, "2024-01-01 00:00:00", None, None, None, None, None, None),
    ],
    "transactions": [
        # transaction_id, order_id, customer_id, ordered_at, amount, cost, quantity,
        # product_id, product_category, channel
        ("t1", "o1", "c1", "2025-01-06 09:15:30", 0.1 + 0.2, 0.1, 3.0, "00123", "食品", "=web"),
        ("t2", "o1", "c1", "2025-01-06 09:15:30", -12.5, None, 1.5, "+1", None, "@shop"),
        (
            "t3",
            None,
            "c2",
            "2025-02-28 23:59:59.999999",
            123456789.123456789,
            1e-7,
            None,
            "=1+1",
            "-",
            None,
        ),
    ],
    "interactions": [
        # interaction_id, customer_id, occurred_at, channel, kind, direction
        ("i1", "c1", "2025-03-07 10:00:01", "wechat", "outreach", "outbound"),
        ("i2", "c2", "2025-03-07 10:00:02", "@phone", "+follow_up", None),
        ("i3", "c3", "2025-03-08 00:00:00", "visit", None, "inbound"),
    ],
    "feedback": [
        # feedback_id, customer_id, submitted_at, kind, csat, nps, category, channel,
        # resolved_at
        ("f1", "c1", "2025-03-08 12:00:00", "survey", 5, 0, "=quality", "上海门店", None),
        (
            "f2",
            "c2",
            "2025-03-08 12:00:01",
            "complaint",
            None,
            None,
            "delivery",
            "-",
            "2025-03-09 08:30:45",
        ),
        ("f3", "c3", "2025-03-09 07:00:00", "suggestion", 1, 10, None, None, None),
    ],
}

# Text an import never stores: it trims text and stores an empty cell as NULL (a blank).
EMPTY_TEXT = {
    "customers": ("c5", "", "", "", "2024-01-02 00:00:00", "", "", "", None, None, None),
    "transactions": ("t4", "", "c4", "2025-01-01 10:00:00", 1.0, None, None, "", "", ""),
    "interactions": ("i4", "c4", "2025-03-01 10:00:00", "email", "", ""),
    "feedback": ("f4", "c4", "2025-03-01 10:00:00", "survey", 3, None, "", "", None),
}
PADDED_TEXT = {
    "customers": (
        "c5",
        "  Renée  ",
        " a@b.c ",
        None,
        "2024-01-02 00:00:00",
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    "transactions": ("t4", " o9 ", "c4", "2025-01-01 10:00:00", 1.0, None, None, " p ", None, None),
    "interactions": ("i4", "c4", "2025-03-01 10:00:00", "email", " outreach ", None),
    "feedback": ("f4", "c4", "2025-03-01 10:00:00", "survey", 3, None, " price ", None, None),
}
MACHINE_FORMATS = [("parquet", ()), ("csv", ("--raw",))]


def _run(capsys, *argv: str) -> str:
    from core.cli import main

    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def _source_db(path, extra: dict[str, tuple] | None = None):
    """A database holding TRICKY (and `extra` rows per table), inserted as bound values."""
    from core import db

    con = db.connect(path)
    for table, rows in TRICKY.items():
        rows = [*rows, *([extra[table]] if extra and table in extra else [])]
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"insert into {table} values ({marks})", rows)
    con.close()


def _round_trip(tmp_path, capsys, table, suffix, flags, extra=None):
    """(rows before, rows after) of `table` through an export and an import."""
    from core import db

    source, fresh = tmp_path / "source.duckdb", tmp_path / "fresh.duckdb"
    _source_db(source, extra)
    for name in dict.fromkeys(("customers", table)):  # the parents first
        file = tmp_path / f"{name}.{suffix}"
        _run(capsys, "export", name, str(file), *flags, "--db", str(source))
        _run(capsys, "import", name, str(file), "--db", str(fresh))
    query = f"select * from {table} order by 1"
    with db.connect(source, read_only=True) as before_con:
        before = before_con.execute(query).fetchall()
    with db.connect(fresh, read_only=True) as after_con:
        after = after_con.execute(query).fetchall()
    return before, after


@pytest.mark.parametrize(("suffix", "flags"), MACHINE_FORMATS, ids=["parquet", "raw-csv"])
@pytest.mark.parametrize("table", list(TRICKY))
def test_machine_export_then_import_gives_the_same_rows(tmp_path, capsys, table, suffix, flags):
    before, after = _round_trip(tmp_path, capsys, table, suffix, flags)
    assert len(before) == len(TRICKY[table])
    assert after == before


def _normalised(row: tuple) -> tuple:
    """A row as an import stores it: text trimmed, empty text NULL."""
    return tuple((v.strip() or None) if isinstance(v, str) else v for v in row)


@pytest.mark.parametrize(("suffix", "flags"), MACHINE_FORMATS, ids=["parquet", "raw-csv"])
@pytest.mark.parametrize("table", list(TRICKY))
@pytest.mark.parametrize("extra", [EMPTY_TEXT, PADDED_TEXT], ids=["empty", "padded"])
def test_text_an_import_cannot_store_comes_back_as_an_import_stores_it(
    tmp_path, capsys, table, suffix, flags, extra
):
    """Empty and padded text exist only when written around the importer (its rules: an
    empty cell is a deliberate blank, text is trimmed); through export and import they come
    back normalised, and every other row exactly."""
    before, after = _round_trip(tmp_path, capsys, table, suffix, flags, extra)
    added = extra[table][0]
    assert any(row != _normalised(row) for row in before if row[0] == added)
    assert after == [_normalised(row) if row[0] == added else row for row in before]


def test_raw_csv_is_plain_utf8_with_exact_values(tmp_path, capsys):
    source, out = tmp_path / "s.duckdb", tmp_path / "customers.csv"
    _source_db(source)
    said = _run(capsys, "export", "customers", str(out), "--raw", "--db", str(source))
    assert "4 rows of customers" in said and "for a machine" in said
    data = out.read_bytes()
    assert not data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8")
    assert (
        "c1,=SUM(A1),@x,+86 138 0000 0000,2024-03-05 14:30:05,华东,上海,-,0.30000000000000004,"
        in text
    )
    assert "2024-03-05 00:00:00.123456" in text
    assert "'" not in text


def test_spreadsheet_exports_stay_formula_safe(tmp_path, capsys):
    source = tmp_path / "s.duckdb"
    _source_db(source)
    csv_file, xlsx_file = tmp_path / "c.csv", tmp_path / "c.xlsx"
    assert "for a spreadsheet" in _run(
        capsys, "export", "customers", str(csv_file), "--db", str(source)
    )
    _run(capsys, "export", "customers", str(xlsx_file), "--db", str(source))
    back = pd.read_csv(csv_file, encoding="utf-8-sig", dtype=str)
    assert back.loc[0, ["name", "email", "phone"]].tolist() == [
        "'=SUM(A1)",
        "'@x",
        "'+86 138 0000 0000",
    ]
    rows = list(load_workbook(xlsx_file).worksheets[0].values)
    assert rows[1][1:4] == ("'=SUM(A1)", "'@x", "'+86 138 0000 0000")


def test_parquet_keeps_the_database_types(tmp_path, capsys):
    source, out = tmp_path / "s.duckdb", tmp_path / "t.parquet"
    _source_db(source)
    _run(capsys, "export", "transactions", str(out), "--db", str(source))
    frame = pd.read_parquet(out)
    assert str(frame["ordered_at"].dtype).startswith("datetime64")
    assert frame["amount"].tolist()[0] == 0.1 + 0.2
    assert frame["order_id"].isna().tolist() == [False, False, True]


def test_a_failed_export_leaves_no_file(tmp_path, monkeypatch):
    from core import db
    from core.export import ExportFailed, write_table

    source = tmp_path / "s.duckdb"
    _source_db(source)

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("core.export.os.replace", refuse)
    with db.connect(source, read_only=True) as con, pytest.raises(ExportFailed, match="no space"):
        write_table(con, "customers", tmp_path / "out.parquet")
    assert [p.name for p in tmp_path.iterdir() if "out" in p.name] == []


def test_unwritable_names_the_file_and_why(tmp_path):
    """The one check export targets and import reports share: a folder, a missing folder
    and a read-only file are named in one sentence; a writable place is None."""
    from core.export import ExportFailed, check_target, unwritable

    (tmp_path / "out").mkdir()
    assert unwritable(tmp_path / "new.csv", "the export") is None
    assert unwritable(tmp_path / "out", "the report") == (
        f"the report {tmp_path / 'out'} is a folder: name the file to write in it"
    )
    missing = tmp_path / "no" / "r.csv"
    assert unwritable(missing, "the report") == (
        f"cannot write the report {missing}: the folder {missing.parent} does not exist"
    )
    with pytest.raises(ExportFailed, match="the export .* is a folder"):
        check_target(tmp_path / "out")
    with pytest.raises(ExportFailed, match="write a .csv, .xlsx or .parquet file"):
        check_target(tmp_path / "out.txt")


def test_unwritable_read_only(tmp_path, monkeypatch):
    from core.export import unwritable

    old = tmp_path / "old.csv"
    old.write_text("x\n")
    monkeypatch.setattr("core.export.os.access", lambda path, mode: Path(path) != old)
    assert unwritable(old, "the export") == (
        f"cannot write the export {old}: the file is read-only; choose another place"
    )
    monkeypatch.setattr("core.export.os.access", lambda path, mode: Path(path) != tmp_path)
    assert unwritable(old, "the report", "fix it") == (
        f"cannot write the report {old}: the folder {tmp_path} is read-only; fix it"
    )
