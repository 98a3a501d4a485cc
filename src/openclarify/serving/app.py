"""The model server's WSGI application.

It answers like the SageMaker XGBoost serving container, so a predictor
config written for a SageMaker endpoint works unchanged against it:

- ``GET /ping``: 200 once the model is loaded (the app exists only then);
- ``GET /execution-parameters``: batch-transform hints;
- ``POST /invocations``: ``text/csv``, ``application/jsonlines``,
  ``application/json`` or ``application/x-npy`` in; scores out per
  ``Accept``.

Status codes: 204 for an empty body, 413 above the payload limit, 415 for an
unsupported content type or a body that does not parse, 406 for an
unsupported ``Accept``, 400 when the model cannot score the records.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from openclarify.errors import ModelClientError
from openclarify.serving import codecs
from openclarify.serving.model import LoadedModel

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 6_291_456

_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}
_READ_CHUNK = 1 << 20


class InvocationsApp:
    """WSGI application serving one loaded model.

    Parameters
    ----------
    model : LoadedModel
        The model to score with.
    max_body_bytes : int, default=6_291_456
        Larger request bodies are answered with 413.
    max_concurrent_transforms : int, default=1
        Reported by ``/execution-parameters``.
    """

    def __init__(
        self,
        model: LoadedModel,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_concurrent_transforms: int = 1,
    ) -> None:
        self.model = model
        self.max_body_bytes = max_body_bytes
        self.max_concurrent_transforms = max_concurrent_transforms

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Route one request."""
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/ping":
            if method not in ("GET", "HEAD"):
                return _reply(start_response, 405, b"use GET\n")
            return _reply(start_response, 200, b"\n")
        if path == "/execution-parameters":
            return _reply(
                start_response,
                200,
                json.dumps(self._execution_parameters()).encode(),
                codecs.JSON,
            )
        if path == "/invocations":
            if method != "POST":
                return _reply(start_response, 405, b"use POST\n")
            return self._invoke(environ, start_response)
        return _reply(start_response, 404, b"not found\n")

    def _execution_parameters(self) -> dict[str, object]:
        return {
            "MaxConcurrentTransforms": self.max_concurrent_transforms,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": self.max_body_bytes // (1 << 20),
        }

    def _invoke(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        body = _read_body(environ, self.max_body_bytes)
        if body is None:
            message = f"request body is above the {self.max_body_bytes}-byte limit\n"
            return _reply(start_response, 413, message.encode())
        if not body:
            return _reply(start_response, 204, b"")

        accept = codecs.choose_accept(environ.get("HTTP_ACCEPT"))
        if accept is None:
            message = (
                f"Accept {environ.get('HTTP_ACCEPT')!r} is not supported; "
                f"accepted: {', '.join(codecs.RESPONSE_TYPES)}\n"
            )
            return _reply(start_response, 406, message.encode())

        content_type = codecs.media_type(environ.get("CONTENT_TYPE"))
        if content_type not in codecs.REQUEST_TYPES:
            message = (
                f"Content-Type {environ.get('CONTENT_TYPE')!r} is not supported; "
                f"accepted: {', '.join(codecs.REQUEST_TYPES)}\n"
            )
            return _reply(start_response, 415, message.encode())

        try:
            features = codecs.decode_request(
                body, content_type, feature_names=self.model.feature_names
            )
        except codecs.PayloadError as exc:
            return _reply(start_response, 415, f"{exc}\n".encode())

        try:
            scores = self.model.predict(features)
        except ModelClientError as exc:
            return _reply(start_response, 400, f"{exc}\n".encode())

        answer = codecs.encode_scores(scores, accept)
        logger.debug(
            "Scored %d records (%s -> %s, %d bytes in) in %.4f s",
            len(features),
            content_type,
            accept,
            len(body),
            time.perf_counter() - started,
        )
        return _reply(start_response, 200, answer, accept)


def _read_body(environ: WSGIEnvironment, limit: int) -> bytes | None:
    length_text = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length_text.strip():
        length = int(length_text)
        if length > limit:
            return None
        return bytes(stream.read(length)) if length else b""

    # No length (chunked upload): read until the end or just past the limit.
    chunks = []
    total = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None
    return b"".join(chunks)


def _reply(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str = "text/plain",
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(f"{status} {_REASONS[status]}", headers)
    return [body]
