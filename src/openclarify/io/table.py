"""The loaded dataset, and how config keys address its columns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from openclarify.errors import ConfigError

logger = logging.getLogger(__name__)

MAX_LISTED_COLUMNS = 20
MSG_COLUMN_ACCEPTED = "a column name or a 0-based index into the {n} columns {names}"
MSG_COLUMN_HINT = (
    "Headers must contain {key}: fix the value, or the 'headers' key or header "
    "row that names the dataset's columns."
)


@dataclass(frozen=True, eq=False)
class TabularData:
    """A tabular dataset read into memory, with the roles of its columns.

    Attributes
    ----------
    frame : pandas.DataFrame
        Every column, named, in input row order, with a ``RangeIndex``. Numeric
        columns are int64 or float64; other columns are strings. Columns that
        came from ``predicted_label_dataset_uri`` or ``facet_dataset_uri`` come
        after the dataset's own columns.
    features : tuple of str
        The columns sent to the model, in order: the dataset's columns minus
        the label, the predicted label, the excluded columns and the join
        source.
    label : str or None
        The label column, when the config names one.
    predicted_label : str or None
        The predicted-label column, when predictions come with the data.
    joinsource : str or None
        The row-identifier column (``joinsource_name_or_index``).
    sources : tuple of str
        The files read, dataset files first, in reading order.
    """

    frame: pd.DataFrame
    features: tuple[str, ...]
    label: str | None = None
    predicted_label: str | None = None
    joinsource: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def feature_frame(self) -> pd.DataFrame:
        """The feature columns only, in model order."""
        return self.frame[list(self.features)]


def resolve_column(ref: str | int, columns: Sequence[str], *, key: str) -> str:
    """Turn a config column reference into a column name.

    Parameters
    ----------
    ref : str or int
        A column name, or a 0-based column index.
    columns : sequence of str
        The dataset's column names, in order.
    key : str
        The config key holding ``ref`` (e.g. ``label`` or
        ``excluded_columns[1]``), named in the error message.

    Returns
    -------
    str
        The name of the column.

    Raises
    ------
    ConfigError
        If ``ref`` is not one of ``columns`` nor a valid index into them.

    Examples
    --------
    >>> resolve_column(1, ["age", "sex"], key="label")
    'sex'
    """
    if isinstance(ref, int) and not isinstance(ref, bool):
        if 0 <= ref < len(columns):
            return columns[ref]
    elif isinstance(ref, str) and ref in columns:
        return ref

    names = list(columns[:MAX_LISTED_COLUMNS])
    listed = ", ".join(repr(c) for c in names)
    if len(columns) > MAX_LISTED_COLUMNS:
        listed += ", ..."
    raise ConfigError(
        key,
        ref,
        MSG_COLUMN_ACCEPTED.format(n=len(columns), names=f"[{listed}]"),
        MSG_COLUMN_HINT.format(key=key),
    )
