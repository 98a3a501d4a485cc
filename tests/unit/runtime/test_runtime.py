"""Tests of the ML root layout, resource config and exit messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openclarify.errors import ClientError, ConfigError
from openclarify.runtime import (
    Environment,
    JobPaths,
    find_config_file,
    read_host_info,
    resolve_ml_root,
    write_exit_message,
)


def test_default_layout(tmp_path: Path) -> None:
    """Check that the paths follow the processing container's layout."""
    paths = JobPaths.under(tmp_path)
    assert paths.config_dir == tmp_path / "processing/input/config"
    assert paths.data_dir == tmp_path / "processing/input/data"
    assert paths.output_dir == tmp_path / "processing/output"
    assert paths.message_file == tmp_path / "output/message"


def test_layout_honours_processing_job_config(tmp_path: Path) -> None:
    """Check that input and output paths are looked up by name and rebased."""
    (tmp_path / "config").mkdir()
    document = {
        "ProcessingInputs": [
            {"InputName": "dataset", "S3Input": {"LocalPath": "/opt/ml/processing/d"}},
            {
                "InputName": "analysis_config",
                "S3Input": {"LocalPath": "/opt/ml/processing/c"},
            },
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "analysis_result",
                    "S3Output": {"LocalPath": "/opt/ml/processing/o"},
                }
            ]
        },
    }
    (tmp_path / "config/processingjobconfig.json").write_text(json.dumps(document))
    paths = JobPaths.under(tmp_path)
    assert paths.data_dir == tmp_path / "processing/d"
    assert paths.config_dir == tmp_path / "processing/c"
    assert paths.output_dir == tmp_path / "processing/o"


def test_ml_root_precedence() -> None:
    """Check that the flag beats the environment, which beats /opt/ml."""
    env = Environment.from_environ({"OPENCLARIFY_ML_ROOT": "/env/root"})
    assert resolve_ml_root("/flag", env) == Path("/flag")
    assert resolve_ml_root(None, env) == Path("/env/root")
    assert resolve_ml_root(None, Environment()) == Path("/opt/ml")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["analysis_config.json", "other.json"], "analysis_config.json"),
        (["bias_analysis_config.json"], "bias_analysis_config.json"),
    ],
)
def test_config_file_choice(tmp_path: Path, names: list[str], expected: str) -> None:
    """Check that analysis_config.json wins, else the only JSON file is taken."""
    for name in names:
        (tmp_path / name).write_text("{}")
    assert find_config_file(tmp_path).name == expected


@pytest.mark.parametrize(
    ("names", "match"),
    [([], "no analysis config found"), (["a.json", "b.json"], "a.json, b.json")],
)
def test_config_file_errors(tmp_path: Path, names: list[str], match: str) -> None:
    """Check that no candidate or several candidates is a clear client error."""
    for name in names:
        (tmp_path / name).write_text("{}")
    with pytest.raises(ClientError, match=match):
        find_config_file(tmp_path)


def test_host_info(tmp_path: Path) -> None:
    """Check that the first host leads and a missing file means one host."""
    assert read_host_info(tmp_path / "absent.json").is_leader
    path = tmp_path / "resourceconfig.json"
    path.write_text(
        json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]})
    )
    info = read_host_info(path)
    assert info.leader == "algo-1"
    assert not info.is_leader


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ({"current_host": "x", "hosts": []}, "hosts"),
        ({"current_host": "algo-9", "hosts": ["algo-1"]}, "current_host"),
    ],
)
def test_host_info_errors(tmp_path: Path, document: dict, match: str) -> None:
    """Check that a malformed resource config names the bad key."""
    path = tmp_path / "resourceconfig.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match=match):
        read_host_info(path)


def test_environment_rejects_bad_numbers() -> None:
    """Check that a malformed environment variable names itself."""
    with pytest.raises(ConfigError, match="OPENCLARIFY_N_WORKERS"):
        Environment.from_environ({"OPENCLARIFY_N_WORKERS": "many"})
    with pytest.raises(ConfigError, match="OPENCLARIFY_JOIN_TIMEOUT"):
        Environment.from_environ({"OPENCLARIFY_JOIN_TIMEOUT": "-1"})


def test_exit_messages(tmp_path: Path) -> None:
    """Check that failure writes both files and success clears the failure."""
    paths = JobPaths.under(tmp_path)
    write_exit_message(paths, "ClientError: bad", failed=True)
    assert paths.message_file.read_text() == "ClientError: bad\n"
    assert paths.failure_file.read_text() == "ClientError: bad\n"
    write_exit_message(paths, "Completed", failed=False)
    assert not paths.failure_file.exists()
    write_exit_message(paths, "x" * 5000, failed=True)
    assert len(paths.message_file.read_bytes()) <= 1025
