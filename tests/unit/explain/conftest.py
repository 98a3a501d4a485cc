"""Shared fixtures: a small real XGBoost model on the Adult data, and its rows."""

from __future__ import annotations

import importlib
import types
import warnings

import numpy as np
import pytest
import xgboost

from openclarify.demo.adult import FEATURES, load_adult_frame, train_adult_model


@pytest.fixture(scope="session")
def adult_train() -> np.ndarray:
    """The Adult training features as a float matrix."""
    frame = load_adult_frame("train")
    return frame.loc[:, list(FEATURES)].to_numpy(dtype=np.float64)


@pytest.fixture(scope="session")
def adult_rows() -> np.ndarray:
    """Twenty Adult test rows."""
    frame = load_adult_frame("test")
    return frame.loc[: 20 - 1, list(FEATURES)].to_numpy(dtype=np.float64)


@pytest.fixture(scope="session")
def adult_booster() -> xgboost.Booster:
    """The walk-through classifier with few rounds, so it trains in seconds."""
    return train_adult_model(load_adult_frame("train"), num_round=30, seed=0)


@pytest.fixture(scope="session")
def mean_row(adult_train: np.ndarray) -> np.ndarray:
    """A one-row baseline: the training means."""
    return adult_train.mean(axis=0, keepdims=True)


@pytest.fixture(scope="session")
def shap_module() -> types.ModuleType:
    """The shap package, imported without its matplotlib deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        return importlib.import_module("shap")
