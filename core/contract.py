"""The import contract: the four raw tables, their fields, types and which are required.

This is the one place that says what a user's file must hold; the database schema, the
importer's checks and the README's data contract all read from it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Field kinds. Each maps to one DuckDB type and one way of reading text.
TEXT = "text"
TIMESTAMP = "timestamp"
DATE = "date"
NUMBER = "number"
INTEGER = "integer"

SQL_TYPES = {
    TEXT: "varchar",
    TIMESTAMP: "timestamp",
    DATE: "date",
    NUMBER: "double",
    INTEGER: "bigint",
}


@dataclass(frozen=True)
class Field:
    """One column of a raw table."""

    name: str
    kind: str = TEXT
    required: bool = False
    low: float | None = None  # inclusive bounds for numbers, checked on import
    high: float | None = None
    choices: tuple[str, ...] = ()  # allowed values, checked case-insensitively
    help: str = ""


@dataclass(frozen=True)
class Table:
    """One raw table: its name, its key and its fields in order."""

    name: str
    key: str
    fields: tuple[Field, ...]
    help: str = ""

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}; fields are {', '.join(self.columns)}")


CUSTOMERS = Table(
    "customers",
    key="customer_id",
    help="one row per customer",
    fields=(
        Field("customer_id", required=True, help="your customer key"),
        Field("name"),
        Field("email"),
        Field("phone"),
        Field("signed_up_at", TIMESTAMP, required=True, help="when the customer was acquired"),
        Field("region"),
        Field("city"),
        Field("acquisition_channel"),
        Field("acquisition_cost", NUMBER, low=0, help="what acquiring the customer cost"),
        Field("birth_date", DATE),
        Field("referred_by", help="customer_id of the customer who referred this one"),
    ),
)

TRANSACTIONS = Table(
    "transactions",
    key="transaction_id",
    help="one row per order line or order",
    fields=(
        Field("transaction_id", required=True, help="key of the row: the order line, or the order"),
        Field(
            "order_id",
            help="the order several lines share (e.g. an invoice number); orders are counted "
            "by it, by the row where it is absent",
        ),
        Field("customer_id", required=True),
        Field("ordered_at", TIMESTAMP, required=True),
        Field("amount", NUMBER, required=True, help="net of discount; negative = refund"),
        Field("cost", NUMBER, help="cost of goods; gives margin"),
        Field("quantity", NUMBER),
        Field("product_id", help="the product, e.g. a stock code"),
        Field("product_category"),
        Field("channel"),
    ),
)

INTERACTIONS = Table(
    "interactions",
    key="interaction_id",
    help="one row per touchpoint",
    fields=(
        Field("interaction_id", required=True),
        Field("customer_id", required=True),
        Field("occurred_at", TIMESTAMP, required=True),
        Field("channel", required=True, help="phone, email, sms, wechat, visit, event, ..."),
        Field("kind", help="outreach, inquiry, complaint, follow_up, ..."),
        Field("direction", choices=("inbound", "outbound")),
    ),
)

FEEDBACK = Table(
    "feedback",
    key="feedback_id",
    help="one row per survey answer or complaint",
    fields=(
        Field("feedback_id", required=True),
        Field("customer_id", required=True),
        Field("submitted_at", TIMESTAMP, required=True),
        Field("kind", required=True, choices=("survey", "complaint", "suggestion")),
        Field("csat", INTEGER, low=1, high=5, help="1-5"),
        Field("nps", INTEGER, low=0, high=10, help="0-10"),
        Field("category", help="quality, delivery, price, service, other"),
        Field("channel"),
        Field("resolved_at", TIMESTAMP),
    ),
)

RAW_TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, TRANSACTIONS, INTERACTIONS, FEEDBACK)
}


def table(name: str) -> Table:
    """The raw table called `name`, or a ValueError naming the four there are."""
    try:
        return RAW_TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}: choose one of {', '.join(RAW_TABLES)}") from None


def create_sql(t: Table) -> str:
    """`create table if not exists` for a raw table (types from the contract)."""
    cols = ",\n    ".join(
        f"{f.name} {SQL_TYPES[f.kind]}{' not null' if f.required else ''}" for f in t.fields
    )
    return f"create table if not exists {t.name} (\n    {cols}\n)"
