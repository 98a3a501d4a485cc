"""Tests of run_blocks on a real one-host Dask cluster of two worker processes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from openclarify.cluster import (
    HostLayout,
    JobCluster,
    block_ranges,
    block_seed,
    run_blocks,
)
from openclarify.cluster import blocks as blocks_module
from openclarify.errors import AnalysisError, ModelClientError, ModelServerError

JOB_SEED = 1234


@pytest.fixture(scope="module")
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


def block_statistics(
    block: tuple[int, int, int], *, data: np.ndarray, job_seed: int
) -> tuple[int, float, float]:
    number, start, stop = block
    rng = np.random.default_rng(block_seed(job_seed, number))
    return number, float(data[start:stop].sum()), float(rng.random())


def process_and_shared_id(block: int, *, data: np.ndarray) -> tuple[int, int]:
    return os.getpid(), id(data)


def fail_on_block_three(block: int) -> int:
    if block == 3:
        raise AnalysisError(f"block {block} cannot be computed")
    return block


def fail_first_attempt(block: int, *, marker_dir: str) -> int:
    marker = Path(marker_dir) / f"attempted-{block}"
    if not marker.exists():
        marker.touch()
        raise OSError(f"transient failure of block {block}")
    return block * 10


def fail_first_attempt_with(block: int, *, marker_dir: str, error: str) -> int:
    marker = Path(marker_dir) / f"attempted-{block}"
    attempts = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(attempts))
    if attempts == 1:
        if error == "client":
            raise ModelClientError(f"block {block}: response has 3 columns")
        raise ModelServerError(f"block {block}: status 400", status=400)
    return block


def _numbered_blocks(n_rows: int, block_rows: int) -> list[tuple[int, int, int]]:
    ranges = block_ranges(n_rows, block_rows)
    return [(number, start, stop) for number, (start, stop) in enumerate(ranges)]


def test_results_equal_serial_map_in_block_order(cluster: JobCluster) -> None:
    """Check that run_blocks returns what a serial map returns, in block order."""
    data = np.random.default_rng(0).normal(size=2_000)
    blocks = _numbered_blocks(len(data), 170)

    results = run_blocks(
        cluster.client,
        block_statistics,
        blocks,
        phase="statistics",
        rows=[stop - start for _, start, stop in blocks],
        data=data,
        job_seed=JOB_SEED,
    )

    expected = [block_statistics(b, data=data, job_seed=JOB_SEED) for b in blocks]
    assert results == expected


def test_shared_argument_is_sent_once_per_worker(cluster: JobCluster) -> None:
    """Check that every task on one worker gets the same copy of a shared array."""
    data = np.arange(250_000, dtype=np.float64)

    results = run_blocks(
        cluster.client, process_and_shared_id, list(range(16)), phase="ids", data=data
    )

    copies_by_process: dict[int, set[int]] = {}
    for pid, object_id in results:
        copies_by_process.setdefault(pid, set()).add(object_id)
    assert os.getpid() not in copies_by_process
    assert all(len(copies) == 1 for copies in copies_by_process.values())


def test_task_exception_propagates(cluster: JobCluster) -> None:
    """Check that a failing block raises its own exception, not a short result."""
    with pytest.raises(AnalysisError, match="block 3 cannot be computed"):
        run_blocks(
            cluster.client, fail_on_block_three, list(range(8)), phase="f", retries=0
        )

    # The cluster is still usable afterwards.
    assert run_blocks(cluster.client, fail_on_block_three, [0, 1], phase="f") == [
        0,
        1,
    ]


def test_retries_rerun_a_block_that_raised(cluster: JobCluster, tmp_path: Path) -> None:
    """Check that retries rerun failed blocks and zero retries lets them fail."""
    blocks = list(range(5))
    (tmp_path / "with-retry").mkdir()

    results = run_blocks(
        cluster.client,
        fail_first_attempt,
        blocks,
        phase="flaky",
        retries=1,
        marker_dir=str(tmp_path / "with-retry"),
    )

    assert results == [block * 10 for block in blocks]
    (tmp_path / "no-retry").mkdir()
    with pytest.raises(OSError, match="transient failure"):
        run_blocks(
            cluster.client,
            fail_first_attempt,
            blocks,
            phase="flaky",
            retries=0,
            marker_dir=str(tmp_path / "no-retry"),
        )


@pytest.mark.parametrize(
    ("error", "raised"),
    [("client", ModelClientError), ("server-4xx", ModelServerError)],
)
def test_errors_that_cannot_improve_are_not_retried(
    cluster: JobCluster, tmp_path: Path, error: str, raised: type[Exception]
) -> None:
    """Check that user errors and non-retryable model errors raise at once."""
    with pytest.raises(raised, match="block 0"):
        run_blocks(
            cluster.client,
            fail_first_attempt_with,
            [0],
            phase="no-retry",
            retries=3,
            marker_dir=str(tmp_path),
            error=error,
        )

    assert (tmp_path / "attempted-0").read_text() == "1"


def test_retries_are_logged(
    cluster: JobCluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Check that each retried block is logged at WARNING with its error."""
    with caplog.at_level(logging.WARNING, logger="openclarify.cluster.blocks"):
        results = run_blocks(
            cluster.client,
            fail_first_attempt,
            [0, 1],
            phase="flaky",
            retries=2,
            marker_dir=str(tmp_path),
        )

    assert results == [0, 10]
    warnings = sorted(
        r.getMessage() for r in caplog.records if r.name.endswith("blocks")
    )
    assert warnings == [
        f"flaky: block {block} failed (attempt 1, 2 retries allowed): "
        f"transient failure of block {block}; retrying"
        for block in (0, 1)
    ]


def test_progress_is_logged_per_phase(
    cluster: JobCluster,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that progress names the phase, blocks done of total and rows/s."""
    monkeypatch.setattr(blocks_module, "PROGRESS_INTERVAL", 0.0)
    data = np.ones(60)
    blocks = _numbered_blocks(len(data), 10)

    with caplog.at_level(logging.INFO, logger="openclarify.cluster.blocks"):
        run_blocks(
            cluster.client,
            block_statistics,
            blocks,
            phase="predict",
            rows=[stop - start for _, start, stop in blocks],
            data=data,
            job_seed=JOB_SEED,
        )

    messages = [r.getMessage() for r in caplog.records if r.name.endswith("blocks")]
    assert [m.split(" of ")[0] for m in messages] == [
        f"predict: {done}" for done in range(1, len(blocks) + 1)
    ]
    assert messages[-1].startswith(f"predict: {len(blocks)} of {len(blocks)} blocks")
    assert messages[-1].endswith("rows/s)")


def test_progress_is_rate_limited(
    cluster: JobCluster,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Check that a phase shorter than the interval logs only its summary line."""
    monkeypatch.setattr(blocks_module, "PROGRESS_INTERVAL", 3600.0)
    with caplog.at_level(logging.INFO, logger="openclarify.cluster.blocks"):
        run_blocks(cluster.client, fail_on_block_three, [0, 1, 2], phase="quick")

    messages = [r.getMessage() for r in caplog.records if r.name.endswith("blocks")]
    assert len(messages) == 1
    assert messages[0].startswith("quick: 3 of 3 blocks done in ")


def test_no_blocks_gives_no_results(cluster: JobCluster) -> None:
    """Check that an empty block list returns an empty list at once."""
    assert run_blocks(cluster.client, fail_on_block_three, [], phase="none") == []


def test_rows_must_match_blocks(cluster: JobCluster) -> None:
    """Check that a row count list of the wrong length is rejected up front."""
    with pytest.raises(ValueError, match="'rows': got 2 entries for 3 blocks"):
        run_blocks(
            cluster.client, fail_on_block_three, [0, 1, 2], phase="r", rows=[1, 1]
        )
