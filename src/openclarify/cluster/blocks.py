"""The block executor: map a pure function over blocks of rows on the cluster.

A block is the unit of work of the job (predict it, explain it, write its part
file). :func:`block_ranges` cuts the rows into blocks, :func:`block_seed` gives
each block its own seed derived from the job seed, and :func:`run_blocks` runs
the blocks on the Dask workers and returns the results in block order. None of
the three depends on how many hosts or workers there are, so the results do
not either.
"""

from __future__ import annotations

import logging
import pickle
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from distributed import Client, Future, as_completed

from openclarify.errors import ClientError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PROGRESS_INTERVAL = 2.0
# Shared arguments up to this pickled size are sent with every task.
SHARED_INLINE_BYTES = 1 << 20
RETRY_WARNING = "%s: block %d failed (attempt %d, %d retries allowed): %s; retrying"

_BAD_BLOCK_ROWS = (
    "block_ranges parameter 'block_rows': got {value!r}; an integer of at least 1 "
    "is accepted. Pass the number of rows each block should hold."
)
_BAD_N_ROWS = (
    "block_ranges parameter 'n_rows': got {value!r}; an integer of at least 0 is "
    "accepted. Pass the number of rows of the dataset."
)
_BAD_SEED = (
    "block_seed parameter {name!r}: got {value!r}; {accepted} is accepted. Pass "
    "{remedy}."
)
_BAD_ROWS = (
    "run_blocks parameter 'rows': got {got} entries for {n_blocks} blocks; one row "
    "count per block (or None) is accepted. Pass the row count of each block."
)


def block_ranges(n_rows: int, block_rows: int) -> list[tuple[int, int]]:
    """Cut ``n_rows`` rows into consecutive blocks of at most ``block_rows`` rows.

    Parameters
    ----------
    n_rows : int
        The number of rows, at least 0.
    block_rows : int
        The largest number of rows in a block, at least 1.

    Returns
    -------
    list of (int, int)
        ``(start, stop)`` half-open row ranges in order; every block holds
        ``block_rows`` rows except the last, which holds the rest. Empty when
        ``n_rows`` is 0.

    Raises
    ------
    ValueError
        If either argument is not an integer in its range.

    Examples
    --------
    >>> block_ranges(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if not _is_int(block_rows) or block_rows < 1:
        raise ValueError(_BAD_BLOCK_ROWS.format(value=block_rows))
    if not _is_int(n_rows) or n_rows < 0:
        raise ValueError(_BAD_N_ROWS.format(value=n_rows))
    return [
        (start, min(start + block_rows, n_rows))
        for start in range(0, n_rows, block_rows)
    ]


def block_seed(job_seed: int | None, block_number: int) -> int:
    """Return the random seed of one block, derived from the job's seed.

    Parameters
    ----------
    job_seed : int or None
        The job's seed (for example the SHAP ``seed`` key), at least 0. None
        draws fresh entropy from the operating system, so the result differs
        from call to call.
    block_number : int
        The 0-based position of the block in the job, at least 0.

    Returns
    -------
    int
        A seed in ``[0, 2**32)``, usable by ``numpy.random.default_rng`` and
        ``numpy.random.RandomState``.

    Raises
    ------
    ValueError
        If an argument is negative or not an integer.

    Notes
    -----
    The seed is the first 32-bit word of ``numpy.random.SeedSequence(job_seed,
    spawn_key=(block_number,))``: the child sequence ``block_number`` of the
    job's sequence. Seeds of different blocks are independent streams and do
    not depend on which worker runs the block.
    """
    if job_seed is not None and (not _is_int(job_seed) or job_seed < 0):
        raise ValueError(
            _BAD_SEED.format(
                name="job_seed",
                value=job_seed,
                accepted="None or an integer of at least 0",
                remedy="the job's seed, or None",
            )
        )
    if not _is_int(block_number) or block_number < 0:
        raise ValueError(
            _BAD_SEED.format(
                name="block_number",
                value=block_number,
                accepted="an integer of at least 0",
                remedy="the 0-based position of the block",
            )
        )
    sequence = np.random.SeedSequence(job_seed, spawn_key=(block_number,))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def run_blocks(
    client: Client,
    func: Callable[..., R],
    blocks: Sequence[T],
    *,
    phase: str,
    rows: Sequence[int] | None = None,
    retries: int = 3,
    **shared: Any,
) -> list[R]:
    """Run ``func(block, **shared)`` for every block on the cluster.

    Parameters
    ----------
    client : distributed.Client
        A client of the job's cluster (``JobCluster.client``).
    func : callable
        A module-level pure function ``func(block, **shared) -> result``; it is
        shipped to the workers by reference, so it must be importable there.
    blocks : sequence
        The blocks, for example row ranges or small frames; each is sent with
        its own task.
    phase : str
        The name of the phase, used in task keys and in the progress log.
    rows : sequence of int or None, default=None
        The number of rows of each block, for the rows-per-second figure of the
        progress log.
    retries : int, default=3
        How many times a block whose task raised is run again before its
        exception propagates; each retry is logged at WARNING. Exceptions that
        cannot get better are not retried: a ``ClientError`` (the user's input
        is wrong) or an exception whose ``retryable`` attribute is False (such
        as a ``ModelServerError`` for a 4xx answer). A worker that dies
        mid-task is handled separately: the scheduler reruns its tasks
        elsewhere, up to the Dask setting
        ``distributed.scheduler.allowed-failures`` times.
    **shared
        Arguments common to every block, passed to ``func`` by keyword. One
        that pickles to at most ``SHARED_INLINE_BYTES`` goes with every task;
        a larger one reaches every worker once, as the result of a task that
        the scheduler recomputes if the worker holding it dies.

    Returns
    -------
    list
        One result per block, in the order of ``blocks``.

    Raises
    ------
    Exception
        The exception of the first block that failed beyond its retries, with
        its own type; the remaining tasks are cancelled and no partial result
        is returned.
    ValueError
        If ``rows`` does not hold one entry per block.

    Notes
    -----
    Progress is logged at INFO: blocks done of the total and rows per second,
    at most every two seconds, plus once at the end.
    """
    n_blocks = len(blocks)
    if rows is not None and len(rows) != n_blocks:
        raise ValueError(_BAD_ROWS.format(got=len(rows), n_blocks=n_blocks))
    if n_blocks == 0:
        return []

    # Small shared arguments ride along with every task, so any worker can
    # take any block. A large one travels once per worker instead, as the
    # result of a task of its own rather than scattered data: a worker that
    # dies holding it makes the scheduler recompute it, where a scatter would
    # lose it (or hang, when the worker dies during a broadcast).
    token = uuid.uuid4().hex[:8]
    inline = {
        name: value
        for name, value in shared.items()
        if _pickled_size(value) <= SHARED_INLINE_BYTES
    }
    shared_futures = {
        name: client.submit(_shared_value, value, key=f"{phase}-{token}-{name}")
        for name, value in shared.items()
        if name not in inline
    }
    position: dict[Any, tuple[int, int]] = {}

    def submit(number: int, attempt: int) -> Future:
        future = client.submit(
            _call_block,
            func,
            blocks[number],
            inline,
            shared_futures,
            key=f"{phase}-{token}-{number}-{attempt}",
            pure=False,
        )
        position[future.key] = (number, attempt)
        return future

    futures = [submit(number, 0) for number in range(n_blocks)]
    progress = _Progress(phase, n_blocks, rows)
    results: list[Any] = [None] * n_blocks
    pending = as_completed(futures, loop=client.loop)
    try:
        for future in pending:
            number, attempt = position.pop(future.key)
            if future.status == "error":
                error = future.exception()
                if attempt >= retries or not _is_retryable(error):
                    raise error.with_traceback(future.traceback())
                logger.warning(
                    RETRY_WARNING, phase, number, attempt + 1, retries, error
                )
                retry = submit(number, attempt + 1)
                futures.append(retry)
                pending.add(retry)
                continue
            results[number] = future.result()
            progress.block_done(number)
    except BaseException:
        # Stop the blocks still queued or running; their results are not wanted.
        client.cancel(futures)
        raise
    finally:
        for shared_future in shared_futures.values():
            shared_future.release()

    progress.finish()
    return results


def _shared_value(value: T) -> T:
    return value


def _call_block(
    func: Callable[..., R],
    block: Any,
    inline: dict[str, Any],
    shared: dict[str, Any],
) -> R:
    return func(block, **inline, **shared)


def _pickled_size(value: Any) -> int:
    # Arrays and frames tell their size without being pickled an extra time.
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(deep=True))
    try:
        return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # not picklable here: let Dask's serialisers handle it
        return SHARED_INLINE_BYTES + 1


class _Progress:
    """Log blocks done and rows per second, at most every PROGRESS_INTERVAL."""

    def __init__(self, phase: str, n_blocks: int, rows: Sequence[int] | None) -> None:
        self.phase = phase
        self.n_blocks = n_blocks
        self.rows = rows
        self.n_done = 0
        self.rows_done = 0
        self.start = time.monotonic()
        self.last_log = self.start

    def block_done(self, number: int) -> None:
        self.n_done += 1
        if self.rows is not None:
            self.rows_done += int(self.rows[number])
        now = time.monotonic()
        if now - self.last_log >= PROGRESS_INTERVAL and self.n_done < self.n_blocks:
            self.last_log = now
            self._log(now)

    def finish(self) -> None:
        self._log(time.monotonic())

    def _log(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        if self.rows is None:
            logger.info(
                "%s: %d of %d blocks done in %.1f s",
                self.phase,
                self.n_done,
                self.n_blocks,
                elapsed,
            )
        else:
            logger.info(
                "%s: %d of %d blocks done in %.1f s (%.0f rows/s)",
                self.phase,
                self.n_done,
                self.n_blocks,
                elapsed,
                self.rows_done / elapsed,
            )


def _is_retryable(error: BaseException) -> bool:
    # The user's input will not get better by asking again.
    if isinstance(error, ClientError):
        return False
    return getattr(error, "retryable", True) is not False


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
