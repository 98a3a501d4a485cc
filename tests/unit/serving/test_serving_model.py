"""Tests for finding and loading XGBoost model artifacts."""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import xgboost

from openclarify.errors import DatasetError, ModelClientError
from openclarify.serving.model import (
    PICKLE_REFUSED,
    find_model,
    load_model,
    sniff_format,
)


def _save(booster: xgboost.Booster, path: Path, raw_format: str) -> Path:
    path.write_bytes(bytes(booster.save_raw(raw_format=raw_format)))
    return path


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            source = path.parent / f"member-{Path(name).name}"
            source.write_bytes(payload)
            tar.add(source, arcname=name)
    return path


@pytest.mark.parametrize(
    ("name", "raw_format"),
    [
        ("model.json", "json"),
        ("model.ubj", "ubj"),
        ("xgboost-model", "json"),
        ("xgboost-model", "ubj"),
        ("model.bst", "ubj"),
        ("model.model", "json"),
    ],
)
def test_model_files_load_and_score_like_the_booster(
    tmp_path: Path,
    binary_booster: xgboost.Booster,
    small_features: np.ndarray,
    name: str,
    raw_format: str,
) -> None:
    """Check that every plain model file form scores exactly like the booster."""
    path = _save(binary_booster, tmp_path / name, raw_format)

    model = load_model(path)

    expected = binary_booster.inplace_predict(small_features)
    np.testing.assert_array_equal(model.predict(small_features)[:, 0], expected)
    assert model.objective == "binary:logistic"
    assert model.n_features == 4


@pytest.mark.parametrize("member", ["xgboost-model", "nested/model.json"])
def test_archives_load_their_model_member(
    tmp_path: Path,
    binary_booster: xgboost.Booster,
    small_features: np.ndarray,
    member: str,
) -> None:
    """Check that a model.tar.gz with xgboost-model or one model file loads."""
    payload = bytes(binary_booster.save_raw(raw_format="json"))
    archive = _tar(tmp_path / "model.tar.gz", {member: payload})

    model = load_model(archive)

    expected = binary_booster.inplace_predict(small_features)
    np.testing.assert_array_equal(model.predict(small_features)[:, 0], expected)
    assert model.source.endswith(member)


def test_archive_with_several_models_is_refused(
    tmp_path: Path, binary_booster: xgboost.Booster
) -> None:
    """Check that an archive with two candidate models names its members."""
    payload = bytes(binary_booster.save_raw(raw_format="json"))
    archive = _tar(tmp_path / "model.tar.gz", {"a.json": payload, "b.json": payload})

    with pytest.raises(DatasetError, match=r"a\.json, b\.json"):
        load_model(archive)


def test_pickled_booster_is_refused_by_default(
    tmp_path: Path, binary_booster: xgboost.Booster
) -> None:
    """Check that a pickled model is refused unless allow_pickle is set."""
    path = tmp_path / "xgboost-model"
    path.write_bytes(pickle.dumps(binary_booster))

    with pytest.raises(DatasetError) as caught:
        load_model(path)

    assert PICKLE_REFUSED in str(caught.value)
    assert str(path) in str(caught.value)
    assert caught.value.reason().startswith("ClientError:")


@pytest.mark.parametrize("writer", ["pickle", "joblib", "sklearn-pickle"])
def test_pickled_models_load_when_allowed(
    tmp_path: Path,
    binary_booster: xgboost.Booster,
    small_features: np.ndarray,
    writer: str,
) -> None:
    """Check that pickle, joblib and sklearn-wrapper pickles load with opt-in."""
    path = tmp_path / "xgboost-model"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(binary_booster))
        expected = binary_booster.inplace_predict(small_features)
    elif writer == "joblib":
        joblib.dump(binary_booster, path)
        expected = binary_booster.inplace_predict(small_features)
    else:
        target = (small_features[:, 0] > 20).astype(int)
        classifier = xgboost.XGBClassifier(n_estimators=3, max_depth=2)
        classifier.fit(small_features, target)
        path.write_bytes(pickle.dumps(classifier))
        expected = classifier.predict_proba(small_features)[:, 1]

    model = load_model(path, allow_pickle=True)

    np.testing.assert_allclose(model.predict(small_features)[:, 0], expected)


def test_unknown_bytes_are_refused_with_their_head(tmp_path: Path) -> None:
    """Check that a file that is no model is refused naming its first bytes."""
    path = tmp_path / "model.bst"
    path.write_bytes(b"hello, this is not a model")

    with pytest.raises(DatasetError, match=r"starting with b'hello, t'"):
        load_model(path)


def test_softprob_model_scores_one_column_per_class(
    tmp_path: Path, softprob_booster: xgboost.Booster, small_features: np.ndarray
) -> None:
    """Check that a multi:softprob model returns one score per class."""
    path = _save(softprob_booster, tmp_path / "model.json", "json")

    scores = load_model(path).predict(small_features)

    expected = softprob_booster.inplace_predict(small_features)
    assert scores.shape == (len(small_features), 3)
    np.testing.assert_array_equal(scores, expected)


def test_regression_model_returns_the_value(
    tmp_path: Path, regression_booster: xgboost.Booster, small_features: np.ndarray
) -> None:
    """Check that a regression model returns its predicted value."""
    path = _save(regression_booster, tmp_path / "model.ubj", "ubj")

    scores = load_model(path).predict(small_features)

    expected = regression_booster.inplace_predict(small_features)
    np.testing.assert_array_equal(scores[:, 0], expected)


def test_wrong_feature_count_names_the_expected_count(
    tmp_path: Path, binary_booster: xgboost.Booster
) -> None:
    """Check that scoring 3 columns with a 4-feature model says 4 are needed."""
    model = load_model(_save(binary_booster, tmp_path / "model.json", "json"))

    with pytest.raises(ModelClientError, match=r"\(2, 3\).*4 columns"):
        model.predict(np.zeros((2, 3)))


def test_find_model_prefers_a_folder_named_after_the_model(
    tmp_path: Path, binary_booster: xgboost.Booster
) -> None:
    """Check that find_model looks in the model-name folder first."""
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
        _save(binary_booster, tmp_path / name / "model.json", "json")

    assert find_model(tmp_path, "beta") == tmp_path / "beta" / "model.json"


def test_find_model_takes_the_only_artifact_or_the_conventional_name(
    tmp_path: Path, binary_booster: xgboost.Booster
) -> None:
    """Check that the only artifact, then model.tar.gz, is chosen."""
    only = _save(binary_booster, tmp_path / "model.ubj", "ubj")
    assert find_model(tmp_path, None) == only

    archive = _tar(
        tmp_path / "model.tar.gz",
        {"xgboost-model": bytes(binary_booster.save_raw(raw_format="json"))},
    )
    assert find_model(tmp_path, "unknown-model") == archive
    assert find_model(archive, None) == archive


def test_find_model_descends_into_a_single_subfolder(
    tmp_path: Path, binary_booster: xgboost.Booster
) -> None:
    """Check that /opt/ml/model-like folders with one subfolder are searched."""
    (tmp_path / "inner").mkdir()
    path = _save(binary_booster, tmp_path / "inner" / "xgboost-model", "json")

    assert find_model(tmp_path, None) == path


@pytest.mark.parametrize(
    ("layout", "match"),
    [
        ({}, "no model artifact found"),
        (
            {"a.json": b"{}", "b.ubj": b"{}"},
            r"several model artifacts.*a\.json, b\.ubj",
        ),
        ({"notes.txt": b"x"}, "no model artifact found"),
    ],
)
def test_find_model_errors_say_what_is_accepted(
    tmp_path: Path, layout: dict[str, bytes], match: str
) -> None:
    """Check that an empty or ambiguous model folder gives a clear error."""
    for name, payload in layout.items():
        (tmp_path / name).write_bytes(payload)

    with pytest.raises(DatasetError, match=match) as caught:
        find_model(tmp_path, "my-model")

    assert "accepted" in str(caught.value)


def test_find_model_on_a_missing_path_names_it(tmp_path: Path) -> None:
    """Check that a path that does not exist is named in the error."""
    missing = tmp_path / "nope"

    with pytest.raises(DatasetError, match=str(missing)):
        find_model(missing, None)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"learner"', "json"),
        (b"  {\n  ", "json"),
        (b"{L\x00\x00\x00", "ubj"),
        (b"\x80\x04\x95", "pickle"),
        (b"binf\x00\x00", "legacy"),
        (b"PK\x03\x04", None),
    ],
)
def test_sniff_format_reads_the_first_bytes(head: bytes, expected: str | None) -> None:
    """Check that the encoding is told from the first bytes."""
    assert sniff_format(head) == expected
