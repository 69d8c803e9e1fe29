"""The table-driven import suite, part two: how files are written (issues 11 and 12).

One `Case` per kind of file: encodings (GBK whose Chinese reads as valid UTF-8, one GBK or
Latin-1 row in a UTF-8 file, Latin-1, Windows-1252, UTF-16 with and without a byte-order
mark, an encoding given by the user), NUL bytes, old-Mac CR line ends, quoted values with
empty lines, .gz and .zip inputs, UTC offsets and zone-aware Parquet timestamps, day/month
orders, and other awkward files (BOM, trailing delimiters, spaced headers). A refused file
must leave the database UNCHANGED; a loaded one must leave exactly the rows listed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import cli, db, importer
from tests.core.import_cases import UNCHANGED, Case, run_case

T = dt.datetime

NAMES = {"customers": "customer_id, name"}
START_NAMES = [("C1", "Ann Lee"), ("C2", "Bo Chen")]
WHEN = {"transactions": "transaction_id, ordered_at"}
CATEGORY = {"transactions": "transaction_id, product_category"}
ORDERS = "transaction_id,customer_id,ordered_at,amount\nT1,C1,2024-03-05 10:00,12.5\n"


def customers(*rows: str) -> str:
    """A customers file: `customer_id,name,signed_up_at` and the rows given."""
    return "customer_id,name,signed_up_at\n" + "".join(r + "\n" for r in rows)


def named(*rows: tuple[str, str]) -> dict[str, list[tuple]]:
    """The customers the start holds plus the rows given, as (customer_id, name)."""
    return {"customers": sorted([*START_NAMES, *rows])}


def stamps(*values: str) -> str:
    """A transactions file with one row per ordered_at value: T1, T2, ... of customer C1."""
    rows = "".join(f"T{i},C1,{v},1\n" for i, v in enumerate(values, start=1))
    return "transaction_id,customer_id,ordered_at,amount\n" + rows


def ordered(*values: T) -> dict[str, list[tuple]]:
    """Expected transactions T1, T2, ... with these ordered_at values."""
    return {"transactions": [(f"T{i}", v) for i, v in enumerate(values, start=1)]}


def gz(name: str, data: bytes):
    def write(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(gzip.compress(data))
        return path

    return write


def zipped(name: str, members: dict[str, bytes]):
    def write(tmp_path: Path) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in members.items():
                archive.writestr(member, data)
        return path

    return write


def xlsx_bytes(text: str) -> bytes:
    book = openpyxl.Workbook()
    for line in text.splitlines():
        book.active.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def parquet(name: str, table: pa.Table):
    def write(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(parquet_bytes(table))
        return path

    return write


def zoned_orders(zone: str | None) -> pa.Table:
    """Two orders at 2024-03-05 01:30 UTC and 23:00 UTC, in a column of time zone `zone`."""
    instants = [T(2024, 3, 5, 1, 30), T(2024, 3, 5, 23, 0)]
    return pa.table(
        {
            "transaction_id": ["T1", "T2"],
            "customer_id": ["C1", "C2"],
            "ordered_at": pa.array(instants, pa.timestamp("us", tz=zone)),
            "amount": [1.0, 2.0],
        }
    )


LONG_ASCII = "".join(f"C{i},plain,2024-01-01\n" for i in range(100, 5100))  # > 64 KiB
EXPORT = (  # the UK online shop's dates: month/day/year with a time, no zero padding
    "InvoiceNo,CustomerID,InvoiceDate,Amount\n"
    "536365,C1,12/1/2010 8:26,15.3\n"
    "536366,C2,12/1/2010 8:28,11.1\n"
    "536367,C1,12/13/2010 9:01,7\n"
)
EXPORT_MAP = {
    "transaction_id": "InvoiceNo",
    "customer_id": "CustomerID",
    "ordered_at": "InvoiceDate",
    "amount": "Amount",
}

CASES = [
    # ------------------------------------------------------------- encodings
    Case(
        "GBK whose only Chinese, 食品, is also valid UTF-8 (ʳƷ): read as GBK",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount,product_category\n"
        "T1,C1,2024-03-05,10,食品\nT2,C2,2024-03-06,5,books\n".encode("gbk"),
        columns=CATEGORY,
        expect={"transactions": [("T1", "食品"), ("T2", "books")]},
    ),
    Case(
        "GBK 食品 on a last line without a line end",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount,product_category\n"
        "T1,C1,2024-03-05,10,食品".encode("gbk"),
        columns=CATEGORY,
        expect={"transactions": [("T1", "食品")]},
    ),
    Case(
        "GBK names throughout",
        "customers",
        customers("C3,张三,2024-01-01", "C4,李四,2024-01-02").encode("gbk"),
        columns=NAMES,
        expect=named(("C3", "张三"), ("C4", "李四")),
    ),
    Case(
        "GBK that Windows-1252 also decodes (杜静 as ¶Å¾²) and Big5 too (黎萍 as 燮じ)",
        "customers",
        customers("C3,杜静,2024-01-01", "C4,黎萍,2024-01-01").encode("gbk"),
        columns=NAMES,
        expect=named(("C3", "杜静"), ("C4", "黎萍")),
    ),
    Case(
        "GBK only after 64 KiB of ASCII",
        "customers",
        (customers() + LONG_ASCII + "C9999,王五,2024-01-02\n").encode("gbk"),
        columns={"customers": "distinct name"},
        expect={"customers": [("Ann Lee",), ("Bo Chen",), ("plain",), ("王五",)]},
    ),
    Case(
        "a UTF-8 file with one GBK row is refused naming that row",
        "customers",
        customers("C3,张三,2024-01-01", "C4,王小明,2024-01-02").encode()
        + "C5,李四,2024-01-03\n".encode("gbk"),
        words=("row 4:", "not UTF-8 on this row", "mixes encodings", "--encoding"),
    ),
    Case(
        "a UTF-8 file with one Latin-1 row far down is refused naming that row",
        "customers",
        (customers("C3,张三,2024-01-01") + LONG_ASCII).encode()
        + "C6,Renée,2024-01-03\n".encode("latin-1"),
        words=("row 5003:", "mixes encodings"),
    ),
    Case(
        "the same GBK row refused when the user says UTF-8",
        "customers",
        customers("C3,plain,2024-01-01").encode() + "C5,李四,2024-01-03\n".encode("gbk"),
        kwargs={"encoding": "utf-8"},
        words=("row 3:", "not UTF-8 (the encoding you gave)"),
    ),
    Case(
        "Latin-1: Renée Müller",
        "customers",
        customers("C3,Renée Müller,2024-01-01", "C4,José Núñez,2024-01-02").encode("latin-1"),
        columns=NAMES,
        expect=named(("C3", "Renée Müller"), ("C4", "José Núñez")),
    ),
    Case(
        "Windows-1252: curly quotes, a dash and the euro sign",
        "customers",
        customers("C3,“Zoë” Brontë – €,2024-01-01").encode("cp1252"),
        columns=NAMES,
        expect=named(("C3", "“Zoë” Brontë – €")),
    ),
    Case(
        "an encoding given by the user: Big5",
        "customers",
        customers("C3,陳大文,2024-01-01").encode("big5"),
        kwargs={"encoding": "big5"},
        columns=NAMES,
        expect=named(("C3", "陳大文")),
    ),
    Case(
        "a GBK row where the user said Big5: refused naming the row",
        "customers",
        customers("C3,plain,2024-01-01", "C4,食品,2024-01-01").encode("gbk")
        + b"C5,\x81\x30,2024-01-01\n",
        kwargs={"encoding": "big5"},
        words=("row 4:", "not Big5"),
    ),
    Case(
        "UTF-8 with a byte-order mark, CRLF line ends and semicolons",
        "customers",
        "\ufeffcustomer_id;name;signed_up_at\r\nC3;张三;2024-01-01\r\n".encode(),
        columns=NAMES,
        expect=named(("C3", "张三")),
    ),
    Case(
        "UTF-16 with a byte-order mark, tab-separated",
        "customers",
        "customer_id\tname\tsigned_up_at\nC3\t张三\t2024-01-01\n".encode("utf-16"),
        name="input.tsv",
        columns=NAMES,
        expect=named(("C3", "张三")),
    ),
    Case(
        "UTF-16 without a byte-order mark is refused with the hint",
        "customers",
        customers("C3,张三,2024-01-01").encode("utf-16-le"),
        words=("binary content", "UTF-16", "--encoding utf-16"),
    ),
    Case(
        "UTF-16 without a byte-order mark, encoding given",
        "customers",
        customers("C3,张三,2024-01-01").encode("utf-16-le"),
        kwargs={"encoding": "utf-16-le"},
        columns=NAMES,
        expect=named(("C3", "张三")),
    ),
    # ------------------------------------------------------------- NUL, line ends, rows
    Case(
        "a NUL byte after the first 64 KiB is refused naming its row",
        "customers",
        customers() + LONG_ASCII + "C9999,bad\x00name,2024-01-02\n",
        words=("row 5002:", "NUL byte"),
    ),
    Case(
        "a NUL byte in a short file",
        "customers",
        customers("C3,ok,2024-01-01", "C4,b\x00d,2024-01-01"),
        words=("row 3:", "NUL byte"),
    ),
    Case(
        "a NUL in a GBK file is found in its UTF-8 copy",
        "customers",
        customers("C3,张三,2024-01-01", "C4,李\x00四,2024-01-01").encode("gbk"),
        words=("row 3:", "NUL byte"),
    ),
    Case(
        "old Mac CR-only line ends are read as rows",
        "customers",
        customers("C3,Cleo,2024-01-01", "C4,Dev,2024-01-02").replace("\n", "\r"),
        columns=NAMES,
        expect=named(("C3", "Cleo"), ("C4", "Dev")),
    ),
    Case(
        "CR-only line ends: a bad value is named on its row",
        "customers",
        customers("C3,Cleo,2024-01-01", "", "C4,Dev,someday").replace("\n", "\r"),
        words=("row 4, column 'signed_up_at': unparseable date 'someday'",),
    ),
    Case(
        "an LF header on CRLF rows (DuckDB reads neither mix): read as rows",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount,product_category\n"
        'T1,C1,2024-03-05,1,"first\r\n\r\nsecond"\r\nT2,C1,2024-03-06,2,x\r\n',
        columns=CATEGORY,
        expect={"transactions": [("T1", "first\n\nsecond"), ("T2", "x")]},
    ),
    Case(
        "a quoted value holding an empty line does not shift later rows",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount,product_category\n"
        'T1,C1,2024-03-05,1,"first\n\nsecond"\n'
        "\n"
        "T2,C1,2024-03-06,oops,x\n",
        words=("row 4, column 'amount'",),
    ),
    Case(
        "a quoted value holding an empty line is kept whole",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount,product_category\r\n"
        'T1,C1,2024-03-05,1,"first\r\n\r\nsecond"\r\nT2,C1,2024-03-06,2,x\r\n',
        columns=CATEGORY,
        expect={"transactions": [("T1", "first\r\n\r\nsecond"), ("T2", "x")]},
    ),
    # ------------------------------------------------------------- compressed inputs
    Case(
        "orders.csv.gz: ids made from the inner file's stem",
        "transactions",
        gz("orders.csv.gz", b"customer_id,ordered_at,amount\nC1,2024-03-05,1\nC2,2024-03-06,2\n"),
        columns={"transactions": "transaction_id, amount"},
        expect={"transactions": [("orders:2", 1.0), ("orders:3", 2.0)]},
    ),
    Case(
        "a GBK CSV inside a .gz",
        "customers",
        gz("people.csv.gz", customers("C3,张三,2024-01-01").encode("gbk")),
        columns=NAMES,
        expect=named(("C3", "张三")),
    ),
    Case(
        "a damaged .gz is refused",
        "customers",
        b"\x1f\x8b\x08\x00 this is not really gzip",
        name="people.csv.gz",
        words=("not a readable gzip file",),
    ),
    Case(
        "a .zip holding one CSV (and a macOS folder entry)",
        "customers",
        zipped(
            "export.zip",
            {"data/people.csv": customers("C3,Cleo,2024-01-01").encode(), "__MACOSX/x": b""},
        ),
        columns=NAMES,
        expect=named(("C3", "Cleo")),
    ),
    Case(
        "a .zip holding one Excel workbook",
        "customers",
        zipped("export.zip", {"people.xlsx": xlsx_bytes(customers("C3,Cleo,2024-01-01"))}),
        columns=NAMES,
        expect=named(("C3", "Cleo")),
    ),
    Case(
        "a .zip holding one Parquet file",
        "transactions",
        zipped("export.zip", {"orders.parquet": parquet_bytes(zoned_orders(None))}),
        columns=WHEN,
        expect=ordered(T(2024, 3, 5, 1, 30), T(2024, 3, 5, 23, 0)),
    ),
    Case(
        "a .zip holding several data files is refused naming them",
        "customers",
        zipped("export.zip", {"a.csv": b"x\n", "b.csv": b"y\n", "readme.md": b"hi"}),
        words=("several data files (a.csv, b.csv)", "--member"),
    ),
    Case(
        "the file to import named in a .zip holding several",
        "customers",
        zipped("export.zip", {"a.csv": b"x\n", "b.csv": customers("C3,Cleo,2024-01-01").encode()}),
        kwargs={"member": "b.csv"},
        columns=NAMES,
        expect=named(("C3", "Cleo")),
    ),
    Case(
        "a .zip without a data file",
        "customers",
        zipped("export.zip", {"readme.md": b"hi"}),
        words=("holds no CSV, Excel or Parquet file (it holds readme.md)",),
    ),
    # ------------------------------------------------------------- time zones
    Case(
        "UTC offsets converted into the business time zone (Asia/Shanghai)",
        "transactions",
        stamps(
            "2024-03-05 01:30+08:00",
            "2024-03-05 01:30Z",
            "2024-03-05T01:30:00-05:00",
            "2024-03-05 01:30:00 +0530",
            "2024-03-05 01:30",
            "2024-03-05",
        ),
        columns=WHEN,
        expect=ordered(
            T(2024, 3, 5, 1, 30),
            T(2024, 3, 5, 9, 30),
            T(2024, 3, 5, 14, 30),
            T(2024, 3, 5, 4, 0),
            T(2024, 3, 5, 1, 30),
            T(2024, 3, 5),
        ),
    ),
    Case(
        "zone names converted into the business time zone (Asia/Shanghai)",
        "transactions",
        stamps(
            "2024-03-05 01:30 UTC",
            "2024-03-05 01:30:00 GMT",
            "2024-07-05T12:00:00 Europe/London",
            "2024-03-05 01:30 America/Argentina/Salta",
            "2024-03-05 09:30 Asia/Shanghai",
        ),
        columns=WHEN,
        expect=ordered(
            T(2024, 3, 5, 9, 30),
            T(2024, 3, 5, 9, 30),
            T(2024, 7, 5, 19, 0),
            T(2024, 3, 5, 12, 30),
            T(2024, 3, 5, 9, 30),
        ),
    ),
    Case(
        "a zone abbreviation (several zones) or an unknown zone name is refused, not dropped",
        "transactions",
        stamps("2024-03-05 01:30 UTC", "2024-03-05 01:30 CST", "2024-03-05 01:30 Mars/Olympus"),
        words=("row 3", "unknown time zone in '2024-03-05 01:30 CST'", "row 4", "Mars/Olympus"),
    ),
    Case(
        "a 12-hour time is read with its AM or PM, not dropped (a one-letter word is no zone)",
        "transactions",
        stamps(
            "2024-03-05 01:30 PM",
            "2024-03-05 12:15 am",
            "2024-03-05 12:15:30 PM",
            "2024-03-05 13:30 h",
        ),
        columns=WHEN,
        expect=ordered(
            T(2024, 3, 5, 13, 30),
            T(2024, 3, 5, 0, 15),
            T(2024, 3, 5, 12, 15, 30),
            T(2024, 3, 5, 13, 30),
        ),
    ),
    Case(
        "a 12-hour time with an hour above 12 is refused",
        "transactions",
        stamps("2024-03-05 01:30 PM", "2024-03-05 13:30 PM"),
        words=("row 3", "unparseable date '2024-03-05 13:30 PM'"),
    ),
    Case(
        "another business time zone: Europe/London",
        "transactions",
        stamps("2024-03-05 01:30+08:00", "2024-07-05 12:00Z", "2024-07-05 12:00"),
        settings={"timezone": "Europe/London"},
        columns=WHEN,
        expect=ordered(T(2024, 3, 4, 17, 30), T(2024, 7, 5, 13, 0), T(2024, 7, 5, 12, 0)),
    ),
    Case(
        "a zone-aware Parquet timestamp is converted into the business time zone",
        "transactions",
        parquet("orders.parquet", zoned_orders("UTC")),
        columns=WHEN,
        expect=ordered(T(2024, 3, 5, 9, 30), T(2024, 3, 6, 7, 0)),
    ),
    Case(
        "a Parquet timestamp in New York time",
        "transactions",
        parquet("orders.parquet", zoned_orders("America/New_York")),
        settings={"timezone": "UTC"},
        columns=WHEN,
        expect=ordered(T(2024, 3, 5, 1, 30), T(2024, 3, 5, 23, 0)),
    ),
    # ------------------------------------------------------------- day/month order
    Case(
        "month/day/year as the UK shop exports it (12/13 tells)",
        "transactions",
        EXPORT,
        kwargs={"mapping": EXPORT_MAP},
        columns=WHEN,
        expect={
            "transactions": [
                ("536365", T(2010, 12, 1, 8, 26)),
                ("536366", T(2010, 12, 1, 8, 28)),
                ("536367", T(2010, 12, 13, 9, 1)),
            ]
        },
    ),
    Case(
        "month-first dates with seconds, the telling value last",
        "transactions",
        stamps("3/4/2024 10:11:12", "3/5/2024", "12/31/2024 23:59:59"),
        columns=WHEN,
        expect=ordered(T(2024, 3, 4, 10, 11, 12), T(2024, 3, 5), T(2024, 12, 31, 23, 59, 59)),
    ),
    Case(
        "month-first birth dates (a DATE column)",
        "customers",
        customers().replace("\n", ",birth_date\n")
        + "C3,Cleo,2024-01-01,2/3/1990\nC4,Dev,2024-01-01,12/25/1985\n",
        columns={"customers": "customer_id, birth_date"},
        expect={
            "customers": [
                ("C1", None),
                ("C2", None),
                ("C3", dt.date(1990, 2, 3)),
                ("C4", dt.date(1985, 12, 25)),
            ]
        },
    ),
    Case(
        "day/month/year (13/12 tells)",
        "transactions",
        stamps("1/12/2010", "13/12/2010 18:05", "5/3/2024"),
        columns=WHEN,
        expect=ordered(T(2010, 12, 1), T(2010, 12, 13, 18, 5), T(2024, 3, 5)),
    ),
    Case(
        "dotted day.month.year",
        "transactions",
        stamps("05.03.2024", "31.03.2024 08:00:00"),
        columns=WHEN,
        expect=ordered(T(2024, 3, 5), T(2024, 3, 31, 8)),
    ),
    Case(
        "every date reads both ways: refused asking for the order",
        "transactions",
        stamps("1/12/2010", "2/12/2010"),
        words=("column 'ordered_at'", "no value in the column tells", "--date-order"),
    ),
    Case(
        "every date reads both ways, the order given",
        "transactions",
        stamps("1/12/2010", "2/12/2010 10:00"),
        kwargs={"date_order": "mdy"},
        columns=WHEN,
        expect=ordered(T(2010, 1, 12), T(2010, 2, 12, 10)),
    ),
    Case(
        "both orders in one column: refused naming the row that disagrees",
        "transactions",
        stamps("1/12/2010", "13/12/2010", "", "12/14/2010").replace("T3,C1,,1\n", "\n"),
        words=("row 5, column 'ordered_at'", "month-first but row 3's is day-first"),
    ),
    Case(
        "the order given, a value that contradicts it is named",
        "transactions",
        stamps("1/12/2010", "13/12/2010"),
        kwargs={"date_order": "mdy"},
        words=("row 3, column 'ordered_at': unparseable date '13/12/2010'",),
    ),
    # ------------------------------------------------------------- other awkward files
    Case(
        "header names with spaces and another case",
        "customers",
        " Customer_ID , Name ,Signed_Up_At \nC3,Cleo,2024-01-01\n",
        columns=NAMES,
        expect=named(("C3", "Cleo")),
    ),
    Case(
        "a delimiter at the end of every line",
        "customers",
        "customer_id,name,signed_up_at,\nC3,Cleo,2024-01-01,\nC4,Dev,2024-01-02,\n",
        columns=NAMES,
        expect=named(("C3", "Cleo"), ("C4", "Dev")),
    ),
    Case(
        "a file of only a byte-order mark",
        "customers",
        b"\xef\xbb\xbf",
        words=("empty",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_import_case(case: Case, tmp_path):
    run_case(case, tmp_path)


def test_the_suite_has_its_cases():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(c.expect == UNCHANGED for c in CASES) >= 10


def test_an_unknown_encoding_or_date_order_is_a_clear_error(tmp_path):
    con = db.connect(tmp_path / "x.duckdb")
    path = tmp_path / "c.csv"
    path.write_text(customers("C3,Cleo,2024-01-01"))
    with pytest.raises(ValueError, match="unknown encoding 'klingon': use a name such as utf-8"):
        importer.import_file(con, "customers", path, encoding="klingon")
    with pytest.raises(ValueError, match="not a text encoding"):
        importer.import_file(con, "customers", path, encoding="base64")
    with pytest.raises(ValueError, match="unknown date order 'ymd'"):
        importer.import_file(con, "customers", path, date_order="ymd")
    assert con.execute("select count(*) from customers").fetchone() == (0,)


def test_the_summary_says_the_encoding_when_not_utf8(tmp_path):
    con = db.connect(tmp_path / "x.duckdb")
    path = tmp_path / "c.csv"
    path.write_bytes(customers("C3,Renée Müller,2024-01-01").encode("latin-1"))
    summary = importer.import_file(con, "customers", path).summary()
    assert "text encoding: Windows-1252 (Latin-1), detected" in summary
    path.write_text(customers("C3,张三,2024-01-01"))
    summary = importer.import_file(con, "customers", path).summary()
    assert not any("encoding" in line for line in summary)


def test_the_summary_says_the_date_order_it_decided(tmp_path):
    con = db.connect(tmp_path / "x.duckdb")
    path = tmp_path / "t.csv"
    path.write_text(stamps("12/13/2010 9:01"))
    result = importer.import_file(con, "transactions", path)
    assert "note: dates in column 'ordered_at' read as month/day/year" in "\n".join(
        result.summary()
    )


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_offsets_do_not_depend_on_the_connection_time_zone(tmp_path, zone):
    con = db.connect(tmp_path / "x.duckdb")
    con.execute(f"set TimeZone = '{zone}'")  # a fixed test value, not user data
    csv = tmp_path / "t.csv"
    csv.write_text(stamps("2024-03-05 01:30Z", "2024-03-05 01:30").replace("T", "S"))
    importer.import_file(con, "transactions", csv)
    pq_path = tmp_path / "orders.parquet"
    pq_path.write_bytes(parquet_bytes(zoned_orders("UTC")))
    importer.import_file(con, "transactions", pq_path)
    rows = con.execute("select ordered_at from transactions order by ordered_at").fetchall()
    assert [r[0] for r in rows] == [
        T(2024, 3, 5, 1, 30),  # S2: no offset, business time as written
        T(2024, 3, 5, 9, 30),  # S1: 01:30Z
        T(2024, 3, 5, 9, 30),  # the Parquet T1: 01:30 UTC
        T(2024, 3, 6, 7, 0),  # the Parquet T2: 23:00 UTC
    ]


def test_the_command_line_passes_encoding_date_order_and_member(tmp_path, capsys):
    database = str(tmp_path / "cli.duckdb")
    people = tmp_path / "people.csv"
    people.write_bytes(customers("C3,Renée,2024-01-01").encode("latin-1"))
    assert (
        cli.main(["import", "customers", str(people), "--db", database, "--encoding", "latin-1"])
        == 0
    )
    assert "text encoding: Latin-1 (ISO-8859-1), as given" in capsys.readouterr().out
    export = tmp_path / "export.zip"
    zipped("export.zip", {"a.csv": b"x", "orders.csv": stamps("1/2/2024").encode()})(tmp_path)
    argv = ["import", "transactions", str(export), "--db", database, "--member", "orders.csv"]
    assert cli.main([*argv, "--date-order", "mdy"]) == 0
    assert "read orders.csv from export.zip" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main([*argv, "--encoding", "klingon"])
    assert "unknown encoding 'klingon'" in capsys.readouterr().err
    con = db.connect(database)
    assert con.execute("select name from customers where customer_id = 'C3'").fetchall() == [
        ("Renée",)
    ]
    assert con.execute("select ordered_at from transactions").fetchall() == [(T(2024, 1, 2),)]
