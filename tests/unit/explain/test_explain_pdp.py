"""Tests of partial dependence entries against plain loops, and feature choice."""

from __future__ import annotations

import numpy as np
import pytest

from openclarify.errors import AnalysisError
from openclarify.explain.pdp import partial_dependence, select_pdp_features

AGE, SEX, CAPITAL_GAIN = 0, 9, 10


@pytest.fixture(scope="module")
def predict(adult_booster):
    return lambda matrix: adult_booster.inplace_predict(matrix)


@pytest.fixture(scope="module")
def rows(adult_train):
    return adult_train[:300]


@pytest.mark.parametrize("feature", [AGE, CAPITAL_GAIN])
@pytest.mark.parametrize("grid_resolution", [1, 7, 15])
def test_numerical_pdp_matches_a_plain_loop(rows, predict, feature, grid_resolution):
    """Check that bucket centres, shares and predictions match a loop."""
    entry = partial_dependence(
        rows,
        predict,
        feature_index=feature,
        grid_resolution=grid_resolution,
        categorical=False,
        feature_name="f",
        label_headers=None,
    )

    column = rows[:, feature]
    low, high = column.min(), column.max()
    width = (high - low) / grid_resolution
    centres, shares, means = [], [], []
    for b in range(grid_resolution):
        left, right = low + b * width, low + (b + 1) * width
        last = b == grid_resolution - 1
        inside = [(left <= v < right) or (last and v == high) for v in column]
        centres.append((left + right) / 2)
        shares.append(sum(inside) / len(column))
        changed = rows.copy()
        changed[:, feature] = (left + right) / 2
        means.append(float(np.mean(predict(changed))))

    assert entry["data_type"] == "numerical"
    assert entry["feature_name"] == "f"
    assert entry["label_headers"] == ["label0"]
    np.testing.assert_allclose(entry["feature_values"], centres, rtol=1e-9)
    np.testing.assert_allclose(entry["data_distribution"], shares, rtol=1e-12)
    np.testing.assert_allclose(entry["model_predictions"], [means], rtol=1e-6)


def test_categorical_pdp_matches_a_plain_loop(rows, predict):
    """Check that categories, shares and predictions match a loop."""
    entry = partial_dependence(
        rows,
        predict,
        feature_index=SEX,
        grid_resolution=15,
        categorical=True,
        feature_name="Sex",
        label_headers=["yes"],
    )
    column = rows[:, SEX].tolist()
    values = sorted(set(column))
    shares = [column.count(v) / len(column) for v in values]
    means = []
    for v in values:
        changed = rows.copy()
        changed[:, SEX] = v
        means.append(float(np.mean(predict(changed))))

    assert entry["data_type"] == "categorical"
    assert entry["feature_values"] == values
    np.testing.assert_allclose(entry["data_distribution"], shares, rtol=1e-12)
    np.testing.assert_allclose(entry["model_predictions"], [means], rtol=1e-6)
    assert entry["label_headers"] == ["yes"]


def test_all_grid_points_go_in_one_model_call(rows, predict):
    """Check that the model is called once with every grid row."""
    calls = []

    def counting(matrix):
        calls.append(len(matrix))
        return predict(matrix)

    partial_dependence(
        rows,
        counting,
        feature_index=AGE,
        grid_resolution=9,
        categorical=False,
        feature_name="Age",
        label_headers=None,
    )
    assert calls == [9 * len(rows)]


def test_multi_output_gives_one_curve_per_output(rows, predict):
    """Check that every model output gets its own list of mean predictions."""

    def two_outputs(matrix):
        p = predict(matrix)
        return np.stack([p, 1 - p], axis=1)

    entry = partial_dependence(
        rows,
        two_outputs,
        feature_index=AGE,
        grid_resolution=5,
        categorical=False,
        feature_name="Age",
        label_headers=["high", "low"],
    )
    first, second = entry["model_predictions"]
    np.testing.assert_allclose(np.add(first, second), 1.0, rtol=1e-6)
    with pytest.raises(AnalysisError, match="label_headers has 1 entries but .* 2"):
        partial_dependence(
            rows,
            two_outputs,
            feature_index=AGE,
            grid_resolution=5,
            categorical=False,
            feature_name="Age",
            label_headers=["high"],
        )


def test_constant_feature_gets_one_grid_point(rows, predict):
    """Check that a feature with one value yields a single point holding all rows."""
    constant = rows.copy()
    constant[:, AGE] = 40.0
    entry = partial_dependence(
        constant,
        predict,
        feature_index=AGE,
        grid_resolution=15,
        categorical=False,
        feature_name="Age",
        label_headers=None,
    )
    assert entry["feature_values"] == [40.0]
    assert entry["data_distribution"] == [1.0]
    assert entry["model_predictions"][0][0] == pytest.approx(
        float(np.mean(predict(constant))), rel=1e-6
    )


def test_select_pdp_features_orders_by_global_shap():
    """Check that the top-k choice matches sorting by mean absolute value."""
    values = np.random.default_rng(3).normal(size=(6, 2))
    names = list("abcdef")
    strength = {
        n: (abs(v[0]) + abs(v[1])) / 2 for n, v in zip(names, values, strict=True)
    }
    expected = sorted(names, key=lambda n: -strength[n])
    assert select_pdp_features(values, names, 3) == expected[:3]
    assert select_pdp_features(values[:, 0], names, 10) == sorted(
        names, key=lambda n: -abs(values[names.index(n), 0])
    )
    with pytest.raises(AnalysisError, match="top_k_features .* got 0"):
        select_pdp_features(values, names, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grid_resolution": 0}, "grid_resolution .* got 0"),
        ({"feature_index": 14}, "index 14 is outside 0..13"),
    ],
)
def test_invalid_options_are_rejected(rows, predict, kwargs, match):
    """Check that bad PDP options raise AnalysisError naming the value."""
    options = {
        "feature_index": AGE,
        "grid_resolution": 5,
        "categorical": False,
        "feature_name": "Age",
        "label_headers": None,
        **kwargs,
    }
    with pytest.raises(AnalysisError, match=match):
        partial_dependence(rows, predict, **options)
