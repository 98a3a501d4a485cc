"""Tests of the run record: digests, fingerprints, versions and phase timing."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

import openclarify
from openclarify.report import (
    RunRecord,
    RunRecorder,
    config_digest,
    fingerprint_files,
    fingerprint_frame,
    library_versions,
)

CONFIG = {
    "dataset_type": "text/csv",
    "label": "Target",
    "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
    "methods": {"shap": {"num_samples": 15, "seed": 1}, "report": {"name": "r"}},
}


def test_config_digest_is_sha256_of_canonical_json() -> None:
    """Check that the digest is the SHA-256 of the sorted, compact UTF-8 JSON."""
    text = json.dumps(CONFIG, sort_keys=True, separators=(",", ":"))
    expected = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    assert config_digest(CONFIG) == expected


def test_config_digest_ignores_key_order_and_spacing() -> None:
    """Check that reordering keys and reformatting the file keep the digest."""
    reordered = json.loads(json.dumps(dict(reversed(list(CONFIG.items())))))
    spaced = json.loads(json.dumps(CONFIG, indent=4))
    changed = json.loads(json.dumps(CONFIG))
    changed["methods"]["shap"]["seed"] = 2

    assert config_digest(reordered) == config_digest(CONFIG)
    assert config_digest(spaced) == config_digest(CONFIG)
    assert config_digest(changed) != config_digest(CONFIG)


def _write_parts(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for number, text in enumerate(["a,b\n1,2\n", "3,4\n", "5,6\n"]):
        path = folder / f"part{number}.csv"
        path.write_text(text)
        paths.append(path)
    return paths


def test_file_fingerprint_follows_content_not_location(tmp_path: Path) -> None:
    """Check that the fingerprint is the same for copies and listing orders."""
    paths = _write_parts(tmp_path / "data")
    copy = tmp_path / "mounted" / "elsewhere"
    shutil.copytree(tmp_path / "data", copy)

    first = fingerprint_files(paths)

    assert fingerprint_files(reversed(paths)) == first
    assert fingerprint_files(sorted(copy.iterdir())) == first
    paths[1].write_text("3,5\n")
    assert fingerprint_files(paths) != first


def test_file_fingerprint_matches_plain_hash(tmp_path: Path) -> None:
    """Check the fingerprint against a plain length-framed SHA-256 of the files."""
    paths = _write_parts(tmp_path / "data")
    digest = hashlib.sha256()
    for path in sorted(paths):
        data = path.read_bytes()
        digest.update(len(data).to_bytes(8, "big") + data)

    assert fingerprint_files(paths) == "sha256:" + digest.hexdigest()


def test_frame_fingerprint_ignores_index_but_not_values() -> None:
    """Check that the frame fingerprint ignores the index and sees data changes."""
    frame = pd.DataFrame({"Age": [39, 50, 38], "Sex": ["Male", "Female", "Male"]})
    reindexed = frame.set_axis([10, 20, 30])
    changed = frame.assign(Age=[39, 50, 37])
    reordered = frame.iloc[[1, 0, 2]].reset_index(drop=True)
    renamed = frame.rename(columns={"Age": "age"})

    first = fingerprint_frame(frame)

    assert fingerprint_frame(reindexed) == first
    assert fingerprint_frame(frame.copy()) == first
    assert len({first, *map(fingerprint_frame, (changed, reordered, renamed))}) == 4


def test_library_versions_come_from_the_environment() -> None:
    """Check that the recorded versions are the installed ones, python first."""
    versions = library_versions()

    assert list(versions)[0] == "python"
    assert versions["python"] == platform.python_version()
    for name in ("numpy", "pandas", "xgboost", "dask", "distributed"):
        assert versions[name] == metadata.version(name)


class _StepClock:
    """A clock that advances by the given steps, one per reading."""

    def __init__(self, steps: list[float]) -> None:
        self.now = 0.0
        self.steps = iter(steps)

    def __call__(self) -> float:
        self.now += next(self.steps)
        return self.now


def test_recorder_times_phases_and_adds_repeats() -> None:
    """Check that phase durations are measured, and repeated phases add up."""
    clock = _StepClock([1.0, 2.0, 10.0, 0.5, 3.0, 0.25])
    recorder = RunRecorder(clock=clock)

    with recorder.phase("load"):
        pass
    with recorder.phase("shap"):
        pass
    with recorder.phase("load"):
        pass

    assert recorder.durations == {"load": 2.0 + 0.25, "shap": 0.5}
    assert list(recorder.durations) == ["load", "shap"]


def test_recorder_records_a_failed_phase() -> None:
    """Check that a phase that raises is still timed."""
    recorder = RunRecorder(clock=_StepClock([1.0, 4.0]))
    try:
        with recorder.phase("predict"):
            raise ValueError("model down")
    except ValueError:
        pass

    assert recorder.durations == {"predict": 4.0}


def test_finished_record_has_every_field() -> None:
    """Check that the finished record carries version, digest, hosts and times."""
    before = datetime.now().astimezone()
    recorder = RunRecorder()
    with recorder.phase("bias"):
        np.arange(10).sum()
    frame = pd.DataFrame({"x": [1.0, 2.0]})

    record = recorder.finish(
        config_digest=config_digest(CONFIG),
        dataset_fingerprint=fingerprint_frame(frame),
        rows=len(frame),
        hosts=["algo-1", "algo-2"],
        seeds={"shap": 1, "baseline": None},
    )
    data = record.to_dict()
    started = datetime.fromisoformat(data["start_time"])

    assert isinstance(record, RunRecord)
    assert list(data) == [
        "openclarify_version",
        "config_digest",
        "dataset_fingerprint",
        "rows",
        "hosts",
        "seeds",
        "library_versions",
        "start_time",
        "durations",
    ]
    assert data["openclarify_version"] == openclarify.__version__
    assert data["hosts"] == ["algo-1", "algo-2"] and data["rows"] == 2
    assert started.utcoffset() == timedelta(0)
    assert abs(started - before) < timedelta(minutes=1)
    assert data["durations"]["bias"] >= 0.0
    assert json.loads(json.dumps(data)) == data


def test_record_dataclass_is_written_as_json(tmp_path) -> None:
    """Check that write_run_record accepts the RunRecord itself."""
    from openclarify.report import write_run_record

    record = RunRecorder().finish(
        config_digest=config_digest(CONFIG),
        dataset_fingerprint="sha256:0",
        rows=1,
        hosts=["algo-1"],
        seeds={},
    )

    path = write_run_record(tmp_path / "run_record.json", record)

    assert json.loads(path.read_text(encoding="utf-8")) == record.to_dict()
