"""Finding the files behind a dataset location and opening them.

A location is a local file or folder, a ``file://`` URI, or any URL that
``fsspec`` can open (``s3://`` needs ``s3fs`` as well). A folder is read
recursively; its files are taken in sorted path order. Names that start with
``.`` or ``_`` (hidden files, ``_SUCCESS`` and other job markers, ``.crc``
checksums, ``_temporary`` folders) are skipped, as Hadoop-style writers expect.
A file is gzip-compressed when it starts with the gzip magic bytes, whatever
its name; a non-empty ``.gz`` file without them is an error.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote, urlparse

from openclarify.config.model import AnalysisConfig
from openclarify.errors import DatasetError

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
SKIPPED_PREFIXES = (".", "_")

MSG_NOT_FOUND = (
    "no such file or folder; check the 'dataset' processing input or the "
    "'{key}' value in the analysis config"
)
MSG_EMPTY_FOLDER = (
    "the folder holds no data files (names starting with '.' or '_' are "
    "skipped); put the dataset files in it or point '{key}' at them"
)
MSG_NEEDS_FSSPEC = (
    "reading {scheme}:// locations needs the fsspec library{extra}; install it "
    "in the image (pip install {packages}) or copy the data to a local path"
)
MSG_NOT_GZIP = (
    "the name ends in .gz but the file is not gzip-compressed; compress it or "
    "drop the .gz suffix"
)
MSG_NO_SOURCE = (
    "no dataset: the analysis config has no 'dataset_uri' and the 'dataset' "
    "input folder holds no data files; provide the 'dataset' processing input "
    "or set 'dataset_uri'"
)


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset, local or behind an fsspec filesystem.

    Parameters
    ----------
    name : str
        The name shown in messages and kept in ``TabularData.sources``: a
        local path, or the URL with its scheme.
    path : str
        The path that ``fs`` understands (a local path when ``fs`` is None).
    fs : object or None
        An ``fsspec`` filesystem, or None for the local filesystem.
    """

    name: str
    path: str
    fs: Any = None

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """Open the file for binary reading, decompressing gzip transparently.

        Raises
        ------
        DatasetError
            If the file cannot be opened.
        """
        try:
            raw: IO[bytes] = (
                open(self.path, "rb")  # noqa: SIM115
                if self.fs is None
                else self.fs.open(self.path, "rb")
            )
        except OSError as exc:
            raise DatasetError(
                f"cannot open the file ({exc.strerror or exc})", path=self.name
            ) from exc

        with raw:
            magic = raw.read(2)
            raw.seek(0)
            if magic == GZIP_MAGIC:
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    yield cast(IO[bytes], unzipped)
            elif self.name.endswith(".gz") and magic:
                raise DatasetError(MSG_NOT_GZIP, path=self.name)
            else:
                yield raw


def resolve_source(config: AnalysisConfig, data_dir: Path) -> str | Path:
    """Choose where the dataset is read from.

    Parameters
    ----------
    config : AnalysisConfig
        The job's config; its ``dataset_uri``, when set, wins.
    data_dir : Path
        The folder where the ``dataset`` processing input is mounted
        (``/opt/ml/processing/input/data`` on SageMaker).

    Returns
    -------
    str or Path
        ``config.dataset_uri`` when set, else ``data_dir``.

    Raises
    ------
    DatasetError
        If there is no ``dataset_uri`` and ``data_dir`` holds no data file.
    """
    if config.dataset_uri:
        logger.debug("Dataset taken from dataset_uri %s", config.dataset_uri)
        return config.dataset_uri

    if data_dir.is_file() or (data_dir.is_dir() and _has_data_file(data_dir)):
        return data_dir
    raise DatasetError(MSG_NO_SOURCE, path=str(data_dir))


def list_files(source: str | Path, *, key: str = "dataset_uri") -> list[DataFile]:
    """List the data files at a location, in the order they are read.

    Parameters
    ----------
    source : str or Path
        A local file or folder, a ``file://`` URI, or an fsspec URL.
    key : str, default="dataset_uri"
        The config key the location came from, named in error messages.

    Returns
    -------
    list of DataFile
        At least one file; a folder's files sorted by path.

    Raises
    ------
    DatasetError
        If the location does not exist, holds no data files, or needs a
        filesystem library that is not installed.
    """
    text = str(source)
    scheme = urlparse(text).scheme if isinstance(source, str) else ""
    if scheme == "file":
        return _list_local(Path(unquote(urlparse(text).path)), key=key)
    if len(scheme) <= 1:
        # No scheme, or a Windows drive letter: a local path.
        return _list_local(Path(text), key=key)
    return _list_remote(text, scheme, key=key)


def _has_data_file(folder: Path) -> bool:
    return any(True for _ in _walk(folder))


def _list_local(path: Path, *, key: str) -> list[DataFile]:
    if path.is_file():
        return [DataFile(name=str(path), path=str(path))]
    if not path.is_dir():
        raise DatasetError(MSG_NOT_FOUND.format(key=key), path=str(path))

    files = [DataFile(name=str(p), path=str(p)) for p in _walk(path)]
    if not files:
        raise DatasetError(MSG_EMPTY_FOLDER.format(key=key), path=str(path))
    logger.debug("Found %d data files under %s", len(files), path)
    return files


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(SKIPPED_PREFIXES)]
        found.extend(Path(root, n) for n in names if not n.startswith(SKIPPED_PREFIXES))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _list_remote(url: str, scheme: str, *, key: str) -> list[DataFile]:
    extra, packages = "", "fsspec"
    if scheme in ("s3", "s3a", "s3n"):
        extra, packages = " and an S3 filesystem library (s3fs)", "fsspec s3fs"
    message = MSG_NEEDS_FSSPEC.format(scheme=scheme, extra=extra, packages=packages)

    try:
        import fsspec.core
    except ImportError as exc:
        raise DatasetError(message, path=url) from exc
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise DatasetError(f"{message} ({exc})", path=url) from exc

    if fs.isfile(root):
        paths = [root]
    elif fs.isdir(root):
        prefix = root.rstrip("/") + "/"
        paths = sorted(
            p
            for p in fs.find(root)
            if not any(
                part.startswith(SKIPPED_PREFIXES)
                for part in p[len(prefix) :].split("/")
            )
        )
        if not paths:
            raise DatasetError(MSG_EMPTY_FOLDER.format(key=key), path=url)
    else:
        raise DatasetError(MSG_NOT_FOUND.format(key=key), path=url)
    return [DataFile(name=fs.unstrip_protocol(p), path=p, fs=fs) for p in paths]
