"""Partial dependence of the model output on one feature, as Clarify reports it.

For a grid of values ``g`` of feature ``j``, the partial dependence is the
mean model score over the rows with feature ``j`` set to ``g``. Numerical
features use the centres of equal-width buckets between the feature's minimum
and maximum; categorical features use their distinct values. The entry also
reports how the rows are spread over the buckets or categories.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from openclarify.errors import AnalysisError, ModelClientError

logger = logging.getLogger(__name__)

Predict = Callable[[np.ndarray], np.ndarray]

_EMPTY_ROWS = (
    "PDP for feature {name!r} needs at least one row; got none. "
    "Run the PDP on a non-empty dataset."
)
_BAD_GRID = (
    "methods.pdp.grid_resolution must be an integer of at least 1; got {value!r}. "
    "Set it to a positive integer (Clarify's default is 15)."
)
_BAD_INDEX = (
    "PDP feature index {value!r} is outside 0..{last}. "
    "Name a feature column that is sent to the model."
)
_BAD_SCORES = (
    "the model returned scores of shape {got} for {expected} rows. "
    "Check the predictor's 'probability'/'label' settings."
)
_BAD_HEADERS = (
    "predictor.label_headers has {got} entries but the model returns {expected} "
    "scores per row. Give one header per model output."
)
_BAD_NAMES = (
    "global SHAP values cover {got} features but {expected} feature names were "
    "given. Pass one name per feature, in the same order."
)
_BAD_TOP_K = (
    "methods.pdp.top_k_features must be an integer of at least 1; got {value!r}. "
    "Set it to a positive integer."
)


def partial_dependence(
    rows: np.ndarray,
    predict: Predict,
    *,
    feature_index: int,
    grid_resolution: int,
    categorical: bool,
    feature_name: str,
    label_headers: Sequence[str] | None,
) -> dict[str, Any]:
    """Compute the PDP entry of ``analysis.json`` for one feature.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, n_features)
        Rows the dependence is averaged over, in the model's column order.
    predict : callable
        Maps a ``(r, n_features)`` matrix to scores ``(r, n_outputs)`` (or
        ``(r,)``). Called once, with ``n_grid * n_rows`` rows.
    feature_index : int
        Position of the feature in ``rows``.
    grid_resolution : int
        Number of equal-width buckets for a numerical feature.
    categorical : bool
        Treat the feature as categorical: the grid is its distinct values.
    feature_name : str
        Name written to the entry.
    label_headers : sequence of str or None
        One name per model output; ``None`` gives ``label0``, ``label1``, ...

    Returns
    -------
    dict
        ``feature_name``, ``data_type`` (``"numerical"`` or
        ``"categorical"``), ``feature_values``, ``data_distribution``,
        ``model_predictions`` (one list per model output, aligned with
        ``feature_values``) and ``label_headers``, all JSON-ready.

    Raises
    ------
    AnalysisError
        If ``rows`` is empty, an option is out of range, or ``label_headers``
        does not match the number of model outputs.
    ModelClientError
        If ``predict`` does not return one score row per input row.

    Notes
    -----
    Numerical buckets split ``[min, max]`` into ``grid_resolution`` equal
    parts; a value on an inner edge belongs to the upper bucket, and the
    maximum to the last one. A constant numerical feature gets a single grid
    point, its value, holding every row. Categorical values are listed in
    sorted order.
    """
    rows = np.atleast_2d(np.asarray(rows))
    n_rows, n_features = rows.shape
    if n_rows == 0:
        raise AnalysisError(_EMPTY_ROWS.format(name=feature_name))
    if not 0 <= feature_index < n_features:
        raise AnalysisError(_BAD_INDEX.format(value=feature_index, last=n_features - 1))
    if (
        isinstance(grid_resolution, bool)
        or not isinstance(grid_resolution, int | np.integer)
        or grid_resolution < 1
    ):
        raise AnalysisError(_BAD_GRID.format(value=grid_resolution))

    column = rows[:, feature_index]
    if categorical:
        grid, counts = np.unique(column, return_counts=True)
    else:
        grid, counts = _buckets(column.astype(np.float64), int(grid_resolution))
    distribution = counts / n_rows

    # (n_grid, n_rows, n_features): every row once per grid value.
    dtype = np.result_type(rows.dtype, grid.dtype)
    batch = np.broadcast_to(rows, (len(grid), n_rows, n_features)).astype(dtype)
    batch[:, :, feature_index] = grid[:, None]
    scores = _predict(predict, batch.reshape(len(grid) * n_rows, n_features))
    means = scores.reshape(len(grid), n_rows, -1).mean(axis=1)

    n_out = means.shape[1]
    headers = _headers(label_headers, n_out)
    logger.debug("PDP for %s: %d grid points", feature_name, len(grid))
    return {
        "feature_name": feature_name,
        "data_type": "categorical" if categorical else "numerical",
        "feature_values": grid.tolist(),
        "data_distribution": distribution.tolist(),
        "model_predictions": means.T.tolist(),
        "label_headers": headers,
    }


def select_pdp_features(
    global_values: np.ndarray, features: Sequence[str], top_k: int
) -> list[str]:
    """Pick the features with the largest global SHAP values.

    Parameters
    ----------
    global_values : ndarray of shape (n_features,) or (n_features, n_outputs)
        Global SHAP value per feature (and output), e.g. from
        :func:`~openclarify.explain.kernel_shap.aggregate`.
    features : sequence of str
        Feature names, aligned with ``global_values``.
    top_k : int
        ``methods.pdp.top_k_features``; fewer are returned when there are
        fewer features.

    Returns
    -------
    list of str
        Names in decreasing order of the mean absolute global value over the
        outputs; ties keep the order of ``features``.

    Raises
    ------
    AnalysisError
        If ``top_k`` is not a positive integer or the lengths disagree.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise AnalysisError(_BAD_TOP_K.format(value=top_k))
    values = np.asarray(global_values, dtype=np.float64)
    values = values.reshape(len(values), -1)
    if len(values) != len(features):
        raise AnalysisError(_BAD_NAMES.format(got=len(values), expected=len(features)))
    strength = np.abs(values).mean(axis=1)
    order = np.argsort(-strength, kind="stable")
    return [features[i] for i in order[:top_k]]


def _buckets(column: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    # Returns (bucket centres, rows per bucket).
    low, high = float(column.min()), float(column.max())
    if low == high:
        return np.array([low]), np.array([len(column)])
    edges = np.linspace(low, high, resolution + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    index = np.searchsorted(edges, column, side="right") - 1
    index = np.clip(index, 0, resolution - 1)
    return centres, np.bincount(index, minlength=resolution)


def _predict(predict: Predict, batch: np.ndarray) -> np.ndarray:
    scores = np.asarray(predict(batch), dtype=np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or len(scores) != len(batch):
        raise ModelClientError(
            _BAD_SCORES.format(got=scores.shape, expected=len(batch))
        )
    return scores


def _headers(label_headers: Sequence[str] | None, n_out: int) -> list[str]:
    if label_headers is None:
        return [f"label{i}" for i in range(n_out)]
    headers = [str(h) for h in label_headers]
    if len(headers) != n_out:
        raise AnalysisError(_BAD_HEADERS.format(got=len(headers), expected=n_out))
    return headers
