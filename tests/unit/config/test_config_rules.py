"""Validation rules across keys, and how problems are reported."""

from __future__ import annotations

from typing import Any

import pytest
from _config_cases import DELETE, bias_config, check_case, shap_config, with_changes

from openclarify.config import check_config, parse_config
from openclarify.errors import ConfigError, UnsupportedConfigError

B, S = bias_config, shap_config
CE, UE = ConfigError, UnsupportedConfigError

# (id, base config, changes by dotted path, error class, error key, message pattern)
RULE_CASES: list[tuple[str, Any, dict[str, Any], type[ConfigError], str, str]] = [
    # Cross-key rules.
    (
        "bias-no-label",
        B,
        {"label": DELETE},
        CE,
        "label",
        "required when methods.pre_training_bias and methods.post_training_bias",
    ),
    (
        "bias-no-values",
        B,
        {"label_values_or_threshold": DELETE},
        CE,
        "label_values_or_threshold",
        "required",
    ),
    ("bias-no-facet", B, {"facet": DELETE}, CE, "facet", "required when"),
    (
        "post-no-predictor",
        B,
        {"predictor": DELETE},
        CE,
        "predictor",
        "unless predicted_label or predicted_label_dataset_uri",
    ),
    (
        "shap-no-predictor",
        S,
        {"predictor": DELETE},
        CE,
        "predictor",
        "methods.shap and methods.pdp",
    ),
    (
        "pdp-no-predictor",
        S,
        {"predictor": DELETE, "methods.shap": DELETE, "methods.pdp.features": [1]},
        CE,
        "predictor",
        "methods.pdp is given",
    ),
    (
        "pdp-no-features",
        S,
        {"methods.shap": DELETE},
        CE,
        "methods.pdp.features",
        "unless methods.shap",
    ),
    (
        "baseline-and-clusters",
        S,
        {"methods.shap.num_clusters": 2},
        CE,
        "methods.shap.num_clusters",
        "not accepted together with methods.shap.baseline",
    ),
    (
        "no-target",
        S,
        {"predictor": {"instance_type": "ml.m5.xlarge"}},
        CE,
        "predictor.model_name",
        "model_name or endpoint_name",
    ),
    (
        "prefix-with-endpoint",
        S,
        {"predictor.endpoint_name_prefix": "clarify"},
        CE,
        "predictor.endpoint_name_prefix",
        "predictor.endpoint_name",
    ),
    (
        "jsonl-no-template",
        S,
        {"predictor.content_type": "application/jsonlines"},
        CE,
        "predictor.content_template",
        r"\$features",
    ),
    (
        "jsonl-bad-template",
        S,
        {
            "predictor.content_type": "application/jsonlines",
            "predictor.content_template": '{"x": $record}',
        },
        CE,
        "predictor.content_template",
        "containing",
    ),
    (
        "jsonl-default",
        S,
        {"dataset_type": "application/jsonlines", "label": "y", "features": "x"},
        CE,
        "predictor.content_template",
        "application/jsonlines",
    ),
    (
        "json-no-template",
        S,
        {
            "predictor.content_type": "application/json",
            "predictor.record_template": "$features",
        },
        CE,
        "predictor.content_template",
        r"\$record",
    ),
    (
        "json-no-record",
        S,
        {
            "predictor.content_type": "application/json",
            "predictor.content_template": "$records",
        },
        CE,
        "predictor.record_template",
        "required",
    ),
    (
        "json-bad-record",
        S,
        {
            "predictor.content_type": "application/json",
            "predictor.content_template": "$record",
            "predictor.record_template": "[1]",
        },
        CE,
        "predictor.record_template",
        r"\$features_kvp",
    ),
    (
        "json-no-features",
        B,
        {"dataset_type": "application/json", "predictor.content_type": "text/csv"},
        CE,
        "features",
        "'application/json'",
    ),
    (
        "json-label-index",
        S,
        {
            "dataset_type": "application/json",
            "features": "x",
            "predictor.content_type": "text/csv",
        },
        CE,
        "label",
        "JMESPath",
    ),
    (
        "parquet-no-content",
        S,
        {"dataset_type": "application/x-parquet"},
        CE,
        "predictor.content_type",
        "application/x-parquet",
    ),
    (
        "facet-uri-jsonl",
        B,
        {
            "dataset_type": "application/jsonlines",
            "facet_dataset_uri": "s3://b/f.csv",
            "predictor.content_type": "text/csv",
        },
        CE,
        "facet_dataset_uri",
        "text/csv",
    ),
    (
        "facet-headers-parquet",
        B,
        {
            "dataset_type": "application/x-parquet",
            "facet_headers": ["sex"],
            "predictor.content_type": "text/csv",
        },
        CE,
        "facet_headers",
        "only accepted",
    ),
    (
        "pred-uri-json",
        B,
        {
            "dataset_type": "application/json",
            "features": "x",
            "label": "y",
            "predicted_label_dataset_uri": "p.csv",
            "predictor.content_type": "text/csv",
        },
        CE,
        "predicted_label_dataset_uri",
        "text/csv",
    ),
    (
        "pred-headers-parquet",
        B,
        {
            "dataset_type": "application/x-parquet",
            "predicted_label_headers": ["p"],
            "predictor.content_type": "text/csv",
        },
        CE,
        "predicted_label_headers",
        "text/csv",
    ),
]


@pytest.mark.parametrize(
    ("base", "changes", "error_class", "key", "pattern"),
    [case[1:] for case in RULE_CASES],
    ids=[case[0] for case in RULE_CASES],
)
def test_rule_cases(
    base: Any,
    changes: dict[str, Any],
    error_class: type[ConfigError],
    key: str,
    pattern: str,
) -> None:
    """Check that each invalid change causes exactly its one expected error."""
    check_case(base, changes, error_class, key, pattern)


@pytest.mark.parametrize("base", [bias_config, shap_config])
def test_bases_are_valid(base: Any) -> None:
    """Check that the base configs are valid, so each case tests one change."""
    assert check_config(base())[1] == []


@pytest.mark.parametrize(
    ("dataset_type", "key", "value"),
    [
        ("application/x-image", "predicted_label", "p"),
        ("application/x-image", "excluded_columns", ["a"]),
        ("application/sagemakercapturejson", "excluded_columns", [1]),
    ],
)
def test_tabular_only_keys(dataset_type: str, key: str, value: Any) -> None:
    """Check that predicted_label and excluded_columns need tabular data."""
    config = with_changes(bias_config(), {"dataset_type": dataset_type, key: value})

    _, errors = check_config(config)

    assert isinstance(errors[0], UnsupportedConfigError)
    assert errors[0].key == "dataset_type"
    assert [err.key for err in errors[1:]] == [key]
    assert "only accepted when dataset_type is one of text/csv" in str(errors[1])


@pytest.mark.parametrize(
    ("section", "changes"),
    [
        ("top level", {"colour": 1}),
        ("methods", {"methods.colour": 1}),
        ("methods.pre_training_bias", {"methods.pre_training_bias.colour": 1}),
        ("methods.post_training_bias", {"methods.post_training_bias.colour": 1}),
        ("methods.report", {"methods.report.colour": 1}),
        ("predictor", {"predictor.colour": 1}),
    ],
)
def test_unknown_key_bias_sections(section: str, changes: dict[str, Any]) -> None:
    """Check that an unknown key is rejected in every section of a bias config."""
    _, errors = check_config(with_changes(bias_config(), changes))

    assert len(errors) == 1
    assert errors[0].key.endswith("colour")
    assert "unknown key" in str(errors[0])


@pytest.mark.parametrize("section", ["methods.shap", "methods.pdp"])
def test_unknown_key_explain_sections(section: str) -> None:
    """Check that an unknown key is rejected in the shap and pdp sections."""
    _, errors = check_config(with_changes(shap_config(), {f"{section}.colour": 1}))

    assert [err.key for err in errors] == [f"{section}.colour"]


def test_unknown_key_lists_only_supported_keys() -> None:
    """Check that the keys listed for an unknown key omit unsupported ones."""
    _, errors = check_config(with_changes(shap_config(), {"methods.shap.colour": 1}))

    accepted = errors[0].accepted
    assert "baseline" in accepted and "features_to_explain" in accepted
    assert "text_config" not in accepted and "image_config" not in accepted


@pytest.mark.parametrize("root", [[], "config", 3, None])
def test_root_must_be_object(root: object) -> None:
    """Check that a document that is not a JSON object is rejected."""
    with pytest.raises(ConfigError, match="expected a JSON object") as raised:
        parse_config(root)
    assert raised.value.key == "(top level)"


def test_unsupported_reported_first() -> None:
    """Check that an unsupported feature is raised before other problems."""
    config = with_changes(
        bias_config(), {"label": True, "methods.shap": {"text_config": {}}}
    )

    _, errors = check_config(config)

    assert isinstance(errors[0], UnsupportedConfigError)
    assert errors[0].feature == "shap.text_config"
    with pytest.raises(UnsupportedConfigError, match="shap.text_config"):
        parse_config(config)


def test_invalid_key_not_also_required() -> None:
    """Check that an invalid label is reported once, not also as missing."""
    _, errors = check_config(with_changes(bias_config(), {"label": 2.5}))

    assert [err.key for err in errors] == ["label"]


def test_message_names_key_value_accepted_and_hint() -> None:
    """Check that a message names key, value, what is accepted and what to do."""
    with pytest.raises(ConfigError) as raised:
        parse_config(with_changes(shap_config(), {"methods.shap.agg_method": "meen"}))

    text = str(raised.value)
    assert "'methods.shap.agg_method'" in text
    assert "'meen'" in text
    assert "one of 'mean_abs', 'median', 'mean_sq'" in text
    assert "Did you mean" in text
    assert raised.value.reason().startswith("ClientError: ")


@pytest.mark.parametrize("methods", [["shap"], "all", 3])
def test_broken_methods_not_judged_further(methods: Any) -> None:
    """Check that a malformed methods value is reported once, with no follow-ons."""
    _, errors = check_config({"dataset_type": "text/csv", "methods": methods})

    assert [err.key for err in errors] == ["methods"]
    assert "JSON object" in str(errors[0])


def test_broken_section_keeps_other_rules() -> None:
    """Check that rules unrelated to a malformed section still run."""
    config = {"dataset_type": "application/json", "methods": {"shap": "yes"}}

    _, errors = check_config(config)

    assert [err.key for err in errors] == ["methods.shap", "predictor", "features"]
