"""Shared pieces of the config validation tables: base configs and changes."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from openclarify.config import check_config, parse_config
from openclarify.errors import ConfigError

DELETE = object()


def bias_config() -> dict[str, Any]:
    """A valid CSV config running both bias stages with a model."""
    return {
        "dataset_type": "text/csv",
        "headers": ["y", "age", "sex"],
        "label": "y",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": ["DPPL"]},
            "report": {"name": "report", "title": "Analysis Report"},
        },
        "predictor": {"model_name": "m", "instance_type": "ml.m5.xlarge"},
    }


def shap_config() -> dict[str, Any]:
    """A valid CSV config running SHAP and PDP with a model."""
    return {
        "dataset_type": "text/csv",
        "label": 0,
        "methods": {
            "shap": {"baseline": [[1, 2]], "num_samples": 10},
            "pdp": {"grid_resolution": 5},
        },
        "predictor": {"endpoint_name": "my-endpoint"},
    }


def with_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``base`` with dotted paths set (or deleted)."""
    config = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, name = path.split(".")
        node = config
        for parent in parents:
            node = node.setdefault(parent, {})
        if value is DELETE:
            node.pop(name, None)
        else:
            node[name] = value
    return config


# (id, base, changes, error class, error key, message pattern)


def check_case(
    base: Any,
    changes: dict[str, Any],
    error_class: type[ConfigError],
    key: str,
    pattern: str,
) -> None:
    """Assert that one change to a base config causes exactly one expected error."""
    config = with_changes(base(), changes)

    _, errors = check_config(config)
    assert len(errors) == 1, [str(err) for err in errors]
    assert type(errors[0]) is error_class
    assert key in errors[0].key
    assert re.search(pattern, str(errors[0]))

    with pytest.raises(error_class) as raised:
        parse_config(config)
    assert str(raised.value) == str(errors[0])
