"""The run record: what ran, on what, with which versions, and how long it took.

The record is written to ``run_record.json`` beside ``analysis.json`` (never
inside it, so ``analysis.json`` keeps Clarify's shape) and is shown at the end
of the report.

Example
-------
>>> recorder = RunRecorder()
>>> with recorder.phase("pre_training_bias"):
...     pass
>>> record = recorder.finish(
...     config_digest=config_digest({"dataset_type": "text/csv"}),
...     dataset_fingerprint="sha256:...", rows=10, hosts=("algo-1",), seeds={},
... )
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import openclarify

logger = logging.getLogger(__name__)

TRACKED_LIBRARIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "xgboost",
    "dask",
    "distributed",
)
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class RunRecord:
    """Facts about one job run, for ``run_record.json`` and the report.

    Attributes
    ----------
    openclarify_version : str
        The version of this package.
    config_digest : str
        ``"sha256:<hex>"`` of the canonical analysis config JSON.
    dataset_fingerprint : str
        ``"sha256:<hex>"`` over the dataset files or the loaded frame.
    rows : int
        Number of dataset rows analysed.
    hosts : tuple of str
        The hosts of the cluster, leader first.
    seeds : dict of str to int or None
        The random seeds used, by purpose (e.g. ``"shap"``).
    library_versions : dict of str to str
        Versions of python, numpy, pandas, xgboost, dask, distributed.
    start_time : str
        Job start, UTC, ISO 8601 (``2026-01-02T03:04:05.678901+00:00``).
    durations : dict of str to float
        Seconds spent per phase, in the order the phases ran.
    """

    openclarify_version: str
    config_digest: str
    dataset_fingerprint: str
    rows: int
    hosts: tuple[str, ...]
    seeds: dict[str, int | None]
    library_versions: dict[str, str]
    start_time: str
    durations: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON types, keys in field order."""
        data = asdict(self)
        data["hosts"] = list(self.hosts)
        return data


class RunRecorder:
    """Collect the start time and phase durations while a job runs.

    Parameters
    ----------
    clock : callable, default=time.perf_counter
        Monotonic clock in seconds (tests may pass their own).
    """

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.start_time = utc_now_iso()
        self.durations: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the enclosed block as phase ``name`` (added up if repeated)."""
        started = self._clock()
        try:
            yield
        finally:
            elapsed = float(self._clock() - started)
            self.durations[name] = self.durations.get(name, 0.0) + elapsed

    def finish(
        self,
        *,
        config_digest: str,
        dataset_fingerprint: str,
        rows: int,
        hosts: Iterable[str],
        seeds: Mapping[str, int | None],
    ) -> RunRecord:
        """Return the ``RunRecord`` of this run with the phases timed so far."""
        return RunRecord(
            openclarify_version=openclarify.__version__,
            config_digest=config_digest,
            dataset_fingerprint=dataset_fingerprint,
            rows=int(rows),
            hosts=tuple(hosts),
            seeds=dict(seeds),
            library_versions=library_versions(),
            start_time=self.start_time,
            durations=dict(self.durations),
        )


def utc_now_iso() -> str:
    """Return the current UTC time in ISO 8601 with an explicit offset."""
    return datetime.now(timezone.utc).isoformat()


def library_versions() -> dict[str, str]:
    """Return the versions of python and the tracked libraries.

    Returns
    -------
    dict of str to str
        ``python`` first, then each of ``TRACKED_LIBRARIES``; a library that
        is not installed shows ``"not installed"``.
    """
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def canonical_json(config: Mapping[str, Any]) -> bytes:
    """Return the canonical UTF-8 JSON of a config: sorted keys, no spaces."""
    text = json.dumps(
        config,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def config_digest(config: Mapping[str, Any]) -> str:
    """Return ``"sha256:<hex>"`` of the canonical JSON of the analysis config.

    Parameters
    ----------
    config : Mapping
        The analysis config as parsed from ``analysis_config.json``.

    Returns
    -------
    str
        The digest; key order and whitespace of the file do not change it.
    """
    return "sha256:" + hashlib.sha256(canonical_json(config)).hexdigest()


def fingerprint_files(paths: Iterable[Path | str]) -> str:
    """Return ``"sha256:<hex>"`` over the bytes of the dataset files.

    Parameters
    ----------
    paths : iterable of Path or str
        The dataset files. They are hashed in sorted path order, each framed
        by its length, so the digest does not depend on where the files are
        mounted or in which order they were listed.

    Returns
    -------
    str
        The fingerprint.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.stat().st_size.to_bytes(8, "big"))
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """Return ``"sha256:<hex>"`` over a frame's column names, dtypes and values.

    Parameters
    ----------
    frame : DataFrame
        The loaded dataset. The index is ignored; row order counts.

    Returns
    -------
    str
        The fingerprint.
    """
    digest = hashlib.sha256()
    header = [[str(name), str(kind)] for name, kind in frame.dtypes.items()]
    digest.update(json.dumps(header).encode("utf-8"))
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)
    digest.update(row_hashes.astype(">u8").tobytes())
    return "sha256:" + digest.hexdigest()
