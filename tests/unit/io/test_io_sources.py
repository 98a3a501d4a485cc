"""Tests of dataset locations: folders, markers, gzip, URIs and fsspec."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import fsspec
import pytest

from openclarify.errors import DatasetError
from openclarify.io import list_files, load_dataset, resolve_source

HAS_S3FS = importlib.util.find_spec("s3fs") is not None


def test_folder_is_read_recursively_in_sorted_order(write, tmp_path):
    """Check that a folder's files are listed recursively in sorted path order."""
    for name in ["b/part-1.csv", "a.csv", "b/part-0.csv", "c.csv.gz"]:
        write(name, "1\n")

    names = [
        Path(f.name).relative_to(tmp_path).as_posix() for f in list_files(tmp_path)
    ]

    assert names == sorted(["a.csv", "b/part-0.csv", "b/part-1.csv", "c.csv.gz"])


def test_hidden_files_and_markers_are_skipped(write, tmp_path):
    """Check that dot files, _SUCCESS markers and _temporary folders are skipped."""
    write("part-0.csv", "1\n")
    write("_SUCCESS", "")
    write(".part-0.csv.crc", "junk")
    write("_temporary/part-9.csv", "9\n")
    write(".hidden/part-8.csv", "8\n")

    files = list_files(tmp_path)

    assert [Path(f.name).name for f in files] == ["part-0.csv"]


@pytest.mark.parametrize("name", ["data.csv.gz", "data.csv"])
def test_gzip_is_detected_by_suffix_or_magic_bytes(write, name):
    """Check that gzip files are decompressed whether or not they end in .gz."""
    path = write(name, "x,y\n1,2\n", compress=True)

    with list_files(path)[0].open() as stream:
        assert stream.read() == b"x,y\n1,2\n"


def test_plain_file_is_read_unchanged(write):
    """Check that an uncompressed file is opened as it is."""
    path = write("data.csv", "x\n1\n")

    with list_files(path)[0].open() as stream:
        assert stream.read() == b"x\n1\n"


def test_file_uri_is_a_local_path(write, make_config):
    """Check that a file:// URI reads the same rows as the plain path."""
    path = write("data.csv", "a,b\n1,2\n3,4\n")

    by_uri = load_dataset(make_config(), path.as_uri())
    by_path = load_dataset(make_config(), path)

    assert by_uri.frame.equals(by_path.frame)
    assert by_uri.sources == (str(path),)


def test_missing_path_is_a_dataset_error(tmp_path):
    """Check that a path that does not exist names itself and the config key."""
    missing = tmp_path / "nope"

    with pytest.raises(DatasetError, match="dataset_uri") as info:
        list_files(missing)

    assert str(missing) in str(info.value)


def test_folder_without_data_files_is_a_dataset_error(write, tmp_path):
    """Check that a folder holding only markers is rejected with the folder name."""
    write("_SUCCESS", "")

    with pytest.raises(DatasetError, match="no data files") as info:
        list_files(tmp_path)

    assert info.value.path == str(tmp_path)


@pytest.mark.skipif(HAS_S3FS, reason="s3fs is installed, so S3 would be reached")
def test_s3_without_s3fs_names_the_library():
    """Check that an s3:// location without s3fs says which library to install."""
    with pytest.raises(DatasetError, match="s3fs") as info:
        list_files("s3://bucket/prefix/")

    assert "s3://bucket/prefix/" in str(info.value)


def test_fsspec_urls_are_read_through_fsspec(make_config):
    """Check that an fsspec URL folder is read in sorted order without markers."""
    fs = fsspec.filesystem("memory")
    root = f"/oc-{uuid.uuid4().hex}"
    fs.pipe(f"{root}/part-1.csv", b"3,4\n")
    fs.pipe(f"{root}/part-0.csv", b"1,2\n")
    fs.pipe(f"{root}/_SUCCESS", b"")
    try:
        data = load_dataset(make_config(), f"memory://{root}")
    finally:
        fs.rm(root, recursive=True)

    assert data.frame.to_numpy().tolist() == [[1, 2], [3, 4]]
    assert [s.rsplit("/", 1)[1] for s in data.sources] == ["part-0.csv", "part-1.csv"]


def test_resolve_source_prefers_dataset_uri(write, tmp_path, make_config):
    """Check that dataset_uri wins over a mounted folder that holds data."""
    write("data/part.csv", "1\n")
    config = make_config(dataset_uri="s3://bucket/key.csv")

    assert resolve_source(config, tmp_path / "data") == "s3://bucket/key.csv"


def test_resolve_source_uses_the_mounted_folder(write, tmp_path, make_config):
    """Check that the mounted folder is used when dataset_uri is absent."""
    write("data/part.csv", "1\n")

    assert resolve_source(make_config(), tmp_path / "data") == tmp_path / "data"


def test_resolve_source_without_any_data_is_an_error(write, tmp_path, make_config):
    """Check that no dataset_uri and an empty folder give a clear error."""
    write("data/_SUCCESS", "")

    with pytest.raises(DatasetError, match="dataset_uri"):
        resolve_source(make_config(), tmp_path / "data")


def test_gz_name_without_gzip_content_is_rejected(write):
    """Check that a .gz file that is not gzip is a dataset error naming it."""
    path = write("data.csv.gz", "a,b\n1,2\n")

    file = list_files(path)[0]

    with pytest.raises(DatasetError, match="not gzip") as info, file.open():
        pass

    assert info.value.path == str(path)


@pytest.mark.parametrize(
    ("dataset_type", "keys"),
    [("text/csv", {}), ("application/jsonlines", {"features": "f"})],
)
def test_non_utf8_data_is_rejected(tmp_path, make_config, dataset_type, keys):
    """Check that bytes that are not UTF-8 give a dataset error naming the file."""
    path = tmp_path / "data.bin"
    path.write_bytes(b'{"f": [1]}\n\xff\xfe,\x80\n')

    with pytest.raises(DatasetError, match="UTF-8") as info:
        load_dataset(make_config(dataset_type, **keys), path)

    assert info.value.path == str(path)
