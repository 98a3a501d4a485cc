"""Pre- and post-training bias metrics, with smclarify 0.5 semantics.

Every metric takes boolean numpy arrays of one row each (``facet_mask`` marks
the sensitive group *d*, its complement is the advantaged group *a*;
``y_true`` marks positive observed labels, ``y_pred`` positive predicted
labels) and returns a float. Nothing loops over rows.

Notation used in the docstrings: ``n_a``, ``n_d`` are the group sizes,
``n_x(1)`` and ``n_x(0)`` the observed positives and negatives of group ``x``,
``m_x(1)`` and ``m_x(0)`` the predicted positives and negatives, and ``TP_x``,
``FP_x``, ``TN_x``, ``FN_x`` the confusion counts inside group ``x``.

Division follows smclarify's rule, written ``÷`` below: ``0 ÷ 0 = 0`` and
``k ÷ 0 = ±inf`` with the sign of ``k``. A metric that is undefined raises
``BiasMetricError`` with the exact text smclarify reports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from openclarify.bias._knn import knn_majority_vote
from openclarify.bias.errors import BiasMetricError

logger = logging.getLogger(__name__)

BoolArray = npt.NDArray[np.bool_]
FloatMatrix = npt.NDArray[np.float64]
Stage = Literal["pre_training", "post_training"]

NO_COMMON_OUTCOME = "No instance of common facet found, dataset may be too small"
NO_GROUP_VARIABLE = "Group variable is empty or not provided"
FT_NON_NUMERIC = "FlipTest does not support non-numeric columns"
FT_DEFAULT_NEIGHBORS = 5
FT_MIN_NEIGHBORS = 1
FT_SMALL_GROUP = 9
GE_ALPHA = 2.0


def divide(numerator: float, denominator: float) -> float:
    """Divide with smclarify's rule: ``0/0 = 0`` and ``k/0 = ±inf``.

    Parameters
    ----------
    numerator, denominator : float
        The operands.

    Returns
    -------
    float
        ``numerator / denominator``; 0.0 when both are 0; ``inf`` or ``-inf``
        (the sign of ``numerator``) when only the denominator is 0.
    """
    if denominator == 0:
        if numerator == 0:
            return 0.0
        return -np.inf if numerator < 0 else np.inf
    return float(numerator / denominator)


# ---------------------------------------------------------------------------
# Pre-training metrics


def class_imbalance(facet_mask: BoolArray) -> float:
    """Class Imbalance, CI = (n_a - n_d) / (n_a + n_d).

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.

    Returns
    -------
    float
        In [-1, 1]. Positive when the sensitive group is the smaller one,
        negative when it is the larger one, 0 when both are the same size.

    Raises
    ------
    BiasMetricError
        When either group is empty (no division by zero happens).
    """
    n_d = int(np.count_nonzero(facet_mask))
    n_a = facet_mask.shape[0] - n_d
    if n_a == 0:
        raise BiasMetricError(
            "CI: negated facet set is empty. Check that x[~facet] has non-zero length."
        )
    if n_d == 0:
        raise BiasMetricError(
            "CI: facet set is empty. Check that x[facet] has non-zero length."
        )
    return float(n_a - n_d) / (n_a + n_d)


def difference_in_positive_proportions(facet_mask: BoolArray, y: BoolArray) -> float:
    """Difference in Positive Proportions, q_a - q_d with q_x = n_x(1) / n_x.

    Used for DPL with observed labels and for DPPL with predicted labels.

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y : ndarray of bool, shape (n_samples,)
        True for positive (observed or predicted) labels.

    Returns
    -------
    float
        In [-1, 1]. Positive when the advantaged group gets the positive
        outcome more often than the sensitive group.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    counts = _group_counts(facet_mask, y)
    if counts.n_a == 0:
        raise BiasMetricError("Negative facet set is empty.")
    if counts.n_d == 0:
        raise BiasMetricError("Facet set is empty.")
    return counts.pos_a / counts.n_a - counts.pos_d / counts.n_d


def kl_divergence(facet_mask: BoolArray, y_true: BoolArray) -> float:
    """Kullback-Leibler divergence KL(P_a || P_d) of the binary label.

    ``KL = sum_y P_a(y) * ln(P_a(y) / P_d(y))`` over the outcomes y (negative,
    positive) whose probability is non-zero in *both* groups. That restriction
    is smclarify's and makes KL negative when one group lacks an outcome.

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y_true : ndarray of bool, shape (n_samples,)
        True for positive observed labels.

    Returns
    -------
    float
        Usually in [0, inf); 0 when both label distributions are equal.

    Raises
    ------
    BiasMetricError
        When no outcome occurs in both groups (including an empty group).
    """
    p_a, p_d = _aligned_label_distributions(facet_mask, y_true)
    return float(np.sum(p_a * np.log(p_a / p_d)))


def js_divergence(facet_mask: BoolArray, y_true: BoolArray) -> float:
    """Jensen-Shannon divergence of the binary label distributions.

    ``JS = (KL(P_a || P) + KL(P_d || P)) / 2`` with ``P = (P_a + P_d) / 2``,
    over the outcomes non-zero in both groups (as for KL).

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y_true : ndarray of bool, shape (n_samples,)
        True for positive observed labels.

    Returns
    -------
    float
        In [0, ln 2); 0 when both distributions are equal.

    Raises
    ------
    BiasMetricError
        When no outcome occurs in both groups.
    """
    p_a, p_d = _aligned_label_distributions(facet_mask, y_true)
    p_mid = 0.5 * (p_a + p_d)
    kl_a = np.sum(p_a * np.log(p_a / p_mid))
    kl_d = np.sum(p_d * np.log(p_d / p_mid))
    return float(0.5 * (kl_a + kl_d))


def lp_norm(facet_mask: BoolArray, y_true: BoolArray, *, p: float = 2.0) -> float:
    """L-p norm of the difference of the binary label distributions.

    ``LP = (sum_y |P_a(y) - P_d(y)|^p)^(1/p)`` over the outcomes non-zero in
    both groups; p = 2 in reports.

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y_true : ndarray of bool, shape (n_samples,)
        True for positive observed labels.
    p : float, default=2.0
        The order of the norm; ``np.inf`` gives the maximum difference.

    Returns
    -------
    float
        In [0, sqrt(2)) for p = 2; 0 when both distributions are equal.

    Raises
    ------
    BiasMetricError
        When no outcome occurs in both groups.
    """
    p_a, p_d = _aligned_label_distributions(facet_mask, y_true)
    return float(np.linalg.norm(p_a - p_d, p))


def total_variation_distance(facet_mask: BoolArray, y_true: BoolArray) -> float:
    """Total Variation Distance, ``TVD = sum_y |P_a(y) - P_d(y)| / 2``.

    Over the outcomes non-zero in both groups (as for KL).

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y_true : ndarray of bool, shape (n_samples,)
        True for positive observed labels.

    Returns
    -------
    float
        In [0, 1); 0 when both distributions are equal.

    Raises
    ------
    BiasMetricError
        When no outcome occurs in both groups.
    """
    return 0.5 * lp_norm(facet_mask, y_true, p=1.0)


def kolmogorov_smirnov(facet_mask: BoolArray, y_true: BoolArray) -> float:
    """Kolmogorov-Smirnov distance, ``KS = max_y |P_a(y) - P_d(y)|``.

    Over the outcomes non-zero in both groups (as for KL).

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y_true : ndarray of bool, shape (n_samples,)
        True for positive observed labels.

    Returns
    -------
    float
        In [0, 1]; 0 when both distributions are equal.

    Raises
    ------
    BiasMetricError
        When no outcome occurs in both groups.
    """
    return lp_norm(facet_mask, y_true, p=np.inf)


def conditional_demographic_disparity(
    facet_mask: BoolArray, y: BoolArray, group: npt.ArrayLike | None
) -> float:
    """Conditional Demographic Disparity (CDDL, or CDDPL with predictions).

    ``CDD = sum_i n_i * DD_i / sum_i n_i`` over each distinct value i of the
    group variable, with ``DD_i = n_d,i(0) / n_i(0) - n_d,i(1) / n_i(1)``:
    the sensitive group's share of the negatives minus its share of the
    positives within subgroup i. A share whose denominator is 0 counts as 0;
    rows whose group value is missing belong to no subgroup.

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y : ndarray of bool, shape (n_samples,)
        True for positive (observed or predicted) labels.
    group : array-like of shape (n_samples,) or None
        The raw group-variable values; every distinct value is a subgroup.

    Returns
    -------
    float
        In [-1, 1]. Positive when the sensitive group receives more of the
        rejections than of the acceptances, conditioned on the subgroups.

    Raises
    ------
    BiasMetricError
        Without a group variable, or when the labels are all positive or all
        negative.
    """
    if group is None:
        raise BiasMetricError(NO_GROUP_VARIABLE)
    codes = _sorted_codes(group)
    if codes.shape[0] == 0:
        raise BiasMetricError(NO_GROUP_VARIABLE)
    n_pos = int(np.count_nonzero(y))
    if n_pos == 0:
        raise BiasMetricError("No positive labels in set")
    if n_pos == y.shape[0]:
        raise BiasMetricError("No negative labels in set")

    # Per-subgroup counts; rows with a missing group value (code -1) drop out.
    present = codes >= 0
    codes, y, facet_mask = codes[present], y[present], facet_mask[present]
    n_groups = int(codes.max()) + 1 if codes.size else 0
    size = np.bincount(codes, minlength=n_groups)
    pos = np.bincount(codes, weights=y, minlength=n_groups)
    neg = size - pos
    pos_d = np.bincount(codes, weights=y & facet_mask, minlength=n_groups)
    neg_d = np.bincount(codes, weights=~y & facet_mask, minlength=n_groups)

    accepted = _safe_ratio(pos_d, pos)
    rejected = _safe_ratio(neg_d, neg)
    disparity = rejected - accepted
    return divide(float(np.sum(size * disparity)), float(np.sum(size)))


# ---------------------------------------------------------------------------
# Post-training metrics


def disparate_impact(facet_mask: BoolArray, y_pred: BoolArray) -> float:
    """Disparate Impact, ``DI = q'_d ÷ q'_a`` with ``q'_x = m_x(1) / n_x``.

    Parameters
    ----------
    facet_mask : ndarray of bool, shape (n_samples,)
        True for the rows of the sensitive group d.
    y_pred : ndarray of bool, shape (n_samples,)
        True for positive predicted labels.

    Returns
    -------
    float
        In [0, inf); 1 means parity, below 1 that the sensitive group is
        predicted positive less often. ``inf`` when only the sensitive group
        gets positive predictions; 0 when neither does.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    counts = _group_counts(facet_mask, y_pred)
    if counts.n_a == 0:
        raise BiasMetricError("Negated facet set is empty")
    if counts.n_d == 0:
        raise BiasMetricError("Facet set is empty")
    return divide(counts.pos_d / counts.n_d, counts.pos_a / counts.n_a)


def difference_in_conditional_acceptance(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Difference in Conditional Acceptance, ``DCA = c_a - c_d``.

    ``c_x = n_x(1) ÷ m_x(1)``: observed positives per predicted positive.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        Unbounded. Positive when the model accepts the sensitive group more
        readily, relative to its observed positives, than the advantaged one.
        ``±inf`` when one group has positives but no predicted positive; 0
        when both do.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="DCO")
    c_a = divide(conf.tp_a + conf.fn_a, conf.tp_a + conf.fp_a)
    c_d = divide(conf.tp_d + conf.fn_d, conf.tp_d + conf.fp_d)
    return _difference(c_a, c_d, integer_zero=True)


def difference_in_conditional_rejection(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Difference in Conditional Rejection, ``DCR = r_d - r_a``.

    ``r_x = n_x(0) ÷ m_x(0)``: observed negatives per predicted negative.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        Unbounded. Positive when the sensitive group is rejected less than its
        observed negatives would justify, compared with the advantaged group.
        ``±inf`` when one group has negatives but no predicted negative; 0
        when both do.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="DCO")
    r_a = divide(conf.tn_a + conf.fp_a, conf.tn_a + conf.fn_a)
    r_d = divide(conf.tn_d + conf.fp_d, conf.tn_d + conf.fn_d)
    return _difference(r_d, r_a, integer_zero=True)


def recall_difference(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Recall Difference, ``RD = TP_a ÷ (TP_a + FN_a) - TP_d ÷ (TP_d + FN_d)``.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        In [-1, 1]. Positive when the model finds the advantaged group's
        positives more often. A group without positives has recall 0.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="DLA")
    recall_a = divide(conf.tp_a, conf.tp_a + conf.fn_a)
    recall_d = divide(conf.tp_d, conf.tp_d + conf.fn_d)
    return recall_a - recall_d


def specificity_difference(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Specificity Difference, ``SD = TN_d ÷ (TN_d + FP_d) - TN_a ÷ (TN_a + FP_a)``.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        In [-1, 1]. Positive when the model recognises the sensitive group's
        negatives more often. A group without negatives has specificity 0.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="DLA")
    spec_a = divide(conf.tn_a, conf.tn_a + conf.fp_a)
    spec_d = divide(conf.tn_d, conf.tn_d + conf.fp_d)
    return spec_d - spec_a


def difference_in_acceptance_rates(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Difference in Acceptance Rates, ``DAR = TP_a ÷ m_a(1) - TP_d ÷ m_d(1)``.

    The difference of the groups' precisions.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        In [-1, 1]. Positive when the advantaged group's positive predictions
        are right more often. A group without positive predictions counts 0.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="DLR")
    rate_a = divide(conf.tp_a, conf.tp_a + conf.fp_a)
    rate_d = divide(conf.tp_d, conf.tp_d + conf.fp_d)
    return rate_a - rate_d


def difference_in_rejection_rates(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Difference in Rejection Rates, ``DRR = TN_d ÷ m_d(0) - TN_a ÷ m_a(0)``.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        In [-1, 1]. Positive when the sensitive group's negative predictions
        are right more often. A group without negative predictions counts 0.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="DLR")
    rate_a = divide(conf.tn_a, conf.tn_a + conf.fn_a)
    rate_d = divide(conf.tn_d, conf.tn_d + conf.fn_d)
    return rate_d - rate_a


def accuracy_difference(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Accuracy Difference, ``AD = (TP_a + TN_a) / n_a - (TP_d + TN_d) / n_d``.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        In [-1, 1]. Positive when the model is more accurate on the
        advantaged group.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="")
    acc_a = divide(conf.tp_a + conf.tn_a, conf.n_a)
    acc_d = divide(conf.tp_d + conf.tn_d, conf.n_d)
    return acc_a - acc_d


def treatment_equality(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray
) -> float:
    """Treatment Equality, ``TE = FN_d ÷ FP_d - FN_a ÷ FP_a``.

    Parameters
    ----------
    facet_mask, y_true, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group, positive observed and positive predicted labels.

    Returns
    -------
    float
        Unbounded. Positive when the sensitive group suffers relatively more
        false negatives per false positive. ``±inf`` when one group has false
        negatives but no false positive; 0 when both do.

    Raises
    ------
    BiasMetricError
        When either group is empty.
    """
    conf = _confusion(facet_mask, y_true, y_pred, prefix="")
    tau_a = divide(conf.fn_a, conf.fp_a)
    tau_d = divide(conf.fn_d, conf.fp_d)
    return _difference(tau_d, tau_a, integer_zero=False)


def flip_test(
    facet_mask: BoolArray, y_pred: BoolArray, features: FloatMatrix | None
) -> float:
    """Flip Test: how the sensitive group's predictions compare with neighbours.

    A k-nearest-neighbour classifier (Euclidean, uniform vote; k = 5, or 1
    when the advantaged group has at most 9 rows) is fitted on the advantaged
    group's features and the model's predicted labels, then predicts every
    sensitive row. ``FT = (F+ - F-) / n_d`` where ``F+`` counts sensitive rows
    the model predicts positive but the neighbours negative and ``F-`` the
    opposite. This is smclarify's sign, the reverse of the AWS docs' wording.
    Neighbour ties are broken exactly as scikit-learn does.

    Parameters
    ----------
    facet_mask, y_pred : ndarray of bool, shape (n_samples,)
        Sensitive group and positive predicted labels.
    features : ndarray of float, shape (n_samples, n_features) or None
        The remaining feature columns; None when a column is not numeric.

    Returns
    -------
    float
        In [-1, 1]. Positive when the model favours the sensitive group over
        what its advantaged neighbours get.

    Raises
    ------
    BiasMetricError
        When either group is empty or a feature column is not numeric.
    """
    n_d = int(np.count_nonzero(facet_mask))
    if n_d == 0:
        raise BiasMetricError("Facet set is empty")
    if n_d == facet_mask.shape[0]:
        raise BiasMetricError("Negated Facet set is empty")
    if features is None:
        raise BiasMetricError(FT_NON_NUMERIC)

    # Neighbours among the advantaged rows vote on each sensitive row.
    n_a = facet_mask.shape[0] - n_d
    k = FT_DEFAULT_NEIGHBORS if n_a > FT_SMALL_GROUP else FT_MIN_NEIGHBORS
    neighbour_vote = knn_majority_vote(
        features[~facet_mask], y_pred[~facet_mask], features[facet_mask], k=k
    )
    model_vote = y_pred[facet_mask]
    flips_up = int(np.count_nonzero(model_vote & ~neighbour_vote))
    flips_down = int(np.count_nonzero(~model_vote & neighbour_vote))
    return divide(flips_up - flips_down, n_d)


def generalized_entropy(y_true: BoolArray, y_pred: BoolArray) -> float:
    """Generalized Entropy index with alpha = 2, over all rows.

    With the benefit ``b_i = y_pred_i - y_true_i + 1`` and its mean ``mu``:
    ``GE = sum_i ((b_i / mu)^2 - 1) / (2 * n_samples)``. It does not depend on
    the facet: every facet value reports the same number.

    Parameters
    ----------
    y_true, y_pred : ndarray of bool, shape (n_samples,)
        Positive observed and positive predicted labels.

    Returns
    -------
    float
        At least 0; 0 when all benefits are equal (e.g. every prediction is
        right). It grows as errors spread unevenly, up to ``(n_samples - 1) / 2``
        when one false positive meets only false negatives, so the [0, 0.5]
        range quoted by the AWS docs does not hold in general.

    Raises
    ------
    BiasMetricError
        With no rows, or when every prediction is a false negative (mu = 0).
    """
    n_samples = y_true.shape[0]
    if n_samples == 0:
        raise BiasMetricError("dataset must be non-empty")
    benefit = y_pred.astype(np.int64) - y_true.astype(np.int64) + 1
    mean_benefit = benefit.mean()
    if mean_benefit == 0:
        raise BiasMetricError(
            "All predicted labels are false negatives. There should be at least "
            "one prediction that is not false negative."
        )
    ratio = benefit / mean_benefit
    return float((ratio**GE_ALPHA - 1).sum() / (n_samples * GE_ALPHA * (GE_ALPHA - 1)))


# ---------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class BiasMetric:
    """One registered metric.

    Attributes
    ----------
    code : str
        The published acronym, used as the report's ``name``.
    description : str
        The report's fixed ``description`` text.
    stage : {"pre_training", "post_training"}
        Which analysis computes it.
    function : callable
        The metric function.
    arguments : tuple of str
        The inputs passed positionally, by name: ``facet_mask``, ``y_true``,
        ``y_pred``, ``group`` or ``features``.
    """

    code: str
    description: str
    stage: Stage
    function: Callable[..., float]
    arguments: tuple[str, ...]


_PRE: Stage = "pre_training"
_POST: Stage = "post_training"
_MASK_TRUE = ("facet_mask", "y_true")
_MASK_BOTH = ("facet_mask", "y_true", "y_pred")

REGISTRY: tuple[BiasMetric, ...] = (
    BiasMetric("CI", "Class Imbalance (CI)", _PRE, class_imbalance, ("facet_mask",)),
    BiasMetric(
        "DPL",
        "Difference in Positive Proportions in Labels (DPL)",
        _PRE,
        difference_in_positive_proportions,
        _MASK_TRUE,
    ),
    BiasMetric(
        "KL", "Kullback-Liebler Divergence (KL)", _PRE, kl_divergence, _MASK_TRUE
    ),
    BiasMetric("JS", "Jensen-Shannon Divergence (JS)", _PRE, js_divergence, _MASK_TRUE),
    BiasMetric("LP", "L-p Norm (LP)", _PRE, lp_norm, _MASK_TRUE),
    BiasMetric(
        "TVD",
        "Total Variation Distance (TVD)",
        _PRE,
        total_variation_distance,
        _MASK_TRUE,
    ),
    BiasMetric(
        "KS", "Kolmogorov-Smirnov Distance (KS)", _PRE, kolmogorov_smirnov, _MASK_TRUE
    ),
    BiasMetric(
        "CDDL",
        "Conditional Demographic Disparity in Labels (CDDL)",
        _PRE,
        conditional_demographic_disparity,
        ("facet_mask", "y_true", "group"),
    ),
    BiasMetric(
        "DPPL",
        "Difference in Positive Proportions in Predicted Labels (DPPL)",
        _POST,
        difference_in_positive_proportions,
        ("facet_mask", "y_pred"),
    ),
    BiasMetric(
        "DI", "Disparate Impact (DI)", _POST, disparate_impact, ("facet_mask", "y_pred")
    ),
    BiasMetric(
        "DCA",
        "Difference in Conditional Acceptance (DCA)",
        _POST,
        difference_in_conditional_acceptance,
        _MASK_BOTH,
    ),
    BiasMetric(
        "DCR",
        "Difference in Conditional Rejection (DCR)",
        _POST,
        difference_in_conditional_rejection,
        _MASK_BOTH,
    ),
    BiasMetric("RD", "Recall Difference (RD)", _POST, recall_difference, _MASK_BOTH),
    BiasMetric(
        "SD", "Specificity Difference (SD)", _POST, specificity_difference, _MASK_BOTH
    ),
    BiasMetric(
        "DAR",
        "Difference in Acceptance Rates (DAR)",
        _POST,
        difference_in_acceptance_rates,
        _MASK_BOTH,
    ),
    BiasMetric(
        "DRR",
        "Difference in Rejection Rates (DRR)",
        _POST,
        difference_in_rejection_rates,
        _MASK_BOTH,
    ),
    BiasMetric(
        "AD", "Accuracy Difference (AD)", _POST, accuracy_difference, _MASK_BOTH
    ),
    BiasMetric(
        "CDDPL",
        "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
        _POST,
        conditional_demographic_disparity,
        ("facet_mask", "y_pred", "group"),
    ),
    BiasMetric("TE", "Treatment Equality (TE)", _POST, treatment_equality, _MASK_BOTH),
    BiasMetric(
        "FT", "Flip Test (FT)", _POST, flip_test, ("facet_mask", "y_pred", "features")
    ),
    BiasMetric(
        "GE",
        "Generalized Entropy (GE)",
        _POST,
        generalized_entropy,
        ("y_true", "y_pred"),
    ),
)
METRICS: dict[str, BiasMetric] = {metric.code: metric for metric in REGISTRY}


def metrics_for_stage(stage: Stage) -> tuple[BiasMetric, ...]:
    """Return the registered metrics of one stage, in registry order."""
    return tuple(metric for metric in REGISTRY if metric.stage == stage)


# ---------------------------------------------------------------------------
# Private helpers


@dataclass(frozen=True)
class _GroupCounts:
    n_a: int
    n_d: int
    pos_a: int
    pos_d: int


@dataclass(frozen=True)
class _Confusion:
    tp_a: int
    fp_a: int
    tn_a: int
    fn_a: int
    tp_d: int
    fp_d: int
    tn_d: int
    fn_d: int

    @property
    def n_a(self) -> int:
        return self.tp_a + self.fp_a + self.tn_a + self.fn_a

    @property
    def n_d(self) -> int:
        return self.tp_d + self.fp_d + self.tn_d + self.fn_d


def _group_counts(facet_mask: BoolArray, y: BoolArray) -> _GroupCounts:
    # Cell index facet*2 + y: 0 = a/neg, 1 = a/pos, 2 = d/neg, 3 = d/pos.
    cells = np.bincount(facet_mask.astype(np.intp) * 2 + y, minlength=4)
    return _GroupCounts(
        n_a=int(cells[0] + cells[1]),
        n_d=int(cells[2] + cells[3]),
        pos_a=int(cells[1]),
        pos_d=int(cells[3]),
    )


def _confusion(
    facet_mask: BoolArray, y_true: BoolArray, y_pred: BoolArray, *, prefix: str
) -> _Confusion:
    n_d = int(np.count_nonzero(facet_mask))
    lead = f"{prefix}: " if prefix else ""
    if n_d == 0:
        raise BiasMetricError(f"{lead}Facet set is empty")
    if n_d == facet_mask.shape[0]:
        raise BiasMetricError(f"{lead}Negated Facet set is empty")

    # Cell index facet*4 + y_true*2 + y_pred.
    cells = np.bincount(
        facet_mask.astype(np.intp) * 4 + y_true.astype(np.intp) * 2 + y_pred,
        minlength=8,
    )
    counts = [int(c) for c in cells]
    return _Confusion(
        tn_a=counts[0],
        fp_a=counts[1],
        fn_a=counts[2],
        tp_a=counts[3],
        tn_d=counts[4],
        fp_d=counts[5],
        fn_d=counts[6],
        tp_d=counts[7],
    )


def _difference(first: float, second: float, *, integer_zero: bool) -> float:
    # smclarify: two +inf operands give 0 (an int 0 for DCA and DCR).
    if first == second == np.inf:
        return 0 if integer_zero else 0.0
    return first - second


def _aligned_label_distributions(
    facet_mask: BoolArray, y_true: BoolArray
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    counts = _group_counts(facet_mask, y_true)
    neg_a, neg_d = counts.n_a - counts.pos_a, counts.n_d - counts.pos_d
    p_a = np.array([neg_a, counts.pos_a], dtype=np.float64) / max(counts.n_a, 1)
    p_d = np.array([neg_d, counts.pos_d], dtype=np.float64) / max(counts.n_d, 1)

    # Keep the outcomes with non-zero probability in both groups.
    keep = (p_a > 0) & (p_d > 0)
    if not keep.any():
        raise BiasMetricError(NO_COMMON_OUTCOME)
    return p_a[keep], p_d[keep]


def _sorted_codes(group: npt.ArrayLike) -> npt.NDArray[np.intp]:
    values = group.to_numpy() if isinstance(group, pd.Series) else np.asarray(group)
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp)


def _safe_ratio(
    numerator: npt.NDArray[Any], denominator: npt.NDArray[Any]
) -> npt.NDArray[np.float64]:
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out
