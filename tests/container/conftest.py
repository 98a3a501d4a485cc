"""Fixtures for the container tests: the engine, the image, the reference runs.

Every test here needs a Docker engine; without one answering ``docker info``
they are skipped with the reason (``container/ci-docker.sh`` starts one). The
image is built once per session from the work tree and tagged
``openclarify:test``; ``OPENCLARIFY_TEST_IMAGE=TAG`` uses an image built
beforehand instead.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_TAG = "openclarify:test"
PREBUILT_IMAGE_ENV = "OPENCLARIFY_TEST_IMAGE"
BUILD_TIMEOUT = 1800.0
JOB_TIMEOUT = 600.0
# Small, so a job finishes in seconds on a shared two-core machine.
DEMO_ROWS = 200
DEMO_ROUNDS = 40
SHAP_TOLERANCE = 1e-9


class Docker:
    """The ``docker`` client, with the containers it started removed at the end."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.started: list[str] = []

    def __call__(
        self,
        *args: str,
        timeout: float = 120.0,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` and return the finished process."""
        result = subprocess.run(
            [self.executable, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"docker {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def new_name(self) -> str:
        """Return a fresh container name, removed when the session ends."""
        name = f"openclarify-test-{uuid.uuid4().hex[:10]}"
        self.started.append(name)
        return name

    def remove_started(self) -> None:
        """Force-remove every container named by :meth:`new_name`."""
        for name in self.started:
            self("rm", "-f", "-v", name, check=False, timeout=60.0)
        self.started.clear()


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    """A client whose engine answers, or skip every container test."""
    executable = shutil.which("docker")
    if executable is None:
        pytest.skip("no docker client on PATH; run container/ci-docker.sh first")
    probe = subprocess.run(
        [executable, "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()[-1:] or ["no answer"]
        pytest.skip(
            f"no Docker engine answers `docker info` ({reason[0]}); "
            "start one with container/ci-docker.sh"
        )
    client = Docker(executable)
    yield client
    client.remove_started()


@pytest.fixture(scope="session")
def image(docker: Docker, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The image built from the work tree, tagged ``openclarify:test``."""
    prebuilt = os.environ.get(PREBUILT_IMAGE_ENV)
    if prebuilt:
        docker("image", "inspect", prebuilt)
        return prebuilt

    log = tmp_path_factory.mktemp("build") / "docker-build.log"
    # The legacy builder works with clients that have no buildx plugin.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    with log.open("w", encoding="utf-8") as handle:
        result = subprocess.run(
            [docker.executable, "build", "-t", IMAGE_TAG, str(REPO_ROOT)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT,
            env=env,
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8").splitlines()[-40:]
        pytest.fail("docker build failed; last lines:\n" + "\n".join(tail))
    return IMAGE_TAG


@pytest.fixture(scope="session")
def prepare_root() -> Callable[..., Path]:
    """Lay out a small walk-through ML root (``openclarify.demo``)."""
    from openclarify.demo.walkthrough import prepare_ml_root

    def prepare(root: Path, *, instances: int = 1) -> Path:
        return prepare_ml_root(
            root,
            job="bias-and-explainability",
            instances=instances,
            rows=DEMO_ROWS,
            num_round=DEMO_ROUNDS,
        )

    return prepare


@pytest.fixture(scope="session")
def reference_output(
    prepare_root: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The output folder of ``openclarify run`` on the host, one instance."""
    root = prepare_root(tmp_path_factory.mktemp("reference") / "ml")
    env = {**os.environ, "OPENCLARIFY_N_WORKERS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "openclarify", "run", "--ml-root", str(root)],
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"the host reference run exited {result.returncode}:\n"
            f"{result.stderr[-3000:]}"
        )
    return root / "processing" / "output"


@pytest.fixture(scope="session")
def assert_same_outputs() -> Callable[[Path, Path], None]:
    """Compare two job output folders: analysis.json exactly, SHAP to 1e-9."""

    def check(actual: Path, expected: Path) -> None:
        got = json.loads((actual / "analysis.json").read_text(encoding="utf-8"))
        want = json.loads((expected / "analysis.json").read_text(encoding="utf-8"))
        _assert_same_json(got, want, "analysis.json")

        got_shap = read_local_shap(actual / "explanations_shap" / "out.csv")
        want_shap = read_local_shap(expected / "explanations_shap" / "out.csv")
        assert len(want_shap) > 0, "the reference run wrote no local SHAP rows"
        assert list(got_shap.columns) == list(want_shap.columns)
        assert got_shap.shape == want_shap.shape
        np.testing.assert_allclose(
            got_shap.to_numpy(dtype=float),
            want_shap.to_numpy(dtype=float),
            rtol=0.0,
            atol=SHAP_TOLERANCE,
        )

    return check


def read_local_shap(path: Path) -> pd.DataFrame:
    """Read ``out.csv``: one file, or a folder of part files in name order."""
    if path.is_dir():
        parts = sorted(p for p in path.iterdir() if p.suffix == ".csv")
        assert parts, f"{path} holds no CSV part files"
        return pd.concat([pd.read_csv(p) for p in parts], ignore_index=True)
    return pd.read_csv(path)


def _assert_same_json(got: object, want: object, where: str) -> None:
    # Exact equality, except that NaN equals NaN.
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not an object"
        assert list(got) == list(want), f"{where}: keys differ"
        for key, value in want.items():
            _assert_same_json(got[key], value, f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list), f"{where}: {got!r} is not a list"
        assert len(got) == len(want), f"{where}: lengths differ"
        for index, (left, right) in enumerate(zip(got, want, strict=True)):
            _assert_same_json(left, right, f"{where}[{index}]")
    elif isinstance(want, float) and math.isnan(want):
        assert isinstance(got, float) and math.isnan(got), f"{where}: {got!r}"
    else:
        assert got == want and type(got) is type(want), f"{where}: {got!r} != {want!r}"
