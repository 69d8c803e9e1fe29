"""Settings of the business, kept in the database (`python -m core config`).

A setting belongs to the data, not to the machine: the currency the amounts are in and
the time zone the business keeps its clock in travel with the DuckDB file. Each setting
is data here (name, default, help, how a value is checked); they are stored in `meta` as
`setting.<name>`.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from core import db


@dataclass(frozen=True)
class Currency:
    """How one currency is written: `symbol` before amounts on the pages (None: the code
    is shown, "CHF 12.50"), and `aliases`, what else a file may write it as."""

    symbol: str | None = None
    aliases: tuple[str, ...] = ()


# ISO 4217 code -> how it is written; any other three-letter code is shown and accepted in
# files as the code itself.
CURRENCIES = {
    "CNY": Currency("¥", ("￥", "元", "RMB")),
    "JPY": Currency("¥", ("￥", "円")),
    "USD": Currency("$", ("US$",)),
    "HKD": Currency("HK$"),
    "TWD": Currency("NT$"),
    "SGD": Currency("S$"),
    "AUD": Currency("A$"),
    "CAD": Currency("C$"),
    "GBP": Currency("£"),
    "EUR": Currency("€"),
    "KRW": Currency("₩"),
    "INR": Currency("₹"),
    "RUB": Currency("₽"),
    "BRL": Currency("R$"),
    # known by their code alone
    **dict.fromkeys(
        ("CHF", "NZD", "SEK", "NOK", "DKK", "PLN", "MXN", "ZAR", "THB", "MYR", "IDR", "VND",
         "PHP", "AED", "SAR", "TRY", "ILS", "CZK"),
        Currency(),
    ),
}  # fmt: skip
CURRENCY_SYMBOLS = {code: c.symbol for code, c in CURRENCIES.items() if c.symbol}


def currency_marks(code: str) -> tuple[str, ...]:
    """What an amount in currency `code` may be written with in a file: the code, its
    symbol and aliases, and a plain `$` for any dollar ("HK$", "A$", ...)."""
    c = CURRENCIES.get(code, Currency())
    marks = [code, *([c.symbol] if c.symbol else []), *c.aliases]
    if c.symbol and c.symbol.endswith("$") and c.symbol != "$":
        marks.append("$")
    return tuple(marks)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        known = ", ".join(sorted(CURRENCY_SYMBOLS))
        raise ValueError(
            f"currency {value!r} is not a three-letter ISO 4217 code (e.g. GBP, USD, CNY; "
            f"with a symbol: {known})"
        )
    return code


def _timezone(value: str) -> str:
    name = value.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"time zone {value!r} is not an IANA zone name (e.g. Asia/Shanghai, Europe/London, UTC)"
        ) from None
    return name


AUTOMATIC_MODEL = "automatic"
# the purchase model the build fits: chosen by backtest, or one named (core.purchase_models)
PURCHASE_MODEL_CHOICES = (AUTOMATIC_MODEL, "bgnbd", "pareto_nbd", "mbgnbd")


def _purchase_model(value: str) -> str:
    name = value.strip().lower().replace("/", "").replace("-", "_")
    name = {"paretonbd": "pareto_nbd"}.get(name, name)  # "Pareto/NBD" as the page writes it
    if name not in PURCHASE_MODEL_CHOICES:
        raise ValueError(
            f"purchase model {value!r} is not one of {', '.join(PURCHASE_MODEL_CHOICES)}"
        )
    return name


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str
    check: Callable[[str], str]


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "currency",
            None,
            "ISO 4217 code of the currency every amount is in (the demo sets CNY); "
            "unset, amounts are shown without a symbol",
            _currency,
        ),
        Setting(
            "timezone",
            "Asia/Shanghai",
            "the business's time zone: imported timestamps with an offset are converted to it",
            _timezone,
        ),
        Setting(
            "purchase_model",
            AUTOMATIC_MODEL,
            "the purchase model the build fits for P(alive), expected purchases and CLV: "
            "automatic (the one that predicts a held-out period best), bgnbd, pareto_nbd "
            "or mbgnbd",
            _purchase_model,
        ),
    )
}


def _setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise ValueError(f"unknown setting {name!r}: settings are {', '.join(SETTINGS)}") from None


def check_name(name: str) -> str:
    """`name` if it is a setting; ValueError listing the settings otherwise."""
    return _setting(name).name


def check(name: str, value: str) -> str:
    """`value` as setting `name` stores it; ValueError naming the valid forms otherwise."""
    return _setting(name).check(value)


def get(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The value of setting `name` in this database, else its default."""
    return db.get_meta(con, f"setting.{name}", _setting(name).default)


def put(con: duckdb.DuckDBPyConnection, name: str, value: str, bump: bool = True) -> str:
    """Check and store `value` for setting `name`; returns the value as stored.

    The data version is raised (pages cache on it, so they pick the change up) unless
    `bump` is false, for a caller that raises it once for a larger change (the demo).
    Value and version change together (inside a caller's transaction, with it)."""
    checked = check(name, value)
    with db.transaction(con):
        db.set_meta(con, f"setting.{name}", checked)
        if bump:
            db.bump_data_version(con, raw=False)
    return checked


def all_settings(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Every setting with its value (stored or default)."""
    return {name: get(con, name) for name in SETTINGS}


def currency_symbol(code: str | None) -> str:
    """What goes before an amount: '£' for GBP, 'CHF ' for a code without a symbol, '' unset."""
    if not code:
        return ""
    return CURRENCY_SYMBOLS.get(code, f"{code} ")
