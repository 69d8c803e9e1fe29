"""The Overview under the shared filters: each figure counts only the chosen customers, as
worked out by hand (the hand-made shop) or by pandas on the per-customer results of the
whole base (the demo and the UK shop); no filter gives exactly today's figures; and the
lists a click opens are the groups restricted by hand."""

from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from core import db, lifecycle, overview, stars
from core.overview import monthly_revenue, overview_kpis
from tests.core.test_overview import AS_OF
from tests.core.test_overview import shop as shop  # noqa: F401  (the hand-made shop)


def test_the_kpis_of_chosen_customers_by_hand(shop):  # noqa: F811
    k = overview_kpis(shop, AS_OF, np.array(["a", "c"], dtype=object))
    assert (k.customers, k.customers_previous) == (2, 1)  # a and c; a before 2024-07-01
    assert (k.active_customers, k.active_customers_previous) == (2, 1)
    assert k.revenue == pytest.approx(300 + 100 + 100 + 80 - 20)
    assert k.revenue_previous == pytest.approx(100)
    assert (k.orders, k.orders_previous) == (4, 1)
    assert k.repeat_customers == 1  # a
    assert not k.has_previous  # the data's coverage, whoever is chosen


def test_the_monthly_revenue_of_chosen_customers_by_hand(shop):  # noqa: F811
    m = monthly_revenue(shop, AS_OF, 24, np.array(["b", "d"], dtype=object))
    by_month = dict(zip(m["month"].dt.strftime("%Y-%m"), m["revenue"], strict=True))
    assert by_month["2024-03"] == 200 and by_month["2024-06"] == 50
    assert by_month["2025-06"] == 40 and by_month["2024-07"] == 0
    assert m["revenue"].sum() == pytest.approx(290)
    assert len(m) == len(monthly_revenue(shop, AS_OF, 24))  # the same months


def _same(one, other) -> bool:
    """Two figures' dataclasses equal, sums of money to the cent (summed in another order)."""
    mine, theirs = asdict(one), asdict(other)
    return mine == {
        k: pytest.approx(v, abs=0.01) if isinstance(v, float) else v for k, v in theirs.items()
    }


def test_no_filter_is_todays_figures_and_two_halves_add_up(demo_db):
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    ids = np.sort(con.execute("select customer_id from customers").fetchnumpy()["customer_id"])
    ids = ids.astype(object)
    whole = overview_kpis(con, as_of)
    assert _same(overview_kpis.live(con, as_of), whole)
    assert _same(overview_kpis(con, as_of, ids), whole)  # everyone chosen: the same figures
    half, rest = ids[::2], ids[1::2]
    one, two = overview_kpis(con, as_of, half), overview_kpis(con, as_of, rest)
    for name in ("customers", "active_customers", "orders", "repeat_customers"):
        assert getattr(one, name) + getattr(two, name) == getattr(whole, name), name
    assert one.revenue + two.revenue == pytest.approx(whole.revenue)
    assert 0 < one.revenue < whole.revenue
    months = monthly_revenue(con, as_of)
    split = (
        monthly_revenue(con, as_of, 36, half)["revenue"]
        + monthly_revenue(con, as_of, 36, rest)["revenue"]
    )
    assert np.allclose(split, months["revenue"])


def _chosen_region(con) -> tuple[np.ndarray, str]:
    region = con.execute(
        "select region from customers where region is not null "
        "group by region order by count(*) desc limit 1"
    ).fetchone()[0]
    ids = con.execute(
        "select customer_id from customers where region = ? order by customer_id", [region]
    ).fetchnumpy()["customer_id"]
    return np.asarray(ids, dtype=object), region


@pytest.mark.parametrize("fixture", ["demo_db", "uk_shop_db"])
def test_the_story_of_chosen_customers_is_the_whole_bases_restricted_by_hand(fixture, request):
    con = db.connect(request.getfixturevalue(fixture))
    as_of = db.built_as_of(con)
    ids = con.execute("select customer_id from customers order by customer_id").fetchnumpy()
    ids = np.asarray(ids["customer_id"], dtype=object)
    chosen = ids[: len(ids) // 3]
    if fixture == "demo_db":
        chosen, _ = _chosen_region(con)
    whole, _ = overview.overview_story(con, as_of)
    story, _ = overview.overview_story(con, as_of, chosen=chosen)

    # the star mix: the whole base's stars, counted over the chosen customers only
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    frame = pd.DataFrame({"customer_id": base.frame["customer_id"], "stars": rated})
    frame["revenue"] = base.money("revenue_12m")
    mine = frame[frame["customer_id"].isin(chosen) & (frame["stars"] > 0)]
    counts = mine.groupby("stars").size().reindex(stars.STARS, fill_value=0)
    table = story.mix.table.set_index("stars")
    assert table["customers"].tolist() == counts.tolist()
    assert table["customer_share"].to_numpy() == pytest.approx((counts / counts.sum()).to_numpy())
    assert story.mix.rated < whole.mix.rated

    # the funnel: the whole base's stages, the chosen customers counted
    listed = lifecycle.lifecycle_customers(con, as_of)
    listed = listed[listed["customer_id"].isin(chosen)]
    assert story.funnel.customers["acquired"] == len(listed)
    assert story.funnel.customers["converted"] == listed["first_purchase_on"].notna().sum()
    repeat = listed["count_purchase_days"] >= 2
    assert story.funnel.customers["repeat"] == repeat.sum()
    retained = repeat & listed["stage"].isin(["new", "active"])
    assert story.funnel.customers["retained"] == retained.sum()

    # the KPIs are the chosen customers'
    assert _same(story.kpis, overview_kpis(con, as_of, chosen))
    assert story.kpis.customers < whole.kpis.customers


def test_everyone_chosen_gives_the_funnel_and_mix_of_no_filter(demo_db):
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    ids = con.execute("select customer_id from customers order by customer_id").fetchnumpy()
    everyone = np.asarray(ids["customer_id"], dtype=object)
    whole, _ = overview.overview_story(con, as_of)
    story, _ = overview.overview_story(con, as_of, chosen=everyone)
    assert story.funnel == whole.funnel
    pd.testing.assert_frame_equal(story.mix.table, whole.mix.table)
    assert _same(story.risk, whole.risk)
    assert _same(story.satisfaction, whole.satisfaction)


@pytest.mark.parametrize("fixture", ["demo_db", "uk_shop_db"])
def test_a_clicked_stars_list_is_its_tier_restricted_by_hand(fixture, request):
    con = db.connect(request.getfixturevalue(fixture))
    as_of = db.built_as_of(con)
    base = stars.rating_base(con, as_of)
    rules = stars.active_rules(con).rules
    _, rated, _ = stars.rate(base.dims, rules)
    ids = base.frame["customer_id"].to_numpy(dtype=object)
    star = 4
    expected = set(ids[rated == star])
    listed = overview.star_customers(con, as_of, star)
    assert set(listed["customer_id"]) == expected and len(listed) == len(expected)
    assert (listed["stars"] == star).all()
    chosen = np.sort(ids[::3])
    kept = overview.star_customers(con, as_of, star, chosen)
    assert set(kept["customer_id"]) == expected & set(chosen)
    assert list(kept["score"]) == sorted(kept["score"], reverse=True)
    with pytest.raises(ValueError, match="unknown star"):
        overview.star_customers(con, as_of, 6)


def test_a_clicked_funnel_steps_list_is_the_step_restricted_by_hand(uk_shop_db):
    con = db.connect(uk_shop_db)
    as_of = db.built_as_of(con)
    listed = lifecycle.lifecycle_customers(con, as_of)
    chosen = np.sort(listed["customer_id"].to_numpy(dtype=object)[::2])
    for step, hit in overview.funnel_steps(listed).items():
        whole = overview.step_customers(con, as_of, lifecycle.DEFAULT_RULES, step, limit=50)
        assert whole.total == hit.sum(), step
        assert len(whole.customers) == min(50, whole.total)
        mine = overview.step_customers(con, as_of, lifecycle.DEFAULT_RULES, step, chosen)
        expected = set(listed.loc[hit, "customer_id"]) & set(chosen)
        assert set(mine.customers["customer_id"]) == expected and mine.total == len(expected)
    with pytest.raises(ValueError, match="unknown funnel step"):
        overview.step_customers(con, as_of, lifecycle.DEFAULT_RULES, "loyal")


def test_a_filter_leaving_a_handful_of_customers_makes_no_sentence(demo_db):
    """The insights keep their floors under a filter: no sentence from fewer than 20
    customers or 30 answers, though the whole base has sentences."""
    from core import insights

    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    buyers = con.execute(
        "select customer_id from customer_features where is_buyer order by customer_id limit 15"
    ).fetchnumpy()["customer_id"]
    whole, _ = overview.overview_story(con, as_of)
    few, _ = overview.overview_story(con, as_of, chosen=np.asarray(buyers, dtype=object))
    assert insights.insights(whole)
    assert few.mix.rated <= 15 and few.kpis.active_customers <= 15
    assert insights.insights(few) == []
