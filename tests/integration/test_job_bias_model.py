"""The walk-through bias job through the model sidecar, checked against smclarify.

The job scores the Adult training rows with the golden model
(``tests/golden/models/adult-60.tar.gz``) through a real sidecar and a real
Dask cluster, then computes every pre- and post-training metric. The expected
values in ``tests/golden/bias/adult_model.json`` come from smclarify 0.5 run on
the labels of that same model (see ``tests/golden/make_bias_golden.py``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xgboost

from openclarify.demo import prepare_ml_root
from openclarify.demo.walkthrough import CACHE_ENV, MODEL_NAME
from openclarify.entrypoint import run_job

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "bias" / "adult_model.json"
STAGES = ("pre_training_bias_metrics", "post_training_bias_metrics")


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    """The golden case: inputs, the model it used and smclarify's output."""
    return json.loads(GOLDEN.read_text())


def _layout(root: Path, golden: dict[str, Any], monkeypatch: Any) -> Path:
    """Lay out the walk-through bias job with the golden model in place."""
    model = golden["inputs"]["adult"]["model"]
    artifact = REPO / model["path"]
    assert hashlib.sha256(artifact.read_bytes()).hexdigest() == model["sha256"]

    # Seed the walk-through's model cache so that laying out trains nothing.
    cache = root.parent / "model-cache"
    cache.mkdir()
    rounds = model["num_round"]
    name = f"adult-xgboost-{xgboost.__version__}-{rounds}.tar.gz"
    shutil.copyfile(artifact, cache / name)
    monkeypatch.setenv(CACHE_ENV, str(cache))

    prepared = prepare_ml_root(root, job="bias", num_round=rounds)
    target = prepared / "processing" / "input" / "model" / MODEL_NAME / "model.tar.gz"
    shutil.copyfile(artifact, target)
    return prepared


@pytest.mark.slow
def test_bias_job_with_model_matches_smclarify(
    tmp_path: Path,
    golden: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    assert_close: Callable[[Any, Any, str], None],
) -> None:
    """Check that the bias job's metrics through the sidecar equal smclarify's."""
    root = _layout(tmp_path / "ml", golden, monkeypatch)
    config = json.loads(
        (root / "processing/input/config/analysis_config.json").read_text()
    )
    inputs = golden["inputs"]
    model = inputs["adult"]["model"]
    assert config["probability_threshold"] == model["probability_threshold"]
    assert config["label"] == inputs["label"]
    assert config["facet"] == inputs["facets"]
    assert config["group_variable"] == inputs["group_variable"]

    data = pd.read_csv(
        root / "processing/input/data/adult.csv", header=None, names=config["headers"]
    )
    checksum = inputs["adult"]["checksum"]
    assert len(data) == checksum["rows"]
    for column in data.columns:
        assert int(data[column].sum()) == checksum[column], column

    monkeypatch.setenv("OPENCLARIFY_N_WORKERS", "1")
    code = run_job(str(root))
    message = (root / "output" / "message").read_text(encoding="utf-8")
    assert code == 0, message

    analysis = json.loads((root / "processing/output/analysis.json").read_text())
    assert list(analysis) == ["version", *STAGES]
    for stage in STAGES:
        assert_close(analysis[stage], golden["expected"][stage], stage)
