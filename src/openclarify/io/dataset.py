"""Loading a job's dataset, with its predicted-label and facet side datasets.

The dataset is read in the format of ``dataset_type``. The optional
``predicted_label_dataset_uri`` and ``facet_dataset_uri`` are CSV datasets
whose columns are appended to the table:

* by the join source column, when ``joinsource_name_or_index`` is set and the
  side dataset has a column of that name (each row of the dataset must match
  exactly one side row);
* otherwise by row position, which needs equal row counts.

Side dataset columns are never model features. Without ``*_headers`` and
without a header row, a one-column predicted-label dataset names its column
after ``predicted_label`` (default ``predicted_label``); other side columns are
``column_<i>``, which must not clash with the dataset's own names.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from openclarify.config.model import AnalysisConfig
from openclarify.errors import DatasetError, UnsupportedConfigError
from openclarify.io.csv_reader import read_csv
from openclarify.io.json_reader import read_json, read_jsonlines
from openclarify.io.parquet_reader import read_parquet
from openclarify.io.sources import DataFile, list_files
from openclarify.io.table import TabularData, resolve_column

logger = logging.getLogger(__name__)

DEFAULT_PREDICTED_LABEL = "predicted_label"
SUPPORTED_TYPES = "text/csv, application/jsonlines, application/json, " + (
    "application/x-parquet"
)

MSG_ROW_COUNT = (
    "the {what} has {n_side} rows but the dataset has {n_main}; without a join "
    "source column the rows are matched by position, so the counts must be "
    "equal; set 'joinsource_name_or_index' and include that column in both"
)
MSG_DUPLICATE_IDS = (
    "the {what} repeats join source values (e.g. {example!r}); each row "
    "identifier may appear once"
)
MSG_MISSING_IDS = (
    "{n} dataset rows have no match in the {what} (e.g. join source value "
    "{example!r}); every row needs one"
)
MSG_CLASH = (
    "the {what} has columns {names} that the dataset already has; name them "
    "differently with '{key}'"
)
MSG_NO_ROWS = "the dataset has no rows; check the files and their header rows"
MSG_NO_FEATURES = (
    "Data must contain features: every column is the label, the predicted "
    "label, the join source or excluded; keep at least one feature column"
)


def load_dataset(config: AnalysisConfig, source: str | Path) -> TabularData:
    """Read the dataset and work out which columns play which role.

    Parameters
    ----------
    config : AnalysisConfig
        The job's config: ``dataset_type``, ``headers``, ``label``,
        ``predicted_label``, ``features``, ``excluded_columns``,
        ``joinsource_name_or_index`` and the side dataset keys.
    source : str or Path
        A file, a folder (read recursively), a ``file://`` URI or an fsspec
        URL such as ``s3://bucket/prefix`` (needs ``fsspec`` and ``s3fs``);
        see `resolve_source`.

    Returns
    -------
    TabularData
        The whole table and the roles of its columns.

    Raises
    ------
    ConfigError
        If a column reference does not name a column, or a JMESPath is bad.
    DatasetError
        If a file cannot be read, does not fit the config, or the side
        datasets do not line up with the dataset.

    Notes
    -----
    CSV header rows follow the rule in `openclarify.io.csv_reader`; JSON
    column names follow `openclarify.io.json_reader`.
    """
    files = list_files(source, key="dataset_uri")
    frame, label, predicted = _read_main(config, files)
    columns = [str(c) for c in frame.columns]
    sources = [f.name for f in files]
    if frame.empty:
        raise DatasetError(MSG_NO_ROWS, path=sources[0])

    joinsource = None
    if config.joinsource_name_or_index is not None:
        joinsource = resolve_column(
            config.joinsource_name_or_index, columns, key="joinsource_name_or_index"
        )
    if label is None and config.label is not None:
        label = resolve_column(config.label, columns, key="label")

    # Predictions come from a side dataset or from the dataset itself.
    if config.predicted_label_dataset_uri is not None:
        predictions, predicted = _predicted_label_side(
            config, config.predicted_label_dataset_uri
        )
        _attach(frame, predictions, joinsource, "predicted label dataset")
        sources.extend(predictions.sources)
    elif predicted is None and config.predicted_label is not None:
        predicted = resolve_column(
            config.predicted_label, columns, key="predicted_label"
        )

    if config.facet_dataset_uri is not None:
        facets = _facet_side(config, config.facet_dataset_uri)
        _attach(frame, facets, joinsource, "facet dataset")
        sources.extend(facets.sources)

    excluded = [
        resolve_column(ref, columns, key=f"excluded_columns[{i}]")
        for i, ref in enumerate(config.excluded_columns or ())
    ]
    not_features = {label, predicted, joinsource, *excluded}
    features = tuple(c for c in columns if c not in not_features)
    if not features:
        raise DatasetError(MSG_NO_FEATURES, path=sources[0])

    logger.info(
        "Loaded dataset: %d rows, %d columns, %d features from %d files",
        len(frame),
        frame.shape[1],
        len(features),
        len(sources),
    )
    return TabularData(
        frame=frame,
        features=features,
        label=label,
        predicted_label=predicted,
        joinsource=joinsource,
        sources=tuple(sources),
    )


def _read_main(
    config: AnalysisConfig, files: Sequence[DataFile]
) -> tuple[pd.DataFrame, str | None, str | None]:
    kind = config.dataset_type.lower()
    if kind == "text/csv":
        return read_csv(files, headers=config.headers), None, None
    if kind == "application/x-parquet":
        return read_parquet(files, headers=config.headers), None, None
    if kind in ("application/jsonlines", "application/json"):
        reader = read_jsonlines if kind == "application/jsonlines" else read_json
        table = reader(files, config)
        return table.frame, table.label, table.predicted_label
    raise UnsupportedConfigError(
        "dataset_type", config.dataset_type, "this dataset type", SUPPORTED_TYPES
    )


@dataclass(frozen=True)
class _Side:
    frame: pd.DataFrame
    sources: list[str]
    key: str


def _predicted_label_side(config: AnalysisConfig, uri: str) -> tuple[_Side, str]:
    ref = config.predicted_label
    if ref is None:
        ref = DEFAULT_PREDICTED_LABEL
    single = ref if isinstance(ref, str) else DEFAULT_PREDICTED_LABEL

    files = list_files(uri, key="predicted_label_dataset_uri")
    frame = read_csv(
        files,
        headers=config.predicted_label_headers,
        key="predicted_label_headers",
        placeholder=lambda n: [single] if n == 1 else _side_names(n),
    )
    name = resolve_column(ref, [str(c) for c in frame.columns], key="predicted_label")
    side = _Side(frame, [f.name for f in files], "predicted_label_headers")
    return side, name


def _facet_side(config: AnalysisConfig, uri: str) -> _Side:
    files = list_files(uri, key="facet_dataset_uri")
    frame = read_csv(
        files,
        headers=config.facet_headers,
        key="facet_headers",
        placeholder=_side_names,
    )
    return _Side(frame, [f.name for f in files], "facet_headers")


def _side_names(n: int) -> list[str]:
    return [f"column_{i}" for i in range(n)]


def _attach(
    frame: pd.DataFrame, side: _Side, joinsource: str | None, what: str
) -> None:
    rows = side.frame
    path = side.sources[0]
    if joinsource is not None and joinsource in rows.columns:
        ids = rows[joinsource]
        repeated = ids[ids.duplicated()]
        if len(repeated):
            message = MSG_DUPLICATE_IDS.format(what=what, example=repeated.iloc[0])
            raise DatasetError(message, path=path)
        missing = ~frame[joinsource].isin(ids)
        if missing.any():
            example = frame[joinsource][missing].iloc[0]
            message = MSG_MISSING_IDS.format(
                n=int(missing.sum()), what=what, example=example
            )
            raise DatasetError(message, path=path)
        rows = rows.set_index(joinsource).loc[frame[joinsource]]
    elif len(rows) != len(frame):
        message = MSG_ROW_COUNT.format(what=what, n_side=len(rows), n_main=len(frame))
        raise DatasetError(message, path=path)

    rows = rows.reset_index(drop=True)
    clash = [c for c in rows.columns if c in frame.columns]
    if clash:
        message = MSG_CLASH.format(what=what, names=clash, key=side.key)
        raise DatasetError(message, path=path)

    # Adding columns one by one leaves the dataset's own columns uncopied.
    for name in rows.columns:
        frame[name] = rows[name]
