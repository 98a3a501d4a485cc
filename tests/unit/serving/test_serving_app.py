"""Tests for the model server's WSGI application, called in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import numpy as np
import pytest
import xgboost

from openclarify.errors import DatasetError
from openclarify.serving import codecs
from openclarify.serving.app import InvocationsApp
from openclarify.serving.model import load_model


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, binary_booster: xgboost.Booster
) -> InvocationsApp:
    """The app over the binary model, with a 4 KB body limit."""
    path = Path(tmp_path_factory.mktemp("app")) / "model.json"
    binary_booster.save_model(path)
    return InvocationsApp(load_model(path), max_body_bytes=4096)


def _call(
    app: InvocationsApp,
    path: str,
    *,
    method: str = "POST",
    body: bytes = b"",
    content_type: str | None = codecs.CSV,
    accept: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, object] = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    setup_testing_defaults(environ)
    answer: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(headers)

    payload = b"".join(app(environ, start_response))  # type: ignore[arg-type]
    return answer["status"], answer["headers"], payload  # type: ignore[return-value]


def test_ping_answers_200(app: InvocationsApp) -> None:
    """Check that /ping answers 200 once the app exists."""
    status, _, _ = _call(app, "/ping", method="GET")

    assert status == 200


def test_execution_parameters_report_the_payload_limit(app: InvocationsApp) -> None:
    """Check that /execution-parameters reports multi-record batching."""
    status, headers, payload = _call(app, "/execution-parameters", method="GET")

    assert status == 200
    assert headers["Content-Type"] == codecs.JSON
    assert json.loads(payload)["BatchStrategy"] == "MULTI_RECORD"


def test_csv_invocation_scores_like_the_booster(
    app: InvocationsApp, binary_booster: xgboost.Booster, small_features: np.ndarray
) -> None:
    """Check that a CSV invocation answers the booster's scores, one per line."""
    body, _ = codecs.format_table(list(small_features.T))

    status, headers, payload = _call(app, "/invocations", body=body)

    expected = binary_booster.inplace_predict(small_features)
    lines = payload.decode().splitlines()
    assert status == 200
    assert headers["Content-Type"] == codecs.CSV
    assert [np.float32(line) for line in lines] == expected.tolist()


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"body": b""}, 204),
        ({"body": b"1,2,3,4\n" * 600}, 413),
        ({"body": b"1,2,3,4\n", "content_type": "text/libsvm"}, 415),
        ({"body": b"1,2,3,4\n", "content_type": None}, 415),
        ({"body": b"1,2,oops,4\n"}, 415),
        ({"body": b'{"instances": [[1, 2]', "content_type": codecs.JSON}, 415),
        ({"body": b"1,2,3,4\n", "accept": "text/html"}, 406),
        ({"body": b"1,2,3\n"}, 400),
        ({"body": b"1,2,3,4\n", "method": "GET"}, 405),
    ],
)
def test_invocation_status_codes(
    app: InvocationsApp, request_kwargs: dict[str, object], status: int
) -> None:
    """Check that status codes follow the XGBoost container (204 ... 405)."""
    got, _, payload = _call(app, "/invocations", **request_kwargs)  # type: ignore[arg-type]

    assert got == status
    if status in (413, 415, 406, 400):
        assert payload.strip(), "an error status carries a reason"


def test_unknown_path_answers_404(app: InvocationsApp) -> None:
    """Check that a path the container does not serve answers 404."""
    status, _, _ = _call(app, "/models", method="GET")

    assert status == 404


def test_unsupported_accept_message_lists_the_accepted_types(
    app: InvocationsApp,
) -> None:
    """Check that the 406 message names what is accepted."""
    _, _, payload = _call(app, "/invocations", body=b"1,2,3,4\n", accept="image/png")

    for kind in codecs.RESPONSE_TYPES:
        assert kind in payload.decode()


def test_chunked_body_over_the_limit_answers_413(app: InvocationsApp) -> None:
    """Check that a body without Content-Length is still held to the limit."""
    environ: dict[str, object] = {
        "PATH_INFO": "/invocations",
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": codecs.CSV,
        "wsgi.input": io.BytesIO(b"1,2,3,4\n" * 1000),
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    list(app(environ, start_response))  # type: ignore[arg-type]

    assert statuses == ["413 Payload Too Large"]


def test_multiclass_answers_one_score_list_per_record(
    tmp_path: Path, softprob_booster: xgboost.Booster, small_features: np.ndarray
) -> None:
    """Check that a softprob model answers comma-separated CSV and JSON lists."""
    path = tmp_path / "model.ubj"
    softprob_booster.save_model(path)
    multi = InvocationsApp(load_model(path))
    body = json.dumps({"instances": small_features.tolist()}).encode()
    expected = softprob_booster.inplace_predict(small_features)

    _, _, csv = _call(multi, "/invocations", body=body, content_type=codecs.JSON)
    _, _, document = _call(
        multi, "/invocations", body=body, content_type=codecs.JSON, accept=codecs.JSON
    )

    rows = [[np.float32(c) for c in line.split(",")] for line in csv.decode().split()]
    assert rows == expected.tolist()
    scores = [p["score"] for p in json.loads(document)["predictions"]]
    np.testing.assert_array_equal(np.array(scores, dtype=np.float32), expected)


def test_legacy_binary_model_gets_a_conversion_hint(tmp_path: Path) -> None:
    """Check that an old binary model file is refused with how to convert it."""
    path = tmp_path / "xgboost-model"
    path.write_bytes(b"binf" + bytes(64))

    with pytest.raises(DatasetError, match=r"old binary format.*xgboost<3"):
        load_model(path)
