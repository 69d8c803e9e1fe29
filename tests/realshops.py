"""Data shaped like two real shops' exports, written by us, small and seeded.

- `uk_shop_lines`: a UK online gift shop's line-level export (the shape of the public
  "Online Retail" data set): one year (2010-12-01 to 2011-12-09), columns InvoiceNo,
  StockCode, Description, Quantity, InvoiceDate (as `12/1/2010 8:26`, month first),
  UnitPrice, CustomerID, Country; several lines per invoice; refunds are lines with a
  negative quantity on invoices starting with `C`; about a quarter of the lines have no
  customer; prices in pounds; no cost, no customers file, no interactions, no feedback.
  A few customers have only refunds (they bought before the export starts).
- `marketplace`: a marketplace's order export and its review export (the shape of the
  public Brazilian e-commerce data set): nearly one order per customer over 20 months,
  amounts in reais, a 1-5 review score with its date and no kind, no NPS, no interactions.

`uk_shop_tables` / `marketplace_tables` give the same data as the raw tables StarTier
stores (what an import of the files must produce), so databases can be made without the
importer and the importer can be checked against them.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from core import db, settings

UK_START = dt.datetime(2010, 12, 1, 8, 26)
UK_END = dt.datetime(2011, 12, 9, 12, 50)
UK_COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
UK_MAP = (
    "order_id=InvoiceNo,customer_id=CustomerID,ordered_at=InvoiceDate,quantity=Quantity,"
    "unit_price=UnitPrice,product_id=StockCode"
)
PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55),
    ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75),
    ("22423", "REGENCY CAKESTAND 3 TIER", 12.75),
    ("47566", "PARTY BUNTING", 4.95),
    ("85099B", "JUMBO BAG RED RETROSPOT", 1.65),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("22720", "SET OF 3 CAKE TINS PANTRY DESIGN", 4.95),
    ("21212", "PACK OF 72 RETROSPOT CAKE CASES", 0.42),
    ("POST", "POSTAGE", 18.00),
]
COUNTRIES = ["United Kingdom"] * 8 + ["Germany", "France"]


def _uk_time(rng: np.random.Generator, day: float) -> dt.datetime:
    """A shop-hours timestamp on day `day` of the export (minutes, no seconds)."""
    moment = UK_START + dt.timedelta(days=int(day), minutes=int(rng.integers(0, 540)))
    return min(moment, UK_END)


def uk_shop_lines(customers: int = 320, seed: int = 11) -> pd.DataFrame:
    """The line-level export as the shop writes it (text cells, real header)."""
    rng = np.random.default_rng(seed)
    span = (UK_END - UK_START).days
    rows: list[list[str]] = []
    invoice = 536365

    def add_invoice(customer: str, when: dt.datetime, country: str, refund: bool) -> None:
        nonlocal invoice
        invoice += 1
        number = f"C{invoice}" if refund else str(invoice)
        for _ in range(1 if refund else int(rng.integers(1, 9))):
            code, text, price = PRODUCTS[int(rng.integers(0, len(PRODUCTS)))]
            quantity = int(rng.choice([1, 2, 3, 4, 6, 12, 24]))
            rows.append(
                [
                    number,
                    code,
                    text,
                    str(-quantity if refund else quantity),
                    f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}",
                    f"{price:.2f}",
                    customer,
                    country,
                ]
            )

    # Buyers: BG/NBD-like (gamma purchase rates, a dropout chance after each invoice).
    rates = rng.gamma(0.9, 1 / 25.0, customers)  # invoices per day
    dropout = rng.beta(1.2, 6.0, customers)
    for i in range(customers):
        customer = str(12346 + i)
        country = COUNTRIES[int(rng.integers(0, len(COUNTRIES)))]
        day = float(rng.uniform(0, span * 0.9))
        while day <= span:
            when = _uk_time(rng, day)
            add_invoice(customer, when, country, refund=False)
            if rng.random() < 0.08:  # a return a few days later
                add_invoice(
                    customer, _uk_time(rng, min(day + rng.integers(1, 20), span)), country, True
                )
            if rng.random() < dropout[i]:
                break
            day += float(rng.exponential(1 / max(rates[i], 1e-3)))
    # Refund-only customers: they bought before the export starts.
    for i in range(4):
        add_invoice(str(18200 + i), _uk_time(rng, rng.uniform(0, span)), "United Kingdom", True)
    # Guest checkouts: lines without a customer, about a quarter of all lines.
    guests = len(rows) // 3
    while guests > 0:
        before = len(rows)
        add_invoice("", _uk_time(rng, rng.uniform(0, span)), "United Kingdom", False)
        guests -= len(rows) - before
    frame = pd.DataFrame(rows, columns=UK_COLUMNS)
    frame["_when"] = pd.to_datetime(frame["InvoiceDate"], format="%m/%d/%Y %H:%M")
    frame = frame.sort_values(["_when", "InvoiceNo"], kind="stable").drop(columns="_when")
    return frame.reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """`frame` as CSV, gzipped when the name ends in .gz."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    data = buffer.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def uk_shop_tables(lines: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What StarTier stores for the export: lines with a customer, customers from them."""
    kept = lines[lines["CustomerID"] != ""].copy()
    ordered_at = pd.to_datetime(kept["InvoiceDate"], format="%m/%d/%Y %H:%M")
    quantity = kept["Quantity"].astype(float)
    transactions = pd.DataFrame(
        {
            "transaction_id": [f"lines:{row + 2}" for row in kept.index],
            "order_id": kept["InvoiceNo"].to_numpy(),
            "customer_id": kept["CustomerID"].to_numpy(),
            "ordered_at": ordered_at.to_numpy(),
            "amount": (quantity * kept["UnitPrice"].astype(float)).round(6).to_numpy(),
            "quantity": quantity.to_numpy(),
            "product_id": kept["StockCode"].to_numpy(),
        }
    )
    first = transactions.groupby("customer_id")["ordered_at"].min()
    customers = pd.DataFrame({"customer_id": first.index, "signed_up_at": first.to_numpy()})
    return {"customers": customers, "transactions": transactions}


MARKET_START = dt.date(2017, 1, 1)
MARKET_DAYS = 610
STATES = ["SP", "RJ", "MG", "RS", "PR", "BA"]


def marketplace(customers: int = 420, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, reviews) as the marketplace exports them.

    Orders: order_id, customer_unique_id, order_purchase_timestamp, payment_value,
    customer_state. Reviews: review_id, order_id, customer_unique_id, review_score,
    review_creation_date. About 1 customer in 12 orders again.
    """
    rng = np.random.default_rng(seed)
    orders, reviews = [], []
    number = 0
    for i in range(customers):
        customer = f"u{i:05d}"
        state = STATES[int(rng.integers(0, len(STATES)))]
        day = int(rng.integers(0, MARKET_DAYS))
        count = 1 + (rng.random() < 0.085) * int(rng.integers(1, 4))
        for _ in range(count):
            if day >= MARKET_DAYS:
                break
            number += 1
            order = f"o{number:06d}"
            when = dt.datetime.combine(MARKET_START, dt.time(10)) + dt.timedelta(
                days=day, minutes=int(rng.integers(0, 600))
            )
            value = round(float(rng.gamma(2.2, 65.0)), 2)
            orders.append([order, customer, when.strftime("%Y-%m-%d %H:%M:%S"), value, state])
            if rng.random() < 0.9:
                score = int(rng.choice([1, 2, 3, 4, 5], p=[0.11, 0.03, 0.08, 0.19, 0.59]))
                reviewed = (when + dt.timedelta(days=int(rng.integers(5, 20)))).date()
                if reviewed < MARKET_START + dt.timedelta(days=MARKET_DAYS + 20):
                    reviews.append([f"r{number:06d}", order, customer, score, reviewed.isoformat()])
            day += int(rng.integers(20, 200))
    order_frame = pd.DataFrame(
        orders,
        columns=[
            "order_id",
            "customer_unique_id",
            "order_purchase_timestamp",
            "payment_value",
            "customer_state",
        ],
    )
    review_frame = pd.DataFrame(
        reviews,
        columns=[
            "review_id",
            "order_id",
            "customer_unique_id",
            "review_score",
            "review_creation_date",
        ],
    )
    return order_frame, review_frame


MARKET_ORDERS_MAP = (
    "transaction_id=order_id,customer_id=customer_unique_id,"
    "ordered_at=order_purchase_timestamp,amount=payment_value"
)
MARKET_REVIEWS_MAP = (
    "feedback_id=review_id,customer_id=customer_unique_id,submitted_at=review_creation_date,"
    "csat=review_score"
)


def marketplace_tables(orders: pd.DataFrame, reviews: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What StarTier stores for the two exports (reviews are surveys)."""
    ordered_at = pd.to_datetime(orders["order_purchase_timestamp"])
    transactions = pd.DataFrame(
        {
            "transaction_id": orders["order_id"],
            "customer_id": orders["customer_unique_id"],
            "ordered_at": ordered_at,
            "amount": orders["payment_value"].astype(float),
        }
    )
    first = transactions.groupby("customer_id")["ordered_at"].min()
    customers = pd.DataFrame({"customer_id": first.index, "signed_up_at": first.to_numpy()})
    feedback = pd.DataFrame(
        {
            "feedback_id": reviews["review_id"],
            "customer_id": reviews["customer_unique_id"],
            "submitted_at": pd.to_datetime(reviews["review_creation_date"]),
            "kind": "survey",
            "csat": reviews["review_score"].astype("int64"),
        }
    )
    return {"customers": customers, "transactions": transactions, "feedback": feedback}


def load_tables(con, tables: dict[str, pd.DataFrame], currency: str) -> None:
    """Insert the raw tables directly (columns the frames lack stay empty) and set the
    shop's currency (which raises the data version once)."""
    for name, frame in tables.items():
        db.insert_frame(con, name, frame)
    settings.put(con, "currency", currency)
