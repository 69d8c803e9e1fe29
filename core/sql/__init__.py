"""The SQL files that build StarTier's results, one file per result, named for it.

Staging files (`stg_*.sql`) hold the one definition of an order, a purchase day, a refund
and net value; a mart reads one by writing `{{ stg_orders }}` where a table would go, and
`load` puts the staging query there as a named subquery (staging files may read other
staging files the same way). Only file names are spliced in; values stay bound parameters.
"""

from __future__ import annotations

import re
from importlib.resources import files

STAGING = re.compile(r"\{\{\s*(stg_[a-z_]+)\s*\}\}(\s+as\s+[a-z_]+)?")


def load(name: str) -> str:
    """The text of `core/sql/<name>.sql`, each `{{ stg_x }}` replaced by the staging query
    `core/sql/stg_x.sql` as a subquery named `stg_x` (or as the alias written after it)."""
    return _expand(_read(name), (name,))


def _read(name: str) -> str:
    return files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _expand(text: str, seen: tuple[str, ...]) -> str:
    def subquery(match: re.Match) -> str:
        stage = match.group(1)
        if stage in seen:
            raise ValueError(f"staging query {stage} reads itself: {' -> '.join(seen)}")
        body = _expand(_read(stage), (*seen, stage))
        alias = match.group(2) or f" as {stage}"
        return f"(\n{body.strip()}\n){alias}"

    return STAGING.sub(subquery, text)
