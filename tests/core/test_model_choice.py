"""The model choice: BG/NBD, MBG/NBD and Pareto/NBD on one holdout. CDNOW's published and
independently reproduced figures (issue 18), the pieces counted by hand, the real-shaped
shops and the empty database."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core import db
from core.clv import NotReady
from core.model_choice import compare_models, decile_table, top_capture

CDNOW = Path("/work/shared/data/cdnow/cdnowElog.csv")
CDNOW_END = dt.date(1997, 9, 30)
HOLDOUT_DAYS = 273  # 39 weeks, to 1998-06-30

# Issue 18 (published and independently reproduced): predicted repeat purchases, bias and
# per-customer MAE on the 39-week holdout; 1,882 happened; predicting zero scores MAE 0.798.
PUBLISHED = {
    "bgnbd": (1653, -12.1, 0.785),
    "mbgnbd": (1577, -16.2, 0.765),
    "pareto_nbd": (1666, -11.5, 0.755),
}


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cdnow") / "db.duckdb"
    con = db.connect(path)
    con.execute(
        """
        insert into transactions (transaction_id, customer_id, ordered_at, amount)
        select (row_number() over ())::varchar, sampleid::varchar, strptime(date, '%Y%m%d'), sales
        from read_csv($path, types = {'date': 'varchar'})
        """,
        {"path": str(CDNOW)},
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def cdnow_choice(cdnow_db):
    con = db.connect(cdnow_db, read_only=True)
    choice = compare_models(con, CDNOW_END, HOLDOUT_DAYS)
    con.close()
    return choice


def test_cdnow_comparison_reproduces_the_published_holdout(cdnow_choice):
    table = cdnow_choice.table.set_index("model")
    # the three BTYD models and the learnt forecaster (tests/core/test_learnt_model.py)
    assert set(table.index) == set(PUBLISHED) | {"learnt"} and not cdnow_choice.refused
    assert (table["actual"] == 1882).all()
    assert table["mae_zero"].round(3).eq(0.798).all()
    for name, (total, bias, mae) in PUBLISHED.items():
        row = table.loc[name]
        assert round(row["predicted"]) == total, name
        assert round(row["total_error_pct"], 1) == bias, name
        assert row["mae"] == pytest.approx(mae, abs=5e-4), name


def test_cdnow_top_decile_revenue_capture(cdnow_choice):
    table = cdnow_choice.table.set_index("model").drop(index="learnt")
    # issue 18: 50.3% for Pareto/NBD + Gamma-Gamma, 76.2% for a perfect ranking (the top 235
    # of 2,357 customers); measured here: BG/NBD 50.2%, MBG/NBD 50.2%
    assert round(table.loc["pareto_nbd", "top10_capture_pct"], 1) == 50.3
    assert table["top10_capture_perfect_pct"].round(1).eq(76.2).all()
    assert table["top10_capture_pct"].round(1).to_dict() == {
        "bgnbd": 50.2,
        "pareto_nbd": 50.3,
        "mbgnbd": 50.2,
    }


def test_cdnow_choice_is_pareto_nbd_and_says_why(cdnow_choice):
    # Pareto/NBD ranks first on all three criteria on CDNOW, so no model here meets the
    # issue's target of beating it (|bias| < 11.5%, MAE < 0.755, capture > 50.3%): an honest
    # miss, quoted in the reason
    assert cdnow_choice.best == "pareto_nbd"
    assert "-11.5%" in cdnow_choice.reason and "0.755 against 0.798" in cdnow_choice.reason
    assert "50.3%, 76.2% at best" in cdnow_choice.reason


def test_cdnow_deciles_add_up_and_calibrate(cdnow_choice):
    deciles = cdnow_choice.deciles
    for name, group in deciles.groupby("model"):
        assert group["decile"].tolist() == list(range(1, 11))
        assert group["customers"].sum() == 2357
        assert group["actual"].sum() == 1882
        predicted = cdnow_choice.customers[f"predicted_{name}"].sum()
        assert group["predicted"].sum() == pytest.approx(predicted)
        # the top decile carries about half the holdout purchases and is predicted within 10%
        top = group.iloc[0]
        assert top["predicted"] == pytest.approx(top["actual"], rel=0.1), name
    table = cdnow_choice.table.set_index("model")
    assert table["decile_error_pct"].between(0, 30).all()


def test_deciles_and_capture_by_hand():
    predicted = np.array([5.0, 1.0, 3.0, 0.0, 2.0, 4.0, 0.5, 0.2, 0.1, 0.3, 6.0, 7.0])
    actual = np.arange(12.0)
    table = decile_table(predicted, actual)
    # 12 customers in 10 groups: the first two groups get two (7 and 6, then 5 and 4)
    assert table["customers"].tolist() == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert table["actual"].tolist() == [11 + 10, 0 + 5, 2, 4, 1, 6, 9, 7, 8, 3]
    revenue = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30.0, 70.0])
    assert top_capture(predicted, revenue) == pytest.approx(70.0)  # 1 of 12: the top scorer
    assert top_capture(predicted, revenue, share=0.2) == pytest.approx(100.0)
    assert np.isnan(top_capture(predicted, np.zeros(12)))


def test_a_real_shaped_shop(uk_shop_db):
    con = db.connect(uk_shop_db, read_only=True)
    last = db.day_span(con, "transactions")[1]
    choice = compare_models(con, last - dt.timedelta(days=90), 90)
    con.close()
    table = choice.table.set_index("model")
    assert set(table.index) | set(choice.refused) == set(PUBLISHED) | {"learnt"}
    assert choice.best in table.index
    assert np.isfinite(table[["predicted", "mae", "top10_capture_pct"]].to_numpy()).all()
    assert (table["top10_capture_pct"] <= table["top10_capture_perfect_pct"]).all()


def test_one_off_buyers_get_a_choice_with_a_warning(market_db):
    con = db.connect(market_db, read_only=True)
    last = db.day_span(con, "transactions")[1]
    choice = compare_models(con, last - dt.timedelta(days=90), 90)
    con.close()
    table = choice.table.set_index("model")
    # nearly every customer buys once: no model beats predicting zero, and the reason says so
    assert (table["mae"] >= table["mae_zero"]).all()
    assert "no model predicts single customers better than predicting zero" in choice.reason
    assert all(isinstance(reason, str) and reason for reason in choice.refused.values())


def test_thin_and_empty_data_are_refused_with_the_reason(thin_db, empty_db):
    con = db.connect(thin_db, read_only=True)
    with pytest.raises(NotReady) as raised:
        compare_models(con, dt.date(2024, 1, 20), 20)
    assert raised.value.reason.code == "few_customers"
    con.close()
    con = db.connect(empty_db, read_only=True)
    with pytest.raises(ValueError, match="there are no transactions"):
        compare_models(con, dt.date(2024, 1, 20), 20)
    con.close()
