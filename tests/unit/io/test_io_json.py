"""Tests of the JSON Lines and JSON readers."""

from __future__ import annotations

import json

import jmespath
import numpy as np
import pandas as pd
import pytest

from openclarify.errors import ConfigError, DatasetError
from openclarify.io import load_dataset

JSONL = "application/jsonlines"
JSON = "application/json"
RECORDS = [
    {"features": [25, 1.5, "a"], "target": 0, "pred": {"label": 1}},
    {"features": [31, 2.5, "b"], "target": 1, "pred": {"label": 1}},
    {"features": [47, 0.5, "a"], "target": 1, "pred": {"label": 0}},
]


def as_lines(records) -> str:
    """Render records as JSON Lines with a blank line in the middle."""
    lines = [json.dumps(r) for r in records]
    return "\n".join(lines[:1] + [""] + lines[1:]) + "\n"


def expected_column(records, path):
    """Evaluate a JMESPath on each record with the reference library."""
    return [jmespath.search(path, r) for r in records]


def test_jsonlines_with_headers(write, make_config):
    """Check that headers name features, then label, then predicted label."""
    path = write("d.jsonl", as_lines(RECORDS))
    config = make_config(
        JSONL,
        features="features",
        label="target",
        predicted_label="pred.label",
        headers=("age", "score", "group", "y", "y_hat"),
    )

    data = load_dataset(config, path)

    features = np.array(expected_column(RECORDS, "features"), dtype=object)
    assert data.features == ("age", "score", "group")
    assert (data.label, data.predicted_label) == ("y", "y_hat")
    assert data.frame["age"].tolist() == features[:, 0].tolist()
    assert data.frame["group"].tolist() == features[:, 2].tolist()
    assert data.frame["y"].tolist() == expected_column(RECORDS, "target")
    assert data.frame["y_hat"].tolist() == expected_column(RECORDS, "pred.label")
    assert data.frame["age"].dtype == np.int64
    assert data.frame["score"].dtype == np.float64


def test_jsonlines_without_headers(write, make_config):
    """Check that features are column_i and identifier label paths name columns."""
    path = write("d.jsonl", as_lines(RECORDS))
    config = make_config(
        JSONL, features="features", label="target", predicted_label="pred.label"
    )

    data = load_dataset(config, path)

    assert list(data.frame.columns) == [
        "column_0",
        "column_1",
        "column_2",
        "target",
        "predicted_label",
    ]
    assert data.label == "target" and data.predicted_label == "predicted_label"


def test_jsonlines_headers_for_features_only(write, make_config):
    """Check that headers naming only the features leave the label its own name."""
    path = write("d.jsonl", as_lines(RECORDS))
    config = make_config(
        JSONL, features="features", label="target", headers=("a", "b", "c")
    )

    data = load_dataset(config, path)

    assert data.features == ("a", "b", "c") and data.label == "target"


def test_jsonlines_header_count_mismatch(write, make_config):
    """Check that headers of the wrong length are rejected with both counts."""
    path = write("d.jsonl", as_lines(RECORDS))
    config = make_config(JSONL, features="features", label="target", headers=("a",))

    with pytest.raises(DatasetError, match="do not match with the number"):
        load_dataset(config, path)


def test_jsonlines_bad_line_names_file_and_line(write, make_config):
    """Check that a line that is not JSON is reported with its 1-based line."""
    path = write("d.jsonl", as_lines(RECORDS) + '{"features": [1, 2\n')
    config = make_config(JSONL, features="features")

    with pytest.raises(DatasetError, match="not valid JSON") as info:
        load_dataset(config, path)

    assert (info.value.path, info.value.line) == (str(path), 5)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"features": 3}, "instead of a list"),
        ({"features": [1, 2]}, "same features"),
        ({"features": [1, 2, 3]}, "found no value"),
    ],
)
def test_jsonlines_records_that_do_not_fit(write, make_config, extra, match):
    """Check that bad feature lists and missing labels name the line."""
    path = write("d.jsonl", as_lines(RECORDS[:2]) + json.dumps(extra) + "\n")
    config = make_config(JSONL, features="features", label="target")

    with pytest.raises(DatasetError, match=match) as info:
        load_dataset(config, path)

    assert info.value.line == 4


def test_jsonlines_folder_of_parts(write, tmp_path, make_config):
    """Check that JSON Lines parts are concatenated in sorted path order."""
    write("data/part-1.jsonl.gz", as_lines(RECORDS[1:]), compress=True)
    write("data/part-0.jsonl", as_lines(RECORDS[:1]))

    data = load_dataset(make_config(JSONL, features="features"), tmp_path / "data")

    expected = [r["features"][0] for r in RECORDS]
    assert data.frame["column_0"].tolist() == expected


@pytest.mark.parametrize(
    ("keys", "key"),
    [
        ({}, "features"),
        ({"features": "features[", "label": "target"}, "features"),
        ({"features": "features", "label": 3}, "label"),
    ],
)
def test_bad_jmespath_config_is_a_config_error(write, make_config, keys, key):
    """Check that a missing or malformed JMESPath names its config key."""
    path = write("d.jsonl", as_lines(RECORDS))

    with pytest.raises(ConfigError) as info:
        load_dataset(make_config(JSONL, **keys), path)

    assert info.value.key == key


DOCUMENT = {
    "instances": [{"x": r["features"]} for r in RECORDS],
    "labels": [r["target"] for r in RECORDS],
}


def test_json_document(write, make_config):
    """Check that features select a 2-D list and label a 1-D list per record."""
    path = write("d.json", json.dumps(DOCUMENT))
    config = make_config(
        JSON,
        features="instances[*].x",
        label="labels",
        headers=("age", "score", "group", "y"),
    )

    data = load_dataset(config, path)

    expected = pd.DataFrame(
        jmespath.search("instances[*].x", DOCUMENT), columns=["age", "score", "group"]
    )
    pd.testing.assert_frame_equal(data.frame[list(data.features)], expected)
    assert data.frame["y"].tolist() == DOCUMENT["labels"]


def test_json_label_length_mismatch(write, make_config):
    """Check that a label list of another length than the records is rejected."""
    document = dict(DOCUMENT, labels=[0, 1])
    path = write("d.json", json.dumps(document))
    config = make_config(JSON, features="instances[*].x", label="labels")

    with pytest.raises(DatasetError, match="2 values for 3 records"):
        load_dataset(config, path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"instances": [1, 2]', "not valid JSON"),
        ('{"instances": [{"x": 1}]}', "list of records"),
    ],
)
def test_json_documents_that_do_not_fit(write, make_config, text, match):
    """Check that a broken document or 1-D features are dataset errors."""
    path = write("d.json", text)

    with pytest.raises(DatasetError, match=match) as info:
        load_dataset(make_config(JSON, features="instances[*].x"), path)

    assert info.value.path == str(path)
