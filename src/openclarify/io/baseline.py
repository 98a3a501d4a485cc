"""Reading the SHAP baseline (``methods.shap.baseline``).

A baseline holds feature values only, in the dataset's format: inline in the
config, or in a file given as a local path, ``file://`` URI or fsspec URL.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from openclarify.config.model import AnalysisConfig
from openclarify.errors import ConfigError
from openclarify.io.csv_reader import looks_like_header, read_csv, sample_rows
from openclarify.io.json_reader import compile_path, read_json, read_jsonlines
from openclarify.io.parquet_reader import read_parquet
from openclarify.io.sources import DataFile, list_files

logger = logging.getLogger(__name__)

KEY = "methods.shap.baseline"

MSG_WIDTH = "rows of {n} feature values, one per feature {features}"
MSG_WIDTH_HINT = (
    "Give each baseline row exactly the model's features, in dataset order, "
    "without the label."
)
MSG_ROWS = "a list of rows (each a list of feature values)"
MSG_RECORDS = "a list of JSON Lines records from which 'features' selects values"
MSG_DOCUMENT = "a JSON document from which 'features' selects a list of records"
MSG_EMPTY = "at least one baseline row"
MSG_HEADER_NAMES = "a header row naming the features {features}"


def load_baseline(
    baseline: str | tuple[Any, ...] | dict[str, Any],
    config: AnalysisConfig,
    features: Sequence[str],
) -> pd.DataFrame:
    """Read the SHAP baseline into a frame with one column per feature.

    Parameters
    ----------
    baseline : str, tuple or dict
        A file location (local path, ``file://`` URI or fsspec URL) in the
        dataset's format, or inline rows: for CSV and Parquet a list of rows of
        feature values in feature order; for JSON Lines a list of records to
        which the ``features`` JMESPath is applied; for JSON a document to
        which ``features`` is applied as a whole.
    config : AnalysisConfig
        Supplies ``dataset_type``, ``features`` (JMESPath) and ``headers``.
    features : sequence of str
        The feature names (``TabularData.features``), in model order.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_baseline_rows, n_features)``; columns ``features``,
        ``RangeIndex``; numeric columns int64 or float64.

    Raises
    ------
    ConfigError
        On ``methods.shap.baseline`` when rows do not hold one value per
        feature, or the value has the wrong shape for the dataset type.
    DatasetError
        If a baseline file cannot be read.

    Notes
    -----
    A CSV baseline file may start with a header row: one equal to the feature
    names, or any row that `looks_like_header` accepts whose names are the
    features in some order (columns are then reordered).
    """
    kind = config.dataset_type.lower()
    if isinstance(baseline, str):
        files = list_files(baseline, key=KEY)
        frame = _from_files(files, config, features, kind)
    else:
        frame = _inline(baseline, config, features, kind)

    if len(frame) == 0:
        raise ConfigError(KEY, baseline, MSG_EMPTY)
    logger.info("Baseline has %d rows of %d features", len(frame), len(features))
    return frame.reset_index(drop=True)


def _from_files(
    files: list[DataFile], config: AnalysisConfig, features: Sequence[str], kind: str
) -> pd.DataFrame:
    names = list(features)
    if kind == "text/csv":
        sample = sample_rows(files[0])
        first = [c.strip() for c in sample[0]] if sample else names
        _check_width(len(first), files[0].name, names)
        if first != names and len(sample) > 1 and looks_like_header(sample):
            if sorted(first) != sorted(names):
                raise ConfigError(
                    KEY, files[0].name, MSG_HEADER_NAMES.format(features=names)
                )
            return read_csv(files, headers=first, key=KEY)[names]
        return read_csv(files, headers=names, key=KEY)

    if kind == "application/x-parquet":
        frame = read_parquet(files)
        if set(names) <= set(frame.columns):
            return frame[names]
        _check_width(frame.shape[1], files[0].name, names)
        frame.columns = pd.Index(names)
        return frame

    # JSON data: only the features JMESPath applies to baseline records.
    plain = dataclasses.replace(config, label=None, predicted_label=None, headers=None)
    reader = read_jsonlines if kind == "application/jsonlines" else read_json
    frame = reader(files, plain).frame
    _check_width(frame.shape[1], files[0].name, names)
    frame.columns = pd.Index(names)
    return frame


def _inline(
    baseline: tuple[Any, ...] | dict[str, Any],
    config: AnalysisConfig,
    features: Sequence[str],
    kind: str,
) -> pd.DataFrame:
    value = _plain(baseline)
    rows, accepted = value, MSG_ROWS
    if kind == "application/jsonlines":
        expression = compile_path(config.features, key="features")
        if not isinstance(value, list):
            raise ConfigError(KEY, baseline, MSG_RECORDS)
        rows, accepted = [expression.search(r) for r in value], MSG_RECORDS
    elif kind == "application/json":
        expression = compile_path(config.features, key="features")
        rows, accepted = expression.search(value), MSG_DOCUMENT

    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ConfigError(KEY, baseline, accepted)
    for row in rows:
        _check_width(len(row), baseline, list(features))
    frame = pd.DataFrame(rows, columns=pd.Index(list(features)))
    return frame.infer_objects()


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _check_width(width: int, value: object, features: list[str]) -> None:
    if width != len(features):
        raise ConfigError(
            KEY,
            value,
            MSG_WIDTH.format(n=len(features), features=features)
            + f"; a row has {width}",
            MSG_WIDTH_HINT,
        )
