"""Tests of the host layout and of the scheduler address it leads to."""

from __future__ import annotations

import pytest

from openclarify.cluster import (
    SCHEDULER_ADDRESS_ENV,
    HostLayout,
    scheduler_address_for,
    scheduler_address_from_env,
)
from openclarify.cluster.formation import host_of_worker, worker_name
from openclarify.cluster.layout import split_address
from openclarify.errors import ClusterError


@pytest.mark.parametrize(
    ("hosts", "current", "leader", "is_leader"),
    [
        (["algo-1"], "algo-1", "algo-1", True),
        (["algo-1", "algo-2"], "algo-2", "algo-1", False),
        (["b", "a", "c"], "b", "b", True),
        (["b", "a", "c"], "c", "b", False),
    ],
)
def test_leader_is_the_first_host(
    hosts: list[str], current: str, leader: str, is_leader: bool
) -> None:
    """Check that the first listed host is the leader, whatever its name."""
    layout = HostLayout.from_mapping({"hosts": hosts, "current_host": current})

    assert layout.hosts == tuple(hosts)
    assert layout.leader == leader
    assert layout.is_leader is is_leader
    assert layout.is_multi_host is (len(hosts) > 1)


def test_local_layout_is_one_leader_host() -> None:
    """Check that the layout of a job without resourceconfig.json is one leader."""
    layout = HostLayout.local()

    assert layout.hosts == ("algo-1",)
    assert layout.is_leader
    assert not layout.is_multi_host


def test_layout_is_frozen_and_hashable() -> None:
    """Check that a layout cannot change and compares by value."""
    layout = HostLayout(hosts=("algo-1", "algo-2"), current_host="algo-2")

    with pytest.raises(AttributeError):
        layout.current_host = "algo-1"  # type: ignore[misc]
    assert layout == HostLayout(hosts=("algo-1", "algo-2"), current_host="algo-2")
    assert hash(layout) == hash(HostLayout(("algo-1", "algo-2"), "algo-2"))


@pytest.mark.parametrize(
    ("resource_config", "match"),
    [
        ({"hosts": [], "current_host": "algo-1"}, "'hosts': got \\[\\]"),
        ({"hosts": ["a", "a"], "current_host": "a"}, "distinct"),
        ({"hosts": "algo-1", "current_host": "algo-1"}, "'hosts': got 'algo-1'"),
        ({"hosts": ["algo-1", 2], "current_host": "algo-1"}, "'hosts'"),
        ({"current_host": "algo-1"}, "'hosts': got None"),
        ({"hosts": ["algo-1"], "current_host": "algo-9"}, "'current_host'.*algo-9"),
        ({"hosts": ["algo-1"]}, "'current_host': got None"),
    ],
)
def test_bad_resource_config_is_rejected(
    resource_config: dict[str, object], match: str
) -> None:
    """Check that a malformed resourceconfig.json raises a ClusterError naming it."""
    with pytest.raises(ClusterError, match=match) as info:
        HostLayout.from_mapping(resource_config)

    assert "resourceconfig.json" in str(info.value)
    assert info.value.reason().startswith("AlgorithmError: ")


def test_scheduler_address_defaults_to_leader_name() -> None:
    """Check that workers look for the scheduler on the leader host's port."""
    layout = HostLayout(hosts=("algo-1", "algo-2"), current_host="algo-2")

    assert scheduler_address_for(layout) == "tcp://algo-1:8786"
    assert scheduler_address_for(layout, scheduler_port=9000) == "tcp://algo-1:9000"


def test_scheduler_address_override_wins() -> None:
    """Check that an explicit scheduler address replaces the leader's name."""
    layout = HostLayout(hosts=("algo-1", "algo-2"), current_host="algo-2")
    address = "tcp://127.0.0.1:40001"

    assert scheduler_address_for(layout, scheduler_address=address) == address
    assert scheduler_address_from_env({SCHEDULER_ADDRESS_ENV: address}) == address
    assert scheduler_address_from_env({SCHEDULER_ADDRESS_ENV: ""}) is None
    assert scheduler_address_from_env({}) is None


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("tcp://127.0.0.1:8786", ("127.0.0.1", 8786)),
        ("tcp://algo-1:1", ("algo-1", 1)),
        ("tcp://[::1]:8786", ("::1", 8786)),
    ],
)
def test_split_address(address: str, expected: tuple[str, int]) -> None:
    """Check that a tcp address splits into its host and port."""
    assert split_address(address) == expected


@pytest.mark.parametrize(
    "address", ["127.0.0.1:8786", "tcp://127.0.0.1", "udp://h:1", "tcp://:80"]
)
def test_bad_scheduler_address_is_rejected(address: str) -> None:
    """Check that an address override of another form names the variable."""
    layout = HostLayout.local()

    with pytest.raises(ClusterError, match=SCHEDULER_ADDRESS_ENV) as info:
        scheduler_address_for(layout, scheduler_address=address)

    assert repr(address) in str(info.value)


@pytest.mark.parametrize("host", ["algo-1", "ip-10-0-0-1.ec2.internal", "a/b"])
def test_worker_name_round_trips_host(host: str) -> None:
    """Check that the host of a worker can be read back from its name."""
    for index in (0, 7):
        assert host_of_worker(worker_name(host, index)) == host
