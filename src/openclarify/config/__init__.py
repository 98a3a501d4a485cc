"""The analysis config: ``analysis_config.json`` parsed into frozen dataclasses.

``parse_config`` validates a loaded JSON document, ``load_config`` reads and
validates a file, and ``validate_file`` lists every problem of a file (the
``openclarify validate`` command). The key tables are in ``schema.py``, the
rules across keys in ``rules.py``.
"""

from __future__ import annotations

from openclarify.config.model import (
    DATASET_TYPES,
    POST_TRAINING_METHODS,
    PRE_TRAINING_METHODS,
    AnalysisConfig,
    BiasMethodConfig,
    FacetConfig,
    MethodsConfig,
    PdpConfig,
    PredictorConfig,
    ReportConfig,
    ShapConfig,
)
from openclarify.config.parse import (
    ConfigFileError,
    check_config,
    dump_config,
    load_config,
    parse_config,
    validate_file,
)

__all__ = [
    "DATASET_TYPES",
    "POST_TRAINING_METHODS",
    "PRE_TRAINING_METHODS",
    "AnalysisConfig",
    "BiasMethodConfig",
    "ConfigFileError",
    "FacetConfig",
    "MethodsConfig",
    "PdpConfig",
    "PredictorConfig",
    "ReportConfig",
    "ShapConfig",
    "check_config",
    "dump_config",
    "load_config",
    "parse_config",
    "validate_file",
]
