"""Tests of the ``openclarify`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openclarify import __version__
from openclarify.cli import build_parser, main
from openclarify.demo import analysis_config


def test_validate_accepts_the_walkthrough_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that a valid config exits 0 and says so."""
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(analysis_config("bias")))
    assert main(["validate", str(path)]) == 0
    assert "valid analysis config" in capsys.readouterr().out


def test_validate_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that an invalid config exits 1 and names each bad key."""
    config = analysis_config("bias")
    config["dataset_type"] = "text/tsv"
    config["methods"]["pre_training_bias"] = {"methods": ["CI", "XYZ"]}
    path = tmp_path / "analysis_config.json"
    path.write_text(json.dumps(config))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "dataset_type" in err and "text/tsv" in err
    assert "XYZ" in err


def test_run_reports_a_missing_config(tmp_path: Path) -> None:
    """Check that ``run`` on an empty ML root fails with a client error."""
    assert main(["run", "--ml-root", str(tmp_path)]) == 1
    message = (tmp_path / "output/message").read_text()
    assert message.startswith("ClientError: no analysis config found")


def test_parser_knows_every_command() -> None:
    """Check that run, serve, demo and validate parse with their options."""
    parser = build_parser()
    assert parser.parse_args(["run"]).ml_root is None
    assert parser.parse_args(["run", "serve"]).mode == "serve"
    serve = parser.parse_args(["serve", "--model", "m.json", "--port", "9000"])
    assert (serve.model, serve.port, serve.host) == ("m.json", 9000, "127.0.0.1")
    assert parser.parse_args(["demo", "--no-run"]).no_run
    with pytest.raises(SystemExit):
        parser.parse_args(["--version"])


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that --version prints the package version."""
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out
