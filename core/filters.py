"""The shared filters: which customers the pages count, sum, chart and list.

A filter chooses customers by what they are (region, city, acquisition channel, the day
they signed up) and by how they are rated (star tier 1-5 and value tier under the active
rule set, as of the as-of date). It never changes a customer's result: stars, scores,
CLV, risk, stage, segment and the fitted models are those of the whole base, and a filter
only decides which customers a page shows. Within one kind the values are alternatives
(region North or East); the kinds are all required (North or East, and 5 stars).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

RELATION = "chosen_customers"  # the chosen customers' ids, registered for a SQL semi-join

# the customers table's columns behind the attribute filters
ATTRIBUTES = {"regions": "region", "cities": "city", "channels": "acquisition_channel"}


@dataclass(frozen=True)
class Filters:
    """The chosen values of each kind (empty: that kind does not filter); hashable, so a
    cached function takes it as an argument."""

    regions: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    stars: tuple[int, ...] = ()
    value_tiers: tuple[str, ...] = ()
    joined_from: dt.date | None = None
    joined_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) not in ((), None) for f in fields(self))

    @property
    def rated(self) -> bool:
        """True when the filters need the customers' ratings (a star or value tier)."""
        return bool(self.stars or self.value_tiers)

    def without(self, *names: str) -> Filters:
        """These filters with the kinds `names` (field names) cleared."""
        cleared = {name: None if name.startswith("joined_") else () for name in names}
        return Filters(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **cleared})


NO_FILTERS = Filters()


@dataclass(frozen=True)
class FilterOptions:
    """What the data offer to filter by: the distinct values of each attribute (most
    customers first), the cities of each region, and the first and last sign-up day."""

    regions: tuple[str, ...]
    cities: tuple[str, ...]
    channels: tuple[str, ...]
    cities_by_region: dict[str, tuple[str, ...]]
    first_joined: dt.date | None
    last_joined: dt.date | None


def filter_options(con: duckdb.DuckDBPyConnection) -> FilterOptions:
    cur = con.cursor()
    values = {}
    for kind, column in ATTRIBUTES.items():
        rows = cur.execute(
            f"select {column} from customers where {column} is not null "
            f"group by {column} order by count(*) desc, {column}"
        ).fetchall()
        values[kind] = tuple(str(value) for (value,) in rows)
    pairs = cur.execute(
        "select region, city from customers where region is not null and city is not null "
        "group by region, city order by region, count(*) desc, city"
    ).fetchall()
    by_region: dict[str, list[str]] = {}
    for region, city in pairs:
        by_region.setdefault(str(region), []).append(str(city))
    first, last = cur.execute(
        "select min(signed_up_at)::date, max(signed_up_at)::date from customers"
    ).fetchone()
    return FilterOptions(
        regions=values["regions"],
        cities=values["cities"],
        channels=values["channels"],
        cities_by_region={region: tuple(cities) for region, cities in by_region.items()},
        first_joined=first,
        last_joined=last,
    )


def attribute_ids(con: duckdb.DuckDBPyConnection, filters: Filters) -> np.ndarray:
    """The ids of the customers the attribute and sign-up filters choose, sorted."""
    clauses, params = [], {}
    for kind, column in ATTRIBUTES.items():
        chosen = getattr(filters, kind)
        if chosen:
            clauses.append(f"{column} in (select unnest(${kind}))")
            params[kind] = list(chosen)
    if filters.joined_from is not None:
        clauses.append("signed_up_at >= $joined_from::date")
        params["joined_from"] = filters.joined_from
    if filters.joined_to is not None:
        clauses.append("signed_up_at < $joined_to::date + interval 1 day")
        params["joined_to"] = filters.joined_to
    where = " and ".join(clauses) or "true"
    ids = (
        con.cursor()
        .execute(f"select customer_id from customers where {where} order by customer_id", params)
        .fetchnumpy()["customer_id"]
    )
    return np.asarray(ids, dtype=object)


def rated_ids(ratings: pd.DataFrame, filters: Filters) -> np.ndarray:
    """The ids of the customers of `ratings` (customer_id, stars, value_tier) the star and
    value-tier filters choose, sorted; a customer without a rating (a prospect) has no
    tier and is chosen by neither."""
    keep = np.ones(len(ratings), dtype=bool)
    if filters.stars:
        stars = ratings["stars"].to_numpy(dtype=np.float64, na_value=np.nan)
        keep &= np.isin(stars, np.asarray(filters.stars, dtype=np.float64))
    if filters.value_tiers:
        keep &= ratings["value_tier"].isin(filters.value_tiers).to_numpy(dtype=bool)
    return np.sort(ratings["customer_id"].to_numpy(dtype=object)[keep])


def chosen_ids(
    con: duckdb.DuckDBPyConnection, filters: Filters, ratings: pd.DataFrame | None = None
) -> np.ndarray:
    """The ids of the customers all of `filters` choose, sorted. `ratings` (customer_id,
    stars, value_tier as of the as-of date) is needed when the filters name a tier."""
    ids = attribute_ids(con, filters)
    if filters.rated:
        if ratings is None:
            raise ValueError("the star and value-tier filters need the customers' ratings")
        ids = np.intersect1d(ids.astype(str), rated_ids(ratings, filters).astype(str))
        ids = ids.astype(object)
    return ids


def keep_mask(values, ids: np.ndarray | None) -> np.ndarray | None:
    """True where `values` (customer ids) is a chosen customer; None (all) without filters."""
    if ids is None:
        return None
    # Arrow's hash lookup: ten times pandas' on a million text ids
    found = pc.is_in(pa.array(np.asarray(values, dtype=object), type=pa.string()), ids_set(ids))
    return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def ids_set(ids: np.ndarray) -> pa.Array:
    """The ids as the Arrow value set `keep_mask` looks them up in."""
    return pa.array(ids, type=pa.string())


def keep(frame: pd.DataFrame, ids: np.ndarray | None, column: str = "customer_id") -> pd.DataFrame:
    """The rows of `frame` whose `column` is a chosen customer (`frame` itself when `ids` is
    None: no filter), in their order and with their index."""
    mask = keep_mask(frame[column], ids)
    return frame if mask is None else frame[mask]


@contextmanager
def chosen_relation(con: duckdb.DuckDBPyConnection, ids: np.ndarray | None) -> Iterator[str | None]:
    """The chosen customers' ids registered on `con` (a cursor of its own) as RELATION, one
    column `customer_id`, for the block; yields its name, or None when `ids` is None (no
    filter: nothing is registered)."""
    if ids is None:
        yield None
        return
    con.abort()  # a result the caller left unread (DuckDB 2.0 refuses other work first)
    con.register(RELATION, pa.table({"customer_id": pa.array(ids, type=pa.string())}))
    try:
        yield RELATION
    finally:
        con.abort()  # a result the block left unread (DuckDB 2.0 refuses other work first)
        con.unregister(RELATION)


def restricted(column: str = "customer_id") -> str:
    """The condition that `column` is a chosen customer, for a WHERE clause inside
    `chosen_relation`."""
    return f"{column} in (select customer_id from {RELATION})"


# In a core/sql file, `/* and chosen(column) */` marks where the chosen customers belong.
_CHOSEN = re.compile(r"/\*\s*and chosen\(([a-z_.]+)\)\s*\*/")


def chosen_sql(text: str, chosen: str | None) -> str:
    """SQL `text` with each `/* and chosen(column) */` made `and column in (the chosen
    customers)` when `chosen` (the relation `chosen_relation` yields) is given; without
    it, the marks stay comments and the query counts everyone."""
    if chosen is None:
        return text
    return _CHOSEN.sub(lambda found: f"and {restricted(found.group(1))}", text)
