"""Reading ``application/x-parquet`` datasets with pyarrow.

Columns keep the names stored in the files. Every file of a folder must have
the same column names; their rows are concatenated in file order. When
``headers`` is given with as many names as there are columns, it renames the
columns in order; another count is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from openclarify.errors import DatasetError
from openclarify.io.csv_reader import MSG_HEADER_COUNT
from openclarify.io.sources import DataFile

logger = logging.getLogger(__name__)

MSG_NOT_PARQUET = "cannot read the file as Parquet ({error}); check the file format"
MSG_PART_COLUMNS = (
    "the file's columns {found} differ from {expected} of {first}; every file "
    "of a dataset folder must have the same columns"
)


def read_parquet(
    files: Sequence[DataFile], *, headers: Sequence[str] | None = None
) -> pd.DataFrame:
    """Read Parquet files into one frame.

    Parameters
    ----------
    files : sequence of DataFile
        The files, in reading order.
    headers : sequence of str or None, default=None
        New names for the columns, in order, or None to keep the stored names.

    Returns
    -------
    pandas.DataFrame
        All rows, in file order then row order, with a ``RangeIndex``.

    Raises
    ------
    DatasetError
        If a file is not Parquet, the files' columns differ, or ``headers``
        has the wrong length.
    """
    tables: list[pa.Table] = []
    for file in files:
        with file.open() as raw:
            try:
                table = pq.read_table(raw)
            except (pa.ArrowException, OSError) as exc:
                message = MSG_NOT_PARQUET.format(error=exc)
                raise DatasetError(message, path=file.name) from exc

        if tables and table.column_names != tables[0].column_names:
            message = MSG_PART_COLUMNS.format(
                found=table.column_names,
                expected=tables[0].column_names,
                first=files[0].name,
            )
            raise DatasetError(message, path=file.name)
        tables.append(table)

    # One conversion of the concatenated table keeps a single pandas copy.
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    if headers is not None:
        if len(headers) != table.num_columns:
            message = MSG_HEADER_COUNT.format(
                key="headers", n_headers=len(headers), n_columns=table.num_columns
            )
            raise DatasetError(message, path=files[0].name)
        table = table.rename_columns(list(headers))

    frame = table.to_pandas()
    logger.debug("Read %d Parquet rows from %d files", len(frame), len(files))
    return frame.reset_index(drop=True)
