"""Tests for the predictor client's checks and batching, before any request."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openclarify.config.model import PredictorConfig
from openclarify.errors import ConfigError, DatasetError, ModelClientError
from openclarify.serving import codecs
from openclarify.serving.client import MIN_SPLIT_BYTES, PredictorClient

NAMES = ("a", "b", "c")
# Nothing listens here; every test below fails or finishes before sending.
URL = "http://127.0.0.1:9"


def _client(**fields: object) -> PredictorClient:
    options = {k: fields.pop(k) for k in list(fields) if k in _OPTIONS}
    predictor = PredictorConfig(
        content_type=str(fields.pop("content_type", codecs.CSV)),
        accept_type=str(fields.pop("accept_type", codecs.CSV)),
        **fields,  # type: ignore[arg-type]
    )
    return PredictorClient(URL, predictor, feature_names=NAMES, **options)  # type: ignore[arg-type]


_OPTIONS = ("binary", "max_payload_bytes", "max_concurrency", "max_retries")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"content_type": "image/jpeg"}, "predictor.content_type"),
        ({"accept_type": "application/x-recordio-protobuf"}, "predictor.accept_type"),
    ],
)
def test_unsupported_media_types_are_config_errors(
    fields: dict[str, object], key: str
) -> None:
    """Check that a media type the client cannot speak names its key."""
    with pytest.raises(ConfigError, match=key) as caught:
        _client(**fields)

    assert "text/csv" in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        (
            {"content_type": codecs.JSONLINES, "content_template": '{"x": 1}'},
            "predictor.content_template",
        ),
        (
            {
                "content_type": codecs.JSON,
                "content_template": "$records",
                "record_template": '{"v": "${nope}"}',
            },
            "predictor.record_template",
        ),
    ],
)
def test_bad_templates_are_config_errors(fields: dict[str, object], key: str) -> None:
    """Check that a template without its placeholder names the template key."""
    with pytest.raises(ConfigError, match=key):
        _client(**fields).predict(np.ones((2, 3)))


def test_text_columns_cannot_go_binary() -> None:
    """Check that text features on the npy path are a DatasetError."""
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [3, 4]})

    with pytest.raises(DatasetError, match="application/x-npy"):
        _client(binary=True).predict(frame)


def test_record_above_the_payload_limit_is_refused() -> None:
    """Check that one record larger than the limit names its size and index."""
    rows = np.array([[1, 2, 3], [123456789, 123456789, 123456789]])

    with pytest.raises(ModelClientError, match=r"record 1 encodes to 30 bytes"):
        _client(max_payload_bytes=20).predict(rows)


@pytest.mark.parametrize("limit", [1_000, 50_000, 6_291_456])
def test_batches_cover_every_row_within_the_limit(limit: int) -> None:
    """Check that cut batches are contiguous, complete and under the limit."""
    rows = np.random.default_rng(3).integers(0, 10**6, size=(20_000, 3))
    client = _client(max_payload_bytes=limit, max_concurrency=4)
    encoded = codecs.encode_records(rows, content_type=codecs.CSV, feature_names=NAMES)

    batches = client._cut(encoded)

    assert batches[0][0] == 0 and batches[-1][1] == len(rows)
    assert all(a[1] == b[0] for a, b in zip(batches, batches[1:], strict=False))
    assert max(len(encoded.body(*batch)) for batch in batches) <= limit
    total = int(encoded.sizes.sum())
    if total > MIN_SPLIT_BYTES:
        assert len(batches) >= 4


def test_small_calls_are_one_request() -> None:
    """Check that a call below the split size is not cut up."""
    client = _client()
    encoded = codecs.encode_records(
        np.ones((50, 3)), content_type=codecs.CSV, feature_names=NAMES
    )

    assert client._cut(encoded) == [(0, 50)]


def test_empty_input_sends_nothing() -> None:
    """Check that zero rows give an empty score matrix without a request."""
    scores = _client().predict(np.empty((0, 3)))

    assert scores.shape == (0, 1)
