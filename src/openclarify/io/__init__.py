"""Dataset and SHAP baseline readers.

``load_dataset`` reads CSV, JSON Lines, JSON and Parquet datasets (a file, a
folder of parts, a ``file://`` URI or an fsspec URL) into a `TabularData`;
``load_baseline`` reads ``methods.shap.baseline``; ``resolve_column`` turns a
config column reference (name or 0-based index) into a column name.
"""

from __future__ import annotations

from openclarify.io.baseline import load_baseline
from openclarify.io.dataset import load_dataset
from openclarify.io.sources import DataFile, list_files, resolve_source
from openclarify.io.table import TabularData, resolve_column

__all__ = [
    "DataFile",
    "TabularData",
    "list_files",
    "load_baseline",
    "load_dataset",
    "resolve_column",
    "resolve_source",
]
