"""The SQL files that build StarTier's results, one file per result, named for it."""

from __future__ import annotations

from importlib.resources import files


def load(name: str) -> str:
    """The text of `core/sql/<name>.sql`."""
    return files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
