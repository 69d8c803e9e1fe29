"""The results the build keeps for the pages (core/precompute.py) are the figures the pages
computed before: the same values, read instead of computed, on the demo and on the two
real-shaped shops; and they are not read where they no longer hold."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from core import db, lifecycle, loyalty, overview, precompute, satisfaction, segments, value
from core.clv import BGNBDModel, Reason
from core.lifecycle import LifecycleRules

RTOL = 1e-9  # DuckDB sums doubles in parallel: the last bits change from run to run


def assert_same(found, expected, path: str = "value") -> None:
    """Equal values of the same types, floats within RTOL (relative)."""
    assert type(found) is type(expected), (path, type(found), type(expected))
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(found, expected, check_exact=False, rtol=RTOL, atol=0)
        assert found.attrs == expected.attrs, path
    elif isinstance(expected, np.ndarray):
        assert found.dtype == expected.dtype, path
        np.testing.assert_allclose(found, expected, rtol=RTOL, atol=0)
    elif dataclasses.is_dataclass(expected):
        for f in dataclasses.fields(expected):
            assert_same(getattr(found, f.name), getattr(expected, f.name), f"{path}.{f.name}")
    elif isinstance(expected, dict):
        assert list(found) == list(expected), path
        for key in expected:
            assert_same(found[key], expected[key], f"{path}[{key!r}]")
    elif isinstance(expected, tuple | list):
        assert len(found) == len(expected), path
        for i, (one, other) in enumerate(zip(found, expected, strict=True)):
            assert_same(one, other, f"{path}[{i}]")
    elif isinstance(expected, float):
        assert np.isclose(found, expected, rtol=RTOL, atol=0, equal_nan=True), (path, found)
    else:
        assert found == expected, (path, found, expected)


def _call(result, con, as_of):
    return result(con, as_of) if result.dated else result(con)


def _live(result, con, as_of):
    return result.live(con, as_of) if result.dated else result.live(con)


@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db", "market_db"])
def test_every_kept_result_is_the_one_the_page_computed(database, request):
    con = db.connect(request.getfixturevalue(database))
    as_of = db.built_as_of(con)
    kept_names = {row[0] for row in con.execute("select name from page_results").fetchall()}
    for result in precompute.page_results():
        if result.result_name not in kept_names:  # the data cannot give it (no model)
            with pytest.raises(ValueError):
                _live(result, con, as_of)
            continue
        kept = precompute.kept(result, con, as_of)
        assert kept is not None, result.result_name
        assert_same(_call(result, con, as_of), _live(result, con, as_of), result.result_name)
        assert_same(kept, _live(result, con, as_of), result.result_name)
    # the demo has every input: all results are kept there
    if database == "demo_db":
        assert kept_names == {r.result_name for r in precompute.page_results()}


def test_another_date_or_setting_computes_live(demo_db, monkeypatch):
    con = db.connect(demo_db)
    as_of = db.built_as_of(con)
    earlier = as_of - dt.timedelta(days=40)
    looked_up = []
    recall = precompute.recall
    monkeypatch.setattr(precompute, "recall", lambda *a: looked_up.append(a) or recall(*a))
    rules = LifecycleRules(new_days=30)
    assert_same(
        lifecycle.stage_history(con, as_of, rules), lifecycle.stage_history.live(con, as_of, rules)
    )
    assert len(lifecycle.stage_history(con, as_of, months=12)) == 12
    assert looked_up == []  # not the defaults: nothing is looked up
    history = lifecycle.stage_history(con, earlier)
    assert history["day"].max() <= pd.Timestamp(earlier)
    assert looked_up and precompute.kept(lifecycle.stage_history, con, earlier) is None


def test_a_kept_result_goes_stale_with_the_data_it_reads(demo_db, tmp_path):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(demo_db.read_bytes())
    con = db.connect(path)
    as_of = db.built_as_of(con)
    assert precompute.kept(overview.overview_kpis, con, as_of) is not None
    assert precompute.kept(satisfaction.value_report, con, as_of) is not None
    db.bump_data_version(con, raw=False)  # a rule-set save or a setting
    assert precompute.kept(overview.overview_kpis, con, as_of) is not None  # raw data only
    assert precompute.kept(satisfaction.value_report, con, as_of) is None  # reads ratings
    db.bump_data_version(con, raw=True)  # an import
    assert precompute.kept(overview.overview_kpis, con, as_of) is None
    assert precompute.kept(lifecycle.stage_history, con, as_of) is None


def test_a_database_built_before_results_were_kept_computes_live(demo_db, tmp_path):
    path = tmp_path / "old.duckdb"
    path.write_bytes(demo_db.read_bytes())
    con = db.connect(path)
    con.execute(f"drop table {precompute.TABLE}")
    as_of = db.built_as_of(con)
    assert precompute.kept(overview.monthly_revenue, con, as_of) is None
    assert len(overview.monthly_revenue(con, as_of)) == 36


def test_values_keep_their_types_through_the_store(demo_db, tmp_path):
    path = tmp_path / "codec.duckdb"
    path.write_bytes(demo_db.read_bytes())
    con = db.connect(path)
    as_of = db.built_as_of(con)
    frame = pd.DataFrame(
        {
            "day": [dt.date(2024, 1, 31), None],
            "count": pd.array([1, None], dtype="Int8"),
            "name": ["a", None],
            "share": [0.5, np.nan],
        },
        index=pd.Index([3, 7], name="row"),
    )
    frame.attrs["unit"] = "weeks"
    value = overview.Kpis(as_of, 1, 2, 3, 4, 5.5, 6.5, 7, 8, 9, 10, previous_start=as_of)
    kept = {"frame": frame, "kpis": value, "labels": np.arange(5, dtype=np.int8), "k": (2, 3.0)}

    def sample(con, as_of):
        return kept

    sample.__module__ = "core.sample"
    marked = precompute.page_result()(sample)
    precompute.store_page_results(con, as_of, (marked,))
    assert_same(precompute.kept(marked, con, as_of), kept)
    assert isinstance(precompute.kept(marked, con, as_of)["k"], tuple)


def _old_customer_clusters(frame: pd.DataFrame, k: int | None, seed: int = 0):
    """customer_clusters as it was before the ClusterSet (commit 78b64f8): the silhouette
    search fits each k, then the chosen k is fitted again."""
    x = segments._matrix(frame)
    z = StandardScaler().fit(x).transform(x)
    rng = np.random.default_rng(seed)
    fit_rows = rng.choice(len(frame), size=min(len(frame), segments.FIT_SAMPLE), replace=False)
    silhouettes = {}
    if k is None:
        score_rows = fit_rows[: segments.SILHOUETTE_SAMPLE]
        for candidate in (c for c in segments.K_RANGE if c < len(fit_rows)):
            model = KMeans(candidate, n_init=4, random_state=seed).fit(z[fit_rows])
            labels = model.predict(z[score_rows])
            if len(set(labels)) > 1:
                silhouettes[candidate] = float(silhouette_score(z[score_rows], labels))
        k = max(silhouettes, key=silhouettes.get) if silhouettes else 2
    labels = KMeans(k, n_init=4, random_state=seed).fit(z[fit_rows]).predict(z)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    labels = relabel[labels]
    return labels, k, silhouettes, _old_profile(frame, z, labels, k)


def _old_profile(frame: pd.DataFrame, z: np.ndarray, labels: np.ndarray, k: int):
    """segments._profile as it was before it grouped the rows by one sort (commit 9e6c973):
    each cluster's rows picked by a mask over all rows."""
    rows = []
    values = {
        name: frame[name].to_numpy(dtype=float, na_value=np.nan)
        for name in (*segments.CLUSTER_FEATURES, "revenue_12m")
    }
    for c in range(k):
        members = labels == c
        means = z[members].mean(axis=0)
        strongest = np.argsort(-np.abs(means))[:3]
        traits = tuple(
            (segments.CLUSTER_FEATURES[i], "high" if means[i] > 0 else "low")
            for i in strongest
            if abs(means[i]) >= segments.DESCRIBE_Z
        )
        row = {"cluster": c, "customers": int(members.sum()), "share": members.mean()}
        for name in (*segments.CLUSTER_FEATURES, "revenue_12m"):
            row[f"median_{name}"] = float(np.nanmedian(values[name][members]))
        row["traits"] = traits
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db", "market_db"])
def test_the_kept_clusters_are_the_old_fit_for_every_k(database, request):
    con = db.connect(request.getfixturevalue(database))
    as_of = db.built_as_of(con)
    frame = segments.segment_frame(con, as_of)
    for k in (None, *segments.K_RANGE):
        labels, chosen, silhouettes, profile = _old_customer_clusters(frame, k)
        for found in (
            segments.clusters_at(con, as_of, k, frame),
            segments.customer_clusters(frame, k),
        ):
            assert found.k == chosen
            np.testing.assert_array_equal(found.labels, labels)
            assert found.labels.dtype == labels.dtype
            assert found.silhouettes.keys() == silhouettes.keys()
            for key, score in silhouettes.items():
                assert np.isclose(found.silhouettes[key], score, rtol=1e-12)
            pd.testing.assert_frame_equal(found.profile, profile, check_exact=True)


@pytest.mark.parametrize("database", ["demo_db", "uk_shop_db", "market_db"])
def test_loyalty_reads_the_models_the_build_fitted_for_the_value_page(
    database, request, monkeypatch
):
    """The Loyalty page fits nothing on the build's data: its models are the Value page's
    stored fits (or, when the build chose another purchase model than BG/NBD, the BG/NBD
    the build kept for the simulator), the same parameters as fitting them on its own
    inputs."""
    con = db.connect(request.getfixturevalue(database))
    try:
        fitted = loyalty.fit_loyalty_models(con)
    except loyalty.ModelNotFitted as error:  # the market shop
        with pytest.raises(loyalty.ModelNotFitted) as read:
            loyalty.loyalty_models(con)
        # the reason the build found (it fitted its chosen purchase model and Gamma-Gamma,
        # not tried again), else the same reason fitting gives
        kept = value.stored_fits(con, db.built_as_of(con))
        expected = kept if isinstance(kept, Reason) else error.reason
        assert (read.value.reason.code, str(read.value)) == (expected.code, expected.message)
        return

    def no_fit(_):
        raise AssertionError("fitted again")

    monkeypatch.setattr(loyalty, "fit_bgnbd", no_fit)
    monkeypatch.setattr(loyalty, "fit_gamma_gamma", no_fit)
    read = loyalty.loyalty_models(con)
    stored = value.stored_value_models(con, db.built_as_of(con))
    if type(stored.bgnbd) is BGNBDModel:
        assert_same(read.bgnbd, stored.bgnbd)
    else:  # the build chose another purchase model: the simulator's BG/NBD, kept by it
        assert type(read.bgnbd) is BGNBDModel
    assert_same(read.gg, stored.gg)
    assert_same(read, fitted, "loyalty_models")
