"""Clusters, key accounts and the segment table on hand-made customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import rfm, segments


def buyers(n_per_group: int = 200, seed: int = 5) -> pd.DataFrame:
    """Two clearly different groups: big frequent recent spenders and small, rare, old ones."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_group
    big = np.arange(n) < n_per_group
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "city": "Hangzhou",
            "acquisition_channel": "wechat",
            "revenue": np.where(big, rng.normal(20_000, 1_000, n), rng.normal(200, 20, n)),
            "count_purchase_days": np.where(big, rng.integers(20, 30, n), rng.integers(1, 3, n)),
            "recency_days": np.where(big, rng.integers(1, 20, n), rng.integers(400, 600, n)),
            "avg_order_value": np.where(big, rng.normal(800, 50, n), rng.normal(100, 10, n)),
            "tenure_days": 700,
        }
    )
    frame["revenue_12m"] = frame["revenue"] / 2
    frame["margin_12m"] = frame["revenue_12m"] * 0.3
    return frame


def test_clusters_find_the_two_groups_and_describe_them():
    frame = buyers()
    found = segments.customer_clusters(frame, seed=0)
    assert found.k == 2 and max(found.silhouettes, key=found.silhouettes.get) == 2
    big = np.arange(len(frame)) < 200
    assert len(set(found.labels[big])) == 1 and len(set(found.labels[~big])) == 1
    traits = dict(found.profile.loc[found.labels[0], "traits"])
    expected = {
        "revenue": "high",
        "count_purchase_days": "high",
        "recency_days": "low",
        "avg_order_value": "high",
    }
    assert len(traits) == 3 and all(expected[f] == level for f, level in traits.items())
    assert segments.describe_cluster(found.profile.loc[found.labels[0], "traits"]).startswith(
        "Customers who"
    )


def test_clusters_are_seeded_and_k_can_be_given():
    frame = buyers()
    a = segments.customer_clusters(frame, k=3, seed=1)
    b = segments.customer_clusters(frame, k=3, seed=1)
    assert a.k == 3 and not a.silhouettes
    assert (a.labels == b.labels).all()
    assert a.profile["customers"].sum() == len(frame)


def test_pareto_and_key_accounts_by_hand():
    frame = pd.DataFrame(
        {
            "customer_id": list("abcde"),
            "margin_12m": [50.0, 20.0, 15.0, 10.0, 5.0],
            "revenue_12m": 0.0,
        }
    )
    carried, top = segments.key_accounts(frame, 0.2)  # one customer of five
    assert carried == pytest.approx(0.5) and list(top["customer_id"]) == ["a"]
    carried, top = segments.key_accounts(frame, 0.4)
    assert carried == pytest.approx(0.7) and list(top["customer_id"]) == ["a", "b"]
    curve = segments.pareto_curve(frame, points=5)
    assert list(curve["share_customers"]) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    np.testing.assert_allclose(curve["share_margin"], [0, 0.5, 0.7, 0.85, 0.95, 1.0])


def test_key_accounts_use_revenue_without_costs():
    frame = pd.DataFrame(
        {"customer_id": list("ab"), "margin_12m": [np.nan, np.nan], "revenue_12m": [1.0, 3.0]}
    )
    carried, top = segments.key_accounts(frame, 0.5)
    assert carried == pytest.approx(0.75) and list(top["customer_id"]) == ["b"]


def test_segment_summary_lists_all_eleven_and_adds_up():
    frame = rfm.rfm_segments(buyers().assign(is_buyer=True))
    table = segments.segment_summary(frame)
    assert list(table["segment"]) == list(rfm.SEGMENTS)
    assert table["customers"].sum() == len(frame)
    assert table["share"].sum() == pytest.approx(1)
    cells = segments.grid_cells(frame)
    assert len(cells) == 25 and cells["customers"].sum() == len(frame)


def test_the_mean_silhouette_is_scikit_learns():
    """mean_silhouette sums each row's distances per cluster by a matrix product:
    scikit-learn's silhouette_score on the same distances, within 1e-12 relative, also with
    a cluster of one and labels that skip a number."""
    from sklearn.metrics import pairwise_distances, silhouette_score

    rng = np.random.default_rng(3)
    points = np.vstack([rng.normal(size=(60, 4)), rng.normal(4.0, 1.0, size=(40, 4))])
    distances = pairwise_distances(points)
    for labels in (
        (np.arange(100) >= 60).astype(np.int64),
        rng.integers(0, 5, size=100),
        np.r_[np.zeros(99, dtype=np.int64), 7],  # a cluster of one; no 1 to 6
    ):
        expected = silhouette_score(distances, labels, metric="precomputed")
        assert np.isclose(segments.mean_silhouette(distances, labels), expected, rtol=1e-12)
