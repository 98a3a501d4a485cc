"""The errors raised by the bias analyses.

``BiasMetricError`` marks a metric that is undefined for the data (an empty
facet group, no common label outcome, ...). ``bias_section`` turns it into an
``error`` entry of the report, with the same text smclarify 0.5 writes.
``PredictedLabelError`` is fatal for a post-training job, as in Clarify.
"""

from __future__ import annotations

from openclarify.errors import AnalysisError, DatasetError

NO_POSITIVE_PREDICTIONS = (
    "No Label values are present in the predicted Label Column,"
    "Positive Predicted Index Series contains all False values"
)
PREDICTED_TYPE_MISMATCH = (
    "Predicted Label Column series datatype is not the same as Label Column series"
)


class BiasMetricError(AnalysisError, ValueError):
    """A bias metric is undefined for the given groups or labels.

    The message is the exact text smclarify 0.5 reports for the same case, so
    that the ``error`` entries of ``analysis.json`` match Clarify's.
    """


class PredictedLabelError(DatasetError):
    """The predicted labels cannot be compared with the observed labels.

    Parameters
    ----------
    text : str
        One of ``NO_POSITIVE_PREDICTIONS`` or ``PREDICTED_TYPE_MISMATCH``; the
        message starts with it verbatim, as Clarify's failure reason does.
    detail : str
        The column, the values received and what to do about it.
    """

    def __init__(self, text: str, detail: str) -> None:
        self.text = text
        self.detail = detail
        super().__init__(f"{text}. {detail}")
