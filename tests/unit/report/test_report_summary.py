"""Tests of the dataset summary against brute-force counting."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.errors import AnalysisError
from openclarify.report import ConfusionCounts, summarize_dataset


def _brute_force(group: list[bool], truth: list[bool], pred: list[bool]) -> dict:
    """Count rows one by one, in plain Python."""
    stats = {"size": 0, "pos": 0, "pred": 0, "tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for member, y, p in zip(group, truth, pred, strict=True):
        if not member:
            continue
        stats["size"] += 1
        stats["pos"] += y
        stats["pred"] += p
        key = ("t" if y == p else "f") + ("p" if p else "n")
        stats[key] += 1
    return stats


def _rate(count: int, size: int) -> float | None:
    return None if size == 0 else count / size


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.booleans(), st.booleans()), max_size=40
    )
)
def test_group_counts_match_brute_force(rows: list[tuple[int, bool, bool]]) -> None:
    """Check sizes, positive rates and confusion counts against a row-by-row count."""
    codes = [code for code, _, _ in rows]
    truth = [y for _, y, _ in rows]
    pred = [p for _, _, p in rows]
    frame = pd.DataFrame({"Race": codes, "Target": truth})
    masks = {str(v): np.array([c == v for c in codes], dtype=bool) for v in range(4)}

    summary = summarize_dataset(
        frame,
        label="Target",
        label_positive=np.array(truth, dtype=bool),
        facets={"Race": masks},
        predicted_positive=np.array(pred, dtype=bool),
    )

    assert summary.rows == len(rows) and summary.columns == 2
    assert summary.label_positive_count == sum(truth)
    assert summary.label_positive_rate == _rate(sum(truth), len(rows))
    assert summary.predicted_positive_rate == _rate(sum(pred), len(rows))
    for group in summary.facets["Race"]:
        inside = [c == int(group.value) for c in codes]
        outside = [not member for member in inside]
        mine, rest = (
            _brute_force(inside, truth, pred),
            _brute_force(outside, truth, pred),
        )
        assert (group.size, group.complement_size) == (mine["size"], rest["size"])
        assert group.label_positive_rate == _rate(mine["pos"], mine["size"])
        assert group.complement_label_positive_rate == _rate(rest["pos"], rest["size"])
        assert group.predicted_positive_rate == _rate(mine["pred"], mine["size"])
        assert group.complement_predicted_positive_rate == _rate(
            rest["pred"], rest["size"]
        )
        assert group.confusion == ConfusionCounts(
            mine["tp"], mine["fp"], mine["tn"], mine["fn"]
        )
        assert group.complement_confusion == ConfusionCounts(
            rest["tp"], rest["fp"], rest["tn"], rest["fn"]
        )


def test_without_predictions_there_is_no_confusion_matrix() -> None:
    """Check that predicted rates and confusion counts are None without predictions."""
    frame = pd.DataFrame({"Sex": [0, 1, 1, 0], "Target": [1, 0, 1, 1]})

    summary = summarize_dataset(
        frame,
        label="Target",
        label_positive=frame["Target"].to_numpy() == 1,
        facets={"Sex": {"0": frame["Sex"].to_numpy() == 0}},
    )
    group = summary.facets["Sex"][0]

    assert summary.predicted_positive_count is None
    assert group.predicted_positive_rate is None and group.confusion is None
    assert (
        group.label_positive_rate == 1.0 and group.complement_label_positive_rate == 0.5
    )


def test_empty_group_has_no_rates() -> None:
    """Check that rates over an empty group are None rather than a division error."""
    frame = pd.DataFrame({"Sex": [1, 1, 1]})
    truth = np.array([True, False, True])

    summary = summarize_dataset(
        frame,
        label=None,
        label_positive=truth,
        facets={"Sex": {"0": np.zeros(3, dtype=bool)}},
        predicted_positive=truth,
    )
    group = summary.facets["Sex"][0]

    assert group.size == 0 and group.label_positive_rate is None
    assert group.complement_label_positive_rate == 2 / 3
    assert group.confusion == ConfusionCounts(0, 0, 0, 0)


def test_summary_converts_to_json() -> None:
    """Check that the summary's dict form survives a JSON round trip."""
    frame = pd.DataFrame({"Sex": [0, 1], "Target": [1, 0]})
    truth = np.array([True, False])

    summary = summarize_dataset(
        frame,
        label="Target",
        label_positive=truth,
        facets={"Sex": {"0": frame["Sex"].to_numpy() == 0}},
        predicted_positive=~truth,
    )
    data = summary.to_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["facets"]["Sex"][0]["confusion"] == {"tp": 0, "fp": 0, "tn": 0, "fn": 1}


@pytest.mark.parametrize(
    ("mask", "name"),
    [
        (np.ones(2, dtype=bool), "facets['Sex']['0']"),
        (np.array([0, 1, 1]), "facets['Sex']['0']"),
    ],
)
def test_mask_of_wrong_shape_or_type_is_refused(mask: np.ndarray, name: str) -> None:
    """Check that a mask that is not one boolean per row names itself in the error."""
    frame = pd.DataFrame({"Sex": [0, 1, 1]})
    with pytest.raises(AnalysisError, match=re.escape(name) + r".*shape \(3,\)"):
        summarize_dataset(
            frame, label=None, label_positive=None, facets={"Sex": {"0": mask}}
        )
