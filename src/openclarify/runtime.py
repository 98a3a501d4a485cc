"""The processing container's file layout under the ML root (``/opt/ml``).

Only this module knows where SageMaker Processing puts things: the analysis
config, the dataset, the model, the output folder, the exit message files and
the two platform files ``resourceconfig.json`` and ``processingjobconfig.json``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from openclarify.errors import ClientError, ConfigError

logger = logging.getLogger(__name__)

ML_ROOT_ENV = "OPENCLARIFY_ML_ROOT"
SCHEDULER_ADDRESS_ENV = "OPENCLARIFY_SCHEDULER_ADDRESS"
N_WORKERS_ENV = "OPENCLARIFY_N_WORKERS"
JOIN_TIMEOUT_ENV = "OPENCLARIFY_JOIN_TIMEOUT"
BLOCK_ROWS_ENV = "OPENCLARIFY_BLOCK_ROWS"
SIDECAR_TIMEOUT_ENV = "OPENCLARIFY_SIDECAR_TIMEOUT"
DEFAULT_ML_ROOT = "/opt/ml"
CONFIG_FILE_NAME = "analysis_config.json"

# ProcessingInput / ProcessingOutput names the SageMaker SDK gives Clarify jobs.
CONFIG_INPUT_NAME = "analysis_config"
DATASET_INPUT_NAME = "dataset"
RESULT_OUTPUT_NAME = "analysis_result"

SUCCESS_MESSAGE = "Completed: openclarify analysis ran successfully"

NO_CONFIG_MESSAGE = (
    "no analysis config found in {folder}: expected {name} or exactly one *.json "
    "file there. Mount the analysis config at that folder."
)
SEVERAL_CONFIGS_MESSAGE = (
    "several analysis config candidates in {folder}: {names}; expected {name} or "
    "exactly one *.json file. Name the config {name} or remove the others."
)


@dataclass(frozen=True)
class Environment:
    """The environment variables openclarify reads, read once.

    Parameters
    ----------
    ml_root : str or None
        ``OPENCLARIFY_ML_ROOT``.
    scheduler_address : str or None
        ``OPENCLARIFY_SCHEDULER_ADDRESS``: where the leader's Dask scheduler
        listens, overriding the address derived from the leader's host name.
    n_workers : int or None
        ``OPENCLARIFY_N_WORKERS``: Dask worker processes on this host.
    join_timeout : float
        ``OPENCLARIFY_JOIN_TIMEOUT``: seconds to wait for every host.
    block_rows : int or None
        ``OPENCLARIFY_BLOCK_ROWS``: rows per block of work.
    sidecar_timeout : float
        ``OPENCLARIFY_SIDECAR_TIMEOUT``: seconds to wait for ``/ping``.
    """

    ml_root: str | None = None
    scheduler_address: str | None = None
    n_workers: int | None = None
    join_timeout: float = 120.0
    block_rows: int | None = None
    sidecar_timeout: float = 120.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """Read the snapshot from ``os.environ`` (or the mapping given)."""
        env = os.environ if environ is None else environ
        return cls(
            ml_root=env.get(ML_ROOT_ENV) or None,
            scheduler_address=env.get(SCHEDULER_ADDRESS_ENV) or None,
            n_workers=_int_env(env, N_WORKERS_ENV),
            join_timeout=_float_env(env, JOIN_TIMEOUT_ENV, 120.0),
            block_rows=_int_env(env, BLOCK_ROWS_ENV),
            sidecar_timeout=_float_env(env, SIDECAR_TIMEOUT_ENV, 120.0),
        )


@dataclass(frozen=True)
class HostInfo:
    """The hosts of the processing job, from ``resourceconfig.json``."""

    hosts: tuple[str, ...]
    current_host: str

    @property
    def leader(self) -> str:
        """The first host leads."""
        return self.hosts[0]

    @property
    def is_leader(self) -> bool:
        """Whether this host leads the job."""
        return self.current_host == self.leader


@dataclass(frozen=True)
class JobPaths:
    """Where one job reads and writes, resolved under an ML root."""

    root: Path
    config_dir: Path
    data_dir: Path
    model_dir: Path
    output_dir: Path
    message_file: Path
    failure_file: Path
    resource_config: Path
    job_config: Path

    @classmethod
    def under(cls, root: str | Path) -> JobPaths:
        """Lay out the paths under ``root``, honouring processingjobconfig.json."""
        root = Path(root)
        job_config = root / "config" / "processingjobconfig.json"
        inputs, outputs = _declared_paths(job_config, root)
        processing = root / "processing"
        return cls(
            root=root,
            config_dir=inputs.get(CONFIG_INPUT_NAME, processing / "input" / "config"),
            data_dir=inputs.get(DATASET_INPUT_NAME, processing / "input" / "data"),
            model_dir=processing / "input" / "model",
            output_dir=outputs.get(RESULT_OUTPUT_NAME, processing / "output"),
            message_file=root / "output" / "message",
            failure_file=root / "output" / "failure",
            resource_config=root / "config" / "resourceconfig.json",
            job_config=job_config,
        )


def resolve_ml_root(argument: str | None, env: Environment) -> Path:
    """Pick the ML root: the command-line flag, then the environment, then /opt/ml."""
    return Path(argument or env.ml_root or DEFAULT_ML_ROOT)


def find_config_file(config_dir: Path) -> Path:
    """Return ``analysis_config.json``, or else the only ``*.json`` file there.

    Raises
    ------
    ClientError
        When the folder holds no candidate, or several and none is named
        ``analysis_config.json``.
    """
    preferred = config_dir / CONFIG_FILE_NAME
    if preferred.is_file():
        return preferred

    candidates = sorted(config_dir.glob("*.json")) if config_dir.is_dir() else []
    if not candidates:
        raise ClientError(
            NO_CONFIG_MESSAGE.format(folder=config_dir, name=CONFIG_FILE_NAME)
        )
    if len(candidates) > 1:
        names = ", ".join(path.name for path in candidates)
        raise ClientError(
            SEVERAL_CONFIGS_MESSAGE.format(
                folder=config_dir, names=names, name=CONFIG_FILE_NAME
            )
        )
    return candidates[0]


def read_host_info(resource_config: Path) -> HostInfo:
    """Read ``resourceconfig.json``; one host named ``algo-1`` when it is absent."""
    if not resource_config.is_file():
        return HostInfo(hosts=("algo-1",), current_host="algo-1")

    try:
        document = json.loads(resource_config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ClientError(
            f"{resource_config}: cannot read the resource config ({error}); it must "
            'be JSON like {"current_host": "algo-1", "hosts": ["algo-1"]}.'
        ) from error

    hosts = document.get("hosts") if isinstance(document, dict) else None
    current = document.get("current_host") if isinstance(document, dict) else None
    if (
        not isinstance(hosts, list)
        or not hosts
        or not all(isinstance(host, str) and host for host in hosts)
    ):
        raise ConfigError(
            f"{resource_config.name}:hosts",
            hosts,
            "a non-empty list of host names is accepted",
            "Fix the resource config the platform mounted.",
        )
    if not isinstance(current, str) or current not in hosts:
        raise ConfigError(
            f"{resource_config.name}:current_host",
            current,
            f"one of the hosts {hosts} is accepted",
            "Set current_host to this host's name.",
        )
    return HostInfo(hosts=tuple(hosts), current_host=current)


def write_exit_message(paths: JobPaths, reason: str, *, failed: bool) -> None:
    """Write ``output/message`` (and ``output/failure`` on failure), UTF-8, <= 1 KB."""
    text = reason.strip()
    encoded = text.encode("utf-8")[:1024].decode("utf-8", errors="ignore")
    paths.message_file.parent.mkdir(parents=True, exist_ok=True)
    paths.message_file.write_text(encoded + "\n", encoding="utf-8")
    if failed:
        paths.failure_file.write_text(encoded + "\n", encoding="utf-8")
    elif paths.failure_file.exists():
        paths.failure_file.unlink()


def _declared_paths(
    job_config: Path, root: Path
) -> tuple[dict[str, Path], dict[str, Path]]:
    """Input and output local paths by name, from processingjobconfig.json."""
    if not job_config.is_file():
        return {}, {}
    try:
        document = json.loads(job_config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning(
            "Ignoring %s: it is not readable JSON; using the default paths",
            job_config,
        )
        return {}, {}

    inputs: dict[str, Path] = {}
    for item in document.get("ProcessingInputs") or []:
        local = (item.get("S3Input") or {}).get("LocalPath")
        if item.get("InputName") and local:
            inputs[item["InputName"]] = _rebase(local, root)

    outputs: dict[str, Path] = {}
    output_config = document.get("ProcessingOutputConfig") or {}
    for item in output_config.get("Outputs") or []:
        local = (item.get("S3Output") or {}).get("LocalPath")
        if item.get("OutputName") and local:
            outputs[item["OutputName"]] = _rebase(local, root)
    return inputs, outputs


def _rebase(local_path: str, root: Path) -> Path:
    """Map an ``/opt/ml/...`` path onto another ML root (tests, local runs)."""
    path = PurePosixPath(local_path)
    default = PurePosixPath(DEFAULT_ML_ROOT)
    if path.is_relative_to(default):
        return root / path.relative_to(default)
    return Path(local_path)


def _int_env(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as error:
        raise ConfigError(
            name, raw, "a positive integer is accepted", f"Fix or unset {name}."
        ) from error
    if value < 1:
        raise ConfigError(
            name, raw, "a positive integer is accepted", f"Fix or unset {name}."
        )
    return value


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as error:
        raise ConfigError(
            name,
            raw,
            "a positive number of seconds is accepted",
            f"Fix or unset {name}.",
        ) from error
    if value <= 0:
        raise ConfigError(
            name,
            raw,
            "a positive number of seconds is accepted",
            f"Fix or unset {name}.",
        )
    return value
