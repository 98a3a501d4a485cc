"""Configs written by the SageMaker SDK parse, and keep their values.

The fixtures come from ``tests/golden/make_sdk_configs.py`` (SDK
``_AnalysisConfigGenerator``, validated with the SDK schema).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from openclarify.config import (
    POST_TRAINING_METHODS,
    PRE_TRAINING_METHODS,
    AnalysisConfig,
    check_config,
    dump_config,
    load_config,
    parse_config,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sdk_configs"
PATHS = sorted(FIXTURES.glob("*.json"))
RUN_KINDS = ("pre_", "post_", "bias_", "expl_", "bias_and_expl")

TOP_SCALARS = (
    "dataset_type",
    "dataset_uri",
    "label",
    "predicted_label",
    "features",
    "group_variable",
    "joinsource_name_or_index",
    "facet_dataset_uri",
    "predicted_label_dataset_uri",
)
TOP_LISTS = (
    "headers",
    "label_values_or_threshold",
    "excluded_columns",
    "facet_headers",
    "predicted_label_headers",
)
SHAP_DEFAULTS = {"agg_method": "mean_abs", "use_logit": False}
PDP_DEFAULTS = {"grid_resolution": 15, "top_k_features": 10}


def as_json(value: Any) -> Any:
    """Turn tuples back into lists so parsed values compare with the JSON."""
    if isinstance(value, tuple | list):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {name: as_json(item) for name, item in value.items()}
    return value


def test_fixture_set_is_broad() -> None:
    """Check that the SDK fixtures exist and cover the five run kinds."""
    names = [path.stem for path in PATHS]

    assert len(names) >= 35
    for kind in RUN_KINDS:
        assert any(name.startswith(kind) for name in names), kind


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_sdk_config_parses(path: Path) -> None:
    """Check that an SDK-generated config is valid, with no problem reported."""
    raw = json.loads(path.read_text(encoding="utf-8"))

    assert check_config(raw)[1] == []
    assert isinstance(load_config(path), AnalysisConfig)


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_sdk_config_values(path: Path) -> None:
    """Check that every value of an SDK config survives parsing."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    config = parse_config(raw)

    for key in TOP_SCALARS:
        assert getattr(config, key) == raw.get(key), key
    for key in TOP_LISTS:
        assert as_json(getattr(config, key)) == raw.get(key), key
    assert config.probability_threshold == raw.get("probability_threshold", 0.5)
    assert [
        (facet.name_or_index, as_json(facet.value_or_threshold))
        for facet in config.facet
    ] == [
        (entry["name_or_index"], entry.get("value_or_threshold") or None)
        for entry in raw.get("facet", [])
    ]
    _check_methods(config, raw["methods"])
    _check_predictor(config, raw)


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_sdk_config_dump_round_trip(path: Path) -> None:
    """Check that a parsed SDK config dumps to JSON that parses back equal."""
    config = load_config(path)

    dumped = json.loads(json.dumps(dump_config(config)))

    assert parse_config(dumped) == config


def _check_methods(config: AnalysisConfig, methods: dict[str, Any]) -> None:
    registries = {
        "pre_training_bias": PRE_TRAINING_METHODS,
        "post_training_bias": POST_TRAINING_METHODS,
    }
    for name, registry in registries.items():
        section = getattr(config.methods, name)
        if name not in methods:
            assert section is None
            continue
        given = methods[name]["methods"]
        expected = registry if given == "all" else tuple(given)
        assert section.methods == expected

    sections = {"shap": SHAP_DEFAULTS, "pdp": PDP_DEFAULTS, "report": {}}
    for name, defaults in sections.items():
        section = getattr(config.methods, name)
        if name not in methods:
            assert section is None
            continue
        for key, expected in {**defaults, **methods[name]}.items():
            assert as_json(getattr(section, key)) == expected, (name, key)


def _check_predictor(config: AnalysisConfig, raw: dict[str, Any]) -> None:
    if "predictor" not in raw:
        assert config.predictor is None
        return
    given = raw["predictor"]
    assert config.predictor is not None

    for key, expected in given.items():
        assert as_json(getattr(config.predictor, key)) == expected, key
    content_type = given.get("content_type", raw["dataset_type"])
    assert config.predictor.content_type == content_type
    assert config.predictor.accept_type == given.get("accept_type", content_type)
