"""The table-driven import suite, part one: what values mean (issues 11 and 12).

One `Case` per kind of file: order lines and order ids, ids that repeat, money written
with a currency or thousands separators, values set for every row (`--set`), feedback
without a kind, dates after today, numbers too large to hold, updates that keep the
columns a file does not have, and the checks across rows (referrers, resolution before
submission, sign-up after the first purchase). A refused file must leave the database
UNCHANGED; a loaded one must leave exactly the rows listed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tests.core.import_cases import START, UNCHANGED, Case, run_case

T = dt.datetime
D = dt.date

ZONE = "Asia/Shanghai"  # the default business time zone
TODAY = dt.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()

RETAIL = (  # the UK online shop's export: many lines per invoice, C-invoices are refunds
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26,2.55,C1,United Kingdom\n"
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,C1,United Kingdom\n"
    "536366,22633,HAND WARMER,6,2010-12-01 08:28,1.85,C2,United Kingdom\n"
    "C536379,D,Discount,-1,2010-12-01 09:41,27.50,C1,United Kingdom\n"
)
RETAIL_MAP = {
    "order_id": "InvoiceNo",
    "customer_id": "CustomerID",
    "ordered_at": "InvoiceDate",
    "quantity": "Quantity",
    "unit_price": "UnitPrice",
    "product_id": "StockCode",
}
LINE_MAP = {k: v for k, v in RETAIL_MAP.items() if k != "order_id"}
TRANSACTIONS = (
    "transaction_id,customer_id,ordered_at,amount\n"
    "T1,C1,2024-03-01 10:00:00,120.5\n"
    "T2,C2,2024-03-15,30\n"
)
WITH_ORDERS = {**START, "transactions": TRANSACTIONS}
FEEDBACK = "feedback_id,customer_id,submitted_at,kind,csat\nF1,C1,2024-03-05 11:00,complaint,2\n"
CUSTOMER_ROWS = "customer_id, name, email, phone, signed_up_at, city, acquisition_cost"
AMOUNTS = {"transactions": "transaction_id, amount"}


def amounts(*values: str) -> str:
    """A transactions file with one row per amount, T1, T2, ... for customer C1."""
    rows = "".join(f'T{i},C1,2024-03-01,"{v}"\n' for i, v in enumerate(values, start=1))
    return "transaction_id,customer_id,ordered_at,amount\n" + rows


CASES = [
    # ------------------------------------------------------------- order lines, order_id
    Case(
        "order lines with an invoice number mapped as order_id",
        "transactions",
        RETAIL,
        name="online_retail.csv",
        kwargs={"mapping": RETAIL_MAP},
        columns={
            "transactions": "transaction_id, order_id, customer_id, ordered_at, "
            "round(amount, 2), quantity, product_id"
        },
        expect={
            "transactions": [
                ("online_retail:2", "536365", "C1", T(2010, 12, 1, 8, 26), 15.3, 6.0, "85123A"),
                ("online_retail:3", "536365", "C1", T(2010, 12, 1, 8, 26), 20.34, 6.0, "71053"),
                ("online_retail:4", "536366", "C2", T(2010, 12, 1, 8, 28), 11.1, 6.0, "22633"),
                ("online_retail:5", "C536379", "C1", T(2010, 12, 1, 9, 41), -27.5, -1.0, "D"),
            ]
        },
    ),
    Case(
        "an invoice number mapped as transaction_id repeats: the ids and order_id are named",
        "transactions",
        RETAIL,
        name="online_retail.csv",
        kwargs={"mapping": {**LINE_MAP, "transaction_id": "InvoiceNo"}},
        words=(
            "transaction_id repeats: 1 id is on more than one row ('536365')",
            "--map order_id=InvoiceNo",
            "row 2, column 'InvoiceNo': transaction_id '536365' appears on rows 2 and 3",
            "row 3, column 'InvoiceNo'",
        ),
    ),
    Case(
        "a column named transaction_id that repeats: the hint maps it as order_id",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount\n"
        "A1,C1,2024-03-01,1\nA1,C1,2024-03-01,2\nA2,C2,2024-03-02,3\nA2,C2,2024-03-02,4\n",
        words=(
            "2 ids are on more than one row ('A1', 'A2')",
            "--map order_id=transaction_id",
            "transaction_id 'A2' appears on rows 4 and 5",
        ),
    ),
    Case(
        "that hint followed: the same file with --map order_id=transaction_id loads per line",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount\nA1,C1,2024-03-01,1\nA1,C1,2024-03-01,2\n",
        name="lines.csv",
        kwargs={"mapping": {"order_id": "transaction_id"}},
        columns={"transactions": "transaction_id, order_id, amount"},
        expect={"transactions": [("lines:2", "A1", 1.0), ("lines:3", "A1", 2.0)]},
    ),
    Case(
        "a line id and an order id both given",
        "transactions",
        "transaction_id,order_id,customer_id,ordered_at,amount,product_id\n"
        "L1,O1,C1,2024-03-01,5,SKU-1\nL2,O1,C1,2024-03-01,7,SKU-2\n",
        columns={"transactions": "transaction_id, order_id, amount, product_id"},
        expect={"transactions": [("L1", "O1", 5.0, "SKU-1"), ("L2", "O1", 7.0, "SKU-2")]},
    ),
    Case(
        "order lines without a customer are refused with their row",
        "transactions",
        RETAIL.replace(
            "536366,22633,HAND WARMER,6,2010-12-01 08:28,1.85,C2",
            "536366,22633,HAND WARMER,6,2010-12-01 08:28,1.85,",
        ),
        kwargs={"mapping": RETAIL_MAP},
        words=("row 4, column 'CustomerID': required value is empty",),
    ),
    # ------------------------------------------------------------- duplicate ids name the ids
    Case(
        "a customer id on two rows",
        "customers",
        "customer_id,signed_up_at\nC7,2024-01-01\nC8,2024-01-01\nC9,2024-01-01\nC7,2024-01-02\n",
        words=("row 2, column 'customer_id': customer_id 'C7' appears on rows 2 and 5",),
    ),
    Case(
        "numeric customer ids that repeat: the id and the rows are told apart",
        "customers",
        "customer_id,signed_up_at\n2,2024-01-01\n3,2024-01-01\n2,2024-01-02\n3,2024-01-02\n",
        words=(
            "customer_id '2' appears on rows 2 and 4",
            "customer_id '3' appears on rows 3 and 5",
        ),
    ),
    Case(
        "a feedback id on three rows",
        "feedback",
        "feedback_id,customer_id,submitted_at,kind\n"
        "F1,C1,2024-03-01,survey\nF1,C1,2024-03-02,survey\nF1,C2,2024-03-03,complaint\n",
        words=("feedback_id 'F1' appears on rows 2, 3 and 4",),
    ),
    # ------------------------------------------------------------- numbers
    Case(
        "pounds, ISO codes and thousands separators in a GBP database",
        "transactions",
        amounts("£12.50", "1,234.50", "12.50 GBP", "GBP -3", "-£2.55", "1,234,567", "12,345"),
        settings={"currency": "GBP"},
        columns=AMOUNTS,
        expect={
            "transactions": [
                ("T1", 12.5),
                ("T2", 1234.5),
                ("T3", 12.5),
                ("T4", -3.0),
                ("T5", -2.55),
                ("T6", 1234567.0),
                ("T7", 12345.0),
            ]
        },
    ),
    Case(
        "any known currency when the database has none set",
        "transactions",
        amounts("HK$ 1,234", "¥12", "12元", "US$5", "€ 7.5", "3 CHF"),
        columns=AMOUNTS,
        expect={
            "transactions": [
                ("T1", 1234.0),
                ("T2", 12.0),
                ("T3", 12.0),
                ("T4", 5.0),
                ("T5", 7.5),
                ("T6", 3.0),
            ]
        },
    ),
    Case(
        "dollars in a GBP database are refused, not converted",
        "transactions",
        amounts("£1", "$12"),
        settings={"currency": "GBP"},
        words=("row 3, column 'amount': '$12' is in another currency", "GBP (£)"),
    ),
    Case(
        "a decimal comma is refused with what to write",
        "transactions",
        amounts("1,5"),
        words=("row 2, column 'amount': not a number: '1,5'", "write 1.5"),
    ),
    Case(
        "thousands groups that are not three digits are refused",
        "transactions",
        amounts("1,234.5", "12,34.5"),
        words=("row 3, column 'amount': not a number: '12,34.5' (a comma only separates",),
    ),
    Case(
        "a European 1.234,50 is refused",
        "transactions",
        amounts("1.234,50"),
        words=("not a number: '1.234,50'", "the decimal mark is a point"),
    ),
    Case(
        "an amount too large for a double (1e400)",
        "transactions",
        amounts("1e400"),
        words=("row 2, column 'amount': '1e400' is too large",),
    ),
    Case(
        "an amount beyond what build can sum (10^14 and more)",
        "transactions",
        amounts("99999999999999", "200000000000000"),
        words=(
            "row 3, column 'amount': '200000000000000' is too large: a number must be "
            "smaller than 100,000,000,000,000",
        ),
    ),
    Case(
        "words for infinity are not numbers",
        "transactions",
        amounts("inf", "NaN"),
        words=("row 2, column 'amount': not a number: 'inf'", "row 3"),
    ),
    Case(
        "a score beyond a whole number's range",
        "feedback",
        "feedback_id,customer_id,submitted_at,kind,csat\nF1,C1,2024-03-01,survey,1e19\n",
        words=("row 2, column 'csat': '1e19' is too large: a whole number is at most",),
    ),
    # ------------------------------------------------------------- --set and feedback kind
    Case(
        "reviews without a kind, loaded with --set kind=survey",
        "feedback",
        "feedback_id,customer_id,submitted_at,csat\nR1,C1,2024-03-01,5\nR2,C2,2024-03-02,\n",
        kwargs={"constants": {"kind": "survey"}},
        columns={"feedback": "feedback_id, kind, csat"},
        expect={"feedback": [("R1", "survey", 5), ("R2", "survey", None)]},
    ),
    Case(
        "reviews without a kind column: a row with a score is a survey",
        "feedback",
        "feedback_id,customer_id,submitted_at,csat\nR1,C1,2024-03-01,5\nR2,C2,2024-03-02,3\n",
        columns={"feedback": "feedback_id, kind, csat"},
        expect={"feedback": [("R1", "survey", 5), ("R2", "survey", 3)]},
    ),
    Case(
        "an empty kind next to an nps is a survey; a given kind is kept",
        "feedback",
        "feedback_id,customer_id,submitted_at,kind,nps\n"
        "R1,C1,2024-03-01,,9\nR2,C2,2024-03-02,Complaint,\n",
        columns={"feedback": "feedback_id, kind, nps"},
        expect={"feedback": [("R1", "survey", 9), ("R2", "complaint", None)]},
    ),
    Case(
        "no kind and no score: the row is named",
        "feedback",
        "feedback_id,customer_id,submitted_at,csat\nR1,C1,2024-03-01,5\nR2,C2,2024-03-02,\n",
        words=("row 3, column 'kind': kind is empty and the row has no csat or nps score",),
    ),
    Case(
        "feedback with neither a kind nor a score column",
        "feedback",
        "feedback_id,customer_id,submitted_at,category\nR1,C1,2024-03-01,price\n",
        words=("missing required column 'kind' (or csat / nps", "--set kind="),
    ),
    Case(
        "a --set value the field does not allow",
        "feedback",
        "feedback_id,customer_id,submitted_at,csat\nR1,C1,2024-03-01,5\n",
        kwargs={"constants": {"kind": "review"}},
        words=("--set kind=review: 'review' is not one of survey, complaint, suggestion",),
    ),
    Case(
        "--set for a field the file has as a column",
        "interactions",
        "interaction_id,customer_id,occurred_at,channel\nI1,C1,2024-03-01,phone\n",
        kwargs={"constants": {"channel": "email"}},
        words=("channel is both a column of the file ('channel') and set for every row",),
    ),
    Case(
        "--set gives a required field and a date to every row",
        "interactions",
        "interaction_id,customer_id\nI1,C1\nI2,C2\n",
        kwargs={"constants": {"channel": "email", "occurred_at": "2024/03/05 09:30"}},
        columns={"interactions": "interaction_id, occurred_at, channel"},
        expect={
            "interactions": [
                ("I1", T(2024, 3, 5, 9, 30), "email"),
                ("I2", T(2024, 3, 5, 9, 30), "email"),
            ]
        },
    ),
    # ------------------------------------------------------------- dates after today
    Case(
        "an order dated after today",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount\nT1,C1,2024-03-01,1\nT2,C1,2099-01-01,1\n",
        words=("row 3, column 'ordered_at': '2099-01-01' is in the future: after today", ZONE),
    ),
    Case(
        "an order late today in the business's time zone is allowed",
        "transactions",
        f"transaction_id,customer_id,ordered_at,amount\nT1,C1,{TODAY} 23:59:59,1\n",
        settings={"timezone": ZONE},
        columns={"transactions": "transaction_id, ordered_at"},
        expect={"transactions": [("T1", T.combine(TODAY, dt.time(23, 59, 59)))]},
    ),
    Case(
        "a customer signed up tomorrow",
        "customers",
        f"customer_id,signed_up_at\nC3,{TODAY + dt.timedelta(days=1)}\n",
        words=("row 2, column 'signed_up_at'", "is in the future"),
    ),
    Case(
        "a complaint resolved before it was submitted",
        "feedback",
        "feedback_id,customer_id,submitted_at,kind,resolved_at\n"
        "F1,C1,2024-03-05 11:00,complaint,2024-03-06\n"
        "F2,C2,2024-03-05 11:00,complaint,2024-03-04 09:00\n",
        words=(
            "row 3, column 'resolved_at': resolved at 2024-03-04 09:00:00, before it was "
            "submitted (2024-03-05 11:00:00)",
        ),
    ),
    # ------------------------------------------------------------- updates keep other columns
    Case(
        "re-importing customers from a file with fewer columns keeps the others",
        "customers",
        "customer_id,signed_up_at,city\nC1,2024-01-05,Leeds\nC3,2024-03-01,York\n",
        columns={"customers": CUSTOMER_ROWS},
        expect={
            "customers": [
                (
                    "C1",
                    "Ann Lee",
                    "ann@example.com",
                    "+86 138 0000 0000",
                    T(2024, 1, 5),
                    "Leeds",
                    12.5,
                ),
                ("C2", "Bo Chen", "bo@example.com", "555-0102", T(2024, 2, 10), None, 0.0),
                ("C3", None, None, None, T(2024, 3, 1), "York", None),
            ]
        },
    ),
    Case(
        "a column present but empty is a deliberate blank",
        "customers",
        "customer_id,signed_up_at,email,acquisition_cost\nC1,2024-01-05,,\n",
        columns={"customers": CUSTOMER_ROWS},
        expect={
            "customers": [
                ("C1", "Ann Lee", None, "+86 138 0000 0000", T(2024, 1, 5), None, None),
                ("C2", "Bo Chen", "bo@example.com", "555-0102", T(2024, 2, 10), None, 0.0),
            ]
        },
    ),
    Case(
        "transactions never overwrite a known customer; an unknown one is created",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount\nT1,C1,2024-03-01,5\nT2,C9,2024-04-01,7\n",
        columns={"customers": CUSTOMER_ROWS},
        expect={
            "customers": [
                (
                    "C1",
                    "Ann Lee",
                    "ann@example.com",
                    "+86 138 0000 0000",
                    T(2024, 1, 5),
                    None,
                    12.5,
                ),
                ("C2", "Bo Chen", "bo@example.com", "555-0102", T(2024, 2, 10), None, 0.0),
                ("C9", None, None, None, T(2024, 4, 1), None, None),
            ]
        },
    ),
    Case(
        "updating an order's amount keeps its cost and product",
        "transactions",
        "transaction_id,customer_id,ordered_at,amount\nT1,C1,2024-03-01 10:00:00,99\n",
        start={
            **START,
            "transactions": "transaction_id,customer_id,ordered_at,amount,cost,product_id\n"
            "T1,C1,2024-03-01 10:00:00,120.5,80,SKU-9\n",
        },
        columns={"transactions": "transaction_id, amount, cost, product_id"},
        expect={"transactions": [("T1", 99.0, 80.0, "SKU-9")]},
    ),
    Case(
        "a file of emails alone updates the customers it names",
        "customers",
        "customer_id,email\nC2,bo@new.example\n",
        columns={"customers": CUSTOMER_ROWS},
        expect={
            "customers": [
                (
                    "C1",
                    "Ann Lee",
                    "ann@example.com",
                    "+86 138 0000 0000",
                    T(2024, 1, 5),
                    None,
                    12.5,
                ),
                ("C2", "Bo Chen", "bo@new.example", "555-0102", T(2024, 2, 10), None, 0.0),
            ]
        },
    ),
    Case(
        "a file of emails alone cannot add a customer",
        "customers",
        "customer_id,email\nC2,bo@new.example\nC9,new@example.com\n",
        words=(
            "row 3, column 'customer_id': customer_id 'C9' is not in customers yet: a new row "
            "needs signed_up_at, which the file does not have",
        ),
    ),
    Case(
        "a first import still needs every required column",
        "customers",
        "customer_id,email\nC1,ann@example.com\n",
        start={},
        words=("row 1, column 'signed_up_at': missing required column 'signed_up_at'",),
    ),
    Case(
        "scores added to stored feedback keep its kind",
        "feedback",
        "feedback_id,csat\nF1,4\n",
        start={**START, "feedback": FEEDBACK},
        columns={"feedback": "feedback_id, customer_id, kind, csat"},
        expect={"feedback": [("F1", "C1", "complaint", 4)]},
    ),
    Case(
        "a resolution date alone is checked against the stored submission",
        "feedback",
        "feedback_id,resolved_at\nF1,2024-03-01\n",
        start={**START, "feedback": FEEDBACK},
        words=(
            "row 2, column 'resolved_at': resolved at 2024-03-01, before it was submitted "
            "(2024-03-05 11:00:00)",
        ),
    ),
    # ------------------------------------------------------------- checks across rows
    Case(
        "referred_by naming a customer nobody has",
        "customers",
        "customer_id,signed_up_at,referred_by\nC3,2024-03-01,C1\nC4,2024-03-01,C404\n",
        words=("row 3, column 'referred_by': referred_by 'C404' is not a customer",),
    ),
    Case(
        "a customer who refers themselves",
        "customers",
        "customer_id,signed_up_at,referred_by\nC3,2024-03-01,C3\n",
        words=("row 2, column 'referred_by': a customer cannot refer themselves ('C3')",),
    ),
    Case(
        "referrers from the database and from the same file are fine",
        "customers",
        "customer_id,signed_up_at,referred_by\nC3,2024-03-01,C4\nC4,2024-03-01,C1\n",
        columns={"customers": "customer_id, referred_by"},
        expect={"customers": [("C1", None), ("C2", None), ("C3", "C4"), ("C4", "C1")]},
    ),
    Case(
        "a sign-up after the customer's first purchase already loaded",
        "customers",
        "customer_id,signed_up_at\nC1,2024-01-05\nC2,2024-04-01\n",
        start=WITH_ORDERS,
        words=(
            "row 3, column 'signed_up_at': signed up at 2024-04-01, after this customer's "
            "first purchase already loaded (2024-03-15)",
        ),
    ),
    # ------------------------------------------------------------- older kinds, same rules
    Case(
        "feedback naming an unknown customer",
        "feedback",
        FEEDBACK.replace("F1,C1", "F1,C404"),
        words=("row 2, column 'customer_id': unknown customer 'C404'",),
    ),
    Case(
        "a file with a header and no rows",
        "feedback",
        "feedback_id,customer_id,submitted_at,kind\n",
        words=("the file has a header but no data rows",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_import_case(case: Case, tmp_path):
    run_case(case, tmp_path)


def test_the_suite_has_its_cases():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(c.expect == UNCHANGED for c in CASES) >= 15
