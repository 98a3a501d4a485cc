"""End-to-end bias jobs through ``openclarify run``, checked against smclarify."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from openclarify.demo import prepare_ml_root
from openclarify.entrypoint import run_job

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bias"


def _assert_same_section(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["label"] == expected["label"]
    assert actual["label_value_or_threshold"] == expected["label_value_or_threshold"]
    assert list(actual["facets"]) == list(expected["facets"])
    for facet, groups in expected["facets"].items():
        assert len(actual["facets"][facet]) == len(groups)
        for ours, theirs in zip(actual["facets"][facet], groups, strict=True):
            assert ours["value_or_threshold"] == theirs["value_or_threshold"]
            names = [metric["name"] for metric in ours["metrics"]]
            assert names == [metric["name"] for metric in theirs["metrics"]]
            for mine, ref in zip(ours["metrics"], theirs["metrics"], strict=True):
                assert mine["description"] == ref["description"]
                assert mine.get("error") == ref.get("error")
                if isinstance(ref["value"], float) and isinstance(mine["value"], float):
                    assert math.isclose(mine["value"], ref["value"], abs_tol=1e-9)
                else:
                    assert mine["value"] == ref["value"]


@pytest.mark.slow
def test_pre_training_job_matches_smclarify(tmp_path: Path) -> None:
    """Check that the walk-through's pre-training job equals smclarify to 1e-9."""
    root = prepare_ml_root(tmp_path / "ml", job="pre-training-bias")
    assert run_job(str(root)) == 0

    analysis = json.loads((root / "processing/output/analysis.json").read_text())
    assert list(analysis) == ["version", "pre_training_bias_metrics"]
    golden = json.loads((GOLDEN / "adult_sex.json").read_text())
    expected = golden["expected"]["pre_training_bias_metrics"]
    _assert_same_section(analysis["pre_training_bias_metrics"], expected)
