"""The declarative table of ``analysis_config.json`` keys (contract section 2).

Each section of the config (the top level, ``methods``, ``methods.shap``,
``predictor``, one ``facet`` entry, ...) is a tuple of :class:`Key` rows giving
the key, the constraint on its value, its default and a one-line description.
Keys of Clarify features that openclarify does not run are listed too, marked
``unsupported``, so that they are rejected by name rather than as unknown.
Rules that tie several keys together live in ``rules.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from openclarify.config.constraints import (
    Baseline,
    Boolean,
    Column,
    Enum,
    Integer,
    Key,
    ListOf,
    MethodCodes,
    NameOrIndex,
    Number,
    Object,
    ScalarValue,
    String,
)
from openclarify.config.model import (
    DATASET_TYPES,
    POST_TRAINING_METHODS,
    PRE_TRAINING_METHODS,
)

# Media types Clarify knows but openclarify does not run.
UNSUPPORTED_DATASET_TYPES: tuple[str, ...] = (
    "application/x-image",
    "application/sagemakercapturejson",
)
CONTENT_TYPES: tuple[str, ...] = (
    "text/csv",
    "application/jsonlines",
    "application/json",
)
UNSUPPORTED_CONTENT_TYPES: tuple[str, ...] = ("image/*", "application/x-npy")
ACCEPT_TYPES: tuple[str, ...] = CONTENT_TYPES
AGG_METHODS: tuple[str, ...] = ("mean_abs", "median", "mean_sq")
CONFIG_VERSIONS: tuple[str, ...] = ("1.0",)

# A SageMaker endpoint name is letters, digits and single or repeated hyphens
# between them; the prefix leaves room for the suffix Clarify appends.
ENDPOINT_NAME_PREFIX_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
ENDPOINT_NAME_PREFIX_MAX_LENGTH = 23
CUSTOM_ATTRIBUTES_MAX_LENGTH = 1024

# The tables. Their order is the order in which problems are reported.

_COLUMN = Column()
_COLUMNS = ListOf(_COLUMN, non_empty=True)
_NAMES = ListOf(String(), non_empty=True, unique=True)
_VALUES = ListOf(ScalarValue())
_URI = String(accepted="a file URI (s3://..., file://... or a path)")

FACET_KEYS: tuple[Key, ...] = (
    Key("name_or_index", _COLUMN, "The sensitive column.", required=True),
    Key(
        "value_or_threshold",
        _VALUES,
        "Sensitive values, or one threshold; empty or absent means one-vs-rest.",
    ),
)

BIAS_METHOD_KEYS_PRE: tuple[Key, ...] = (
    Key(
        "methods",
        MethodCodes(
            PRE_TRAINING_METHODS,
            other_stage=POST_TRAINING_METHODS,
            other_key="methods.post_training_bias.methods",
        ),
        "Pre-training metric codes, or 'all'.",
        required=True,
    ),
)
BIAS_METHOD_KEYS_POST: tuple[Key, ...] = (
    Key(
        "methods",
        MethodCodes(
            POST_TRAINING_METHODS,
            other_stage=PRE_TRAINING_METHODS,
            other_key="methods.pre_training_bias.methods",
        ),
        "Post-training metric codes, or 'all'.",
        required=True,
    ),
)

SHAP_KEYS: tuple[Key, ...] = (
    Key("baseline", Baseline(), "Baseline rows, or the URI of a baseline file."),
    Key("num_clusters", Integer(minimum=1), "Build the baseline with k clusters."),
    Key("num_samples", Integer(minimum=1), "Coalitions sampled per explained row."),
    Key(
        "agg_method",
        Enum(AGG_METHODS),
        "How local values aggregate to global ones.",
        default="mean_abs",
    ),
    Key("use_logit", Boolean(), "Explain in logit space.", default=False),
    Key(
        "save_local_shap_values",
        Boolean(),
        "Write per-row SHAP values to explanations_shap/.",
        default=False,
    ),
    Key("seed", Integer(), "Seed of the coalition sampler."),
    Key(
        "features_to_explain",
        _COLUMNS,
        "Explain only these features (names or indexes).",
    ),
    Key("text_config", None, "Text explainability.", unsupported="shap.text_config"),
    Key("image_config", None, "Image explainability.", unsupported="shap.image_config"),
)

PDP_KEYS: tuple[Key, ...] = (
    Key(
        "grid_resolution",
        Integer(minimum=1),
        "Buckets for a numerical feature.",
        default=15,
    ),
    Key("features", _COLUMNS, "Features to plot; default: the SHAP top k."),
    Key(
        "top_k_features",
        Integer(minimum=1),
        "How many top SHAP features to plot.",
        default=10,
    ),
)

REPORT_KEYS: tuple[Key, ...] = (
    Key(
        "name",
        String(
            pattern=r"[^/\\]+",
            accepted="a non-empty file name without '/' or '\\'",
        ),
        "Stem of report.ipynb/.html/.pdf.",
        default="report",
    ),
    Key("title", String(), "Title of the report.", default="Analysis Report"),
)

METHODS_KEYS: tuple[Key, ...] = (
    Key(
        "pre_training_bias",
        Object(BIAS_METHOD_KEYS_PRE, what="methods.pre_training_bias"),
        "Bias metrics of the data.",
    ),
    Key(
        "post_training_bias",
        Object(BIAS_METHOD_KEYS_POST, what="methods.post_training_bias"),
        "Bias metrics of the model's predictions.",
    ),
    Key("shap", Object(SHAP_KEYS, what="methods.shap"), "Kernel SHAP explanations."),
    Key("pdp", Object(PDP_KEYS, what="methods.pdp"), "Partial dependence plots."),
    Key("report", Object(REPORT_KEYS, what="methods.report"), "The report files."),
    Key(
        "asymmetric_shapley_value",
        None,
        "Time-series explanations.",
        unsupported="methods.asymmetric_shapley_value",
    ),
)

PREDICTOR_KEYS: tuple[Key, ...] = (
    Key("model_name", String(), "The SageMaker model to serve."),
    Key("endpoint_name", String(), "An existing endpoint to call instead."),
    Key(
        "endpoint_name_prefix",
        String(
            pattern=ENDPOINT_NAME_PREFIX_PATTERN,
            max_length=ENDPOINT_NAME_PREFIX_MAX_LENGTH,
            accepted=(
                f"at most {ENDPOINT_NAME_PREFIX_MAX_LENGTH} letters, digits and "
                "inner hyphens, matching ^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
            ),
        ),
        "Prefix of the shadow endpoint's name.",
    ),
    Key("instance_type", String(), "Shadow endpoint instance type."),
    Key("initial_instance_count", Integer(minimum=1), "Shadow endpoint size."),
    Key("accelerator_type", String(), "Elastic Inference accelerator (legacy)."),
    Key("target_model", String(), "Model of a multi-model endpoint."),
    Key(
        "content_type",
        Enum(
            CONTENT_TYPES, unsupported=UNSUPPORTED_CONTENT_TYPES, feature="content type"
        ),
        "Request media type; default: the dataset type.",
    ),
    Key(
        "accept_type",
        Enum(ACCEPT_TYPES),
        "Response media type; default: the content type.",
    ),
    Key(
        "content_template",
        String(accepted="a non-empty template string"),
        "Request body template ($features, $record, $records).",
    ),
    Key(
        "record_template",
        String(accepted="a non-empty template string"),
        "JSON record template ($features, $feature_names, $features_kvp, ${name}).",
    ),
    Key("label", _COLUMN, "Where the predicted label is in the response."),
    Key("probability", _COLUMN, "Where the score(s) are in the response."),
    Key(
        "label_headers",
        ListOf(NameOrIndex(), non_empty=True),
        "Class names in score order.",
    ),
    Key(
        "custom_attributes",
        String(
            pattern=r"[\x20-\x7e]+",
            max_length=CUSTOM_ATTRIBUTES_MAX_LENGTH,
            accepted=(
                f"at most {CUSTOM_ATTRIBUTES_MAX_LENGTH} visible ASCII characters"
            ),
        ),
        "Sent verbatim as the CustomAttributes of each request.",
    ),
    Key(
        "time_series_predictor_config",
        None,
        "Forecast location for time-series models.",
        unsupported="predictor.time_series_predictor_config",
    ),
)

TOP_LEVEL_KEYS: tuple[Key, ...] = (
    Key(
        "version",
        Enum(CONFIG_VERSIONS),
        "Schema version; only '1.0' exists.",
        default="1.0",
    ),
    Key(
        "dataset_type",
        Enum(
            DATASET_TYPES, unsupported=UNSUPPORTED_DATASET_TYPES, feature="dataset type"
        ),
        "Media type of the dataset.",
        required=True,
    ),
    Key("dataset_uri", _URI, "The dataset, overriding the dataset input."),
    Key("headers", _NAMES, "Column names of the dataset."),
    Key("label", _COLUMN, "The label column (or JMESPath for JSON types)."),
    Key("predicted_label", _COLUMN, "Predictions stored in the dataset."),
    Key(
        "features",
        String(accepted="a JMESPath expression (string)"),
        "JMESPath of the features (JSON types).",
    ),
    Key(
        "label_values_or_threshold",
        ListOf(ScalarValue(), non_empty=True),
        "Positive label values, or one threshold.",
    ),
    Key(
        "probability_threshold",
        Number(),
        "Score above which a prediction is positive.",
        default=0.5,
    ),
    Key(
        "facet",
        ListOf(Object(FACET_KEYS, what="a facet entry"), non_empty=True),
        "The sensitive attributes.",
    ),
    Key("group_variable", _COLUMN, "Subgroup column for CDDL and CDDPL."),
    Key("excluded_columns", _COLUMNS, "Columns not sent to the model."),
    Key("joinsource_name_or_index", _COLUMN, "Row identifier column."),
    Key("facet_dataset_uri", _URI, "Separate dataset of facet columns (CSV)."),
    Key("facet_headers", _NAMES, "Column names of the facet dataset."),
    Key("predicted_label_dataset_uri", _URI, "Separate dataset of predictions."),
    Key("predicted_label_headers", _NAMES, "Column names of that dataset."),
    Key(
        "methods",
        Object(METHODS_KEYS, what="methods"),
        "The analyses to run.",
        required=True,
    ),
    Key("predictor", Object(PREDICTOR_KEYS, what="predictor"), "The model to call."),
    Key(
        "segment_config",
        None,
        "Metrics per data segment.",
        unsupported="segment_config",
    ),
    Key(
        "time_series_data_config",
        None,
        "Time-series dataset layout.",
        unsupported="time_series_data_config",
    ),
)

ANALYSIS_CONFIG = Object(TOP_LEVEL_KEYS, what="the analysis config")


@dataclass(frozen=True)
class KeyInfo:
    """One key of the reference: where it is and what it takes."""

    path: str
    accepted: str
    default: object
    description: str
    required: bool
    unsupported: str


def key_reference(
    section: Object = ANALYSIS_CONFIG, prefix: str = ""
) -> Iterator[KeyInfo]:
    """Yield every key of the config, depth first, in table order.

    Parameters
    ----------
    section : Object, default=ANALYSIS_CONFIG
        The table to describe.
    prefix : str, default=""
        The dotted path of ``section``; list entries are written ``facet[]``.

    Yields
    ------
    KeyInfo
        The dotted path, the accepted values, the default (``MISSING`` when
        there is none), the description, and whether the key is required or
        rejected as unsupported.
    """
    for spec in section.keys:
        path = f"{prefix}.{spec.name}" if prefix else spec.name
        constraint = spec.constraint
        accepted = "not supported" if constraint is None else constraint.accepted
        yield KeyInfo(
            path,
            accepted,
            spec.default,
            spec.description,
            spec.required,
            spec.unsupported,
        )
        if isinstance(constraint, Object):
            yield from key_reference(constraint, path)
        elif isinstance(constraint, ListOf) and isinstance(constraint.item, Object):
            yield from key_reference(constraint.item, f"{path}[]")
