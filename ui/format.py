"""Numbers as each language writes them: 1.2M / 120万, £3.4K / ¥3,400.

Money is in the database's one currency (`core.settings`, `python -m core config currency`):
every money function takes its ISO code, `None` when it is not set (then amounts are plain
numbers). Pages get the code from their context (`ctx.currency`). Unknown values (None,
NaN) are shown as "–"; a real zero stays 0.
"""

from __future__ import annotations

import numbers
import re

import pandas as pd

from core.settings import currency_symbol
from ui.i18n import load_catalog

UNKNOWN = "–"


def _is_missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _sign(value, body: str, plus: bool = False) -> str:
    """The sign to write before `body` (`value` written without its sign): '-' for a
    negative value unless every digit the body shows is 0 (-0.3 written to the unit is
    '0', never '-0', '-£0' or '-0.0%'); '+' for the rest when `plus`."""
    digits = re.sub(r"\D", "", body)
    if value < 0 and (digits.strip("0") or not digits):
        return "-"
    return "+" if plus else ""


def _compact(value: float, lang: str) -> str:
    """A large number in few digits: 12.3M in English, 1,234.5万 / 1.23亿 in Chinese."""
    size = abs(value)
    body = f"{size:,.0f}"
    if lang == "zh":
        if size >= 1e8:
            body = f"{size / 1e8:,.2f}亿"
        elif size >= 1e4:
            body = f"{size / 1e4:,.1f}万"
    else:
        for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K")):
            if size >= limit:
                body = f"{size / unit:,.1f}{suffix}"
                break
    return f"{_sign(value, body)}{body}"


def count(value, lang: str) -> str:
    """A count: exact below 100,000 (or 10万), compact above; unknown: '–'."""
    if _is_missing(value):
        return UNKNOWN
    if abs(value) < 1e5:
        body = f"{abs(value):,.0f}"
        return f"{_sign(value, body)}{body}"
    return _compact(value, lang)


def symbol(currency: str | None) -> str:
    """What goes before an amount: '£' for GBP, 'CHF ' for a code without a symbol, '' unset."""
    return currency_symbol(currency)


def money(value, lang: str, currency: str | None, exact: bool = False, digits: int = 0) -> str:
    """An amount of money in `currency` (an ISO code, None: no symbol), compact unless
    `exact` (then to `digits` decimals); the sign before the symbol ('-£338,669',
    '-£680.9K'), and none when the amount shows as zero ('£0', never '-£0'); unknown: '–'.
    Every amount on a page, table, chart or hover is written by this function."""
    if _is_missing(value):
        return UNKNOWN
    body = f"{abs(value):,.{digits}f}" if exact else _compact(abs(value), lang)
    return f"{_sign(value, body)}{symbol(currency)}{body}"


def money_cell(value, lang: str, currency: str | None) -> str:
    """An amount in a table: exact to the unit ('-£338,669'), and in Chinese in 万 / 亿
    from 10,000 on, as the tiles write it ('¥33.9万')."""
    if lang == "zh" and not _is_missing(value) and abs(value) >= 1e4:
        return money(value, lang, currency)
    return money(value, lang, currency, exact=True)


# A money column's format for `st.column_config.NumberColumn` says only "money in this
# currency": `ui.widgets.show_table` writes its cells with `money_cell` (a printf format
# would put the sign after the symbol, '£-338,669', and cannot write 万).
MONEY_FORMAT = "money:"


def money_column(currency: str | None) -> str:
    """The format of a money column in `currency` for a table shown by `show_table`."""
    return f"{MONEY_FORMAT}{currency or ''}"


def money_columns(config: dict) -> tuple[dict, dict[str, str | None]]:
    """`config` (a `st.column_config` mapping) without the formats of its `money_column`
    columns, and those columns with their currencies (the table writes their cells)."""
    shown, found = {}, {}
    for name, column in config.items():
        options = (column or {}).get("type_config") or {}
        number_format = options.get("format")
        if isinstance(number_format, str) and number_format.startswith(MONEY_FORMAT):
            found[name] = number_format.removeprefix(MONEY_FORMAT) or None
            column = {**column, "type_config": {**options, "format": None}}
        shown[name] = column
    return shown, found


def cell(value) -> str:
    """A table cell that is not money: unknown '–', numbers with thousands separators and
    at most 4 decimals, a day without a time as YYYY-MM-DD."""
    if _is_missing(value):
        return UNKNOWN
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    size = abs(value)
    body = f"{size:,.0f}" if float(size).is_integer() else f"{size:,.4f}".rstrip("0").rstrip(".")
    return f"{_sign(value, body)}{body}"


def money_table(frame: pd.DataFrame, money: dict[str, str | None], lang: str):
    """`frame` styled for `st.dataframe`: the `money` columns (name -> currency) written by
    `money_cell` in `lang` (sorting still goes by the amounts), the other cells by `cell`."""
    formats = {
        name: (lambda v, c=currency: money_cell(v, lang, c))
        for name, currency in money.items()
        if name in frame.columns
    }
    formats |= {name: cell for name in frame.columns if name not in formats}
    return frame.style.format(formats)


def money_texts(values, currency: str | None, digits: int = 0) -> list[str]:
    """Amounts written exactly (`money` with `exact`), for chart hovers and labels."""
    return [money(v, "en", currency, exact=True, digits=digits) for v in values]


def money_axis_scale(lang: str) -> float:
    """Charts show money in units of 1 (English) or 10,000 (Chinese, 万)."""
    return 1e4 if lang == "zh" else 1.0


def money_unit(lang: str, currency: str | None, scale: float = 1.0) -> str:
    """The unit of a money axis or field: '£', '万英镑', '元', '万元'; '' (or '万') unset."""
    if currency:
        name = load_catalog(lang).get(f"currency.name_{currency}") or symbol(currency).strip()
    else:
        name = ""
    return f"万{name}" if scale == 1e4 else name


def with_unit(label: str, unit: str, lang: str) -> str:
    """'Revenue (£)' / '营收（万英镑）'; the label alone when there is no unit."""
    if not unit:
        return label
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def money_header(label: str, currency: str | None) -> str:
    """A money column's header in a download: 'Revenue (GBP)'; the label alone unset."""
    return f"{label} ({currency})" if currency else label


# Every ASCII character Markdown (CommonMark, GFM, Streamlit's :directives: and $math$)
# gives a meaning; a backslash before any of them shows the character itself.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=\"'&;/^%@?])")


# GFM turns bare addresses into links after escapes are read (https://x, www.x, a@b.c):
# an invisible word joiner inside each keeps them text.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


def plain(text) -> str:
    """`text` from a user or the data, escaped so Markdown shows it as typed: no link
    (bracketed or bare), emphasis, heading, colour directive or math."""
    return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def plain_outside_code(text: str) -> str:
    """`text` escaped as `plain` except its `code` spans, which Markdown already shows as
    typed (a sentence that quotes a command in backticks keeps them)."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") and p.endswith("`") else plain(p) for p in parts)


def percent(value, digits: int = 1) -> str:
    """A share (0.345) as a percentage (34.5%); unknown: '–'; a share that shows as zero
    has no sign ('0.0%', never '-0.0%')."""
    if _is_missing(value):
        return UNKNOWN
    body = f"{abs(value) * 100:.{digits}f}%"
    return f"{_sign(value, body)}{body}"


def change(current, previous) -> str | None:
    """Relative change as '+12.3%' / '-4.5%' ('+0.0%' for one that shows as zero, never
    '-0.0%'), or None when there is nothing to compare with."""
    if _is_missing(current) or _is_missing(previous) or not previous:
        return None
    ratio = (current - previous) / abs(previous)
    body = f"{abs(ratio) * 100:.1f}%"
    return f"{_sign(ratio, body, plus=True)}{body}"


def point_change(current, previous) -> str | None:
    """Change of a share in percentage points as '+1.2' ('+0.0', never '-0.0'), or None."""
    if _is_missing(current) or _is_missing(previous):
        return None
    points = (current - previous) * 100
    body = f"{abs(points):.1f}"
    return f"{_sign(points, body, plus=True)}{body}"
