"""What a valid config parses to: defaults, canonical spellings, normalisation."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from _config_cases import DELETE, bias_config, shap_config, with_changes
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.config import (
    POST_TRAINING_METHODS,
    PRE_TRAINING_METHODS,
    AnalysisConfig,
    FacetConfig,
    dump_config,
    parse_config,
)


def test_top_level_defaults() -> None:
    """Check that absent optional keys take the contract defaults."""
    config = parse_config(bias_config())

    assert config.version == "1.0"
    assert config.probability_threshold == 0.5
    assert isinstance(config.probability_threshold, float)
    assert config.predicted_label is None
    assert config.excluded_columns is None
    assert config.methods.shap is None and config.methods.pdp is None


def test_shap_and_pdp_defaults() -> None:
    """Check the defaults of methods.shap and methods.pdp."""
    config = parse_config(with_changes(shap_config(), {"methods.pdp": {}}))

    shap = config.methods.shap
    assert shap is not None
    assert shap.agg_method == "mean_abs"
    assert shap.use_logit is False
    assert shap.save_local_shap_values is False
    assert shap.num_clusters is None and shap.seed is None
    assert config.methods.pdp is not None
    assert config.methods.pdp.grid_resolution == 15
    assert config.methods.pdp.top_k_features == 10


def test_report_defaults() -> None:
    """Check that an empty methods.report takes the default name and title."""
    config = parse_config(with_changes(bias_config(), {"methods.report": {}}))

    assert config.methods.report is not None
    assert config.methods.report.name == "report"
    assert config.methods.report.title == "Analysis Report"


def test_report_absent_stays_none() -> None:
    """Check that no report section is invented when methods.report is absent."""
    config = parse_config(with_changes(bias_config(), {"methods.report": DELETE}))

    assert config.methods.report is None


@pytest.mark.parametrize(
    ("changes", "content_type", "accept_type"),
    [
        ({}, "text/csv", "text/csv"),
        (
            {
                "predictor.content_type": "application/json",
                "predictor.content_template": "$records",
                "predictor.record_template": "$features",
            },
            "application/json",
            "application/json",
        ),
        ({"predictor.accept_type": "application/json"}, "text/csv", "application/json"),
        (
            {
                "dataset_type": "application/jsonlines",
                "features": "x",
                "label": "y",
                "predictor.content_template": '{"f": $features}',
            },
            "application/jsonlines",
            "application/jsonlines",
        ),
        (
            {
                "dataset_type": "application/x-parquet",
                "predictor.content_type": "text/csv",
            },
            "text/csv",
            "text/csv",
        ),
    ],
)
def test_predictor_media_defaults(
    changes: dict[str, Any], content_type: str, accept_type: str
) -> None:
    """Check that content_type defaults to dataset_type and accept_type to it."""
    config = parse_config(with_changes(shap_config(), changes))

    assert config.predictor is not None
    assert config.predictor.content_type == content_type
    assert config.predictor.accept_type == accept_type


@pytest.mark.parametrize(
    ("path", "given_value", "expected"),
    [
        ("dataset_type", "TEXT/CSV", "text/csv"),
        ("methods.shap.agg_method", "Mean_SQ", "mean_sq"),
        ("methods.shap.agg_method", "MEDIAN", "median"),
        ("predictor.accept_type", "Text/CSV", "text/csv"),
        ("predictor.content_type", "TEXT/csv", "text/csv"),
        ("version", "1.0", "1.0"),
    ],
)
def test_enums_ignore_case(path: str, given_value: str, expected: str) -> None:
    """Check that enum strings are matched without case and stored canonically."""
    config: Any = parse_config(with_changes(shap_config(), {path: given_value}))

    for name in path.split("."):
        config = getattr(config, name)
    assert config == expected


@pytest.mark.parametrize(
    ("given_codes", "expected"),
    [
        ("all", PRE_TRAINING_METHODS),
        ("ALL", PRE_TRAINING_METHODS),
        (["ci", "Dpl", "kl"], ("CI", "DPL", "KL")),
        (["KS", "ci", "KS"], ("KS", "CI")),
    ],
)
def test_pre_training_codes(given_codes: Any, expected: tuple[str, ...]) -> None:
    """Check that 'all' expands to the registry and codes take canonical case."""
    changes = {"methods.pre_training_bias.methods": given_codes}
    config = parse_config(with_changes(bias_config(), changes))

    assert config.methods.pre_training_bias is not None
    assert config.methods.pre_training_bias.methods == expected


def test_post_training_all_expands() -> None:
    """Check that post-training 'all' expands to every registered code, in order."""
    changes = {"methods.post_training_bias.methods": "All"}
    config = parse_config(with_changes(bias_config(), changes))

    assert config.methods.post_training_bias is not None
    assert config.methods.post_training_bias.methods == POST_TRAINING_METHODS
    assert "SD" in POST_TRAINING_METHODS and "GE" in POST_TRAINING_METHODS


def test_null_counts_as_absent() -> None:
    """Check that optional keys set to null take their defaults."""
    changes = {"probability_threshold": None, "group_variable": None, "headers": None}
    config = parse_config(with_changes(bias_config(), changes))

    assert config.probability_threshold == 0.5
    assert config.group_variable is None and config.headers is None


def test_lists_become_tuples() -> None:
    """Check that JSON lists are stored as tuples, preserving values and order."""
    changes = {
        "excluded_columns": ["age", 2],
        "facet": [
            {"name_or_index": "sex", "value_or_threshold": ["f", 1, 2.5]},
            {"name_or_index": 1, "value_or_threshold": []},
            {"name_or_index": 0},
        ],
        "label_values_or_threshold": [0.5],
    }
    config = parse_config(with_changes(bias_config(), changes))

    assert config.headers == ("y", "age", "sex")
    assert config.excluded_columns == ("age", 2)
    assert config.label_values_or_threshold == (0.5,)
    assert config.facet == (
        FacetConfig("sex", ("f", 1, 2.5)),
        FacetConfig(1, None),
        FacetConfig(0, None),
    )


def test_probability_threshold_int_becomes_float() -> None:
    """Check that an integer probability threshold is accepted as a float."""
    config = parse_config(with_changes(bias_config(), {"probability_threshold": 1}))

    assert config.probability_threshold == 1.0
    assert isinstance(config.probability_threshold, float)


@pytest.mark.parametrize(
    "baseline",
    [
        "s3://bucket/prefix/baseline.csv",
        [[1, "a", None, 2.5], [3, "b", 4, 0.0]],
        [{"features": [1, 2]}],
        {"instances": [[1, 2]]},
    ],
)
def test_baseline_forms(baseline: Any) -> None:
    """Check that every documented baseline form is kept, rows as tuples."""
    config = parse_config(
        with_changes(shap_config(), {"methods.shap.baseline": baseline})
    )

    assert config.methods.shap is not None
    stored = config.methods.shap.baseline
    if isinstance(baseline, list):
        assert isinstance(stored, tuple)
        assert [
            list(row) if isinstance(row, tuple) else row for row in stored
        ] == baseline
    else:
        assert stored == baseline


def test_s3_uris_are_accepted() -> None:
    """Check that s3:// dataset URIs pass validation untouched."""
    changes = {
        "dataset_uri": "s3://bucket/data/",
        "facet_dataset_uri": "s3://bucket/facets.csv",
        "predicted_label_dataset_uri": "s3://bucket/preds.csv",
    }
    config = parse_config(with_changes(bias_config(), changes))

    assert config.dataset_uri == "s3://bucket/data/"
    assert config.facet_dataset_uri == "s3://bucket/facets.csv"
    assert config.predicted_label_dataset_uri == "s3://bucket/preds.csv"


@pytest.mark.parametrize(
    "changes",
    [{"predicted_label": "p"}, {"predicted_label_dataset_uri": "s3://b/p.csv"}],
)
def test_post_training_without_predictor(changes: dict[str, Any]) -> None:
    """Check that predictions from the data make the predictor optional."""
    config = parse_config(with_changes(bias_config(), {**changes, "predictor": DELETE}))

    assert config.predictor is None
    assert config.needs_model is False


def test_model_and_endpoint_warns(caplog: pytest.LogCaptureFixture) -> None:
    """Check that a model plus an endpoint is accepted, with a warning."""
    changes = {"predictor.model_name": "my-model"}

    with caplog.at_level(logging.WARNING, logger="openclarify.config"):
        config = parse_config(with_changes(shap_config(), changes))

    assert config.predictor is not None
    assert config.predictor.endpoint_name == "my-endpoint"
    assert config.predictor.model_name == "my-model"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'my-endpoint'" in warnings[0].getMessage()


def test_parsed_config_is_frozen() -> None:
    """Check that a parsed config cannot be changed."""
    config = parse_config(bias_config())

    with pytest.raises(dataclasses.FrozenInstanceError):
        config.label = "other"  # type: ignore[misc]


@pytest.mark.parametrize("base", [bias_config, shap_config])
def test_dump_round_trip(base: Any) -> None:
    """Check that dumping a parsed config and parsing it again gives it back."""
    config = parse_config(base())

    assert parse_config(dump_config(config)) == config


_names = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
_columns = st.one_of(_names, st.integers(min_value=0, max_value=50))
_values = st.one_of(_names, st.integers(-5, 5), st.floats(-2, 2, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(
    label=_columns,
    values=st.lists(_values, min_size=1, max_size=3),
    facets=st.lists(
        st.fixed_dictionaries(
            {"name_or_index": _columns},
            optional={"value_or_threshold": st.lists(_values, min_size=1, max_size=3)},
        ),
        min_size=1,
        max_size=3,
    ),
    codes=st.lists(st.sampled_from(PRE_TRAINING_METHODS), min_size=1, unique=True),
    threshold=st.floats(0, 1),
)
def test_bias_configs_round_trip(
    label: Any, values: list[Any], facets: list[Any], codes: list[str], threshold: float
) -> None:
    """Check that generated bias configs keep their values through parse and dump."""
    raw = {
        "dataset_type": "text/csv",
        "label": label,
        "label_values_or_threshold": values,
        "facet": facets,
        "probability_threshold": threshold,
        "methods": {"pre_training_bias": {"methods": [c.lower() for c in codes]}},
    }

    config = parse_config(raw)

    assert isinstance(config, AnalysisConfig)
    assert config.label == label
    assert list(config.label_values_or_threshold or ()) == values
    assert [f.name_or_index for f in config.facet] == [
        f["name_or_index"] for f in facets
    ]
    assert config.methods.pre_training_bias is not None
    assert list(config.methods.pre_training_bias.methods) == codes
    assert parse_config(dump_config(config)) == config
