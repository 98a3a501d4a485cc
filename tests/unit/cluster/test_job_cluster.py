"""Tests of JobCluster's options, ports and host bookkeeping on one host."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from openclarify.cluster import (
    HOST_ENV,
    HostLayout,
    JobCluster,
    default_n_workers,
    host_setting,
    run_worker_host,
)
from openclarify.errors import ClusterError


def log_from_task(message: str) -> None:
    logging.getLogger("openclarify.tests").warning("%s", message)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"n_workers": 0}, "'n_workers': got 0"),
        ({"n_workers": 1.5}, "'n_workers': got 1.5"),
        ({"threads_per_worker": 0}, "'threads_per_worker': got 0"),
        ({"threads_per_worker": True}, "'threads_per_worker': got True"),
        ({"scheduler_address": "localhost:8786"}, "'localhost:8786'"),
    ],
)
def test_bad_options_are_rejected_before_start(
    options: dict[str, object], match: str
) -> None:
    """Check that invalid counts or addresses raise ClusterError before any start."""
    with pytest.raises(ClusterError, match=match):
        JobCluster.start(HostLayout.local(), **options)  # type: ignore[arg-type]
    with pytest.raises(ClusterError, match=match):
        run_worker_host(
            HostLayout(("algo-1", "algo-2"), "algo-2"),
            **options,  # type: ignore[arg-type]
        )


def test_default_worker_count_follows_cores() -> None:
    """Check that the default number of workers divides the cores by threads."""
    from dask.system import cpu_count

    cores = cpu_count()
    assert default_n_workers(1) == cores
    assert default_n_workers(cores + 1) == 1
    assert default_n_workers(2) == max(1, cores // 2)


def test_busy_scheduler_port_names_the_port(busy_port: int) -> None:
    """Check that a scheduler port in use gives a ClusterError naming it."""
    address = f"tcp://127.0.0.1:{busy_port}"

    with pytest.raises(ClusterError, match=f"127.0.0.1:{busy_port}") as info:
        JobCluster.start(
            HostLayout.local(),
            scheduler_address=address,
            n_workers=1,
            dashboard_port=None,
            join_timeout=30.0,
        )

    assert "OPENCLARIFY_SCHEDULER_ADDRESS" in str(info.value)


def test_one_host_cluster_moves_off_busy_ports(
    busy_port: int,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Check that one host falls back from busy scheduler and dashboard ports."""
    with (
        caplog.at_level("INFO", logger="openclarify.cluster.formation"),
        JobCluster.start(
            HostLayout.local(),
            n_workers=1,
            scheduler_port=busy_port,
            dashboard_port=busy_port,
            worker_env={"OPENCLARIFY_SIDECAR_URL": "http://127.0.0.1:9"},
            join_timeout=30.0,
        ) as cluster,
    ):
        dashboard = urlparse(cluster.dashboard_link)
        assert dashboard.hostname == "127.0.0.1"
        assert dashboard.port not in (None, busy_port)
        scheduler = urlparse(cluster.scheduler_address)
        assert scheduler.hostname == "127.0.0.1"
        assert scheduler.port not in (None, busy_port)

        by_host = cluster.workers_by_host()
        assert list(by_host) == ["algo-1"]
        assert len(by_host["algo-1"]) == 1
        settings = [
            cluster.client.submit(host_setting, name, pure=False).result(timeout=20)
            for name in (HOST_ENV, "OPENCLARIFY_SIDECAR_URL", "NOT_SET_ANYWHERE")
        ]
        assert settings == ["algo-1", "http://127.0.0.1:9", None]

        # A task's log record reaches the worker's stderr, tagged with its name.
        cluster.client.submit(log_from_task, "model fell back", pure=False).result()
        assert "openclarify.tests [algo-1/0]: model fell back" in capfd.readouterr().err

    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("openclarify")
    ]
    assert messages[0].startswith(f"Scheduler port {busy_port} is in use")
    assert messages[1].startswith(f"Dashboard port {busy_port} is in use")
    assert f"dashboard at {cluster.dashboard_link}" in messages[2]
    assert "Dask cluster up with 1 worker(s) on 1 host(s)" in messages
    cluster.close()
