"""Integration tests: a real gunicorn sidecar on a random loopback port."""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import requests

from openclarify.errors import ModelServerError
from openclarify.serving import codecs
from openclarify.serving.sidecar import Sidecar, serve

if TYPE_CHECKING:
    from conftest import SidecarModel


def _csv_body(features: np.ndarray) -> bytes:
    return "".join(
        ",".join(repr(v) for v in row) + "\n" for row in features.tolist()
    ).encode()


def _npy_body(features: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, features)
    return buffer.getvalue()


def _live_group_members(pgid: int) -> list[int]:
    # Zombies are not counted: init reaps them in its own time.
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_group_gone(pgid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while _live_group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# Request bodies written independently of the codecs module.
_BODIES = {
    codecs.CSV: _csv_body,
    codecs.JSONLINES: lambda f: "".join(
        json.dumps({"features": row}) + "\n" for row in f.tolist()
    ).encode(),
    codecs.JSON: lambda f: json.dumps(
        {"instances": [{"features": row} for row in f.tolist()]}
    ).encode(),
    codecs.NPY: _npy_body,
}


def _read_answer(payload: bytes, accept: str) -> np.ndarray:
    if accept == codecs.CSV:
        return np.array([float(line) for line in payload.decode().splitlines()])
    if accept == codecs.JSON:
        return np.array([p["score"] for p in json.loads(payload)["predictions"]])
    if accept == codecs.JSONLINES:
        lines = payload.decode().splitlines()
        return np.array([json.loads(line)["score"] for line in lines])
    return np.load(io.BytesIO(payload))[:, 0]


@pytest.mark.parametrize("accept", codecs.RESPONSE_TYPES)
@pytest.mark.parametrize("content_type", codecs.REQUEST_TYPES)
def test_every_content_and_accept_type_scores_like_the_booster(
    sidecar_server: Sidecar,
    sidecar_model: SidecarModel,
    content_type: str,
    accept: str,
) -> None:
    """Check that each request and answer format carries the booster's scores."""
    features = sidecar_model.features[:200]
    body = _BODIES[content_type](features)

    answer = requests.post(
        f"{sidecar_server.url}/invocations",
        data=body,
        headers={"Content-Type": content_type, "Accept": accept},
        timeout=30,
    )

    expected = sidecar_model.booster.inplace_predict(features)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == accept
    scores = _read_answer(answer.content, accept)
    if accept == codecs.NPY:
        np.testing.assert_array_equal(scores, expected)
    else:
        np.testing.assert_allclose(scores, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"", {"Content-Type": codecs.CSV}, 204),
        (b"1," * 3_200_000, {"Content-Type": codecs.CSV}, 413),
        (b"1,2\n", {"Content-Type": "text/libsvm"}, 415),
        (b"a,b,c\n", {"Content-Type": codecs.CSV}, 415),
        (b"1,2,3\n", {"Content-Type": codecs.CSV, "Accept": "text/html"}, 406),
        (b"1,2,3\n", {"Content-Type": codecs.CSV}, 400),
    ],
)
def test_status_codes_over_http(
    sidecar_server: Sidecar, body: bytes, headers: dict[str, str], status: int
) -> None:
    """Check that the real server answers 204, 413, 415, 406 and 400."""
    answer = requests.post(
        f"{sidecar_server.url}/invocations", data=body, headers=headers, timeout=30
    )

    assert answer.status_code == status


def test_ping_and_execution_parameters(sidecar_server: Sidecar) -> None:
    """Check that /ping is 200 and /execution-parameters is batch-transform JSON."""
    ping = requests.get(f"{sidecar_server.url}/ping", timeout=5)
    parameters = requests.get(f"{sidecar_server.url}/execution-parameters", timeout=5)

    assert ping.status_code == 200
    assert parameters.json()["MaxPayloadInMB"] == 6
    assert sidecar_server.is_alive()


def test_pickled_model_is_refused_with_the_reason_in_the_error(
    tmp_path: Path, sidecar_model: SidecarModel
) -> None:
    """Check that a pickled model fails start-up with the log tail in the error."""
    path = tmp_path / "xgboost-model"
    path.write_bytes(pickle.dumps(sidecar_model.booster))

    with pytest.raises(ModelServerError) as caught:
        Sidecar.start(path, ready_timeout=30)

    message = str(caught.value)
    assert str(path) in message
    assert "allow_pickle" in message
    assert "exited with status 2" in message


def test_pickled_model_serves_when_allowed(
    tmp_path: Path, sidecar_model: SidecarModel
) -> None:
    """Check that --allow-pickle serves a pickled booster, then stops cleanly."""
    path = tmp_path / "xgboost-model"
    path.write_bytes(pickle.dumps(sidecar_model.booster))
    features = sidecar_model.features[:50]

    with Sidecar.start(path, allow_pickle=True, ready_timeout=30) as sidecar:
        answer = requests.post(
            f"{sidecar.url}/invocations",
            data=_npy_body(features),
            headers={"Content-Type": codecs.NPY, "Accept": codecs.NPY},
            timeout=30,
        )
        pid = sidecar.pid

    expected = sidecar_model.booster.inplace_predict(features)
    np.testing.assert_array_equal(np.load(io.BytesIO(answer.content))[:, 0], expected)
    assert pid is not None
    assert _wait_group_gone(pid), "no process of the server's group survives"


def test_start_times_out_with_a_clear_error(sidecar_model: SidecarModel) -> None:
    """Check that a server not ready in time is stopped and reported."""
    started = time.monotonic()

    with pytest.raises(ModelServerError, match=r"did not answer /ping .* within"):
        Sidecar.start(sidecar_model.json_path, ready_timeout=0.2)

    assert time.monotonic() - started < 15


def test_restart_keeps_the_url_and_serves_again(
    sidecar_model: SidecarModel,
) -> None:
    """Check that a killed sidecar is seen dead and restarts on the same URL."""
    features = sidecar_model.features[:20]
    with Sidecar.start(sidecar_model.json_path, ready_timeout=30) as sidecar:
        url, pid = sidecar.url, sidecar.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while sidecar.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sidecar.is_alive()

        sidecar.restart()

        answer = requests.post(
            f"{sidecar.url}/invocations",
            data=_csv_body(features),
            headers={"Content-Type": codecs.CSV},
            timeout=30,
        )
        assert sidecar.url == url
        assert sidecar.pid != pid
    expected = sidecar_model.booster.inplace_predict(features)
    got = np.array([float(line) for line in answer.text.splitlines()])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_serve_returns_2_when_the_model_cannot_load(tmp_path: Path) -> None:
    """Check that serve() exits with status 2 before binding for a bad model."""
    (tmp_path / "model.json").write_text("not a model")

    code = serve(str(tmp_path), host="127.0.0.1", port=0, workers=1)

    assert code == 2


def test_server_stops_when_its_parent_dies(sidecar_model: SidecarModel) -> None:
    """Check that a sidecar whose parent exits abruptly shuts itself down."""
    script = (
        "import os, sys\n"
        "from openclarify.serving.sidecar import Sidecar\n"
        "sidecar = Sidecar.start(sys.argv[1], ready_timeout=60)\n"
        "print(sidecar.pid, flush=True)\n"
        "os._exit(0)\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", script, str(sidecar_model.json_path)],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )

    pid = int(done.stdout.split()[-1])
    assert _wait_group_gone(pid, timeout=10), "the orphaned server kept running"
