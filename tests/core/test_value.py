"""Customer value for the page and the build: predictive and formula CLV per customer with
their inputs, totals and intervals, groups, the top customers, and the model outputs that
`core build` writes into customer_features (or the reason it could not)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, value
from core.build import build, statuses
from core.clv import (
    NotReady,
    btyd_summary,
    clv,
    expected_purchases,
    fit_gamma_gamma,
    formula_clv,
)
from core.purchase_models import fit_purchase_model
from core.value import ValueDefaults, ValueSettings
from tests.conftest import DEMO_END


@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db, read_only=True)
    models = value.fit_value_models(con, DEMO_END)
    settings = value.value_defaults(con, DEMO_END).settings()
    yield con, models, settings, value.customer_values(con, models, settings)
    con.close()


def test_defaults_come_from_the_data(demo):
    con, _, settings, _ = demo
    margin = con.execute(
        "select sum(amount - cost) / sum(amount) from transactions "
        "where ordered_at >= ?::date - interval 1 year + interval 1 day "
        "and ordered_at < ?::date + 1",
        [DEMO_END, DEMO_END],
    ).fetchone()[0]
    d = value.value_defaults(con, DEMO_END)
    assert d.margin_rate == pytest.approx(margin)
    assert 0 < d.retention_rate < 1
    assert settings.margin == round(margin, 2)
    assert settings.years_retained == round(1 / (1 - d.retention_rate), 1)
    assert ValueDefaults(None, None).settings() == ValueSettings()
    assert ValueDefaults(0.4, 0.99).years_retained == 10  # capped


def test_each_customer_has_both_values_and_their_inputs(demo):
    _, models, settings, values = demo
    assert values["customer_id"].is_unique
    assert not values.filter(like="name").columns.any()  # no personal data
    assert {"email", "phone", "name"}.isdisjoint(values.columns)
    expected = formula_clv(
        values["aov"] * settings.margin,
        values["purchases_per_year"],
        settings.years_retained,
        values["acquisition_cost"],
    )
    np.testing.assert_allclose(values["formula_clv"], expected)
    predicted = clv(models.bgnbd, models.gg, models.summary, 12, 0.1, settings.margin)
    by_id = predicted.set_index("customer_id")["clv"]
    np.testing.assert_allclose(values["predicted_clv"], values["customer_id"].map(by_id))
    assert values["p_alive"].between(0, 1).all()
    np.testing.assert_allclose(
        values["value_if_retained"] * values["p_alive"], values["predicted_clv"], rtol=1e-9
    )
    assert (values["purchases_per_year"] <= values["count_orders"] + 1e-9).all()


def test_a_longer_horizon_is_worth_more_and_a_higher_rate_less(demo):
    con, models, settings, values = demo
    longer = value.customer_values(con, models, ValueSettings(24, 0.1, settings.margin, 2.0))
    dearer = value.customer_values(con, models, ValueSettings(12, 0.3, settings.margin, 2.0))
    assert longer["predicted_clv"].sum() > values["predicted_clv"].sum()
    assert dearer["predicted_clv"].sum() < values["predicted_clv"].sum()


def test_totals_with_intervals(demo):
    _, models, settings, values = demo
    totals = value.value_totals(values, models, settings, sample=500, draws=60)
    assert totals.customers == len(values)
    assert totals.interval_customers == 500
    p = totals.predicted_clv
    assert p["clv"] == pytest.approx(values["predicted_clv"].sum())
    assert p["p5"] < p["clv"] < p["p95"]
    e = totals.expected_purchases
    assert e["p5"] < e["expected_purchases"] < e["p95"]
    assert totals.formula_clv == pytest.approx(values["formula_clv"].sum())


def test_groups_add_up_and_the_distribution_counts_everyone(demo):
    _, _, _, values = demo
    assert value.groupings(values)[-1] == "acquisition_channel"
    groups = value.clv_by_group(values, "acquisition_channel")
    assert groups["customers"].sum() == len(values)
    assert groups["predicted_clv_total"].sum() == pytest.approx(values["predicted_clv"].sum())
    assert groups["predicted_clv_total"].is_monotonic_decreasing
    hist = value.distribution(values, "predicted_clv")
    assert hist["customers"].sum() == len(values)
    assert hist["lower"].iloc[0] == values["predicted_clv"].min()
    with pytest.raises(ValueError, match="no such column"):
        value.clv_by_group(values, "stars_missing")


def test_top_customers_have_their_own_ranges(demo):
    _, models, settings, values = demo
    top = value.top_customers(values, models, settings, n=10, draws=80)
    assert top["predicted_clv"].tolist() == sorted(values["predicted_clv"], reverse=True)[:10]
    assert (top["clv_p5"] <= top["clv_p95"]).all()
    assert (
        (top["clv_p5"] <= top["predicted_clv"]) & (top["predicted_clv"] <= top["clv_p95"])
    ).mean() >= 0.8


# --- the build step ---------------------------------------------------------------------


def test_build_writes_the_model_outputs_into_customer_features(demo_db):
    con = db.connect(demo_db, read_only=True)
    f = con.execute("select * from customer_features").df().set_index("customer_id")
    models = value.fit_value_models(con, DEMO_END)
    s = models.summary.set_index("customer_id")
    buyers = f.loc[s.index]
    np.testing.assert_allclose(buyers["btyd_frequency"], s["frequency"])
    np.testing.assert_allclose(buyers["btyd_t_weeks"], s["T"])
    assert buyers["p_alive"].between(0, 1).all()
    margin = value.value_defaults(con, DEMO_END).settings().margin
    expected = clv(models.bgnbd, models.gg, models.summary, 12, 0.1, margin).set_index(
        "customer_id"
    )
    np.testing.assert_allclose(buyers["predicted_clv_12m"], expected.loc[s.index, "clv"])
    np.testing.assert_allclose(
        buyers["expected_purchases_12m"], expected.loc[s.index, "expected_purchases"]
    )
    prospects = f.drop(index=s.index)
    assert prospects[["p_alive", "predicted_clv_12m", "churn_risk"]].isna().all().all()
    scored = f["churn_risk"].dropna()
    assert 0 < len(scored) < len(s) and scored.between(0, 1).all()
    found = statuses(con)
    assert found["p_alive"] is found["clv"] is found["churn"] is None  # all three ran
    con.close()


def test_build_on_thin_data_stores_the_reason(thin_db):
    con = db.connect(thin_db)
    build(con, as_of=dt.date(2024, 3, 1))
    f = con.execute("select * from customer_features").df()
    assert len(f) == 30
    assert f["btyd_frequency"].notna().all()  # the summary is there ...
    assert f[["p_alive", "predicted_clv_12m", "churn_risk"]].isna().all().all()  # ... no models
    found = statuses(con)
    assert "30 customers have bought by the as-of date" in found["clv"].message
    assert "churn model" in found["churn"].message
    with pytest.raises(NotReady):
        value.fit_value_models(con, dt.date(2024, 3, 1))
    con.close()


def test_build_on_an_empty_database_adds_the_columns(empty_db):
    con = db.connect(empty_db)
    build(con)
    columns = [d[0] for d in con.execute("select * from customer_features").description]
    assert {"p_alive", "predicted_clv_12m", "churn_risk"} <= set(columns)
    assert statuses(con)["clv"].message == "no customer has bought anything by the as-of date"
    con.close()


def test_model_outputs_frame(demo_db):
    con = db.connect(demo_db, read_only=True)
    out = value.model_outputs(con, DEMO_END)
    assert out.reasons == {"p_alive": None, "clv": None, "churn": None}
    assert isinstance(out.frame, pd.DataFrame) and out.frame["customer_id"].is_unique
    con.close()


@pytest.mark.parametrize("shop_db", ["demo_db", "uk_shop_db", "market_db"])
def test_the_model_columns_are_the_outputs_joined_to_every_customer(request, shop_db):
    """add_model_outputs fills its columns in place: the values a left join of the outputs
    to customer_features gives (the old definition), null for customers without them."""
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    outputs = value.model_outputs(con, as_of).frame
    names = list(value.MODEL_COLUMNS)
    stored = con.execute(f"select customer_id, {', '.join(names)} from customer_features").df()
    expected = stored[["customer_id"]].merge(outputs, on="customer_id", how="left")
    pd.testing.assert_frame_equal(
        stored.sort_values("customer_id", ignore_index=True),
        expected[["customer_id", *names]]
        .astype({n: float for n in names})
        .sort_values("customer_id", ignore_index=True),
    )
    assert stored["p_alive"].notna().any() or shop_db == "market_db"
    con.close()


@pytest.mark.parametrize("shop_db", ["demo_db", "uk_shop_db"])
def test_the_models_fitted_beside_the_churn_step_give_the_one_thread_outputs(request, shop_db):
    """model_outputs fits BG/NBD and Gamma-Gamma in a thread of their own while the churn
    step runs: the same numbers, to the bit, as fitting them on their own first."""
    con = db.connect(request.getfixturevalue(shop_db), read_only=True)
    as_of = db.built_as_of(con)
    out = value.model_outputs(con, as_of)
    s = btyd_summary(con, as_of, unit="weeks")
    bgnbd, gg = fit_purchase_model(out.choice.model, s), fit_gamma_gamma(s)  # the chosen one
    margin = value.value_defaults(con, as_of).settings().margin
    expected = {
        "p_alive": bgnbd.probability_alive(s["frequency"], s["recency"], s["T"]),
        "expected_purchases_12m": expected_purchases(bgnbd, s, 12),
        "predicted_clv_12m": clv(bgnbd, gg, s, 12, 0.1, margin)["clv"].to_numpy(),
    }
    for name, values in expected.items():
        np.testing.assert_array_equal(out.frame[name].to_numpy(), np.asarray(values, float))
    np.testing.assert_equal(vars(out.models.bgnbd), vars(bgnbd))  # parameters, covariance
    np.testing.assert_equal(vars(out.models.gg), vars(gg))
    risk = out.churn[90].scores.set_index("customer_id")["churn_risk"]  # the old lookup
    expected_risk = out.frame["customer_id"].map(risk).astype(float).to_numpy()
    np.testing.assert_array_equal(out.frame["churn_risk"].to_numpy(), expected_risk)
    assert 0 < np.isnan(expected_risk).sum() < len(expected_risk)  # scored and not
    con.close()
