"""Tests of the metric notes and of number formatting in the report."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openclarify.config.model import POST_TRAINING_METHODS, PRE_TRAINING_METHODS
from openclarify.report.document import format_number, format_rate, slug
from openclarify.report.glossary import NOTES, note_for, reading

ALL_CODES = PRE_TRAINING_METHODS + POST_TRAINING_METHODS


def test_every_metric_has_a_complete_note() -> None:
    """Check that all 21 metric codes have a name, sentence, range and readings."""
    assert sorted(NOTES) == sorted(ALL_CODES) and len(ALL_CODES) == 21
    for code in ALL_CODES:
        note = note_for(code)
        assert note is not None and note.code == code
        for text in (note.measures, note.above, note.below, note.at_neutral):
            assert text.endswith(".") and len(text.split()) >= 3
        assert note.value_range.startswith(("[", "("))
        assert note.above != note.below


def test_measures_sentences_are_distinct() -> None:
    """Check that no two metrics share the same explanation."""
    sentences = [note.measures for note in NOTES.values()]
    assert len(set(sentences)) == len(sentences)


@pytest.mark.parametrize(
    ("code", "value", "side"),
    [
        ("DPL", 0.2, "above"),
        ("DPL", -0.2, "below"),
        ("DPL", 0.0, "at_neutral"),
        ("DI", 0.8, "below"),
        ("DI", 1.0, "at_neutral"),
        ("DI", "Infinity", "above"),
        ("TE", "-Infinity", "below"),
        ("CI", np.float64(0.5), "above"),
        ("dppl", -0.1, "below"),
    ],
)
def test_reading_follows_the_sign_around_the_neutral_point(
    code: str, value: object, side: str
) -> None:
    """Check that the reading matches the value's side of 0 (or of 1 for DI)."""
    note = note_for(code)
    assert note is not None
    assert reading(code, value) == getattr(note, side)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, "n/a", math.nan])
def test_missing_value_has_no_reading(value: object) -> None:
    """Check that a missing or non-numeric value gives an empty reading."""
    assert reading("DPL", value) == ""  # type: ignore[arg-type]


def test_unknown_metric_has_no_note() -> None:
    """Check that an unknown code has no note and no reading."""
    assert note_for("XYZ") is None and reading("XYZ", 1.0) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "–"),
        ("Infinity", "Infinity"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
        (0.0, "0"),
        (12345, "12,345"),
        (np.int64(7), "7"),
    ],
)
def test_special_values_are_spelled_out(value: object, expected: str) -> None:
    """Check the text of missing, infinite, zero and integer values."""
    assert format_number(value) == expected


@pytest.mark.parametrize("value", [0.1634, -0.02036, 72.0, 3.14159e-7, 2.5e9, -1e-4])
def test_floats_keep_four_significant_digits(value: float) -> None:
    """Check that formatted floats are within rounding of four significant digits."""
    text = format_number(value)
    assert math.isclose(float(text), value, rel_tol=5e-4)
    digits = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    assert len(digits) <= 4


def test_rates_and_anchors() -> None:
    """Check percentages and that anchors use only safe characters."""
    assert format_rate(0.4575) == f"{0.4575:.1%}" and format_rate(None) == "–"
    anchor = slug("Facet Race = Other <b>&</b>")
    assert anchor and set(anchor) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
