"""Form the job's Dask cluster from the host list, on the leader and the workers.

The leader runs :meth:`JobCluster.start`: a scheduler, this host's worker
processes, and a wait until every host of the layout has a worker connected.
Every other host runs :func:`run_worker_host`: worker processes that join the
leader, serve tasks, and stop when the leader announces the end of the job.

Each worker is named ``HOST/INDEX`` (for example ``algo-2/0``) so the leader
can tell which hosts have arrived. Each worker process gets the host's
``worker_env`` as environment variables, which tasks read with
:func:`host_setting`; that is how a task finds the model sidecar of the host it
runs on.

The end of the job is a handshake. The leader sets the Dask event
``openclarify-job-done``; each worker host sees it, closes its workers and
returns 0; the leader waits (a bounded time) for those workers to leave, then
closes the scheduler. The event says the job ended, not that it succeeded: a
failing leader still ends the job in order and reports the failure itself. A
worker host that loses the scheduler without having seen the event returns 1
after ``leader_lost_timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from types import TracebackType

from dask.system import cpu_count
from distributed import Client, Event, Nanny, Scheduler, SpecCluster
from distributed.comm import connect
from distributed.core import rpc
from distributed.diagnostics.plugin import WorkerPlugin

from openclarify.cluster.layout import (
    DEFAULT_SCHEDULER_PORT,
    HostLayout,
    scheduler_address_for,
    split_address,
)
from openclarify.errors import ClusterError

logger = logging.getLogger(__name__)

DONE_EVENT = "openclarify-job-done"
HOST_ENV = "OPENCLARIFY_HOST"
EXIT_DONE = 0
EXIT_CLUSTER_FAILURE = 1
DEFAULT_DASHBOARD_PORT = 8787
DEFAULT_JOIN_TIMEOUT = 300.0
DEFAULT_LEADER_LOST_TIMEOUT = 60.0
DEFAULT_SHUTDOWN_GRACE = 10.0
WORKER_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [{worker}]: %(message)s"

_HOSTS_MISSING = (
    "cluster formation: hosts {missing!r} of resourceconfig.json 'hosts' "
    "{hosts!r} had no Dask worker connected to the scheduler at {address} after "
    "join_timeout={timeout:g} s; every host must start 'openclarify run'. Check "
    "that those hosts are running and can reach the leader's port."
)
_SCHEDULER_FAILED = (
    "cluster formation: the Dask scheduler could not start at {address!r} "
    "(scheduler_port={port!r}, dashboard_port={dashboard!r}): {cause}. Free the "
    "port or set OPENCLARIFY_SCHEDULER_ADDRESS to another address."
)
_LEADER_UNREACHABLE = (
    "cluster formation: host {host!r} could not reach the leader's scheduler at "
    "{address} within join_timeout={timeout:g} s ({cause}). Check that the leader "
    "host {leader!r} runs 'openclarify run' and that its name resolves."
)
_LEADER_LOST = (
    "cluster: host {host!r} lost the leader's scheduler at {address} for more "
    "than leader_lost_timeout={timeout:g} s before the job was done; the leader "
    "failed or was stopped. See the leader's log for the job's failure."
)
_BAD_COUNT = (
    "cluster option {name!r}: got {value!r}; an integer of at least 1 is "
    "accepted{extra}. Pass a positive value or None for the default."
)


def host_setting(name: str) -> str | None:
    """Return a host-local setting from inside a task running on a worker.

    Parameters
    ----------
    name : str
        The key of the ``worker_env`` given to :meth:`JobCluster.start` or
        :func:`run_worker_host` on the host whose worker runs the task, for
        example ``"OPENCLARIFY_SIDECAR_URL"``; ``"OPENCLARIFY_HOST"`` holds the
        host name.

    Returns
    -------
    str or None
        The value, or None when the host set no such key.

    Notes
    -----
    Worker processes receive ``worker_env`` as environment variables, so the
    value is read from the environment of the process that runs the task.
    Called outside a worker, it reads the caller's own environment.
    """
    return os.environ.get(name)


def worker_name(host: str, index: int) -> str:
    """Return the Dask worker name of worker ``index`` on ``host``."""
    return f"{host}/{index}"


def host_of_worker(name: object) -> str:
    """Return the host part of a worker name made by :func:`worker_name`."""
    return str(name).rpartition("/")[0]


def default_n_workers(threads_per_worker: int = 1) -> int:
    """Return how many worker processes the cores of this machine allow."""
    return max(1, cpu_count() // max(1, threads_per_worker))


class JobCluster:
    """The leader's Dask cluster: a scheduler plus workers on every host.

    Create it with :meth:`start`; use it as a context manager so that
    :meth:`close` runs however the job ends.

    Attributes
    ----------
    layout : HostLayout
        The job's hosts.
    client : distributed.Client
        A client connected to the scheduler, for :func:`run_blocks`.
    """

    def __init__(
        self,
        layout: HostLayout,
        cluster: SpecCluster,
        client: Client,
        *,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
    ) -> None:
        self.layout = layout
        self.client = client
        self._cluster = cluster
        self._shutdown_grace = shutdown_grace
        self._closed = False

    @classmethod
    def start(
        cls,
        layout: HostLayout,
        *,
        scheduler_address: str | None = None,
        n_workers: int | None = None,
        threads_per_worker: int = 1,
        worker_env: Mapping[str, str] | None = None,
        join_timeout: float = DEFAULT_JOIN_TIMEOUT,
        scheduler_port: int = DEFAULT_SCHEDULER_PORT,
        dashboard_port: int | None = DEFAULT_DASHBOARD_PORT,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        worker_log_level: int | None = logging.INFO,
    ) -> JobCluster:
        """Start the scheduler and this host's workers, and wait for all hosts.

        Parameters
        ----------
        layout : HostLayout
            The job's hosts; this must run on the leader.
        scheduler_address : str or None, default=None
            ``tcp://HOST:PORT`` to listen on (``OPENCLARIFY_SCHEDULER_ADDRESS``).
            None listens on every interface at ``scheduler_port`` for several
            hosts, and on 127.0.0.1 for one host.
        n_workers : int or None, default=None
            Worker processes on this host; None uses what the cores allow.
        threads_per_worker : int, default=1
            Threads in each worker process.
        worker_env : mapping of str to str or None, default=None
            Environment of this host's workers, read by tasks through
            :func:`host_setting`.
        join_timeout : float, default=300.0
            Seconds to wait for every host to have a worker connected.
        scheduler_port : int, default=8786
            The scheduler's port when ``scheduler_address`` is None; 0 picks a
            free port. With one host and no ``scheduler_address``, a busy port
            is replaced by a free one (with a warning).
        dashboard_port : int or None, default=8787
            The dashboard's port; 0 picks a free port, None turns the dashboard
            pages off (Dask still serves its health routes on a free port).
        shutdown_grace : float, default=10.0
            Seconds :meth:`close` waits for the other hosts' workers to leave.
        worker_log_level : int or None, default=logging.INFO
            Level of the ``openclarify`` log records that tasks emit inside the
            worker processes of every host, written to each worker's stderr
            (so to its host's log) and tagged with the worker's name. None
            leaves the workers' logging alone.

        Returns
        -------
        JobCluster

        Raises
        ------
        ClusterError
            If the scheduler cannot start, or a host has no worker connected
            after ``join_timeout`` seconds (the message names the hosts).
        """
        deadline = time.monotonic() + join_timeout
        n_workers = _check_counts(n_workers, threads_per_worker)
        bind_host, port = _bind_address(layout, scheduler_address, scheduler_port)
        env = _worker_env(layout.current_host, worker_env)

        # No other host needs to find a one-host scheduler: any port will do.
        movable = not layout.is_multi_host and scheduler_address is None
        if movable and port and not _port_is_free(bind_host, port):
            logger.warning(
                "Scheduler port %d is in use; this one-host job takes a free "
                "port instead.",
                port,
            )
            port = 0
        _check_port_free(bind_host, port, dashboard_port)
        if dashboard_port and not _port_is_free(bind_host, dashboard_port):
            logger.warning(
                "Dashboard port %d is in use; the dashboard takes a free port "
                "instead (see the address below).",
                dashboard_port,
            )
            dashboard_port = 0

        scheduler_options: dict[str, object] = {"host": bind_host, "port": port}
        if dashboard_port is None:
            # Dask always serves its HTTP routes; off means a free port, no pages.
            scheduler_options["dashboard"] = False
            scheduler_options["dashboard_address"] = f"{bind_host}:0"
        else:
            scheduler_options["dashboard_address"] = f"{bind_host}:{dashboard_port}"
        workers = {
            worker_name(layout.current_host, index): {
                "cls": Nanny,
                "options": {"nthreads": threads_per_worker, "env": dict(env)},
            }
            for index in range(n_workers)
        }

        try:
            cluster = SpecCluster(
                workers=workers,
                scheduler={"cls": Scheduler, "options": scheduler_options},
                name="openclarify",
            )
        except Exception as err:
            raise ClusterError(
                _SCHEDULER_FAILED.format(
                    address=f"{bind_host}:{port}",
                    port=port,
                    dashboard=dashboard_port,
                    cause=err,
                )
            ) from err

        client = Client(cluster, set_as_default=False)
        job_cluster = cls(layout, cluster, client, shutdown_grace=shutdown_grace)
        if worker_log_level is not None:
            # Registered with the scheduler, so hosts joining later get it too.
            client.register_plugin(TaskLogging(worker_log_level))
        logger.info(
            "Dask scheduler at %s, dashboard at %s",
            cluster.scheduler_address,
            cluster.dashboard_link if dashboard_port is not None else "(off)",
        )

        try:
            job_cluster._wait_for_hosts(deadline, join_timeout)
        except BaseException:
            job_cluster._shutdown()
            raise
        return job_cluster

    @property
    def scheduler_address(self) -> str:
        """The address the scheduler listens on."""
        return str(self._cluster.scheduler_address)

    @property
    def dashboard_link(self) -> str:
        """The dashboard's URL."""
        return str(self._cluster.dashboard_link)

    def workers_by_host(self) -> dict[str, list[str]]:
        """Return the connected workers' addresses, grouped by host name."""
        info = self.client.scheduler_info(n_workers=-1)
        by_host: dict[str, list[str]] = {}
        for address, worker in info["workers"].items():
            host = host_of_worker(worker.get("name"))
            by_host.setdefault(host, []).append(address)
        return by_host

    def close(self) -> None:
        """Tell the other hosts that the job is done, then shut the cluster down.

        The other hosts' workers get up to ``shutdown_grace`` seconds to leave
        before the scheduler closes. Calling it twice is harmless.
        """
        if self._closed:
            return
        try:
            Event(DONE_EVENT, client=self.client).set()
            self._wait_for_remote_workers_to_leave()
        except Exception:
            logger.warning(
                "Could not tell every host that the job is done; their workers "
                "will stop when they notice the scheduler is gone.",
                exc_info=True,
            )
        finally:
            self._shutdown()

    def __enter__(self) -> JobCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _wait_for_hosts(self, deadline: float, join_timeout: float) -> None:
        seen: set[str] = set()
        while True:
            by_host = self.workers_by_host()
            for host in self.layout.hosts:
                if host in by_host and host not in seen:
                    seen.add(host)
                    logger.info(
                        "Host %s joined with %d worker(s)", host, len(by_host[host])
                    )

            missing = [host for host in self.layout.hosts if host not in by_host]
            if not missing:
                break
            if time.monotonic() >= deadline:
                raise ClusterError(
                    _HOSTS_MISSING.format(
                        missing=missing,
                        hosts=list(self.layout.hosts),
                        address=self.scheduler_address,
                        timeout=join_timeout,
                    )
                )
            time.sleep(0.2)

        n_workers = sum(len(addresses) for addresses in by_host.values())
        logger.info(
            "Dask cluster up with %d worker(s) on %d host(s)",
            n_workers,
            len(self.layout.hosts),
        )

    def _wait_for_remote_workers_to_leave(self) -> None:
        deadline = time.monotonic() + self._shutdown_grace
        while time.monotonic() < deadline:
            remote = [
                host
                for host in self.workers_by_host()
                if host != self.layout.current_host
            ]
            if not remote:
                return
            time.sleep(0.1)
        logger.warning(
            "Hosts %s kept workers connected %g s after the job was done; closing "
            "the scheduler anyway.",
            remote,
            self._shutdown_grace,
        )

    def _shutdown(self) -> None:
        self._closed = True
        try:
            self.client.close()
        finally:
            self._cluster.close()


class TaskLogging(WorkerPlugin):
    """A worker plugin that sends the tasks' ``openclarify`` logs to stderr.

    Worker processes do not inherit the leader's logging set-up, so without
    it a task's warnings (for example a model server fallback) would be lost.

    Parameters
    ----------
    level : int
        The level of the ``openclarify`` logger in the worker process.
    """

    name = "openclarify-task-logging"

    def __init__(self, level: int) -> None:
        self.level = level

    def setup(self, worker: object) -> None:
        """Attach one stderr handler to the ``openclarify`` logger, once."""
        package_logger = logging.getLogger("openclarify")
        package_logger.setLevel(self.level)
        if any(getattr(h, "_openclarify_task", False) for h in package_logger.handlers):
            return

        worker_label = str(getattr(worker, "name", "")).replace("%", "%%")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter(WORKER_LOG_FORMAT.format(worker=worker_label))
        )
        handler._openclarify_task = True  # type: ignore[attr-defined]
        package_logger.addHandler(handler)


def run_worker_host(
    layout: HostLayout,
    *,
    scheduler_address: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    worker_env: Mapping[str, str] | None = None,
    join_timeout: float = DEFAULT_JOIN_TIMEOUT,
    leader_lost_timeout: float = DEFAULT_LEADER_LOST_TIMEOUT,
    scheduler_port: int = DEFAULT_SCHEDULER_PORT,
    poll_interval: float = 0.5,
) -> int:
    """Serve the leader's job with worker processes on this host until it ends.

    Parameters
    ----------
    layout : HostLayout
        The job's hosts; this runs on a host that is not the leader.
    scheduler_address : str or None, default=None
        The leader's ``tcp://HOST:PORT`` (``OPENCLARIFY_SCHEDULER_ADDRESS``);
        None means the leader's host name at ``scheduler_port``.
    n_workers : int or None, default=None
        Worker processes on this host; None uses what the cores allow.
    threads_per_worker : int, default=1
        Threads in each worker process.
    worker_env : mapping of str to str or None, default=None
        Environment of this host's workers, read by tasks through
        :func:`host_setting`.
    join_timeout : float, default=300.0
        Seconds to keep trying to reach the leader, which may start later or
        whose name may resolve late.
    leader_lost_timeout : float, default=60.0
        Seconds without an answer from the scheduler after which the leader
        counts as gone.
    scheduler_port : int, default=8786
        The leader's port when ``scheduler_address`` is None.
    poll_interval : float, default=0.5
        Seconds between checks of the scheduler.

    Returns
    -------
    int
        0 when the leader announced that the job is done; 1 when the leader
        never appeared within ``join_timeout`` or disappeared before announcing
        it (the reason is logged at ERROR). The worker processes are stopped in
        every case.
    """
    n_workers = _check_counts(n_workers, threads_per_worker)
    address = scheduler_address_for(
        layout, scheduler_address=scheduler_address, scheduler_port=scheduler_port
    )
    env = _worker_env(layout.current_host, worker_env)
    try:
        return asyncio.run(
            _serve_worker_host(
                layout,
                address,
                n_workers=n_workers,
                threads_per_worker=threads_per_worker,
                env=env,
                join_timeout=join_timeout,
                leader_lost_timeout=leader_lost_timeout,
                poll_interval=poll_interval,
            )
        )
    except ClusterError as err:
        logger.error("%s", err.reason())
        return EXIT_CLUSTER_FAILURE


async def _serve_worker_host(
    layout: HostLayout,
    address: str,
    *,
    n_workers: int,
    threads_per_worker: int,
    env: dict[str, str],
    join_timeout: float,
    leader_lost_timeout: float,
    poll_interval: float,
) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + join_timeout
    await _wait_until_reachable(layout, address, deadline, join_timeout)

    # The nannies give up, like the connection above, when join_timeout is spent.
    remaining = max(1.0, deadline - loop.time())
    nannies = [
        Nanny(
            address,
            nthreads=threads_per_worker,
            name=worker_name(layout.current_host, index),
            env=dict(env),
            death_timeout=remaining,
        )
        for index in range(n_workers)
    ]
    try:
        try:
            await asyncio.gather(*(nanny.start() for nanny in nannies))
        except Exception as err:
            # Whatever stopped a worker from joining, this host cannot serve.
            raise ClusterError(
                _LEADER_UNREACHABLE.format(
                    host=layout.current_host,
                    address=address,
                    timeout=join_timeout,
                    cause=err,
                    leader=layout.leader,
                )
            ) from err
        logger.info(
            "Host %s serves the leader at %s with %d worker(s)",
            layout.current_host,
            address,
            n_workers,
        )
        return await _watch_leader(layout, address, leader_lost_timeout, poll_interval)
    finally:
        await asyncio.gather(
            *(nanny.close(reason="openclarify-host-done") for nanny in nannies),
            return_exceptions=True,
        )


async def _wait_until_reachable(
    layout: HostLayout, address: str, deadline: float, join_timeout: float
) -> None:
    loop = asyncio.get_running_loop()
    cause: BaseException | None = None
    while loop.time() < deadline:
        try:
            comm = await connect(address, timeout=min(5.0, deadline - loop.time()))
        except (OSError, asyncio.TimeoutError) as err:
            cause = err
            logger.debug("Leader at %s not reachable yet: %s", address, err)
            await asyncio.sleep(min(1.0, max(0.0, deadline - loop.time())))
            continue
        await comm.close()
        return
    raise ClusterError(
        _LEADER_UNREACHABLE.format(
            host=layout.current_host,
            address=address,
            timeout=join_timeout,
            cause=cause or "no attempt fitted in the timeout",
            leader=layout.leader,
        )
    )


async def _watch_leader(
    layout: HostLayout, address: str, leader_lost_timeout: float, poll: float
) -> int:
    loop = asyncio.get_running_loop()
    last_answer = loop.time()
    scheduler = rpc(address, timeout=poll + 2.0)
    try:
        while True:
            try:
                done = await asyncio.wait_for(
                    scheduler.event_wait(name=DONE_EVENT, timeout=poll), poll + 2.0
                )
            except (OSError, asyncio.TimeoutError) as err:
                logger.debug("No answer from the scheduler at %s: %s", address, err)
                if loop.time() - last_answer > leader_lost_timeout:
                    raise ClusterError(
                        _LEADER_LOST.format(
                            host=layout.current_host,
                            address=address,
                            timeout=leader_lost_timeout,
                        )
                    ) from err
                await asyncio.sleep(poll)
                continue

            last_answer = loop.time()
            if done:
                logger.info(
                    "The leader announced the end of the job; host %s stops",
                    layout.current_host,
                )
                return EXIT_DONE
    finally:
        await scheduler.close_rpc()


def _check_counts(n_workers: int | None, threads_per_worker: int) -> int:
    if not _is_positive_int(threads_per_worker):
        raise ClusterError(
            _BAD_COUNT.format(
                name="threads_per_worker", value=threads_per_worker, extra=""
            )
        )
    if n_workers is None:
        return default_n_workers(threads_per_worker)
    if not _is_positive_int(n_workers):
        raise ClusterError(
            _BAD_COUNT.format(name="n_workers", value=n_workers, extra=" or None")
        )
    return n_workers


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _bind_address(
    layout: HostLayout, scheduler_address: str | None, scheduler_port: int
) -> tuple[str, int]:
    if scheduler_address:
        return split_address(scheduler_address)
    if layout.is_multi_host:
        return "", scheduler_port
    return "127.0.0.1", scheduler_port


def _check_port_free(host: str, port: int, dashboard_port: int | None) -> None:
    # Dask leaks the socket of a failed listen; a probe gives a clean error.
    if port == 0 or _port_is_free(host, port):
        return
    raise ClusterError(
        _SCHEDULER_FAILED.format(
            address=f"{host}:{port}",
            port=port,
            dashboard=dashboard_port,
            cause="the port is in use",
        )
    )


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _worker_env(host: str, worker_env: Mapping[str, str] | None) -> dict[str, str]:
    env = {HOST_ENV: host}
    env.update({str(key): str(value) for key, value in (worker_env or {}).items()})
    return env
