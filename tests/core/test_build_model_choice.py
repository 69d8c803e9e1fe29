"""The build fits the purchase model the backtest chose (or the one the user set), stores
which model made its results and why, and everything it stores follows that model; with
BG/NBD set, the results are BG/NBD's to the bit."""

import shutil

import numpy as np
import pytest

from core import db, settings, value
from core.build import build
from core.clv import BGNBDModel, btyd_summary, fit_bgnbd
from core.model_choice import AUTOMATIC, BuildChoice, build_choice, standard_holdout
from core.purchase_models import PURCHASE_MODELS, ParetoNBDModel, fit_purchase_model


def _stored(path):
    con = db.connect(path, read_only=True)
    as_of = db.built_as_of(con)
    choice = value.stored_choice(con)
    features = con.execute(
        "select customer_id, p_alive, expected_purchases_12m from customer_features "
        "where btyd_frequency is not null order by customer_id"
    ).df()
    fits = value.stored_fits(con, as_of)
    summary = btyd_summary(con, as_of, unit="weeks")
    in_use = value.purchase_model_in_use(con)
    con.close()
    return as_of, choice, features, fits, summary, in_use


@pytest.mark.parametrize("shop_db", ["demo_db", "uk_shop_db"])
def test_the_build_uses_the_backtest_winner_and_says_so(request, shop_db):
    as_of, choice, features, fits, summary, in_use = _stored(request.getfixturevalue(shop_db))
    assert choice.setting == AUTOMATIC and choice.reason is None
    comparison = choice.comparison
    assert set(comparison.table["model"]) == set(PURCHASE_MODELS)  # learnt left out
    assert choice.model == comparison.best == in_use
    assert comparison.why.code == "best_rank" and comparison.why.values["model"] == choice.model
    assert comparison.deciles.groupby("model")["customers"].sum().nunique() == 1
    model, _ = fits
    assert value.PURCHASE_MODEL_CLASSES[choice.model] is type(model)
    # customer_features holds the chosen model's P(alive), not BG/NBD's (they differ)
    s = summary.set_index("customer_id").loc[features["customer_id"]]
    alive = model.probability_alive(s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(features["p_alive"], alive, rtol=1e-12)
    if choice.model != "bgnbd":
        other = fit_bgnbd(summary).probability_alive(s["frequency"], s["recency"], s["T"])
        assert np.abs(features["p_alive"].to_numpy() - other).max() > 0.01


def _rebuilt(source, tmp_path, purchase_model):
    path = tmp_path / "shop.duckdb"
    shutil.copy(source, path)
    con = db.connect(path)
    settings.put(con, "purchase_model", purchase_model)
    build(con)
    con.close()
    return path


def test_bgnbd_set_gives_bgnbd_results_to_the_bit(uk_shop_db, tmp_path):
    as_of, choice, features, fits, summary, in_use = _stored(
        _rebuilt(uk_shop_db, tmp_path, "BG/NBD")
    )
    assert (choice.setting, choice.model, in_use) == ("bgnbd", "bgnbd", "bgnbd")
    assert choice.comparison is not None  # still compared, for Model health
    bgnbd = fit_bgnbd(summary)
    assert isinstance(fits[0], BGNBDModel) and fits[0].params == bgnbd.params
    s = summary.set_index("customer_id").loc[features["customer_id"]]
    np.testing.assert_array_equal(
        features["p_alive"], bgnbd.probability_alive(s["frequency"], s["recency"], s["T"])
    )


def test_a_model_set_by_the_user_is_used_whatever_the_backtest_says(uk_shop_db, tmp_path):
    _, choice, features, fits, summary, in_use = _stored(
        _rebuilt(uk_shop_db, tmp_path, "pareto_nbd")
    )
    assert (choice.setting, choice.model, in_use) == ("pareto_nbd", "pareto_nbd", "pareto_nbd")
    assert isinstance(fits[0], ParetoNBDModel)
    assert fits[0].params == pytest.approx(fit_purchase_model("pareto_nbd", summary).params)


def test_a_shop_too_young_for_a_holdout_keeps_bgnbd_and_says_why(thin_db):
    con = db.connect(thin_db)
    build(con)
    assert standard_holdout(con, db.built_as_of(con)) is None  # 40 days of history
    choice = value.stored_choice(con)
    con.close()
    assert choice.model == "bgnbd" and choice.comparison is None
    assert choice.reason.code == "choice_no_holdout" and choice.reason.values == {"days": 39}


def test_a_shop_too_small_to_compare_keeps_bgnbd_and_says_why(small_db):
    con = db.connect(small_db, read_only=True)
    assert standard_holdout(con, db.built_as_of(con)) == 30
    choice = value.stored_choice(con)
    con.close()
    assert choice.model == "bgnbd" and choice.comparison is None
    assert choice.reason.code == "few_customers"  # data_readiness's reason, for the page


def test_the_stored_choice_reads_back_as_it_was_made(demo_db):
    con = db.connect(demo_db, read_only=True)
    choice = value.stored_choice(con)
    con.close()
    again = BuildChoice.from_json(choice.to_json())
    assert again.to_json() == choice.to_json()


def test_the_setting_takes_the_models_and_refuses_others():
    assert settings.check("purchase_model", "MBG/NBD") == "mbgnbd"
    assert settings.check("purchase_model", "Automatic") == AUTOMATIC
    assert set(settings.PURCHASE_MODEL_CHOICES) == {AUTOMATIC, *PURCHASE_MODELS}
    with pytest.raises(ValueError, match="purchase model 'learnt' is not one of"):
        settings.check("purchase_model", "learnt")


def test_the_build_compares_on_a_seeded_sample_of_the_customers(demo_db):
    """The build's comparison is judged on at most `sample` customers drawn at random
    (seeded: the same choice on the same data), so its cost stays small at 1M."""
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    small = build_choice(con, as_of, AUTOMATIC, sample=500)
    again = build_choice(con, as_of, AUTOMATIC, sample=500)
    whole = build_choice(con, as_of, AUTOMATIC)
    con.close()
    assert len(small.comparison.customers) == 500
    assert len(whole.comparison.customers) > 500
    assert small.to_json() == again.to_json()
    assert whole.to_json() == BuildChoice.from_json(whole.to_json()).to_json()
