"""End-to-end explainability jobs: Kernel SHAP and PDP through the sidecar."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost

from openclarify.demo import prepare_ml_root
from openclarify.demo.adult import FEATURES, load_adult_frame
from openclarify.demo.walkthrough import CACHE_ENV, MODEL_NAME
from openclarify.entrypoint import run_job

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "tests" / "golden" / "models" / "adult-60.tar.gz"
ROWS = 300


def _booster() -> xgboost.Booster:
    with tarfile.open(MODEL) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        raw = bytearray(member.read())
    booster = xgboost.Booster()
    booster.load_model(raw)
    return booster


@pytest.fixture
def explain_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The walk-through's explainability job on a few test rows, golden model."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.setenv("OPENCLARIFY_N_WORKERS", "1")
    shutil.copyfile(MODEL, cache / f"adult-xgboost-{xgboost.__version__}-60.tar.gz")
    root = prepare_ml_root(
        tmp_path / "ml", job="explainability", rows=ROWS, num_round=60
    )
    config_path = root / "processing/input/config/analysis_config.json"
    config = json.loads(config_path.read_text())
    config["methods"]["pdp"] = {"grid_resolution": 5, "top_k_features": 2}
    config_path.write_text(json.dumps(config))
    target = root / "processing/input/model" / MODEL_NAME / "model.tar.gz"
    shutil.copyfile(MODEL, target)
    return root


@pytest.mark.slow
def test_explainability_job(explain_root: Path) -> None:
    """Check that SHAP outputs are complete, additive and in input order."""
    assert run_job(str(explain_root)) == 0, (
        explain_root / "output/message"
    ).read_text()
    output = explain_root / "processing/output"
    analysis = json.loads((output / "analysis.json").read_text())
    assert list(analysis) == ["version", "explanations"]

    shap = analysis["explanations"]["kernel_shap"]
    assert list(shap) == ["label0"]
    assert list(shap["label0"]["global_shap_values"]) == list(FEATURES)

    # Additivity against the model called in this process.
    rows = load_adult_frame("test").loc[: ROWS - 1, list(FEATURES)]
    scores = _booster().inplace_predict(rows.to_numpy(dtype=np.float64))
    local = pd.read_csv(output / "explanations_shap/out.csv")
    assert list(local.columns) == [f"{name}_label0" for name in FEATURES]
    assert len(local) == ROWS
    expected_value = shap["label0"]["expected_value"]
    np.testing.assert_allclose(
        local.sum(axis=1).to_numpy() + expected_value, scores, atol=1e-6
    )

    # The global values are the mean absolute local values.
    global_values = np.array(list(shap["label0"]["global_shap_values"].values()))
    np.testing.assert_allclose(global_values, local.abs().mean().to_numpy(), atol=1e-12)

    # The expected value is the model's score on the baseline row.
    baseline = pd.read_csv(output / "explanations_shap/baseline.csv")
    assert list(baseline.columns) == list(FEATURES)
    baseline_score = _booster().inplace_predict(baseline.to_numpy(dtype=np.float64))
    assert expected_value == pytest.approx(float(baseline_score[0]), abs=1e-7)

    # PDP for the two features with the largest global values.
    pdp = analysis["explanations"]["pdp"]
    top = sorted(
        shap["label0"]["global_shap_values"].items(), key=lambda item: -item[1]
    )[:2]
    assert [entry["feature_name"] for entry in pdp] == [name for name, _ in top]
    for entry in pdp:
        assert len(entry["model_predictions"]) == 1
        assert len(entry["model_predictions"][0]) == len(entry["feature_values"])
        assert sum(entry["data_distribution"]) == pytest.approx(1.0)

    for name in ("report.html", "report.pdf", "report.ipynb", "run_record.json"):
        assert (output / name).is_file()
    # An explanation-only job still names its label column in the report.
    assert "Label column: Target." in (output / "report.html").read_text()
    record = json.loads((output / "run_record.json").read_text())
    assert "Writing the report" in record["durations"]
