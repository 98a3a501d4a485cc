"""Kernel SHAP over a block of rows, with one model call per block.

For every explained row ``x`` and coalition ``z`` of a
:class:`~openclarify.explain.coalitions.CoalitionDesign`, one synthetic row is
built per baseline row ``b``: feature ``j`` comes from ``x`` where ``z_j`` is
set and from ``b`` otherwise. The value of the coalition is the mean score
over the baseline rows, passed through the link (identity, or the logit with
``use_logit``):

    v(z) = g(mean_b f(z ? x : b)).

The attributions are the weighted least-squares fit of ``v(z) - v(0)`` on the
coalitions with the Shapley kernel weights, under the efficiency constraint
``sum_j phi_j = g(f(x)) - v(0)``. The solution operator depends only on the
design, so it is factorised once per design and applied to every row and
model output of the block with one matrix product.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from openclarify.errors import AnalysisError, ModelClientError
from openclarify.explain.coalitions import CoalitionDesign

logger = logging.getLogger(__name__)

AggMethod = Literal["mean_abs", "median", "mean_sq"]
Predict = Callable[[np.ndarray], np.ndarray]

# Probabilities are clipped to [EPS, 1 - EPS] before the logit.
LOGIT_EPS = 1e-15

_SHAPE_MISMATCH = (
    "{name} has {got} columns but the rows have {expected}. "
    "Pass baseline rows with the same features, in the same order, as the rows."
)
_DESIGN_MISMATCH = (
    "the coalition design has {got} players but {expected} features are "
    "explained. Build the design with n_features equal to the number of "
    "features to explain."
)
_BAD_EXPLAIN = (
    "features_to_explain index {value!r} is outside 0..{last} or repeated. "
    "Pass distinct feature positions."
)
_BAD_SCORES = (
    "the model returned scores of shape {got} for {expected} rows. "
    "Check the predictor's 'probability'/'label' settings so the model "
    "returns one score row per record."
)
_BAD_AGG = (
    "agg_method {value!r} is not one of 'mean_abs', 'median', 'mean_sq'. "
    "Set methods.shap.agg_method to one of them."
)
_EMPTY_BASELINE = (
    "the baseline has no rows. Give at least one baseline row, or let the "
    "baseline be computed by clustering."
)


@dataclass(frozen=True)
class ShapResult:
    """Kernel SHAP attributions of a block of rows.

    Attributes
    ----------
    values : ndarray of shape (n_rows, n_explain, n_outputs)
        Attribution of each explained feature, per row and model output, in
        link units (log-odds with ``use_logit``).
    expected_value : ndarray of shape (n_outputs,)
        ``g(mean score over the baseline rows)``, the job's expected value.
    model_output : ndarray of shape (n_rows, n_outputs)
        ``g(f(x))`` for each explained row.
    base_values : ndarray of shape (n_rows, n_outputs)
        Value of the empty coalition for each row. It equals
        ``expected_value`` when every feature is explained; with
        ``features_to_explain`` the features left out keep the row's values,
        so it differs per row. ``values.sum(axis=1) + base_values`` equals
        ``model_output`` in every case.
    """

    values: np.ndarray
    expected_value: np.ndarray
    model_output: np.ndarray
    base_values: np.ndarray


def kernel_shap(
    rows: np.ndarray,
    baseline: np.ndarray,
    predict: Predict,
    *,
    design: CoalitionDesign,
    use_logit: bool = False,
    explain: Sequence[int] | None = None,
) -> ShapResult:
    """Explain a block of rows with Kernel SHAP.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, n_features)
        The rows to explain, in the column order the model expects.
    baseline : ndarray of shape (n_baseline, n_features)
        Baseline rows; absent features are taken from them and averaged over.
    predict : callable
        Maps a ``(r, n_features)`` matrix to scores of shape ``(r, n_outputs)``
        (or ``(r,)`` for one output). It is called exactly once, with the
        ``n_rows * n_coalitions * n_baseline`` synthetic rows followed by the
        explained rows and the baseline rows (and, with ``explain``, the
        ``n_rows * n_baseline`` rows of the empty coalition).
    design : CoalitionDesign
        From :func:`~openclarify.explain.coalitions.coalition_design` with
        ``n_features`` equal to the number of explained features.
    use_logit : bool, default=False
        Apply the logit to the mean scores, giving attributions in log-odds.
        Scores are clipped to ``[LOGIT_EPS, 1 - LOGIT_EPS]`` first.
    explain : sequence of int or None, default=None
        Positions of the features to explain (``features_to_explain``). Only
        they are players; every other feature always keeps the explained
        row's value, in synthetic rows and in the empty coalition alike.
        ``None`` explains every feature.

    Returns
    -------
    ShapResult

    Raises
    ------
    AnalysisError
        If the shapes of ``rows``, ``baseline``, ``design`` and ``explain``
        disagree.
    ModelClientError
        If ``predict`` does not return one score row per input row.

    Notes
    -----
    With the last player ``M`` eliminated through the constraint
    ``phi_M = delta - sum_{j<M} phi_j`` (``delta = g(f(x)) - v(0)``), the
    fit is an ordinary weighted least-squares problem on ``z_j - z_M`` whose
    solution operator is ``design.projection``. With a design that enumerates
    every coalition the result equals the exact Shapley values.
    """
    rows, baseline, players = _check_inputs(rows, baseline, design, explain)
    n_rows, n_features = rows.shape
    n_base = len(baseline)
    n_coal = design.n_coalitions
    partial = players is not None

    # Mask over all features: non-players always come from the explained row.
    if players is None:
        full_masks = design.masks
    else:
        full_masks = np.ones((n_coal, n_features), dtype=bool)
        full_masks[:, players] = design.masks
    batch = _synthetic_batch(rows, baseline, full_masks, players)

    logger.debug(
        "Kernel SHAP block: %d rows, %d coalitions, %d model rows",
        n_rows,
        n_coal,
        len(batch),
    )
    scores = _predict(predict, batch)
    n_out = scores.shape[1]
    n_synth = n_rows * n_coal * n_base

    # (n_rows, n_coal, n_base, n_out) -> mean over the baseline rows.
    coalition_scores = scores[:n_synth].reshape(n_rows, n_coal, n_base, n_out)
    values = _link(coalition_scores.mean(axis=2), use_logit)
    offset = n_synth
    model_output = _link(scores[offset : offset + n_rows], use_logit)
    offset += n_rows
    expected_value = _link(scores[offset : offset + n_base].mean(axis=0), use_logit)
    offset += n_base
    if partial:
        empty = scores[offset:].reshape(n_rows, n_base, n_out).mean(axis=1)
        base_values = _link(empty, use_logit)
    else:
        base_values = np.broadcast_to(expected_value, (n_rows, n_out)).copy()

    phi = _solve(values, model_output, base_values, design)
    return ShapResult(
        values=phi,
        expected_value=expected_value,
        model_output=model_output,
        base_values=base_values,
    )


def max_block_rows(
    design: CoalitionDesign,
    n_baseline: int,
    *,
    max_model_rows: int = 1_000_000,
    partial: bool = False,
) -> int:
    """Return how many rows one block may hold to stay within a model-row budget.

    One call of :func:`kernel_shap` sends ``n_rows * (n_coalitions *
    n_baseline + 1) + n_baseline`` rows to the model, plus ``n_rows *
    n_baseline`` when only some features are explained, all held in memory
    at once.

    Parameters
    ----------
    design : CoalitionDesign
        The job's design.
    n_baseline : int
        Number of baseline rows.
    max_model_rows : int, default=1_000_000
        Upper bound on the rows of one model call.
    partial : bool, default=False
        Whether ``explain`` (``features_to_explain``) leaves features out.

    Returns
    -------
    int
        The largest block size within the budget, and at least 1.
    """
    per_row = design.n_coalitions * n_baseline + 1 + (n_baseline if partial else 0)
    return max(1, (max_model_rows - n_baseline) // per_row)


def aggregate(values: np.ndarray, agg_method: AggMethod) -> np.ndarray:
    """Reduce local attributions to one global value per feature and output.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_explain, n_outputs)
        Local attributions, e.g. :attr:`ShapResult.values` of all blocks.
    agg_method : {"mean_abs", "median", "mean_sq"}
        ``mean_abs``: mean of ``|phi|``; ``median``: median of ``phi`` (signed
        values); ``mean_sq``: mean of ``phi ** 2``.

    Returns
    -------
    ndarray of shape (n_explain, n_outputs)

    Raises
    ------
    AnalysisError
        If ``agg_method`` is not one of the three.
    """
    values = np.asarray(values, dtype=np.float64)
    if agg_method == "mean_abs":
        return np.abs(values).mean(axis=0)
    if agg_method == "median":
        return np.median(values, axis=0)
    if agg_method == "mean_sq":
        return np.square(values).mean(axis=0)
    raise AnalysisError(_BAD_AGG.format(value=agg_method))


def _check_inputs(
    rows: np.ndarray,
    baseline: np.ndarray,
    design: CoalitionDesign,
    explain: Sequence[int] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rows = np.atleast_2d(np.asarray(rows))
    baseline = np.atleast_2d(np.asarray(baseline))
    n_features = rows.shape[1]
    if baseline.shape[1] != n_features:
        raise AnalysisError(
            _SHAPE_MISMATCH.format(
                name="baseline", got=baseline.shape[1], expected=n_features
            )
        )
    if len(baseline) == 0:
        raise AnalysisError(_EMPTY_BASELINE)

    players: np.ndarray | None = None
    if explain is not None:
        players = np.asarray(list(explain), dtype=np.int64)
        out_of_range = (players < 0) | (players >= n_features)
        if out_of_range.any() or len(np.unique(players)) != len(players):
            raise AnalysisError(
                _BAD_EXPLAIN.format(value=list(explain), last=n_features - 1)
            )
        if len(players) == n_features and (players == np.arange(n_features)).all():
            players = None

    n_players = n_features if players is None else len(players)
    if design.n_features != n_players:
        raise AnalysisError(
            _DESIGN_MISMATCH.format(got=design.n_features, expected=n_players)
        )
    return rows, baseline, players


def _synthetic_batch(
    rows: np.ndarray,
    baseline: np.ndarray,
    full_masks: np.ndarray,
    players: np.ndarray | None,
) -> np.ndarray:
    # Layout: synthetic rows (row, coalition, baseline row), then the rows,
    # then the baseline, then (only with players) the empty coalitions.
    n_rows, n_features = rows.shape
    n_base, n_coal = len(baseline), len(full_masks)
    n_synth = n_rows * n_coal * n_base
    n_empty = n_rows * n_base if players is not None else 0
    dtype = np.result_type(rows.dtype, baseline.dtype)
    batch = np.empty((n_synth + n_rows + n_base + n_empty, n_features), dtype=dtype)

    # Each explained row has a table of K + 1 source rows: the K baseline
    # rows, then itself. Every synthetic value is a gather from that table,
    # which numpy does faster than a masked copy.
    # sources: (n_rows, n_base + 1, n_features)
    sources = np.empty((n_rows, n_base + 1, n_features), dtype=dtype)
    sources[:, :n_base, :] = baseline[None, :, :]
    sources[:, n_base, :] = rows
    # source row per (coalition, baseline row, feature): n_base where present
    which = np.where(full_masks[:, None, :], n_base, np.arange(n_base)[None, :, None])
    flat = (which * n_features + np.arange(n_features)).reshape(-1)
    synth = batch[:n_synth].reshape(n_rows, n_coal * n_base * n_features)
    table = sources.reshape(n_rows, (n_base + 1) * n_features)
    np.take(table, flat, axis=1, out=synth)
    batch[n_synth : n_synth + n_rows] = rows
    batch[n_synth + n_rows : n_synth + n_rows + n_base] = baseline

    if players is not None:
        empty = batch[n_synth + n_rows + n_base :].reshape(n_rows, n_base, n_features)
        empty[...] = rows[:, None, :]
        empty[:, :, players] = baseline[None, :, players]
    return batch


def _predict(predict: Predict, batch: np.ndarray) -> np.ndarray:
    scores = np.asarray(predict(batch), dtype=np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or len(scores) != len(batch):
        raise ModelClientError(
            _BAD_SCORES.format(got=scores.shape, expected=len(batch))
        )
    return scores


def _link(scores: np.ndarray, use_logit: bool) -> np.ndarray:
    if not use_logit:
        return scores
    clipped = np.clip(scores, LOGIT_EPS, 1.0 - LOGIT_EPS)
    return np.log(clipped) - np.log1p(-clipped)


def _solve(
    values: np.ndarray,
    model_output: np.ndarray,
    base_values: np.ndarray,
    design: CoalitionDesign,
) -> np.ndarray:
    # values: (n_rows, n_coal, n_out); model_output, base_values: (n_rows, n_out).
    n_rows, n_coal, n_out = values.shape
    m = design.n_features
    delta = model_output - base_values
    phi = np.empty((n_rows, m, n_out))
    if m == 1:
        phi[:, 0, :] = delta
        return phi

    # Adjusted targets y = v(z) - v(0) - z_M * delta, then one matrix product.
    last = design.masks[:, -1].astype(np.float64)
    target = values - base_values[:, None, :] - last[None, :, None] * delta[:, None, :]
    # (n_coal, n_rows * n_out) -> (m - 1, n_rows * n_out)
    flat = target.transpose(1, 0, 2).reshape(n_coal, n_rows * n_out)
    head = (design.projection @ flat).reshape(m - 1, n_rows, n_out)
    phi[:, :-1, :] = head.transpose(1, 0, 2)
    phi[:, -1, :] = delta - head.sum(axis=0)
    return phi
