"""Cluster formation across "hosts" that are separate processes on loopback.

Each extra host is a Python process of its own (its own session, so its process
group can be checked and cleaned up) that runs the leader's or a worker host's
side of :mod:`openclarify.cluster`, with ``OPENCLARIFY_SCHEDULER_ADDRESS``-style
overrides pointing every host at one scheduler on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest

from openclarify.cluster import (
    HOST_ENV,
    HostLayout,
    JobCluster,
    block_seed,
    host_setting,
    run_blocks,
    run_worker_host,
)
from openclarify.errors import ClusterError

SIDECAR_ENV = "OPENCLARIFY_SIDECAR_URL"

# The program of one host process; its argument is a JSON object of options.
HOST_PROGRAM = """
import json, logging, sys
from openclarify.cluster import HostLayout, JobCluster, run_worker_host

args = json.loads(sys.argv[1])
logging.basicConfig(
    level=logging.INFO,
    format="%(asctime)s " + args["current"] + " %(name)s %(levelname)s %(message)s",
)
layout = HostLayout(hosts=tuple(args["hosts"]), current_host=args["current"])
options = dict(
    scheduler_address=args["address"],
    n_workers=1,
    threads_per_worker=1,
    worker_env=args["env"],
    join_timeout=args["join_timeout"],
)
if layout.is_leader:
    with JobCluster.start(layout, dashboard_port=None, **options):
        print("READY", flush=True)
        sys.stdin.readline()
    sys.exit(0)
code = run_worker_host(
    layout,
    leader_lost_timeout=args["leader_lost_timeout"],
    poll_interval=0.2,
    **options,
)
sys.exit(code)
"""


class HostProcess:
    """One host of the job, running as its own process group."""

    def __init__(self, name: str, process: subprocess.Popen[str], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    def wait_ready(self, timeout: float) -> None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        assert line.strip() == "READY", self.log.read_text()

    def group_members(self) -> list[int]:
        return _live_group_members(self.process.pid)

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def sidecar_url(host: str) -> str:
    return f"http://127.0.0.1:9/{host}"


def times_three_on_host(block: int) -> tuple[int, str | None]:
    time.sleep(0.05)
    logging.getLogger("openclarify.tests").info("block %d done", block)
    return block * 3, host_setting(HOST_ENV)


def slow_seeded_block(block: int, *, marker_dir: str) -> tuple[int, float]:
    marker = f"{host_setting(HOST_ENV)}-{block}-{os.getpid()}"
    (Path(marker_dir) / marker).touch()
    time.sleep(0.2)
    return block, float(np.random.default_rng(block_seed(7, block)).random())


def free_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


def own_worker_processes(existing: frozenset[int] = frozenset()) -> list[int]:
    """Return this process's live children not in ``existing``, but the tracker.

    ``existing`` holds the children that were running before the test (such as
    a session-wide model server of other tests), which are not the test's own.
    """
    pids = []
    for child in psutil.Process().children(recursive=True):
        if child.pid in existing:
            continue
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            if "resource_tracker" not in " ".join(child.cmdline()):
                pids.append(child.pid)
    return pids


def _live_group_members(pgid: int) -> list[int]:
    members = []
    for process in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(process.pid) != pgid:
                continue
        except (ProcessLookupError, PermissionError):
            continue
        if process.info["status"] != psutil.STATUS_ZOMBIE:
            members.append(process.pid)
    return members


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def launch_host(tmp_path: Path) -> Iterator[Callable[..., HostProcess]]:
    started: list[HostProcess] = []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), env.get("PYTHONPATH", "")]
    )

    def launch(
        hosts: list[str],
        current: str,
        address: str,
        *,
        join_timeout: float = 30.0,
        leader_lost_timeout: float = 30.0,
    ) -> HostProcess:
        args = {
            "hosts": hosts,
            "current": current,
            "address": address,
            "env": {SIDECAR_ENV: sidecar_url(current)},
            "join_timeout": join_timeout,
            "leader_lost_timeout": leader_lost_timeout,
        }
        log = tmp_path / f"{current}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", HOST_PROGRAM, json.dumps(args)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                text=True,
                start_new_session=True,
            )
        host = HostProcess(current, process, log)
        started.append(host)
        return host

    yield launch
    for host in started:
        host.kill_group()


@pytest.mark.parametrize("n_hosts", [1, 2, 3])
def test_hosts_form_one_cluster_and_leave_cleanly(
    n_hosts: int, launch_host: Callable[..., HostProcess]
) -> None:
    """Check that N host processes form one cluster, use it, and exit 0 at the end."""
    hosts = [f"algo-{number}" for number in range(1, n_hosts + 1)]
    address = free_address()

    # Worker hosts start first: hosts may come up in any order.
    others = [launch_host(hosts, host, address) for host in hosts[1:]]
    layout = HostLayout(hosts=tuple(hosts), current_host=hosts[0])
    with JobCluster.start(
        layout,
        scheduler_address=address,
        n_workers=1,
        threads_per_worker=1,
        worker_env={SIDECAR_ENV: sidecar_url(hosts[0])},
        join_timeout=30.0,
        dashboard_port=None,
    ) as cluster:
        by_host = cluster.workers_by_host()
        assert sorted(by_host) == hosts

        # A task pinned to a host's workers sees that host's own settings.
        for host, workers in by_host.items():
            for name, expected in [(SIDECAR_ENV, sidecar_url(host)), (HOST_ENV, host)]:
                future = cluster.client.submit(
                    host_setting, name, workers=workers, pure=False
                )
                assert future.result(timeout=20) == expected

        blocks = list(range(4 * n_hosts))
        results = run_blocks(cluster.client, times_three_on_host, blocks, phase="x3")
        assert [value for value, _ in results] == [block * 3 for block in blocks]
        assert {host for _, host in results} == set(hosts)

    for other in others:
        assert other.process.wait(timeout=20) == 0, other.log.read_text()
        assert _wait_for(lambda host=other: not host.group_members(), 10.0)
        log = other.log.read_text()
        assert "announced the end of the job" in log
        # Task logs reach the log of the host whose worker ran the task.
        assert f"openclarify.tests [{other.name}/0]: block " in log


def test_missing_host_fails_within_join_timeout() -> None:
    """Check that the leader raises ClusterError naming a host that never came."""
    layout = HostLayout(hosts=("algo-1", "algo-2", "algo-3"), current_host="algo-1")
    join_timeout = 4.0
    existing = frozenset(own_worker_processes())
    started = time.monotonic()

    with pytest.raises(ClusterError, match="join_timeout=4 s") as info:
        JobCluster.start(
            layout,
            scheduler_address=free_address(),
            n_workers=1,
            join_timeout=join_timeout,
            dashboard_port=None,
        )

    elapsed = time.monotonic() - started
    assert "['algo-2', 'algo-3']" in str(info.value)
    assert join_timeout <= elapsed < join_timeout + 10.0
    assert _wait_for(lambda: not own_worker_processes(existing), 10.0)


def test_worker_host_gives_up_when_leader_never_appears(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Check that a worker host returns 1 with a clear log when no leader answers."""
    layout = HostLayout(hosts=("algo-1", "algo-2"), current_host="algo-2")
    address = free_address()
    existing = frozenset(own_worker_processes())
    started = time.monotonic()

    with caplog.at_level(logging.ERROR, logger="openclarify.cluster.formation"):
        code = run_worker_host(
            layout, scheduler_address=address, n_workers=1, join_timeout=2.0
        )

    assert code == 1
    assert 2.0 <= time.monotonic() - started < 10.0
    [record] = [r for r in caplog.records if r.name.startswith("openclarify")]
    assert "could not reach the leader's scheduler at " + address in record.message
    assert not own_worker_processes(existing)


def test_worker_host_exits_nonzero_when_leader_is_killed(
    launch_host: Callable[..., HostProcess],
) -> None:
    """Check that a worker host exits 1, leaving no process, when the leader dies."""
    hosts = ["algo-1", "algo-2"]
    address = free_address()
    leader_lost_timeout = 3.0
    leader = launch_host(hosts, "algo-1", address)
    worker = launch_host(hosts, "algo-2", address, leader_lost_timeout=3.0)
    leader.wait_ready(timeout=40.0)
    assert _wait_for(lambda: "serves the leader" in worker.log.read_text(), 20.0)

    leader.kill_group()
    killed = time.monotonic()

    code = worker.process.wait(timeout=leader_lost_timeout + 15.0)
    log = worker.log.read_text()
    assert code == 1, log
    assert time.monotonic() - killed >= leader_lost_timeout - 1.0
    assert _wait_for(lambda: not worker.group_members(), 10.0)
    assert "lost the leader's scheduler" in log, log


def test_blocks_of_a_lost_worker_host_rerun_on_the_others(
    launch_host: Callable[..., HostProcess], tmp_path: Path
) -> None:
    """Check that a worker host killed mid-job leaves results unchanged."""
    hosts = ["algo-1", "algo-2"]
    address = free_address()
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    worker = launch_host(hosts, "algo-2", address)
    killed_at: list[float] = []

    def kill_when_busy() -> None:
        if _wait_for(lambda: any(marker_dir.glob("algo-2-*")), 30.0):
            worker.kill_group()
            killed_at.append(time.monotonic())

    layout = HostLayout(hosts=tuple(hosts), current_host="algo-1")
    with JobCluster.start(
        layout,
        scheduler_address=address,
        n_workers=1,
        join_timeout=30.0,
        dashboard_port=None,
        shutdown_grace=2.0,
    ) as cluster:
        killer = threading.Thread(target=kill_when_busy, daemon=True)
        killer.start()
        blocks = list(range(12))
        results = run_blocks(
            cluster.client,
            slow_seeded_block,
            blocks,
            phase="seeded",
            marker_dir=str(marker_dir),
        )
        finished_at = time.monotonic()
        killer.join(timeout=30.0)
        # The scheduler drops the lost worker once it sees its connection close.
        assert _wait_for(lambda: list(cluster.workers_by_host()) == ["algo-1"], 15.0)

    serial_dir = tmp_path / "serial"
    serial_dir.mkdir()
    assert results == [slow_seeded_block(b, marker_dir=str(serial_dir)) for b in blocks]
    assert killed_at and killed_at[0] < finished_at
    assert worker.process.returncode == -signal.SIGKILL
