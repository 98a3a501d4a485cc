"""A worker process killed in the middle of run_blocks does not change results."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest

from openclarify.cluster import HostLayout, JobCluster, block_seed, run_blocks

JOB_SEED = 99


@pytest.fixture
def cluster() -> Iterator[JobCluster]:
    with JobCluster.start(
        HostLayout.local(),
        n_workers=2,
        threads_per_worker=1,
        scheduler_port=0,
        dashboard_port=None,
        join_timeout=60.0,
    ) as job_cluster:
        yield job_cluster


def slow_random_block(block: int, *, marker_dir: str) -> tuple[int, list[float]]:
    (Path(marker_dir) / f"started-{block}-{os.getpid()}").touch()
    time.sleep(0.25)
    rng = np.random.default_rng(block_seed(JOB_SEED, block))
    return block, rng.normal(size=3).tolist()


class WorkerKiller(threading.Thread):
    """Kill a busy worker process once a few blocks have started."""

    def __init__(self, cluster: JobCluster, marker_dir: Path, after: int) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.marker_dir = marker_dir
        self.after = after
        self.killed_pid: int | None = None
        self.killed_at = float("inf")

    def run(self) -> None:
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            if len(list(self.marker_dir.iterdir())) >= self.after:
                break
            time.sleep(0.02)

        pids = self.cluster.client.run(os.getpid)
        processing = self.cluster.client.processing()
        busy = [address for address, keys in processing.items() if keys]
        address = busy[0] if busy else next(iter(pids))
        self.killed_pid = pids[address]
        os.kill(self.killed_pid, signal.SIGKILL)
        self.killed_at = time.monotonic()


def test_killed_worker_gives_the_same_results(
    cluster: JobCluster, tmp_path: Path
) -> None:
    """Check that blocks of a killed worker rerun elsewhere with equal results."""
    blocks = list(range(16))
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    killer = WorkerKiller(cluster, marker_dir, after=3)
    killer.start()

    results = run_blocks(
        cluster.client,
        slow_random_block,
        blocks,
        phase="slow",
        marker_dir=str(marker_dir),
    )
    finished_at = time.monotonic()
    killer.join(timeout=30.0)

    expected_dir = tmp_path / "serial"
    expected_dir.mkdir()
    expected = [slow_random_block(b, marker_dir=str(expected_dir)) for b in blocks]
    assert results == expected

    # The kill happened mid-job, to a process that had started blocks.
    assert killer.killed_pid is not None
    assert killer.killed_at < finished_at
    started_pids = {marker.name.rsplit("-", 1)[1] for marker in marker_dir.iterdir()}
    assert str(killer.killed_pid) in started_pids
    assert not _is_running(killer.killed_pid)


def _is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
