"""Parse and validate ``analysis_config.json`` into frozen dataclasses.

Validation runs in two passes. The key tables of ``schema.py`` check every
value on its own (type, range, enum, unknown keys, unsupported features); the
rules of ``rules.py`` then check the keys against each other. Every problem is
collected, so :func:`validate_file` can list them all, while
:func:`parse_config` raises the first. Parsing is pure: no environment reads
and no I/O other than reading the file named to :func:`load_config` or
:func:`validate_file`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openclarify.config.constraints import INVALID, MISSING, Problems
from openclarify.config.model import (
    AnalysisConfig,
    BiasMethodConfig,
    FacetConfig,
    MethodsConfig,
    PdpConfig,
    PredictorConfig,
    ReportConfig,
    ShapConfig,
)
from openclarify.config.rules import RULES, View
from openclarify.config.schema import ANALYSIS_CONFIG
from openclarify.errors import ConfigError, UnsupportedConfigError

logger = logging.getLogger(__name__)

ROOT_KEY = "(top level)"
ROOT_ACCEPTED = "expected a JSON object with at least dataset_type and methods"
FILE_KEY = "(file)"
BOTH_TARGETS_WARNING = (
    "predictor gives both model_name %r and endpoint_name %r; the endpoint is "
    "used and the model ignored. Remove one of them to silence this warning."
)


class ConfigFileError(ConfigError):
    """The analysis config file cannot be read or is not valid JSON.

    Parameters
    ----------
    path : str
        The file.
    problem : str
        What is wrong, with the position for a JSON syntax error.
    hint : str
        What to do.
    line, column : int or None
        The 1-based position of a JSON syntax error, when there is one.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        hint: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(FILE_KEY, path, problem, hint)

    def _compose(self) -> str:
        return f"analysis config file {self.path!r}: {self.problem}. {self.hint}"


def parse_config(obj: object) -> AnalysisConfig:
    """Validate a loaded ``analysis_config.json`` and return it as dataclasses.

    Parameters
    ----------
    obj : object
        The JSON document, as returned by :func:`json.load`.

    Returns
    -------
    AnalysisConfig
        The config with defaults filled in: ``probability_threshold`` 0.5,
        ``methods.shap`` ``agg_method`` "mean_abs", ``use_logit`` and
        ``save_local_shap_values`` false, ``methods.pdp`` ``grid_resolution``
        15 and ``top_k_features`` 10, ``methods.report`` name "report" and
        title "Analysis Report", ``predictor.content_type`` the dataset type
        and ``predictor.accept_type`` the content type. Metric lists given as
        ``"all"`` are expanded; enum strings take their canonical case.

    Raises
    ------
    UnsupportedConfigError
        If the first problem is a Clarify feature openclarify does not run
        (images, text, time series, segments, asymmetric Shapley values).
    ConfigError
        If any key is unknown, missing or invalid; the first problem found is
        raised. Use :func:`validate_file` to list them all.

    Notes
    -----
    A key whose value is ``null`` counts as absent. When a predictor names
    both a model and an endpoint, the endpoint wins and a warning is logged.
    ``s3://`` URIs are accepted as they are; the dataset readers fetch them.

    Examples
    --------
    >>> config = parse_config({
    ...     "dataset_type": "TEXT/CSV",
    ...     "label": "y",
    ...     "label_values_or_threshold": [1],
    ...     "facet": [{"name_or_index": "sex"}],
    ...     "methods": {"pre_training_bias": {"methods": ["ci", "dpl"]}},
    ... })
    >>> config.dataset_type, config.methods.pre_training_bias.methods
    ('text/csv', ('CI', 'DPL'))
    """
    parsed, errors = check_config(obj)
    if errors:
        raise errors[0]
    return _build(parsed)


def check_config(obj: object) -> tuple[dict[str, Any], list[ConfigError]]:
    """Run every check on a loaded config and collect the problems.

    Parameters
    ----------
    obj : object
        The JSON document.

    Returns
    -------
    parsed : dict
        The normalised values by key (``MISSING`` or ``INVALID`` where there is
        none); only meaningful when ``errors`` is empty.
    errors : list of ConfigError
        Every problem found: unsupported features first, then per-key problems
        in table order, then problems across keys.
    """
    if not isinstance(obj, Mapping):
        return {}, [ConfigError(ROOT_KEY, obj, ROOT_ACCEPTED, "Fix the file.")]

    errors: list[ConfigError] = []
    try:
        parsed: Any = ANALYSIS_CONFIG.convert(obj, "")
    except Problems as group:
        errors.extend(group.errors)
        parsed = group.partial

    view = View(parsed, obj)
    for rule in RULES:
        errors.extend(rule.check(view))

    # An unsupported feature explains the other problems best: report it first.
    errors.sort(key=lambda err: not isinstance(err, UnsupportedConfigError))
    return parsed, errors


def load_config(path: str | Path) -> AnalysisConfig:
    """Read an ``analysis_config.json`` file and parse it.

    Parameters
    ----------
    path : str or Path
        The file, UTF-8 encoded JSON (a byte-order mark is tolerated).

    Returns
    -------
    AnalysisConfig
        See :func:`parse_config`.

    Raises
    ------
    ConfigFileError
        If the file cannot be read, is not UTF-8, is not valid JSON (the
        message gives line and column) or repeats a key within one object.
    ConfigError
        If the content is not a valid config; see :func:`parse_config`.
    """
    config = parse_config(_read_json(Path(path)))
    analyses = [
        field.name
        for field in dataclasses.fields(config.methods)
        if getattr(config.methods, field.name) is not None
    ]
    logger.info(
        "Analysis config %s accepted: dataset_type %s, methods %s",
        path,
        config.dataset_type,
        ", ".join(analyses),
    )
    return config


def validate_file(path: str | Path) -> list[str]:
    """List every problem of an ``analysis_config.json`` file.

    Parameters
    ----------
    path : str or Path
        The file to check.

    Returns
    -------
    list of str
        One line per problem, each naming the key, the value received, what
        is accepted and what to do; empty when the file is a valid config.
    """
    try:
        obj = _read_json(Path(path))
    except ConfigFileError as err:
        return [_one_line(err)]
    _, errors = check_config(obj)
    return [_one_line(err) for err in errors]


def dump_config(config: AnalysisConfig) -> dict[str, Any]:
    """Return a config as a JSON-ready dict that :func:`parse_config` accepts.

    Parameters
    ----------
    config : AnalysisConfig
        A parsed config.

    Returns
    -------
    dict
        Keys whose value is ``None`` or empty are left out; tuples become
        lists. Defaults
        are written out, so ``parse_config(dump_config(c)) == c``.
    """
    return _plain(dataclasses.asdict(config))


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise ConfigFileError(
            str(path), "no such file", "Check the path of the analysis config."
        ) from err
    except UnicodeDecodeError as err:
        raise ConfigFileError(
            str(path),
            f"not UTF-8 text ({err.reason} at byte {err.start})",
            "Save the file as UTF-8.",
        ) from err
    except OSError as err:
        raise ConfigFileError(
            str(path), f"cannot be read ({err.strerror})", "Check its permissions."
        ) from err

    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise ConfigFileError(
            str(path),
            f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}",
            "Fix the JSON syntax there.",
            line=err.lineno,
            column=err.colno,
        ) from err
    except _DuplicateKey as err:
        raise ConfigFileError(
            str(path),
            f"the key {err.name!r} appears twice in one object",
            "Keep only one of them.",
        ) from err


class _DuplicateKey(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise _DuplicateKey(name)
        result[name] = value
    return result


def _one_line(err: ConfigError) -> str:
    return " ".join(str(err).split())


def _build(parsed: Mapping[str, Any]) -> AnalysisConfig:
    fields = _present(parsed)
    fields["facet"] = tuple(
        FacetConfig(
            name_or_index=entry["name_or_index"],
            value_or_threshold=_present(entry).get("value_or_threshold") or None,
        )
        for entry in fields.get("facet", ())
    )
    fields["methods"] = _build_methods(fields["methods"])
    if "predictor" in fields:
        fields["predictor"] = _build_predictor(
            fields["predictor"], fields["dataset_type"]
        )
    return AnalysisConfig(**fields)


def _build_methods(parsed: Mapping[str, Any]) -> MethodsConfig:
    fields = _present(parsed)
    for name in ("pre_training_bias", "post_training_bias"):
        if name in fields:
            fields[name] = BiasMethodConfig(methods=fields[name]["methods"])
    sections = {"shap": ShapConfig, "pdp": PdpConfig, "report": ReportConfig}
    for name, section in sections.items():
        if name in fields:
            fields[name] = section(**_present(fields[name]))
    return MethodsConfig(**fields)


def _build_predictor(parsed: Mapping[str, Any], dataset_type: str) -> PredictorConfig:
    fields = _present(parsed)
    fields.setdefault("content_type", dataset_type)
    fields.setdefault("accept_type", fields["content_type"])
    if "model_name" in fields and "endpoint_name" in fields:
        logger.warning(
            BOTH_TARGETS_WARNING, fields["model_name"], fields["endpoint_name"]
        )
    return PredictorConfig(**fields)


def _present(parsed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in parsed.items()
        if value is not MISSING and value is not INVALID
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: _plain(item)
            for name, item in value.items()
            if item is not None and item != ()
        }
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
