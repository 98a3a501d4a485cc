"""The Adult census walk-through and its bundled data."""

from __future__ import annotations

from openclarify.demo.walkthrough import (
    analysis_config,
    host_roots,
    model_artifact,
    prepare_ml_root,
    run_demo,
    run_hosts,
)

__all__ = [
    "analysis_config",
    "host_roots",
    "model_artifact",
    "prepare_ml_root",
    "run_demo",
    "run_hosts",
]
