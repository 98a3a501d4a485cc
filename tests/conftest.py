"""Fixtures shared by every test."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_OUR_PREFIX = "OPENCLARIFY_"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep openclarify's environment variables out of every test."""
    for name in list(os.environ):
        if name.startswith(_OUR_PREFIX) and name != "OPENCLARIFY_CACHE_DIR":
            monkeypatch.delenv(name, raising=False)
    yield


def _assert_close(actual: Any, expected: Any, where: str) -> None:
    # Same structure; numbers to 1e-9 (relative or absolute); the rest equal.
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert sorted(actual) == sorted(expected), where
        for key in expected:
            _assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            _assert_close(got, want, f"{where}[{index}]")
    elif isinstance(expected, float) or (
        isinstance(expected, int) and not isinstance(expected, bool)
    ):
        assert isinstance(actual, int | float), where
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), (
            f"{where}: {actual} != {expected}"
        )
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.fixture
def assert_close() -> Callable[[Any, Any, str], None]:
    """Compare a result with a golden one: same keys, numbers to 1e-9."""
    return _assert_close
