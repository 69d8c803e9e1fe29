"""Star rating on a hand-made dozen customers, monotonicity, saved rule sets, the build."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from core import db, stars
from core.build import build
from core.stars import DEFAULT_RULES, RuleSet, assign_stars


def dozen() -> pd.DataFrame:
    """Ten buyers c01..c10, each better than the one before on every input, and two
    prospects. Every percentile rank is then p = (i - 1) / 9 x 100 for customer i, the
    relationship score 0.4 p + 20 (no CSAT: 50, no referrals, no open complaints), and with
    the default weights the composite is 0.85 p + 0.15 (0.4 p + 20) = 0.91 p + 3."""
    i = np.arange(1, 11)
    buyers = pd.DataFrame(
        {
            "customer_id": [f"c{n:02d}" for n in i],
            "is_buyer": True,
            "count_orders": i,
            "count_purchase_days": i,
            "recency_days": 310 - 30 * i,
            "tenure_days": 100 * i,
            "revenue": 150.0 * i,
            "revenue_12m": 120.0 * i,
            "margin_12m": 100.0 * i,
            "predicted_clv_12m": 50.0 * i,
            "p_alive": i / 10,
            "count_interactions_12m": i,
            "avg_csat_12m": np.nan,
            "count_referrals": 0,
            "count_open_complaints": 0,
        }
    )
    prospects = pd.DataFrame(
        {
            "customer_id": ["p01", "p02"],
            "is_buyer": False,
            "count_orders": 0,
            "count_purchase_days": 0,
            "tenure_days": [10, 20],
            "revenue": 0.0,
            "revenue_12m": 0.0,
            "count_interactions_12m": [5, 0],
            "count_referrals": 0,
            "count_open_complaints": 0,
        }
    )
    return pd.concat([buyers, prospects], ignore_index=True)


def stars_by_customer(rated: pd.DataFrame) -> dict[str, object]:
    return {
        c: (None if pd.isna(s) else int(s))
        for c, s in zip(rated.customer_id, rated.stars, strict=True)
    }


def test_dimension_scores_by_hand():
    scores = stars.dimension_scores(dozen())
    p = np.arange(10) / 9 * 100
    for column in ("score_contribution", "score_growth", "score_loyalty"):
        np.testing.assert_allclose(scores[column].iloc[:10], p)
    np.testing.assert_allclose(scores["score_relationship"].iloc[:10], 0.4 * p + 20)
    assert scores.iloc[10:].isna().all().all()  # prospects are not scored


def test_score_mode_stars_by_hand():
    rated = assign_stars(dozen(), DEFAULT_RULES.replace(mode="score"))
    np.testing.assert_allclose(rated["score"].iloc[:10], 0.91 * np.arange(10) / 9 * 100 + 3)
    # composites 3, 13.1, 23.2, 33.3, 43.4, 53.6, 63.7, 73.8, 83.9, 94 against 80/65/50/30
    assert stars_by_customer(rated) == {
        "c01": 1, "c02": 1, "c03": 1, "c04": 2, "c05": 2, "c06": 3, "c07": 3,
        "c08": 4, "c09": 5, "c10": 5, "p01": None, "p02": None,
    }  # fmt: skip
    assert list(rated["value_tier"].iloc[:10]) == ["low"] * 5 + ["medium"] * 2 + ["high"] * 3
    assert rated["value_tier"].iloc[10:].isna().all()


def test_quantile_mode_gives_the_top_shares():
    rules = DEFAULT_RULES.replace(top_shares=(0.1, 0.3, 0.6, 0.9))
    got = stars_by_customer(assign_stars(dozen(), rules))
    # top 1 -> 5 stars, next 2 -> 4, next 3 -> 3, next 3 -> 2, the last -> 1
    assert [got[f"c{n:02d}"] for n in range(1, 11)] == [1, 2, 2, 2, 3, 3, 3, 4, 4, 5]
    # the default top 5% of ten customers is nobody; top 20% is two
    got = stars_by_customer(assign_stars(dozen(), DEFAULT_RULES))
    assert [got[f"c{n:02d}"] for n in range(1, 11)] == [1, 1, 2, 2, 2, 3, 3, 3, 4, 4]


def test_loyalty_classes_by_hand():
    rated = assign_stars(dozen(), DEFAULT_RULES)
    # loyalty p: 0, 11, 22, 33, 44, 56, 67, 78, 89, 100 against 40 and 70
    assert list(rated["loyalty_class"].iloc[:10]) == (
        ["not_loyal"] * 4 + ["potentially_loyal"] * 3 + ["loyal"] * 3
    )


def test_fallbacks_without_model_columns():
    features = dozen().drop(columns=["predicted_clv_12m", "p_alive"])
    assert stars.dimension_inputs(features) == {"growth": "fallback", "loyalty": "fallback"}
    scores = stars.dimension_scores(features)
    np.testing.assert_allclose(scores["score_growth"].iloc[:10], np.arange(10) / 9 * 100)
    np.testing.assert_allclose(scores["score_loyalty"].iloc[:10], np.arange(10) / 9 * 100)


def test_relationship_uses_csat_referrals_and_open_complaints():
    features = dozen()
    features.loc[0, ["avg_csat_12m", "count_referrals"]] = [5.0, 4]  # c01: happy, 4 referrals
    features.loc[9, "count_open_complaints"] = 2  # c10: two open complaints
    scores = stars.dimension_scores(features)["score_relationship"]
    assert scores.iloc[0] == pytest.approx(0.4 * 0 + 0.4 * 100 + 0.2 * 100)
    assert scores.iloc[9] == pytest.approx(0.4 * 100 + 0.4 * 50 - 50)


@pytest.mark.parametrize("mode", ["quantile", "score"])
def test_more_of_any_dimension_never_lowers_a_star(mode):
    rng = np.random.default_rng(11)
    for _ in range(20):
        dims = rng.uniform(0, 100, size=(2_000, 4))
        dims[rng.random(2_000) < 0.1] = np.nan  # prospects
        rules = RuleSet(weights=tuple(rng.uniform(0, 1, 4)), mode=mode)
        _, before, marks = stars.rate(dims, rules)
        raised = dims.copy()
        who = rng.random(2_000) < 0.3
        dim = rng.integers(0, 4)
        raised[who, dim] = np.minimum(raised[who, dim] + rng.uniform(0, 50, who.sum()), 100)
        _, after, _ = stars.rate(raised, rules, marks)
        assert (after >= before).all()
        assert (after[~who] == before[~who]).all()


@pytest.mark.parametrize("mode", ["quantile", "score"])
def test_customers_with_equal_scores_get_equal_composites_and_stars(mode):
    # seven high scorers and eleven equal ones, laid out column by column as a DataFrame
    # gives them: a matrix product rounds some of the eleven 1e-14 above the others, which
    # split their tie at a threshold (quantile: the 9th highest, the top 50%, is one of
    # them; score: the 2-star threshold is their composite, 26.47)
    rules = RuleSet(
        weights=(35, 25, 25, 0), mode=mode, score_thresholds=(80, 60, 40, 26.47058823529412)
    )
    high = np.tile([90.0, 90.0, 90.0, 0.0], (7, 1))
    equal = np.tile([25.0, 25.0, 30.0, 40.0], (11, 1))
    score, rated, _ = stars.rate(np.asfortranarray(np.vstack([high, equal])), rules)
    assert len(set(score[7:].tolist())) == 1
    assert len(set(rated[7:].tolist())) == 1


def test_next_star_move_crosses_the_next_threshold():
    rules = DEFAULT_RULES.replace(mode="score")
    rated = assign_stars(dozen(), rules)
    dims = rated[list(stars.SCORE_COLUMNS)].to_numpy()
    marks = np.asarray(rules.score_thresholds)
    move = stars.next_star_move(dims[7], rules, marks)  # c08: 73.8, 5 stars at 80
    assert move.dimension == "contribution"  # the largest weight needs the smallest rise
    assert move.to_stars == 5
    assert move.points == pytest.approx((80 - rated["score"].iloc[7]) / 0.35, abs=1e-3)
    lifted = dims[7].copy()
    lifted[0] = move.to_score
    assert stars.rate(lifted[None, :], rules, marks)[1][0] == 5
    assert stars.next_star_move(dims[9], rules, marks) is None  # already 5 stars
    assert stars.next_star_move(dims[10], rules, marks) is None  # a prospect
    assert "contribution" in stars.describe_move(move)


def test_a_move_is_worded_as_the_rule_compares_the_scores():
    close = stars.Move("contribution", 86.6, 86.9, 4)  # was "from 87 to 87 (+1 points)"
    assert "from 86.6 to 86.9 (+0.3 points)" in stars.describe_move(close)
    closer = stars.Move("loyalty", 86.66, 86.69, 4)
    assert "from 86.66 to 86.69 (+0.03 points)" in stars.describe_move(closer)
    far = stars.Move("growth", 40.2, 57.31, 3)  # the target rounded up: reaching it is enough
    assert "from 40.2 to 57.4 (+17.2 points) to reach 3 stars" in stars.describe_move(far)


def test_rule_set_checks_its_values():
    with pytest.raises(ValueError, match="weights"):
        RuleSet(weights=(0, 0, 0, 0))
    with pytest.raises(ValueError, match="top_shares"):
        RuleSet(top_shares=(0.5, 0.2, 0.6, 0.9))
    with pytest.raises(ValueError, match="score_thresholds"):
        RuleSet(score_thresholds=(50, 60, 40, 30))
    with pytest.raises(ValueError, match="unknown segment"):
        RuleSet(segment_grid=(("vip",) * 5,) * 5)


def test_saved_versions_reload_identically(empty_db):
    con = db.connect(empty_db)
    assert stars.active_rules(con).rules == DEFAULT_RULES  # nothing saved: the default
    first = RuleSet(weights=(10, 20, 30, 40), mode="score", score_thresholds=(90, 70, 50, 20))
    second = first.replace(loyal_min=80.0, high_value_stars=(5,))
    saved1 = stars.save_rule_set(con, first, "spring", saved_by="ana")
    saved2 = stars.save_rule_set(con, second, "spring", saved_by="bo")
    assert (saved1.version, saved2.version) == (1, 2)
    con.close()
    con = db.connect(empty_db)  # a new session reads the same rules back
    assert stars.load_rule_set(con, "spring", 1).rules == first
    assert stars.active_rules(con).rules == second
    assert stars.active_rules(con).saved_by == "bo"
    assert stars.activate_rule_set(con, "spring", 1).rules == first
    versions = stars.rule_set_versions(con)
    assert list(versions.sort_values("version")["is_active"]) == [True, False]
    assert stars.activate_rule_set(con, stars.DEFAULT_NAME, 0).rules == DEFAULT_RULES
    with pytest.raises(ValueError, match="no saved rule set"):
        stars.activate_rule_set(con, "spring", 9)
    con.close()


def test_a_save_rates_with_the_new_rules_or_changes_nothing(small_db, tmp_path, monkeypatch):
    """Saving makes the set active and re-rates the customers in one transaction: when the
    re-rating fails, neither the new version nor its activation lands."""
    path = tmp_path / "shop.duckdb"
    shutil.copyfile(small_db, path)
    con = db.connect(path)
    everyone_five = RuleSet(mode="score", score_thresholds=(0.0, 0.0, 0.0, 0.0))
    stars.save_rule_set(con, everyone_five, "generous", saved_by="ann")
    assert (
        con.execute(
            "select count(*) filter (where stars <> 5), count(stars) from customer_features"
        ).fetchone()[0]
        == 0
    )
    assert stars.active_rules(con).name == "generous"

    def failing(*args, **kwargs):
        raise RuntimeError("the re-rating failed")

    monkeypatch.setattr(stars, "rule_ratings", failing)
    before = stars.rule_set_versions(con)
    with pytest.raises(RuntimeError, match="re-rating failed"):
        stars.save_rule_set(con, DEFAULT_RULES, "strict", saved_by="bo")
    pd.testing.assert_frame_equal(stars.rule_set_versions(con), before)
    assert stars.active_rules(con).name == "generous"
    con.close()


def test_rules_saved_before_the_first_build_rate_it(tmp_path):
    """An imported database not built yet: a save has nothing to re-rate, and does not fail;
    the first build rates with the saved set."""
    path = tmp_path / "imported.duckdb"
    con = db.connect(path)
    con.execute("insert into customers (customer_id, signed_up_at) values ('a', '2024-01-01')")
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount) "
        "values ('t1', 'a', '2024-02-01 10:00', 50)"
    )
    everyone_five = RuleSet(mode="score", score_thresholds=(0.0, 0.0, 0.0, 0.0))
    assert stars.save_rule_set(con, everyone_five, "generous").version == 1
    assert stars.reapply_rules(con).name == "generous"  # nothing to re-rate yet
    build(con)
    assert con.execute("select stars from customer_features").fetchall() == [(5,)]
    con.close()


def test_build_rates_buyers_and_snapshots_month_ends(demo_db):
    con = db.connect(demo_db)
    counts = con.execute(
        "select count(*) filter (where is_buyer), count(stars), count(segment), "
        "count(*) filter (where not is_buyer and stars is not null), "
        "count(*) filter (where stars not between 1 and 5) from customer_features"
    ).fetchall()[0]
    buyers, rated, segmented, rated_prospects, out_of_range = counts
    assert buyers == rated == segmented > 0  # star counts add up to the rated customers
    assert rated_prospects == out_of_range == 0
    grain = con.execute(
        "select count(*), count(distinct (month_end, customer_id)), count(distinct month_end), "
        "count(*) filter (where r_score is null or f_score is null or score_loyalty is null) "
        "from customer_monthly"
    ).fetchall()[0]
    assert grain[0] == grain[1] and grain[2] == stars.MONTHS and grain[3] == 0
    rated = stars.month_end_ratings(con, stars.monthly_ends(con)[-1])
    assert len(rated) > 0 and rated["stars"].between(1, 5).all()
    assert rated["segment"].notna().all()
    con.close()


def test_flows_between_two_month_ends_add_up(demo_db):
    con = db.connect(demo_db)
    ends = stars.monthly_ends(con)
    flows = stars.star_flows(con, ends[-13], ends[-1])
    at_end = con.execute(
        "select count(*) from customer_monthly where month_end = ?", [ends[-1]]
    ).fetchall()[0][0]
    assert flows["customers"].sum() == at_end
    assert set(flows["target"]) <= {"1", "2", "3", "4", "5"}
    segments = stars.star_flows(con, ends[-13], ends[-1], by="segment")
    assert segments["customers"].sum() == at_end
    con.close()


def test_month_ends():
    import datetime as dt

    assert stars.month_ends(dt.date(2026, 11, 20), 3) == [
        dt.date(2026, 8, 31),
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 31),
    ]
    assert stars.month_ends(dt.date(2024, 2, 29), 2) == [dt.date(2024, 1, 31), dt.date(2024, 2, 29)]


def test_a_score_step_shows_the_rise_the_rule_compares():
    assert stars.score_step(86.6, 86.9) == ("86.6", "86.9", "0.3")  # not "87 to 87 (+1)"
    assert stars.score_step(86.66, 86.69) == ("86.66", "86.69", "0.03")
    assert stars.score_step(40.2, 57.31) == ("40.2", "57.4", "17.2")  # the end rounded up
    assert stars.score_step(50.0, 60.0) == ("50.0", "60.0", "10.0")


@pytest.mark.parametrize(
    "rules",
    [
        stars.DEFAULT_RULES.replace(weights=(10, 50, 20, 20), top_shares=(0.1, 0.3, 0.5, 0.7)),
        stars.DEFAULT_RULES.replace(
            mode="score", score_thresholds=(70, 55, 40, 25), loyal_min=60, high_value_stars=(5,)
        ),
    ],
)
def test_a_rule_save_rates_customer_features_as_the_inputs_rate(demo_db, tmp_path, rules):
    """A save re-rates from the stored dimension scores, R and F (`rule_ratings`): the same
    score, stars, tier, loyalty class and segment as `ratings` of the inputs gives."""
    con = db.connect(shutil.copy(demo_db, tmp_path / "demo.duckdb"))
    grid = [list(row) for row in stars.DEFAULT_RULES.segment_grid]
    grid[0][0] = "hibernating"
    rules = rules.replace(segment_grid=tuple(tuple(row) for row in grid))
    stars.save_rule_set(con, rules, "test")
    columns = ", ".join(("customer_id", *stars.RULE_COLUMNS))
    got = con.execute(f"select {columns} from customer_features order by customer_id").df()
    want = stars.ratings(stars.feature_frame(con), rules)[["customer_id", *stars.RULE_COLUMNS]]
    con.close()
    want = want.sort_values("customer_id", ignore_index=True)
    assert got["stars"].isna().sum() > 0 and got["stars"].notna().sum() > 0
    for column in ("stars", "value_tier", "loyalty_class", "segment"):
        as_text = [None if pd.isna(v) else str(v) for v in got[column]]
        assert as_text == [None if pd.isna(v) else str(v) for v in want[column]], column
    np.testing.assert_allclose(got["score"], want["score"], rtol=1e-12, atol=0)
