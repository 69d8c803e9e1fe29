"""Numbers as each language writes them: 1.2M / 120万, ¥3.4K / ¥3,400."""

from __future__ import annotations

import math

CURRENCY = "¥"


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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
    """A count: exact below 100,000 (or 10万), compact above."""
    if _is_missing(value):
        return "–"
    if abs(value) < 1e5:
        return f"{value:,.0f}"
    return _compact(value, lang)


def money(value, lang: str, exact: bool = False) -> str:
    """An amount of money, compact unless `exact` (then to the unit)."""
    if _is_missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    body = f"{abs(value):,.0f}" if exact else _compact(abs(value), lang)
    return f"{sign}{CURRENCY}{body}"


def percent(value, digits: int = 1) -> str:
    """A share (0.345) as a percentage (34.5%)."""
    if _is_missing(value):
        return "–"
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


def money_axis_scale(lang: str) -> float:
    """Charts show money in units of 1 (English) or 10,000 (Chinese, 万元)."""
    return 1e4 if lang == "zh" else 1.0
