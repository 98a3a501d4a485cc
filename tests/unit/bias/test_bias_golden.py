"""Compare ``bias_section`` with smclarify 0.5's output on the golden cases.

The expected values in ``tests/golden/bias/*.json`` were produced by running
smclarify's own ``bias_report`` (see ``tests/golden/make_bias_golden.py``).
Numbers must agree to 1e-9; strings and error texts exactly.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from openclarify.bias import PredictedLabelError, bias_section
from openclarify.config.model import FacetConfig
from openclarify.demo.adult import FEATURES, LABEL

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "bias"
ADULT = REPO / "src" / "openclarify" / "demo" / "data" / "adult.data.gz"
ADULT_NAMES = [*FEATURES, LABEL]  # the order of the raw file's columns
AssertClose = Callable[[Any, Any, str], None]
CASES = sorted(path.stem for path in GOLDEN.glob("*.json"))
STAGES = ("pre_training", "post_training")


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    """The Adult table, label-encoded with sorted category codes."""
    with gzip.open(ADULT, "rt") as handle:
        frame = pd.read_csv(
            handle, header=None, names=ADULT_NAMES, skipinitialspace=True
        )
    frame = frame[~(frame == "?").any(axis=1)].reset_index(drop=True)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            ordered = sorted(frame[column].unique())
            codes = {value: code for code, value in enumerate(ordered)}
            frame[column] = frame[column].map(codes).astype("int64")
    return frame[["Target", *ADULT_NAMES[:-1]]]


def _load(case: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{case}.json").read_text())


def _frame(
    inputs: dict[str, Any], adult: pd.DataFrame, text_dtype: str = "object"
) -> pd.DataFrame:
    if "adult" in inputs:
        frame = adult.copy()
        checksum = inputs["adult"]["checksum"]
        assert len(frame) == checksum["rows"]
        for column in frame.columns:
            assert int(frame[column].sum()) == checksum[column], column
        frame["Predicted"] = [int(char) for char in inputs["adult"]["predictions"]]
        return frame
    data = inputs["data"]
    dtypes = {
        name: text_dtype if dtype == "object" else dtype
        for name, dtype in data["dtypes"].items()
    }
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=dtypes[name])
            for name, values in data["columns"].items()
        }
    )


def _compute(
    inputs: dict[str, Any], adult: pd.DataFrame, stage: str, text_dtype: str = "object"
) -> Any:
    facets = [
        FacetConfig(
            facet["name_or_index"],
            tuple(facet["value_or_threshold"])
            if facet.get("value_or_threshold")
            else None,
        )
        for facet in inputs["facets"]
    ]
    return bias_section(
        _frame(inputs, adult, text_dtype),
        label=inputs["label"],
        label_values_or_threshold=inputs["label_values_or_threshold"],
        facets=facets,
        group_variable=inputs["group_variable"],
        methods=["all"],
        stage=stage,  # type: ignore[arg-type]
        predicted_label=inputs["predicted_label"],
    )


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("case", CASES)
def test_matches_smclarify(
    case: str, stage: str, adult: pd.DataFrame, assert_close: AssertClose
) -> None:
    """Check that a bias section equals smclarify's for one golden case."""
    golden = _load(case)
    expected = golden["expected"][f"{stage}_bias_metrics"]
    if "fatal" in expected:
        with pytest.raises(PredictedLabelError) as caught:
            _compute(golden["inputs"], adult, stage)
        assert caught.value.text == expected["fatal"]
        assert str(caught.value).startswith(expected["fatal"])
        return
    actual = _compute(golden["inputs"], adult, stage)
    assert_close(actual, expected, case)


TEXT_CASES = [
    case
    for case in CASES
    if "object" in _load(case)["inputs"].get("data", {}).get("dtypes", {}).values()
]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("case", TEXT_CASES)
def test_pandas3_text_columns_match_object_columns(
    case: str, stage: str, adult: pd.DataFrame, assert_close: AssertClose
) -> None:
    """Check that pandas 3 "str" columns give smclarify's object-column results."""
    golden = _load(case)
    expected = golden["expected"][f"{stage}_bias_metrics"]
    if "fatal" in expected:
        pytest.skip("fatal cases have no text columns")
    actual = _compute(golden["inputs"], adult, stage, text_dtype="str")
    assert_close(actual, expected, case)


def test_golden_cases_cover_the_contract() -> None:
    """Check that the golden set holds infinities, errors and fatal cases."""
    text = "".join((GOLDEN / f"{case}.json").read_text() for case in CASES)
    for needle in (
        '"Infinity"',
        '"-Infinity"',
        "Facet set is empty",
        "Group variable is empty or not provided",
        "FlipTest does not support non-numeric columns",
        "No Label values are present",
        "Predicted Label Column series datatype",
    ):
        assert needle in text, needle
