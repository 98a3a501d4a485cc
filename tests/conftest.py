"""Fixtures shared by every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

_OUR_PREFIX = "OPENCLARIFY_"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep openclarify's environment variables out of every test."""
    for name in list(os.environ):
        if name.startswith(_OUR_PREFIX) and name != "OPENCLARIFY_CACHE_DIR":
            monkeypatch.delenv(name, raising=False)
    yield
