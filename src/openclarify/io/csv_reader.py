"""Reading ``text/csv`` datasets: header rows, column names and types.

Header row rule
---------------
Each file's first row is examined together with up to ``SNIFF_ROWS`` rows
after it ("the sample").

* When column names are given (``headers``): the first row is a header row
  exactly when its cells, stripped of blanks, equal the given names. Any other
  first row is data. A first row with a different number of fields than the
  given names is an error.
* Otherwise the first row is a header row when either

  1. some column holds a number in every non-empty cell of the sample's later
     rows while the first row's cell in that column is a non-empty non-number
     (``id,age`` over ``1,37``); or
  2. every first-row cell is a non-empty non-number, the cells are pairwise
     distinct, and no first-row cell occurs again in its column among the
     sample's later rows (``name,city`` over ``ann,oslo``). A file with one
     row only is judged by this rule, so a header-only part file is empty.

  A header row gives the column names (an empty cell gives ``column_<i>``);
  without one the columns are ``column_0`` ... ``column_<n-1>``. Rule 2 can
  take an all-text first data row for a header: set ``headers`` for text data.

In a folder, the first non-empty file fixes the names; a later file whose first
row repeats them has that row skipped, and any other header row or field count
is an error. Empty files are skipped.

Types: numeric columns become int64 (float64 with missing values); everything
else stays a string column, including ``True``/``False`` columns and columns
that hold text in some rows or some files (their numbers become text too).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import warnings
from collections.abc import Callable, Sequence

import pandas as pd

from openclarify.errors import DatasetError
from openclarify.io.sources import DataFile

logger = logging.getLogger(__name__)

SNIFF_ROWS = 50
ENCODING = "utf-8"
NUMBER_PATTERN = re.compile(
    r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.I
)

MSG_HEADER_COUNT = (
    "Headers in config do not match with the number of columns in the "
    "dataset: '{key}' names {n_headers} columns but the file has {n_columns}; "
    "list one name per column"
)
MSG_MALFORMED_ROW = (
    "malformed CSV row: expected {expected} fields, found {found}; every row "
    "must have as many fields as the first row"
)
MSG_PART_COLUMNS = (
    "the file's columns {found} differ from {expected} of {first}; every file "
    "of a dataset folder must have the same columns"
)
MSG_DUPLICATE_HEADER = (
    "the header row names a column more than once ({names}); give each column "
    "a distinct name or set '{key}'"
)
MSG_NO_ROWS = "the CSV data has no rows; check the files and their header rows"
MSG_NOT_CSV = "cannot read the file as UTF-8 CSV ({error}); check the file format"
MSG_HEADER_IGNORED = (
    "%s: the first row looks like a header but differs from '%s'; it is read as data"
)


def read_csv(
    files: Sequence[DataFile],
    *,
    headers: Sequence[str] | None = None,
    key: str = "headers",
    placeholder: Callable[[int], list[str]] | None = None,
) -> pd.DataFrame:
    """Read CSV files into one frame, handling header rows per the module rule.

    Parameters
    ----------
    files : sequence of DataFile
        The files, in reading order; their rows are concatenated.
    headers : sequence of str or None, default=None
        The configured column names, or None to detect a header row.
    key : str, default="headers"
        The config key ``headers`` came from, named in error messages.
    placeholder : callable or None, default=None
        Gives the names of ``n`` columns when a file has no header row and
        ``headers`` is None; by default ``column_0`` ... ``column_<n-1>``.

    Returns
    -------
    pandas.DataFrame
        All rows, in file order then row order, with a ``RangeIndex``.

    Raises
    ------
    DatasetError
        If ``headers`` does not fit the files, a row has the wrong number of
        fields (with its file and 1-based line), the files' columns differ, or
        there are no rows at all.
    """
    names: list[str] | None = list(headers) if headers is not None else None
    first_file = ""
    frames: list[pd.DataFrame] = []

    for file in files:
        sample = sample_rows(file)
        if not sample:
            logger.debug("Skipping empty CSV file %s", file.name)
            continue
        first = [cell.strip() for cell in sample[0]]

        if names is None:
            has_header = looks_like_header(sample)
            names = _names_from(file, first, has_header, key, placeholder)
            first_file = file.name
        elif headers is not None:
            has_header = _check_configured(file, first, sample, names, key)
        else:
            has_header = _check_part(file, first, sample, names, first_file)

        frames.append(_read_file(file, names, has_header=has_header))

    if not frames or names is None:
        raise DatasetError(MSG_NO_ROWS, path=files[0].name if files else None)
    if len(frames) == 1:
        return frames[0]

    # A column typed differently across files (numbers in one, text in
    # another) becomes objects; keep it as text, as within one file.
    frame = pd.concat(frames, ignore_index=True)
    mixed = [c for c in frame.columns if frame[c].dtype == object]
    if mixed:
        frame[mixed] = frame[mixed].astype("str")
    return frame


def looks_like_header(sample: Sequence[Sequence[str]]) -> bool:
    """Tell whether the first row of a CSV sample is a header row.

    Parameters
    ----------
    sample : sequence of sequence of str
        The file's first rows as parsed fields; at least one row.

    Returns
    -------
    bool
        True when rule 1 or rule 2 of the module docstring holds.
    """
    first = [cell.strip() for cell in sample[0]]
    rest = [[c.strip() for c in row] for row in sample[1:] if len(row) == len(first)]

    # Rule 1: a numeric column whose first cell is text.
    for j, cell in enumerate(first):
        values = [row[j] for row in rest if row[j]]
        text_over_numbers = cell and not _is_number(cell)
        if values and text_over_numbers and all(_is_number(v) for v in values):
            return True

    # Rule 2: distinct text names that never recur as values.
    if any(not cell or _is_number(cell) for cell in first):
        return False
    if len(set(first)) != len(first):
        return False
    return all(first[j] not in {row[j] for row in rest} for j in range(len(first)))


def sample_rows(file: DataFile) -> list[list[str]]:
    """Parse the first non-blank rows of a CSV file.

    Parameters
    ----------
    file : DataFile
        The file to sample.

    Returns
    -------
    list of list of str
        Up to ``SNIFF_ROWS + 1`` rows of fields; empty for an empty file.

    Raises
    ------
    DatasetError
        If the start of the file is not UTF-8 CSV.
    """
    with file.open() as raw:
        text = io.TextIOWrapper(raw, encoding=ENCODING, newline="")
        rows: list[list[str]] = []
        try:
            for row in csv.reader(text):
                if row:
                    rows.append(row)
                if len(rows) > SNIFF_ROWS:
                    break
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DatasetError(MSG_NOT_CSV.format(error=exc), path=file.name) from exc
        text.detach()
    return rows


def _check_configured(
    file: DataFile,
    first: list[str],
    sample: list[list[str]],
    headers: Sequence[str],
    key: str,
) -> bool:
    if len(first) != len(headers):
        raise DatasetError(
            MSG_HEADER_COUNT.format(
                key=key, n_headers=len(headers), n_columns=len(first)
            ),
            path=file.name,
        )
    if first == [h.strip() for h in headers]:
        return True
    if looks_like_header(sample):
        logger.warning(MSG_HEADER_IGNORED, file.name, key)
    return False


def _names_from(
    file: DataFile,
    first: list[str],
    has_header: bool,
    key: str,
    placeholder: Callable[[int], list[str]] | None,
) -> list[str]:
    if not has_header:
        if placeholder is not None:
            return placeholder(len(first))
        return [f"column_{i}" for i in range(len(first))]

    names = [cell or f"column_{i}" for i, cell in enumerate(first)]
    if len(set(names)) != len(names):
        raise DatasetError(
            MSG_DUPLICATE_HEADER.format(names=", ".join(names), key=key),
            path=file.name,
        )
    return names


def _check_part(
    file: DataFile,
    first: list[str],
    sample: list[list[str]],
    names: list[str],
    first_file: str,
) -> bool:
    if first == names:
        return True
    if len(first) != len(names) or looks_like_header(sample):
        raise DatasetError(
            MSG_PART_COLUMNS.format(found=first, expected=names, first=first_file),
            path=file.name,
        )
    return False


def _read_file(file: DataFile, names: list[str], *, has_header: bool) -> pd.DataFrame:
    # Chunked type inference keeps the peak memory low; a column whose chunks
    # disagree (pandas warns) comes back as objects and is re-read as text.
    with file.open() as raw, warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        try:
            frame = pd.read_csv(
                raw,
                header=0 if has_header else None,
                names=names,
                engine="c",
                encoding=ENCODING,
            )
        except pd.errors.ParserError as exc:
            _raise_bad_row(file, len(names))
            raise DatasetError(str(exc), path=file.name) from exc
        except UnicodeDecodeError as exc:
            raise DatasetError(MSG_NOT_CSV.format(error=exc), path=file.name) from exc

    # pandas pads short rows with missing values; look for them only if the
    # last column has any.
    if len(names) > 1 and frame[names[-1]].isna().any():
        _raise_bad_row(file, len(names))

    text_columns = [
        c
        for c in names
        if pd.api.types.is_bool_dtype(frame[c]) or frame[c].dtype == object
    ]
    if text_columns:
        frame[text_columns] = _read_as_text(file, names, text_columns, has_header)
    logger.debug("Read %d rows from %s", len(frame), file.name)
    return frame


def _raise_bad_row(file: DataFile, expected: int) -> None:
    with file.open() as raw:
        text = io.TextIOWrapper(raw, encoding=ENCODING, newline="")
        reader = csv.reader(text)
        line = 0
        for row in reader:
            if not row:
                continue
            if len(row) != expected:
                raise DatasetError(
                    MSG_MALFORMED_ROW.format(expected=expected, found=len(row)),
                    path=file.name,
                    line=reader.line_num,
                )
            line = reader.line_num
        logger.debug("Scanned %d lines of %s; all rows well formed", line, file.name)
        text.detach()


def _read_as_text(
    file: DataFile, names: list[str], columns: list[str], has_header: bool
) -> pd.DataFrame:
    with file.open() as raw:
        return pd.read_csv(
            raw,
            header=0 if has_header else None,
            names=names,
            usecols=columns,
            dtype="str",
            engine="c",
            encoding=ENCODING,
        )


def _is_number(cell: str) -> bool:
    return NUMBER_PATTERN.fullmatch(cell) is not None
