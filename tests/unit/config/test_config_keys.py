"""Validation of top-level keys: types, enums, requiredness, unknown keys."""

from __future__ import annotations

from typing import Any

import pytest
from _config_cases import DELETE, bias_config, check_case, shap_config

from openclarify.errors import ConfigError, UnsupportedConfigError

B, S = bias_config, shap_config
CE, UE = ConfigError, UnsupportedConfigError

# (id, base config, changes by dotted path, error class, error key, message pattern)
TOP_LEVEL_CASES: list[tuple[str, Any, dict[str, Any], type[ConfigError], str, str]] = [
    # Top level: types, enums, requiredness, unknown keys.
    ("no-dataset-type", B, {"dataset_type": DELETE}, CE, "dataset_type", "needs"),
    ("null-dataset-type", B, {"dataset_type": None}, CE, "dataset_type", "needs"),
    ("bad-dataset-type", B, {"dataset_type": "text/tsv"}, CE, "dataset_type", "one of"),
    ("image-data", B, {"dataset_type": "application/x-image"}, UE, "dataset_type", ""),
    (
        "image-data-case",
        B,
        {"dataset_type": "Application/X-Image"},
        UE,
        "dataset_type",
        "",
    ),
    (
        "capture-data",
        B,
        {"dataset_type": "application/sagemakercapturejson"},
        UE,
        "dataset_type",
        "not supported",
    ),
    ("version-2", B, {"version": "2.0"}, CE, "version", "'1.0'"),
    ("version-number", B, {"version": 1.0}, CE, "version", "'1.0'"),
    ("unknown-top", B, {"lable": "y"}, CE, "lable", "Did you mean 'label'"),
    ("unknown-far", B, {"zzz": 1}, CE, "zzz", "accepts version, dataset_type"),
    ("headers-str", B, {"headers": "y,age"}, CE, "headers", "list"),
    ("headers-item", B, {"headers": ["y", 3]}, CE, "headers[1]", "non-empty string"),
    ("headers-repeat", B, {"headers": ["y", "y"]}, CE, "headers", "repeated 'y'"),
    ("label-bool", B, {"label": True}, CE, "label", "column name"),
    ("label-negative", B, {"label": -1}, CE, "label", "integer >= 0"),
    ("label-float", B, {"label": 1.5}, CE, "label", "column name"),
    ("label-empty", B, {"label": ""}, CE, "label", "column name"),
    ("label-values-empty", B, {"label_values_or_threshold": []}, CE, "", "non-empty"),
    ("label-values-str", B, {"label_values_or_threshold": "1"}, CE, "", "list"),
    ("label-values-bool", B, {"label_values_or_threshold": [True]}, CE, "[0]", "str"),
    ("threshold-str", B, {"probability_threshold": "0.5"}, CE, "", "number"),
    ("threshold-bool", B, {"probability_threshold": True}, CE, "", "number"),
    ("threshold-nan", B, {"probability_threshold": float("nan")}, CE, "", "finite"),
    ("facet-object", B, {"facet": {"name_or_index": "sex"}}, CE, "facet", "list"),
    ("facet-empty", B, {"facet": []}, CE, "facet", "non-empty"),
    ("facet-no-name", B, {"facet": [{"value_or_threshold": [0]}]}, CE, "", "needs"),
    (
        "facet-unknown",
        B,
        {"facet": [{"name_or_index": "a", "x": 1}]},
        CE,
        "",
        "accepts",
    ),
    ("facet-name-bool", B, {"facet": [{"name_or_index": False}]}, CE, "", "column"),
    (
        "facet-values-str",
        B,
        {"facet": [{"name_or_index": 1, "value_or_threshold": "0"}]},
        CE,
        "facet[0].value_or_threshold",
        "list",
    ),
    ("group-object", B, {"group_variable": {}}, CE, "group_variable", "column"),
    (
        "excluded-empty",
        B,
        {"excluded_columns": []},
        CE,
        "excluded_columns",
        "non-empty",
    ),
    ("joinsource-bool", B, {"joinsource_name_or_index": True}, CE, "", "column"),
    ("facet-headers-str", B, {"facet_headers": "a"}, CE, "facet_headers", "list"),
    ("dataset-uri-num", B, {"dataset_uri": 3}, CE, "dataset_uri", "URI"),
    ("features-list", B, {"features": ["a"]}, CE, "features", "JMESPath"),
    (
        "segments",
        B,
        {"segment_config": [{"name_or_index": "a"}]},
        UE,
        "segment_config",
        "",
    ),
    ("time-series", B, {"time_series_data_config": {"item_id": "i"}}, UE, "", ""),
]


@pytest.mark.parametrize(
    ("base", "changes", "error_class", "key", "pattern"),
    [case[1:] for case in TOP_LEVEL_CASES],
    ids=[case[0] for case in TOP_LEVEL_CASES],
)
def test_top_level_cases(
    base: Any,
    changes: dict[str, Any],
    error_class: type[ConfigError],
    key: str,
    pattern: str,
) -> None:
    """Check that each invalid change causes exactly its one expected error."""
    check_case(base, changes, error_class, key, pattern)
