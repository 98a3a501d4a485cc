"""Wire formats between the predictor client and a model server.

Three groups of functions live here:

- text formatting of numeric tables, done column-wise in numpy so that a
  100,000-row matrix becomes CSV text without a Python loop per value;
- the server side: decoding ``/invocations`` bodies into a float matrix and
  encoding score matrices per ``Accept``;
- the client side: encoding feature rows into request bodies per the
  predictor config (``content_type``, ``content_template``,
  ``record_template``), measured in bytes so batches can be cut to the
  payload limit.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
NPY = "application/x-npy"

REQUEST_TYPES: tuple[str, ...] = (CSV, JSONLINES, JSON, NPY)
RESPONSE_TYPES: tuple[str, ...] = (CSV, JSON, JSONLINES, NPY)
_ALIASES = {"application/x-jsonlines": JSONLINES, "text/x-csv": CSV}

# Rows formatted per block, to bound the scratch matrix to a few tens of MB.
_FORMAT_BLOCK_ROWS = 65_536
_POW10 = np.array([10**k for k in range(20)], dtype=np.uint64)

_TEMPLATE_TOKEN = re.compile(
    r'"\$\{(?P<column>[^}]*)\}"|\$features_kvp|\$feature_names|\$features'
)


class PayloadError(ValueError):
    """A request body that cannot be decoded (the server answers 415)."""


# --------------------------------------------------------------------------
# Text formatting of numeric tables
# --------------------------------------------------------------------------


def format_table(
    columns: Sequence[np.ndarray], *, sep: bytes = b",", end: bytes = b"\n"
) -> tuple[bytes, np.ndarray]:
    """Format numeric columns as delimited text, one line per row.

    Integral values are written without a decimal point (``38``), other
    floats in their shortest round-trip form (``0.6369617`` for float32).

    Parameters
    ----------
    columns : sequence of ndarray of shape (n_rows,)
        Numeric or boolean columns, all the same length.
    sep : bytes, default=b","
        One byte written between values.
    end : bytes, default=b"\\n"
        One byte written after each row.

    Returns
    -------
    text : bytes
        The whole table.
    ends : ndarray of shape (n_rows + 1,)
        Byte offsets: row ``i`` is ``text[ends[i]:ends[i + 1]]``, its line end
        included.
    """
    n_rows = len(columns[0]) if columns else 0
    pieces: list[bytes] = []
    lengths: list[np.ndarray] = []
    for start in range(0, n_rows, _FORMAT_BLOCK_ROWS):
        stop = min(start + _FORMAT_BLOCK_ROWS, n_rows)
        text, row_lengths = _format_block(
            [column[start:stop] for column in columns], sep, end
        )
        pieces.append(text)
        lengths.append(row_lengths)

    ends = np.zeros(n_rows + 1, dtype=np.int64)
    if n_rows:
        np.cumsum(np.concatenate(lengths), out=ends[1:])
    return b"".join(pieces), ends


def media_type(header: str | None) -> str:
    """Return the bare, lower-case media type of a Content-Type value."""
    if not header:
        return ""
    bare = header.split(";", 1)[0].strip().lower()
    return _ALIASES.get(bare, bare)


# --------------------------------------------------------------------------
# Server side
# --------------------------------------------------------------------------


def decode_request(
    body: bytes,
    content_type: str,
    *,
    feature_names: Sequence[str] | None = None,
) -> np.ndarray:
    """Decode an ``/invocations`` body into a float matrix.

    Parameters
    ----------
    body : bytes
        The request body, not empty.
    content_type : str
        One of :data:`REQUEST_TYPES` (already bare, see :func:`media_type`).
    feature_names : sequence of str or None, default=None
        The model's feature names; orders ``{"name": value}`` records.

    Returns
    -------
    ndarray of shape (n_records, n_features)

    Raises
    ------
    PayloadError
        If the body does not parse as numbers in that format.
    """
    if content_type == CSV:
        return _decode_csv(body)
    if content_type == NPY:
        return _decode_npy(body)
    if content_type == JSONLINES:
        lines = [line for line in body.split(b"\n") if line.strip()]
        document = _loads(b"[" + b",".join(lines) + b"]", content_type)
        return _records_to_matrix(document, feature_names)
    if content_type == JSON:
        document = _loads(body, content_type)
        return _records_to_matrix(_json_records(document), feature_names)
    raise PayloadError(f"content type {content_type!r} is not supported")


def choose_accept(header: str | None) -> str | None:
    """Pick the response type for an ``Accept`` header.

    Parameters
    ----------
    header : str or None
        The header; missing, empty or ``*/*`` mean ``text/csv``.

    Returns
    -------
    str or None
        One of :data:`RESPONSE_TYPES`, or None when nothing offered is served.
    """
    if not header or not header.strip():
        return CSV
    offers = []
    for position, item in enumerate(header.split(",")):
        kind = media_type(item)
        quality = 1.0
        for param in item.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        offers.append((-quality, position, kind))
    for _, _, kind in sorted(offers):
        if kind in RESPONSE_TYPES:
            return kind
        if kind in ("*/*", "text/*"):
            return CSV
        if kind == "application/*":
            return JSON
    return None


def encode_scores(scores: np.ndarray, accept: str) -> bytes:
    """Encode a score matrix as a response body.

    Parameters
    ----------
    scores : ndarray of shape (n_records, n_outputs)
    accept : str
        One of :data:`RESPONSE_TYPES`.

    Returns
    -------
    bytes
        CSV: one line per record, outputs comma-separated. JSON:
        ``{"predictions": [{"score": s}, ...]}`` with a list of scores per
        record when there are several outputs. JSON Lines: one
        ``{"score": s}`` per line. NPY: the matrix itself.
    """
    if accept == NPY:
        buffer = io.BytesIO()
        np.save(buffer, scores, allow_pickle=False)
        return buffer.getvalue()
    if accept == CSV:
        text, _ = format_table([scores[:, j] for j in range(scores.shape[1])])
        return text

    values: list[Any] = scores.tolist()
    if scores.shape[1] == 1:
        values = [row[0] for row in values]
    if accept == JSON:
        document = {"predictions": [{"score": value} for value in values]}
        return json.dumps(document, separators=(",", ":")).encode()
    lines = [json.dumps({"score": value}) for value in values]
    return ("\n".join(lines) + "\n").encode() if lines else b""


# --------------------------------------------------------------------------
# Client side
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EncodedRecords:
    """Feature rows encoded once, from which request bodies are sliced.

    Parameters
    ----------
    content_type : str
        The request media type.
    text : bytes
        Every record's encoding, each followed by one separator byte.
    ends : ndarray of shape (n_records + 1,)
        Byte offsets of the records in ``text``.
    head, tail : bytes
        Written before and after the records of each request.
    drop_separator : bool
        Whether the separator after the last record of a request is dropped
        (``,`` inside a JSON array), or kept (a line end).
    one_per_request : bool
        Whether every request carries exactly one record (``$record``).
    """

    content_type: str
    text: bytes
    ends: np.ndarray
    head: bytes = b""
    tail: bytes = b""
    drop_separator: bool = False
    one_per_request: bool = False

    @property
    def n_records(self) -> int:
        """Return the number of records."""
        return len(self.ends) - 1

    @property
    def sizes(self) -> np.ndarray:
        """Return the bytes each record adds to a request body."""
        return np.diff(self.ends)

    @property
    def overhead(self) -> int:
        """Return the bytes each request body carries besides its records."""
        return len(self.head) + len(self.tail)

    def body(self, start: int, stop: int) -> bytes:
        """Return the request body for records ``start`` to ``stop - 1``."""
        last = int(self.ends[stop]) - (1 if self.drop_separator else 0)
        return self.head + self.text[int(self.ends[start]) : last] + self.tail


def encode_records(
    features: np.ndarray | pd.DataFrame,
    *,
    content_type: str,
    feature_names: Sequence[str],
    content_template: str | None = None,
    record_template: str | None = None,
) -> EncodedRecords:
    """Encode feature rows for the model, per the predictor config.

    Parameters
    ----------
    features : ndarray or DataFrame of shape (n_records, n_features)
        The rows to send, columns in ``feature_names`` order.
    content_type : str
        ``text/csv``, ``application/jsonlines``, ``application/json`` or
        ``application/x-npy``.
    feature_names : sequence of str
        Names for ``$feature_names``, ``$features_kvp`` and ``"${name}"``.
    content_template : str or None, default=None
        JSON Lines: must hold ``$features`` (default ``$features``). JSON:
        must hold ``$records`` or ``$record`` (default ``$records``).
    record_template : str or None, default=None
        JSON only: a record with ``$features``, ``$feature_names``,
        ``$features_kvp`` or ``"${name}"`` placeholders (default
        ``$features``).

    Returns
    -------
    EncodedRecords

    Raises
    ------
    ValueError
        If a template lacks its placeholder or the content type is unknown.
    """
    if content_type == CSV:
        text, ends = _csv_lines(features)
        return EncodedRecords(CSV, text, ends)
    if content_type == NPY:
        return _npy_records(features)
    if content_type == JSONLINES:
        template = content_template or "$features"
        if "$features" not in template:
            raise ValueError("content_template must contain $features")
        lines = _render(features, template, feature_names)
        return _joined(JSONLINES, lines, b"\n")
    if content_type == JSON:
        return _json_records_body(
            features, content_template or "$records", record_template, feature_names
        )
    raise ValueError(f"content type {content_type!r} is not supported")


# --------------------------------------------------------------------------
# Private helpers
# --------------------------------------------------------------------------


def _format_block(
    columns: Sequence[np.ndarray], sep: bytes, end: bytes
) -> tuple[bytes, np.ndarray]:
    n_rows = len(columns[0])
    blocks: list[np.ndarray] = []
    for index, column in enumerate(columns):
        blocks.append(_column_bytes(np.asarray(column)))
        mark = end if index == len(columns) - 1 else sep
        blocks.append(np.full((n_rows, 1), mark[0], dtype=np.uint8))

    # Pad bytes are NUL; dropping them leaves each row's text in order.
    matrix = np.concatenate(blocks, axis=1)
    keep_mask = matrix != 0
    return matrix[keep_mask].tobytes(), keep_mask.sum(axis=1)


def _column_bytes(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind == "b":
        return _int_bytes(column.astype(np.int64))
    if column.dtype.kind in "iu":
        return _int_bytes(column.astype(np.int64))
    if column.dtype.kind != "f":
        raise TypeError(f"cannot format a column of dtype {column.dtype}")

    # Integral values (label-encoded data) are written as integers.
    integral_mask = (
        np.isfinite(column) & (np.abs(column) < 2.0**53) & (column == np.trunc(column))
    )
    if integral_mask.all():
        return _int_bytes(column.astype(np.int64))
    as_int = _int_bytes(column[integral_mask].astype(np.int64))

    # The others get numpy's shortest round-trip text.
    rest_mask = ~integral_mask
    width = 16 if column.dtype.itemsize <= 4 else 32
    as_text = column[rest_mask].astype(f"S{width}").view(np.uint8)
    parts = [(integral_mask, as_int), (rest_mask, as_text.reshape(-1, width))]
    return _merge_rows(len(column), parts)


def _merge_rows(
    n_rows: int, parts: Sequence[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    width = max(block.shape[1] for _, block in parts)
    out = np.zeros((n_rows, width), dtype=np.uint8)
    for mask, block in parts:
        if block.size:
            out[mask, : block.shape[1]] = block
    return out


def _int_bytes(values: np.ndarray) -> np.ndarray:
    # values: (n,) int64 -> (n, width) uint8, right-aligned, NUL-padded.
    negative_mask = values < 0
    magnitude = np.abs(values).astype(np.uint64)
    n_digits = np.maximum(np.searchsorted(_POW10, magnitude, side="right"), 1)
    width = int(n_digits.max(initial=1)) + int(negative_mask.any())

    out = np.zeros((len(values), width), dtype=np.uint8)
    remaining = magnitude.copy()
    for position in range(int(n_digits.max(initial=1))):
        digit = (remaining % np.uint64(10)).astype(np.uint8) + ord("0")
        out[:, width - 1 - position] = np.where(position < n_digits, digit, 0)
        remaining //= np.uint64(10)

    if negative_mask.any():
        rows = np.flatnonzero(negative_mask)
        out[rows, width - 1 - n_digits[rows]] = ord("-")
    return out


def _decode_csv(body: bytes) -> np.ndarray:
    try:
        frame = pd.read_csv(io.BytesIO(body), header=None, dtype=np.float64, engine="c")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PayloadError(f"CSV body does not parse as numbers: {first}") from exc
    matrix = frame.to_numpy(dtype=np.float64)

    # pandas pads short rows with NaN; every row must have every value.
    n_rows, n_cols = matrix.shape
    n_separators = body.count(b",")
    if n_separators != n_rows * (n_cols - 1):
        raise PayloadError(
            f"CSV body has rows of unequal length ({n_rows} rows, {n_cols} "
            f"columns at most, {n_separators} commas)"
        )
    return matrix


def _decode_npy(body: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise PayloadError(f"NPY body does not load: {exc}") from exc
    if array.dtype.kind not in "biuf" or array.ndim not in (1, 2):
        raise PayloadError(
            f"NPY body holds a {array.ndim}-D {array.dtype} array; expected a "
            "1-D or 2-D numeric array"
        )
    return array.reshape(1, -1) if array.ndim == 1 else array


def _loads(body: bytes, content_type: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{content_type} body is not valid JSON: {exc}") from exc


def _json_records(document: Any) -> list[Any]:
    if isinstance(document, dict):
        if "instances" in document:
            document = document["instances"]
        elif "features" in document:
            return [document]
        elif len(document) == 1:
            document = next(iter(document.values()))
    if isinstance(document, list) and document and not _is_record_list(document):
        # A single record sent on its own ($record with $features).
        return [document]
    if not isinstance(document, list):
        raise PayloadError(
            "JSON body holds no records; expected a list of records or "
            '{"instances": [...]}'
        )
    return document


def _is_record_list(items: list[Any]) -> bool:
    return isinstance(items[0], (list, dict))


def _records_to_matrix(records: Any, feature_names: Sequence[str] | None) -> np.ndarray:
    if not isinstance(records, list) or not records:
        raise PayloadError("body holds no records")
    if isinstance(records[0], dict):
        records = [_record_values(record, feature_names) for record in records]
    try:
        matrix = np.asarray(records, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise PayloadError(
            f"records are not equal-length lists of numbers: {exc}"
        ) from exc
    if matrix.ndim != 2:
        raise PayloadError(f"records form a {matrix.ndim}-D array, expected 2-D")
    return matrix


def _record_values(record: Any, feature_names: Sequence[str] | None) -> Any:
    if not isinstance(record, dict):
        raise PayloadError("records mix objects and other values")
    if "features" in record:
        return record["features"]
    if len(record) == 1:
        return next(iter(record.values()))
    if feature_names and all(name in record for name in feature_names):
        return [record[name] for name in feature_names]
    return list(record.values())


def _csv_lines(features: np.ndarray | pd.DataFrame) -> tuple[bytes, np.ndarray]:
    if isinstance(features, pd.DataFrame):
        numeric = all(
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            for dtype in features.dtypes
        )
        if not numeric:
            text = features.to_csv(header=False, index=False, lineterminator="\n")
            raw = text.encode()
            line_ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10) + 1
            return raw, np.concatenate([[0], line_ends]).astype(np.int64)
        columns = [features.iloc[:, j].to_numpy() for j in range(features.shape[1])]
        return format_table(columns)
    matrix = np.asarray(features)
    if matrix.ndim != 2:
        raise ValueError(f"features must be 2-D, got shape {matrix.shape}")
    return format_table([matrix[:, j] for j in range(matrix.shape[1])])


def _npy_records(features: np.ndarray | pd.DataFrame) -> EncodedRecords:
    matrix = np.ascontiguousarray(
        features.to_numpy(dtype=np.float64)
        if isinstance(features, pd.DataFrame)
        else np.asarray(features, dtype=np.float64)
    )
    n_rows, n_cols = matrix.shape
    ends = np.arange(n_rows + 1, dtype=np.int64) * (8 * n_cols)

    # The header depends on the row count; each body gets its own, see below.
    return _NpyRecords(NPY, matrix.tobytes(), ends, n_cols=n_cols)


@dataclass(frozen=True)
class _NpyRecords(EncodedRecords):
    n_cols: int = 0

    @property
    def overhead(self) -> int:
        return 128

    def body(self, start: int, stop: int) -> bytes:
        rows = np.frombuffer(
            self.text,
            dtype=np.float64,
            count=(stop - start) * self.n_cols,
            offset=int(self.ends[start]),
        ).reshape(stop - start, self.n_cols)
        buffer = io.BytesIO()
        np.save(buffer, rows, allow_pickle=False)
        return buffer.getvalue()


def _json_records_body(
    features: np.ndarray | pd.DataFrame,
    content_template: str,
    record_template: str | None,
    feature_names: Sequence[str],
) -> EncodedRecords:
    if "$records" in content_template:
        marker, single = "$records", False
    elif "$record" in content_template:
        marker, single = "$record", True
    else:
        raise ValueError("content_template must contain $records or $record")
    records = _render(features, record_template or "$features", feature_names)

    head, _, tail = content_template.partition(marker)
    if single:
        return _joined(JSON, records, b"\n", head, tail, True, True)
    return _joined(JSON, records, b",", head + "[", "]" + tail, True, False)


def _joined(
    content_type: str,
    records: list[str],
    separator: bytes,
    head: str = "",
    tail: str = "",
    drop_separator: bool = False,
    one_per_request: bool = False,
) -> EncodedRecords:
    encoded = [record.encode() for record in records]
    sizes = np.fromiter(
        (len(item) + 1 for item in encoded), dtype=np.int64, count=len(encoded)
    )
    ends = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ends[1:])
    text = separator.join(encoded) + separator if encoded else b""
    return EncodedRecords(
        content_type,
        text,
        ends,
        head.encode(),
        tail.encode(),
        drop_separator,
        one_per_request,
    )


def _render(
    features: np.ndarray | pd.DataFrame, template: str, feature_names: Sequence[str]
) -> list[str]:
    # Split the template once into literal text and placeholders.
    pieces: list[str] = []
    tokens: list[str] = []
    position = 0
    for match in _TEMPLATE_TOKEN.finditer(template):
        pieces.append(template[position : match.start()])
        column = match.group("column")
        tokens.append(match.group(0) if column is None else "$" + column)
        position = match.end()
    tail = template[position:]

    names = list(feature_names)
    index = {name: j for j, name in enumerate(names)}
    for token in tokens:
        if token.startswith("$") and token not in _SPECIAL and token[1:] not in index:
            raise ValueError(
                f"record_template names column {token[1:]!r}, which is not a "
                f"feature; features are {names}"
            )

    arrays = _json_arrays(features) if "$features" in tokens else None
    rows = _row_values(features) if set(tokens) - {"$features"} else None
    names_json = json.dumps(names)

    rendered = []
    for i in range(len(features)):
        parts = []
        for literal, token in zip(pieces, tokens, strict=True):
            parts.append(literal)
            if token == "$features":
                parts.append(arrays[i] if arrays is not None else "")
            elif token == "$feature_names":
                parts.append(names_json)
            elif token == "$features_kvp":
                row = rows[i] if rows is not None else []
                parts.append(_dumps(dict(zip(names, row, strict=True))))
            else:
                row = rows[i] if rows is not None else []
                parts.append(_dumps(row[index[token[1:]]]))
        parts.append(tail)
        rendered.append("".join(parts))
    return rendered


_SPECIAL = frozenset({"$features", "$feature_names", "$features_kvp"})


def _json_arrays(features: np.ndarray | pd.DataFrame) -> list[str]:
    matrix = features.to_numpy() if isinstance(features, pd.DataFrame) else features
    matrix = np.asarray(matrix)
    numeric = matrix.dtype.kind in "biuf"
    if numeric and (matrix.dtype.kind != "f" or np.isfinite(matrix).all()):
        # Numeric CSV lines are JSON arrays once bracketed.
        text, ends = _csv_lines(features)
        decoded = text.decode()
        return [
            "[" + decoded[int(ends[i]) : int(ends[i + 1]) - 1] + "]"
            for i in range(len(ends) - 1)
        ]
    return [_dumps(row) for row in _row_values(features)]


def _row_values(features: np.ndarray | pd.DataFrame) -> list[list[Any]]:
    if isinstance(features, pd.DataFrame):
        return [list(row) for row in features.itertuples(index=False, name=None)]
    rows: list[list[Any]] = np.asarray(features).tolist()
    return rows


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
