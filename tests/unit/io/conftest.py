"""Fixtures shared by the io tests: config factories and file writers."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openclarify.config.model import AnalysisConfig, MethodsConfig


@pytest.fixture
def make_config() -> Callable[..., AnalysisConfig]:
    """Build an AnalysisConfig with no methods; keyword arguments set keys."""

    def build(dataset_type: str = "text/csv", **keys: Any) -> AnalysisConfig:
        return AnalysisConfig(
            dataset_type=dataset_type, methods=MethodsConfig(), **keys
        )

    return build


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write text (gzip when asked) to a file under tmp_path and return its path."""

    def put(name: str, text: str, *, compress: bool = False) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if compress else data)
        return path

    return put
