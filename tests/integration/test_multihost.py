"""A job run on 2 and 3 hosts leaves the same results as the same job on one host.

Each host is an ``openclarify run --ml-root`` process of its own, with its own
ML root and ``config/resourceconfig.json`` and one shared input (the
walk-through's bias-and-explainability job on a few Adult rows), all pointed
at one scheduler on 127.0.0.1 through ``OPENCLARIFY_SCHEDULER_ADDRESS``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from openclarify.demo import prepare_ml_root
from openclarify.demo.walkthrough import CACHE_ENV, host_roots

ROWS = 120
NUM_ROUND = 10
RUN_TIMEOUT = 120.0
JOB_ENV = {
    "OPENCLARIFY_N_WORKERS": "1",
    "OPENCLARIFY_BLOCK_ROWS": "10",
    "OPENCLARIFY_JOIN_TIMEOUT": "60",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(cache))
        yield cache


@pytest.fixture(scope="module")
def one_host_output(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Path
) -> Path:
    root = prepare_ml_root(
        tmp_path_factory.mktemp("one-host") / "ml",
        instances=1,
        rows=ROWS,
        num_round=NUM_ROUND,
    )
    codes = run_hosts([root], model_cache=model_cache)
    assert codes == [0], (root / "host.log").read_text()[-3000:]
    return root / "processing" / "output"


def run_hosts(roots: list[Path], *, model_cache: Path) -> list[int]:
    """Run one ``openclarify run`` per root; return the exit codes in root order."""
    env = {**os.environ, **JOB_ENV, CACHE_ENV: str(model_cache)}
    if len(roots) > 1:
        env["OPENCLARIFY_SCHEDULER_ADDRESS"] = f"tcp://127.0.0.1:{_free_port()}"

    processes = []
    for root in roots:
        with (root / "host.log").open("w") as log:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "openclarify",
                        "run",
                        "--ml-root",
                        str(root),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            )
    try:
        return [process.wait(timeout=RUN_TIMEOUT) for process in processes]
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def read_local_shap(output: Path) -> pd.DataFrame:
    """Read out.csv, or concatenate its part files when it is a folder."""
    path = output / "explanations_shap" / "out.csv"
    if path.is_dir():
        parts = sorted(path.glob("part-*.csv"))
        assert parts, f"no part files in {path}"
        return pd.concat([pd.read_csv(part) for part in parts], ignore_index=True)
    return pd.read_csv(path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("instances", [2, 3])
def test_multi_host_run_matches_one_host(
    instances: int,
    tmp_path: Path,
    model_cache: Path,
    one_host_output: Path,
) -> None:
    """Check that N host processes write the analysis and SHAP values of one host."""
    leader = prepare_ml_root(
        tmp_path / "ml", instances=instances, rows=ROWS, num_round=NUM_ROUND
    )
    roots = host_roots(leader, instances)

    codes = run_hosts(roots, model_cache=model_cache)

    logs = {root.name: (root / "host.log").read_text() for root in roots}
    assert codes == [0] * instances, {name: log[-3000:] for name, log in logs.items()}
    for host_number, root in enumerate(roots[1:], start=2):
        assert f"Host algo-{host_number} joined" in logs[leader.name]
        assert "announced the end of the job" in logs[root.name]
        # Blocks ran on this host's worker, against this host's model server.
        assert f"[algo-{host_number}/0]: Predicted " in logs[root.name]

    output = leader / "processing" / "output"
    actual = json.loads((output / "analysis.json").read_text())
    expected = json.loads((one_host_output / "analysis.json").read_text())
    # Block seeds come from the job seed and the block number: the hosts'
    # results are the same to the last bit, not merely close.
    assert actual == expected

    # The part files, in part order, hold the one-host rows in input order.
    many = read_local_shap(output)
    one = read_local_shap(one_host_output)
    pd.testing.assert_frame_equal(many, one, check_exact=True)
