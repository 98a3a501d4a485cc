"""Integration tests: the predictor client against real servers on loopback."""

from __future__ import annotations

import io
import logging
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from openclarify.config.model import PredictorConfig
from openclarify.demo.adult import FEATURES
from openclarify.errors import ModelClientError, ModelServerError
from openclarify.serving import codecs
from openclarify.serving.client import (
    FALLBACK_WARNING,
    PIPELINE_MIN_ROWS,
    PredictorClient,
)
from openclarify.serving.sidecar import Sidecar

if TYPE_CHECKING:
    from conftest import SidecarModel

WsgiApp = Callable[..., Iterable[bytes]]

PREDICTORS = {
    "csv": PredictorConfig(content_type=codecs.CSV, accept_type=codecs.CSV),
    "jsonlines": PredictorConfig(
        content_type=codecs.JSONLINES,
        accept_type=codecs.JSONLINES,
        content_template='{"features":$features}',
    ),
    "json-records": PredictorConfig(
        content_type=codecs.JSON,
        accept_type=codecs.JSON,
        content_template='{"instances":$records}',
        record_template="$features_kvp",
        probability="predictions[*].score",
    ),
    "json-record": PredictorConfig(
        content_type=codecs.JSON,
        accept_type=codecs.JSON,
        content_template="$record",
        record_template='{"features":$features}',
    ),
    "csv-to-jsonlines": PredictorConfig(
        content_type=codecs.CSV, accept_type=codecs.JSONLINES, probability="score"
    ),
}


def _client(url: str, name: str = "csv", **options: Any) -> PredictorClient:
    return PredictorClient(url, PREDICTORS[name], feature_names=FEATURES, **options)


def _faulty(
    decide: Callable[[dict[str, Any], bytes], tuple[str, bytes] | None],
    seen: list[dict[str, Any]] | None = None,
) -> Callable[[WsgiApp], WsgiApp]:
    # Wrap the real app: `decide` may answer instead of it (status, body).
    def wrap(app: WsgiApp) -> WsgiApp:
        lock = threading.Lock()

        def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            with lock:
                if seen is not None:
                    seen.append({**environ, "body": body})
                verdict = decide(environ, body)
            if verdict is not None:
                status, text = verdict
                start_response(status, [("Content-Length", str(len(text)))])
                return [text]
            environ["wsgi.input"] = io.BytesIO(body)
            return app(environ, start_response)

        return wrapped

    return wrap


@pytest.mark.parametrize("name", sorted(PREDICTORS))
def test_predictions_match_the_booster_for_every_predictor_shape(
    sidecar_server: Sidecar, sidecar_model: SidecarModel, name: str
) -> None:
    """Check that each content/accept/template setup returns the booster's scores."""
    features = (
        sidecar_model.features[:60]
        if name == "json-record"
        else (sidecar_model.features)
    )

    with _client(sidecar_server.url, name) as client:
        scores = client.predict(features)

    expected = sidecar_model.booster.inplace_predict(features)
    assert scores.shape == (len(features), 1)
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-6)


def test_binary_path_is_exact(
    sidecar_server: Sidecar, sidecar_model: SidecarModel
) -> None:
    """Check that the npy path returns exactly the in-process scores."""
    with _client(sidecar_server.url, binary=True, max_payload_bytes=20_000) as client:
        scores = client.predict(sidecar_model.features)

    expected = sidecar_model.booster.inplace_predict(sidecar_model.features)
    np.testing.assert_array_equal(scores[:, 0], expected)


def test_predicted_labels_follow_the_threshold(
    sidecar_server: Sidecar, sidecar_model: SidecarModel
) -> None:
    """Check that labels are 1 exactly where the score is above the threshold."""
    with _client(sidecar_server.url) as client:
        labels = client.predict_labels(
            sidecar_model.features, probability_threshold=0.3
        )

    # The CSV text carries float32 exactly, so the comparison is exact.
    expected = sidecar_model.booster.inplace_predict(sidecar_model.features)
    assert labels.tolist() == [1 if s > 0.3 else 0 for s in expected.tolist()]


def test_batches_stay_under_the_payload_limit_and_carry_headers(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel
) -> None:
    """Check that batches fit the limit and carry the SageMaker headers."""
    seen: list[dict[str, Any]] = []
    url = sidecar_wsgi(_faulty(lambda environ, body: None, seen))
    predictor = PredictorConfig(
        content_type=codecs.CSV,
        accept_type=codecs.CSV,
        custom_attributes="trace=abc",
        target_model="model-a.tar.gz",
    )
    client = PredictorClient(
        url, predictor, feature_names=FEATURES, max_payload_bytes=4_000
    )

    with client:
        scores = client.predict(sidecar_model.features)

    expected = sidecar_model.booster.inplace_predict(sidecar_model.features)
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-6)
    assert len(seen) > 5
    assert max(len(request["body"]) for request in seen) <= 4_000
    assert sum(request["body"].count(b"\n") for request in seen) == len(expected)
    for request in seen:
        assert request["HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES"] == "trace=abc"
        assert request["HTTP_X_AMZN_SAGEMAKER_TARGET_MODEL"] == "model-a.tar.gz"


@pytest.mark.parametrize("status", ["500 Internal Server Error", "429 Too Many"])
def test_server_errors_are_retried_until_the_answer_is_right(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel, status: str
) -> None:
    """Check that the first failing answers (5xx, 429) are retried."""
    seen: list[dict[str, Any]] = []
    url = sidecar_wsgi(
        _faulty(lambda e, b: (status, b"busy") if len(seen) <= 3 else None, seen)
    )

    with _client(url, max_concurrency=1, max_retries=4) as client:
        scores = client.predict(sidecar_model.features[:100])

    expected = sidecar_model.booster.inplace_predict(sidecar_model.features[:100])
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-6)
    assert len(seen) == 4


def test_persistent_server_errors_give_up_with_the_last_status(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel
) -> None:
    """Check that a server failing every time ends in a retryable error."""
    seen: list[dict[str, Any]] = []
    url = sidecar_wsgi(_faulty(lambda e, b: ("503 Unavailable", b"down"), seen))

    with (
        _client(url, max_retries=2) as client,
        pytest.raises(ModelServerError) as caught,
    ):
        client.predict(sidecar_model.features[:10])

    assert caught.value.status == 503
    assert caught.value.retryable
    assert "failed 3 times" in str(caught.value)
    assert "HTTP 503: down" in str(caught.value)
    assert len(seen) == 3


def test_model_error_on_a_batch_falls_back_to_single_records(
    sidecar_wsgi: Callable[..., str],
    sidecar_model: SidecarModel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Check that a 4xx on a batch falls back per record with the warning."""
    seen: list[dict[str, Any]] = []
    url = sidecar_wsgi(
        _faulty(
            lambda e, b: ("400 Bad", b"too many") if b.count(b"\n") > 1 else None, seen
        )
    )
    features = sidecar_model.features[:25]

    with caplog.at_level(logging.WARNING), _client(url) as client:
        scores = client.predict(features)

    expected = sidecar_model.booster.inplace_predict(features)
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-6)
    assert FALLBACK_WARNING in caplog.messages
    assert len(seen) == 1 + len(features)


def test_model_error_on_one_record_names_the_record(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel
) -> None:
    """Check that a record the model rejects alone is a ModelClientError."""
    url = sidecar_wsgi(_faulty(lambda e, b: None))
    features = sidecar_model.features[:5, :10]

    with _client(url) as client, pytest.raises(ModelClientError) as caught:
        client.predict(features)

    assert "HTTP 400" in str(caught.value)
    assert "record 0" in str(caught.value)


def _many_rows(features: np.ndarray, n_rows: int) -> np.ndarray:
    return np.tile(features, (n_rows // len(features) + 1, 1))[:n_rows].copy()


def test_large_calls_are_encoded_in_pieces_and_stay_in_order(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel
) -> None:
    """Check that a call big enough to pipeline returns every row, in order."""
    seen: list[dict[str, Any]] = []
    url = sidecar_wsgi(_faulty(lambda e, b: None, seen))
    features = _many_rows(sidecar_model.features, 4 * PIPELINE_MIN_ROWS + 123)
    features[:, 0] = np.arange(len(features)) % 97  # rows tell apart by order

    with _client(url, max_concurrency=4) as client:
        scores = client.predict(features)

    expected = sidecar_model.booster.inplace_predict(features)
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-6)
    assert len(seen) >= 4
    assert sum(request["body"].count(b"\n") for request in seen) == len(features)


def test_rejected_record_in_a_later_piece_is_named_by_its_row(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel
) -> None:
    """Check that the record index in a model error counts from the call's start."""
    marker = 123456.5
    url = sidecar_wsgi(
        _faulty(lambda e, b: ("400 Bad", b"odd value") if b"123456.5" in b else None)
    )
    features = _many_rows(sidecar_model.features, 4 * PIPELINE_MIN_ROWS)
    bad_row = 3 * PIPELINE_MIN_ROWS + 17  # in the last of four pieces
    features[bad_row, 1] = marker

    with (
        _client(url, max_concurrency=4) as client,
        pytest.raises(ModelClientError) as caught,
    ):
        client.predict(features)

    assert f"record {bad_row}:" in str(caught.value)


def test_missing_results_raise_expected_versus_got(
    sidecar_wsgi: Callable[..., str], sidecar_model: SidecarModel
) -> None:
    """Check that an answer one line short is refused, naming both counts."""

    def drop_last_line(app: WsgiApp) -> WsgiApp:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            answer: list[Any] = []
            body = b"".join(app(environ, lambda *args: answer.extend(args)))
            short = b"".join(body.splitlines(keepends=True)[:-1])
            start_response(answer[0], [("Content-Length", str(len(short)))])
            return [short]

        return wrapped

    url = sidecar_wsgi(drop_last_line)

    with _client(url) as client, pytest.raises(ModelClientError) as caught:
        client.predict(sidecar_model.features[:40])

    assert "returned 39 results for 40 records" in str(caught.value)


def test_killed_sidecar_is_retried_after_restart(sidecar_model: SidecarModel) -> None:
    """Check that a predict survives the sidecar being killed and restarted."""
    first_request = threading.Event()

    class _Flag(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Request of"):
                first_request.set()

    client_logger = logging.getLogger("openclarify.serving.client")
    handler = _Flag(level=logging.DEBUG)
    client_logger.addHandler(handler)
    previous = client_logger.level
    client_logger.setLevel(logging.DEBUG)
    features = np.tile(sidecar_model.features, (5, 1))
    results: dict[str, Any] = {}

    try:
        with Sidecar.start(sidecar_model.json_path, ready_timeout=60) as sidecar:
            client = _client(
                sidecar.url, max_payload_bytes=3_000, max_concurrency=1, max_retries=9
            )

            def run() -> None:
                try:
                    results["scores"] = client.predict(features)
                except Exception as exc:  # noqa: BLE001 - reported below
                    results["error"] = exc

            worker = threading.Thread(target=run)
            worker.start()
            assert first_request.wait(timeout=30)
            assert sidecar.pid is not None
            os.killpg(sidecar.pid, signal.SIGKILL)
            sidecar.restart()
            worker.join(timeout=60)
            client.close()
    finally:
        client_logger.removeHandler(handler)
        client_logger.setLevel(previous)

    assert "error" not in results, results.get("error")
    expected = sidecar_model.booster.inplace_predict(features)
    np.testing.assert_allclose(results["scores"][:, 0], expected, rtol=1e-6)


def test_dead_sidecar_fails_with_the_connection_error(
    sidecar_model: SidecarModel,
) -> None:
    """Check that without a restart the client stops with a clear reason."""
    with Sidecar.start(sidecar_model.json_path, ready_timeout=60) as sidecar:
        url = sidecar.url
    started = time.monotonic()

    with (
        _client(url, max_retries=1) as client,
        pytest.raises(ModelServerError) as caught,
    ):
        client.predict(sidecar_model.features[:10])

    assert "ConnectionError" in str(caught.value)
    assert caught.value.status is None
    assert time.monotonic() - started < 10


def test_client_survives_pickling(
    sidecar_server: Sidecar, sidecar_model: SidecarModel
) -> None:
    """Check that a pickled client (as shipped to Dask workers) still predicts."""
    original = _client(sidecar_server.url, binary=True)
    original.predict(sidecar_model.features[:5])

    copy = pickle.loads(pickle.dumps(original))
    with copy:
        scores = copy.predict(sidecar_model.features[:50])
    original.close()

    expected = sidecar_model.booster.inplace_predict(sidecar_model.features[:50])
    np.testing.assert_array_equal(scores[:, 0], expected)
