"""Which hosts make up the processing job, and where the leader's scheduler is.

The lead's ``runtime.py`` reads ``/opt/ml/config/resourceconfig.json``
(``{"current_host": "algo-1", "hosts": ["algo-1", "algo-2"]}``) and hands the
two values to :class:`HostLayout`. The first host is the leader: it runs the
Dask scheduler and the job; the other hosts only contribute workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openclarify.errors import ClusterError

logger = logging.getLogger(__name__)

SCHEDULER_ADDRESS_ENV = "OPENCLARIFY_SCHEDULER_ADDRESS"
DEFAULT_SCHEDULER_PORT = 8786
LOCAL_HOST_NAME = "algo-1"

_NO_HOSTS = (
    "resourceconfig.json key 'hosts': got {hosts!r}; a non-empty list of distinct "
    "host names is accepted. Check the file the processing platform wrote."
)
_UNKNOWN_CURRENT = (
    "resourceconfig.json key 'current_host': got {current!r}; one of {hosts!r} is "
    "accepted. Check that the file names this host in 'hosts'."
)
_BAD_ADDRESS = (
    "scheduler address {env}: got {value!r}; an address of the form "
    "'tcp://HOST:PORT' is accepted. Fix or unset the environment variable."
)


@dataclass(frozen=True)
class HostLayout:
    """The hosts of one processing job, seen from one of them.

    Parameters
    ----------
    hosts : tuple of str
        Every host of the job, in the order of ``resourceconfig.json``. The first
        one is the leader.
    current_host : str
        The host this process runs on; must be one of ``hosts``.

    Raises
    ------
    ClusterError
        If ``hosts`` is empty or holds duplicates, or ``current_host`` is not in
        it.

    Examples
    --------
    >>> layout = HostLayout(hosts=("algo-1", "algo-2"), current_host="algo-2")
    >>> layout.leader, layout.is_leader
    ('algo-1', False)
    """

    hosts: tuple[str, ...]
    current_host: str

    def __post_init__(self) -> None:
        hosts = tuple(self.hosts)
        if not hosts or len(set(hosts)) != len(hosts):
            raise ClusterError(_NO_HOSTS.format(hosts=list(hosts)))
        if self.current_host not in hosts:
            raise ClusterError(
                _UNKNOWN_CURRENT.format(current=self.current_host, hosts=list(hosts))
            )
        object.__setattr__(self, "hosts", hosts)

    @classmethod
    def local(cls, host: str = LOCAL_HOST_NAME) -> HostLayout:
        """Return the layout of a job on one machine (no ``resourceconfig.json``)."""
        return cls(hosts=(host,), current_host=host)

    @classmethod
    def from_mapping(cls, resource_config: Mapping[str, object]) -> HostLayout:
        """Build the layout from the parsed ``resourceconfig.json`` object.

        Parameters
        ----------
        resource_config : mapping
            The JSON object, with keys ``hosts`` and ``current_host``.

        Returns
        -------
        HostLayout

        Raises
        ------
        ClusterError
            If a key is missing or holds a value of the wrong type.
        """
        hosts = resource_config.get("hosts")
        current = resource_config.get("current_host")
        if not isinstance(hosts, Sequence) or isinstance(hosts, str):
            raise ClusterError(_NO_HOSTS.format(hosts=hosts))
        if not all(isinstance(host, str) for host in hosts):
            raise ClusterError(_NO_HOSTS.format(hosts=hosts))
        if not isinstance(current, str):
            raise ClusterError(
                _UNKNOWN_CURRENT.format(current=current, hosts=list(hosts))
            )
        return cls(hosts=tuple(hosts), current_host=current)

    @property
    def leader(self) -> str:
        """The host that runs the scheduler and the job (the first one)."""
        return self.hosts[0]

    @property
    def is_leader(self) -> bool:
        """Whether this process runs on the leader."""
        return self.current_host == self.leader

    @property
    def is_multi_host(self) -> bool:
        """Whether the job spans more than one host."""
        return len(self.hosts) > 1


def scheduler_address_for(
    layout: HostLayout,
    *,
    scheduler_address: str | None = None,
    scheduler_port: int = DEFAULT_SCHEDULER_PORT,
) -> str:
    """Return the address at which the leader's scheduler is reached.

    Parameters
    ----------
    layout : HostLayout
        The job's hosts.
    scheduler_address : str or None, default=None
        An explicit ``tcp://HOST:PORT`` (the value of
        ``OPENCLARIFY_SCHEDULER_ADDRESS``), which wins over the host list.
    scheduler_port : int, default=8786
        The port used with the leader's host name when no address is given.

    Returns
    -------
    str
        ``tcp://HOST:PORT``.

    Raises
    ------
    ClusterError
        If ``scheduler_address`` is not of the form ``tcp://HOST:PORT``.
    """
    if scheduler_address:
        split_address(scheduler_address)
        return scheduler_address
    return f"tcp://{layout.leader}:{scheduler_port}"


def scheduler_address_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """Return ``OPENCLARIFY_SCHEDULER_ADDRESS`` if set and non-empty, else None."""
    env = os.environ if environ is None else environ
    return env.get(SCHEDULER_ADDRESS_ENV) or None


def split_address(address: str) -> tuple[str, int]:
    """Split ``tcp://HOST:PORT`` into its host and port.

    Raises
    ------
    ClusterError
        If the address has another form.
    """
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    if scheme != "tcp" or not sep or not colon or not host or not port.isdigit():
        raise ClusterError(
            _BAD_ADDRESS.format(env=SCHEDULER_ADDRESS_ENV, value=address)
        )
    return host.strip("[]"), int(port)
