"""Check column type inference, group selection and the value strings."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from openclarify.bias import columns as c
from openclarify.bias.errors import PredictedLabelError
from openclarify.errors import ConfigError

CAT, CONT = c.DataType.CATEGORICAL, c.DataType.CONTINUOUS


@pytest.mark.parametrize(
    ("series", "values", "expected"),
    [
        (pd.Series([0, 1] * 50), [1], CAT),  # 2 % unique
        (pd.Series([0, 1] * 5), [1], CONT),  # 20 % unique
        (pd.Series(np.arange(100) % 5), [1], CONT),  # exactly 5 %
        (pd.Series(np.arange(100) % 4), [1], CAT),  # 4 %
        (pd.Series([0.0, 1.0] * 50), [1], CONT),  # floats are continuous
        (pd.Series([0, 1] * 5), [0, 1], CAT),  # two values force categories
        (pd.Series([0, 1] * 5).astype("category"), [1], CAT),
        (pd.Series([True, False] * 5), [True], CAT),
        (pd.Series(["1", "2", "3"] * 3, dtype=object), ["1"], CONT),
        (pd.Series(["1", "2", "3"] * 3, dtype="str"), ["1"], CONT),
        (pd.Series(["1.5", "2", "3"] * 3, dtype=object), ["1"], CAT),
        (pd.Series(["a", "b"] * 3, dtype="str"), ["a"], CAT),
    ],
)
def test_infer_data_type_rules(
    series: pd.Series, values: list, expected: c.DataType
) -> None:
    """Check that type inference follows smclarify's series_datatype rules."""
    assert c.infer_data_type(series, values) is expected


def test_warns_when_small_integer_column_reads_as_continuous(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Check that a 0/1 column read as continuous logs a WARNING with a remedy."""
    with caplog.at_level(logging.WARNING, logger="openclarify.bias.columns"):
        c.infer_data_type(pd.Series([0, 1] * 5, name="sex"), [0])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "'sex'" in text and "continuous" in text and "two or more values" in text


def test_no_warning_for_many_rows(caplog: pytest.LogCaptureFixture) -> None:
    """Check that a categorical reading of a 0/1 column logs no warning."""
    with caplog.at_level(logging.WARNING, logger="openclarify.bias.columns"):
        c.infer_data_type(pd.Series([0, 1] * 100), [0])
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_continuous_selection_uses_pandas_interval() -> None:
    """Check that a threshold selects (t, max] and prints the pandas interval."""
    series = pd.Series([18, 25, 40, 41, 69, 33] * 10, name="age")
    selection = c.select_rows(series, CONT, [40], key="k")
    expected = pd.IntervalIndex.from_breaks([40, 69])
    assert selection.text == str(expected[0])
    np.testing.assert_array_equal(
        selection.mask, [expected[0].left < v <= expected[0].right for v in series]
    )


def test_threshold_equal_to_maximum_gives_empty_interval() -> None:
    """Check the quirk: |max| among the thresholds leaves no interval at all."""
    series = pd.Series([0, 1] * 5)
    selection = c.select_rows(series, CONT, [1], key="k")
    assert selection.text == ""
    assert not selection.mask.any()


def test_text_threshold_becomes_float() -> None:
    """Check that a text threshold of a continuous column is turned into a float."""
    values: list = ["40"]
    series = c.convert_column(pd.Series(range(100)), CONT, values, key="k")
    assert values == [40.0]
    assert c.select_rows(series, CONT, values, key="k").text == str(
        pd.IntervalIndex.from_breaks([40.0, 99])[0]
    )


def test_non_numeric_threshold_is_a_config_error() -> None:
    """Check that a word as threshold of a continuous column is rejected."""
    with pytest.raises(ConfigError, match="single numeric threshold"):
        c.convert_column(pd.Series(range(100)), CONT, ["old"], key="facet[0]")


def test_categorical_values_are_cast_when_nothing_matches(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Check the cast-and-retry: '1' matches integer 1 after a warning."""
    series = pd.Series([0, 1, 2] * 40).astype("category")
    with caplog.at_level(logging.WARNING):
        mask = c.categorical_mask(series, ["1"], key="facet[0]")
    np.testing.assert_array_equal(mask, series.to_numpy() == 1)
    assert "converted" in caplog.text


def test_uncastable_values_are_a_config_error() -> None:
    """Check that values matching nothing and not castable raise ConfigError."""
    series = pd.Series([0, 1, 2] * 40).astype("category")
    with pytest.raises(ConfigError, match="facet\\[0\\]"):
        c.categorical_mask(series, ["zero"], key="facet[0]")


def test_predicted_type_mismatch_is_fatal() -> None:
    """Check that float predictions against an integer label fail like Clarify."""
    label = c.convert_column(pd.Series([0, 1] * 50), CAT, [1], key="k")
    with pytest.raises(PredictedLabelError) as caught:
        c.predicted_positive_mask(
            pd.Series([0.0, 1.0] * 50), label, CAT, [1], column="pred"
        )
    assert str(caught.value).startswith(
        "Predicted Label Column series datatype is not the same as Label Column series"
    )
    assert "'pred'" in str(caught.value)


def test_no_positive_prediction_is_fatal() -> None:
    """Check that all-negative predictions fail with Clarify's reason."""
    label = c.convert_column(pd.Series([0, 1] * 50), CAT, [1], key="k")
    with pytest.raises(PredictedLabelError) as caught:
        c.predicted_positive_mask(pd.Series([0] * 100), label, CAT, [1], column="p")
    assert caught.value.reason().startswith(
        "ClientError: No Label values are present in the predicted Label Column,"
        "Positive Predicted Index Series contains all False values"
    )


def test_facet_groups_map_report_strings_to_masks() -> None:
    """Check that dict(facet_groups(...)) gives one mask per distinct value."""
    series = pd.Series(["b", "a", "b", "c"] * 30, dtype="str")
    groups = dict(c.facet_groups(series, None))
    assert list(groups) == list(pd.unique(series))
    for value, mask in groups.items():
        np.testing.assert_array_equal(mask, (series == value).to_numpy())


def test_facet_groups_threshold_and_values() -> None:
    """Check a threshold group and a value-list group of facet_groups."""
    ages = pd.Series(np.arange(100) % 60 + 18, name="age")
    ((text, mask),) = c.facet_groups(ages, (40,))
    assert text == str(pd.IntervalIndex.from_breaks([40, ages.max()])[0])
    np.testing.assert_array_equal(mask, (ages > 40).to_numpy())
    ((text, mask),) = c.facet_groups(ages % 2, [0, 1])
    assert text == "0,1" and mask.all()


def test_positive_mask_reads_label_like_bias_section() -> None:
    """Check positive_mask for a categorical and a continuous label."""
    labels = pd.Series([0, 1, 2] * 40)
    np.testing.assert_array_equal(c.positive_mask(labels, [1, 2]), labels >= 1)
    scores = pd.Series(np.linspace(0, 1, 50))
    np.testing.assert_array_equal(c.positive_mask(scores, [0.5]), scores > 0.5)
