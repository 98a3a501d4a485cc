"""Bias metrics before and after training, with smclarify 0.5 semantics.

``bias_section`` builds a ``pre_training_bias_metrics`` or
``post_training_bias_metrics`` dict of ``analysis.json``; ``bias_statistics``
the per-group counts of the report. ``REGISTRY`` lists every metric as data.
"""

from __future__ import annotations

from openclarify.bias.columns import (
    DataType,
    Selection,
    facet_groups,
    infer_data_type,
    positive_mask,
)
from openclarify.bias.errors import BiasMetricError, PredictedLabelError
from openclarify.bias.metrics import METRICS, REGISTRY, BiasMetric, metrics_for_stage
from openclarify.bias.section import bias_section, bias_statistics, json_value

__all__ = [
    "METRICS",
    "REGISTRY",
    "BiasMetric",
    "BiasMetricError",
    "DataType",
    "Selection",
    "PredictedLabelError",
    "bias_section",
    "bias_statistics",
    "facet_groups",
    "infer_data_type",
    "json_value",
    "metrics_for_stage",
    "positive_mask",
]
