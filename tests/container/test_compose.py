"""docker-compose.yml: the two-instance job, hosts algo-1 and algo-2."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Docker

pytestmark = pytest.mark.container

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
JOB_TIMEOUT = 600.0
CompletedProcess = subprocess.CompletedProcess[str]


@pytest.fixture
def compose(docker: Docker) -> Iterator[Callable[..., CompletedProcess]]:
    """Run ``docker compose`` in a throw-away project, taken down afterwards."""
    if docker("compose", "version", check=False).returncode != 0:
        pytest.skip("no `docker compose` plugin; run container/ci-docker.sh first")
    project = f"openclarify-test-{uuid.uuid4().hex[:8]}"
    environments: list[dict[str, str]] = []

    def run(
        *args: str, env: dict[str, str], timeout: float = 120.0, check: bool = True
    ) -> CompletedProcess:
        environments.append(env)
        command = ["compose", "-f", str(COMPOSE_FILE), "-p", project, *args]
        full_env = {**os.environ, **env}
        return docker(*command, env=full_env, timeout=timeout, check=check)

    yield run
    if environments:
        run("down", "--volumes", "--remove-orphans", env=environments[-1], check=False)


def test_compose_file_is_valid(
    compose: Callable[..., CompletedProcess], tmp_path: Path
) -> None:
    """Check that docker compose parses the file with both hosts and their mounts."""
    env = {"OPENCLARIFY_INPUT": str(tmp_path / "in")}
    result = compose("config", "--format", "json", env=env)

    config = json.loads(result.stdout)
    services = config["services"]
    assert sorted(services) == ["algo-1", "algo-2"]
    for host in ("algo-1", "algo-2"):
        targets = {v["target"]: v for v in services[host]["volumes"]}
        assert targets["/opt/ml/processing/input"]["source"] == str(tmp_path / "in")
        assert targets["/opt/ml/processing/input"]["read_only"] is True
        assert targets["/opt/ml/config"]["source"].endswith(
            f"container/compose/{host}/config"
        )
        assert "/opt/ml/processing/output" in targets


def test_two_instance_job_matches_host_run(
    compose: Callable[..., CompletedProcess],
    image: str,
    prepare_root: Callable[..., Path],
    reference_output: Path,
    assert_same_outputs: Callable[[Path, Path], None],
    tmp_path: Path,
) -> None:
    """Check that the compose cluster writes what a one-host run on the host writes."""
    root = prepare_root(tmp_path / "ml", instances=2)
    output = tmp_path / "output"
    output.mkdir()
    env = {
        "OPENCLARIFY_INPUT": str(root / "processing" / "input"),
        "OPENCLARIFY_OUTPUT": str(output),
        "OPENCLARIFY_IMAGE": image,
        "OPENCLARIFY_N_WORKERS": "1",
    }

    result = compose(
        "up",
        "--no-build",
        "--exit-code-from",
        "algo-1",
        env=env,
        timeout=JOB_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-4000:]
    assert_same_outputs(output, reference_output)
