"""Tests of column roles and of the predicted-label and facet side datasets."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from openclarify.errors import ConfigError, DatasetError
from openclarify.io import TabularData, load_dataset, resolve_column

HEADERS = ("id", "age", "sex", "income", "y")
MAIN = "1,25,m,10,0\n2,31,f,20,1\n3,47,f,30,1\n4,52,m,40,0\n"
IDS = [1, 2, 3, 4]


def feature_split(columns, dropped):
    """Compute the expected features independently of the loader."""
    return tuple(c for c in columns if c not in set(dropped))


@pytest.mark.parametrize(
    ("keys", "dropped"),
    [
        ({"label": "y"}, ["y"]),
        ({"label": 4, "excluded_columns": ("income",)}, ["y", "income"]),
        ({"label": "y", "excluded_columns": (0, "sex")}, ["y", "id", "sex"]),
        ({"label": "y", "joinsource_name_or_index": "id"}, ["y", "id"]),
        ({"label": "y", "predicted_label": 3}, ["y", "income"]),
    ],
)
def test_features_leave_out_special_columns(write, make_config, keys, dropped):
    """Check that label, predictions, excluded columns and join source are dropped."""
    path = write("d.csv", MAIN)

    data = load_dataset(make_config(headers=HEADERS, **keys), path)

    assert data.features == feature_split(HEADERS, dropped)
    assert isinstance(data.frame.index, pd.RangeIndex)
    assert data.feature_frame.columns.tolist() == list(data.features)


def test_roles_are_resolved_to_names(write, make_config):
    """Check that index references come back as column names."""
    path = write("d.csv", MAIN)
    config = make_config(
        headers=HEADERS, label=4, predicted_label=3, joinsource_name_or_index=0
    )

    data = load_dataset(config, path)

    assert (data.label, data.predicted_label, data.joinsource) == ("y", "income", "id")
    assert data.sources == (str(path),)


@pytest.mark.parametrize(
    ("ref", "key"),
    [("target", "label"), (9, "excluded_columns[0]"), (-1, "label"), (True, "label")],
)
def test_resolve_column_errors_name_key_value_and_columns(ref, key):
    """Check that an unknown column names the key, the value and the columns."""
    with pytest.raises(
        ConfigError, match=re.escape(f"Headers must contain {key}")
    ) as info:
        resolve_column(ref, list(HEADERS), key=key)

    assert info.value.key == key and info.value.value == ref
    assert all(repr(c) in str(info.value) for c in HEADERS)


def test_resolve_column_by_name_and_index():
    """Check that names and indexes both resolve to the column name."""
    columns = list(HEADERS)

    assert [resolve_column(c, columns, key="k") for c in columns] == columns
    assert [resolve_column(i, columns, key="k") for i in range(5)] == columns


def test_unknown_label_is_a_config_error(write, make_config):
    """Check that a label that is not a column fails with the label key."""
    path = write("d.csv", MAIN)

    with pytest.raises(ConfigError, match="Headers must contain label"):
        load_dataset(make_config(headers=HEADERS, label="target"), path)


def test_no_features_left_is_an_error(write, make_config):
    """Check that excluding every column is rejected."""
    path = write("d.csv", "1,0\n2,1\n")

    with pytest.raises(DatasetError, match="Data must contain features"):
        load_dataset(make_config(label=1, excluded_columns=(0,)), path)


def test_predicted_label_dataset_by_position(write, make_config):
    """Check that a one-column prediction file is joined by row position."""
    path = write("d.csv", MAIN)
    predictions = write("p.csv", "1\n1\n0\n0\n")
    config = make_config(
        headers=HEADERS, label="y", predicted_label_dataset_uri=str(predictions)
    )

    data = load_dataset(config, path)

    assert data.predicted_label == "predicted_label"
    assert data.frame["predicted_label"].tolist() == [1, 1, 0, 0]
    assert data.features == feature_split(HEADERS, ["y"])
    assert data.sources == (str(path), str(predictions))


def test_predicted_label_dataset_with_header_row_and_name(write, make_config):
    """Check that predicted_label_headers and predicted_label pick the column."""
    path = write("d.csv", MAIN)
    predictions = write("p.csv", "score,guess\n0.9,1\n0.8,1\n0.2,0\n0.1,0\n")
    config = make_config(
        headers=HEADERS,
        label="y",
        predicted_label="guess",
        predicted_label_dataset_uri=predictions.as_uri(),
        predicted_label_headers=("score", "guess"),
    )

    data = load_dataset(config, path)

    assert data.predicted_label == "guess"
    assert data.frame[["score", "guess"]].to_numpy().tolist() == [
        [0.9, 1],
        [0.8, 1],
        [0.2, 0],
        [0.1, 0],
    ]
    assert "score" not in data.features


def test_predicted_label_dataset_by_joinsource(write, tmp_path, make_config):
    """Check that prediction parts in another order are matched by row id."""
    path = write("d.csv", MAIN)
    truth = {1: 0, 2: 1, 3: 0, 4: 1}
    write("p/part-0.csv", "id,pred\n4,1\n2,1\n")
    write("p/part-1.csv", "id,pred\n3,0\n1,0\n")
    config = make_config(
        headers=HEADERS,
        label="y",
        joinsource_name_or_index="id",
        predicted_label="pred",
        predicted_label_dataset_uri=str(tmp_path / "p"),
    )

    data = load_dataset(config, path)

    assert data.frame["pred"].tolist() == [truth[i] for i in IDS]
    assert data.frame["id"].tolist() == IDS
    assert list(data.frame.columns) == [*HEADERS, "pred"]


@pytest.mark.parametrize(
    ("text", "joinsource", "match"),
    [
        ("1\n0\n", None, "has 2 rows but the dataset has 4"),
        ("id,pred\n1,0\n2,1\n3,1\n", "id", "1 dataset rows have no match"),
        ("id,pred\n1,0\n2,1\n2,1\n3,1\n4,0\n", "id", "repeats join source"),
    ],
)
def test_predicted_label_dataset_that_does_not_line_up(
    write, make_config, text, joinsource, match
):
    """Check that count mismatches, missing and repeated ids are dataset errors."""
    path = write("d.csv", MAIN)
    predictions = write("p.csv", text)
    config = make_config(
        headers=HEADERS,
        label="y",
        joinsource_name_or_index=joinsource,
        predicted_label="pred" if joinsource else None,
        predicted_label_dataset_uri=str(predictions),
    )

    with pytest.raises(DatasetError, match=match) as info:
        load_dataset(config, path)

    assert info.value.path == str(predictions)


def test_facet_dataset_columns_are_not_features(write, make_config):
    """Check that facet dataset columns are added but never sent to the model."""
    path = write("d.csv", MAIN)
    facets = write("f.csv", "id,race\n3,x\n1,y\n4,x\n2,z\n")
    config = make_config(
        headers=HEADERS,
        label="y",
        joinsource_name_or_index=0,
        facet_dataset_uri=str(facets),
        facet_headers=("id", "race"),
    )

    data = load_dataset(config, path)

    race = dict(zip([3, 1, 4, 2], ["x", "y", "x", "z"], strict=True))
    assert data.frame["race"].tolist() == [race[i] for i in IDS]
    assert data.features == feature_split(HEADERS, ["y", "id"])


def test_facet_dataset_by_position_and_name_clash(write, make_config):
    """Check that facet columns join by position and clashing names are rejected."""
    path = write("d.csv", MAIN)
    facets = write("f.csv", "u\nv\nu\nv\n")

    data = load_dataset(
        make_config(headers=HEADERS, facet_dataset_uri=str(facets)), path
    )
    assert data.frame["column_0"].tolist() == ["u", "v", "u", "v"]

    clash = make_config(
        headers=HEADERS, facet_dataset_uri=str(facets), facet_headers=("sex",)
    )
    with pytest.raises(DatasetError, match="already has"):
        load_dataset(clash, path)


def test_tabular_data_is_frozen():
    """Check that TabularData fields cannot be reassigned."""
    data = TabularData(frame=pd.DataFrame({"a": [1]}), features=("a",))

    with pytest.raises(AttributeError):
        data.label = "a"  # type: ignore[misc]
