"""The SQL files that build StarTier's results, one file per result, named for it.

Staging (`stg_*.sql`) holds the one definition of an order, a purchase day, a refund, net
value and the trailing windows; marts and models read it, none re-derives it. A file reads
a staging result by writing `{{ stg_x }}` (optionally `{{ stg_x }} as alias`) where a table
would go, always as of its `$as_of` parameter: what was known at the end of that day.

Two kinds of staging file:
- versioned (STAGING_TABLES: `stg_orders`, `stg_purchase_days`): one row per key and
  version, `valid_from` to `valid_to` (exclusive; null for the version known today), since
  an order changes when a later line of it arrives (a refund two weeks after the sale).
  `core build` stores them as tables (`build_staging`) with a macro each,
  `stg_orders_at(as_of)` / `stg_purchase_days_at(as_of)`, that keeps the version valid at
  the end of `as_of`: so an early as-of never sees a later line, and no query re-derives
  orders from the lines. In a notebook: `select * from stg_orders_at(date '2025-06-30')`.
- as-of views (`stg_windows`, `stg_trailing_orders`): small queries on those, put in place
  as a named subquery.

`load(name, con)` writes `{{ stg_x }}` as `stg_x_at($as_of)` when `con`'s database holds
staging tables built from its current data (`staging_is_current`). Without `con`, or on a
database never built by this version, or whose raw tables changed since its build (an
import raises the raw version), it puts the staging query itself there, cut at `$as_of`:
the same rows, derived from the lines (slower). Inside a versioned staging file,
`{{ stg_orders }}` is all the versions (the table, or its query). A mart that needs more
than one date's view (customer_monthly: each month end sees each order as it stood that
day) reads all the versions with `{{ stg_orders versions }}` (optionally `as alias`), the
validity columns included and no cut at `$as_of`: the table when current, else its query.
Only file and table names are spliced in; values stay bound parameters.
"""

from __future__ import annotations

import re
from importlib.resources import files

import duckdb

# versioned staging results, built as tables by `core build` in this order
STAGING_TABLES = ("stg_orders", "stg_purchase_days")
# the data version the staging tables were built from (see staging_is_current)
STAGED_VERSION = "staging.data_version"
# `{{ stg_x }}`, `{{ stg_x versions }}` (every version of a versioned one), either `as alias`
STAGING = re.compile(r"\{\{\s*(stg_[a-z_]+)(\s+versions)?\s*\}\}(\s+as\s+[a-z_]+)?")


def load(name: str, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """The text of `core/sql/<name>.sql`, each `{{ stg_x }}` replaced by staging result
    `stg_x` as of `$as_of` (each `{{ stg_x versions }}` by all its versions), under the name
    `stg_x` (or the alias written after it): read from the staging tables when `con` has
    current ones, else derived from the lines."""
    tables = con is not None and staging_is_current(con)
    return _expand(_read(name), (name,), tables)


def versions(name: str) -> str:
    """The query of versioned staging result `name` (STAGING_TABLES) for `core build`,
    reading the staging tables built before it."""
    if name not in STAGING_TABLES:
        raise ValueError(f"{name} is not a versioned staging result: {', '.join(STAGING_TABLES)}")
    return _expand(_read(name), (name,), tables=True)


def as_of_macro(name: str) -> str:
    """`create or replace macro <name>_at(as_of)`: staging table `name` as known at the end
    of day `as_of` (DuckDB binds a macro's tables when it is created: after the table)."""
    return f"create or replace macro {name}_at(as_of) as table {_as_of(name, 'as_of')}"


def staging_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the staging tables were built from the raw data as they are: by this
    version of `core build`, with no import (or other change to the raw tables) since. A
    rule-set save or a setting raises the data version but leaves the staging current."""
    from core import db  # core.db reads SQL files through this module

    built = db.get_meta(con, STAGED_VERSION)
    return built is not None and db.raw_version(con) <= int(built)


def mark_staging_current(con: duckdb.DuckDBPyConnection) -> None:
    """Record that the staging tables hold the data at the current data version (after
    building them, and again after the build raises the version)."""
    from core import db

    db.set_meta(con, STAGED_VERSION, str(db.data_version(con)))


def _as_of(relation: str, as_of: str) -> str:
    """The rows of versioned `relation` valid at the end of day `as_of` (the name of a
    parameter or a macro argument, never a value), without the validity columns."""
    since = f"valid_from <= {as_of}::date"  # sql: idents
    until = f"({as_of}::date < valid_to or valid_to is null)"  # sql: idents
    return f"select * exclude (valid_from, valid_to) from {relation} where {since} and {until}"


def _read(name: str) -> str:
    return files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _expand(text: str, seen: tuple[str, ...], tables: bool) -> str:
    versioned_file = seen[-1] in STAGING_TABLES

    def staged(match: re.Match) -> str:
        stage = match.group(1)
        if stage in seen:
            raise ValueError(f"staging query {stage} reads itself: {' -> '.join(seen)}")
        every_version = match.group(2) is not None
        alias = match.group(3) or f" as {stage}"
        if stage not in STAGING_TABLES:  # an as-of view
            if every_version:
                raise ValueError(f"{stage} has no versions: only {', '.join(STAGING_TABLES)}")
            return f"(\n{_expand(_read(stage), (*seen, stage), tables).strip()}\n){alias}"
        if versioned_file or every_version:  # all the versions
            if tables:
                return f"{stage}{alias}"
            return f"(\n{_expand(_read(stage), (*seen, stage), tables).strip()}\n){alias}"
        if tables:
            return f"{stage}_at($as_of){alias}"
        query = "(\n" + _expand(_read(stage), (*seen, stage), tables).strip() + "\n)"
        return f"(\n{_as_of(query, '$as_of')}\n){alias}"

    return STAGING.sub(staged, text)
