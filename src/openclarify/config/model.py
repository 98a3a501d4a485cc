"""The analysis config as frozen dataclasses.

Field names are the ``analysis_config.json`` keys, spelled as Clarify spells
them. Lists become tuples; a key that was absent is ``None`` unless the
contract gives it a default, which is filled in by the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Scalar = str | int | float
ColumnRef = str | int
AggMethod = Literal["mean_abs", "median", "mean_sq"]

PRE_TRAINING_METHODS: tuple[str, ...] = (
    "CI",
    "DPL",
    "KL",
    "JS",
    "LP",
    "TVD",
    "KS",
    "CDDL",
)
POST_TRAINING_METHODS: tuple[str, ...] = (
    "DPPL",
    "DI",
    "DCA",
    "DCR",
    "RD",
    "DAR",
    "DRR",
    "AD",
    "CDDPL",
    "TE",
    "FT",
    "SD",
    "GE",
)
DATASET_TYPES: tuple[str, ...] = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/x-parquet",
)


@dataclass(frozen=True)
class FacetConfig:
    """One sensitive attribute: its column and its sensitive values or threshold."""

    name_or_index: ColumnRef
    value_or_threshold: tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class BiasMethodConfig:
    """The metric codes to compute, ``"all"`` already expanded."""

    methods: tuple[str, ...]


@dataclass(frozen=True)
class ShapConfig:
    """``methods.shap``: Kernel SHAP settings."""

    baseline: str | tuple[Any, ...] | dict[str, Any] | None = None
    num_clusters: int | None = None
    num_samples: int | None = None
    agg_method: AggMethod = "mean_abs"
    use_logit: bool = False
    save_local_shap_values: bool = False
    seed: int | None = None
    features_to_explain: tuple[ColumnRef, ...] | None = None


@dataclass(frozen=True)
class PdpConfig:
    """``methods.pdp``: partial dependence settings."""

    grid_resolution: int = 15
    features: tuple[ColumnRef, ...] | None = None
    top_k_features: int = 10


@dataclass(frozen=True)
class ReportConfig:
    """``methods.report``: the report's file name and title."""

    name: str = "report"
    title: str = "Analysis Report"


@dataclass(frozen=True)
class MethodsConfig:
    """``methods``: which analyses run. Absent analyses are ``None``."""

    pre_training_bias: BiasMethodConfig | None = None
    post_training_bias: BiasMethodConfig | None = None
    shap: ShapConfig | None = None
    pdp: PdpConfig | None = None
    report: ReportConfig | None = None


@dataclass(frozen=True)
class PredictorConfig:
    """``predictor``: the model to call and how to talk to it.

    ``content_type`` and ``accept_type`` are always filled in by the parser
    (defaults: the dataset type, then the content type).
    """

    content_type: str
    accept_type: str
    model_name: str | None = None
    endpoint_name: str | None = None
    endpoint_name_prefix: str | None = None
    instance_type: str | None = None
    initial_instance_count: int | None = None
    accelerator_type: str | None = None
    target_model: str | None = None
    content_template: str | None = None
    record_template: str | None = None
    label: ColumnRef | None = None
    probability: ColumnRef | None = None
    label_headers: tuple[Scalar, ...] | None = None
    custom_attributes: str | None = None


@dataclass(frozen=True)
class AnalysisConfig:
    """A whole ``analysis_config.json``, parsed and validated."""

    dataset_type: str
    methods: MethodsConfig
    version: str = "1.0"
    dataset_uri: str | None = None
    headers: tuple[str, ...] | None = None
    label: ColumnRef | None = None
    predicted_label: ColumnRef | None = None
    features: str | None = None
    label_values_or_threshold: tuple[Scalar, ...] | None = None
    probability_threshold: float = 0.5
    facet: tuple[FacetConfig, ...] = field(default_factory=tuple)
    group_variable: ColumnRef | None = None
    excluded_columns: tuple[ColumnRef, ...] | None = None
    joinsource_name_or_index: ColumnRef | None = None
    facet_dataset_uri: str | None = None
    facet_headers: tuple[str, ...] | None = None
    predicted_label_dataset_uri: str | None = None
    predicted_label_headers: tuple[str, ...] | None = None
    predictor: PredictorConfig | None = None

    @property
    def needs_model(self) -> bool:
        """Whether any analysis must call the model."""
        methods = self.methods
        if methods.shap is not None or methods.pdp is not None:
            return True
        if methods.post_training_bias is None:
            return False
        return self.predicted_label is None and self.predicted_label_dataset_uri is None
