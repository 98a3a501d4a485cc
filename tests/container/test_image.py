"""The image on its own: a processing job, a failing job, and model serving."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import requests
import xgboost

if TYPE_CHECKING:
    from conftest import Docker

pytestmark = pytest.mark.container

JOB_TIMEOUT = 600.0
SERVE_TIMEOUT = 60.0
# Libraries whose versions decide the numbers; the image must match the host.
NUMERIC_DISTRIBUTIONS = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "pyarrow",
    "dask",
    "distributed",
    "kmodes",
)


def test_image_metadata(docker: Docker, image: str) -> None:
    """Check that the image runs `openclarify run` and exposes port 8080."""
    result = docker("image", "inspect", "--format", "{{json .Config}}", image)
    config = json.loads(result.stdout)

    assert config["Entrypoint"] == ["openclarify", "run"]
    assert "8080/tcp" in config["ExposedPorts"]


def test_image_library_versions_match_host(docker: Docker, image: str) -> None:
    """Check that the image computes with the host venv's library versions."""
    script = (
        "import json, xgboost; from importlib import metadata as m; "
        f"names = {list(NUMERIC_DISTRIBUTIONS)!r}; "
        "found = {n: m.version(n) for n in names}; "
        "found['xgboost'] = xgboost.__version__; print(json.dumps(found))"
    )
    result = docker("run", "--rm", "--entrypoint", "python", image, "-c", script)
    in_image = json.loads(result.stdout)

    on_host = {name: metadata.version(name) for name in NUMERIC_DISTRIBUTIONS}
    on_host["xgboost"] = xgboost.__version__
    assert in_image == on_host


def test_job_in_container_matches_host_run(
    docker: Docker,
    image: str,
    prepare_root: Callable[..., Path],
    reference_output: Path,
    assert_same_outputs: Callable[[Path, Path], None],
    tmp_path: Path,
) -> None:
    """Check that a job run in the image writes what the host run writes."""
    root = prepare_root(tmp_path / "ml")

    result = docker(
        "run",
        "--name",
        docker.new_name(),
        *_job_mounts(root),
        "--hostname",
        "algo-1",
        "-e",
        "OPENCLARIFY_N_WORKERS=1",
        image,
        timeout=JOB_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert_same_outputs(root / "processing" / "output", reference_output)
    message = (root / "output" / "message").read_text(encoding="utf-8")
    assert message.startswith("Completed")


def test_broken_config_reports_client_error(
    docker: Docker, image: str, tmp_path: Path
) -> None:
    """Check that an unreadable config exits non-zero with a ClientError message."""
    root = tmp_path / "ml"
    config_dir = root / "processing" / "input" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "analysis_config.json").write_text(
        '{"dataset_type": "text/csv", "label": ', encoding="utf-8"
    )

    result = docker(
        "run",
        "--name",
        docker.new_name(),
        *_job_mounts(root),
        "--hostname",
        "algo-1",
        image,
        timeout=JOB_TIMEOUT,
        check=False,
    )

    assert result.returncode != 0
    message = (root / "output" / "message").read_text(encoding="utf-8")
    assert message.startswith("ClientError:"), message
    assert not (root / "processing" / "output" / "analysis.json").exists()


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["serve"], id="sagemaker-serve-argument"),
        pytest.param(
            [
                "--entrypoint",
                "openclarify",
                "IMAGE",
                "serve",
                "--model",
                "/opt/ml/model",
                "--host",
                "0.0.0.0",
                "--port",
                "8080",
                "--workers",
                "1",
            ],
            id="serve-command",
        ),
    ],
)
def test_serve_answers_ping_and_invocations(
    docker: Docker, image: str, tmp_path: Path, command: list[str]
) -> None:
    """Check that the served model answers /ping and CSV /invocations."""
    rng = np.random.default_rng(7)
    features = rng.normal(size=(120, 4))
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(float)
    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 3, "nthread": 1},
        xgboost.DMatrix(features, label=labels),
        num_boost_round=10,
    )
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "xgboost-model").write_bytes(bytes(booster.save_raw("ubj")))
    expected = booster.predict(xgboost.DMatrix(features[:25]))

    # "IMAGE" marks where the image goes when options precede it.
    args = [image if part == "IMAGE" else part for part in command]
    if "IMAGE" not in command:
        args = [image, *args]
    name = docker.new_name()
    docker(
        "run",
        "-d",
        "--name",
        name,
        "-p",
        "127.0.0.1::8080",
        "-v",
        f"{model_dir}:/opt/ml/model:ro",
        *args,
    )
    base = _wait_for_ping(docker, name)

    body = "\n".join(",".join(repr(float(v)) for v in row) for row in features[:25])
    response = requests.post(
        f"{base}/invocations",
        data=body.encode(),
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
        timeout=30,
    )

    assert response.status_code == 200, response.text
    scores = [float(line) for line in response.text.strip().splitlines()]
    np.testing.assert_allclose(scores, expected, rtol=0.0, atol=1e-6)


def _job_mounts(root: Path) -> list[str]:
    # The ML root as /opt/ml, with the processing inputs read-only on top.
    input_dir = root / "processing" / "input"
    for folder in (input_dir, root / "processing" / "output", root / "output"):
        folder.mkdir(parents=True, exist_ok=True)
    return [
        "-v",
        f"{root}:/opt/ml",
        "-v",
        f"{input_dir}:/opt/ml/processing/input:ro",
    ]


def _wait_for_ping(docker: Docker, name: str) -> str:
    port = docker("port", name, "8080/tcp").stdout.strip().splitlines()[0]
    base = f"http://{port}"
    deadline = time.monotonic() + SERVE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/ping", timeout=2).status_code == 200:
                return base
        except requests.RequestException:
            pass  # docker-proxy accepts before the server listens
        state = docker("inspect", "--format", "{{.State.Running}}", name).stdout
        if state.strip() != "true":
            logs = docker("logs", name, check=False)
            pytest.fail(f"the server container exited:\n{logs.stderr[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"/ping did not answer 200 within {SERVE_TIMEOUT:.0f} s")
