"""Tests of how rows are cut into blocks and how each block gets its seed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openclarify.cluster import block_ranges, block_seed


@given(n_rows=st.integers(0, 5000), block_rows=st.integers(1, 700))
def test_block_ranges_cover_rows_once_in_order(n_rows: int, block_rows: int) -> None:
    """Check that blocks tile the rows in order, each full except the last."""
    ranges = block_ranges(n_rows, block_rows)

    covered = [row for start, stop in ranges for row in range(start, stop)]
    assert covered == list(range(n_rows))
    assert len(ranges) == -(-n_rows // block_rows)
    sizes = [stop - start for start, stop in ranges]
    assert all(size == block_rows for size in sizes[:-1])
    assert all(0 < size <= block_rows for size in sizes)


def test_block_ranges_agree_with_numpy_split() -> None:
    """Check that block boundaries match numpy's split at multiples of the size."""
    n_rows, block_rows = 1003, 100
    rows = np.arange(n_rows)

    pieces = np.split(rows, np.arange(block_rows, n_rows, block_rows))

    expected = [(int(piece[0]), int(piece[-1]) + 1) for piece in pieces]
    assert block_ranges(n_rows, block_rows) == expected


@pytest.mark.parametrize(
    ("n_rows", "block_rows", "match"),
    [
        (10, 0, "'block_rows': got 0"),
        (10, -3, "'block_rows': got -3"),
        (10, 2.5, "'block_rows': got 2.5"),
        (10, True, "'block_rows': got True"),
        (-1, 5, "'n_rows': got -1"),
        (3.0, 5, "'n_rows': got 3.0"),
    ],
)
def test_block_ranges_rejects_bad_sizes(
    n_rows: object, block_rows: object, match: str
) -> None:
    """Check that block_ranges names the argument and value it cannot use."""
    with pytest.raises(ValueError, match=match):
        block_ranges(n_rows, block_rows)  # type: ignore[arg-type]


def test_block_seed_is_the_spawned_child_of_the_job_seed() -> None:
    """Check that block k's seed is the k-th child SeedSequence of the job seed."""
    job_seed = 20241203
    children = np.random.SeedSequence(job_seed).spawn(50)

    expected = [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]
    assert [block_seed(job_seed, number) for number in range(50)] == expected


def test_block_seed_does_not_depend_on_call_order() -> None:
    """Check that a block's seed is the same whichever worker asks, in any order."""
    numbers = list(range(40))
    forward = {number: block_seed(7, number) for number in numbers}
    backward = {number: block_seed(7, number) for number in reversed(numbers)}

    assert forward == backward
    assert len(set(forward.values())) == len(numbers)
    assert all(0 <= seed < 2**32 for seed in forward.values())


def test_block_seed_differs_between_job_seeds() -> None:
    """Check that two job seeds give different streams for the same block."""
    assert block_seed(1, 0) != block_seed(2, 0)
    rng_a = np.random.default_rng(block_seed(1, 3))
    rng_b = np.random.default_rng(block_seed(1, 3))
    assert np.array_equal(rng_a.random(5), rng_b.random(5))


def test_block_seed_without_job_seed_is_fresh() -> None:
    """Check that no job seed gives fresh entropy instead of a fixed seed."""
    seeds = {block_seed(None, 0) for _ in range(5)}

    assert len(seeds) > 1


@pytest.mark.parametrize(
    ("job_seed", "block_number", "match"),
    [
        (-1, 0, "'job_seed': got -1"),
        ("7", 0, "'job_seed': got '7'"),
        (1, -2, "'block_number': got -2"),
        (1, 1.0, "'block_number': got 1.0"),
    ],
)
def test_block_seed_rejects_bad_arguments(
    job_seed: object, block_number: object, match: str
) -> None:
    """Check that block_seed names the argument and value it cannot use."""
    with pytest.raises(ValueError, match=match):
        block_seed(job_seed, block_number)  # type: ignore[arg-type]
