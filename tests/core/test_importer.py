"""Importing files: good files load exactly; bad files give a clear message and change nothing.

Every fixture file is written by the test into tmp_path (nothing binary is committed).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import random
from pathlib import Path

import duckdb
import openpyxl
import pytest

from core import db, importer, settings
from core.contract import RAW_TABLES
from core.importer import ImportFailed, Problem, import_file, parse_constants, parse_mapping

T = dt.datetime

CUSTOMERS = """\
customer_id,name,email,phone,signed_up_at,region,city,acquisition_channel,acquisition_cost,birth_date,referred_by
C1,Ann Lee,ann@example.com,555-0101,2024-01-05,North,Oslo,web,12.5,1990-05-01,
C2,Bo Chen,bo@example.com,,2024-02-10 09:30:00,South,Bergen,referral,0,,C1
"""
TRANSACTIONS = """\
transaction_id,customer_id,ordered_at,amount,cost,quantity,product_category,channel
T1,C1,2024-03-01 10:00:00,120.5,80,2,shoes,web
T2,C1,2024-03-15 12:00:00,-20,,1,shoes,store
T3,C2,2024-04-01 08:15:00,45,30,,books,web
"""
INTERACTIONS = """\
interaction_id,customer_id,occurred_at,channel,kind,direction
I1,C1,2024-03-02 09:00:00,phone,follow_up,Outbound
I2,C2,2024-04-02 10:00:00,wechat,inquiry,inbound
"""
FEEDBACK = """\
feedback_id,customer_id,submitted_at,kind,csat,nps,category,channel,resolved_at
F1,C1,2024-03-05 11:00:00,survey,5,9,service,email,
F2,C2,2024-04-03 16:00:00,Complaint,2,3,delivery,phone,2024-04-05 09:00:00
"""
GOOD = {
    "customers": CUSTOMERS,
    "transactions": TRANSACTIONS,
    "interactions": INTERACTIONS,
    "feedback": FEEDBACK,
}
EXPECTED = {
    "customers": [
        ("C1", "Ann Lee", "ann@example.com", "555-0101", T(2024, 1, 5), "North", "Oslo", "web",
         12.5, dt.date(1990, 5, 1), None),
        ("C2", "Bo Chen", "bo@example.com", None, T(2024, 2, 10, 9, 30), "South", "Bergen",
         "referral", 0.0, None, "C1"),
    ],
    "transactions": [
        ("T1", None, "C1", T(2024, 3, 1, 10), 120.5, 80.0, 2.0, None, "shoes", "web"),
        ("T2", None, "C1", T(2024, 3, 15, 12), -20.0, None, 1.0, None, "shoes", "store"),
        ("T3", None, "C2", T(2024, 4, 1, 8, 15), 45.0, 30.0, None, None, "books", "web"),
    ],
    "interactions": [
        ("I1", "C1", T(2024, 3, 2, 9), "phone", "follow_up", "outbound"),
        ("I2", "C2", T(2024, 4, 2, 10), "wechat", "inquiry", "inbound"),
    ],
    "feedback": [
        ("F1", "C1", T(2024, 3, 5, 11), "survey", 5, 9, "service", "email", None),
        ("F2", "C2", T(2024, 4, 3, 16), "complaint", 2, 3, "delivery", "phone", T(2024, 4, 5, 9)),
    ],
}  # fmt: skip


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def con(tmp_path):
    connection = db.connect(tmp_path / "db.duckdb")
    yield connection
    connection.close()


def write(tmp_path: Path, name: str, text: str, fmt: str = "csv", encoding="utf-8") -> Path:
    """`text` (CSV) written as `name`.<fmt>: csv, xlsx (text cells) or parquet (typed)."""
    path = tmp_path / f"{name}.{fmt}"
    if fmt in ("csv", "txt", "tsv"):
        path.write_bytes(text.encode(encoding))
    elif fmt == "xlsx":
        book = openpyxl.Workbook()
        for row in csv.reader(io.StringIO(text)):
            book.active.append([value or None for value in row])
        book.save(path)
    elif fmt == "parquet":
        source = write(tmp_path, name + "-source", text)
        duckdb.execute(
            "copy (select * from read_csv($source)) to $path (format parquet)",
            {"source": str(source), "path": str(path)},
        )
    return path


def table_rows(con, table: str) -> list[tuple]:
    return con.execute(f"select * from {table} order by all").fetchall()


def snapshot(con) -> tuple:
    """Everything an import may change: all raw tables and the data version."""
    return {t: table_rows(con, t) for t in RAW_TABLES}, db.data_version(con)


def load(con, tmp_path: Path, *tables: str) -> None:
    for table in tables:
        import_file(con, table, write(tmp_path, table, GOOD[table]))


def rejected(con, table: str, path: Path, **kwargs) -> ImportFailed:
    """Import `path`, expect ImportFailed, and check the database did not change."""
    before = snapshot(con)
    with pytest.raises(ImportFailed) as caught:
        import_file(con, table, path, **kwargs)
    assert snapshot(con) == before
    assert caught.value.file == path.name
    assert path.name in str(caught.value)
    return caught.value


def temp_tables(con) -> list[str]:
    sql = "select table_name from duckdb_tables() where table_name like '_startier_import%'"
    return [r[0] for r in con.execute(sql).fetchall()]


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_a_good_file_loads_every_table(con, tmp_path, fmt):
    for table in ("customers", "transactions", "interactions", "feedback"):
        result = import_file(con, table, write(tmp_path, table, GOOD[table], fmt))
        assert result.rows_read == result.rows_loaded == result.rows_inserted
        assert (result.rows_updated, result.rows_rejected, result.report) == (0, 0, None)
        assert table_rows(con, table) == EXPECTED[table]
    assert db.data_version(con) == 4
    assert temp_tables(con) == []


def test_excel_typed_cells_and_sheet_row_numbers(con, tmp_path):
    load(con, tmp_path, "customers")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Transaction_ID ", "customer_id", "ordered_at", "amount"])
    sheet.append(["T1", "C1", T(2024, 3, 5, 14, 30), 120.5])
    sheet.append([None, None, None, None])  # a blank row: skipped, still counted
    sheet.append(["T2", "C2", dt.date(2024, 3, 6), 7])
    sheet.append(["T3", "C2", "someday", 7])
    path = tmp_path / "sales.xlsx"
    book.save(path)
    error = rejected(con, "transactions", path)
    assert error.problems == [
        Problem("sales.xlsx", 5, "ordered_at", "someday",
                "unparseable date 'someday' (expected e.g. 2024-03-05 or 2024/03/05 14:30)")
    ]  # fmt: skip
    sheet.delete_rows(5)
    book.save(path)
    import_file(con, "transactions", path)
    assert table_rows(con, "transactions") == [
        ("T1", None, "C1", T(2024, 3, 5, 14, 30), 120.5, None, None, None, None, None),
        ("T2", None, "C2", T(2024, 3, 6), 7.0, None, None, None, None, None),
    ]


def test_parquet_rows_are_record_number_plus_one(con, tmp_path):
    text = TRANSACTIONS.replace("T3,C2,2024-04-01 08:15:00,45", "T3,C2,not a date,45")
    error = rejected(con, "transactions", write(tmp_path, "sales", text, "parquet"))
    assert [(p.row, p.column, p.value) for p in error.problems] == [(4, "ordered_at", "not a date")]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16"])
def test_chinese_text_in_gbk_bom_and_utf16_files(con, tmp_path, encoding):
    text = "客户编号,姓名,注册时间,城市\nC1,张三,2024/3/5,上海\nC2,李四,2024/03/06 09:30,北京\n"
    path = write(tmp_path, "客户", text, encoding=encoding)
    mapping = parse_mapping("customer_id=客户编号,name=姓名,signed_up_at=注册时间,city=城市")
    result = import_file(con, "customers", path, mapping=mapping)
    assert result.rows_loaded == 2 and result.ignored_columns == []
    rows = con.execute("select customer_id, name, signed_up_at, city from customers order by 1")
    assert rows.fetchall() == [
        ("C1", "张三", T(2024, 3, 5), "上海"),
        ("C2", "李四", T(2024, 3, 6, 9, 30), "北京"),
    ]


def test_gbk_after_a_long_ascii_start_is_detected(con, tmp_path):
    lines = [f"C{i},plain,2024-01-01" for i in range(5000)]  # > 64 KiB of ASCII
    text = "customer_id,name,signed_up_at\n" + "\n".join(lines) + "\nC9999,王五,2024-01-02\n"
    import_file(con, "customers", write(tmp_path, "late", text, encoding="gbk"))
    name = con.execute("select name from customers where customer_id = 'C9999'").fetchone()
    assert name == ("王五",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", T(2024, 3, 5)),
        ("2024-03-05 14:30:00", T(2024, 3, 5, 14, 30)),
        ("2024-03-05T14:30:00", T(2024, 3, 5, 14, 30)),
        ("2024/03/05", T(2024, 3, 5)),
        ("2024/3/5", T(2024, 3, 5)),
        ("2024/3/5 9:05", T(2024, 3, 5, 9, 5)),
        ("2024/03/05 14:30:00", T(2024, 3, 5, 14, 30)),
        ("20240305", T(2024, 3, 5)),
        ("20240305 14:30:00", T(2024, 3, 5, 14, 30)),
        ("20240305143000", T(2024, 3, 5, 14, 30)),
        (" 2024-03-05 ", T(2024, 3, 5)),
    ],
)
def test_each_date_format(con, tmp_path, text, expected):
    path = write(tmp_path, "d", f"customer_id,signed_up_at\nC1,{text}\n")
    import_file(con, "customers", path)
    assert con.execute("select signed_up_at from customers").fetchone() == (expected,)


def test_amount_is_quantity_times_unit_price(con, tmp_path):
    text = "transaction_id,customer_id,ordered_at,quantity,unit_price\nT1,C1,2024-01-01,3,2.5\n"
    result = import_file(con, "transactions", write(tmp_path, "lines", text))
    assert result.ignored_columns == []
    row = con.execute("select amount, quantity from transactions").fetchone()
    assert row == (7.5, 3.0)


def test_unit_price_is_ignored_when_amount_is_given(con, tmp_path):
    text = (
        "transaction_id,customer_id,ordered_at,amount,quantity,unit_price\n"
        "T1,C1,2024-01-01,9,3,2.5\n"
    )
    result = import_file(con, "transactions", write(tmp_path, "lines", text))
    assert result.ignored_columns == ["unit_price"]
    assert con.execute("select amount from transactions").fetchone() == (9.0,)


def test_missing_transaction_id_uses_stem_and_row_and_reimport_replaces(con, tmp_path):
    text = "customer_id,ordered_at,amount\nC1,2024-01-01,10\n\nC2,2024-01-02,20\n"
    path = write(tmp_path, "shop-march", text)
    result = import_file(con, "transactions", path)
    assert result.rows_inserted == 2
    ids = "select transaction_id, amount from transactions order by 1"
    assert con.execute(ids).fetchall() == [("shop-march:2", 10.0), ("shop-march:4", 20.0)]
    path.write_text(text.replace("2024-01-02,20", "2024-01-02,25"))
    result = import_file(con, "transactions", path)
    assert (result.rows_inserted, result.rows_updated) == (0, 2)
    assert con.execute(ids).fetchall() == [("shop-march:2", 10.0), ("shop-march:4", 25.0)]


def test_reimport_is_idempotent_and_updates_changed_rows(con, tmp_path):
    load(con, tmp_path, "customers")
    path = write(tmp_path, "sales", TRANSACTIONS)
    import_file(con, "transactions", path)
    first = snapshot(con)[0]
    result = import_file(con, "transactions", path)
    assert (result.rows_inserted, result.rows_updated) == (0, 3)
    assert snapshot(con)[0] == first
    changed = TRANSACTIONS.replace("T3,C2,2024-04-01 08:15:00,45", "T3,C2,2024-04-01 08:15:00,99")
    result = import_file(
        con, "transactions", write(tmp_path, "sales", changed + "T4,C2,2024-05-01,5,,,,\n")
    )
    assert (result.rows_inserted, result.rows_updated, result.rows_loaded) == (1, 3, 4)
    amounts = con.execute("select transaction_id, amount from transactions order by 1").fetchall()
    assert amounts == [("T1", 120.5), ("T2", -20.0), ("T3", 99.0), ("T4", 5.0)]


def test_unknown_customers_in_transactions_are_created(con, tmp_path):
    import_file(con, "customers", write(tmp_path, "c", "customer_id,signed_up_at\nC1,2020-01-01\n"))
    text = (
        "transaction_id,customer_id,ordered_at,amount\n"
        "T1,C1,2024-01-01,1\nT2,C7,2024-02-03 10:00,1\nT3,C7,2024-01-15,1\nT4,C8,2024-03-01,1\n"
    )
    result = import_file(con, "transactions", write(tmp_path, "t", text))
    assert result.customers_created == 2
    rows = con.execute("select customer_id, signed_up_at, name from customers order by 1")
    assert rows.fetchall() == [
        ("C1", T(2020, 1, 1), None),
        ("C7", T(2024, 1, 15), None),
        ("C8", T(2024, 3, 1), None),
    ]
    assert "customers created from transactions: 2" in result.summary()


def test_mapping_and_ignored_columns(con, tmp_path):
    text = "Order No,Client,When,Total,Notes,channel\nA1,C1,2024-01-01,5,hi,web\n"
    mapping = {"transaction_id": "order no", "customer_id": "Client", "ordered_at": "When",
               "amount": "Total"}  # fmt: skip
    result = import_file(con, "transactions", write(tmp_path, "m", text), mapping=mapping)
    assert result.ignored_columns == ["Notes"]
    assert "ignored columns: Notes" in result.summary()
    assert table_rows(con, "transactions") == [
        ("A1", None, "C1", T(2024, 1, 1), 5.0, None, None, None, None, "web")
    ]


def test_parse_mapping():
    assert parse_mapping("customer_id=客户编号, Ordered_At = 下单 时间") == {
        "customer_id": "客户编号",
        "ordered_at": "下单 时间",
    }
    assert parse_mapping("") == {}
    with pytest.raises(ValueError, match="bad mapping entry 'customer_id'"):
        parse_mapping("customer_id")
    with pytest.raises(ValueError, match="bad mapping entry"):
        parse_mapping("customer_id=a,,amount=b")
    with pytest.raises(ValueError, match="unknown field 'shoe_size'"):
        parse_mapping("shoe_size=Size")
    with pytest.raises(ValueError, match="mapped twice"):
        parse_mapping("amount=a,amount=b")


def test_mapping_a_field_the_table_does_not_have(con, tmp_path):
    path = write(tmp_path, "c", CUSTOMERS)
    with pytest.raises(ValueError, match="customers does not have"):
        import_file(con, "customers", path, mapping={"csat": "x"})


def test_mapping_a_column_the_file_does_not_have(con, tmp_path):
    error = rejected(con, "customers", write(tmp_path, "c", CUSTOMERS), mapping={"name": "Nom"})
    assert "the mapping names column 'Nom' for name, but the file has no such column" in str(error)
    assert "'customer_id', 'name'" in str(error)


def test_numbers_with_spaces_thousands_and_currency(con, tmp_path):
    text = (
        "transaction_id,customer_id,ordered_at,amount\n"
        'T1,C1,2024-01-01,"1,234.50"\nT2,C1,2024-01-01, 12 \nT3,C1,2024-01-01,¥-3\n'
        'T4,C1,2024-01-01,$1\nT5,C1,2024-01-01,-12.5\nT6,C1,2024-01-01,"1,234,567"\n'
    )
    import_file(con, "transactions", write(tmp_path, "n", text))
    amounts = con.execute("select amount from transactions order by transaction_id").fetchall()
    assert [a for (a,) in amounts] == [1234.5, 12.0, -3.0, 1.0, -12.5, 1234567.0]


@pytest.mark.parametrize("value", ["1,5", "12,34.5", "1 234", "nan", "inf", "1_000", "(5)"])
def test_ambiguous_or_odd_numbers_are_rejected(con, tmp_path, value):
    text = f'transaction_id,customer_id,ordered_at,amount\nT1,C1,2024-01-01,"{value}"\n'
    error = rejected(con, "transactions", write(tmp_path, "n", text))
    assert error.problems[0].reason.startswith(f"not a number: '{value}'")


def test_choices_are_case_insensitive_and_stored_lower_case(con, tmp_path):
    load(con, tmp_path, "customers")
    text = (
        "interaction_id,customer_id,occurred_at,channel,direction\nI1,C1,2024-01-01,sms,INBOUND\n"
    )
    import_file(con, "interactions", write(tmp_path, "i", text))
    assert con.execute("select direction from interactions").fetchone() == ("inbound",)
    bad = text.replace("INBOUND", "sideways")
    error = rejected(con, "interactions", write(tmp_path, "i", bad))
    assert error.problems[0].reason == "'sideways' is not one of inbound, outbound"


def test_tab_semicolon_and_pipe_delimiters(con, tmp_path):
    for delimiter, suffix in (("\t", "tsv"), (";", "csv"), ("|", "txt")):
        header = delimiter.join(["customer_id", "signed_up_at", "name"])
        text = f"{header}\n" + delimiter.join(["C1", "2024-01-01", "A,B"]) + "\n"
        import_file(con, "customers", write(tmp_path, "c", text, suffix))
        assert con.execute("select name from customers").fetchone() == ("A,B",)


def test_formula_looking_text_is_stored_unchanged(con, tmp_path):
    text = (
        "transaction_id,customer_id,ordered_at,amount,product_category,channel\n"
        'T1,C1,2024-01-01,-12.5,"=HYPERLINK(""http://x"")",+cmd\n'
        "T2,C1,2024-01-02,3,-minus,@at\n"
    )
    import_file(con, "transactions", write(tmp_path, "f", text))
    rows = con.execute(
        "select amount, product_category, channel from transactions order by transaction_id"
    ).fetchall()
    assert rows == [(-12.5, '=HYPERLINK("http://x")', "+cmd"), (3.0, "-minus", "@at")]


# --------------------------------------------------------------------------- bad files


def test_empty_file(con, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "the file is empty (0 bytes)" in str(rejected(con, "customers", path))


def test_header_only(con, tmp_path):
    error = rejected(con, "customers", write(tmp_path, "h", "customer_id,signed_up_at\n"))
    assert error.problems == [
        Problem("h.csv", 2, None, None, "the file has a header but no data rows")
    ]


def test_wrong_delimiter(con, tmp_path):
    text = "customer_id:signed_up_at:name\nC1:2024-01-01:Ann\n"
    error = rejected(con, "customers", write(tmp_path, "colon", text))
    assert "row 1" in str(error)
    assert "the header reads as a single column" in str(error)
    assert "separated by ':': is the delimiter wrong?" in str(error)


def test_missing_required_column(con, tmp_path):
    text = "transaction_id,customer_id,amount\nT1,C1,5\n"
    error = rejected(con, "transactions", write(tmp_path, "t", text))
    assert str(error.problems[0]) == (
        "t.csv, row 1, column 'ordered_at': missing required column 'ordered_at'; "
        "columns found: 'transaction_id', 'customer_id', 'amount'"
    )


def test_bad_dates(con, tmp_path):
    text = "customer_id,signed_up_at\nC1,2024-01-01\nC2,xyz\nC3,2024/13/45\nC4,0024-01-01\nC5,\n"
    error = rejected(con, "customers", write(tmp_path, "c", text))
    expected = "(expected e.g. 2024-03-05 or 2024/03/05 14:30)"
    assert [(p.row, p.column, p.reason) for p in error.problems] == [
        (3, "signed_up_at", f"unparseable date 'xyz' {expected}"),
        (4, "signed_up_at", f"unparseable date '2024/13/45' {expected}"),
        (5, "signed_up_at", "date '0024-01-01' is out of range (years 1900-2100)"),
        (6, "signed_up_at", "required value is empty"),
    ]  # fmt: skip
    assert "c.csv, row 3, column 'signed_up_at': unparseable date 'xyz'" in str(error)


def test_text_in_amounts(con, tmp_path):
    text = TRANSACTIONS.replace("T2,C1,2024-03-15 12:00:00,-20", "T2,C1,2024-03-15 12:00:00,abc")
    error = rejected(con, "transactions", write(tmp_path, "sales", text))
    assert error.problems == [
        Problem(
            "sales.csv",
            3,
            "amount",
            "abc",
            "not a number: 'abc' (e.g. 1234.50, 1,234.50, £12.50 or 12.50 GBP)",
        )
    ]


def test_duplicate_ids(con, tmp_path):
    text = TRANSACTIONS + "T1,C2,2024-05-01,1,,,,\nT9,C2,2024-05-01,1,,,,\nT1,C2,2024-05-02,1,,,,\n"
    error = rejected(con, "transactions", write(tmp_path, "dups", text))
    reason = "transaction_id 'T1' appears on rows 2, 5 and 7"
    note, *problems = error.problems
    assert (note.row, note.column) == (None, "transaction_id")
    assert note.reason.startswith("transaction_id repeats: 1 id is on more than one row ('T1')")
    assert "--map order_id=transaction_id" in note.reason
    assert [(p.row, p.column, p.reason) for p in problems] == [
        (2, "transaction_id", reason),
        (5, "transaction_id", reason),
        (7, "transaction_id", reason),
    ]


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("T4,C2,2024-05-0", "broken row: 3 fields where the header has 8"),
        ('T4,C2,2024-05-01,1,,,"sho', "broken row: a quoted value is not closed"),
    ],
)
def test_truncated_file(con, tmp_path, tail, reason):
    error = rejected(con, "transactions", write(tmp_path, "cut", TRANSACTIONS + tail))
    (problem,) = error.problems
    assert (problem.row, problem.column) == (5, None)
    assert problem.reason.startswith(reason)
    assert problem.reason.endswith("(this is the last row: is the file truncated?)")


def test_binary_garbage(con, tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(random.Random(7).randbytes(4000))
    assert "not a text CSV file (binary content)" in str(rejected(con, "customers", path))


def test_an_excel_file_named_csv_and_a_csv_named_xlsx(con, tmp_path):
    xlsx = write(tmp_path, "book", CUSTOMERS, "xlsx")
    disguised = tmp_path / "book.csv"
    disguised.write_bytes(xlsx.read_bytes())
    error = rejected(con, "customers", disguised)
    assert "not a text CSV file (binary content); it looks like an Excel/zip file" in str(error)
    fake = tmp_path / "fake.xlsx"
    fake.write_text(CUSTOMERS)
    assert "not a readable .xlsx workbook (it looks like a text file" in str(
        rejected(con, "customers", fake)
    )


def test_broken_xlsx_and_parquet(con, tmp_path):
    xlsx = write(tmp_path, "book", CUSTOMERS, "xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(xlsx.read_bytes()[:300])
    assert "not a readable .xlsx workbook" in str(rejected(con, "customers", broken))
    parquet = tmp_path / "broken.parquet"
    parquet.write_bytes(b"PAR1" + random.Random(1).randbytes(100))
    assert "not a readable Parquet file" in str(rejected(con, "customers", parquet))


def test_unsupported_and_missing_files(con, tmp_path):
    other = tmp_path / "c.json"
    other.write_text("{}")
    assert "unsupported file type '.json'" in str(rejected(con, "customers", other))
    xls = tmp_path / "c.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    assert "save it as .xlsx or CSV" in str(rejected(con, "customers", xls))
    assert "file not found" in str(rejected(con, "customers", tmp_path / "nope.csv"))


def test_csat_outside_one_to_five(con, tmp_path):
    load(con, tmp_path, "customers")
    text = FEEDBACK + "F3,C1,2024-05-01,survey,7,11,price,web,\nF4,C1,2024-05-01,survey,4.5,,,,\n"
    error = rejected(con, "feedback", write(tmp_path, "fb", text))
    assert [(p.row, p.column, p.reason) for p in error.problems] == [
        (4, "csat", "'7' is outside the allowed range 1-5"),
        (4, "nps", "'11' is outside the allowed range 0-10"),
        (5, "csat", "not a whole number: '4.5'"),
    ]


def test_unknown_customer_in_feedback(con, tmp_path):
    load(con, tmp_path, "customers")
    text = FEEDBACK.replace("F2,C2", "F2,C404")
    error = rejected(con, "feedback", write(tmp_path, "fb", text))
    assert error.problems == [
        Problem("fb.csv", 3, "customer_id", "C404",
                "unknown customer 'C404'; import customers or transactions first")
    ]  # fmt: skip


def test_many_problems_are_summarised(con, tmp_path):
    rows = "".join(f"C{i},bad{i}\n" for i in range(25))
    error = rejected(con, "customers", write(tmp_path, "many", "customer_id,signed_up_at\n" + rows))
    assert error.total == 25 and len(error.problems) == 25
    message = str(error)
    assert message.startswith("Cannot import many.csv (25 problems; nothing was imported):")
    assert "row 11" in message and "row 12" not in message
    assert message.rstrip().endswith("and 15 more")


def test_a_failed_write_is_rolled_back(con, tmp_path, monkeypatch):
    load(con, tmp_path, "customers", "transactions")
    before = snapshot(con)

    def boom(self, fresh):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer._Import, "_create_customers", boom)
    text = TRANSACTIONS.replace("T1,C1,2024-03-01 10:00:00,120.5", "T1,C1,2024-03-01,1") + (
        "T5,C9,2024-06-01,1,,,,\n"
    )
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(con, "transactions", write(tmp_path, "t2", text))
    assert snapshot(con) == before
    assert temp_tables(con) == []


def test_skip_invalid_loads_good_rows_and_reports_the_rest(con, tmp_path):
    load(con, tmp_path, "customers")
    text = (
        "transaction_id,customer_id,ordered_at,amount,product_category\n"
        "T1,C1,2024-01-01,10,=cat\n"  # row 2: good
        "T2,C1,someday,x\n"  # row 3: broken (4 fields)
        "\n"  # row 4: empty, skipped
        "T3,C1,someday,abc,张\n"  # row 5: two bad values
        "T4,C2,2024-01-04,4,\n"  # row 6: good
        "T1,C2,2024-01-05,5,\n"  # row 7: duplicate of row 2
        "T5,,2024-01-06,6,\n"  # row 8: no customer
    )
    path = write(tmp_path, "mixed", text)
    strict = rejected(con, "transactions", path)
    assert strict.total == 7  # six rows' problems and the note that transaction_id repeats
    result = import_file(con, "transactions", path, skip_invalid=True)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 1, 5)
    assert table_rows(con, "transactions") == [
        ("T4", None, "C2", T(2024, 1, 4), 4.0, None, None, None, None, None)
    ]
    assert any(line.startswith("note: transaction_id repeats") for line in result.summary())
    assert result.report == tmp_path / "mixed.csv.rejected.csv"
    data = result.report.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    report = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["row"], r["column"], r["value"]) for r in report] == [
        ("", "transaction_id", ""),
        ("2", "transaction_id", "T1"),
        ("3", "", "T2,C1,someday,x"),
        ("5", "ordered_at", "someday"),
        ("5", "amount", "abc"),
        ("7", "transaction_id", "T1"),
        ("8", "customer_id", ""),
    ]
    assert report[0]["reason"].startswith("transaction_id repeats")
    assert report[2]["reason"] == "broken row: 4 fields where the header has 5"
    assert report[6]["reason"] == "required value is empty"


def test_report_in_strict_mode_and_chosen_report_path(con, tmp_path):
    text = "customer_id,signed_up_at,name\nC1,2024-01-01,张三\nC2,never,李四\n"
    path = write(tmp_path, "c", text)
    report = tmp_path / "problems.csv"
    error = rejected(con, "customers", path, report=report)
    assert error.report == report and str(report) in str(error)
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["3", "signed_up_at", "never"]
    result = import_file(con, "customers", path, skip_invalid=True, report=report)
    assert result.report == report and result.rows_loaded == 1
    assert con.execute("select name from customers").fetchall() == [("张三",)]


def file_bytes(folder: Path) -> dict[Path, bytes]:
    """Every file under `folder` (but the database's write-ahead log) and its bytes."""
    out = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix != ".wal":
            with open(f, "rb") as data:  # not Path.open, which a test may patch
                out[f] = data.read()
    return out


def refused(con, table: str, path: Path, **kwargs) -> importer.ImportRefused:
    """Import `path`, expect ImportRefused (one sentence naming the input or the report),
    and check nothing was written: the database and every file beside the input keep
    their bytes, and no file appears."""
    files = file_bytes(path.parent)
    before = snapshot(con)
    with pytest.raises(importer.ImportRefused) as caught:
        import_file(con, table, path, **kwargs)
    assert snapshot(con) == before
    error = caught.value
    assert error.file == path.name
    assert len(str(error).splitlines()) == 1
    assert file_bytes(path.parent) == files
    return error


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_a_report_that_is_the_input_is_refused(con, tmp_path, skip_invalid):
    text = "customer_id,signed_up_at\nC1,2024-01-01\nC2,never\n"
    path = write(tmp_path, "c", text)
    (tmp_path / "sub").mkdir()
    for report in (path, tmp_path / "sub" / ".." / "c.csv"):
        error = refused(con, "customers", path, report=report, skip_invalid=skip_invalid)
        assert str(error) == (
            f"the report {report} is the file being imported: name another file for the report"
        )
    assert path.read_text() == text


def test_a_report_that_is_the_database_is_refused(con, tmp_path):
    path = write(tmp_path, "c", "customer_id,signed_up_at\nC1,never\n")
    error = refused(con, "customers", path, report=tmp_path / "db.duckdb")
    assert "is the database" in str(error)


def test_a_report_in_a_missing_folder_is_refused(con, tmp_path):
    path = write(tmp_path, "c", "customer_id,signed_up_at\nC1,2024-01-01\nC2,never\n")
    report = tmp_path / "no" / "such" / "r.csv"
    error = refused(con, "customers", path, report=report, skip_invalid=True)
    assert str(error) == (
        f"cannot write the report {report}: the folder {report.parent} does not exist"
    )
    assert not (tmp_path / "no").exists()


def test_a_report_naming_a_folder_is_refused(con, tmp_path):
    path = write(tmp_path, "c", "customer_id,signed_up_at\nC1,2024-01-01\nC2,never\n")
    (tmp_path / "out").mkdir()
    error = refused(con, "customers", path, report=tmp_path / "out", skip_invalid=True)
    assert str(error) == f"the report {tmp_path / 'out'} is a folder: name the file to write in it"
    assert list((tmp_path / "out").iterdir()) == []


def test_an_unreadable_input_is_named_not_a_traceback(con, tmp_path, monkeypatch):
    path = write(tmp_path, "c", CUSTOMERS)
    real_open = Path.open

    def no_access(self, *args, **kwargs):  # what the kernel says to a user without access
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_access)
    error = refused(con, "customers", path)
    assert str(error) == (
        f"cannot read {path} (permission denied): ask for access to it, or copy it somewhere "
        "you can read"
    )


@pytest.mark.parametrize(
    ("currency", "values"),
    [
        ("CNY", ["RMB 12", "12元", "￥12", "¥ 12", "12 CNY"]),
        ("JPY", ["12円", "￥12", "JPY 12"]),
        ("USD", ["US$12", "$ 12", "12 USD"]),
        ("HKD", ["HK$12", "$12", "12 HKD"]),
        ("CHF", ["CHF 12", "12 CHF"]),
    ],
)
def test_a_currency_is_accepted_in_each_of_its_marks(con, tmp_path, currency, values):
    settings.put(con, "currency", currency)
    rows = "".join(f'T{i},C1,2024-01-01,"{v}"\n' for i, v in enumerate(values))
    import_file(con, "transactions", write(tmp_path, "t", "transaction_id,customer_id,"
                                           "ordered_at,amount\n" + rows))  # fmt: skip
    assert con.execute("select distinct amount from transactions").fetchall() == [(12.0,)]


@pytest.mark.parametrize(
    ("currency", "value"), [("CNY", "12円"), ("JPY", "12元"), ("USD", "HK$12")]
)
def test_another_currencys_mark_is_refused(con, tmp_path, currency, value):
    settings.put(con, "currency", currency)
    text = f"transaction_id,customer_id,ordered_at,amount\nT1,C1,2024-01-01,{value}\n"
    error = rejected(con, "transactions", write(tmp_path, "t", text))
    assert "is in another currency than the database's" in str(error)


def test_settings_are_restored_and_nothing_is_left_behind(con, tmp_path):
    con.execute("set preserve_insertion_order = false")
    load(con, tmp_path, "customers")
    rejected(con, "customers", write(tmp_path, "bad", "customer_id,signed_up_at\nC1,x\n"))
    setting = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    assert setting == (False,)
    assert temp_tables(con) == []


def test_unknown_table(con, tmp_path):
    with pytest.raises(ValueError, match="unknown table 'orders'"):
        import_file(con, "orders", write(tmp_path, "c", CUSTOMERS))


def test_row_numbers_count_records_with_line_breaks_in_quotes(con, tmp_path):
    text = (
        "transaction_id,customer_id,ordered_at,amount,product_category\n"
        'T1,C1,2024-01-01,1,"two\nlines"\n'  # row 2
        "T2,C1,2024-01-02\n"  # row 3: broken
        "T3,C1,2024-01-03,oops,x\n"  # row 4
    )
    error = rejected(con, "transactions", write(tmp_path, "q", text))
    assert [(p.row, p.column) for p in error.problems] == [(3, None), (4, "amount")]
    import_file(con, "transactions", write(tmp_path, "q", text), skip_invalid=True)
    stored = con.execute("select product_category from transactions").fetchall()
    assert stored == [("two\nlines",)]


# --------------------------------------------------------------------------- semantics


def test_parse_constants():
    assert parse_constants(["kind=survey", " Channel = web, shop "]) == {
        "kind": "survey",
        "channel": "web, shop",
    }
    assert parse_constants(None) == {}
    with pytest.raises(ValueError, match="bad entry 'kind'"):
        parse_constants(["kind"])
    with pytest.raises(ValueError, match="unknown field 'mood'"):
        parse_constants(["mood=happy"])
    with pytest.raises(ValueError, match="set twice"):
        parse_constants(["kind=survey", "KIND=complaint"])


def test_constants_naming_the_key_or_a_foreign_field(con, tmp_path):
    path = write(tmp_path, "c", CUSTOMERS)
    with pytest.raises(ValueError, match="cannot give customer_id: it is the key"):
        import_file(con, "customers", path, constants={"customer_id": "C1"})
    with pytest.raises(ValueError, match="customers does not have"):
        import_file(con, "customers", path, constants={"csat": "5"})


def test_update_counts_and_columns_kept(con, tmp_path):
    load(con, tmp_path, "customers")
    text = "customer_id,signed_up_at,phone\nC1,2024-01-05,\nC3,2024-03-01,555-0103\n"
    result = import_file(con, "customers", write(tmp_path, "phones", text))
    assert (result.rows_inserted, result.rows_updated, result.rows_loaded) == (1, 1, 2)
    rows = con.execute("select customer_id, name, phone, city from customers order by 1")
    assert rows.fetchall() == [
        ("C1", "Ann Lee", None, "Oslo"),  # phone blanked on purpose, the rest kept
        ("C2", "Bo Chen", None, "Bergen"),  # not in the file: untouched
        ("C3", None, "555-0103", None),
    ]


def test_cli_import_with_set_and_map(tmp_path, capsys):
    from core.cli import main

    database = tmp_path / "cli.duckdb"
    customers = write(tmp_path, "customers", CUSTOMERS)
    assert main(["import", "customers", str(customers), "--db", str(database)]) == 0
    reviews = write(tmp_path, "reviews", "review_id,customer_id,when,score\nR1,C1,2024-03-01,4\n")
    argv = ["import", "feedback", str(reviews), "--db", str(database)]
    argv += ["--map", "feedback_id=review_id,submitted_at=when,csat=score"]
    assert main([*argv, "--set", "kind=survey", "--set", "channel=app"]) == 0
    assert "1 loaded into feedback (1 new, 0 updated)" in capsys.readouterr().out
    assert main([*argv, "--set", "kind=review"]) == 1
    assert "--set kind=review: 'review' is not one of" in capsys.readouterr().err
    assert main([*argv, "--set", "kind"]) == 2
    assert "error: --set: bad entry 'kind'" in capsys.readouterr().err
    con = db.connect(database)
    try:
        rows = con.execute("select feedback_id, kind, csat, channel from feedback").fetchall()
    finally:
        con.close()
    assert rows == [("R1", "survey", 4, "app")]


def test_invoice_lines_with_skip_invalid_note_the_order_id(con, tmp_path):
    text = (
        "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n"
        "536365,C1,2010-12-01 08:26,6,2.55\n536365,C1,2010-12-01 08:26,6,3.39\n"
        "536366,,2010-12-01 08:28,6,1.85\n536367,C2,2010-12-01 08:34,2,1.00\n"
    )
    mapping = parse_mapping(
        "transaction_id=InvoiceNo,customer_id=CustomerID,ordered_at=InvoiceDate,"
        "quantity=Quantity,unit_price=UnitPrice"
    )
    path = write(tmp_path, "retail", text)
    result = import_file(con, "transactions", path, mapping=mapping, skip_invalid=True)
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    (note,) = [line for line in result.summary() if line.startswith("note:")]
    assert "--map order_id=InvoiceNo" in note and "('536365')" in note
    mapping["order_id"] = mapping.pop("transaction_id")
    result = import_file(con, "transactions", path, mapping=mapping, skip_invalid=True)
    assert (result.rows_loaded, result.rows_rejected, result.warnings) == (3, 1, [])
    orders = "select count(distinct order_id) from transactions where order_id is not null"
    assert con.execute(orders).fetchone() == (2,)
