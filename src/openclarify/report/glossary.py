"""Plain-language notes on the 21 bias metrics, for the report tables.

Notation in the sentences: the *facet group* is the sensitive group chosen by
the facet value (Clarify's ``d``); *the rest* is every other row (``a``).
Each entry says what the metric measures, its range, and how to read a value
above or below its neutral point (0 for all metrics except DI, where it is 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NEUTRAL_TOLERANCE = 1e-12


@dataclass(frozen=True)
class MetricNote:
    """How to read one bias metric."""

    code: str
    name: str
    measures: str
    value_range: str
    above: str
    below: str
    at_neutral: str
    neutral: float = 0.0


_DIVERGENCE_ZERO = "The two groups have the same share of positive labels."

NOTES: dict[str, MetricNote] = {
    note.code: note
    for note in (
        MetricNote(
            "CI",
            "Class Imbalance",
            "Compares how many rows fall in the facet group with how many fall "
            "in the rest.",
            "[-1, 1]",
            "The facet group is smaller than the rest (under-represented).",
            "The facet group is larger than the rest.",
            "Both groups have the same size.",
        ),
        MetricNote(
            "DPL",
            "Difference in Positive Proportions in Labels",
            "Subtracts the facet group's share of positive labels from the "
            "rest's share.",
            "[-1, 1]",
            "The rest has positive labels more often than the facet group.",
            "The facet group has positive labels more often than the rest.",
            "Both groups have positive labels equally often.",
        ),
        MetricNote(
            "KL",
            "Kullback-Leibler Divergence",
            "Measures how far the label distribution of the rest diverges from "
            "that of the facet group, in nats.",
            "[0, ∞) in theory; negative when one group lacks an outcome",
            "The label distributions differ; larger means further apart.",
            "Only possible when one group has no rows with one of the outcomes; "
            "look at DPL instead.",
            _DIVERGENCE_ZERO,
        ),
        MetricNote(
            "JS",
            "Jensen-Shannon Divergence",
            "A symmetric divergence between the two groups' label distributions, "
            "each compared with their average.",
            "[0, ln 2)",
            "The label distributions differ; larger means further apart.",
            "Not expected for this metric.",
            _DIVERGENCE_ZERO,
        ),
        MetricNote(
            "LP",
            "L-p Norm",
            "The Euclidean distance between the two groups' label distributions.",
            "[0, √2)",
            "The label distributions differ; larger means further apart.",
            "Not expected for this metric.",
            _DIVERGENCE_ZERO,
        ),
        MetricNote(
            "TVD",
            "Total Variation Distance",
            "Half the summed absolute gap between the two groups' label distributions.",
            "[0, 1)",
            "The label distributions differ; larger means further apart.",
            "Not expected for this metric.",
            _DIVERGENCE_ZERO,
        ),
        MetricNote(
            "KS",
            "Kolmogorov-Smirnov Distance",
            "The largest gap, over the label outcomes, between the two groups' "
            "label distributions.",
            "[0, 1]",
            "The label distributions differ; larger means further apart.",
            "Not expected for this metric.",
            _DIVERGENCE_ZERO,
        ),
        MetricNote(
            "CDDL",
            "Conditional Demographic Disparity in Labels",
            "Within each subgroup of the group variable, compares the facet "
            "group's share of negative labels with its share of positive labels, "
            "then averages the gaps weighted by subgroup size.",
            "[-1, 1]",
            "Within subgroups, the facet group holds more of the negative labels "
            "than of the positive ones.",
            "Within subgroups, the facet group holds more of the positive labels "
            "than of the negative ones.",
            "The facet group holds equal shares of positive and negative labels.",
        ),
        MetricNote(
            "DPPL",
            "Difference in Positive Proportions in Predicted Labels",
            "Subtracts the facet group's share of positive predictions from the "
            "rest's share.",
            "[-1, 1]",
            "The model predicts positive more often for the rest.",
            "The model predicts positive more often for the facet group.",
            "The model predicts positive equally often for both groups.",
        ),
        MetricNote(
            "DI",
            "Disparate Impact",
            "Divides the facet group's share of positive predictions by the "
            "rest's share.",
            "[0, ∞)",
            "The facet group receives positive predictions more often than the rest.",
            "The facet group receives positive predictions less often than the rest.",
            "Both groups receive positive predictions equally often.",
            neutral=1.0,
        ),
        MetricNote(
            "DCA",
            "Difference in Conditional Acceptance",
            "For each group, divides observed positive labels by predicted "
            "positives, and subtracts the facet group's ratio from the rest's.",
            "(-∞, ∞)",
            "Measured against its own labels, the rest is accepted less "
            "generously than the facet group.",
            "Measured against its own labels, the facet group is accepted less "
            "generously than the rest.",
            "Acceptances track the labels equally in both groups.",
        ),
        MetricNote(
            "DCR",
            "Difference in Conditional Rejection",
            "For each group, divides observed negative labels by predicted "
            "negatives, and subtracts the rest's ratio from the facet group's.",
            "(-∞, ∞)",
            "Measured against its own labels, the rest is rejected more harshly "
            "than the facet group.",
            "Measured against its own labels, the facet group is rejected more "
            "harshly than the rest.",
            "Rejections track the labels equally in both groups.",
        ),
        MetricNote(
            "RD",
            "Recall Difference",
            "Subtracts the facet group's recall (true positive rate) from the rest's.",
            "[-1, 1]",
            "The model finds the truly positive rows of the rest more reliably.",
            "The model finds the truly positive rows of the facet group more reliably.",
            "Recall is the same in both groups.",
        ),
        MetricNote(
            "SD",
            "Specificity Difference",
            "Subtracts the rest's specificity (true negative rate) from the "
            "facet group's.",
            "[-1, 1]",
            "Truly negative rows of the facet group are recognised more reliably, "
            "so it gets fewer false positives.",
            "Truly negative rows of the facet group are recognised less "
            "reliably, so it gets more false positives.",
            "Specificity is the same in both groups.",
        ),
        MetricNote(
            "DAR",
            "Difference in Acceptance Rates",
            "Subtracts the facet group's precision (the share of positive "
            "predictions that are right) from the rest's.",
            "[-1, 1]",
            "Positive predictions are right more often for the rest.",
            "Positive predictions are right more often for the facet group.",
            "Precision is the same in both groups.",
        ),
        MetricNote(
            "DRR",
            "Difference in Rejection Rates",
            "Subtracts the rest's share of negative predictions that are right "
            "from the facet group's share.",
            "[-1, 1]",
            "Negative predictions are right more often for the facet group.",
            "Negative predictions are right less often for the facet group, so "
            "more of its rejections are wrong.",
            "Negative predictions are equally reliable in both groups.",
        ),
        MetricNote(
            "AD",
            "Accuracy Difference",
            "Subtracts the facet group's accuracy from the rest's.",
            "[-1, 1]",
            "The model is more accurate for the rest.",
            "The model is more accurate for the facet group.",
            "Accuracy is the same in both groups.",
        ),
        MetricNote(
            "TE",
            "Treatment Equality",
            "Compares the ratio of false negatives to false positives in the "
            "facet group with the same ratio in the rest.",
            "(-∞, ∞)",
            "In the facet group, errors lean more towards false negatives.",
            "In the facet group, errors lean more towards false positives.",
            "Both groups make the two kinds of error in the same proportion.",
        ),
        MetricNote(
            "CDDPL",
            "Conditional Demographic Disparity in Predicted Labels",
            "Like CDDL, but on predicted labels: within each subgroup, the facet "
            "group's share of negative predictions minus its share of positive "
            "predictions, averaged by subgroup size.",
            "[-1, 1]",
            "Within subgroups, the facet group receives more of the negative "
            "predictions than of the positive ones.",
            "Within subgroups, the facet group receives more of the positive "
            "predictions than of the negative ones.",
            "The facet group receives equal shares of both predictions.",
        ),
        MetricNote(
            "FT",
            "Flip Test",
            "Compares each facet-group row's prediction with what similar rows "
            "of the rest (nearest neighbours) were predicted, as a net share of "
            "the facet group.",
            "[-1, 1]",
            "The model treats facet-group rows more favourably than similar rows "
            "of the rest.",
            "The model treats facet-group rows less favourably than similar rows "
            "of the rest.",
            "Favourable and unfavourable flips balance out.",
        ),
        MetricNote(
            "GE",
            "Generalized Entropy",
            "Measures how unevenly the benefit of the predictions (prediction "
            "minus label, plus one) is spread over all rows; it does not depend "
            "on the facet.",
            "[0, 0.5]",
            "Benefits are unevenly spread; larger means more unequal.",
            "Not expected for this metric.",
            "Every row gets the same benefit from the model.",
        ),
    )
}


def note_for(code: str) -> MetricNote | None:
    """Return the note for a metric code, or None for an unknown code."""
    return NOTES.get(code.upper())


def reading(code: str, value: float | str | None) -> str:
    """Return the sentence that says what a metric's value means.

    Parameters
    ----------
    code : str
        The metric code, e.g. ``"DPL"``.
    value : float, str or None
        The value as found in ``analysis.json``: a number, ``"Infinity"``,
        ``"-Infinity"`` or None.

    Returns
    -------
    str
        The reading for the value's side of the neutral point, or ``""`` when
        the code is unknown or the value is missing.
    """
    note = note_for(code)
    number = as_number(value)
    if note is None or number is None or math.isnan(number):
        return ""
    if abs(number - note.neutral) <= NEUTRAL_TOLERANCE:
        return note.at_neutral
    return note.above if number > note.neutral else note.below


def as_number(value: float | str | None) -> float | None:
    """Return a metric value as float (``"Infinity"`` → inf), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return float(value)
