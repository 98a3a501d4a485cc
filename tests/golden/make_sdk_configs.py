"""Generate analysis configs with the SageMaker Python SDK, for parser tests.

Each config is built offline by ``sagemaker.clarify._AnalysisConfigGenerator``
(no AWS session or network), checked with the SDK's own
``ANALYSIS_CONFIG_SCHEMA_V1_0`` and written to
``tests/fixtures/sdk_configs/<name>.json``. The variants cover the five run
kinds (pre-training bias, post-training bias, bias, explainability, bias and
explainability) crossed with the DataConfig, BiasConfig, ModelConfig,
ModelPredictedLabelConfig, SHAPConfig and PDPConfig options that openclarify
supports. ``tests/unit/config/test_sdk_configs.py`` parses every file.

How to regenerate (the SDK is not a dependency of openclarify, so it lives in
a throwaway virtual environment)::

    python3 -m venv /tmp/sdk-venv
    /tmp/sdk-venv/bin/pip install 'sagemaker>=2.250,<3'
    /tmp/sdk-venv/bin/python tests/golden/make_sdk_configs.py

Run it from the repository root; ``--out DIR`` writes elsewhere. The script
removes stale ``*.json`` files from the output folder, writes the key paths
of the SDK schema to ``SCHEMA_KEYS.txt`` (compared with openclarify's key
table by the tests) and records the SDK version in ``SOURCE.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The v2 SDK prints a deprecation banner on import unless told not to.
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import sagemaker  # noqa: E402
from sagemaker.clarify import (  # noqa: E402
    ANALYSIS_CONFIG_SCHEMA_V1_0,
    BiasConfig,
    DataConfig,
    ModelConfig,
    ModelPredictedLabelConfig,
    PDPConfig,
    SHAPConfig,
    _AnalysisConfigGenerator,
)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_configs"

ADULT_HEADERS = [
    "Target",
    "Age",
    "Workclass",
    "fnlwgt",
    "Education",
    "Education-Num",
    "Marital Status",
    "Occupation",
    "Relationship",
    "Ethnic group",
    "Sex",
    "Capital Gain",
    "Capital Loss",
    "Hours per week",
    "Country",
]
ADULT_ROW = [38, 2, 189794, 10, 10, 3, 6, 1, 4, 1, 1092, 88, 41, 36]
JSON_HEADERS = ["Age", "Education-Num", "Sex", "Hours per week", "Target"]
INPUT = "s3://example-bucket/clarify/input/data.csv"
OUTPUT = "s3://example-bucket/clarify/output"

Generator = _AnalysisConfigGenerator


# DataConfig variants.


def csv_data(**options: Any) -> DataConfig:
    """CSV with the Adult headers and the label first."""
    options.setdefault("headers", ADULT_HEADERS)
    options.setdefault("label", "Target")
    return DataConfig(INPUT, OUTPUT, dataset_type="text/csv", **options)


def csv_no_headers() -> DataConfig:
    """CSV without headers: columns are addressed by index."""
    return DataConfig(INPUT, OUTPUT, label=0, dataset_type="text/csv")


def jsonlines_data(**options: Any) -> DataConfig:
    """JSON Lines, one object per line with a feature list and a label."""
    return DataConfig(
        INPUT,
        OUTPUT,
        dataset_type="application/jsonlines",
        headers=JSON_HEADERS,
        features="data.features",
        label="data.label",
        **options,
    )


def json_data() -> DataConfig:
    """One JSON document holding every record."""
    return DataConfig(
        INPUT,
        OUTPUT,
        dataset_type="application/json",
        headers=JSON_HEADERS,
        features="records[*].features",
        label="records[*].label",
    )


def parquet_data() -> DataConfig:
    """Parquet, columns addressed by name."""
    return DataConfig(
        INPUT,
        OUTPUT,
        dataset_type="application/x-parquet",
        headers=ADULT_HEADERS,
        label="Target",
    )


# BiasConfig, ModelConfig and ModelPredictedLabelConfig variants.


def sex_bias(**options: Any) -> BiasConfig:
    """The Adult scenario: label 1 is positive, Sex 0 is the sensitive group."""
    options.setdefault("group_name", "Age")
    return BiasConfig([1], "Sex", [0], **options)


def csv_model(**options: Any) -> ModelConfig:
    """A SageMaker model served as a shadow endpoint, CSV in and out."""
    options.setdefault("accept_type", "text/csv")
    options.setdefault("content_type", "text/csv")
    return ModelConfig(
        model_name="DEMO-clarify-model",
        instance_type="ml.m5.xlarge",
        instance_count=1,
        **options,
    )


def endpoint_model() -> ModelConfig:
    """An existing endpoint."""
    return ModelConfig(
        endpoint_name="existing-endpoint",
        accept_type="text/csv",
        content_type="text/csv",
    )


def jsonlines_model() -> ModelConfig:
    """JSON Lines requests and responses."""
    return csv_model(
        accept_type="application/jsonlines",
        content_type="application/jsonlines",
        content_template='{"features":$features}',
    )


def json_model(content_template: str, record_template: str) -> ModelConfig:
    """JSON requests built from a content and a record template."""
    return csv_model(
        accept_type="application/json",
        content_type="application/json",
        content_template=content_template,
        record_template=record_template,
    )


def threshold(value: float = 0.8) -> ModelPredictedLabelConfig:
    """Scores above ``value`` count as the positive prediction."""
    return ModelPredictedLabelConfig(probability_threshold=value)


def shap(**options: Any) -> SHAPConfig:
    """Kernel SHAP with one inline Adult baseline row unless told otherwise."""
    if "num_clusters" not in options:
        options.setdefault("baseline", [ADULT_ROW])
    options.setdefault("num_samples", 15)
    options.setdefault("agg_method", "mean_abs")
    return SHAPConfig(**options)


# The configs, by fixture name.

CONFIGS: dict[str, Callable[[], dict[str, Any]]] = {
    # Pre-training bias.
    "pre_csv_headers_all": lambda: Generator.bias_pre_training(
        csv_data(), sex_bias(), "all"
    ),
    "pre_csv_no_headers_list": lambda: Generator.bias_pre_training(
        csv_no_headers(), BiasConfig([1], 10, [0]), ["CI", "DPL", "KS"]
    ),
    "pre_multi_facet": lambda: Generator.bias_pre_training(
        csv_data(), BiasConfig([1], ["Sex", "Age"], [[0], [40]]), "all"
    ),
    "pre_multi_facet_partial_values": lambda: Generator.bias_pre_training(
        csv_data(), BiasConfig([1], ["Sex", "Ethnic group"], [[0], None]), "all"
    ),
    "pre_facet_no_values": lambda: Generator.bias_pre_training(
        csv_data(), BiasConfig([1], "Sex"), "all"
    ),
    "pre_thresholds": lambda: Generator.bias_pre_training(
        csv_data(), BiasConfig([0.5], "Age", [40], group_name="Sex"), ["CI", "CDDL"]
    ),
    "pre_string_label_values": lambda: Generator.bias_pre_training(
        csv_data(), BiasConfig([">50K", "yes"], "Workclass", ["Private"]), "all"
    ),
    "pre_jsonlines": lambda: Generator.bias_pre_training(
        jsonlines_data(), sex_bias(), "all"
    ),
    "pre_json": lambda: Generator.bias_pre_training(json_data(), sex_bias(), "all"),
    "pre_parquet": lambda: Generator.bias_pre_training(
        parquet_data(), sex_bias(), "all"
    ),
    "pre_joinsource_facet_dataset": lambda: Generator.bias_pre_training(
        csv_data(
            headers=["ID", *ADULT_HEADERS[:10], *ADULT_HEADERS[11:]],
            joinsource="ID",
            facet_dataset_uri="s3://example-bucket/clarify/facets.csv",
            facet_headers=["ID", "Sex"],
        ),
        BiasConfig([1], "Sex", [0]),
        "all",
    ),
    # Post-training bias.
    "post_model_name": lambda: Generator.bias_post_training(
        csv_data(), sex_bias(), threshold(), "all", csv_model()
    ),
    "post_endpoint": lambda: Generator.bias_post_training(
        csv_data(), sex_bias(), threshold(0.6), "all", endpoint_model()
    ),
    "post_predicted_label_column": lambda: Generator.bias_post_training(
        csv_data(predicted_label="Prediction"), sex_bias(), None, "all", None
    ),
    "post_predicted_label_dataset": lambda: Generator.bias_post_training(
        csv_data(
            predicted_label_dataset_uri="s3://example-bucket/clarify/preds.csv",
            predicted_label_headers=["Prediction"],
            predicted_label="Prediction",
        ),
        sex_bias(),
        None,
        ["DPPL", "DI", "AD"],
        None,
    ),
    "post_label_headers": lambda: Generator.bias_post_training(
        csv_data(),
        sex_bias(),
        ModelPredictedLabelConfig(label=0, probability=1, label_headers=["0", "1"]),
        "all",
        csv_model(),
    ),
    "post_jsonlines_model": lambda: Generator.bias_post_training(
        jsonlines_data(),
        sex_bias(),
        ModelPredictedLabelConfig(label="predicted_label", probability="score"),
        "all",
        jsonlines_model(),
    ),
    "post_json_records": lambda: Generator.bias_post_training(
        json_data(),
        sex_bias(),
        ModelPredictedLabelConfig(
            label="predictions[*].label", probability="predictions[*].score"
        ),
        "all",
        json_model('{"instances":$records}', "$features"),
    ),
    "post_json_record_kvp": lambda: Generator.bias_post_training(
        json_data(),
        sex_bias(),
        ModelPredictedLabelConfig(probability="score", probability_threshold=0.7),
        ["DPPL", "CDDPL"],
        json_model("$record", "$features_kvp"),
    ),
    "post_model_options": lambda: Generator.bias_post_training(
        csv_data(),
        sex_bias(),
        threshold(),
        "all",
        csv_model(
            custom_attributes="c000b4f9-df62-4c85-a0bf-7c525f9104a4",
            target_model="model-a.tar.gz",
            endpoint_name_prefix="my-clarify",
            accelerator_type="ml.eia2.medium",
        ),
    ),
    # Pre- and post-training bias together.
    "bias_all": lambda: Generator.bias(
        csv_data(), sex_bias(), csv_model(), threshold()
    ),
    "bias_method_lists": lambda: Generator.bias(
        csv_data(), sex_bias(), csv_model(), threshold(), ["CI", "KL"], ["DPPL", "FT"]
    ),
    "bias_excluded_columns": lambda: Generator.bias(
        csv_data(excluded_columns=["fnlwgt", "Country"]),
        sex_bias(),
        csv_model(),
        threshold(),
    ),
    "bias_parquet_csv_model": lambda: Generator.bias(
        parquet_data(), sex_bias(), csv_model(), threshold()
    ),
    # Explainability.
    "expl_inline_baseline": lambda: Generator.explainability(
        csv_data(), csv_model(), None, shap(save_local_shap_values=True)
    ),
    "expl_baseline_uri": lambda: Generator.explainability(
        csv_data(),
        csv_model(),
        None,
        shap(
            baseline="s3://example-bucket/clarify/baseline.csv",
            num_samples=100,
            agg_method="median",
            use_logit=True,
            seed=123,
        ),
    ),
    "expl_num_clusters": lambda: Generator.explainability(
        csv_data(),
        csv_model(),
        None,
        shap(num_clusters=3, agg_method="mean_sq", save_local_shap_values=False),
    ),
    "expl_features_to_explain": lambda: Generator.explainability(
        csv_data(), csv_model(), None, shap(features_to_explain=["Age", "Sex", 3])
    ),
    "expl_model_scores_index": lambda: Generator.explainability(
        csv_data(), csv_model(), 0, shap()
    ),
    "expl_label_headers": lambda: Generator.explainability(
        csv_data(),
        csv_model(),
        ModelPredictedLabelConfig(probability=1, label_headers=["<=50K", ">50K"]),
        shap(),
    ),
    "expl_jsonlines": lambda: Generator.explainability(
        jsonlines_data(),
        jsonlines_model(),
        "score",
        shap(baseline=[{"data": {"features": [38, 10, 1, 40]}}]),
    ),
    "expl_json": lambda: Generator.explainability(
        json_data(),
        json_model('{"instances":$records}', '{"x":$features}'),
        "predictions[*].score",
        shap(baseline={"records": [{"features": [38, 10, 1, 40]}]}),
    ),
    "expl_parquet": lambda: Generator.explainability(
        parquet_data(), csv_model(), None, shap()
    ),
    "expl_joinsource_local_values": lambda: Generator.explainability(
        csv_data(headers=["ID", *ADULT_HEADERS], joinsource="ID"),
        csv_model(),
        None,
        shap(save_local_shap_values=True),
    ),
    "expl_endpoint": lambda: Generator.explainability(
        csv_data(), endpoint_model(), None, shap()
    ),
    "expl_shap_and_pdp": lambda: Generator.explainability(
        csv_data(), csv_model(), None, [shap(), PDPConfig(top_k_features=2)]
    ),
    "expl_pdp_only": lambda: Generator.explainability(
        csv_data(),
        csv_model(),
        None,
        PDPConfig(features=["Age", "Hours per week"], grid_resolution=20),
    ),
    # Bias and explainability together.
    "bias_and_expl": lambda: Generator.bias_and_explainability(
        csv_data(), csv_model(), threshold(), shap(), sex_bias()
    ),
    "bias_and_expl_pdp_lists": lambda: Generator.bias_and_explainability(
        csv_data(),
        csv_model(),
        threshold(0.4),
        [shap(seed=7), PDPConfig(features=[1, 13], top_k_features=5)],
        BiasConfig([1], ["Sex", "Age"], [[0], [40]], group_name="Education"),
        ["CI", "DPL"],
        ["DPPL", "DI", "GE"],
    ),
    "bias_and_expl_jsonlines": lambda: Generator.bias_and_explainability(
        jsonlines_data(),
        jsonlines_model(),
        ModelPredictedLabelConfig(label="predicted_label", probability="score"),
        shap(baseline=[{"data": {"features": [38, 10, 1, 40]}}]),
        sex_bias(),
    ),
}


def schema_key_paths(node: Any, prefix: str = "") -> list[str]:
    """List the dotted key paths of the SDK schema; list entries are ``[]``."""
    paths: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            name = getattr(key, "schema", key)
            if not isinstance(name, str):
                continue
            path = f"{prefix}.{name}" if prefix else name
            paths.append(path)
            paths.extend(schema_key_paths(value, path))
    elif isinstance(node, list) and len(node) == 1 and isinstance(node[0], dict):
        paths.extend(schema_key_paths(node[0], f"{prefix}[]"))
    return paths


def main(argv: list[str] | None = None) -> None:
    """Generate every config, validate it with the SDK schema, write it out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("*.json"):
        stale.unlink()

    for name, build in CONFIGS.items():
        config = build()
        ANALYSIS_CONFIG_SCHEMA_V1_0.validate(config)
        text = json.dumps(config, indent=2) + "\n"
        (args.out / f"{name}.json").write_text(text, encoding="utf-8")

    keys = schema_key_paths(ANALYSIS_CONFIG_SCHEMA_V1_0.schema)
    (args.out / "SCHEMA_KEYS.txt").write_text("\n".join(keys) + "\n", encoding="utf-8")

    (args.out / "SOURCE.txt").write_text(
        f"Generated by tests/golden/make_sdk_configs.py with sagemaker "
        f"{sagemaker.__version__} (_AnalysisConfigGenerator, validated with "
        f"ANALYSIS_CONFIG_SCHEMA_V1_0); SCHEMA_KEYS.txt lists the key paths of "
        f"that schema. Do not edit; regenerate.\n",
        encoding="utf-8",
    )
    print(f"wrote {len(CONFIGS)} configs to {args.out}")


if __name__ == "__main__":
    main()
