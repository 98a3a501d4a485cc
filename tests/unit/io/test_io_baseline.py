"""Tests of the SHAP baseline reader."""

from __future__ import annotations

import json

import jmespath
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openclarify.errors import ConfigError
from openclarify.io import load_baseline

FEATURES = ("age", "sex", "income")
ROWS = [[38, "m", 1.5], [52, "f", 2.25]]
KEY = "methods.shap.baseline"


def expected_frame(rows) -> pd.DataFrame:
    """Build the expected baseline column by column."""
    return pd.DataFrame({f: [r[j] for r in rows] for j, f in enumerate(FEATURES)})


def to_csv(rows) -> str:
    """Render rows as CSV text."""
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def test_inline_csv_rows(make_config):
    """Check that inline rows become one column per feature, in order."""
    baseline = tuple(tuple(r) for r in ROWS)

    frame = load_baseline(baseline, make_config(), FEATURES)

    pd.testing.assert_frame_equal(frame, expected_frame(ROWS))
    assert frame["age"].dtype == np.int64


@pytest.mark.parametrize(
    "baseline",
    [((38, "m"),), ((38, "m", 1.5, 0),), (38, "m", 1.5), ()],
)
def test_inline_rows_of_wrong_shape(make_config, baseline):
    """Check that rows that are not one value per feature name the baseline key."""
    with pytest.raises(ConfigError) as info:
        load_baseline(baseline, make_config(), FEATURES)

    assert info.value.key == KEY


@pytest.mark.parametrize("header", [True, False])
def test_csv_file_with_or_without_header(write, make_config, header):
    """Check that a baseline file is read with or without a feature header row."""
    text = (",".join(FEATURES) + "\n" if header else "") + to_csv(ROWS)
    path = write("baseline.csv", text)

    frame = load_baseline(str(path), make_config(), FEATURES)

    pd.testing.assert_frame_equal(frame, expected_frame(ROWS))


def test_csv_file_with_reordered_header(write, make_config):
    """Check that a header row naming the features in another order reorders them."""
    text = "income,age,sex\n" + to_csv([[r[2], r[0], r[1]] for r in ROWS])
    path = write("baseline.csv.gz", text, compress=True)

    frame = load_baseline(path.as_uri(), make_config(), FEATURES)

    pd.testing.assert_frame_equal(frame, expected_frame(ROWS))


@pytest.mark.parametrize(
    "text", ["38,m\n", "age,sex,other\n38,m,1\n52,f,2\n"], ids=["width", "names"]
)
def test_csv_file_that_does_not_fit(write, make_config, text):
    """Check that a file of the wrong width or names names the baseline key."""
    path = write("baseline.csv", text)

    with pytest.raises(ConfigError) as info:
        load_baseline(str(path), make_config(), FEATURES)

    assert info.value.key == KEY


RECORDS = [{"features": r, "label": 1} for r in ROWS]


def test_inline_jsonlines_records(make_config):
    """Check that the features JMESPath is applied to each inline record."""
    config = make_config("application/jsonlines", features="features", label="label")

    frame = load_baseline(tuple(RECORDS), config, FEATURES)

    rows = [jmespath.search("features", r) for r in RECORDS]
    pd.testing.assert_frame_equal(frame, expected_frame(rows))


def test_jsonlines_file_ignores_the_label_path(write, make_config):
    """Check that a JSON Lines baseline file needs no label in its records."""
    lines = "".join(json.dumps({"features": r}) + "\n" for r in ROWS)
    path = write("baseline.jsonl", lines)
    config = make_config("application/jsonlines", features="features", label="label")

    frame = load_baseline(str(path), config, FEATURES)

    pd.testing.assert_frame_equal(frame, expected_frame(ROWS))


def test_inline_json_document(make_config):
    """Check that the features JMESPath is applied to an inline JSON document."""
    document = {"instances": [{"x": r} for r in ROWS]}
    config = make_config("application/json", features="instances[*].x")

    frame = load_baseline(document, config, FEATURES)

    rows = jmespath.search("instances[*].x", document)
    pd.testing.assert_frame_equal(frame, expected_frame(rows))


def test_json_file(write, make_config):
    """Check that a JSON baseline file is read with the features JMESPath."""
    path = write("baseline.json", json.dumps({"instances": [{"x": r} for r in ROWS]}))
    config = make_config("application/json", features="instances[*].x")

    frame = load_baseline(str(path), config, FEATURES)

    pd.testing.assert_frame_equal(frame, expected_frame(ROWS))


def test_inline_json_of_wrong_shape(make_config):
    """Check that a JSON baseline without records names the baseline key."""
    config = make_config("application/json", features="instances[*].x")

    with pytest.raises(ConfigError) as info:
        load_baseline({"other": 1}, config, FEATURES)

    assert info.value.key == KEY


def test_parquet_file_by_name(tmp_path, make_config):
    """Check that a Parquet baseline picks the feature columns by name."""
    table = pa.table(
        {"income": [r[2] for r in ROWS], "age": [r[0] for r in ROWS]}
        | {"sex": [r[1] for r in ROWS], "y": [0, 1]}
    )
    pq.write_table(table, tmp_path / "b.parquet")

    frame = load_baseline(
        str(tmp_path / "b.parquet"), make_config("application/x-parquet"), FEATURES
    )

    pd.testing.assert_frame_equal(frame, expected_frame(ROWS))


@pytest.mark.parametrize(
    ("baseline", "match"),
    [({"features": [1, 2, 3]}, "list of JSON Lines records"), (({"f": 1},), "selects")],
)
def test_inline_jsonlines_of_wrong_shape(make_config, baseline, match):
    """Check that JSON Lines baselines that are not records name the baseline key."""
    config = make_config("application/jsonlines", features="features")

    with pytest.raises(ConfigError, match=match) as info:
        load_baseline(baseline, config, FEATURES)

    assert info.value.key == KEY
