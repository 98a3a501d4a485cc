"""Tests of the data-driven SHAP baselines: k-means, k-prototypes, elbow, means."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openclarify.errors import AnalysisError
from openclarify.explain.baseline import (
    choose_num_clusters,
    cluster_baseline,
    mean_baseline,
)


def _blobs(
    n_blobs: int, *, per_blob: int = 40, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Well separated Gaussian blobs in three columns, with their blob labels."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-100, 100, size=(n_blobs, 3))
    labels = np.repeat(np.arange(n_blobs), per_blob)
    points = centres[labels] + rng.normal(scale=1.0, size=(len(labels), 3))
    frame = pd.DataFrame(points, columns=["a", "b", "c"])
    return frame, labels


def _sorted_rows(frame: pd.DataFrame) -> np.ndarray:
    values = frame.to_numpy(dtype=np.float64)
    return values[np.lexsort(values.T[::-1])]


def test_kmeans_centres_are_the_blob_means():
    """Check that k-means with the true K returns each blob's mean row."""
    frame, labels = _blobs(3)
    baseline = cluster_baseline(frame, num_clusters=3, seed=0)
    expected = frame.groupby(labels).mean()
    assert list(baseline.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(
        _sorted_rows(baseline), _sorted_rows(expected), rtol=1e-12
    )


@pytest.mark.parametrize("n_blobs", [2, 4, 6])
def test_automatic_k_finds_the_number_of_blobs(n_blobs):
    """Check that the elbow rule recovers the number of well separated blobs."""
    frame, _ = _blobs(n_blobs, seed=n_blobs)
    baseline = cluster_baseline(frame, num_clusters=None, seed=0)
    assert len(baseline) == n_blobs


@pytest.mark.parametrize("elbow", [2, 3, 5, 8])
def test_choose_num_clusters_picks_the_bend_of_a_broken_line(elbow):
    """Check that a cost curve steep up to K and flat after gives K."""
    k = np.arange(1, 13)
    costs = np.where(k <= elbow, 1000.0 - 100.0 * (k - 1), 1000.0 - 100.0 * (elbow - 1))
    costs = costs - 1.0 * np.maximum(k - elbow, 0)
    assert choose_num_clusters(costs.tolist()) == elbow


def test_choose_num_clusters_keeps_one_cluster_without_structure():
    """Check that a curve that hardly falls, or a single point, gives K = 1."""
    assert choose_num_clusters([100.0, 99.9, 99.8, 99.7]) == 1
    assert choose_num_clusters([5.0]) == 1


def _mixed(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups: numeric columns far apart and a category tied to the group."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 30)
    centres = np.array([[0.0, 0.0], [50.0, 10.0], [-40.0, 60.0]])
    numbers = centres[labels] + rng.normal(size=(90, 2))
    colour = np.array(["red", "green", "blue"])[labels]
    # one row in ten of each group takes another colour
    colour[::10] = "green"
    frame = pd.DataFrame({"x": numbers[:, 0], "colour": colour, "y": numbers[:, 1]})
    return frame, labels


def test_kprototypes_gives_group_means_and_modes():
    """Check that mixed data yields numeric means and categorical modes per group."""
    frame, labels = _mixed()
    baseline = cluster_baseline(frame, num_clusters=3, categorical=["colour"], seed=0)
    assert list(baseline.columns) == ["x", "colour", "y"]

    expected = []
    for group in range(3):
        members = frame[labels == group]
        counts = members["colour"].value_counts()
        expected.append((members["x"].mean(), counts.idxmax(), members["y"].mean()))
    got = sorted(baseline.itertuples(index=False, name=None))
    for row, want in zip(got, sorted(expected), strict=True):
        assert row[0] == pytest.approx(want[0], rel=1e-12)
        assert row[1] == want[1]
        assert row[2] == pytest.approx(want[2], rel=1e-12)


def test_string_columns_are_categorical_and_automatic_k_works():
    """Check that a text column is clustered by k-prototypes with K chosen."""
    frame, _ = _mixed(seed=1)
    baseline = cluster_baseline(frame.iloc[:60], num_clusters=None, seed=0)
    assert 1 <= len(baseline) <= 12
    assert set(baseline["colour"]) <= set(frame["colour"])


def test_only_categorical_columns_use_kmodes_modes():
    """Check that all-categorical data gets per-cluster modes."""
    frame = pd.DataFrame({"p": ["a"] * 20 + ["b"] * 20, "q": ["u"] * 20 + ["v"] * 20})
    baseline = cluster_baseline(frame, num_clusters=2, categorical=["p", "q"], seed=0)
    assert sorted(baseline.itertuples(index=False, name=None)) == [
        ("a", "u"),
        ("b", "v"),
    ]


def test_large_data_is_sampled_reproducibly():
    """Check that clustering a sample gives the same rows for the same seed."""
    frame, _ = _blobs(3, per_blob=500)
    first = cluster_baseline(frame, num_clusters=3, seed=5, sample_size=300)
    again = cluster_baseline(frame, num_clusters=3, seed=5, sample_size=300)
    pd.testing.assert_frame_equal(first, again)
    full = frame.groupby(np.repeat(np.arange(3), 500)).mean()
    np.testing.assert_allclose(_sorted_rows(first), _sorted_rows(full), atol=0.5)


def test_k_never_exceeds_the_distinct_rows():
    """Check that asking for more clusters than distinct rows gives those rows."""
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0] * 5, "b": [0.0, 5.0, 9.0] * 5})
    baseline = cluster_baseline(frame, num_clusters=8, seed=0)
    expected = frame.drop_duplicates()
    np.testing.assert_allclose(_sorted_rows(baseline), _sorted_rows(expected))


def test_mean_baseline_uses_means_and_modes():
    """Check that the one-row baseline holds pandas' means and modes."""
    frame, _ = _mixed()
    baseline = mean_baseline(frame, categorical=["colour"])
    assert len(baseline) == 1
    assert baseline["x"].iloc[0] == pytest.approx(frame["x"].mean(), rel=1e-12)
    assert baseline["y"].iloc[0] == pytest.approx(frame["y"].mean(), rel=1e-12)
    assert baseline["colour"].iloc[0] == frame["colour"].value_counts().idxmax()


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (pd.DataFrame({"a": []}), {"num_clusters": 2}, "has no rows"),
        (pd.DataFrame({"a": [1.0]}), {"num_clusters": 0}, "num_clusters .* got 0"),
        (
            pd.DataFrame({"a": [1.0]}),
            {"num_clusters": 1, "categorical": ["z"]},
            "categorical column 'z'",
        ),
    ],
)
def test_invalid_inputs_are_rejected(frame, kwargs, match):
    """Check that bad data or options raise AnalysisError naming the value."""
    with pytest.raises(AnalysisError, match=match):
        cluster_baseline(frame, **kwargs)
