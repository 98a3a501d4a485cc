"""The key table itself: coverage of the SDK schema, defaults, dataclass fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from openclarify.config import (
    AnalysisConfig,
    FacetConfig,
    MethodsConfig,
    PdpConfig,
    PredictorConfig,
    ReportConfig,
    ShapConfig,
)
from openclarify.config.constraints import MISSING
from openclarify.config.schema import ANALYSIS_CONFIG, KeyInfo, key_reference

SDK_KEYS = Path(__file__).resolve().parents[2] / "fixtures/sdk_configs/SCHEMA_KEYS.txt"
REFERENCE = list(key_reference())
SECTIONS = {
    "": AnalysisConfig,
    "facet[]": FacetConfig,
    "methods": MethodsConfig,
    "methods.shap": ShapConfig,
    "methods.pdp": PdpConfig,
    "methods.report": ReportConfig,
    "predictor": PredictorConfig,
}


def test_table_covers_sdk_schema() -> None:
    """Check that every key of the SDK schema is in the table, and no other."""
    sdk_paths = set(SDK_KEYS.read_text(encoding="utf-8").split())
    ours = {info.path for info in REFERENCE}
    unsupported = [info.path for info in REFERENCE if info.unsupported]

    not_covered = {
        path
        for path in sdk_paths - ours
        if not any(path.startswith((f"{name}.", f"{name}[].")) for name in unsupported)
    }
    assert not_covered == set()
    assert ours - sdk_paths == set()


@pytest.mark.parametrize("info", REFERENCE, ids=[info.path for info in REFERENCE])
def test_key_is_described(info: KeyInfo) -> None:
    """Check that every key has a one-line description and an accepted phrase."""
    assert info.description and "\n" not in info.description
    assert info.description.endswith(".")
    assert info.accepted


@pytest.mark.parametrize(
    "info",
    [info for info in REFERENCE if info.default is not MISSING],
    ids=lambda info: info.path,
)
def test_defaults_pass_their_constraint(info: KeyInfo) -> None:
    """Check that each default is itself a value the key accepts."""
    section = ANALYSIS_CONFIG
    *parents, name = info.path.split(".")
    for parent in parents:
        spec = next(spec for spec in section.keys if spec.name == parent)
        section = spec.constraint  # type: ignore[assignment]
    spec = next(spec for spec in section.keys if spec.name == name)

    assert spec.constraint is not None
    assert spec.constraint.convert(info.default, info.path) == info.default


@pytest.mark.parametrize("prefix", list(SECTIONS), ids=lambda p: p or "top")
def test_fields_match_supported_keys(prefix: str) -> None:
    """Check that dataclass field names are exactly the supported JSON keys."""
    depth = prefix.count(".") + 1 if prefix else 0
    keys = {
        info.path.split(".")[-1]
        for info in REFERENCE
        if not info.unsupported
        and info.path.count(".") == depth
        and (not prefix or info.path.startswith(f"{prefix}."))
        and (prefix or "[]" not in info.path)
    }

    fields = {field.name for field in dataclasses.fields(SECTIONS[prefix])}
    assert fields == keys


@pytest.mark.parametrize("prefix", ["methods.shap", "methods.pdp", "methods.report"])
def test_dataclass_defaults_match_table(prefix: str) -> None:
    """Check that the dataclass defaults agree with the table defaults."""
    section = SECTIONS[prefix]
    defaults = {
        info.path.split(".")[-1]: info.default
        for info in REFERENCE
        if info.path.startswith(f"{prefix}.") and info.default is not MISSING
    }

    assert defaults
    for field in dataclasses.fields(section):
        if field.name in defaults:
            assert field.default == defaults[field.name], field.name
