"""Score feature rows through a model server, as Clarify calls its endpoint.

Rows are encoded once (``text/csv``, ``application/jsonlines``,
``application/json`` per the predictor config, or ``application/x-npy``
against our own sidecar), then cut into batches by measured bytes so that no
request body exceeds the payload limit. Several requests are in flight at a
time; connection errors, timeouts, 429 and 5xx answers are retried with
exponential backoff and jitter; a 4xx model error on a multi-record batch
falls back to one request per record, as Clarify does.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import requests

from openclarify.config.model import PredictorConfig
from openclarify.errors import (
    ClientError,
    ConfigError,
    DatasetError,
    ModelClientError,
    ModelServerError,
)
from openclarify.serving import codecs
from openclarify.serving.responses import (
    labels_from_scores,
    response_items,
    to_predicted_labels,
    to_scores,
)

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 6_291_456
FALLBACK_WARNING = "Fallback to per-record prediction because of model error."
BACKOFF_BASE_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 8.0

# Below this many bytes a call is not split across in-flight requests.
MIN_SPLIT_BYTES = 64 * 1024
# Calls of at least this many rows per in-flight slot are encoded in pieces.
PIPELINE_MIN_ROWS = 4096

RECORD_TOO_LARGE = (
    "record {index} encodes to {size} bytes, above max_payload_bytes="
    "{limit}; accepted: records that fit one request. Raise max_payload_bytes "
    "or send fewer features."
)
GAVE_UP = (
    "model endpoint {url} failed {attempts} times in a row; last: {last}. "
    "Check that the model server is running and healthy."
)
REJECTED = (
    "model endpoint {url} rejected a record with HTTP {status}: {detail}. "
    "Check predictor.content_type ({content_type}) and the feature columns."
)

Reader = Callable[[bytes, int], np.ndarray]


class PredictorClient:
    """Send feature rows to a model endpoint and read back scores.

    Parameters
    ----------
    url : str
        The server's base URL (``/invocations`` is appended) or the full
        invocations URL.
    predictor : PredictorConfig
        ``content_type``, ``accept_type``, templates, locators
        (``probability``, ``label``), ``label_headers``,
        ``custom_attributes`` and ``target_model``.
    feature_names : sequence of str
        Names of the feature columns, in the order they are sent.
    binary : bool, default=False
        Send and accept ``application/x-npy`` (our sidecar only).
    max_payload_bytes : int, default=6_291_456
        Largest request body.
    max_concurrency : int, default=4
        Requests in flight at once.
    timeout : float, default=60.0
        Seconds to wait for one answer.
    max_retries : int, default=5
        Retries of one request after a connection error, timeout, 429 or 5xx.

    Notes
    -----
    A call whose payload is larger than ``MIN_SPLIT_BYTES`` is cut into at
    least ``max_concurrency`` batches so the requests overlap; each batch
    stays under ``max_payload_bytes``. A call of many rows is encoded in
    ``max_concurrency`` pieces, one per thread, so that sending starts before
    the whole call is encoded. The client can be pickled (for Dask
    workers); connections are not carried over.
    """

    def __init__(
        self,
        url: str,
        predictor: PredictorConfig,
        *,
        feature_names: Sequence[str],
        binary: bool = False,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        max_concurrency: int = 4,
        timeout: float = 60.0,
        max_retries: int = 5,
    ) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("/invocations"):
            self.url += "/invocations"
        self.predictor = predictor
        self.feature_names = tuple(feature_names)
        self.binary = binary
        self.max_payload_bytes = max_payload_bytes
        self.max_concurrency = max(1, max_concurrency)
        self.timeout = timeout
        self.max_retries = max_retries

        self.content_type = (
            codecs.NPY
            if binary
            else _checked_type(
                "predictor.content_type", predictor.content_type, codecs.REQUEST_TYPES
            )
        )
        self.accept_type = (
            codecs.NPY
            if binary
            else _checked_type(
                "predictor.accept_type", predictor.accept_type, codecs.RESPONSE_TYPES
            )
        )
        self._headers = self._build_headers()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._sessions: list[requests.Session] = []

    def predict(self, features: np.ndarray | pd.DataFrame) -> np.ndarray:
        """Score feature rows.

        Parameters
        ----------
        features : ndarray or DataFrame of shape (n_rows, n_features)
            Columns in ``feature_names`` order.

        Returns
        -------
        ndarray of shape (n_rows, n_outputs)
            Float scores: at ``predictor.probability`` if set, else at
            ``predictor.label`` (where the SDK puts ``model_scores``), else
            the whole result of each record.

        Raises
        ------
        ModelServerError
            If the server keeps failing after the retries.
        ModelClientError
            If the model rejects a record or its answer does not hold one
            numeric result per record.
        """
        predictor = self.predictor
        if self.binary:
            locator, key = None, "probability"
        elif predictor.probability is not None:
            locator, key = predictor.probability, "probability"
        else:
            locator, key = predictor.label, "label"

        def read(body: bytes, n_records: int) -> np.ndarray:
            items = response_items(
                body, self.accept_type, locator, n_records=n_records, key=key
            )
            return to_scores(items, key=key)

        parts = self._run(features, read)
        if not parts:
            return np.empty((0, 1), dtype=np.float64)
        return np.concatenate(parts, axis=0)

    def predict_labels(
        self,
        features: np.ndarray | pd.DataFrame,
        *,
        probability_threshold: float = 0.5,
    ) -> np.ndarray:
        """Predict one label per row, per contract section 4.1 item 4.

        Parameters
        ----------
        features : ndarray or DataFrame of shape (n_rows, n_features)
        probability_threshold : float, default=0.5
            A single score strictly above it is the positive label 1.

        Returns
        -------
        ndarray of shape (n_rows,)
            See :func:`~openclarify.serving.responses.to_predicted_labels`.
        """

        def read(body: bytes, n_records: int) -> np.ndarray:
            return to_predicted_labels(
                body,
                self.predictor,
                n_records=n_records,
                probability_threshold=probability_threshold,
                binary=self.binary,
            )

        parts = self._run(features, read)
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.concatenate(parts, axis=0)

    def labels_from_scores(
        self, scores: np.ndarray, *, probability_threshold: float = 0.5
    ) -> np.ndarray:
        """Turn scores from :meth:`predict` into labels (threshold or argmax)."""
        return labels_from_scores(
            scores,
            probability_threshold=probability_threshold,
            label_headers=self.predictor.label_headers,
        )

    def close(self) -> None:
        """Stop the request threads and close their connections."""
        with self._lock:
            pool, self._pool = self._pool, None
            sessions, self._sessions = self._sessions, []
        if pool is not None:
            pool.shutdown(wait=True)
        for session in sessions:
            session.close()
        self._local = threading.local()

    def __enter__(self) -> PredictorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_lock", "_pool", "_local", "_sessions"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._pool = None
        self._local = threading.local()
        self._sessions = []

    def _build_headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type, "Accept": self.accept_type}
        if self.predictor.custom_attributes is not None:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = (
                self.predictor.custom_attributes
            )
        if self.predictor.target_model is not None:
            headers["X-Amzn-SageMaker-Target-Model"] = self.predictor.target_model
        return headers

    def _run(
        self, features: np.ndarray | pd.DataFrame, read: Reader
    ) -> list[np.ndarray]:
        started = time.perf_counter()
        n_rows = len(features)
        if n_rows == 0:
            return []
        counter = _Counter()
        n_chunks = self.max_concurrency
        if n_chunks == 1 or n_rows < n_chunks * PIPELINE_MIN_ROWS:
            encoded = self._encode(features)
            batches = self._cut(encoded)
            if len(batches) == 1:
                parts = [self._predict_batch(encoded, *batches[0], read, counter)]
            else:
                parts = self._in_parallel(
                    [
                        (self._predict_batch, encoded, start, stop, read, counter)
                        for start, stop in batches
                    ]
                )
        else:
            # Each thread encodes its own share of the rows, so the first
            # requests are out while the others are still being encoded.
            bounds = np.linspace(0, n_rows, n_chunks + 1).astype(int)
            parts = self._in_parallel(
                [
                    (self._predict_rows, features, int(lo), int(hi), read, counter)
                    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
                ]
            )

        seconds = time.perf_counter() - started
        logger.info(
            "Predicted %d rows with %d requests in %.2f s (%.0f rows/s)",
            n_rows,
            counter.value,
            seconds,
            n_rows / seconds if seconds > 0 else float("inf"),
        )
        return parts

    def _encode(self, features: np.ndarray | pd.DataFrame) -> codecs.EncodedRecords:
        try:
            return codecs.encode_records(
                features,
                content_type=self.content_type,
                feature_names=self.feature_names,
                content_template=self.predictor.content_template,
                record_template=self.predictor.record_template,
            )
        except (ValueError, TypeError) as exc:
            raise self._encoding_error(exc) from exc

    def _in_parallel(self, calls: list[tuple[Any, ...]]) -> list[np.ndarray]:
        pool = self._executor()
        futures = [pool.submit(*call) for call in calls]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def _predict_rows(
        self,
        features: np.ndarray | pd.DataFrame,
        lo: int,
        hi: int,
        read: Reader,
        counter: _Counter,
    ) -> np.ndarray:
        """Encode rows ``lo:hi`` and predict them batch by batch."""
        if isinstance(features, pd.DataFrame):
            rows: np.ndarray | pd.DataFrame = features.iloc[lo:hi]
        else:
            rows = features[lo:hi]
        encoded = self._encode(rows)
        parts = [
            self._predict_batch(encoded, start, stop, read, counter, offset=lo)
            for start, stop in self._cut(encoded, spread=False, offset=lo)
        ]
        return np.concatenate(parts, axis=0)

    def _encoding_error(self, exc: Exception) -> ClientError:
        text = str(exc)
        if self.content_type in (codecs.JSON, codecs.JSONLINES) and "template" in text:
            key = "record_template" if "record_template" in text else "content_template"
            return ConfigError(
                f"predictor.{key}",
                getattr(self.predictor, key),
                "a template with the placeholders of contract section 2.3",
                f"{text}.",
            )
        return DatasetError(
            f"the feature rows cannot be encoded as {self.content_type}: {text}; "
            "accepted: numeric feature columns (text columns only with text/csv "
            "or JSON content types). Exclude or encode the text columns."
        )

    def _cut(
        self, encoded: codecs.EncodedRecords, *, spread: bool = True, offset: int = 0
    ) -> list[tuple[int, int]]:
        n_records = encoded.n_records
        if encoded.one_per_request:
            return [(i, i + 1) for i in range(n_records)]

        sizes = encoded.sizes
        budget = self.max_payload_bytes - encoded.overhead
        too_large = np.flatnonzero(sizes > budget)
        if too_large.size:
            index = int(too_large[0])
            raise ModelClientError(
                RECORD_TOO_LARGE.format(
                    index=index + offset,
                    size=int(sizes[index]),
                    limit=self.max_payload_bytes,
                )
            )

        # Spread a large call over the in-flight slots, within the limit.
        total = int(sizes.sum())
        if spread and total > MIN_SPLIT_BYTES:
            share = max(math.ceil(total / self.max_concurrency), MIN_SPLIT_BYTES)
            budget = min(budget, share)

        cumulative = np.cumsum(sizes)
        batches = []
        start = 0
        while start < n_records:
            already = int(cumulative[start - 1]) if start else 0
            stop = int(np.searchsorted(cumulative, already + budget, side="right"))
            stop = max(stop, start + 1)
            batches.append((start, stop))
            start = stop
        return batches

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_concurrency,
                    thread_name_prefix="openclarify-predict",
                )
            return self._pool

    def _predict_batch(
        self,
        encoded: codecs.EncodedRecords,
        start: int,
        stop: int,
        read: Reader,
        counter: _Counter,
        *,
        offset: int = 0,
    ) -> np.ndarray:
        n_records = stop - start
        try:
            body = self._send(encoded.body(start, stop), n_records, counter)
        except _Rejected as exc:
            if n_records == 1:
                raise self._rejected_error(exc) from None
            logger.warning(FALLBACK_WARNING)
            return self._per_record(encoded, start, stop, read, counter, offset=offset)
        return read(body, n_records)

    def _per_record(
        self,
        encoded: codecs.EncodedRecords,
        start: int,
        stop: int,
        read: Reader,
        counter: _Counter,
        *,
        offset: int = 0,
    ) -> np.ndarray:
        parts = []
        for index in range(start, stop):
            try:
                body = self._send(encoded.body(index, index + 1), 1, counter)
            except _Rejected as exc:
                raise self._rejected_error(exc, index=index + offset) from None
            parts.append(read(body, 1))
        return np.concatenate(parts, axis=0)

    def _rejected_error(
        self, exc: _Rejected, *, index: int | None = None
    ) -> ModelClientError:
        detail = exc.detail
        if index is not None:
            detail = f"record {index}: {detail}"
        return ModelClientError(
            REJECTED.format(
                url=self.url,
                status=exc.status,
                detail=detail,
                content_type=self.content_type,
            )
        )

    def _send(self, body: bytes, n_records: int, counter: _Counter) -> bytes:
        session = self._session()
        last = "no attempt"
        status: int | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(_backoff(attempt))
            counter.add()
            started = time.perf_counter()
            try:
                answer = session.post(
                    self.url, data=body, headers=self._headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last, status = f"{type(exc).__name__}: {exc}", None
                logger.debug("Request of %d records failed: %s", n_records, last)
                continue

            logger.debug(
                "Request of %d records (%d bytes): HTTP %d in %.3f s",
                n_records,
                len(body),
                answer.status_code,
                time.perf_counter() - started,
            )
            status = answer.status_code
            if status == 200:
                return answer.content
            if status == 204:
                return b""
            if status == 429 or status >= 500:
                last = f"HTTP {status}: {_snippet(answer.text)}"
                continue
            raise _Rejected(status, _snippet(answer.text))

        raise ModelServerError(
            GAVE_UP.format(url=self.url, attempts=self.max_retries + 1, last=last),
            status=status,
            retryable=True,
        )

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session


class _Rejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


def _checked_type(key: str, value: str, accepted: tuple[str, ...]) -> str:
    bare = codecs.media_type(value)
    served = tuple(kind for kind in accepted if kind != codecs.NPY)
    if bare not in served:
        raise ConfigError(
            key,
            value,
            f"accepted: {', '.join(served)}",
            "Set a tabular media type for the predictor.",
        )
    return bare


def _backoff(attempt: int) -> float:
    # Exponential with "equal jitter": half fixed, half random.
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
