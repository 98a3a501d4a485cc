"""Tests of how a job fails: reasons, exit codes, and no half-written output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import psutil
import pytest

from openclarify.demo import prepare_ml_root
from openclarify.entrypoint import run_job

ROWS = 400


@pytest.fixture
def ml_root(tmp_path: Path) -> Path:
    """A pre-training bias job on a few hundred Adult rows."""
    return prepare_ml_root(tmp_path / "ml", job="pre-training-bias", rows=ROWS)


def _config_path(root: Path) -> Path:
    return root / "processing/input/config/analysis_config.json"


def _edit_config(root: Path, change: dict) -> None:
    path = _config_path(root)
    config = json.loads(path.read_text())
    config.update(change)
    path.write_text(json.dumps(config))


def _assert_failed_cleanly(root: Path, code: int, *fragments: str) -> None:
    assert code != 0
    message = (root / "output/message").read_text()
    assert message == (root / "output/failure").read_text()
    assert message.startswith("ClientError: ")
    for fragment in fragments:
        assert fragment in message
    output = root / "processing/output"
    assert not output.exists() or list(output.iterdir()) == []


def test_success_writes_message_and_results(ml_root: Path) -> None:
    """Check that a good job exits 0, says so, and publishes analysis.json."""
    code = run_job(str(ml_root))
    assert code == 0
    assert (ml_root / "output/message").read_text().startswith("Completed")
    assert not (ml_root / "output/failure").exists()
    outputs = sorted(path.name for path in (ml_root / "processing/output").iterdir())
    assert "analysis.json" in outputs
    assert not [name for name in outputs if name.startswith(".")]


def test_invalid_json(ml_root: Path) -> None:
    """Check that a config that is not JSON fails with the file named."""
    _config_path(ml_root).write_text("{not json")
    _assert_failed_cleanly(ml_root, run_job(str(ml_root)), "analysis_config.json")


def test_unknown_key(ml_root: Path) -> None:
    """Check that an unknown key is named in the failure reason."""
    _edit_config(ml_root, {"facets": []})
    _assert_failed_cleanly(ml_root, run_job(str(ml_root)), "facets")


def test_facet_not_a_column(ml_root: Path) -> None:
    """Check that a facet absent from the data is named with its value."""
    _edit_config(ml_root, {"facet": [{"name_or_index": "Gender"}]})
    _assert_failed_cleanly(ml_root, run_job(str(ml_root)), "Gender", "facet")


def test_label_value_absent(ml_root: Path) -> None:
    """Check that a label value that never occurs is a client error."""
    _edit_config(ml_root, {"label_values_or_threshold": ["yes"]})
    _assert_failed_cleanly(
        ml_root, run_job(str(ml_root)), "label_values_or_threshold", "yes"
    )


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    """Check that SIGTERM ends a running job non-zero, with no results or children."""
    root = prepare_ml_root(
        tmp_path / "ml", job="explainability", rows=3000, num_round=50
    )
    config = json.loads(_config_path(root).read_text())
    config["methods"]["shap"]["num_samples"] = 4000
    _config_path(root).write_text(json.dumps(config))

    with _running_job(root) as (process, stdout):
        deadline = time.monotonic() + 120
        for line in stdout:
            if "Computing Kernel SHAP: starting" in line or time.monotonic() > deadline:
                break
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        stdout.read()
        code = process.wait(timeout=60)

    assert code != 0
    assert "Signal 15" in (root / "output/failure").read_text()
    assert list((root / "processing/output").iterdir()) == []
    # Exited children may stay zombies where PID 1 does not reap orphans.
    assert _wait_for_no_live_members(process.pid, timeout=10.0)


def test_sigterm_after_the_results_are_written_is_not_a_failure(
    tmp_path: Path,
) -> None:
    """Check that SIGTERM while the helpers stop still publishes, exit 0.

    ``docker compose up --exit-code-from algo-1`` sends SIGTERM to the leader
    as soon as a worker host exits, which happens while the leader stops its
    cluster and model server.
    """
    root = prepare_ml_root(
        tmp_path / "ml", job="explainability", rows=300, num_round=20
    )
    with _running_job(root) as (process, stdout):
        seen = []
        for line in stdout:
            seen.append(line)
            if "Writing the outputs: finished" in line:
                process.send_signal(signal.SIGTERM)
                break
        seen.append(stdout.read())
        code = process.wait(timeout=60)

    log = "".join(seen)
    assert code == 0, log[-3000:]
    assert "arrived after the results were complete" in log
    assert (root / "output/message").read_text().startswith("Completed")
    assert not (root / "output/failure").exists()
    output = root / "processing/output"
    assert (output / "analysis.json").is_file()
    assert not [path for path in output.iterdir() if path.name.startswith(".")]
    assert _wait_for_no_live_members(process.pid, timeout=10.0)


@contextlib.contextmanager
def _running_job(
    root: Path,
) -> Iterator[tuple[subprocess.Popen[str], TextIO]]:
    """Run ``openclarify run`` in its own process group; yield it and its log.

    A test that fails or times out does not leave the job running.
    """
    with subprocess.Popen(
        [sys.executable, "-m", "openclarify", "run", "--ml-root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        try:
            yield process, process.stdout
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)


def _wait_for_no_live_members(pgid: int, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        live = []
        for member in psutil.process_iter(["status"]):
            try:
                if (
                    os.getpgid(member.pid) == pgid
                    and member.info["status"] != psutil.STATUS_ZOMBIE
                ):
                    live.append(member.pid)
            except (ProcessLookupError, PermissionError):
                continue
        if not live or time.monotonic() > deadline:
            return not live
        time.sleep(0.2)
