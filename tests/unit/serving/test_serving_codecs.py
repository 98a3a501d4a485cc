"""Tests for the wire formats: text tables, request bodies, response bodies."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from openclarify.serving import codecs

NAMES = ("age", "income", "hours")


def _plain_csv(matrix: np.ndarray) -> str:
    # An independent formatter: Python's own int/float text, one row a line.
    lines = []
    for row in matrix.tolist():
        cells = [str(int(v)) if float(v).is_integer() else repr(v) for v in row]
        lines.append(",".join(cells))
    return "".join(line + "\n" for line in lines)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.int64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=9),
        elements=st.integers(-(2**62), 2**62),
    )
)
def test_integer_tables_match_python_text(matrix: np.ndarray) -> None:
    """Check that integer columns are written exactly as Python writes them."""
    text, ends = codecs.format_table([matrix[:, j] for j in range(matrix.shape[1])])

    assert text.decode() == _plain_csv(matrix)
    assert ends[-1] == len(text)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=9),
        elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
    )
)
def test_float_tables_round_trip_exactly(matrix: np.ndarray) -> None:
    """Check that float64 text parses back to the very same values."""
    text, ends = codecs.format_table([matrix[:, j] for j in range(matrix.shape[1])])

    rows = text.decode().splitlines()
    parsed = np.array([[float(cell) for cell in row.split(",")] for row in rows])
    np.testing.assert_array_equal(parsed.reshape(matrix.shape), matrix)
    for i, row in enumerate(rows):
        assert text[ends[i] : ends[i + 1]] == (row + "\n").encode()


def test_float32_scores_use_their_shortest_text() -> None:
    """Check that float32 values are written short and parse back as float32."""
    scores = np.array([0.1, 1 / 3, 2.5e-8, 0.999], dtype=np.float32)

    text, _ = codecs.format_table([scores])

    cells = text.decode().split()
    assert [np.float32(cell) for cell in cells] == scores.tolist()
    assert max(len(cell) for cell in cells) <= 12


def test_nan_is_written_as_nan() -> None:
    """Check that a missing value is written as nan, which XGBoost reads."""
    text, _ = codecs.format_table([np.array([1.5, np.nan]), np.array([1, 2])])

    assert text == b"1.5,1\nnan,2\n"


def test_csv_request_decodes_to_the_matrix(small_features: np.ndarray) -> None:
    """Check that a CSV body written plainly decodes to the same matrix."""
    body = _plain_csv(small_features).encode()

    decoded = codecs.decode_request(body, codecs.CSV)

    np.testing.assert_array_equal(decoded, small_features)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"1,2,3\n4,5\n", "unequal length"),
        (b"1,2,x\n", "does not parse"),
    ],
)
def test_bad_csv_requests_are_refused(body: bytes, match: str) -> None:
    """Check that ragged or non-numeric CSV raises PayloadError."""
    with pytest.raises(codecs.PayloadError, match=match):
        codecs.decode_request(body, codecs.CSV)


@pytest.mark.parametrize(
    "document",
    [
        [[1, 2, 3], [4, 5, 6]],
        {"instances": [[1, 2, 3], [4, 5, 6]]},
        {"instances": [{"features": [1, 2, 3]}, {"features": [4, 5, 6]}]},
        {"instances": [{"data": [1, 2, 3]}, {"data": [4, 5, 6]}]},
        {
            "instances": [
                {"hours": 3, "age": 1, "income": 2},
                {"age": 4, "income": 5, "hours": 6},
            ]
        },
    ],
)
def test_json_request_shapes_decode(document: object) -> None:
    """Check that the JSON shapes Clarify's templates produce decode."""
    body = json.dumps(document).encode()

    decoded = codecs.decode_request(body, codecs.JSON, feature_names=NAMES)

    np.testing.assert_array_equal(decoded, [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("document", [[1, 2, 3], {"features": [1, 2, 3]}])
def test_single_json_record_decodes_to_one_row(document: object) -> None:
    """Check that one record sent alone ($record) is one row."""
    decoded = codecs.decode_request(json.dumps(document).encode(), codecs.JSON)

    np.testing.assert_array_equal(decoded, [[1, 2, 3]])


@pytest.mark.parametrize(
    "lines",
    [["[1, 2, 3]", "[4, 5, 6]"], ['{"features": [1,2,3]}', '{"features": [4,5,6]}']],
)
def test_jsonlines_request_decodes(lines: list[str]) -> None:
    """Check that JSON Lines with arrays or feature objects decode."""
    body = ("\n".join(lines) + "\n").encode()

    decoded = codecs.decode_request(body, codecs.JSONLINES)

    np.testing.assert_array_equal(decoded, [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", codecs.JSON),
        (b'{"instances": [[1, 2], [3]]}', codecs.JSON),
        (b'{"instances": []}', codecs.JSON),
        (b"[1,2]\n{oops\n", codecs.JSONLINES),
        (b"\x93NUMPY garbage", codecs.NPY),
    ],
)
def test_unparseable_bodies_raise_payload_error(body: bytes, content_type: str) -> None:
    """Check that invalid JSON, ragged records and broken NPY are refused."""
    with pytest.raises(codecs.PayloadError):
        codecs.decode_request(body, content_type)


@pytest.mark.parametrize("shape", [(5, 3), (3,)])
def test_npy_request_decodes(shape: tuple[int, ...]) -> None:
    """Check that an NPY body decodes to a 2-D matrix of the same values."""
    array = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7
    buffer = io.BytesIO()
    np.save(buffer, array)

    decoded = codecs.decode_request(buffer.getvalue(), codecs.NPY)

    np.testing.assert_array_equal(decoded, array.reshape(-1, 3))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, codecs.CSV),
        ("*/*", codecs.CSV),
        ("application/json", codecs.JSON),
        ("application/jsonlines; charset=utf-8", codecs.JSONLINES),
        ("text/html, application/x-npy", codecs.NPY),
        ("text/csv;q=0.5, application/json;q=0.9", codecs.JSON),
        ("text/html", None),
        ("application/x-recordio-protobuf", None),
    ],
)
def test_choose_accept(header: str | None, expected: str | None) -> None:
    """Check that Accept negotiation picks the served type or none."""
    assert codecs.choose_accept(header) == expected


def test_encoded_scores_parse_back_for_every_accept_type() -> None:
    """Check that CSV, JSON, JSON Lines and NPY answers carry the scores."""
    scores = np.array([[0.25, 0.75], [0.6, 0.4], [1.0, 0.0]], dtype=np.float32)

    csv = codecs.encode_scores(scores, codecs.CSV).decode()
    parsed = [[np.float32(c) for c in line.split(",")] for line in csv.splitlines()]
    assert parsed == scores.tolist()

    document = json.loads(codecs.encode_scores(scores, codecs.JSON))
    assert [p["score"] for p in document["predictions"]] == scores.tolist()

    lines = codecs.encode_scores(scores[:, :1], codecs.JSONLINES).decode().splitlines()
    assert [json.loads(line)["score"] for line in lines] == scores[:, 0].tolist()

    answer = np.load(io.BytesIO(codecs.encode_scores(scores, codecs.NPY)))
    np.testing.assert_array_equal(answer, scores)


def test_csv_records_slice_into_bodies(small_features: np.ndarray) -> None:
    """Check that CSV bodies are exact slices of the plain CSV text."""
    encoded = codecs.encode_records(
        small_features, content_type=codecs.CSV, feature_names=NAMES + ("x",)
    )

    plain = _plain_csv(small_features).splitlines(keepends=True)
    assert encoded.body(0, len(plain)).decode() == "".join(plain)
    assert encoded.body(3, 7).decode() == "".join(plain[3:7])
    assert encoded.sizes.tolist() == [len(line) for line in plain]


def test_dataframe_with_text_column_is_quoted() -> None:
    """Check that a text cell holding a comma survives the CSV encoding."""
    frame = pd.DataFrame({"name": ["a,b", "c"], "age": [1, 2]})

    encoded = codecs.encode_records(
        frame, content_type=codecs.CSV, feature_names=("name", "age")
    )

    back = pd.read_csv(io.BytesIO(encoded.body(0, 2)), header=None)
    assert back.values.tolist() == frame.values.tolist()


def test_jsonlines_template_wraps_each_record() -> None:
    """Check that $features becomes each row's JSON array, one per line."""
    rows = np.array([[1, 2.5, -3], [4, 5, 6.125]])

    encoded = codecs.encode_records(
        rows,
        content_type=codecs.JSONLINES,
        feature_names=NAMES,
        content_template='{"features":$features}',
    )

    lines = encoded.body(0, 2).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"features": row} for row in rows.tolist()
    ]


@pytest.mark.parametrize(
    ("record_template", "expected"),
    [
        ("$features", lambda row: row),
        (
            '{"data":{"features":$features,"names":$feature_names}}',
            lambda row: {"data": {"features": row, "names": list(NAMES)}},
        ),
        ("$features_kvp", lambda row: dict(zip(NAMES, row, strict=True))),
        ('{"a":"${age}","h":"${hours}"}', lambda row: {"a": row[0], "h": row[2]}),
    ],
)
def test_json_record_templates(record_template: str, expected: object) -> None:
    """Check that every record_template placeholder renders like json.dumps."""
    rows = np.array([[1, 2.5, -3], [4, 5, 6.125], [7, 8, 9]])

    encoded = codecs.encode_records(
        rows,
        content_type=codecs.JSON,
        feature_names=NAMES,
        content_template='{"instances":$records}',
        record_template=record_template,
    )

    assert callable(expected)
    want = [expected(row) for row in rows.tolist()]
    assert json.loads(encoded.body(0, 3)) == {"instances": want}
    assert json.loads(encoded.body(1, 3)) == {"instances": want[1:]}
    assert not encoded.one_per_request


def test_single_record_template_sends_one_record_per_request() -> None:
    """Check that $record marks one record per request, each a full body."""
    rows = np.array([[1, 2, 3], [4, 5, 6]])

    encoded = codecs.encode_records(
        rows,
        content_type=codecs.JSON,
        feature_names=NAMES,
        content_template='{"instance":$record}',
        record_template="$features_kvp",
    )

    assert encoded.one_per_request
    assert json.loads(encoded.body(1, 2)) == {
        "instance": dict(zip(NAMES, [4, 5, 6], strict=True))
    }


def test_text_values_are_json_strings_in_templates() -> None:
    """Check that non-numeric cells become JSON strings in records."""
    frame = pd.DataFrame(
        {"age": [1, 2], "income": ["low", 'say "hi"'], "hours": [3, 4]}
    )

    encoded = codecs.encode_records(
        frame,
        content_type=codecs.JSONLINES,
        feature_names=NAMES,
        content_template="$features",
    )

    lines = encoded.body(0, 2).decode().splitlines()
    assert [json.loads(line) for line in lines] == frame.values.tolist()


@pytest.mark.parametrize(
    ("content_type", "content_template", "record_template"),
    [
        (codecs.JSONLINES, '{"x": 1}', None),
        (codecs.JSON, '{"instances": []}', None),
        (codecs.JSON, "$records", '{"v":"${missing}"}'),
    ],
)
def test_templates_without_placeholders_are_refused(
    content_type: str, content_template: str, record_template: str | None
) -> None:
    """Check that a template lacking its placeholder raises ValueError."""
    with pytest.raises(ValueError, match=r"\$|missing"):
        codecs.encode_records(
            np.ones((2, 3)),
            content_type=content_type,
            feature_names=NAMES,
            content_template=content_template,
            record_template=record_template,
        )


def test_npy_records_slice_into_npy_bodies(small_features: np.ndarray) -> None:
    """Check that NPY bodies hold exactly the sliced rows."""
    encoded = codecs.encode_records(
        small_features, content_type=codecs.NPY, feature_names=NAMES + ("x",)
    )

    body = encoded.body(2, 9)
    np.testing.assert_array_equal(np.load(io.BytesIO(body)), small_features[2:9])
    assert len(body) <= encoded.overhead + int(encoded.sizes[2:9].sum())
