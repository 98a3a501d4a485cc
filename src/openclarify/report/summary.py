"""Dataset statistics for the report: sizes, positive rates, confusion counts.

These are the "bias statistics for report" of contract section 1.5: for every
facet value, the sensitive group and its complement side by side. Pure numpy.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from openclarify.errors import AnalysisError

logger = logging.getLogger(__name__)

BAD_MASK_MSG = (
    "summarize_dataset parameter {name}: got an array of shape {shape}; a "
    "boolean array of shape ({rows},) is accepted, one entry per dataset row. "
    "Build the mask from the same frame that is summarized."
)


@dataclass(frozen=True)
class ConfusionCounts:
    """True/false positives and negatives of the predicted label in one group."""

    tp: int
    fp: int
    tn: int
    fn: int


@dataclass(frozen=True)
class GroupStats:
    """One facet value: its group (``d``) against the complement (``a``).

    Rates are None when the group they are taken over is empty, or when the
    label or prediction was not given.
    """

    value: str
    size: int
    complement_size: int
    label_positive_rate: float | None
    complement_label_positive_rate: float | None
    predicted_positive_rate: float | None
    complement_predicted_positive_rate: float | None
    confusion: ConfusionCounts | None
    complement_confusion: ConfusionCounts | None


@dataclass(frozen=True)
class DatasetSummary:
    """What the report shows about the dataset.

    Attributes
    ----------
    rows, columns : int
        Shape of the dataset.
    column_names : tuple of str
        Its column names.
    label : str or None
        The label column, if any.
    label_positive_count : int or None
        Rows whose label is positive.
    label_positive_rate : float or None
        ``label_positive_count / rows`` (None for an empty dataset).
    predicted_positive_count : int or None
        Rows whose predicted label is positive.
    predicted_positive_rate : float or None
        ``predicted_positive_count / rows``.
    facets : dict of str to tuple of GroupStats
        Per facet name, one entry per facet value, in the order given.
    """

    rows: int
    columns: int
    column_names: tuple[str, ...]
    label: str | None
    label_positive_count: int | None
    label_positive_rate: float | None
    predicted_positive_count: int | None
    predicted_positive_rate: float | None
    facets: dict[str, tuple[GroupStats, ...]]

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON types."""
        data = asdict(self)
        data["column_names"] = list(self.column_names)
        data["facets"] = {
            name: [asdict(group) for group in groups]
            for name, groups in self.facets.items()
        }
        return data


def summarize_dataset(
    frame: pd.DataFrame,
    *,
    label: str | None,
    label_positive: np.ndarray | None,
    facets: Mapping[str, Mapping[str, np.ndarray]],
    predicted_positive: np.ndarray | None = None,
) -> DatasetSummary:
    """Count group sizes, positive rates and confusion matrices per facet value.

    Parameters
    ----------
    frame : DataFrame of shape (n_samples, n_columns)
        The dataset (only its shape and column names are read).
    label : str or None
        The label column name, shown in the report.
    label_positive : ndarray of shape (n_samples,), dtype bool, or None
        True where the observed label is positive.
    facets : Mapping of str to Mapping of str to ndarray of shape (n_samples,)
        Facet name → facet value text → boolean mask of the sensitive group.
        The complement is every other row.
    predicted_positive : ndarray of shape (n_samples,), dtype bool, or None
        True where the predicted label is positive. With ``label_positive``
        it yields the confusion counts.

    Returns
    -------
    DatasetSummary
        The statistics; rates over an empty group are None.

    Raises
    ------
    AnalysisError
        If a mask is not one boolean per row.
    """
    n_samples = len(frame)
    y_true = _optional_mask("label_positive", label_positive, n_samples)
    y_pred = _optional_mask("predicted_positive", predicted_positive, n_samples)

    groups_by_facet: dict[str, tuple[GroupStats, ...]] = {}
    for facet_name, values in facets.items():
        groups = []
        for value, mask in values.items():
            where = f"facets[{facet_name!r}][{value!r}]"
            group_mask = _as_mask(where, mask, n_samples)
            groups.append(_group_stats(str(value), group_mask, y_true, y_pred))
        groups_by_facet[str(facet_name)] = tuple(groups)

    return DatasetSummary(
        rows=n_samples,
        columns=frame.shape[1],
        column_names=tuple(str(name) for name in frame.columns),
        label=label,
        label_positive_count=None if y_true is None else int(y_true.sum()),
        label_positive_rate=_rate(y_true, np.ones(n_samples, dtype=bool)),
        predicted_positive_count=None if y_pred is None else int(y_pred.sum()),
        predicted_positive_rate=_rate(y_pred, np.ones(n_samples, dtype=bool)),
        facets=groups_by_facet,
    )


def _optional_mask(
    name: str, mask: np.ndarray | None, n_samples: int
) -> np.ndarray | None:
    return None if mask is None else _as_mask(name, mask, n_samples)


def _as_mask(name: str, mask: np.ndarray, n_samples: int) -> np.ndarray:
    array = np.asarray(mask)
    if array.shape != (n_samples,) or array.dtype != np.bool_:
        shape = f"{array.shape} and dtype {array.dtype}"
        raise AnalysisError(BAD_MASK_MSG.format(name=name, shape=shape, rows=n_samples))
    return array


def _group_stats(
    value: str,
    group_mask: np.ndarray,
    y_true: np.ndarray | None,
    y_pred: np.ndarray | None,
) -> GroupStats:
    rest_mask = ~group_mask
    return GroupStats(
        value=value,
        size=int(group_mask.sum()),
        complement_size=int(rest_mask.sum()),
        label_positive_rate=_rate(y_true, group_mask),
        complement_label_positive_rate=_rate(y_true, rest_mask),
        predicted_positive_rate=_rate(y_pred, group_mask),
        complement_predicted_positive_rate=_rate(y_pred, rest_mask),
        confusion=_confusion(y_true, y_pred, group_mask),
        complement_confusion=_confusion(y_true, y_pred, rest_mask),
    )


def _rate(positive: np.ndarray | None, within: np.ndarray) -> float | None:
    size = int(within.sum())
    if positive is None or size == 0:
        return None
    return int(np.count_nonzero(positive & within)) / size


def _confusion(
    y_true: np.ndarray | None, y_pred: np.ndarray | None, within: np.ndarray
) -> ConfusionCounts | None:
    if y_true is None or y_pred is None:
        return None
    return ConfusionCounts(
        tp=int(np.count_nonzero(within & y_true & y_pred)),
        fp=int(np.count_nonzero(within & ~y_true & y_pred)),
        tn=int(np.count_nonzero(within & ~y_true & ~y_pred)),
        fn=int(np.count_nonzero(within & y_true & ~y_pred)),
    )
