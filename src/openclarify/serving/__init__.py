"""Model serving: the sidecar model server and the predictor client.

- :func:`serve` and :class:`Sidecar` run an XGBoost model behind a server
  compatible with the SageMaker XGBoost serving container;
- :class:`PredictorClient` turns feature rows into scores through HTTP, per
  the analysis config's ``predictor`` section;
- :func:`to_predicted_labels` turns one response into predicted labels.
"""

from __future__ import annotations

from openclarify.serving.client import PredictorClient
from openclarify.serving.model import LoadedModel, find_model, load_model
from openclarify.serving.responses import labels_from_scores, to_predicted_labels
from openclarify.serving.sidecar import Sidecar, serve

__all__ = [
    "LoadedModel",
    "PredictorClient",
    "Sidecar",
    "find_model",
    "labels_from_scores",
    "load_model",
    "serve",
    "to_predicted_labels",
]
