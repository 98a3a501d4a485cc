"""The job's Dask cluster, formed from the host list, and the block executor.

On the leader, :meth:`JobCluster.start` starts the scheduler and waits for every
host; on the other hosts, :func:`run_worker_host` joins it and serves until the
job is done. :func:`run_blocks` maps a pure function over row blocks on the
cluster; tasks read host-local values such as the sidecar URL with
:func:`host_setting`.
"""

from __future__ import annotations

from openclarify.cluster.blocks import block_ranges, block_seed, run_blocks
from openclarify.cluster.formation import (
    DONE_EVENT,
    HOST_ENV,
    JobCluster,
    default_n_workers,
    host_setting,
    run_worker_host,
)
from openclarify.cluster.layout import (
    SCHEDULER_ADDRESS_ENV,
    HostLayout,
    scheduler_address_for,
    scheduler_address_from_env,
)

__all__ = [
    "DONE_EVENT",
    "HOST_ENV",
    "SCHEDULER_ADDRESS_ENV",
    "HostLayout",
    "JobCluster",
    "block_ranges",
    "block_seed",
    "default_n_workers",
    "host_setting",
    "run_blocks",
    "run_worker_host",
    "scheduler_address_for",
    "scheduler_address_from_env",
]
