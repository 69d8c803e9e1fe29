"""Personal data (a customer's name, phone and e-mail) masked where they leave `core` for a
screen or a file: "Zhang *", "张**", "138****1234", "z***@example.com".

Masking is on when the sidebar's masking switch is, and always in presentation mode
(`masking_forced`); a role that may not see personal data (issue 13's viewer) is one more
reason in `masking_forced`, and everything below follows. Pages and glue never test the
switch themselves: they pass what they show through `personal` or `frame`, and exports
through `masked_maker`.

Search keeps working with masking on (see `ui/customer.py`): a service agent who masks the
screen while a caller is on the line still finds the caller by the phone or e-mail the
caller gives; only what the screen shows of the matches is masked. Presentation mode hides
the search box anyway, so a projector shows no typed phone either.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from ui import session

NAME, PHONE, EMAIL = "name", "phone", "email"
HIDDEN = "*"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_COUNTRY_CODE = re.compile(r"\s*(?:\+|00)\d{1,3}(?=[\s\-.()])")


def _known(value) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and pd.isna(value))
        and bool(str(value).strip())
    )


def mask_name(name):
    """A name with only its first word kept ("Zhang Wei" -> "Zhang *"; one word: its first
    letter, "Madonna" -> "M*"); a Chinese name keeps its family name, one star a character
    ("张伟" -> "张*", "欧阳娜娜" -> "欧***"). Unknown values come back as they are."""
    if not _known(name):
        return name
    text = str(name).strip()
    if _CJK.match(text):
        compact = text.replace(" ", "")
        return compact[0] + HIDDEN * (len(compact) - 1)
    words = text.split()
    if len(words) == 1:
        return text[0] + HIDDEN
    return f"{words[0]} {HIDDEN}"


def mask_phone(phone):
    """A phone with the digits between its first three and last four hidden, separators and
    a country code kept ("13812341234" -> "138****1234", "+44 7700 900123" ->
    "+44 770* **0123"); a short number keeps only its last two digits. A country code counts
    as such when a `+` or `00` and a separator set it apart."""
    if not _known(phone):
        return phone
    text = str(phone)
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    code = _COUNTRY_CODE.match(text)
    national = positions[sum(c.isdigit() for c in code.group(0)) if code else 0 :]
    head, tail = (3, 4) if len(national) >= 10 else (0, 4) if len(national) >= 7 else (0, 2)
    hidden = set(national[head : len(national) - tail])
    return "".join(HIDDEN if i in hidden else c for i, c in enumerate(text))


def mask_email(email):
    """An e-mail with its first letter and domain kept ("zhang.wei@example.com" ->
    "z***@example.com"); text with no `@` is masked as a whole but its first letter."""
    if not _known(email):
        return email
    text = str(email).strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return text[0] + HIDDEN * 3
    return f"{local[:1]}{HIDDEN * 3}@{domain}"


MASKS: dict[str, Callable] = {NAME: mask_name, PHONE: mask_phone, EMAIL: mask_email}


def mask_frame(table: pd.DataFrame, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """`table` with its personal columns masked (a copy; the table itself is not changed).
    `columns` maps a column to its kind (NAME, PHONE, EMAIL); by default the columns as core
    names them, `name`, `phone`, `email`. A table whose columns are already headed for the
    reader passes its own map: a heading such as "Name" also heads a rule set's name."""
    kinds = columns if columns is not None else {k: k for k in MASKS}
    found = [c for c in table.columns if c in kinds]
    if not found:
        return table
    out = table.copy()
    for column in found:
        out[column] = out[column].map(MASKS[kinds[column]], na_action="ignore")
    return out


# --- the switch ----------------------------------------------------------------------------


def masking_forced() -> bool:
    """True when the session must mask whatever the switch says: presentation mode (and,
    once roles exist, a role that may not see personal data)."""
    return session.switch_on(session.PRESENT)


def masking_on() -> bool:
    """True when personal data are masked in this session."""
    return masking_forced() or session.switch_on(session.MASK)


def personal(value, kind: str):
    """`value` (a name, phone or e-mail: `kind`) as the session may show it."""
    return MASKS[kind](value) if masking_on() else value


def frame(table: pd.DataFrame, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """`table` as the session may show it (`mask_frame` when masking is on)."""
    return mask_frame(table, columns) if masking_on() else table


def masked_maker(make: Callable[[], pd.DataFrame]) -> Callable[[], pd.DataFrame]:
    """An export's `make` (a list built later, on Streamlit's download thread) that masks
    what it builds when masking is on now (the switch is read here, in the session)."""
    if not masking_on():
        return make
    return lambda: mask_frame(make())
