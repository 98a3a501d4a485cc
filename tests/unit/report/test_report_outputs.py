"""Tests of the output writers: analysis.json, local SHAP, baseline, run record."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.errors import AnalysisError
from openclarify.report import (
    write_analysis_json,
    write_baseline,
    write_local_shap,
    write_run_record,
    write_shap_part,
)

finite_floats = st.floats(allow_nan=False, allow_infinity=False)


def _strict_load(path: Path) -> object:
    """Parse JSON, refusing the non-standard NaN/Infinity tokens."""

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_infinities_become_strings_and_nan_becomes_null(tmp_path: Path) -> None:
    """Check that ±inf are written as "Infinity"/"-Infinity" and NaN as null."""
    analysis = {
        "a": math.inf,
        "b": -math.inf,
        "c": math.nan,
        "d": np.float64(np.inf),
        "e": np.float32(-np.inf),
        "f": [np.nan, 1.5],
    }
    path = write_analysis_json(tmp_path / "analysis.json", analysis)

    loaded = _strict_load(path)

    assert loaded == {
        "a": "Infinity",
        "b": "-Infinity",
        "c": None,
        "d": "Infinity",
        "e": "-Infinity",
        "f": [None, 1.5],
    }


def test_numpy_values_become_python_values(tmp_path: Path) -> None:
    """Check that numpy scalars and arrays are written as plain JSON values."""
    values = np.array([0.25, -3.0, 1e-300])
    analysis = {
        "int": np.int64(7),
        "float32": np.float32(0.1),
        "bool": np.bool_(True),
        "array": values,
        "tuple": (np.int32(1), "x"),
    }
    loaded = _strict_load(write_analysis_json(tmp_path / "analysis.json", analysis))

    assert loaded == {
        "int": 7,
        "float32": float(np.float32(0.1)),
        "bool": True,
        "array": values.tolist(),
        "tuple": [1, "x"],
    }
    assert type(loaded["int"]) is int and type(loaded["bool"]) is bool


def test_key_order_is_kept_and_text_is_utf8(tmp_path: Path) -> None:
    """Check that keys keep the given (unsorted) order and non-ASCII stays UTF-8."""
    analysis = {"version": "1.0", "zeta": 1, "alpha": {"Größe": "naïve", "b": 2}}
    path = write_analysis_json(tmp_path / "analysis.json", analysis)

    text = path.read_bytes().decode("utf-8")
    loaded = json.loads(text)

    assert list(loaded) == ["version", "zeta", "alpha"]
    assert list(loaded["alpha"]) == ["Größe", "b"]
    assert "Größe" in text and "\\u" not in text


@settings(max_examples=60, deadline=None)
@given(numbers=st.lists(finite_floats, min_size=1, max_size=20))
def test_floats_round_trip_exactly(tmp_path_factory, numbers: list[float]) -> None:
    """Check that every finite float reads back bit-for-bit from analysis.json."""
    path = tmp_path_factory.mktemp("json") / "analysis.json"
    write_analysis_json(path, {"values": numbers})

    loaded = _strict_load(path)

    assert loaded["values"] == numbers
    assert [math.copysign(1, v) for v in loaded["values"]] == [
        math.copysign(1, v) for v in numbers
    ]


def test_unserialisable_value_names_its_place(tmp_path: Path) -> None:
    """Check that a value of an unknown type raises an error naming its path."""
    with pytest.raises(AnalysisError, match=r"\$\.explanations\.when.*datetime"):
        write_analysis_json(
            tmp_path / "analysis.json",
            {"explanations": {"when": pd.Timestamp("2024-01-01").to_pydatetime()}},
        )


def test_non_string_key_is_refused(tmp_path: Path) -> None:
    """Check that a non-string key raises an error that says what is accepted."""
    with pytest.raises(AnalysisError, match="string keys are accepted"):
        write_analysis_json(tmp_path / "analysis.json", {"facets": {1: []}})


@settings(max_examples=30, deadline=None)
@given(
    columns=st.lists(
        st.lists(finite_floats, min_size=5, max_size=5), min_size=1, max_size=4
    )
)
def test_local_shap_single_file_round_trips(tmp_path_factory, columns) -> None:
    """Check that out.csv reads back to exactly the values written."""
    frame = pd.DataFrame({f"f{i}_label0": values for i, values in enumerate(columns)})
    out_dir = tmp_path_factory.mktemp("out")

    path = write_local_shap(out_dir, frame)
    loaded = pd.read_csv(path)

    assert path == out_dir / "explanations_shap" / "out.csv" and path.is_file()
    pd.testing.assert_frame_equal(loaded, frame, check_exact=True)


def test_local_shap_float32_values_are_kept_exactly(tmp_path: Path) -> None:
    """Check that float32 SHAP values read back as the same numbers."""
    rng = np.random.default_rng(3)
    values = rng.standard_normal(50).astype(np.float32)
    frame = pd.DataFrame({"Age_label0": values})

    loaded = pd.read_csv(write_local_shap(tmp_path, frame))

    assert np.array_equal(loaded["Age_label0"].to_numpy(), values.astype(np.float64))


def test_local_shap_parts_keep_order_and_headers(tmp_path: Path) -> None:
    """Check that part files each carry the header and concatenate to the input."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "id": np.arange(23),
            "Age_label0": rng.standard_normal(23),
            "Sex_label0": rng.standard_normal(23),
        }
    )

    folder = write_local_shap(tmp_path, frame, parts=4)
    names = sorted(p.name for p in folder.iterdir())
    headers = [(folder / name).read_text().splitlines()[0] for name in names]
    joined = pd.concat([pd.read_csv(folder / name) for name in names])

    assert folder.is_dir() and folder.name == "out.csv"
    assert names == [f"part-0000{i}.csv" for i in range(4)]
    assert headers == ["id,Age_label0,Sex_label0"] * 4
    pd.testing.assert_frame_equal(joined.reset_index(drop=True), frame)


def test_more_parts_than_rows_writes_one_row_per_part(tmp_path: Path) -> None:
    """Check that asking for more parts than rows writes no empty part."""
    frame = pd.DataFrame({"x_label0": [0.5, -0.25, 1.0]})

    folder = write_local_shap(tmp_path, frame, parts=10)
    sizes = [len(pd.read_csv(p)) for p in sorted(folder.iterdir())]

    assert sizes == [1, 1, 1]


def test_single_file_and_parts_replace_each_other(tmp_path: Path) -> None:
    """Check that a rerun replaces a folder by a file and back without leftovers."""
    frame = pd.DataFrame({"x_label0": np.linspace(-1, 1, 6)})

    write_local_shap(tmp_path, frame, parts=2)
    single = write_local_shap(tmp_path, frame)
    assert single.is_file()
    folder = write_local_shap(tmp_path, frame, parts=3)

    assert folder.is_dir() and len(list(folder.iterdir())) == 3
    leftovers = [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.parametrize("parts", [0, -1, 2.5, True])
def test_bad_parts_value_is_refused(tmp_path: Path, parts: object) -> None:
    """Check that a non-positive or non-integer parts value is refused."""
    frame = pd.DataFrame({"x_label0": [1.0]})
    with pytest.raises(AnalysisError, match="'parts'"):
        write_local_shap(tmp_path, frame, parts=parts)  # type: ignore[arg-type]


def test_worker_part_files_sort_by_number(tmp_path: Path) -> None:
    """Check that parts written out of order by workers still sort by number."""
    folder = tmp_path / "explanations_shap" / "out.csv"
    blocks = [pd.DataFrame({"x_label0": [float(i)]}) for i in range(12)]
    for number in (11, 3, 0, 7, 1, 2, 4, 5, 6, 8, 9, 10):
        write_shap_part(folder, number, blocks[number])

    ordered = [pd.read_csv(p)["x_label0"][0] for p in sorted(folder.iterdir())]

    assert ordered == [float(i) for i in range(12)]


def test_baseline_is_written_with_header(tmp_path: Path) -> None:
    """Check that baseline.csv holds the baseline rows under a header."""
    baseline = pd.DataFrame({"Age": [39.5, 51.0], "Sex": [0.0, 1.0]})

    path = write_baseline(tmp_path, baseline)

    assert path == tmp_path / "explanations_shap" / "baseline.csv"
    pd.testing.assert_frame_equal(pd.read_csv(path), baseline, check_exact=True)


def test_run_record_lives_beside_analysis(tmp_path: Path) -> None:
    """Check that the run record goes to its own file and not into analysis.json."""
    analysis = {"version": "1.0"}
    write_analysis_json(tmp_path / "analysis.json", analysis)

    write_run_record(tmp_path / "run_record.json", {"rows": np.int64(5)})

    assert _strict_load(tmp_path / "analysis.json") == analysis
    assert _strict_load(tmp_path / "run_record.json") == {"rows": 5}
    with pytest.raises(AnalysisError, match="run_record.json"):
        write_run_record(tmp_path / "analysis.json", {"rows": 5})


def test_outputs_are_readable_by_others(tmp_path: Path) -> None:
    """Check that written files are mode 0644 and the parts folder 0755."""
    frame = pd.DataFrame({"x_label0": [0.5, 1.5]})

    paths = [
        write_analysis_json(tmp_path / "analysis.json", {"version": "1.0"}),
        write_baseline(tmp_path, frame),
        write_run_record(tmp_path / "run_record.json", {"rows": 2}),
    ]
    folder = write_local_shap(tmp_path, frame, parts=2)

    assert [p.stat().st_mode & 0o777 for p in paths] == [0o644] * 3
    assert folder.stat().st_mode & 0o777 == 0o755
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o644}
