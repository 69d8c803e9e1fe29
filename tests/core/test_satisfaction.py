"""CSAT, NPS, complaints, the loyalty index and the value of unhappy customers, by hand.

The hand-made shop of test_lifecycle.py (as of 2025-06-30, margin = half of every amount)
with a few survey answers and complaints.
"""

import datetime as dt

import pandas as pd
import pytest

from core import db
from core.build import statuses
from core.satisfaction import (
    backlog_ages,
    churn_by_band,
    complaint_backlog,
    complaints_by_month,
    has_stars,
    satisfaction_by_group,
    satisfaction_kpis,
    satisfaction_trend,
    unhappy_customers,
    value_at_risk,
    value_at_risk_summary,
    value_basis,
    value_report,
    with_scores,
)
from tests.core.test_lifecycle import AS_OF, build_shop

N = None
# feedback_id, customer_id, submitted at, kind, csat, nps, category, channel, resolved at
FEEDBACK = [
    ("F1", "n1", "2025-05-02 10:00", "survey", 5, 10, None, "app", None),
    ("F2", "n2", "2025-05-11 10:00", "survey", 4, 9, None, "app", None),
    ("F3", "a1", "2025-05-20 10:00", "survey", 3, 7, None, "wechat", None),
    ("F4", "a2", "2025-05-25 10:00", "survey", 1, 3, None, "wechat", None),
    ("F5", "a1", "2025-06-05 10:00", "survey", 5, 10, None, "app", None),  # a1's latest
    ("F6", "c1", "2024-05-05 10:00", "survey", 2, 2, None, "phone", None),  # previous year
    ("C1", "a3", "2025-06-10 09:00", "complaint", N, N, "quality", "phone", "2025-06-11 09:00"),
    ("C2", "r1", "2025-06-20 10:00", "complaint", N, N, "delivery", "app", "2025-06-24 10:00"),
    ("C3", "a3", "2025-06-29 12:00", "complaint", N, N, "delivery", "app", None),
    ("C4", "n2", "2025-06-30 08:00", "complaint", N, N, "price", "phone", "2025-07-02 08:00"),
    ("S1", "n1", "2025-06-01 10:00", "suggestion", N, N, "service", "app", None),
]  # fmt: skip


@pytest.fixture
def shop(tmp_path):
    con = db.connect(tmp_path / "shop.duckdb")
    build_shop(con)
    feedback = pd.DataFrame(
        FEEDBACK,
        columns=[
            "feedback_id",
            "customer_id",
            "submitted_at",
            "kind",
            "csat",
            "nps",
            "category",
            "channel",
            "resolved_at",
        ],
    )
    for column in ("submitted_at", "resolved_at"):
        feedback[column] = pd.to_datetime(feedback[column])
    for column in ("csat", "nps"):
        feedback[column] = feedback[column].astype("Int64")
    con.register("shop_feedback", feedback)
    con.execute("insert into feedback by name select * from shop_feedback")
    con.unregister("shop_feedback")
    return con


def test_monthly_csat_and_nps_by_hand(shop):
    trend = satisfaction_trend(shop, AS_OF, months=2, min_answers=1).set_index("month")
    may, june = trend.loc[pd.Timestamp("2025-05-01")], trend.loc[pd.Timestamp("2025-06-01")]
    assert may["csat_answers"] == 4 and may["nps_answers"] == 4
    assert may["csat"] == pytest.approx((5 + 4 + 3 + 1) / 4)
    assert may["satisfied_share"] == pytest.approx(2 / 4)
    assert may["nps"] == pytest.approx((2 - 1) / 4 * 100)  # 10, 9 promote; 3 detracts
    assert june["nps_answers"] == 1 and june["nps"] == 100


def test_too_few_answers_give_no_figure(shop):
    trend = satisfaction_trend(shop, AS_OF, months=2, min_answers=3).set_index("month")
    may, june = trend.loc[pd.Timestamp("2025-05-01")], trend.loc[pd.Timestamp("2025-06-01")]
    assert may["nps"] == pytest.approx(25) and not may["nps_thin"]
    assert pd.isna(june["nps"]) and pd.isna(june["csat"]) and june["nps_thin"]
    assert june["nps_answers"] == 1  # the count is still there to show


def test_scores_from_counts():
    counts = pd.DataFrame(
        {
            "csat_answers": [0, 10],
            "csat_total": [0, 42],
            "csat_satisfied": [0, 8],
            "nps_answers": [0, 10],
            "promoters": [0, 5],
            "passives": [0, 3],
            "detractors": [0, 2],
        }
    )
    scored = with_scores(counts, min_answers=0)
    assert pd.isna(scored.loc[0, "nps"]) and scored.loc[0, "nps_thin"]  # no answers at all
    assert scored.loc[1, "csat"] == pytest.approx(4.2)
    assert scored.loc[1, "nps"] == pytest.approx(30)


def test_by_channel_and_category(shop):
    by_channel = satisfaction_by_group(shop, AS_OF, by="channel", min_answers=1)
    rows = by_channel.set_index("group_key")
    assert rows.loc["app", "nps_answers"] == 3 and rows.loc["app", "nps"] == 100
    assert rows.loc["wechat", "nps"] == pytest.approx((0 - 1) / 2 * 100)  # 7 and 3
    assert list(by_channel["group_key"]) == ["app", "wechat"]  # most answers first
    by_category = satisfaction_by_group(shop, AS_OF, by="category", min_answers=1)
    assert list(by_category["group_key"]) == ["unspecified"]  # surveys carry no category
    by_stars = satisfaction_trend(shop, AS_OF, by="stars", months=2, min_answers=1)
    assert set(by_stars["group_key"]) == {"unrated"}
    with pytest.raises(ValueError, match="unknown grouping"):
        satisfaction_trend(shop, AS_OF, by="city")


def test_kpis_and_loyalty_index_by_hand(shop):
    k = satisfaction_kpis(shop, AS_OF)
    now, before = k.current, k.previous
    assert now.csat == pytest.approx(18 / 5) and now.satisfied_share == pytest.approx(3 / 5)
    assert now.nps == pytest.approx((3 - 1) / 5 * 100)
    assert before.nps_answers == 1 and before.nps == -100  # c1's 2
    assert now.complaints == 4
    assert now.resolved == 2  # C4 is resolved only after the as-of date
    assert now.within_sla == 1  # C1 in 24 h; C2 took 96 h
    assert now.sla_share == pytest.approx(1 / 4)
    assert now.median_resolution_hours == pytest.approx((24 + 96) / 2)
    # buyers in the 12 months: n1 n2 a1 a2 a3 r1 x1 e1 z1; on 2+ days: n2 a1 a2 a3
    assert (now.buyers, now.repeat_buyers) == (9, 4)
    assert now.referrers == 1  # a1 referred x1; e1's referrer c1 bought nothing this year
    expected = 100 * (4 / 9 + 1 / 9 + 3 / 5) / 3
    assert now.loyalty_index() == pytest.approx(expected)
    assert satisfaction_kpis(shop, AS_OF, sla_hours=100).current.within_sla == 2
    with pytest.raises(ValueError, match="service level"):
        satisfaction_kpis(shop, AS_OF, sla_hours=0)


def test_complaints_by_month_and_backlog(shop):
    months = complaints_by_month(shop, AS_OF, months=2)
    june = months[months["month"] == pd.Timestamp("2025-06-01")]
    total = june[june["is_total"]].iloc[0]
    assert (total["complaints"], total["resolved"], total["within_sla"]) == (4, 2, 1)
    assert total["median_resolution_hours"] == pytest.approx(60)
    delivery = june[june["category"] == "delivery"].iloc[0]
    assert (delivery["complaints"], delivery["resolved"]) == (2, 1)
    may_total = months[(months["month"] == pd.Timestamp("2025-05-01")) & months["is_total"]]
    assert may_total["complaints"].iloc[0] == 0  # a month without complaints is zero
    backlog = complaint_backlog(shop, AS_OF)
    assert list(backlog["feedback_id"]) == ["C3", "C4"]  # open at the end of 30 June
    assert backlog.set_index("feedback_id")["age_days"].to_dict() == pytest.approx(
        {"C3": 1.5, "C4": 16 / 24}
    )
    ages = backlog_ages(backlog)
    assert ages["complaints"].tolist() == [2, 0, 0, 0]
    assert complaint_backlog(shop, dt.date(2025, 6, 21))["feedback_id"].tolist() == ["C2"]


def test_churn_by_satisfaction_band(shop):
    bands = churn_by_band(shop, AS_OF).set_index("band")
    assert (bands["measure"] == "nps").all()
    assert bands["buyers"].to_dict() == {
        "promoter": 3,  # n1 n2 a1 (a1's latest answer is a 10)
        "passive": 0,
        "detractor": 2,  # a2 (at risk), c1 (churned)
        "no_answer": 6,  # a3 r1 c2 x1 e1 z1
    }
    assert bands.loc["detractor", "churn_rate"] == 0.5
    assert bands.loc["detractor", "at_risk_rate"] == 0.5
    assert bands.loc["promoter", "churn_rate"] == 0
    assert bands.loc["no_answer", "churn_rate"] == pytest.approx(1 / 6)  # c2
    assert pd.isna(bands.loc["passive", "churn_rate"])
    assert bands["value"].to_dict() == {  # margins; a band without buyers holds 0
        "promoter": 20 + 115 + 500,  # n1 n2 a1
        "passive": 0,
        "detractor": 75 + 100,  # a2 c1
        "no_answer": 200 + 30 + 0 + 25 + 20 + 285,  # a3 r1 c2 x1 e1 z1
    }


def test_churn_by_csat_band(shop):
    """Latest CSAT: unhappy 1-2, neutral 3, happy 4-5. r1 answers a CSAT of 3 with no NPS:
    neutral by CSAT, still no answer by NPS."""
    shop.execute(
        "insert into feedback (feedback_id, customer_id, submitted_at, kind, csat) "
        "values ('F7', 'r1', '2025-06-02 10:00', 'survey', 3)"
    )
    bands = churn_by_band(shop, AS_OF, measure="csat")
    assert bands["band"].tolist() == ["unhappy", "neutral", "happy", "no_answer"]
    assert (bands["measure"] == "csat").all()
    bands = bands.set_index("band")
    assert bands["buyers"].to_dict() == {
        "unhappy": 2,  # a2 (1, at risk), c1 (2, churned)
        "neutral": 1,  # r1 (at risk); a1's 3 was followed by a 5
        "happy": 3,  # n1 n2 a1
        "no_answer": 5,  # a3 c2 x1 e1 z1
    }
    assert (bands.loc["unhappy", "churn_rate"], bands.loc["unhappy", "at_risk_rate"]) == (0.5, 0.5)
    assert (bands.loc["neutral", "churn_rate"], bands.loc["neutral", "at_risk_rate"]) == (0, 1)
    assert bands.loc["happy", "churn_rate"] == 0
    assert bands.loc["no_answer", "churn_rate"] == pytest.approx(1 / 5)  # c2
    nps = churn_by_band(shop, AS_OF).set_index("band")["buyers"]
    assert nps["no_answer"] == 6  # r1 gave no NPS
    report = value_report(shop, AS_OF)
    assert report.csat_bands.equals(churn_by_band(shop, AS_OF, measure="csat"))
    with pytest.raises(ValueError, match="unknown measure 'ces'"):
        churn_by_band(shop, AS_OF, measure="ces")


def test_value_held_by_unhappy_customers(shop):
    assert not has_stars(shop) and value_basis(shop) == "margin"
    v = value_at_risk_summary(shop, AS_OF)
    assert v.value == pytest.approx(1370 / 1)  # margins: half of every customer's revenue
    assert (v.detractors, v.detractor_value) == (2, 175)  # a2 75, c1 100
    assert (v.open_complaint_customers, v.open_complaint_value) == (2, 315)  # a3 200, n2 115
    assert (v.unhappy, v.unhappy_value) == (4, 490)
    assert v.unhappy_top_tier is None and v.unhappy_top_tier_value is None  # no stars yet
    assert v.detractor_value_share == pytest.approx(175 / 1370)


def test_value_is_unknown_when_the_value_model_did_not_run(shop):
    """Stars are built and the CLV column exists, but the model could not fit (every
    prediction null): what customers are worth is unknown (None / NaN), never 0, while the
    counts stay and a band without buyers still has 0 of them."""
    shop.execute("create table customer_features as select customer_id from customers")
    shop.execute("alter table customer_features add column stars integer")
    shop.execute("alter table customer_features add column predicted_clv_12m double")
    shop.execute("update customer_features set stars = 5")
    assert value_basis(shop) == "predicted" and has_stars(shop)
    report = value_report(shop, AS_OF)
    v = report.summary
    assert (v.buyers, v.detractors, v.open_complaint_customers, v.unhappy) == (11, 2, 2, 4)
    assert v.unhappy_top_tier == 4
    for amount in (
        v.value,
        v.detractor_value,
        v.open_complaint_value,
        v.unhappy_value,
        v.unhappy_top_tier_value,
    ):
        assert amount is None
    assert v.detractor_value_share is None and v.unhappy_value_share is None
    for bands in (report.bands, report.csat_bands):
        assert bands["value"].isna().all()
        assert bands["buyers"].sum() == 11
    assert report.bands.set_index("band").loc["passive", "buyers"] == 0
    assert report.bands.equals(churn_by_band(shop, AS_OF))


def test_the_marketplace_value_is_unknown(market_db):
    """The CSAT-only marketplace: one order per customer, the spend model cannot fit (the
    purchase model can: Pareto/NBD), so there is no CLV and no band, group or total has a
    value; the counts are all there."""
    con = db.connect(market_db)
    assert statuses(con)["clv"].code == "fit_at_bound"
    as_of = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    report = value_report(con, as_of)
    con.close()
    v = report.summary
    assert v.value_basis == "predicted" and v.buyers > 0 and v.unhappy > 0
    assert v.value is None and v.unhappy_value is None and v.detractor_value is None
    assert v.has_stars and v.unhappy_top_tier > 0 and v.unhappy_top_tier_value is None
    assert report.bands["value"].isna().all() and report.csat_bands["value"].isna().all()
    assert report.bands.set_index("band").loc["detractor", "buyers"] == 0  # no NPS at all
    assert report.csat_bands["buyers"].sum() == v.buyers


def test_the_list_to_call(shop):
    frame = value_at_risk(shop, AS_OF)
    assert list(frame["customer_id"]) == ["a3", "n2", "a2"]  # c1 has churned
    assert frame.attrs["value_basis"] == "margin"
    a3 = frame.iloc[0]
    assert (a3["open_complaints"], a3["value"]) == (1, 200)
    first = unhappy_customers(shop, AS_OF, limit=2)
    assert first.total == 3 and list(first.customers["customer_id"]) == ["a3", "n2"]
    report = value_report(shop, AS_OF, limit=2)
    assert report.unhappy.total == 3 and report.summary.unhappy == 4
    assert report.bands.equals(churn_by_band(shop, AS_OF))


def test_stars_and_predicted_clv_are_used_once_they_exist(shop):
    shop.execute("create table customer_features as select customer_id from customers")
    shop.execute("alter table customer_features add column stars integer")
    shop.execute("alter table customer_features add column predicted_clv_12m double")
    shop.execute(
        "update customer_features set stars = case customer_id when 'a3' then 5 "
        "when 'n2' then 4 when 'a2' then 2 else 3 end, predicted_clv_12m = 1000"
    )
    assert has_stars(shop) and value_basis(shop) == "predicted"
    v = value_at_risk_summary(shop, AS_OF)
    assert v.value == 11 * 1000
    assert (v.unhappy_top_tier, v.unhappy_top_tier_value) == (2, 2000)  # a3 and n2
    top = value_at_risk(shop, AS_OF, top_stars=4)
    assert set(top["customer_id"]) == {"a3", "n2"}
    by_stars = satisfaction_by_group(shop, AS_OF, by="stars", min_answers=1)
    assert set(by_stars["group_key"]) == {"2", "3", "4"}  # a2; n1 a1; n2


def test_empty_database(tmp_path):
    con = db.connect(tmp_path / "empty.duckdb")
    k = satisfaction_kpis(con, AS_OF)
    assert k.current.nps is None and k.current.loyalty_index() is None
    assert satisfaction_trend(con, AS_OF).empty
    assert complaint_backlog(con, AS_OF).empty
    assert backlog_ages(complaint_backlog(con, AS_OF))["complaints"].sum() == 0
    assert churn_by_band(con, AS_OF)["buyers"].sum() == 0
    assert value_at_risk_summary(con, AS_OF).value == 0
