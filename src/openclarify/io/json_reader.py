"""Reading ``application/jsonlines`` and ``application/json`` datasets.

The config's ``features``, ``label`` and ``predicted_label`` are JMESPath
expressions. For JSON Lines they apply to each line: ``features`` gives the
record's list of feature values, the others one value each. For JSON they apply
to the whole document: ``features`` gives a list of records (each a list of
feature values), the others one list with a value per record. The files of a
folder are read in order and their records concatenated.

Column names
------------
* With ``headers`` of length ``n_features + k`` (``k`` = how many of label and
  predicted label are configured): the feature names, then the label name, then
  the predicted-label name, as Clarify documents. With ``headers`` of length
  ``n_features``: the feature names only.
* Without ``headers``, features are ``column_0`` ... ``column_<n-1>``.
* A label or predicted label not named by ``headers`` takes its JMESPath
  expression as its name when that is a plain identifier (``"target"`` gives a
  column ``target``), else ``label`` or ``predicted_label``.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jmespath
import jmespath.exceptions
import pandas as pd
from jmespath.parser import ParsedResult

from openclarify.config.model import AnalysisConfig
from openclarify.errors import ConfigError, DatasetError
from openclarify.io.csv_reader import MSG_HEADER_COUNT
from openclarify.io.sources import DataFile

logger = logging.getLogger(__name__)

ENCODING = "utf-8"

MSG_NEEDS_FEATURES = (
    "a JMESPath string is required for {dataset_type} datasets; set it to the "
    "expression that selects each record's feature values"
)
MSG_NOT_JMESPATH = "a JMESPath expression string ({error})"
MSG_BAD_JSON_LINE = "the line is not valid JSON ({error}); fix or remove it"
MSG_BAD_JSON_DOC = "the file is not valid JSON ({error}); fix the document"
MSG_FEATURES_NOT_LIST = (
    "Feature names not found: JMESPath '{expr}' gave {got} instead of a list "
    "of feature values; check the 'features' key"
)
MSG_FEATURES_NOT_2D = (
    "Feature names not found: JMESPath '{expr}' gave {got} instead of a list "
    "of records, each a list of feature values; check the 'features' key"
)
MSG_VALUE_MISSING = (
    "JMESPath '{expr}' of '{key}' found no value; every record needs one"
)
MSG_VALUES_LENGTH = (
    "JMESPath '{expr}' of '{key}' gave {got} values for {n} records; it must "
    "give one value per record"
)
MSG_WIDTH = (
    "the record has {found} feature values but earlier records have "
    "{expected}; every record needs the same features"
)
MSG_NOT_UTF8 = "the file is not UTF-8 text ({error}); re-encode it as UTF-8"
MSG_NO_RECORDS = "the data has no records; check the files and the JMESPaths"


@dataclass(frozen=True)
class JsonTable:
    """Records read from JSON data, with the names of their special columns."""

    frame: pd.DataFrame
    label: str | None
    predicted_label: str | None


def read_jsonlines(files: Sequence[DataFile], config: AnalysisConfig) -> JsonTable:
    """Read JSON Lines files, applying the config's JMESPaths to each line.

    Parameters
    ----------
    files : sequence of DataFile
        The files, in reading order.
    config : AnalysisConfig
        Supplies ``features``, ``label``, ``predicted_label`` and ``headers``.

    Returns
    -------
    JsonTable
        One row per non-blank line; column names per the module docstring.

    Raises
    ------
    ConfigError
        If ``features`` is missing or an expression does not compile.
    DatasetError
        If a line is not JSON or its values do not fit (file and line given).
    """
    features, label, predicted = _compile_all(config)
    rows: list[list[Any]] = []
    labels: list[Any] = []
    predictions: list[Any] = []

    for file in files:
        for number, line in _lines(file):
            record = _parse(line, file.name, number, MSG_BAD_JSON_LINE)

            values = features.search(record)
            if not isinstance(values, list):
                got = type(values).__name__
                message = MSG_FEATURES_NOT_LIST.format(
                    expr=features.expression, got=got
                )
                raise DatasetError(message, path=file.name, line=number)
            if rows and len(values) != len(rows[0]):
                message = MSG_WIDTH.format(found=len(values), expected=len(rows[0]))
                raise DatasetError(message, path=file.name, line=number)
            rows.append(values)

            if label is not None:
                labels.append(_one(label, record, "label", file.name, number))
            if predicted is not None:
                predictions.append(
                    _one(predicted, record, "predicted_label", file.name, number)
                )

    return _assemble(config, rows, labels, predictions, files)


def read_json(files: Sequence[DataFile], config: AnalysisConfig) -> JsonTable:
    """Read JSON documents, applying the config's JMESPaths to each document.

    Parameters
    ----------
    files : sequence of DataFile
        The files, in reading order; each holds one JSON document.
    config : AnalysisConfig
        Supplies ``features``, ``label``, ``predicted_label`` and ``headers``.

    Returns
    -------
    JsonTable
        One row per record; column names per the module docstring.

    Raises
    ------
    ConfigError
        If ``features`` is missing or an expression does not compile.
    DatasetError
        If a document is not JSON or its values do not fit.
    """
    features, label, predicted = _compile_all(config)
    rows: list[list[Any]] = []
    labels: list[Any] = []
    predictions: list[Any] = []

    for file in files:
        with file.open() as raw:
            document = _parse(raw.read(), file.name, None, MSG_BAD_JSON_DOC)

        records = features.search(document)
        if not isinstance(records, list) or not all(
            isinstance(r, list) for r in records
        ):
            got = type(records).__name__ if not isinstance(records, list) else "1-D"
            message = MSG_FEATURES_NOT_2D.format(expr=features.expression, got=got)
            raise DatasetError(message, path=file.name)
        for record in records:
            if rows and len(record) != len(rows[0]):
                message = MSG_WIDTH.format(found=len(record), expected=len(rows[0]))
                raise DatasetError(message, path=file.name)
            rows.append(record)

        if label is not None:
            labels.extend(_column(label, document, "label", len(records), file.name))
        if predicted is not None:
            predictions.extend(
                _column(predicted, document, "predicted_label", len(records), file.name)
            )

    return _assemble(config, rows, labels, predictions, files)


def compile_path(expression: object, *, key: str) -> ParsedResult:
    """Compile a JMESPath from the config, or raise a ``ConfigError`` on ``key``.

    Parameters
    ----------
    expression : object
        The config value; must be a JMESPath string.
    key : str
        The config key it came from.

    Returns
    -------
    jmespath.parser.ParsedResult
        The compiled expression.
    """
    if not isinstance(expression, str):
        raise ConfigError(
            key,
            expression,
            MSG_NOT_JMESPATH.format(error="JSON data address values by JMESPath"),
        )
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ConfigError(key, expression, MSG_NOT_JMESPATH.format(error=exc)) from exc


def _compile_all(
    config: AnalysisConfig,
) -> tuple[ParsedResult, ParsedResult | None, ParsedResult | None]:
    if config.features is None:
        raise ConfigError(
            "features",
            None,
            MSG_NEEDS_FEATURES.format(dataset_type=config.dataset_type),
        )
    features = compile_path(config.features, key="features")
    label = None
    if config.label is not None:
        label = compile_path(config.label, key="label")
    predicted = None
    if config.predicted_label is not None:
        predicted = compile_path(config.predicted_label, key="predicted_label")
    return features, label, predicted


def _lines(file: DataFile) -> Iterator[tuple[int, str]]:
    with file.open() as raw:
        text = io.TextIOWrapper(raw, encoding=ENCODING)
        try:
            for number, line in enumerate(text, start=1):
                if line.strip():
                    yield number, line
        except UnicodeDecodeError as exc:
            message = MSG_NOT_UTF8.format(error=exc)
            raise DatasetError(message, path=file.name) from exc
        text.detach()


def _parse(text: str | bytes, name: str, line: int | None, template: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DatasetError(template.format(error=exc), path=name, line=line) from exc


def _one(expression: ParsedResult, record: Any, key: str, name: str, line: int) -> Any:
    value = expression.search(record)
    if value is None:
        message = MSG_VALUE_MISSING.format(expr=expression.expression, key=key)
        raise DatasetError(message, path=name, line=line)
    return value


def _column(
    expression: ParsedResult, document: Any, key: str, n_records: int, name: str
) -> list[Any]:
    values = expression.search(document)
    if not isinstance(values, list) or len(values) != n_records:
        got = len(values) if isinstance(values, list) else type(values).__name__
        message = MSG_VALUES_LENGTH.format(
            expr=expression.expression, key=key, got=got, n=n_records
        )
        raise DatasetError(message, path=name)
    return values


def _assemble(
    config: AnalysisConfig,
    rows: list[list[Any]],
    labels: list[Any],
    predictions: list[Any],
    files: Sequence[DataFile],
) -> JsonTable:
    if not rows:
        raise DatasetError(MSG_NO_RECORDS, path=files[0].name if files else None)
    n_features = len(rows[0])
    extras = [config.label is not None, config.predicted_label is not None]

    names, label, predicted = _names(config, n_features, sum(extras), files[0].name)
    frame = pd.DataFrame(rows, columns=pd.Index(names))
    if label is not None:
        frame[label] = labels
    if predicted is not None:
        frame[predicted] = predictions

    frame = frame.infer_objects()
    logger.debug("Read %d JSON records from %d files", len(frame), len(files))
    return JsonTable(frame=frame, label=label, predicted_label=predicted)


def _names(
    config: AnalysisConfig, n_features: int, n_extra: int, first_file: str
) -> tuple[list[str], str | None, str | None]:
    label = _default_name(config.label, "label")
    predicted = _default_name(config.predicted_label, "predicted_label")
    headers = list(config.headers) if config.headers is not None else None

    if headers is None:
        names = [f"column_{i}" for i in range(n_features)]
    elif len(headers) == n_features:
        names = headers
    elif len(headers) == n_features + n_extra:
        names = headers[:n_features]
        tail = iter(headers[n_features:])
        label = next(tail) if label is not None else None
        predicted = next(tail) if predicted is not None else None
    else:
        message = MSG_HEADER_COUNT.format(
            key="headers", n_headers=len(headers), n_columns=n_features + n_extra
        )
        raise DatasetError(message, path=first_file)

    taken = names + [n for n in (label, predicted) if n is not None]
    if len(set(taken)) != len(taken):
        raise ConfigError(
            "headers",
            config.headers,
            f"distinct column names; the columns would be {taken}",
            "Name every feature, the label and the predicted label differently.",
        )
    return names, label, predicted


def _default_name(expression: object, fallback: str) -> str | None:
    if expression is None:
        return None
    if isinstance(expression, str) and expression.isidentifier():
        return expression
    return fallback
