"""Check the shape and bookkeeping of ``bias_section`` and ``bias_statistics``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from openclarify.bias import BiasMetricError, bias_section, bias_statistics
from openclarify.bias import metrics as m
from openclarify.config.model import FacetConfig
from openclarify.errors import ConfigError


@pytest.fixture
def frame() -> pd.DataFrame:
    """A small dataset with a text facet, an integer facet and predictions."""
    rng = np.random.default_rng(5)
    n = 400
    return pd.DataFrame(
        {
            "color": pd.Series(rng.choice(["red", "blue", "green"], n), dtype="str"),
            "sex": rng.integers(0, 2, n),
            "age": rng.integers(18, 70, n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
        }
    )


def _section(frame: pd.DataFrame, **options) -> dict:
    arguments = {
        "label": "y",
        "label_values_or_threshold": [1],
        "facets": [FacetConfig("sex", (0,))],
        "group_variable": "age",
        "methods": ["all"],
        "stage": "post_training",
        "predicted_label": "p",
    }
    arguments.update(options)
    return bias_section(frame, **arguments)


def test_section_shape_and_sorted_metrics(frame: pd.DataFrame) -> None:
    """Check keys, value strings and alphabetical metric order of a section."""
    section = _section(frame)
    assert section["label"] == "y"
    assert section["label_value_or_threshold"] == "1"
    (entry,) = section["facets"]["sex"]
    assert entry["value_or_threshold"] == "0"
    names = [metric["name"] for metric in entry["metrics"]]
    assert names == sorted(m.METRICS[c].code for c in names)
    assert len(names) == len(m.metrics_for_stage("post_training"))
    for metric in entry["metrics"]:
        assert metric["description"] == m.METRICS[metric["name"]].description
    json.dumps(section, allow_nan=False)


def test_values_equal_the_metric_functions(frame: pd.DataFrame) -> None:
    """Check that section values are the metric functions on the masks."""
    section = _section(frame, stage="pre_training", predicted_label=None)
    facet = frame["sex"].to_numpy() == 0
    y_true = frame["y"].to_numpy() == 1
    values = {e["name"]: e["value"] for e in section["facets"]["sex"][0]["metrics"]}
    assert values["DPL"] == m.difference_in_positive_proportions(facet, y_true)
    assert values["CDDL"] == m.conditional_demographic_disparity(
        facet, y_true, frame["age"]
    )


def test_one_vs_rest_in_order_of_first_appearance(frame: pd.DataFrame) -> None:
    """Check one entry per distinct facet value, in order of appearance."""
    section = _section(frame, facets=[FacetConfig("color")], methods=["DPPL"])
    texts = [entry["value_or_threshold"] for entry in section["facets"]["color"]]
    assert texts == list(pd.unique(frame["color"]))
    for entry in section["facets"]["color"]:
        facet = (frame["color"] == entry["value_or_threshold"]).to_numpy()
        expected = m.difference_in_positive_proportions(facet, frame["p"] == 1)
        assert entry["metrics"][0]["value"] == pytest.approx(expected)


def test_several_facets_and_method_subset(frame: pd.DataFrame) -> None:
    """Check that each facet gets its own entry list and only chosen metrics."""
    section = _section(
        frame,
        facets=[FacetConfig("sex", (1,)), FacetConfig("age", (40,))],
        methods=["TE", "DI"],
    )
    assert list(section["facets"]) == ["sex", "age"]
    assert section["facets"]["age"][0]["value_or_threshold"] == "(40, 69]"
    for entries in section["facets"].values():
        assert [x["name"] for x in entries[0]["metrics"]] == ["DI", "TE"]


def test_infinity_is_written_as_string(frame: pd.DataFrame) -> None:
    """Check that an infinite DI is reported as the string Infinity."""
    data = frame.copy()
    data["p"] = (data["sex"] == 0).astype(int)
    section = _section(data, methods=["DI"])
    assert section["facets"]["sex"][0]["metrics"][0]["value"] == "Infinity"


def test_failing_metric_becomes_error_entry_or_raises(frame: pd.DataFrame) -> None:
    """Check errors='coerce' writes an error entry and errors='raise' raises."""
    section = _section(frame, group_variable=None, methods=["CDDPL", "AD"])
    cddpl = section["facets"]["sex"][0]["metrics"][1]
    assert cddpl == {
        "name": "CDDPL",
        "description": m.METRICS["CDDPL"].description,
        "value": None,
        "error": m.NO_GROUP_VARIABLE,
    }
    with pytest.raises(BiasMetricError, match=m.NO_GROUP_VARIABLE):
        _section(frame, group_variable=None, methods=["CDDPL"], errors="raise")


def test_flip_test_sees_only_feature_columns(frame: pd.DataFrame) -> None:
    """Check that a text column breaks FT unless feature_columns leaves it out."""
    with_text = _section(frame, methods=["FT"])
    assert with_text["facets"]["sex"][0]["metrics"][0]["error"] == m.FT_NON_NUMERIC
    numeric = _section(frame, methods=["FT"], feature_columns=["sex", "age", "x"])
    facet = frame["sex"].to_numpy() == 0
    expected = m.flip_test(
        facet, frame["p"].to_numpy() == 1, frame[["age", "x"]].to_numpy(float)
    )
    assert numeric["facets"]["sex"][0]["metrics"][0]["value"] == expected


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"methods": ["CI"]}, "methods.post_training_bias.methods"),
        ({"facets": [FacetConfig("nope", (1,))]}, "facet\\[0\\]"),
        ({"label": "missing"}, "'label'"),
        ({"facets": [FacetConfig("age")]}, "read as continuous"),
        ({"predicted_label": None}, "predicted_label"),
    ],
)
def test_config_problems_raise_config_error(
    frame: pd.DataFrame, options: dict, match: str
) -> None:
    """Check that unusable config values raise ConfigError naming the key."""
    with pytest.raises(ConfigError, match=match):
        _section(frame, **options)


def test_facet_by_index_resolves_to_column_name(frame: pd.DataFrame) -> None:
    """Check that an integer name_or_index picks the column at that position."""
    section = _section(frame, facets=[FacetConfig(1, (0,))], methods=["DPPL"])
    assert list(section["facets"]) == ["sex"]


def test_bias_statistics_counts(frame: pd.DataFrame) -> None:
    """Check group counts, rates and confusion counts against pandas counting."""
    stats = bias_statistics(
        frame,
        label="y",
        label_values_or_threshold=[1],
        facets=[FacetConfig("sex", (0,))],
        stage="post_training",
        predicted_label="p",
    )
    entry = stats["facets"]["sex"][0]
    for side, rows in (("facet", frame[frame["sex"] == 0]), ("complement", None)):
        rows = frame[frame["sex"] != 0] if rows is None else rows
        group = entry[side]
        assert group["count"] == len(rows)
        assert group["proportion"] == pytest.approx(len(rows) / len(frame))
        assert group["label_positive_rate"] == pytest.approx(rows["y"].mean())
        assert group["predicted_positive_rate"] == pytest.approx(rows["p"].mean())
        matrix = pd.crosstab(rows["y"], rows["p"])
        assert group["confusion_matrix"] == {
            "TP": matrix.loc[1, 1],
            "FP": matrix.loc[0, 1],
            "TN": matrix.loc[0, 0],
            "FN": matrix.loc[1, 0],
        }
