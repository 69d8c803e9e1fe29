"""Customer 360: the search box on a hand-made customer list, and each portrait's figures
against the marts (customer_features, the Value and Stars pages' definitions) on the demo
and the real-shaped shops."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import customer360 as c3
from core import db, segments, stars, value
from core.churn import ChurnSettings, churn_features

# --- search -----------------------------------------------------------------------------

PEOPLE = [
    # customer_id, name, email, phone
    ("C1", "宋玲", "song.ling@example.com", "153-4494-2406"),
    ("C10", "宋玲玲", "lingling@example.cn", "+86 138 0013 8000"),
    ("XC1", "Anna Smith", "Anna.Smith@Example.com", "(020) 7946 0958"),
    ("C2", "Smithers", "boss@example.com", None),
    ("C3", None, None, "15344942406"),
]


@pytest.fixture
def people_db(tmp_path):
    con = db.connect(tmp_path / "people.duckdb")
    con.executemany(
        "insert into customers (customer_id, name, email, phone, signed_up_at) "
        "values (?, ?, ?, ?, '2024-01-01')",
        PEOPLE,
    )
    yield con
    con.close()


def _ids(con, text, limit=20):
    return list(c3.search(con, text, limit)["customer_id"])


def test_an_exact_id_comes_first_then_prefixes_then_substrings(people_db):
    assert _ids(people_db, "c1") == ["C1", "C10", "XC1"]
    ranks = c3.search(people_db, "C1")["match_rank"].tolist()
    assert ranks == [0, 2, 3]


def test_part_of_a_name_or_email_finds_the_customer_whatever_the_case(people_db):
    assert _ids(people_db, "smith") == ["C2", "XC1"]  # both prefixes: by id
    assert _ids(people_db, "ANNA.SMITH@example.COM") == ["XC1"]
    assert _ids(people_db, "example.cn") == ["C10"]


def test_chinese_names_match_whole_and_in_part(people_db):
    found = c3.search(people_db, "宋玲")
    assert list(found["customer_id"]) == ["C1", "C10"]
    assert list(found["match_rank"]) == [1, 2]  # the exact name before the longer one
    assert _ids(people_db, "玲玲") == ["C10"]


def test_phones_match_on_their_digits_however_typed(people_db):
    assert set(_ids(people_db, "15344942406")) == {"C1", "C3"}
    assert set(_ids(people_db, "153 4494 2406")) == {"C1", "C3"}
    assert _ids(people_db, "138-0013") == ["C10"]
    assert _ids(people_db, "7946 0958") == ["XC1"]
    assert _ids(people_db, "(020)") == []  # too few digits to be a phone: no id holds it


def test_a_blank_or_unmatched_text_finds_nobody_and_the_limit_holds(people_db):
    assert _ids(people_db, "   ") == []
    assert _ids(people_db, "nobody") == []
    assert len(_ids(people_db, "example", limit=2)) == 2
    with pytest.raises(ValueError, match="limit"):
        c3.search(people_db, "x", limit=0)


def test_percent_and_underscore_are_matched_as_typed(people_db):
    assert _ids(people_db, "%") == []
    assert _ids(people_db, "_") == []


# --- portraits against the marts ------------------------------------------------------------

SHOPS = ("demo_db", "uk_shop_db", "market_db")


@pytest.fixture(params=SHOPS)
def shop(request):
    con = db.connect(request.getfixturevalue(request.param), read_only=True)
    yield con
    con.close()


def _sample(con) -> list[str]:
    """A customer of each star (the first by id), a prospect when there is one, and the
    customer with most orders."""
    ids = [
        row[0]
        for row in con.execute(
            "select min(customer_id) from customer_features group by stars "
            "union select arg_max(customer_id, count_orders) from customer_features"
        ).fetchall()
    ]
    return sorted(ids)


def _close(a, b, rel=1e-9):
    if a is None or b is None or pd.isna(b):
        return a is None and (b is None or pd.isna(b))
    return a == pytest.approx(float(b), rel=rel, abs=1e-9)


def test_the_ratings_and_classes_are_those_of_customer_features(shop):
    for customer in _sample(shop):
        card = c3.portrait(shop, customer)
        row = (
            shop.execute("select * from customer_features where customer_id = ?", [customer])
            .df()
            .iloc[0]
        )
        assert card.stars == (None if pd.isna(row["stars"]) else int(row["stars"]))
        for dimension in stars.DIMENSIONS:
            assert _close(card.scores[dimension], row[f"score_{dimension}"])
        for name in ("segment", "lifecycle_stage", "value_tier", "loyalty_class"):
            expected = None if pd.isna(row[name]) else row[name]
            assert getattr(card, name) == expected, name
        for name in ("revenue", "margin", "p_alive", "churn_risk"):
            assert _close(getattr(card, name), row[name]), name


def test_the_star_move_is_the_stars_pages(shop):
    """The Stars page rates the rating base with the active rules and asks next_star_move;
    the portrait reads the stored composites: the same thresholds and the same move."""
    as_of = db.built_as_of(shop)
    base = stars.rating_base(shop, as_of)
    rules = stars.active_rules(shop).rules
    _, _, marks = stars.rate(base.dims, rules)
    np.testing.assert_array_equal(c3.star_marks(shop, rules), marks)
    for customer in _sample(shop):
        row = int(np.flatnonzero(base.frame["customer_id"].to_numpy() == customer)[0])
        assert c3.portrait(shop, customer).move == stars.next_star_move(
            base.dims[row], rules, marks
        )


def test_formula_and_predicted_clv_are_the_value_pages(shop):
    as_of = db.built_as_of(shop)
    models = value.stored_value_models(shop, as_of)
    defaults = value.stored_value_defaults(shop, as_of)
    table = None
    if isinstance(models, value.ValueModels):
        table = value.customer_values(shop, models, defaults.settings()).set_index("customer_id")
    for customer in _sample(shop):
        card = c3.portrait(shop, customer)
        row = shop.execute(
            "select predicted_clv_12m, is_buyer from customer_features where customer_id = ?",
            [customer],
        ).fetchall()[0]
        if row[0] is None:
            assert card.predicted_clv is None
        else:
            assert card.predicted_clv.value == pytest.approx(row[0], rel=1e-12)
            assert card.predicted_clv.low <= card.predicted_clv.value <= card.predicted_clv.high
        if table is not None and customer in table.index:
            assert card.formula_clv == pytest.approx(table.loc[customer, "formula_clv"], rel=1e-12)
            assert card.formula_inputs["aov"] == pytest.approx(table.loc[customer, "aov"])
        if not row[1]:
            assert card.formula_clv is None and card.p_alive_history.empty


def test_p_alive_over_time_ends_on_the_stored_p_alive(shop):
    for customer in _sample(shop):
        card = c3.portrait(shop, customer)
        history = card.p_alive_history
        if card.p_alive is None:
            assert history.empty
            continue
        assert history["month_end"].iloc[-1] == card.as_of
        assert history["p_alive"].iloc[-1] == pytest.approx(card.p_alive, rel=1e-9)
        assert history["p_alive"].between(0, 1).all()
        assert list(history["month_end"]) == sorted(history["month_end"])


def test_the_time_lines_add_up_to_the_marts(shop):
    for customer in _sample(shop):
        card = c3.portrait(shop, customer)
        f = card.features
        orders = card.orders
        assert (~orders["is_refund"]).sum() == (f["count_orders"] or 0)
        if f["is_buyer"]:
            assert orders["amount"].sum() == pytest.approx(f["revenue"], rel=1e-9, abs=1e-6)
            assert card.categories["amount"].sum() == pytest.approx(
                f["revenue"], rel=1e-9, abs=1e-6
            )
        count = f.get("count_open_complaints")
        if count is not None and not pd.isna(count):
            assert card.open_complaints == count
        contacts = card.contacts
        assert list(contacts["is_open_complaint"]) == sorted(
            contacts["is_open_complaint"], reverse=True
        )
        referrals = f.get("count_referrals")
        if referrals is not None and not pd.isna(referrals):
            assert len(card.referrals) == referrals


def test_interactions_of_the_last_year_are_the_marts_engagement(demo_db):
    con = db.connect(demo_db, read_only=True)
    customer, expected = con.execute(
        "select customer_id, count_interactions_12m from customer_features "
        "where count_interactions_12m > 2 order by customer_id limit 1"
    ).fetchall()[0]
    card = c3.portrait(con, customer)
    since = pd.Timestamp(card.as_of - dt.timedelta(days=365) + dt.timedelta(days=1))
    touched = card.contacts[
        (card.contacts["source"] == "interaction") & (card.contacts["happened_at"] >= since)
    ]
    assert len(touched) == expected
    con.close()


def test_the_cluster_is_the_segments_pages(demo_db):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    frame = segments.segment_frame(con, as_of)
    found = segments.clusters_at(con, as_of, None, frame)
    for customer in _sample(con):
        card = c3.portrait(con, customer)
        rows = np.flatnonzero(frame["customer_id"].to_numpy() == customer)
        if not len(rows):
            assert card.cluster is None
            continue
        assert card.cluster.number == found.labels[rows[0]] + 1
        assert card.cluster.k == found.k
    con.close()


def test_the_next_order_is_the_median_wait_if_still_active(demo_db):
    con = db.connect(demo_db, read_only=True)
    customer = con.execute(
        "select customer_id from customer_features where btyd_frequency >= 3 "
        "order by customer_id limit 1"
    ).fetchall()[0][0]
    card = c3.portrait(con, customer)
    models = c3._stored_models(con, card.as_of)
    order = card.next_order
    assert card.as_of <= order.earliest < order.on < order.latest
    for day, chance in ((order.earliest, 0.25), (order.on, 0.5), (order.latest, 0.75)):
        weeks = (day - card.as_of).days / 7
        # the dates are whole days: the chance by then is within a day's worth of the quantile
        assert c3.next_order_chance(card.features, models, weeks) == pytest.approx(chance, abs=0.02)
    assert order.p_alive == card.p_alive
    con.close()


def test_churn_drivers_are_the_stored_ones_with_this_customers_values(demo_db):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    customer = con.execute(
        "select min(customer_id) from churn_scores where horizon_days = 90"
    ).fetchall()[0][0]
    drivers = c3.portrait(con, customer).churn_drivers
    stored = con.execute(
        "select feature from churn_drivers where horizon_days = 90 "
        "and feature <> 'acquisition_channel' order by rank limit ?",
        [c3.DRIVERS],
    ).fetchall()
    assert list(drivers["feature"]) == [row[0] for row in stored]
    own = churn_features(con, as_of, ChurnSettings().active_days, [customer]).iloc[0]
    for feature, mine in zip(drivers["feature"], drivers["value"], strict=True):
        assert mine == own[feature] or (np.isnan(mine) and np.isnan(own[feature]))
    assert drivers["share_below"].dropna().between(0, 1).all()
    never = con.execute(
        "select min(customer_id) from customer_features where not is_buyer"
    ).fetchall()[0][0]
    assert c3.portrait(con, never).churn_drivers.empty  # not scored: no drivers
    con.close()


def test_a_young_shop_without_models_says_what_is_missing(small_db):
    con = db.connect(small_db, read_only=True)
    card = c3.portrait(con, "c5")
    assert card is not None and card.is_buyer
    assert {"models", "interactions", "feedback", "referrals"} <= set(card.missing)
    assert card.predicted_clv is None and card.next_order is None
    assert card.p_alive_history.empty and card.contacts.empty and card.churn_drivers.empty
    assert len(card.orders) > 0 and card.formula_clv is not None
    con.close()


def test_no_customer_or_no_build_gives_no_portrait(demo_db, empty_db):
    con = db.connect(demo_db, read_only=True)
    assert c3.portrait(con, "no such id") is None
    with pytest.raises(ValueError, match="build"):
        c3.portrait(con, "C0000001", as_of=dt.date(2020, 1, 1))
    con.close()
    empty = db.connect(empty_db)
    assert c3.portrait(empty, "C0000001") is None
    assert c3.search(empty, "C1").empty
    empty.close()
