"""Kernel SHAP, SHAP baselines and partial dependence, as pure array functions.

Nothing here does I/O or knows about HTTP: the model is a ``predict`` callable
from a feature matrix to a score matrix, which the job plugs in (the sidecar's
client, or a model in process).
"""

from __future__ import annotations

from openclarify.explain.baseline import (
    choose_num_clusters,
    cluster_baseline,
    mean_baseline,
)
from openclarify.explain.coalitions import (
    CoalitionDesign,
    coalition_design,
    resolve_n_samples,
)
from openclarify.explain.kernel_shap import (
    ShapResult,
    aggregate,
    kernel_shap,
    max_block_rows,
)
from openclarify.explain.pdp import partial_dependence, select_pdp_features

__all__ = [
    "CoalitionDesign",
    "ShapResult",
    "aggregate",
    "choose_num_clusters",
    "cluster_baseline",
    "coalition_design",
    "kernel_shap",
    "max_block_rows",
    "mean_baseline",
    "partial_dependence",
    "resolve_n_samples",
    "select_pdp_features",
]
