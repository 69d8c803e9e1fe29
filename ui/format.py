"""Numbers as each language writes them: 1.2M / 120万, £3.4K / ¥3,400.

Money is in the database's one currency (`core.settings`, `python -m core config currency`):
every money function takes its ISO code, `None` when it is not set (then amounts are plain
numbers). Pages get the code from their context (`ctx.currency`). Unknown values (None,
NaN) are shown as "–"; a real zero stays 0.
"""

from __future__ import annotations

import re

import pandas as pd

from core.settings import currency_symbol
from ui.i18n import load_catalog

UNKNOWN = "–"


def _is_missing(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _compact(value: float, lang: str) -> str:
    """A large number in few digits: 12.3M in English, 1,234.5万 / 1.23亿 in Chinese."""
    size = abs(value)
    if lang == "zh":
        if size >= 1e8:
            return f"{value / 1e8:,.2f}亿"
        if size >= 1e4:
            return f"{value / 1e4:,.1f}万"
        return f"{value:,.0f}"
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K")):
        if size >= limit:
            return f"{value / unit:,.1f}{suffix}"
    return f"{value:,.0f}"


def count(value, lang: str) -> str:
    """A count: exact below 100,000 (or 10万), compact above; unknown: '–'."""
    if _is_missing(value):
        return UNKNOWN
    if abs(value) < 1e5:
        return f"{value:,.0f}"
    return _compact(value, lang)


def symbol(currency: str | None) -> str:
    """What goes before an amount: '£' for GBP, 'CHF ' for a code without a symbol, '' unset."""
    return currency_symbol(currency)


def money(value, lang: str, currency: str | None, exact: bool = False) -> str:
    """An amount of money in `currency` (an ISO code, None: no symbol), compact unless
    `exact` (then to the unit); unknown: '–'."""
    if _is_missing(value):
        return UNKNOWN
    sign = "-" if value < 0 else ""
    body = f"{abs(value):,.0f}" if exact else _compact(abs(value), lang)
    return f"{sign}{symbol(currency)}{body}"


def money_column(currency: str | None, digits: int = 0) -> str:
    """The printf format of a money column in `st.column_config.NumberColumn`."""
    return f"{symbol(currency)}%,.{digits}f"


def money_hover(currency: str | None, field: str = "y", digits: int = 0) -> str:
    """A Plotly hover-template piece showing `field` as money: '£%{y:,.0f}'."""
    return f"{symbol(currency)}%{{{field}:,.{digits}f}}"


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
    """A share (0.345) as a percentage (34.5%); unknown: '–'."""
    if _is_missing(value):
        return UNKNOWN
    return f"{value * 100:.{digits}f}%"


def change(current, previous) -> str | None:
    """Relative change as '+12.3%', or None when there is nothing to compare with."""
    if _is_missing(current) or _is_missing(previous) or not previous:
        return None
    return f"{(current - previous) / abs(previous) * 100:+.1f}%"


def point_change(current, previous) -> str | None:
    """Change of a share in percentage points as '+1.2', or None."""
    if _is_missing(current) or _is_missing(previous):
        return None
    return f"{(current - previous) * 100:+.1f}"
