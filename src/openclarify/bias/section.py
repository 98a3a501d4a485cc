"""Build the ``pre_training_bias_metrics`` / ``post_training_bias_metrics`` dicts.

``bias_section`` reproduces the section of ``analysis.json`` that Clarify
writes for one bias analysis (contract section 3.2) from a DataFrame and the
analysis config values; ``bias_statistics`` gives the group sizes, rates and
confusion counts the report shows next to it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from openclarify.bias.columns import (
    Selection,
    convert_column,
    facet_groups,
    infer_data_type,
    predicted_positive_mask,
    select_rows,
)
from openclarify.bias.errors import BiasMetricError
from openclarify.bias.metrics import METRICS, BiasMetric, Stage, metrics_for_stage
from openclarify.config.model import ColumnRef, FacetConfig
from openclarify.errors import ConfigError

logger = logging.getLogger(__name__)

ErrorPolicy = Literal["coerce", "raise"]


def bias_section(
    frame: pd.DataFrame,
    *,
    label: str,
    label_values_or_threshold: Sequence[Any],
    facets: Sequence[FacetConfig],
    group_variable: ColumnRef | None,
    methods: Sequence[str],
    stage: Stage,
    predicted_label: str | None = None,
    feature_columns: Sequence[str] | None = None,
    errors: ErrorPolicy = "coerce",
) -> dict[str, Any]:
    """Compute one bias section of ``analysis.json``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The dataset with named columns: facets, label, group variable and,
        for post-training, the predicted label.
    label : str
        The label column.
    label_values_or_threshold : sequence
        Positive label values, or one threshold for a continuous label.
    facets : sequence of FacetConfig
        The sensitive attributes; a facet without values is analysed one
        value against the rest, for every value in order of appearance.
    group_variable : str, int or None
        The column defining the subgroups of CDDL and CDDPL.
    methods : sequence of str
        Metric codes of the stage; ``["all"]`` selects every one.
    stage : {"pre_training", "post_training"}
        Which analysis.
    predicted_label : str or None, default=None
        The column of predicted labels (0/1, or values of the label's type);
        required for post-training.
    feature_columns : sequence of str or None, default=None
        The columns the Flip Test's neighbour search sees, before the facet,
        label and predicted label are removed; default every column of
        ``frame``, as smclarify does with the dataset it is given.
    errors : {"coerce", "raise"}, default="coerce"
        "coerce" turns a metric failure into an ``error`` entry, as Clarify
        does; "raise" re-raises it (for tests).

    Returns
    -------
    dict
        ``{"label", "label_value_or_threshold", "facets": {name: [{
        "value_or_threshold", "metrics": [{"name", "description", "value"
        [, "error"]}]}]}}`` with metrics sorted by name and infinities as the
        strings ``"Infinity"`` / ``"-Infinity"``.

    Raises
    ------
    ConfigError
        For an unknown metric code, a missing column, or facet or label values
        that fit neither reading of the column.
    PredictedLabelError
        When the predicted labels are typed unlike the labels, or none is
        positive (both fail a Clarify job).
    """
    chosen = _choose_metrics(methods, stage)
    prepared = _prepare(
        frame,
        label=label,
        label_values_or_threshold=label_values_or_threshold,
        group_variable=group_variable,
        stage=stage,
        predicted_label=predicted_label,
    )

    facet_reports: dict[str, list[dict[str, Any]]] = {}
    for position, facet in enumerate(facets):
        name = _resolve_column(frame, facet.name_or_index, f"facet[{position}]")
        features = _feature_matrix(
            frame, feature_columns, drop=(name, label, predicted_label)
        )
        entries = []
        for selection in _facet_selections(frame[name], facet, position):
            inputs: dict[str, Any] = {
                "facet_mask": selection.mask,
                "y_true": prepared.y_true,
                "y_pred": prepared.y_pred,
                "group": prepared.group,
                "features": features,
            }
            metrics = [_run_metric(metric, inputs, errors) for metric in chosen]
            entries.append({"value_or_threshold": selection.text, "metrics": metrics})
        facet_reports[name] = entries

    return {
        "label": label,
        "label_value_or_threshold": prepared.label_text,
        "facets": facet_reports,
    }


def bias_statistics(
    frame: pd.DataFrame,
    *,
    label: str,
    label_values_or_threshold: Sequence[Any],
    facets: Sequence[FacetConfig],
    stage: Stage,
    predicted_label: str | None = None,
) -> dict[str, Any]:
    """Group sizes, positive rates and confusion counts for the report.

    Parameters
    ----------
    frame, label, label_values_or_threshold, facets, stage, predicted_label
        As for ``bias_section``.

    Returns
    -------
    dict
        ``{"label", "label_value_or_threshold", "facets": {name: [{
        "value_or_threshold", "facet": GROUP, "complement": GROUP}]}}`` where
        GROUP is ``{"count", "proportion", "label_positive_rate"}`` plus, for
        post-training, ``"predicted_positive_rate"`` and ``"confusion_matrix":
        {"TP", "FP", "TN", "FN"}`` (counts). Rates of an empty group are 0.
    """
    prepared = _prepare(
        frame,
        label=label,
        label_values_or_threshold=label_values_or_threshold,
        group_variable=None,
        stage=stage,
        predicted_label=predicted_label,
    )
    n_rows = len(frame)
    facet_stats: dict[str, list[dict[str, Any]]] = {}
    for position, facet in enumerate(facets):
        name = _resolve_column(frame, facet.name_or_index, f"facet[{position}]")
        facet_stats[name] = [
            {
                "value_or_threshold": selection.text,
                "facet": _group_stats(selection.mask, prepared, n_rows),
                "complement": _group_stats(~selection.mask, prepared, n_rows),
            }
            for selection in _facet_selections(frame[name], facet, position)
        ]
    return {
        "label": label,
        "label_value_or_threshold": prepared.label_text,
        "facets": facet_stats,
    }


def json_value(value: float | None) -> float | str | None:
    """Return a metric value as Clarify writes it: infinities become strings."""
    if value is None:
        return None
    if isinstance(value, float | np.floating) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    return float(value)


# ---------------------------------------------------------------------------
# Private helpers


def _facet_selections(
    column: pd.Series, facet: FacetConfig, position: int
) -> list[Selection]:
    return facet_groups(
        column,
        facet.value_or_threshold,
        key=f"facet[{position}].value_or_threshold",
    )


@dataclass(frozen=True)
class _Prepared:
    y_true: npt.NDArray[np.bool_]
    y_pred: npt.NDArray[np.bool_] | None
    group: pd.Series | None
    label_text: str


def _choose_metrics(methods: Sequence[str], stage: Stage) -> list[BiasMetric]:
    available = metrics_for_stage(stage)
    if list(methods) == ["all"] or methods == "all":
        chosen = list(available)
    else:
        codes = {metric.code for metric in available}
        unknown = [code for code in methods if code not in codes]
        if unknown:
            raise ConfigError(
                f"methods.{stage}_bias.methods",
                unknown,
                "'all' or a list of " + ", ".join(m.code for m in available),
                "Remove or correct the unknown metric names.",
            )
        chosen = [METRICS[code] for code in dict.fromkeys(methods)]
    return sorted(chosen, key=lambda metric: metric.code)


def _prepare(
    frame: pd.DataFrame,
    *,
    label: str,
    label_values_or_threshold: Sequence[Any],
    group_variable: ColumnRef | None,
    stage: Stage,
    predicted_label: str | None,
) -> _Prepared:
    key = "label_values_or_threshold"
    values = list(label_values_or_threshold)
    if not values:
        raise ConfigError(
            key, values, "one or more positive label values or a threshold", ""
        )
    label_column = _resolve_column(frame, label, "label")

    # The label list is shared with the predicted label, as in smclarify: a
    # text threshold is turned into a float once and reused.
    label_type = infer_data_type(frame[label_column], values)
    label_series = convert_column(frame[label_column], label_type, values, key=key)
    label_selection = select_rows(label_series, label_type, values, key=key)

    y_pred = None
    if stage == "post_training":
        if predicted_label is None:
            raise ConfigError(
                "predicted_label",
                None,
                "a column of predicted labels for post-training bias",
                "Pass the predictions column.",
            )
        predicted_column = _resolve_column(frame, predicted_label, "predicted_label")
        y_pred = predicted_positive_mask(
            frame[predicted_column],
            label_series,
            label_type,
            values,
            column=predicted_column,
        )

    group = None
    if group_variable is not None:
        group = frame[_resolve_column(frame, group_variable, "group_variable")]
    return _Prepared(label_selection.mask, y_pred, group, label_selection.text)


def _run_metric(
    metric: BiasMetric, inputs: dict[str, Any], errors: ErrorPolicy
) -> dict[str, Any]:
    arguments = [inputs[name] for name in metric.arguments]
    entry: dict[str, Any] = {"name": metric.code, "description": metric.description}
    try:
        value = metric.function(*arguments)
    except Exception as exc:
        if errors == "raise":
            raise
        if not isinstance(exc, BiasMetricError):
            logger.exception("Bias metric %s failed", metric.code)
        entry["value"] = None
        entry["error"] = str(exc)
        return entry
    entry["value"] = json_value(value)
    return entry


def _feature_matrix(
    frame: pd.DataFrame,
    feature_columns: Sequence[str] | None,
    *,
    drop: tuple[str | None, ...],
) -> npt.NDArray[np.float64] | None:
    columns = list(frame.columns) if feature_columns is None else feature_columns
    kept = [column for column in columns if column not in drop]
    subset = frame[kept]
    numeric = subset.select_dtypes(include=[np.number, bool])
    if len(numeric.columns) != len(subset.columns):
        return None
    return subset.to_numpy(dtype=np.float64, na_value=np.nan)


def _resolve_column(frame: pd.DataFrame, ref: ColumnRef, key: str) -> str:
    if ref in frame.columns:
        return str(ref)
    if isinstance(ref, int) and 0 <= ref < len(frame.columns):
        return str(frame.columns[ref])
    raise ConfigError(
        key,
        ref,
        "a column name or 0-based index of the dataset ("
        + ", ".join(map(str, frame.columns[:20]))
        + ")",
        "Check the headers and the column name.",
    )


def _group_stats(
    mask: npt.NDArray[np.bool_], prepared: _Prepared, n_rows: int
) -> dict[str, Any]:
    count = int(np.count_nonzero(mask))
    positives = int(np.count_nonzero(mask & prepared.y_true))
    stats: dict[str, Any] = {
        "count": count,
        "proportion": count / n_rows if n_rows else 0.0,
        "label_positive_rate": positives / count if count else 0.0,
    }
    if prepared.y_pred is not None:
        y_true, y_pred = prepared.y_true[mask], prepared.y_pred[mask]
        predicted = int(np.count_nonzero(y_pred))
        stats["predicted_positive_rate"] = predicted / count if count else 0.0
        stats["confusion_matrix"] = {
            "TP": int(np.count_nonzero(y_true & y_pred)),
            "FP": int(np.count_nonzero(~y_true & y_pred)),
            "TN": int(np.count_nonzero(~y_true & ~y_pred)),
            "FN": int(np.count_nonzero(y_true & ~y_pred)),
        }
    return stats
