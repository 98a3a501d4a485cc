"""Reading config files: load_config and validate_file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from _config_cases import bias_config, with_changes

from openclarify.config import (
    AnalysisConfig,
    ConfigFileError,
    check_config,
    load_config,
    parse_config,
    validate_file,
)
from openclarify.errors import ConfigError, UnsupportedConfigError


def write(path: Path, config: Any) -> Path:
    """Write ``config`` as JSON to ``path`` and return the path."""
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def test_load_config_valid(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Check that a valid file loads to the same config as parsing its content."""
    path = write(tmp_path / "analysis_config.json", bias_config())

    with caplog.at_level(logging.INFO, logger="openclarify.config"):
        config = load_config(path)

    assert isinstance(config, AnalysisConfig)
    assert config == parse_config(bias_config())
    assert any("accepted" in record.getMessage() for record in caplog.records)


def test_load_config_accepts_str_path(tmp_path: Path) -> None:
    """Check that load_config takes a string path as well as a Path."""
    path = write(tmp_path / "cfg.json", bias_config())

    assert load_config(str(path)) == load_config(path)


@pytest.mark.parametrize(
    "text",
    [
        '{"dataset_type": "text/csv",\n  "label": "y"\n  "methods": {}}',
        '{"dataset_type": "text/csv", }',
        "",
        '{"label": [1, 2}',
    ],
)
def test_invalid_json_names_file_and_position(tmp_path: Path, text: str) -> None:
    """Check that a JSON syntax error names the file, line and column."""
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(text)

    with pytest.raises(ConfigFileError) as raised:
        load_config(path)

    err = raised.value
    assert isinstance(err, ConfigError)
    assert (err.line, err.column) == (reference.value.lineno, reference.value.colno)
    assert str(path) in str(err)
    assert f"line {reference.value.lineno}, column {reference.value.colno}" in str(err)
    assert validate_file(path) == [str(err)]


def test_missing_file(tmp_path: Path) -> None:
    """Check that a missing file is a ConfigFileError naming the path."""
    path = tmp_path / "absent.json"

    with pytest.raises(ConfigFileError, match="no such file") as raised:
        load_config(path)
    assert str(path) in str(raised.value)
    assert raised.value.reason().startswith("ClientError: ")


def test_not_utf8(tmp_path: Path) -> None:
    """Check that a file that is not UTF-8 is rejected with the byte offset."""
    path = tmp_path / "latin1.json"
    path.write_bytes('{"label": "caf\u00e9"}'.encode("latin-1"))

    with pytest.raises(ConfigFileError, match="not UTF-8"):
        load_config(path)


def test_byte_order_mark_tolerated(tmp_path: Path) -> None:
    """Check that a UTF-8 byte-order mark does not break loading."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(bias_config()).encode("utf-8"))

    assert load_config(path) == parse_config(bias_config())


def test_duplicate_key_rejected(tmp_path: Path) -> None:
    """Check that a key repeated in one object is rejected, naming it."""
    path = tmp_path / "dup.json"
    text = json.dumps(bias_config())
    path.write_text(text.replace('"label": "y"', '"label": "y", "label": "age"'))

    with pytest.raises(ConfigFileError, match="'label' appears twice"):
        load_config(path)


def test_root_list_in_file(tmp_path: Path) -> None:
    """Check that a file holding a JSON list is reported, not crashed on."""
    path = write(tmp_path / "list.json", [bias_config()])

    problems = validate_file(path)

    assert len(problems) == 1
    assert "(top level)" in problems[0]


def test_validate_file_valid(tmp_path: Path) -> None:
    """Check that a valid file has no problems."""
    path = write(tmp_path / "ok.json", bias_config())

    assert validate_file(path) == []


def test_validate_file_lists_every_problem(tmp_path: Path) -> None:
    """Check that validate_file lists several problems, one line each."""
    config = with_changes(
        bias_config(),
        {
            "lable": "y",
            "probability_threshold": "high",
            "methods.pre_training_bias.methods": ["CI", "NOPE"],
            "methods.shap": {"agg_method": "mean", "text_config": {}},
            "facet": [{"name_or_index": "sex", "value_or_threshold": 0}],
        },
    )
    path = write(tmp_path / "bad.json", config)
    _, reference = _errors_of(config)

    problems = validate_file(path)

    assert problems == reference
    assert len(problems) == 6
    assert all("\n" not in line for line in problems)
    assert "'methods.shap.text_config'" in problems[0]
    keys = [
        "'lable'",
        "'probability_threshold'",
        "'facet[0].value_or_threshold'",
        "'methods.pre_training_bias.methods[1]'",
        "'methods.shap.agg_method'",
    ]
    for key in keys:
        assert sum(key in line for line in problems) == 1, key


def test_load_config_raises_first_problem(tmp_path: Path) -> None:
    """Check that load_config raises the first of the problems validate_file lists."""
    config = with_changes(bias_config(), {"label": True, "facet": []})
    path = write(tmp_path / "bad.json", config)

    with pytest.raises(ConfigError) as raised:
        load_config(path)

    assert not isinstance(raised.value, UnsupportedConfigError)
    assert validate_file(path)[0] == str(raised.value)
    assert len(validate_file(path)) == 2


def _errors_of(config: Any) -> tuple[Any, list[str]]:
    parsed, errors = check_config(config)
    return parsed, [" ".join(str(err).split()) for err in errors]
