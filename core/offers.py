"""What to offer each customer next (关联分析, 个性化推荐): association rules mined from
co-purchases, the best few items per customer with the reason as data, and a backtest.

Items are product categories (`product_category`) or, where the data have them, products
(`product_id`, e.g. a stock code). A basket is an order (the lines sharing an order id) when
orders hold several items, at least MULTI_ITEM_SHARE of them two or more distinct items of
the level; else (one row per order, as in the demo) a customer's whole history up to the
as-of date, so that a rule reads "customers who bought A also bought B". Refund lines
(amount < 0) are left out everywhere.

A rule A -> B between two items (pairs only: larger antecedents multiply the work and seldom
change a top-3 offer) has, over all baskets (Agrawal, Imielinski & Swami 1993; lift as the
"interest" of Brin, Motwani, Ullman & Tsur 1997):
- support: share of baskets holding A and B;
- confidence: baskets holding A and B / baskets holding A, an estimate of P(B | A);
- lift: confidence / support of B, P(B | A) / P(B): above 1 when A makes B likelier.

Offers for a customer: the items not yet bought that are consequents of rules with lift
above 1 whose antecedent the customer bought, each by its strongest such rule, rules ranked
by confidence (then lift, then the names); then, to fill `count`, the most popular items
(share of buyers) the customer does not have. Each row says why: the rule (antecedent,
confidence, lift) or the popularity.

The backtest (`backtest`) mines rules and makes offers as of a cut-off, `horizon_days` before
the as-of date, and scores them on what customers bought after it: the hit rate is the share
of the customers who bought an item new to them after the cut-off of whom at least one
offered item was among those; the baseline offers the most popular items the customer does
not have (the same query with no rules). Nothing after the cut-off reaches the rules.

The SQL is in `core/sql/offers_*.sql`; each call makes its temp tables on the caller's
connection (a cursor in the app) and drops them when it ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import db, precompute, segments, sql
from core import filters as core_filters

LEVELS = ("category", "product")  # item levels, in the order a page offers them
LEVEL_COLUMNS = {"category": "product_category", "product": "product_id"}
BASKET_KINDS = ("auto", "order", "customer")
MULTI_ITEM_SHARE = 0.05  # orders with 2+ items needed for order baskets (module docstring)
OFFER_KINDS = ("rule", "popular")
OFFER_COLUMNS = (
    "customer_id",
    "rank",
    "item",
    "kind",
    "antecedent",
    "confidence",
    "lift",
    "support",
    "popularity",
)


@dataclass(frozen=True)
class OfferSettings:
    """What the rules are mined on and how offers are made; defaults chosen before any
    backtest was run (none is tuned on a holdout)."""

    level: str = "category"  # "category" or "product"
    min_support: float = 0.01  # share of baskets holding both items of a rule
    min_confidence: float = 0.2  # share of the antecedent's baskets holding the consequent
    basket: str = "auto"  # "order", "customer", or "auto" (module docstring)
    count: int = 3  # offers per customer
    popular_pool: int = 20  # the most popular items the fill-in chooses from
    horizon_days: int = 90  # the backtest's days after the cut-off

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        if self.basket not in BASKET_KINDS:
            raise ValueError(
                f"basket must be one of {', '.join(BASKET_KINDS)}, not {self.basket!r}"
            )
        for name in ("min_support", "min_confidence"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share above 0 and at most 1")
        for name in ("count", "popular_pool", "horizon_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass(frozen=True)
class Rules:
    """Association rules mined as of a date.

    `rules`: one row per rule, strongest lift first: `antecedent, consequent, baskets_both,
    baskets_antecedent, baskets_consequent, support, confidence, lift`. `items`: one row
    per item, most popular first: `item, baskets, support, customers, popularity`.
    `basket`: "order" or "customer", what a basket was; `baskets`: how many there were."""

    as_of: dt.date
    level: str
    basket: str
    baskets: int
    rules: pd.DataFrame
    items: pd.DataFrame


@dataclass(frozen=True)
class Backtest:
    """Offers made as of `cut_off` scored on the purchases from the day after it to `end`.

    `customers`: buyers before the cut-off who bought an item new to them after it;
    `hits` / `baseline_hits`: how many of them bought at least one of their offers from
    the rules (filled with popular items) / of the popularity baseline's; `first_hits` /
    `baseline_first_hits`: how many bought the first offer; `rules`: how many rules the
    cut-off's data gave."""

    cut_off: dt.date
    end: dt.date
    level: str
    basket: str
    rules: int
    customers: int
    hits: int
    baseline_hits: int
    first_hits: int
    baseline_first_hits: int

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.customers if self.customers else None

    @property
    def baseline_hit_rate(self) -> float | None:
        return self.baseline_hits / self.customers if self.customers else None

    @property
    def first_hit_rate(self) -> float | None:
        return self.first_hits / self.customers if self.customers else None

    @property
    def baseline_first_hit_rate(self) -> float | None:
        return self.baseline_first_hits / self.customers if self.customers else None


def levels(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The item levels the transactions have (LEVELS with a non-empty column), in order."""
    counts = con.execute(
        "select count(product_category), count(product_id) from transactions"
    ).fetchall()[0]
    return tuple(level for level, count in zip(LEVELS, counts, strict=True) if count)


def _check_level(con: duckdb.DuckDBPyConnection, level: str) -> None:
    if level not in levels(con):
        column = LEVEL_COLUMNS[level]
        raise ValueError(f"the transactions have no {column}: no {level} to mine rules on")


@contextmanager
def _baskets(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    level: str,
    by_order: bool,
    *,
    since: dt.date | None = None,
    customer_id: str | None = None,
    name: str = "offers_baskets",
    customers: np.ndarray | None = None,
) -> Iterator[None]:
    """offers_baskets.sql as temp table `name` on `con` for the block; only the baskets of
    `customers` (ids; None: everyone's) when given."""
    params = {
        "as_of": as_of,
        "since": since,
        "level": level,
        "by_order": by_order,
        "customer_id": customer_id,
    }
    con.execute(f"create or replace temp table {name} as " + sql.load("offers_baskets"), params)
    if customers is not None:
        with core_filters.chosen_relation(con, customers):
            con.execute(f"delete from {name} where not ({core_filters.restricted()})")
    try:
        yield
    finally:
        con.execute(f"drop table if exists temp.{name}")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, **frames: pd.DataFrame) -> Iterator[None]:
    """Each DataFrame of `frames` readable by its name in `con`'s queries for the block."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def basket_kind(con: duckdb.DuckDBPyConnection, as_of: dt.date, level: str) -> str:
    """ "order" when at least MULTI_ITEM_SHARE of the orders up to `as_of` hold two or more
    distinct items of `level`, else "customer"."""
    if not con.execute("select count(order_id) from transactions").fetchall()[0][0]:
        return "customer"  # no order id: every line is an order of its own
    with _baskets(con, as_of, level, by_order=True):
        orders, multi = con.execute(sql.load("offers_basket_shape")).fetchall()[0]
    return "order" if orders and multi >= MULTI_ITEM_SHARE * orders else "customer"


def _basket(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: OfferSettings) -> str:
    if settings.basket != "auto":
        return settings.basket
    return basket_kind(con, as_of, settings.level)


def _mined(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: OfferSettings, basket: str
) -> Rules:
    """The rules of the offers_baskets table on `con` (see association_rules)."""
    thresholds = {"min_support": settings.min_support, "min_confidence": settings.min_confidence}
    items = con.execute(sql.load("offers_items")).df()
    rules = con.execute(sql.load("offers_rules"), thresholds).df()
    count = con.execute(
        "select count(*) from (select distinct customer_id, basket_key from offers_baskets)"
    ).fetchall()[0][0]
    return Rules(as_of, settings.level, basket, count, rules, items)


@precompute.page_result()
def association_rules(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: OfferSettings = OfferSettings(),
    customers: np.ndarray | None = None,
) -> Rules:
    """The rules A -> B of `settings.level` items in the baskets up to the end of `as_of`
    that pass `settings.min_support` and `settings.min_confidence` (see `Rules`): in the
    baskets of `customers` (ids) alone when given. What a basket is (an order or a
    customer's history) is the shop's, decided on every order."""
    _check_level(con, settings.level)
    basket = _basket(con, as_of, settings)
    with _baskets(con, as_of, settings.level, basket == "order", customers=customers):
        return _mined(con, as_of, settings, basket)


def bought_items(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: OfferSettings = OfferSettings(),
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """`Rules.items` of the baskets of `customers` (ids; None: everyone's) up to the end of
    `as_of`: what the chosen customers bought, counted as the rules count it, while the
    rules themselves stay those of every basket."""
    if customers is None and settings == OfferSettings():  # everyone's: the kept rules' items
        found = precompute.kept(association_rules, con, as_of)
        if found is not None:
            return found.items
    _check_level(con, settings.level)
    basket = _basket(con, as_of, settings)
    with _baskets(con, as_of, settings.level, basket == "order", customers=customers):
        return con.execute(sql.load("offers_items")).df()


@contextmanager
def _segments(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Iterator[None]:
    """offers_segments (customer_id, segment) for the block: customer_features' segments when
    the build is as of `as_of`, else the RFM segments computed for `as_of`."""
    if db.built_as_of(con) == as_of and "segment" in db.columns(con, "customer_features"):
        con.execute(
            "create or replace temp view offers_segments as "
            "select customer_id, segment from customer_features where segment is not null"
        )
        drop = "drop view if exists temp.offers_segments"
    else:
        con.register(
            "offers_segments", segments.segment_frame(con, as_of)[["customer_id", "segment"]]
        )
        drop = None
    try:
        yield
    finally:
        if drop:
            con.execute(drop)
        else:
            con.unregister("offers_segments")


def rule_segments(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: OfferSettings,
    found: Rules,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """The rules of `found` within each customer segment as of `as_of`: `antecedent,
    consequent, segment, baskets_both, support, confidence, lift, holds` (holds: it passes
    the thresholds there too with a lift above 1); in the baskets of `customers` alone
    when given."""
    if customers is None and settings == OfferSettings():  # the opening view: kept
        opening = precompute.kept(opening_rule_segments, con, as_of)
        if opening is not None and _same_rules(opening[0], found):
            return opening[1]
    return _rule_segments(con, as_of, settings, found, customers)


@precompute.page_result(ratings=True, after_commit=True)
def opening_rule_segments(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple:
    """The Products page's opening view, kept by the build: the rules at the default
    settings (`association_rules`, kept) and `rule_segments` of them over every basket.
    After the build's commit: the segments are the ratings of the new build."""
    found = association_rules(con, as_of)
    return found, _rule_segments(con, as_of, OfferSettings(), found, None)


def _same_rules(kept: Rules, found: Rules) -> bool:
    fields = ("as_of", "level", "basket", "baskets")
    same = all(getattr(kept, f) == getattr(found, f) for f in fields)
    return same and kept.rules.equals(found.rules)


def _rule_segments(con, as_of, settings, found, customers) -> pd.DataFrame:
    thresholds = {"min_support": settings.min_support, "min_confidence": settings.min_confidence}
    with (
        _baskets(con, as_of, found.level, found.basket == "order", customers=customers),
        _segments(con, as_of),
        _registered(con, offers_rules=found.rules),
    ):
        return con.execute(sql.load("offers_rule_segments"), thresholds).df()


def _offers_query(settings: OfferSettings, customer_id: str | None) -> tuple[str, dict]:
    params = {"customer_id": customer_id, "count": settings.count, "pool": settings.popular_pool}
    return sql.load("offers_customers"), params


def offers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: OfferSettings = OfferSettings(),
    found: Rules | None = None,
    customer_id: str | None = None,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Up to `settings.count` offers for every customer who bought an item by `as_of` (or
    for `customer_id` alone, or the `customers` of these ids): OFFER_COLUMNS, one row per
    offer, `rank` 1 first (see the module docstring). `found`: the rules to use (mined as
    of `as_of` on every basket when not given: a customer's offers do not depend on whom
    else the list holds)."""
    found = found or association_rules(con, as_of, settings)
    query, params = _offers_query(settings, customer_id)
    popular = found.items[["item", "popularity"]]
    with (
        _baskets(con, as_of, found.level, False, customer_id=customer_id, customers=customers),
        _registered(con, offers_rules=found.rules, offers_popular=popular),
    ):
        return con.execute(query, params).df()


def customer_offers(
    con: duckdb.DuckDBPyConnection,
    customer_id: str,
    as_of: dt.date,
    settings: OfferSettings = OfferSettings(),
    found: Rules | None = None,
) -> pd.DataFrame:
    """One customer's offers as of `as_of` (see `offers`): give `found` (the rules, from
    `association_rules` for the same `as_of` and settings, kept by the caller) and only the
    customer's own lines are read."""
    return offers(con, as_of, settings, found, customer_id=customer_id)


def backtest(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    settings: OfferSettings = OfferSettings(),
    customers: np.ndarray | None = None,
) -> Backtest:
    """Rules mined and offers made as of `as_of - horizon_days`, scored on the purchases of
    the days after it up to `as_of`, beside the popularity baseline (see `Backtest`); on
    the baskets of `customers` (ids) alone when given."""
    cut_off = as_of - dt.timedelta(days=settings.horizon_days)
    found = association_rules(con, cut_off, settings, customers)
    query, params = _offers_query(settings, None)
    popular = found.items[["item", "popularity"]]
    hits = {}
    outcomes = {"since": cut_off, "name": "offers_outcomes", "customers": customers}
    with (
        _baskets(con, cut_off, found.level, False, customers=customers),
        _baskets(con, as_of, found.level, False, **outcomes),
    ):
        for name, rules in (("rules", found.rules), ("baseline", found.rules.iloc[0:0])):
            with _registered(con, offers_rules=rules, offers_popular=popular):
                con.execute("create or replace temp table offers_top as " + query, params)
            try:
                hits[name] = con.execute(sql.load("offers_backtest")).fetchall()[0]
            finally:
                con.execute("drop table if exists temp.offers_top")
    customers = hits["rules"][0]
    return Backtest(
        cut_off,
        as_of,
        found.level,
        found.basket,
        len(found.rules),
        customers,
        hits["rules"][1],
        hits["baseline"][1],
        hits["rules"][2],
        hits["baseline"][2],
    )


def item_buyers(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    level: str,
    item: str,
    customers: np.ndarray | None = None,
) -> pd.DataFrame:
    """The customers who bought `item` (of `level`) by the end of `as_of`, refunds left
    out as in the baskets (`core/sql/offers_item_buyers.sql`): `customer_id, city,
    acquisition_channel, first_bought_on, last_bought_on, count_orders, amount`, most spent
    first; only those of `customers` (ids) when given."""
    _check_level(con, level)
    params = {"as_of": as_of, "level": level, "item": item}
    query = sql.load("offers_item_buyers")
    with core_filters.chosen_relation(con, customers) as chosen:
        if chosen:
            query = f"select * from ({query}) where {core_filters.restricted()}"  # fixed text
        found = con.execute(query + " order by amount desc, customer_id", params).df()
    return found
