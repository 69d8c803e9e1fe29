"""The shared filters (core/filters.py): the customers each filter chooses, checked against
the data read another way (the customers table in pandas, the stars the build stored)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, stars
from core.filters import (
    NO_FILTERS,
    Filters,
    chosen_ids,
    chosen_relation,
    filter_options,
    keep,
    keep_mask,
    restricted,
)


def _ratings(con, as_of: dt.date) -> pd.DataFrame:
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    return pd.DataFrame(
        {
            "customer_id": base.frame["customer_id"],
            "stars": rated,
            "value_tier": stars.value_tier(rated, rules),
        }
    )


@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db, read_only=True)
    yield con
    con.close()


def test_no_filter_is_not_active_and_each_kind_is():
    assert not NO_FILTERS.active
    for kind, value in {
        "regions": ("a",),
        "cities": ("b",),
        "channels": ("c",),
        "stars": (5,),
        "value_tiers": ("high",),
        "joined_from": dt.date(2025, 1, 1),
        "joined_to": dt.date(2025, 1, 1),
    }.items():
        chosen = Filters(**{kind: value})
        assert chosen.active
        assert chosen.rated == (kind in ("stars", "value_tiers"))
        assert not chosen.without(kind).active


def test_attributes_and_sign_up_days_choose_what_pandas_chooses(demo):
    customers = demo.execute("select * from customers").df()
    options = filter_options(demo)
    regions = options.regions[:2]
    channel = options.channels[0]
    start, end = dt.date(2025, 3, 1), dt.date(2025, 9, 30)
    chosen = Filters(regions=regions, channels=(channel,), joined_from=start, joined_to=end)
    day = customers["signed_up_at"].dt.date
    expected = customers[
        customers["region"].isin(regions)
        & (customers["acquisition_channel"] == channel)
        & (day >= start)
        & (day <= end)
    ]["customer_id"]
    got = chosen_ids(demo, chosen)
    assert 0 < len(got) < len(customers)
    assert list(got) == sorted(expected)
    # the options: every region once, most customers first
    counts = customers["region"].value_counts()
    assert set(options.regions) == set(counts.index)
    assert options.regions[0] == counts.index[0]
    assert options.first_joined == day.min() and options.last_joined == day.max()
    assert set(options.cities_by_region[regions[0]]) == set(
        customers.loc[customers["region"] == regions[0], "city"].dropna()
    )


def test_star_and_tier_filters_choose_the_stars_the_build_stored(demo):
    """On the build day the ratings the filters read are those customer_features stores."""
    as_of = db.built_as_of(demo)
    ratings = _ratings(demo, as_of)
    stored = demo.execute(
        "select f.customer_id, f.stars, f.value_tier, c.region from customer_features f "
        "join customers c using (customer_id)"
    ).df()
    region = stored["region"].mode()[0]
    got = chosen_ids(demo, Filters(regions=(region,), stars=(4, 5)), ratings)
    expected = stored[stored["stars"].isin([4, 5]) & (stored["region"] == region)]["customer_id"]
    assert len(got) > 0 and list(got) == sorted(expected)
    got = chosen_ids(demo, Filters(value_tiers=("medium",)), ratings)
    assert list(got) == sorted(stored[stored["value_tier"] == "medium"]["customer_id"])
    with pytest.raises(ValueError, match="ratings"):
        chosen_ids(demo, Filters(stars=(5,)))


def test_another_as_of_day_rates_as_of_that_day(demo):
    """A month earlier some customers had other stars: the filter follows the day."""
    built = db.built_as_of(demo)
    earlier = built - dt.timedelta(days=120)
    now = chosen_ids(demo, Filters(stars=(5,)), _ratings(demo, built))
    then = chosen_ids(demo, Filters(stars=(5,)), _ratings(demo, earlier))
    assert len(then) > 0 and set(now) != set(then)


def test_keep_and_the_sql_relation_select_the_same_customers(demo):
    ids = chosen_ids(demo, Filters(regions=(filter_options(demo).regions[-1],)))
    frame = demo.execute("select customer_id, amount from transactions").df()
    kept = keep(frame, ids)
    assert set(kept["customer_id"]) <= set(ids)
    assert keep(frame, None) is frame and keep_mask(frame["customer_id"], None) is None
    cur = demo.cursor()
    with chosen_relation(cur, ids) as name:
        assert name is not None
        total = cur.execute(
            f"select count(*), sum(amount) from transactions where {restricted()}"
        ).fetchone()
    assert total[0] == len(kept)
    assert total[1] == pytest.approx(kept["amount"].sum(), rel=1e-12)
    with chosen_relation(cur, None) as name:
        assert name is None
    with pytest.raises(Exception, match="chosen_customers"):
        cur.execute("select count(*) from chosen_customers").fetchone()  # unregistered


def test_a_shop_without_regions_offers_only_what_it_has(uk_shop_db):
    con = db.connect(uk_shop_db, read_only=True)
    try:
        options = filter_options(con)
        assert options.regions == () and options.cities == () and options.channels == ()
        first = con.execute("select min(signed_up_at)::date from customers").fetchone()[0]
        assert options.first_joined == first
        as_of = db.built_as_of(con)
        ratings = _ratings(con, as_of)
        got = chosen_ids(con, Filters(stars=(1,), joined_to=first + dt.timedelta(days=60)), ratings)
        stored = con.execute(
            "select f.customer_id from customer_features f join customers c using (customer_id) "
            "where f.stars = 1 and c.signed_up_at < ?::date + interval 61 day",
            [first],
        ).fetchnumpy()["customer_id"]
        assert len(got) > 0 and list(got) == sorted(np.asarray(stored, dtype=object))
    finally:
        con.close()
