"""From facet, label and predicted-label columns to boolean group masks.

Clarify decides per column whether it is categorical or continuous with a
heuristic (smclarify's ``series_datatype``), then selects:

* categorical: the rows whose value is one of the given values; when none
  matches, the values are cast to the column's element type and tried again;
* continuous: the rows in the pandas interval ``(threshold, max]``, where
  ``max`` is the column maximum (appended unless ``|max|`` already is one of
  the thresholds).

The value strings written to the report (``"0"``, ``"a,b"``, ``"(40, 69]"``)
come from the same place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from openclarify.bias.errors import (
    NO_POSITIVE_PREDICTIONS,
    PREDICTED_TYPE_MISMATCH,
    PredictedLabelError,
)
from openclarify.errors import ConfigError

logger = logging.getLogger(__name__)
_CLASSIFICATIONS_LOGGED: set[tuple[str, str]] = set()

UNIQUENESS_THRESHOLD = 0.05
SURPRISING_DISTINCT_VALUES = 10
CAST_FAILURE = (
    "'label' has not positive elements. Double-check if 'label' and "
    "'positive_label_values'have correct data-types or values."
)


class DataType(Enum):
    """How Clarify reads a facet, label or predicted-label column."""

    CATEGORICAL = "categorical"
    CONTINUOUS = "continuous"


class Selection(NamedTuple):
    """The rows a value list or threshold selects, and its report string.

    A pair, so that ``dict(selections)`` maps report strings to masks.

    Attributes
    ----------
    text : str
        ``value_or_threshold`` as written to the report.
    mask : ndarray of bool, shape (n_samples,)
        True for the selected rows.
    """

    text: str
    mask: npt.NDArray[np.bool_]


def infer_data_type(series: pd.Series, values: Sequence[Any] | None = None) -> DataType:
    """Classify a column as categorical or continuous, as Clarify does.

    Parameters
    ----------
    series : pandas.Series
        The column.
    values : sequence or None
        The configured values or threshold for it.

    Returns
    -------
    DataType
        CATEGORICAL for a ``category`` dtype or more than one value; for
        floats CONTINUOUS; for integers (and text that casts to integers)
        CONTINUOUS when ``nunique / count >= 0.05``; CATEGORICAL otherwise.
    """
    count = int(series.count())
    nunique = int(series.nunique())
    uniqueness = nunique / count if count else 0.0
    data_type = DataType.CATEGORICAL
    if isinstance(series.dtype, pd.CategoricalDtype) or (
        values is not None and len(values) > 1
    ):
        data_type = DataType.CATEGORICAL
    elif _is_text(series):
        if uniqueness >= UNIQUENESS_THRESHOLD and _casts_to_int(series):
            data_type = DataType.CONTINUOUS
    elif pd.api.types.is_float_dtype(series.dtype) or (
        pd.api.types.is_integer_dtype(series.dtype)
        and uniqueness >= UNIQUENESS_THRESHOLD
    ):
        data_type = DataType.CONTINUOUS

    # Each stage classifies the same columns again: say it once per process.
    said = (str(series.name), data_type.name)
    logger.log(
        logging.DEBUG if said in _CLASSIFICATIONS_LOGGED else logging.INFO,
        "Column %s with data uniqueness fraction %.4g is classified as %s",
        series.name,
        uniqueness,
        data_type.name,
    )
    _CLASSIFICATIONS_LOGGED.add(said)
    surprising = (
        data_type is DataType.CONTINUOUS
        and nunique <= SURPRISING_DISTINCT_VALUES
        and not pd.api.types.is_float_dtype(series.dtype)
    )
    if surprising:
        logger.warning(
            "Column %r has only %d distinct integer values but is read as "
            "continuous (uniqueness %.3f >= %s with %d rows), so its value %s is "
            "a threshold selecting values above it, not a category. To compare "
            "categories, give two or more values, or store the column as text "
            "labels.",
            series.name,
            nunique,
            uniqueness,
            UNIQUENESS_THRESHOLD,
            count,
            list(values) if values else None,
        )
    return data_type


def facet_groups(
    series: pd.Series,
    value_or_threshold: Sequence[Any] | None,
    *,
    key: str = "facet.value_or_threshold",
) -> list[Selection]:
    """Return the sensitive groups of one facet column, as Clarify forms them.

    Parameters
    ----------
    series : pandas.Series
        The facet column.
    value_or_threshold : sequence or None
        The configured values or threshold; None or empty for one value
        against the rest.
    key : str, default="facet.value_or_threshold"
        The config key, for error messages.

    Returns
    -------
    list of Selection
        One group for given values or a threshold; otherwise one group per
        distinct value in order of first appearance. ``dict(facet_groups(...))``
        maps each ``value_or_threshold`` string to its mask.

    Raises
    ------
    ConfigError
        For a continuous column without a numeric threshold, or values that
        fit neither reading of the column.
    """
    values = list(value_or_threshold) if value_or_threshold else None
    data_type = infer_data_type(series, values)
    converted = convert_column(series, data_type, values, key=key)
    if values:
        return [select_rows(converted, data_type, values, key=key)]
    if data_type is DataType.CONTINUOUS:
        raise ConfigError(
            key,
            None,
            f"a threshold, because facet column {series.name!r} is read as continuous",
            "Give one numeric threshold, or make the column categorical.",
        )

    # One value against the rest, in order of first appearance.
    return [
        Selection(str(value), categorical_mask(converted, [value], key=key))
        for value in converted.unique()
    ]


def positive_mask(
    series: pd.Series,
    label_values_or_threshold: Sequence[Any],
    *,
    key: str = "label_values_or_threshold",
) -> npt.NDArray[np.bool_]:
    """Mark the rows whose label is positive, reading the column as Clarify does.

    Parameters
    ----------
    series : pandas.Series
        A label (or predicted-label) column.
    label_values_or_threshold : sequence
        Positive values, or one threshold for a continuous column.
    key : str, default="label_values_or_threshold"
        The config key, for error messages.

    Returns
    -------
    ndarray of bool, shape (n_samples,)

    Raises
    ------
    ConfigError
        When the values fit neither reading of the column.
    """
    values = list(label_values_or_threshold)
    data_type = infer_data_type(series, values)
    converted = convert_column(series, data_type, values, key=key)
    return select_rows(converted, data_type, values, key=key).mask


def select_rows(
    series: pd.Series,
    data_type: DataType,
    values: list[Any],
    *,
    key: str,
    interval_data: pd.Series | None = None,
) -> Selection:
    """Select the rows matching categorical values or above a threshold.

    Parameters
    ----------
    series : pandas.Series
        The column, already converted by ``convert_column``.
    data_type : DataType
        How the column is read.
    values : list
        The configured values, or a one-element threshold list.
    key : str
        The config key the values came from, for error messages.
    interval_data : pandas.Series or None
        The data whose maximum closes the threshold interval; default
        ``series``.

    Returns
    -------
    Selection
        The boolean mask and the report string.

    Raises
    ------
    ConfigError
        When the values can be neither matched nor cast to the column type,
        or no threshold is given for a continuous column.
    """
    if data_type is DataType.CONTINUOUS:
        intervals = _interval_index(
            series if interval_data is None else interval_data, values, key=key
        )
        return Selection(
            ",".join(map(str, intervals)), _interval_mask(series, intervals)
        )
    return Selection(
        ",".join(map(str, values)), categorical_mask(series, values, key=key)
    )


def convert_column(
    series: pd.Series, data_type: DataType, values: list[Any] | None, *, key: str
) -> pd.Series:
    """Convert a column for its reading; a text threshold becomes a float.

    Parameters
    ----------
    series : pandas.Series
        The column.
    data_type : DataType
        How the column is read.
    values : list or None
        The configured values; for a continuous column its first element is
        replaced by a float when it is not a number (as smclarify does).
    key : str
        The config key of the values, for error messages.

    Returns
    -------
    pandas.Series
        ``category`` dtype for categorical columns, numeric otherwise.

    Raises
    ------
    ConfigError
        When a continuous column's threshold is not a number.
    """
    if data_type is DataType.CATEGORICAL:
        return series.astype("category")
    if values and not isinstance(values[0], int | float):
        try:
            values[0] = float(values[0])
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                key,
                values[0],
                f"a single numeric threshold, because column {series.name!r} is "
                "read as continuous",
                "Give a number, or two or more category values.",
            ) from exc
    return pd.to_numeric(series)


def categorical_mask(series: pd.Series, values: list[Any], *, key: str) -> npt.NDArray:
    """Mark the rows equal to one of ``values``, casting them when none match.

    Parameters
    ----------
    series : pandas.Series of category dtype
        The column.
    values : list
        The values of the group.
    key : str
        The config key of the values, for error messages.

    Returns
    -------
    ndarray of bool, shape (n_samples,)
        True for the rows holding one of the values (after the cast-and-retry
        when the values as given match nothing).

    Raises
    ------
    ConfigError
        When the values match nothing and cannot be cast to the column type.
    """
    mask = _equals_any(series, values)
    if mask.any() or len(series) == 0:
        return mask
    cast = _cast_values(series, values, key=key)
    return _equals_any(series, cast)


def predicted_positive_mask(
    predicted: pd.Series,
    label: pd.Series,
    label_type: DataType,
    values: list[Any],
    *,
    column: str,
) -> npt.NDArray[np.bool_]:
    """Mark the positive predictions, read like the label column.

    Parameters
    ----------
    predicted : pandas.Series
        The predicted-label column.
    label : pandas.Series
        The label column, already converted.
    label_type : DataType
        How the label is read.
    values : list
        ``label_values_or_threshold``.
    column : str
        The predicted label's column name, for messages.

    Returns
    -------
    ndarray of bool, shape (n_samples,)

    Raises
    ------
    PredictedLabelError
        When the predicted labels are read differently from the labels, or
        when no prediction is positive. Both fail a Clarify job.
    """
    predicted_type = infer_data_type(predicted, values)
    if predicted_type is not label_type:
        raise PredictedLabelError(
            PREDICTED_TYPE_MISMATCH,
            f"The predicted label column {column!r} is read as "
            f"{predicted_type.value} but the label as {label_type.value}; give "
            "predictions with the same type and values as the label column.",
        )
    predicted = convert_column(
        predicted, predicted_type, values, key="label_values_or_threshold"
    )
    if predicted_type is DataType.CONTINUOUS:
        predicted = predicted.astype(label.dtype)
        both = pd.concat([label, predicted], ignore_index=True)
        mask = select_rows(
            predicted,
            predicted_type,
            values,
            key="label_values_or_threshold",
            interval_data=both,
        ).mask
    else:
        mask = categorical_mask(predicted, values, key="label_values_or_threshold")
    if not mask.any():
        raise PredictedLabelError(
            NO_POSITIVE_PREDICTIONS,
            f"No value of the predicted label column {column!r} is positive for "
            f"label_values_or_threshold {values!r}; check that predictions use the "
            "label's values and that probability_threshold is below the scores.",
        )
    return mask


# ---------------------------------------------------------------------------
# Private helpers


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def _casts_to_int(series: pd.Series) -> bool:
    # Object-to-int64 the way pandas 2 / numpy do it (int('7') works,
    # int('7.5') and int(nan) do not).
    try:
        series.to_numpy(dtype=object).astype(np.int64)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _interval_index(
    data: pd.Series, thresholds: list[Any], *, key: str
) -> pd.IntervalIndex:
    if not thresholds:
        raise ConfigError(
            key,
            thresholds,
            f"a threshold, because column {data.name!r} is read as continuous",
            "Give one numeric threshold, or two or more category values.",
        )
    max_value = data.max()
    breaks = list(thresholds)
    if abs(max_value) not in thresholds:
        breaks.append(max_value)
    return pd.IntervalIndex.from_breaks(sorted(breaks))


def _interval_mask(
    series: pd.Series, intervals: pd.IntervalIndex
) -> npt.NDArray[np.bool_]:
    values = series.to_numpy()
    mask = np.zeros(values.shape[0], dtype=bool)
    for left, right in zip(intervals.left, intervals.right, strict=True):
        mask |= (values > left) & (values <= right)
    return mask


def _equals_any(series: pd.Series, values: Sequence[Any]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(len(series), dtype=bool)
    for value in values:
        mask |= (series == value).to_numpy(dtype=bool, na_value=False)
    return mask


def _cast_values(series: pd.Series, values: list[Any], *, key: str) -> list[Any]:
    first = series.iloc[0]
    if isinstance(values[0], type(first)):
        return values
    cast: Callable[[Any], Any] = type(first)
    try:
        try:
            converted = [cast(value) for value in values]
        except ValueError as exc:
            if "invalid literal for int() with base 10" not in str(exc):
                raise ValueError(CAST_FAILURE) from exc
            converted = [float(value) for value in values]
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            key,
            values,
            f"values of the type held by column {series.name!r} "
            f"({type(first).__name__}); none of the given values occurs in it",
            "Check the spelling and type of the values.",
        ) from exc
    logger.warning(
        "The values %r of %s do not match the type of column %r; converted them to %r",
        values,
        key,
        series.name,
        converted,
    )
    return converted
