"""Small real XGBoost models for the serving unit tests."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost


def _train(objective: str, n_classes: int | None = None) -> xgboost.Booster:
    rng = np.random.default_rng(7)
    features = rng.integers(0, 50, size=(400, 4)).astype(np.float64)
    if n_classes is None and objective.startswith("binary"):
        target = (features[:, 0] + features[:, 1] > 50).astype(np.float64)
    elif n_classes is not None:
        target = (features[:, 0] // (50 / n_classes)).astype(np.float64)
    else:
        target = features[:, 0] * 0.5 - features[:, 2]
    params: dict[str, object] = {"objective": objective, "verbosity": 0, "seed": 0}
    if n_classes is not None:
        params["num_class"] = n_classes
    matrix = xgboost.DMatrix(features, label=target)
    return xgboost.train(params, matrix, num_boost_round=5)


@pytest.fixture(scope="session")
def binary_booster() -> xgboost.Booster:
    """A binary:logistic model over 4 integer features."""
    return _train("binary:logistic")


@pytest.fixture(scope="session")
def softprob_booster() -> xgboost.Booster:
    """A multi:softprob model with 3 classes over 4 features."""
    return _train("multi:softprob", n_classes=3)


@pytest.fixture(scope="session")
def regression_booster() -> xgboost.Booster:
    """A reg:squarederror model over 4 features."""
    return _train("reg:squarederror")


@pytest.fixture(scope="session")
def small_features() -> np.ndarray:
    """Twelve rows of 4 features, integers and fractions mixed."""
    rng = np.random.default_rng(11)
    features = rng.integers(0, 50, size=(12, 4)).astype(np.float64)
    features[::3, 2] += 0.25
    return features
