"""Tests of the CSV reader: header rows, names, types, parts and bad rows."""

from __future__ import annotations

import csv
import io
import logging

import numpy as np
import pandas as pd
import pytest

from openclarify.errors import DatasetError
from openclarify.io import list_files, load_dataset
from openclarify.io.csv_reader import looks_like_header, read_csv

ROWS = [[1, 0.5, "red", 0], [2, 1.5, "blue", 1], [3, 2.5, "red", 1]]
NAMES = ["id", "score", "colour", "y"]


def to_csv(rows, header=None) -> str:
    """Render rows (and an optional header row) with the csv module."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def reference(rows, names) -> pd.DataFrame:
    """Build the expected frame independently, column by column."""
    columns = {n: [r[j] for r in rows] for j, n in enumerate(names)}
    return pd.DataFrame(columns)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,age\n1,37\n2,41\n", True),  # rule 1: text over numbers
        ("name,city\nann,oslo\nbob,rome\n", True),  # rule 2: distinct text names
        ("x,1\ny,2\n", False),  # a numeric first-row cell
        ("1,2\n3,4\n", False),  # numbers only
        ("ann,oslo\nann,rome\n", False),  # 'ann' recurs in its column
        ("a,a\nb,c\n", False),  # repeated names
        ("a,,b\nc,d,e\n", False),  # an empty first-row cell
        ("label,text\n1,hello\n", True),  # rule 1 on the first column
        ("name,city\n", True),  # a lone header row
        ("1.5e3,nan\n2,3\n", False),  # scientific notation and nan are numbers
    ],
)
def test_header_rule_table(text, expected):
    """Check that the header rule decides each documented case as stated."""
    sample = list(csv.reader(io.StringIO(text)))

    assert looks_like_header(sample) is expected


def test_configured_headers_with_matching_header_row(write, make_config):
    """Check that a first row equal to headers is skipped."""
    path = write("d.csv", to_csv(ROWS, header=NAMES))

    data = load_dataset(make_config(headers=tuple(NAMES), label="y"), path)

    pd.testing.assert_frame_equal(data.frame, reference(ROWS, NAMES))


def test_configured_headers_without_header_row(write, make_config):
    """Check that with headers and no header row every row is data."""
    path = write("d.csv", to_csv(ROWS))

    data = load_dataset(make_config(headers=tuple(NAMES)), path)

    pd.testing.assert_frame_equal(data.frame, reference(ROWS, NAMES))


def test_configured_headers_keep_a_differing_header_as_data(write, caplog):
    """Check that a header-like row unequal to headers stays data, with a warning."""
    path = write("d.csv", to_csv([["a", "b"], [1, 2]]))

    with caplog.at_level(logging.WARNING):
        frame = read_csv(list_files(path), headers=["p", "q"])

    assert frame["p"].tolist() == ["a", "1"]
    assert "looks like a header" in caplog.text


def test_header_count_mismatch_names_both_counts_and_file(write, make_config):
    """Check that a wrong number of headers is reported with both counts."""
    path = write("d.csv", to_csv(ROWS))

    with pytest.raises(DatasetError, match="do not match with the number") as info:
        load_dataset(make_config(headers=("a", "b", "c")), path)

    message = str(info.value)
    assert "3 columns" in message and "has 4" in message and str(path) in message


def test_detected_header_row_names_the_columns(write, make_config):
    """Check that without headers a detected header row gives the names."""
    path = write("d.csv", to_csv(ROWS, header=NAMES))

    data = load_dataset(make_config(label="y"), path)

    pd.testing.assert_frame_equal(data.frame, reference(ROWS, NAMES))
    assert data.features == ("id", "score", "colour")


def test_no_header_row_gives_placeholder_names(write, make_config):
    """Check that without headers or header row columns are column_0..n-1."""
    path = write("d.csv", to_csv(ROWS))

    data = load_dataset(make_config(label=3), path)

    names = [f"column_{i}" for i in range(4)]
    pd.testing.assert_frame_equal(data.frame, reference(ROWS, names))
    assert data.label == "column_3"


def test_column_types(write, make_config):
    """Check that numbers become int64/float64 and other columns stay text."""
    text = "n,f,gap,s,flag\n1,0.5,7,a,True\n2,1.0,,b,False\n3,2.0,9,c,true\n"
    path = write("d.csv", text)

    frame = load_dataset(make_config(), path).frame

    assert frame["n"].dtype == np.int64
    assert frame["f"].dtype == np.float64
    assert frame["gap"].dtype == np.float64 and frame["gap"].isna().sum() == 1
    assert pd.api.types.is_string_dtype(frame["s"])
    assert frame["flag"].tolist() == ["True", "False", "true"]


def test_long_row_is_reported_with_file_and_line(write, make_config):
    """Check that a row with too many fields names its file and 1-based line."""
    path = write("d.csv", "a,b\n1,2\n3,4,5\n6,7\n")

    with pytest.raises(DatasetError, match="expected 2 fields, found 3") as info:
        load_dataset(make_config(), path)

    assert (info.value.path, info.value.line) == (str(path), 3)


def test_short_row_is_reported_with_file_and_line(write, make_config):
    """Check that a row with too few fields names its file and 1-based line."""
    path = write("d.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n")

    with pytest.raises(DatasetError, match="expected 3 fields, found 2") as info:
        load_dataset(make_config(), path)

    assert (info.value.path, info.value.line) == (str(path), 4)


def test_empty_trailing_cells_are_not_malformed(write, make_config):
    """Check that a row ending in an empty field is a missing value, not an error."""
    path = write("d.csv", "a,b\n1,2\n3,\n")

    frame = load_dataset(make_config(), path).frame

    assert frame["b"].isna().tolist() == [False, True]


def test_parts_are_concatenated_in_sorted_order(write, tmp_path, make_config):
    """Check that part files with repeated header rows join in path order."""
    chunks = [ROWS[:1], ROWS[1:2], ROWS[2:]]
    for k, chunk in reversed(list(enumerate(chunks))):
        write(f"data/part-{k:05d}.csv", to_csv(chunk, header=NAMES))
    write("data/part-00003.csv", "")
    write("data/_SUCCESS", "")

    data = load_dataset(make_config(), tmp_path / "data")

    pd.testing.assert_frame_equal(data.frame, reference(ROWS, NAMES))
    assert len(data.sources) == 4


def test_parts_without_header_rows(write, tmp_path, make_config):
    """Check that headerless parts after a headed first part are data."""
    write("data/part-0.csv", to_csv(ROWS[:2], header=NAMES))
    write("data/part-1.csv.gz", to_csv(ROWS[2:]), compress=True)

    data = load_dataset(make_config(), tmp_path / "data")

    pd.testing.assert_frame_equal(data.frame, reference(ROWS, NAMES))


def test_parts_with_different_columns_are_rejected(write, tmp_path, make_config):
    """Check that a part with another header row is named in the error."""
    write("data/part-0.csv", to_csv(ROWS, header=NAMES))
    other = write("data/part-1.csv", to_csv(ROWS, header=["w", "x", "y", "z"]))

    with pytest.raises(DatasetError, match="same columns") as info:
        load_dataset(make_config(), other.parent)

    assert info.value.path == str(other)


def test_parts_with_different_widths_are_rejected(write, tmp_path, make_config):
    """Check that a headerless part with another field count is rejected."""
    write("data/part-0.csv", to_csv(ROWS))
    write("data/part-1.csv", "1,2\n")

    with pytest.raises(DatasetError, match="same columns"):
        load_dataset(make_config(), tmp_path / "data")


def test_gzip_csv_matches_plain_csv(write, make_config):
    """Check that a gzip CSV reads the same as its plain twin."""
    plain = write("d.csv", to_csv(ROWS, header=NAMES))
    packed = write("d.csv.gz", to_csv(ROWS, header=NAMES), compress=True)

    first = load_dataset(make_config(), plain).frame
    second = load_dataset(make_config(), packed).frame

    pd.testing.assert_frame_equal(first, second)


def test_mixed_column_is_read_as_text(write, make_config):
    """Check that a column mixing numbers and text comes back as strings only."""
    # pandas infers types per chunk of 262144 rows; the text sits in chunk two.
    rows = [[i, i] for i in range(270_000)] + [["x", 1]]
    path = write("d.csv", to_csv(rows, header=["a", "b"]))

    frame = load_dataset(make_config(), path).frame

    assert frame["a"].map(type).eq(str).all()
    assert frame["a"].iloc[-1] == "x" and frame["b"].dtype == np.int64


def test_duplicate_header_names_are_rejected(write, make_config):
    """Check that a detected header row with a repeated name is an error."""
    path = write("d.csv", "a,b,a\n1,2,3\n")

    with pytest.raises(DatasetError, match="more than once"):
        load_dataset(make_config(), path)


def test_header_only_file_reads_as_no_rows(write):
    """Check that a file holding only a header row gives named empty columns."""
    path = write("d.csv", "name,city\n")

    frame = read_csv(list_files(path))

    assert list(frame.columns) == ["name", "city"] and len(frame) == 0


@pytest.mark.parametrize("text", ["", "name,city\n"])
def test_dataset_without_rows_is_rejected(write, make_config, text):
    """Check that an empty or header-only dataset is a dataset error."""
    path = write("d.csv", text)

    with pytest.raises(DatasetError, match="no rows"):
        load_dataset(make_config(), path)


def test_column_typed_differently_across_parts_is_text(write, tmp_path, make_config):
    """Check that a column numeric in one part and text in another is all text."""
    write("data/part-0.csv", "a,b\n1,2\n")
    write("data/part-1.csv", "a,b\nx,3\n")

    frame = load_dataset(make_config(), tmp_path / "data").frame

    assert frame["a"].tolist() == ["1", "x"] and frame["b"].dtype == np.int64
