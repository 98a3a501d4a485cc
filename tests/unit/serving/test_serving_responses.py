"""Tests for reading model responses into scores and predicted labels."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from openclarify.config.model import PredictorConfig
from openclarify.errors import ModelClientError
from openclarify.serving import codecs
from openclarify.serving.responses import (
    labels_from_scores,
    response_items,
    to_predicted_labels,
    to_scores,
)


def _predictor(accept_type: str, **fields: object) -> PredictorConfig:
    return PredictorConfig(
        content_type=codecs.CSV,
        accept_type=accept_type,
        **fields,  # type: ignore[arg-type]
    )


def _plain_labels(
    scores: list[list[float]], threshold: float, headers: list[str]
) -> list[object]:
    # Independent rule: one score -> strictly above threshold; several -> max.
    labels: list[object] = []
    for row in scores:
        if len(row) == 1:
            position = 1 if row[0] > threshold else 0
        else:
            position = max(range(len(row)), key=lambda j: (row[j], -j))
        labels.append(headers[position] if headers else position)
    return labels


def test_csv_whole_rows_are_score_vectors() -> None:
    """Check that a CSV row without locators is the record's score vector."""
    body = b"0.1,0.7,0.2\n0.5,0.25,0.25\n"

    items = response_items(body, codecs.CSV, None, n_records=2)

    np.testing.assert_array_equal(
        to_scores(items), [[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]]
    )


def test_csv_columns_are_located_by_index() -> None:
    """Check that predictor.label and probability pick CSV columns."""
    body = b"cat,0.9\ndog,0.2\ncat,0.6\n"
    predictor = _predictor(codecs.CSV, label=0, probability=1)

    labels = to_predicted_labels(body, predictor, n_records=3)
    scores = to_scores(response_items(body, codecs.CSV, 1, n_records=3))

    assert labels.tolist() == ["cat", "dog", "cat"]
    np.testing.assert_array_equal(scores[:, 0], [0.9, 0.2, 0.6])


def test_csv_cells_holding_json_lists_are_score_vectors() -> None:
    """Check that a quoted list of scores in a CSV cell is read as a list."""
    body = b'1,"[0.1, 0.9]"\n0,"[0.8, 0.2]"\n'

    items = response_items(body, codecs.CSV, 1, n_records=2)

    np.testing.assert_array_equal(to_scores(items), [[0.1, 0.9], [0.8, 0.2]])


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.3])
def test_threshold_is_strictly_greater(threshold: float) -> None:
    """Check that a score equal to the threshold is the negative label."""
    scores = [[0.3], [0.5], [0.8], [0.81], [0.0], [1.0]]
    body = "".join(f"{row[0]}\n" for row in scores).encode()

    labels = to_predicted_labels(
        body,
        _predictor(codecs.CSV),
        n_records=len(scores),
        probability_threshold=threshold,
    )

    assert labels.tolist() == _plain_labels(scores, threshold, [])


def test_json_jmespath_with_label_headers_takes_the_argmax() -> None:
    """Check that multi-class scores map to the header with the top score."""
    scores = [[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.2, 0.6]]
    body = json.dumps(
        {"predictions": [{"scores": row, "id": i} for i, row in enumerate(scores)]}
    ).encode()
    headers = ["cat", "dog", "fish"]
    predictor = _predictor(
        codecs.JSON,
        probability="predictions[*].scores",
        label_headers=tuple(headers),
    )

    labels = to_predicted_labels(body, predictor, n_records=3)

    assert labels.tolist() == _plain_labels(scores, 0.5, headers)


def test_jsonlines_jmespath_applies_per_line() -> None:
    """Check that JMESPath on JSON Lines reads one result per line."""
    body = b'{"out": {"p": 0.9, "l": 1}}\n{"out": {"p": 0.1, "l": 0}}\n'
    predictor = _predictor(codecs.JSONLINES, label="out.l")

    labels = to_predicted_labels(body, predictor, n_records=2)
    items = response_items(body, codecs.JSONLINES, "out.p", n_records=2)

    assert labels.tolist() == [1, 0]
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(to_scores(items)[:, 0], [0.9, 0.1])


@pytest.mark.parametrize(
    ("accept", "body"),
    [
        (codecs.JSON, b'{"predictions": [{"score": 0.25}, {"score": 0.75}]}'),
        (codecs.JSON, b"[0.25, 0.75]"),
        (codecs.JSONLINES, b'{"score": 0.25}\n{"score": 0.75}\n'),
        (codecs.JSONLINES, b"0.25\n0.75\n"),
    ],
)
def test_default_json_shapes_need_no_locator(accept: str, body: bytes) -> None:
    """Check that the XGBoost container's answer shapes read without locators."""
    items = response_items(body, accept, None, n_records=2)

    np.testing.assert_array_equal(to_scores(items)[:, 0], [0.25, 0.75])


def test_single_record_json_answer_is_one_result() -> None:
    """Check that a one-record answer with a score list is one result."""
    body = b'{"predictions": [{"score": [0.2, 0.8]}]}'

    one = response_items(body, codecs.JSON, "predictions[0].score", n_records=1)
    default = response_items(body, codecs.JSON, None, n_records=1)

    np.testing.assert_array_equal(to_scores(one), [[0.2, 0.8]])
    np.testing.assert_array_equal(to_scores(default), [[0.2, 0.8]])


@pytest.mark.parametrize(
    ("accept", "body", "got"),
    [
        (codecs.CSV, b"0.1\n0.2\n", 2),
        (codecs.JSON, b'{"predictions": [{"score": 0.1}]}', 1),
        (codecs.JSONLINES, b"0.1\n0.2\n0.3\n0.4\n", 4),
        (codecs.CSV, b"", 0),
    ],
)
def test_result_count_mismatch_says_expected_and_got(
    accept: str, body: bytes, got: int
) -> None:
    """Check that too few or too many results name both counts."""
    with pytest.raises(ModelClientError) as caught:
        response_items(body, accept, None, n_records=3)

    message = str(caught.value)
    assert f"returned {got} results for 3 records" in message
    assert "exactly one result per record" in message


@pytest.mark.parametrize(
    ("accept", "body", "locator", "match"),
    [
        (codecs.JSON, b"{oops", None, "cannot be read"),
        (codecs.CSV, b"0.1,0.2\n", "scores", "column index"),
        (codecs.CSV, b"0.1,0.2\n", 5, "does not exist"),
        (codecs.JSON, b'{"a": 1}', "a", "one element per record"),
        (codecs.JSONLINES, b'{"x": 1, "y": 2}\n', None, "predictor.probability"),
    ],
)
def test_unreadable_responses_name_the_locator(
    accept: str, body: bytes, locator: object, match: str
) -> None:
    """Check that a response that cannot be read raises ModelClientError."""
    with pytest.raises(ModelClientError, match=match):
        response_items(body, accept, locator, n_records=2)  # type: ignore[arg-type]


def test_non_numeric_scores_are_refused() -> None:
    """Check that text where scores are expected names the key and value."""
    items = response_items(b"cat\ndog\n", codecs.CSV, None, n_records=2)

    with pytest.raises(ModelClientError, match=r"predictor.probability.*'cat'"):
        to_scores(items)


def test_npy_answers_read_as_score_matrices() -> None:
    """Check that our binary answer reads back exactly, labels by threshold."""
    scores = np.array([[0.2], [0.9], [0.5]], dtype=np.float32)
    buffer = io.BytesIO()
    np.save(buffer, scores)

    labels = to_predicted_labels(
        buffer.getvalue(), _predictor(codecs.CSV), n_records=3, binary=True
    )

    assert labels.tolist() == _plain_labels(scores.tolist(), 0.5, [])


def test_two_headers_name_the_thresholded_label() -> None:
    """Check that one score with two headers maps to headers[1] when positive."""
    labels = labels_from_scores(np.array([[0.9], [0.1]]), label_headers=("no", "yes"))

    assert labels.tolist() == _plain_labels([[0.9], [0.1]], 0.5, ["no", "yes"])


def test_too_few_headers_are_refused() -> None:
    """Check that an argmax past the header list names the counts."""
    with pytest.raises(ModelClientError, match="got 2 headers for 3 model outputs"):
        labels_from_scores(np.array([[0.1, 0.2, 0.7]]), label_headers=("a", "b"))
