"""Read model responses: one result per record, then scores or labels.

A response is first cut into one *item* per record, located per the predictor
config (contract sections 2.3 and 6.2):

- ``text/csv``: lines are records, commas columns; ``probability`` and
  ``label`` are column indexes; with neither the whole row is the result.
- ``application/jsonlines``: one JSON document per line; ``probability`` and
  ``label`` are JMESPath expressions applied to each line.
- ``application/json``: ``probability`` and ``label`` are JMESPath expressions
  applied to the whole body, yielding one element per record.
- ``application/x-npy``: our sidecar's binary answer, a score matrix.

Without a locator, JSON results default to the SageMaker XGBoost answer
shapes: ``{"predictions": [{"score": ...}, ...]}`` and ``{"score": ...}``.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from typing import Any

import jmespath
import numpy as np
import pandas as pd

from openclarify.config.model import ColumnRef, PredictorConfig, Scalar
from openclarify.errors import ModelClientError
from openclarify.serving.codecs import CSV, JSON, JSONLINES, NPY

logger = logging.getLogger(__name__)

COUNT_MISMATCH = (
    "the model returned {got} results for {expected} records ({accept}); "
    "accepted: exactly one result per record, in order. Check "
    "predictor.accept_type and predictor.{key} ({locator!r})."
)
NOT_NUMERIC = (
    "predictor.{key}: got non-numeric model output {sample!r}; accepted: "
    "numbers or lists of numbers. Point predictor.{key} at the scores."
)
_SCORE_KEYS: tuple[str, ...] = ("score", "scores", "probability", "probabilities")


def response_items(
    body: bytes,
    accept_type: str,
    locator: ColumnRef | None,
    *,
    n_records: int,
    key: str = "probability",
) -> list[Any] | np.ndarray:
    """Cut a response into exactly one result per record.

    Parameters
    ----------
    body : bytes
        The response body.
    accept_type : str
        Its media type.
    locator : int, str or None
        Column index (CSV) or JMESPath expression (JSON, JSON Lines); None
        takes the whole result.
    n_records : int
        How many records the request carried.
    key : str, default="probability"
        The predictor key ``locator`` came from, for messages.

    Returns
    -------
    list or ndarray of length n_records
        One scalar or list per record.

    Raises
    ------
    ModelClientError
        If the body does not parse or holds another number of results.
    """
    try:
        if accept_type == NPY:
            items: list[Any] | np.ndarray = _npy_items(body)
        elif accept_type == CSV:
            items = _csv_items(body, locator)
        elif accept_type == JSONLINES:
            items = _jsonlines_items(body, locator)
        elif accept_type == JSON:
            items = _json_items(body, locator, n_records)
        else:
            raise ModelClientError(
                f"predictor.accept_type: got {accept_type!r}; accepted: "
                f"{CSV}, {JSONLINES}, {JSON}. Set a supported accept_type."
            )
    except (ValueError, TypeError, jmespath.exceptions.JMESPathError) as exc:
        if isinstance(exc, ModelClientError):
            raise
        raise ModelClientError(
            f"the model response ({accept_type}, {len(body)} bytes) cannot be "
            f"read with predictor.{key}={locator!r}: {exc}. Check "
            "predictor.accept_type and the locator."
        ) from exc

    if len(items) != n_records:
        raise ModelClientError(
            COUNT_MISMATCH.format(
                got=len(items),
                expected=n_records,
                accept=accept_type,
                key=key,
                locator=locator,
            )
        )
    return items


def to_scores(items: list[Any] | np.ndarray, *, key: str = "probability") -> np.ndarray:
    """Turn per-record results into a float score matrix.

    Parameters
    ----------
    items : list or ndarray of length n_records
        Output of :func:`response_items`.
    key : str, default="probability"
        The predictor key the items came from, for messages.

    Returns
    -------
    ndarray of shape (n_records, n_outputs)

    Raises
    ------
    ModelClientError
        If the items are not numbers or equal-length lists of numbers.
    """
    try:
        scores = np.asarray(items, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        sample = items[0] if len(items) else None
        raise ModelClientError(NOT_NUMERIC.format(key=key, sample=sample)) from exc
    if scores.ndim == 1:
        return scores.reshape(-1, 1)
    if scores.ndim != 2:
        raise ModelClientError(
            f"predictor.{key}: got results of shape {scores.shape}; accepted: "
            "one number or one list of numbers per record."
        )
    return scores


def to_predicted_labels(
    body: bytes,
    predictor: PredictorConfig,
    *,
    n_records: int,
    probability_threshold: float = 0.5,
    binary: bool = False,
) -> np.ndarray:
    """Turn a model response into one predicted label per record.

    Parameters
    ----------
    body : bytes
        The response body.
    predictor : PredictorConfig
        Supplies ``accept_type``, ``label``, ``probability`` and
        ``label_headers``.
    n_records : int
        How many records the request carried.
    probability_threshold : float, default=0.5
        A single score strictly greater than this is the positive label 1,
        otherwise 0.
    binary : bool, default=False
        The body is our sidecar's ``application/x-npy`` score matrix.

    Returns
    -------
    ndarray of shape (n_records,)
        The label found at ``predictor.label`` when set. Otherwise from the
        scores (``predictor.probability``, else the whole result): one score
        becomes 1/0 by the threshold (or ``label_headers[1]``/``[0]`` when
        two headers are given); several scores give the argmax, named by
        ``label_headers`` when given.

    Raises
    ------
    ModelClientError
        If the response does not hold one usable result per record.
    """
    accept = NPY if binary else predictor.accept_type
    if predictor.label is not None and not binary:
        items = response_items(
            body, accept, predictor.label, n_records=n_records, key="label"
        )
        return _label_array(items)

    items = response_items(body, accept, predictor.probability, n_records=n_records)
    return labels_from_scores(
        to_scores(items),
        probability_threshold=probability_threshold,
        label_headers=predictor.label_headers,
    )


def labels_from_scores(
    scores: np.ndarray,
    *,
    probability_threshold: float = 0.5,
    label_headers: Sequence[Scalar] | None = None,
) -> np.ndarray:
    """Turn a score matrix into labels: threshold for one column, else argmax.

    Parameters
    ----------
    scores : ndarray of shape (n_records, n_outputs)
    probability_threshold : float, default=0.5
        Used when ``n_outputs == 1``: ``score > threshold`` is positive.
    label_headers : sequence or None, default=None
        Class names by score position.

    Returns
    -------
    ndarray of shape (n_records,)
        ``int64`` 0/1 or class indexes, or the matching ``label_headers``.
    """
    if scores.shape[1] == 1:
        positions = (scores[:, 0] > probability_threshold).astype(np.int64)
    else:
        positions = np.argmax(scores, axis=1).astype(np.int64)
    if not label_headers:
        return positions

    headers = np.asarray(list(label_headers), dtype=object)
    if positions.max(initial=0) >= len(headers):
        raise ModelClientError(
            f"predictor.label_headers: got {len(headers)} headers for "
            f"{scores.shape[1]} model outputs; accepted: one header per output. "
            "List one class name per score."
        )
    labels = headers[positions]
    if all(isinstance(value, (int, np.integer)) for value in headers):
        return labels.astype(np.int64)
    return labels


def _npy_items(body: bytes) -> np.ndarray:
    array = np.load(io.BytesIO(body), allow_pickle=False)
    return array.reshape(len(array), -1) if array.ndim != 2 else array


def _csv_items(body: bytes, locator: ColumnRef | None) -> list[Any] | np.ndarray:
    if not body.strip():
        return []
    frame = pd.read_csv(io.BytesIO(body), header=None, engine="c")
    if locator is None:
        if frame.shape[1] == 1:
            return _maybe_lists(frame.iloc[:, 0])
        return frame.to_numpy()
    if not isinstance(locator, int) or isinstance(locator, bool):
        raise ValueError(
            f"a CSV response needs a column index, got {locator!r}; use an int"
        )
    if not -frame.shape[1] <= locator < frame.shape[1]:
        raise ValueError(
            f"column {locator} does not exist: the response has "
            f"{frame.shape[1]} columns"
        )
    return _maybe_lists(frame.iloc[:, locator])


def _maybe_lists(column: pd.Series) -> list[Any] | np.ndarray:
    # A CSV cell may hold a quoted JSON list of scores, e.g. "[0.1,0.9]".
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy()
    values = column.tolist()
    if values and all(isinstance(v, str) and v.startswith("[") for v in values):
        return [json.loads(value) for value in values]
    return column.to_numpy(dtype=object)


def _jsonlines_items(body: bytes, locator: ColumnRef | None) -> list[Any]:
    lines = [line for line in body.split(b"\n") if line.strip()]
    documents = json.loads(b"[" + b",".join(lines) + b"]")
    if locator is None:
        return [_default_result(document) for document in documents]
    expression = jmespath.compile(str(locator))
    return [expression.search(document) for document in documents]


def _json_items(body: bytes, locator: ColumnRef | None, n_records: int) -> list[Any]:
    document = json.loads(body)
    if locator is None:
        if isinstance(document, dict) and "predictions" in document:
            document = document["predictions"]
        found = document if isinstance(document, list) else [document]
        if n_records == 1 and len(found) != 1:
            found = [found]
        return [_default_result(item) for item in found]

    found = jmespath.search(str(locator), document)
    if n_records == 1 and not (isinstance(found, list) and len(found) == 1):
        # One record per request ($record): the result is that record's.
        return [found]
    if not isinstance(found, list):
        raise ValueError(
            f"JMESPath {locator!r} gave a {type(found).__name__}, not one "
            "element per record"
        )
    return found


def _default_result(document: Any) -> Any:
    if not isinstance(document, dict):
        return document
    for key in _SCORE_KEYS:
        if key in document:
            return document[key]
    if len(document) == 1:
        return next(iter(document.values()))
    raise ValueError(
        f"cannot tell the scores in an object with keys {sorted(document)}; "
        "set predictor.probability to a JMESPath expression"
    )


def _label_array(items: list[Any] | np.ndarray) -> np.ndarray:
    array = np.asarray(items, dtype=object) if isinstance(items, list) else items
    if array.dtype == object:
        if all(isinstance(value, (int, np.integer)) for value in array):
            return array.astype(np.int64)
        if all(isinstance(value, (float, int, np.number)) for value in array):
            return array.astype(np.float64)
    return np.asarray(array)
