"""Check the Flip Test's neighbour search against scikit-learn itself."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from openclarify.bias._knn import knn_majority_vote
from openclarify.bias.metrics import flip_test


def _sklearn_predict(train, labels, query, k):
    knn = KNeighborsClassifier(n_neighbors=k, weights="uniform", p=2)
    return knn.fit(train, labels).predict(query).astype(bool)


def _tied_data(seed: int, n_train: int, n_query: int, n_features: int):
    # Small integer grids: many exact duplicates and equal distances.
    rng = np.random.default_rng(seed)
    train = rng.integers(0, 3, (n_train, n_features)).astype(float)
    query = rng.integers(0, 3, (n_query, n_features)).astype(float)
    labels = rng.random(n_train) < 0.4
    return train, labels, query


@pytest.mark.parametrize("k", [1, 5])
@pytest.mark.parametrize("n_features", [2, 4, 17])
def test_votes_equal_sklearn_with_many_ties(k: int, n_features: int) -> None:
    """Check that votes equal KNeighborsClassifier's even when distances tie."""
    train, labels, query = _tied_data(k * 100 + n_features, 400, 300, n_features)
    expected = _sklearn_predict(train, labels, query, k)
    np.testing.assert_array_equal(
        knn_majority_vote(train, labels, query, k=k), expected
    )


def test_votes_equal_sklearn_on_continuous_data() -> None:
    """Check that votes equal scikit-learn's on tie-free continuous features."""
    rng = np.random.default_rng(1)
    train, query = rng.normal(size=(2000, 6)), rng.normal(size=(500, 6))
    labels = train[:, 0] + 0.3 * rng.normal(size=2000) > 0
    expected = _sklearn_predict(train, labels, query, 5)
    np.testing.assert_array_equal(
        knn_majority_vote(train, labels, query, k=5), expected
    )


def test_constant_labels_short_circuit() -> None:
    """Check that a single training class is predicted for every query row."""
    train, _, query = _tied_data(3, 50, 20, 3)
    labels = np.ones(50, dtype=bool)
    expected = _sklearn_predict(train, labels, query, 5)
    np.testing.assert_array_equal(
        knn_majority_vote(train, labels, query, k=5), expected
    )


def test_missing_values_raise_sklearn_error() -> None:
    """Check that NaN features fail with scikit-learn's own message."""
    train, labels, query = _tied_data(4, 30, 5, 2)
    train[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        knn_majority_vote(train, labels, query, k=5)


@pytest.mark.parametrize("n_a", [6, 40])
def test_flip_test_equals_sklearn_reference(n_a: int) -> None:
    """Check FT against a reference built on KNeighborsClassifier (k = 1 or 5)."""
    rng = np.random.default_rng(n_a)
    n_d = 30
    features = rng.integers(0, 4, (n_a + n_d, 3)).astype(float)
    facet = np.array([False] * n_a + [True] * n_d)
    y_pred = rng.random(n_a + n_d) < 0.5
    k = 5 if n_a > 9 else 1
    neighbours = _sklearn_predict(features[~facet], y_pred[~facet], features[facet], k)
    model = y_pred[facet]
    expected = (np.sum(model & ~neighbours) - np.sum(~model & neighbours)) / n_d
    assert flip_test(facet, y_pred, features) == pytest.approx(expected, abs=1e-15)
