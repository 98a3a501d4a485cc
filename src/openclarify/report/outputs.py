"""Writers for the job's output files: ``analysis.json``, local SHAP, baseline.

Every writer goes through a temporary file (or folder) beside its target and
renames it into place, so a reader never sees half a file.

Layout under the output folder::

    analysis.json
    run_record.json
    explanations_shap/baseline.csv
    explanations_shap/out.csv             one file, or
    explanations_shap/out.csv/part-00000.csv, part-00001.csv, ...
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openclarify.errors import AnalysisError
from openclarify.report.record import RunRecord

logger = logging.getLogger(__name__)

SHAP_FOLDER = "explanations_shap"
LOCAL_SHAP_NAME = "out.csv"
BASELINE_NAME = "baseline.csv"
ANALYSIS_NAME = "analysis.json"
RUN_RECORD_NAME = "run_record.json"
PART_TEMPLATE = "part-{:05d}.csv"
FILE_MODE = 0o644
FOLDER_MODE = 0o755

BAD_PARTS_MSG = (
    "write_local_shap parameter 'parts': got {value!r}; a positive integer or "
    "None is accepted. Pass None for one out.csv file, or the number of part files."
)
BAD_RECORD_PATH_MSG = (
    "write_run_record parameter 'path': got {value!r}; any file name except "
    "'analysis.json' is accepted. The run record lives beside analysis.json in "
    "'run_record.json', never inside it."
)
UNSERIALIZABLE_MSG = (
    "analysis value at {where}: got an object of type {kind}; JSON numbers, "
    "strings, booleans, None, lists and dicts (and numpy scalars or arrays) are "
    "accepted. Convert the value before writing analysis.json."
)
BAD_KEY_MSG = (
    "analysis key at {where}: got {value!r} of type {kind}; string keys are "
    "accepted. Convert the key to str before writing analysis.json."
)


def write_analysis_json(path: Path | str, analysis: Mapping[str, Any]) -> Path:
    """Write the analysis dict as ``analysis.json``.

    Parameters
    ----------
    path : Path or str
        The file to write, normally ``<output>/analysis.json``.
    analysis : Mapping
        The analysis of contract section 3.2. Keys keep the order given.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    AnalysisError
        If a value is not JSON-like or a key is not a string.

    Notes
    -----
    ``inf`` and ``-inf`` become the strings ``"Infinity"`` and ``"-Infinity"``
    (as Clarify writes them), NaN becomes ``null``, numpy scalars and arrays
    become Python numbers and lists. Floats are written with ``repr``, so they
    read back to the same value. The text is UTF-8, indented by two spaces.
    """
    clean = to_json_safe(analysis)
    text = json.dumps(clean, indent=2, ensure_ascii=False, allow_nan=False)
    target = Path(path)
    write_text_atomic(target, text + "\n")
    logger.debug("wrote %s (%d bytes)", target, len(text))
    return target


def to_json_safe(value: Any, where: str = "$") -> Any:
    """Return a copy of ``value`` in plain JSON types (see ``write_analysis_json``).

    Parameters
    ----------
    value : object
        A nest of dicts, lists, tuples, numbers, strings, numpy scalars/arrays.
    where : str, default="$"
        The path of ``value``, used in error messages.

    Returns
    -------
    object
        Dicts, lists, str, int, float (finite), bool or None.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _finite_or_text(float(value))
    if isinstance(value, np.ndarray):
        return [to_json_safe(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        return {
            _key(key, where): to_json_safe(item, f"{where}.{key}")
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_json_safe(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise AnalysisError(UNSERIALIZABLE_MSG.format(where=where, kind=type(value)))


def write_local_shap(
    out_dir: Path | str, frame: pd.DataFrame, *, parts: int | None = None
) -> Path:
    """Write local SHAP values to ``explanations_shap/out.csv``.

    Parameters
    ----------
    out_dir : Path or str
        The job's output folder.
    frame : DataFrame of shape (n_rows, n_columns)
        Columns ``<feature>_<label>``, optionally the join source column first;
        rows in input order.
    parts : int or None, default=None
        None writes one file ``out.csv``. An integer writes a folder
        ``out.csv/`` of ``part-00000.csv`` ... files, each with the header; the
        rows are cut into ``min(parts, n_rows)`` contiguous runs (at least one
        file), so reading the parts in name order gives the input order.

    Returns
    -------
    Path
        The file or folder written.

    Raises
    ------
    AnalysisError
        If ``parts`` is not a positive integer.
    """
    if parts is not None and (
        isinstance(parts, bool) or not isinstance(parts, int) or parts < 1
    ):
        raise AnalysisError(BAD_PARTS_MSG.format(value=parts))

    folder = Path(out_dir) / SHAP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / LOCAL_SHAP_NAME
    if parts is None:
        write_text_atomic(target, _csv_text(frame))
        logger.debug("wrote %s with %d rows", target, len(frame))
        return target

    # Build the folder beside the target, then swap it in.
    staging = Path(tempfile.mkdtemp(prefix=".out.csv.", dir=folder))
    staging.chmod(FOLDER_MODE)
    n_files = max(1, min(parts, len(frame)))
    bounds = np.linspace(0, len(frame), n_files + 1).round().astype(int)
    try:
        for number in range(n_files):
            chunk = frame.iloc[bounds[number] : bounds[number + 1]]
            write_shap_part(staging, number, chunk)
        _remove(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.debug("wrote %s as %d part files", target, n_files)
    return target


def write_shap_part(folder: Path | str, number: int, frame: pd.DataFrame) -> Path:
    """Write one part file ``part-<number:05d>.csv`` (with header) into ``folder``.

    Parameters
    ----------
    folder : Path or str
        The ``out.csv/`` folder (created if missing).
    number : int
        The part number; part files sort by it.
    frame : DataFrame
        The rows of this part, columns as in ``write_local_shap``.

    Returns
    -------
    Path
        The part file written.
    """
    target = Path(folder) / PART_TEMPLATE.format(number)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, _csv_text(frame))
    return target


def write_baseline(
    out_dir: Path | str, baseline: pd.DataFrame, *, header: bool = True
) -> Path:
    """Write the SHAP baseline rows to ``explanations_shap/baseline.csv``.

    Parameters
    ----------
    out_dir : Path or str
        The job's output folder.
    baseline : DataFrame of shape (n_baseline_rows, n_features)
        The baseline rows actually used, feature columns only.
    header : bool, default=True
        Whether to write the feature names as the first line.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(out_dir) / SHAP_FOLDER / BASELINE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, _csv_text(baseline, header=header))
    return target


def write_run_record(path: Path | str, record: Mapping[str, Any] | RunRecord) -> Path:
    """Write the run record as JSON, beside ``analysis.json``.

    Parameters
    ----------
    path : Path or str
        The file to write, normally ``<output>/run_record.json``.
    record : Mapping or RunRecord
        The record, as a dict or as the dataclass.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    AnalysisError
        If ``path`` names ``analysis.json``.
    """
    target = Path(path)
    if target.name == ANALYSIS_NAME:
        raise AnalysisError(BAD_RECORD_PATH_MSG.format(value=str(path)))
    data = record.to_dict() if isinstance(record, RunRecord) else record
    text = json.dumps(to_json_safe(data), indent=2, ensure_ascii=False)
    write_text_atomic(target, text + "\n")
    return target


def _finite_or_text(number: float) -> float | str | None:
    if math.isnan(number):
        return None
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    raise AnalysisError(BAD_KEY_MSG.format(where=where, value=key, kind=type(key)))


def _csv_text(frame: pd.DataFrame, *, header: bool = True) -> str:
    # float32 columns are widened so that repr keeps their exact value.
    wide = frame.astype(
        {name: np.float64 for name, kind in frame.dtypes.items() if kind == "float32"}
    )
    return str(wide.to_csv(index=False, header=header, lineterminator="\n"))


def write_text_atomic(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` through a temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temp_name, FILE_MODE)
        if target.is_dir():
            _remove(target)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
