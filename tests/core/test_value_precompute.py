"""What `core build` stores for the Value and Churn risk pages gives the same figures as
fitting and predicting at page time (the old definition), on the demo and on the
real-shaped shops: a young one, a UK online shop's year of lines, a marketplace."""

import numpy as np
import pandas as pd
import pytest

from core import churn, db, value
from core.clv import ModelFitError, Reason

SHOPS = ("demo_db", "small_db", "uk_shop_db", "market_db")
REL = 1e-12  # value is linear in the margin: the parts agree with the whole to rounding


@pytest.fixture(params=SHOPS)
def shop(request):
    con = db.connect(request.getfixturevalue(request.param), read_only=True)
    yield con, db.built_as_of(con)
    con.close()


def _fitted(con, as_of):
    try:
        return value.fit_value_models(con, as_of)
    except ModelFitError as error:
        return error.reason


def _close(old: pd.Series, new: pd.Series, rel: float = REL) -> bool:
    a, b = old.to_numpy(dtype=float), new.to_numpy(dtype=float)
    return np.allclose(a, b, rtol=rel, atol=0, equal_nan=True)


def test_the_stored_models_are_the_fitted_ones(shop):
    con, as_of = shop
    fitted, stored = _fitted(con, as_of), value.stored_value_models(con, as_of)
    if isinstance(fitted, Reason):
        assert isinstance(stored, Reason)
        assert (stored.code, stored.values) == (fitted.code, fitted.values)
        return
    pd.testing.assert_frame_equal(stored.summary, fitted.summary)
    assert stored.summary.attrs == fitted.summary.attrs
    for name in ("bgnbd", "gg"):
        old, new = getattr(fitted, name), getattr(stored, name)
        assert new.params == old.params
        assert new.log_likelihood == old.log_likelihood
        np.testing.assert_array_equal(new.covariance, old.covariance)
        assert new.covariance_problem == old.covariance_problem
    assert stored.readiness == fitted.readiness


def test_another_as_of_date_has_nothing_stored(demo_db):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    earlier = as_of - pd.Timedelta(days=31).to_pytimedelta()
    assert value.stored_value_models(con, earlier) is None
    assert churn.stored_churn_result(con, earlier, 90) is None
    pd.testing.assert_frame_equal(
        value.stored_customer_inputs(con, as_of), value.customer_inputs(con, as_of)
    )
    con.close()


@pytest.mark.parametrize(
    "knobs",
    [
        {},
        {"horizon_months": 3, "discount_rate_annual": 0.0, "margin": 0.05},
        {"horizon_months": 36, "discount_rate_annual": 0.3, "margin": 1.0, "years_retained": 7.5},
    ],
)
def test_the_knobs_from_the_parts_give_the_values_and_totals(shop, knobs):
    con, as_of = shop
    fitted = _fitted(con, as_of)
    if isinstance(fitted, Reason):
        pytest.skip(f"the models do not fit on this shop: {fitted.code}")
    settings = value.value_defaults(con, as_of).settings(**knobs)
    old = value.customer_values(con, fitted, settings)
    stored = value.stored_value_models(con, as_of)
    base = value.customer_base(con, stored, value.stored_customer_inputs(con, as_of))
    parts = value.model_values(stored, settings.horizon_months, settings.discount_rate_annual)
    new = value.priced_values(base, parts, settings)
    assert list(new.columns) == list(old.columns)
    assert len(new) == len(old) > 0
    for column in old.columns:
        if pd.api.types.is_float_dtype(old[column]):
            assert _close(old[column], new[column]), column
        else:
            pd.testing.assert_series_equal(new[column], old[column], check_dtype=False)
    totals = value.value_totals(old, fitted, settings)
    sample = value.sample_totals(stored, settings.horizon_months, settings.discount_rate_annual)
    priced = value.priced_totals(new, sample, settings)
    assert priced.customers == totals.customers
    assert priced.interval_customers == totals.interval_customers
    assert priced.formula_clv == pytest.approx(totals.formula_clv, rel=REL)
    for name in ("predicted_clv", "expected_purchases"):
        assert getattr(priced, name) == pytest.approx(getattr(totals, name), rel=1e-9), name


def test_the_parts_refuse_other_knobs(demo_db):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    stored = value.stored_value_models(con, as_of)
    parts = value.model_values(stored, 12, 0.1)
    base = value.customer_base(con, stored)
    with pytest.raises(ValueError, match="12 months"):
        value.priced_values(base, parts, value.ValueSettings(horizon_months=24))
    con.close()


@pytest.mark.parametrize("horizon", churn.HORIZONS)
def test_the_stored_churn_result_is_the_trained_one(shop, horizon):
    con, as_of = shop
    stored = churn.stored_churn_result(con, as_of, horizon)
    try:
        trained = churn.churn_risk(con, as_of, churn.ChurnSettings(horizon_days=horizon))
    except ModelFitError as error:
        assert isinstance(stored, Reason)
        assert (stored.code, stored.values) == (error.reason.code, error.reason.values)
        return
    assert isinstance(stored, churn.ChurnResult)
    assert stored.cut_offs == trained.cut_offs
    pd.testing.assert_frame_equal(stored.scores, trained.scores, check_dtype=False)
    if trained.quality is None:
        assert stored.quality is None
        assert stored.quality_reason.code == trained.quality_reason.code
        return
    for name in churn.QUALITY_COLUMNS:
        assert getattr(stored.quality, name) == getattr(trained.quality, name), name
    pd.testing.assert_frame_equal(
        stored.quality.calibration, trained.quality.calibration, check_dtype=False
    )
    pd.testing.assert_frame_equal(stored.drivers, trained.drivers, check_dtype=False)


def test_the_stored_defaults_are_the_data_s(shop):
    con, as_of = shop
    stored, live = value.stored_value_defaults(con, as_of), value.value_defaults(con, as_of)
    for name in ("margin_rate", "retention_rate"):  # DuckDB's parallel sums: the last bits
        kept, found = getattr(stored, name), getattr(live, name)
        assert kept == found if found is None else kept == pytest.approx(found, rel=1e-12)
    earlier = as_of - pd.Timedelta(days=31).to_pytimedelta()
    assert value.stored_value_defaults(con, earlier) is None


@pytest.mark.parametrize("min_risk", [0.0, 0.5, 0.7])
@pytest.mark.parametrize("horizon", [30, 90])
def test_the_stored_warning_list_is_the_one_valued_at_page_time(shop, horizon, min_risk):
    """The live path as ui.churn takes it: the stored scores, each customer valued by the
    stored models at the data's defaults (or listed without worth when they cannot run)."""
    con, as_of = shop
    result = churn.stored_churn_result(con, as_of, horizon)
    stored = churn.stored_warning_list(con, as_of, horizon, min_risk)
    if isinstance(result, Reason):
        assert stored is None
        return
    models = value.stored_value_models(con, as_of)
    customers = value.stored_customer_inputs(con, as_of)
    if not isinstance(models, Reason):
        settings = value.value_defaults(con, as_of).settings()
        parts = value.model_values(models, settings.horizon_months, settings.discount_rate_annual)
        customers = value.priced_values(
            value.customer_base(con, models, customers), parts, settings
        )
    live = churn.warning_list(result.scores, customers, as_of, min_risk)
    assert len(live) > 0 or min_risk > 0
    pd.testing.assert_frame_equal(stored, live, check_dtype=False)
    earlier = as_of - pd.Timedelta(days=31).to_pytimedelta()
    assert churn.stored_warning_list(con, earlier, horizon, min_risk) is None


def test_the_build_scores_every_standard_horizon_on_the_demo(demo_db):
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    results = [churn.stored_churn_result(con, as_of, h) for h in churn.HORIZONS]
    assert all(isinstance(r, churn.ChurnResult) and r.quality is not None for r in results)
    # customer_features' churn risk is the standard (90-day) horizon's
    features = con.execute(
        "select customer_id, churn_risk from customer_features where churn_risk is not null "
        "order by customer_id"
    ).df()
    standard = results[churn.HORIZONS.index(churn.ChurnSettings().horizon_days)].scores
    np.testing.assert_array_equal(features["churn_risk"], standard["churn_risk"])
    con.close()
