"""Faults during a job: a model server or a Dask worker dies mid-SHAP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import xgboost

from openclarify.demo import prepare_ml_root
from openclarify.demo.walkthrough import CACHE_ENV, MODEL_NAME

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "tests" / "golden" / "models" / "adult-60.tar.gz"
SHAP_STARTED = "Computing Kernel SHAP: starting"
SHAP_FINISHED = "Computing Kernel SHAP: finished"


def _layout(root: Path, cache: Path) -> Path:
    cache.mkdir(exist_ok=True)
    shutil.copyfile(MODEL, cache / f"adult-xgboost-{xgboost.__version__}-60.tar.gz")
    os.environ[CACHE_ENV] = str(cache)
    try:
        prepare_ml_root(root, job="explainability", rows=1200, num_round=60)
    finally:
        del os.environ[CACHE_ENV]
    shutil.copyfile(
        MODEL, root / "processing/input/model" / MODEL_NAME / "model.tar.gz"
    )
    # Enough coalitions that the SHAP phase outlasts the fault.
    path = root / "processing/input/config/analysis_config.json"
    config = json.loads(path.read_text())
    config["methods"]["shap"]["num_samples"] = 3000
    config["methods"]["shap"]["seed"] = 7
    path.write_text(json.dumps(config))
    return root


def _run(root: Path, fault: Callable[[psutil.Process], None] | None) -> str:
    env = dict(os.environ, OPENCLARIFY_N_WORKERS="2", OPENCLARIFY_BLOCK_ROWS="40")
    lines = []
    with subprocess.Popen(
        [sys.executable, "-m", "openclarify", "run", "--ml-root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.append(line)
                if fault is not None and SHAP_STARTED in line:
                    time.sleep(0.5)
                    fault(psutil.Process(process.pid))
                    fault = None
            code = process.wait(timeout=300)
        finally:
            # A test that fails or times out must not leave the job running.
            if process.poll() is None:
                process.kill()
    log = "".join(lines)
    assert code == 0, log[-4000:]
    return log


def _outputs(root: Path) -> tuple[str, str]:
    output = root / "processing/output"
    return (
        (output / "analysis.json").read_text(),
        (output / "explanations_shap/out.csv").read_text(),
    )


def _kill_sidecar(job: psutil.Process) -> None:
    for child in job.children(recursive=True):
        if "openclarify.serving" in " ".join(child.cmdline()):
            os.killpg(child.pid, signal.SIGKILL)
            return
    raise AssertionError("no model server process found")


def _kill_dask_worker(job: psutil.Process) -> None:
    for child in job.children(recursive=True):
        command = " ".join(child.cmdline())
        if "spawn_main" in command:
            child.kill()
            return
    raise AssertionError("no Dask worker process found")


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The outputs of the job when nothing fails."""
    base = tmp_path_factory.mktemp("undisturbed")
    root = _layout(base / "ml", base / "cache")
    _run(root, None)
    return _outputs(root)


@pytest.mark.slow
def test_model_server_crash_is_restarted(
    tmp_path: Path, undisturbed: tuple[str, str]
) -> None:
    """Check that a killed model server is restarted and results are unchanged."""
    root = _layout(tmp_path / "ml", tmp_path / "cache")
    log = _run(root, _kill_sidecar)
    assert "restarting it" in log
    assert _outputs(root) == undisturbed


@pytest.mark.slow
def test_dask_worker_loss_is_recovered(
    tmp_path: Path, undisturbed: tuple[str, str]
) -> None:
    """Check that a killed Dask worker's blocks rerun and results are unchanged."""
    root = _layout(tmp_path / "ml", tmp_path / "cache")
    log = _run(root, _kill_dask_worker)
    assert "Restarting worker" in log.partition(SHAP_FINISHED)[0]
    assert _outputs(root) == undisturbed
