"""Tests of the Parquet reader."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openclarify.errors import DatasetError
from openclarify.io import load_dataset

PARQUET = "application/x-parquet"
TABLE = pa.table(
    {
        "age": [25, 31, 47, 52],
        "score": [1.5, 2.5, 0.5, 3.0],
        "group": ["a", "b", "a", "c"],
        "y": [0, 1, 1, 0],
    }
)


def test_columns_are_read_by_name(tmp_path, make_config):
    """Check that stored names are kept and label is addressed by name."""
    pq.write_table(TABLE, tmp_path / "d.parquet")

    data = load_dataset(make_config(PARQUET, label="y"), tmp_path / "d.parquet")

    pd.testing.assert_frame_equal(data.frame, TABLE.to_pandas())
    assert data.features == ("age", "score", "group") and data.label == "y"


def test_headers_rename_columns(tmp_path, make_config):
    """Check that headers of matching length rename the stored columns."""
    pq.write_table(TABLE, tmp_path / "d.parquet")
    config = make_config(PARQUET, headers=("A", "S", "G", "Y"), label=3)

    data = load_dataset(config, tmp_path / "d.parquet")

    assert list(data.frame.columns) == ["A", "S", "G", "Y"] and data.label == "Y"
    assert data.frame["A"].tolist() == TABLE.column("age").to_pylist()


def test_headers_of_wrong_length_are_rejected(tmp_path, make_config):
    """Check that headers of another length than the columns are an error."""
    pq.write_table(TABLE, tmp_path / "d.parquet")

    with pytest.raises(DatasetError, match="do not match with the number"):
        load_dataset(make_config(PARQUET, headers=("A",)), tmp_path / "d.parquet")


def test_folder_of_parts(tmp_path, make_config):
    """Check that Parquet parts are concatenated in sorted path order."""
    (tmp_path / "data").mkdir()
    pq.write_table(TABLE.slice(2), tmp_path / "data" / "part-1.parquet")
    pq.write_table(TABLE.slice(0, 2), tmp_path / "data" / "part-0.parquet")
    (tmp_path / "data" / "_SUCCESS").write_bytes(b"")

    data = load_dataset(make_config(PARQUET), tmp_path / "data")

    pd.testing.assert_frame_equal(data.frame, TABLE.to_pandas())


def test_parts_with_different_columns_are_rejected(tmp_path, make_config):
    """Check that parts whose columns differ are rejected naming the part."""
    (tmp_path / "data").mkdir()
    pq.write_table(TABLE, tmp_path / "data" / "part-0.parquet")
    other = tmp_path / "data" / "part-1.parquet"
    pq.write_table(TABLE.drop_columns(["y"]), other)

    with pytest.raises(DatasetError, match="same columns") as info:
        load_dataset(make_config(PARQUET), tmp_path / "data")

    assert info.value.path == str(other)


def test_not_parquet_is_a_dataset_error(write, make_config):
    """Check that a non-Parquet file is reported with its name."""
    path = write("d.parquet", "a,b\n1,2\n")

    with pytest.raises(DatasetError, match="as Parquet") as info:
        load_dataset(make_config(PARQUET), path)

    assert info.value.path == str(path)
