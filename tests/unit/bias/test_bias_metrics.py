"""Check each bias metric against a plain, row-by-row reimplementation."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from openclarify.bias import metrics as m
from openclarify.bias.errors import BiasMetricError


def _div(a: float, b: float) -> float:
    if b == 0:
        return 0.0 if a == 0 else math.copysign(math.inf, a)
    return a / b


def _counts(facet, y_true, y_pred=None):
    """Count rows per (group, label, prediction) with a Python loop."""
    table: dict[tuple[str, str], int] = {}
    for index, in_d in enumerate(facet):
        group = "d" if in_d else "a"
        t = bool(y_true[index])
        p = bool(y_pred[index]) if y_pred is not None else False
        cell = ("TP" if p else "FN") if t else ("FP" if p else "TN")
        for key in (
            (group, "n"),
            (group, cell),
            (group, "pos" if t else "neg"),
            (group, "ppos" if p else "pneg"),
        ):
            table[key] = table.get(key, 0) + 1
    return lambda g, k: table.get((g, k), 0)


def _plain_pre(facet, y_true) -> dict[str, float]:
    c = _counts(facet, y_true)
    pa = [c("a", "neg") / c("a", "n"), c("a", "pos") / c("a", "n")]
    pd_ = [c("d", "neg") / c("d", "n"), c("d", "pos") / c("d", "n")]
    pairs = [(x, y) for x, y in zip(pa, pd_, strict=True) if x > 0 and y > 0]
    kl = sum(x * math.log(x / y) for x, y in pairs)
    js = 0.5 * sum(
        x * math.log(x / ((x + y) / 2)) + y * math.log(y / ((x + y) / 2))
        for x, y in pairs
    )
    return {
        "CI": (c("a", "n") - c("d", "n")) / len(facet),
        "DPL": pa[1] - pd_[1],
        "KL": kl,
        "JS": js,
        "LP": math.sqrt(sum((x - y) ** 2 for x, y in pairs)),
        "TVD": 0.5 * sum(abs(x - y) for x, y in pairs),
        "KS": max(abs(x - y) for x, y in pairs),
    }


def _plain_post(facet, y_true, y_pred) -> dict[str, float]:
    c = _counts(facet, y_true, y_pred)

    def diff(first: float, second: float) -> float:
        return 0.0 if first == second == math.inf else first - second

    def q(g: str) -> float:
        return c(g, "ppos") / c(g, "n")

    def acc(g: str) -> float:
        return (c(g, "TP") + c(g, "TN")) / c(g, "n")

    return {
        "DPPL": q("a") - q("d"),
        "DI": _div(q("d"), q("a")),
        "DCA": diff(
            _div(c("a", "pos"), c("a", "ppos")), _div(c("d", "pos"), c("d", "ppos"))
        ),
        "DCR": diff(
            _div(c("d", "neg"), c("d", "pneg")), _div(c("a", "neg"), c("a", "pneg"))
        ),
        "RD": _div(c("a", "TP"), c("a", "pos")) - _div(c("d", "TP"), c("d", "pos")),
        "SD": _div(c("d", "TN"), c("d", "neg")) - _div(c("a", "TN"), c("a", "neg")),
        "DAR": _div(c("a", "TP"), c("a", "ppos")) - _div(c("d", "TP"), c("d", "ppos")),
        "DRR": _div(c("d", "TN"), c("d", "pneg")) - _div(c("a", "TN"), c("a", "pneg")),
        "AD": acc("a") - acc("d"),
        "TE": diff(_div(c("d", "FN"), c("d", "FP")), _div(c("a", "FN"), c("a", "FP"))),
    }


def _plain_cdd(facet, y, group) -> float:
    total, weighted = 0, 0.0
    for value in sorted(set(group)):
        rows = [i for i, g in enumerate(group) if g == value]
        pos = [i for i in rows if y[i]]
        neg = [i for i in rows if not y[i]]
        share_pos = sum(facet[i] for i in pos) / len(pos) if pos else 0.0
        share_neg = sum(facet[i] for i in neg) / len(neg) if neg else 0.0
        total += len(rows)
        weighted += len(rows) * (share_neg - share_pos)
    return weighted / total


def _plain_ge(y_true, y_pred) -> float:
    benefit = [int(p) - int(t) + 1 for t, p in zip(y_true, y_pred, strict=True)]
    mean = sum(benefit) / len(benefit)
    return sum((b / mean) ** 2 - 1 for b in benefit) / (2 * len(benefit))


def _data(seed: int, n: int = 80):
    rng = np.random.default_rng(seed)
    facet = rng.random(n) < rng.uniform(0.2, 0.8)
    y_true = rng.random(n) < rng.uniform(0.2, 0.8)
    y_pred = rng.random(n) < rng.uniform(0.2, 0.8)
    group = rng.integers(0, 4, n)
    return facet, y_true, y_pred, group


@pytest.mark.parametrize("seed", range(8))
def test_pre_training_metrics_match_plain_formulas(seed: int) -> None:
    """Check that CI, DPL, KL, JS, LP, TVD and KS equal the plain formulas."""
    facet, y_true, _, _ = _data(seed)
    expected = _plain_pre(facet, y_true)
    for code, value in expected.items():
        spec = m.METRICS[code]
        args = {"facet_mask": facet, "y_true": y_true}
        got = spec.function(*(args[name] for name in spec.arguments))
        assert got == pytest.approx(value, rel=1e-12, abs=1e-12), code


@pytest.mark.parametrize("seed", range(8))
def test_post_training_metrics_match_plain_formulas(seed: int) -> None:
    """Check that the confusion-based post-training metrics equal plain formulas."""
    facet, y_true, y_pred, _ = _data(seed)
    args = {"facet_mask": facet, "y_true": y_true, "y_pred": y_pred}
    for code, value in _plain_post(facet, y_true, y_pred).items():
        spec = m.METRICS[code]
        got = spec.function(*(args[name] for name in spec.arguments))
        assert got == pytest.approx(value, rel=1e-12, abs=1e-12), code


@pytest.mark.parametrize("seed", range(5))
def test_cdd_and_ge_match_plain_formulas(seed: int) -> None:
    """Check that CDDL, CDDPL and GE equal their plain definitions."""
    facet, y_true, y_pred, group = _data(seed)
    assert m.conditional_demographic_disparity(facet, y_true, group) == pytest.approx(
        _plain_cdd(facet, y_true, group), abs=1e-12
    )
    assert m.conditional_demographic_disparity(facet, y_pred, group) == pytest.approx(
        _plain_cdd(facet, y_pred, group), abs=1e-12
    )
    assert m.generalized_entropy(y_true, y_pred) == pytest.approx(
        _plain_ge(y_true, y_pred), abs=1e-12
    )


def test_cdd_ignores_rows_without_group_value() -> None:
    """Check that rows with a missing group value belong to no subgroup."""
    facet, y_true, _, group = _data(3)
    with_nan = group.astype(float)
    with_nan[:10] = np.nan
    expected = _plain_cdd(facet[10:], y_true[10:], list(group[10:]))
    assert m.conditional_demographic_disparity(facet, y_true, with_nan) == (
        pytest.approx(expected, abs=1e-12)
    )


def test_divide_rule() -> None:
    """Check that divide gives 0 for 0/0 and signed infinity for k/0."""
    assert m.divide(0, 0) == 0.0
    assert m.divide(3, 0) == math.inf
    assert m.divide(-3, 0) == -math.inf
    assert m.divide(3, 4) == 0.75


def test_kl_is_negative_when_a_group_lacks_an_outcome() -> None:
    """Check the smclarify alignment: KL keeps only outcomes seen in both groups."""
    facet = np.array([True] * 3 + [False] * 6)
    y_true = np.array([False] * 3 + [True] * 4 + [False] * 2)
    p_a, p_d = 2 / 6, 1.0  # negatives only are common to both groups
    assert m.kl_divergence(facet, y_true) == pytest.approx(p_a * math.log(p_a / p_d))
    assert m.kl_divergence(facet, y_true) < 0


EMPTY = np.zeros(6, dtype=bool)
FULL = np.ones(6, dtype=bool)
Y = np.array([True, False, True, False, True, True])


@pytest.mark.parametrize(
    ("function", "args", "message"),
    [
        (m.class_imbalance, (EMPTY,), "CI: facet set is empty. Check that x[facet]"),
        (m.class_imbalance, (FULL,), "CI: negated facet set is empty."),
        (m.difference_in_positive_proportions, (EMPTY, Y), "Facet set is empty."),
        (m.difference_in_positive_proportions, (FULL, Y), "Negative facet set"),
        (m.kl_divergence, (EMPTY, Y), m.NO_COMMON_OUTCOME),
        (m.disparate_impact, (FULL, Y), "Negated facet set is empty"),
        (m.difference_in_conditional_acceptance, (EMPTY, Y, Y), "DCO: Facet set"),
        (m.difference_in_rejection_rates, (FULL, Y, Y), "DLR: Negated Facet set"),
        (m.recall_difference, (EMPTY, Y, Y), "DLA: Facet set is empty"),
        (m.accuracy_difference, (FULL, Y, Y), "Negated Facet set is empty"),
        (m.treatment_equality, (EMPTY, Y, Y), "Facet set is empty"),
        (m.flip_test, (EMPTY, Y, None), "Facet set is empty"),
        (m.flip_test, (Y, Y, None), m.FT_NON_NUMERIC),
        (m.conditional_demographic_disparity, (Y, Y, None), m.NO_GROUP_VARIABLE),
        (m.conditional_demographic_disparity, (Y, FULL, [1] * 6), "No negative"),
        (m.conditional_demographic_disparity, (Y, EMPTY, [1] * 6), "No positive"),
        (m.generalized_entropy, (FULL, EMPTY), "All predicted labels are false"),
    ],
)
def test_undefined_metrics_raise_smclarify_texts(
    function: Callable[..., float], args: tuple, message: str
) -> None:
    """Check that an undefined metric raises BiasMetricError with Clarify's text."""
    with pytest.raises(BiasMetricError) as caught:
        function(*args)
    assert str(caught.value).startswith(message)


def test_infinities_and_both_infinite_rule() -> None:
    """Check that one-sided zero divisions give inf and two-sided ones give 0."""
    facet = np.array([True, True, False, False])
    y_true = np.array([True, False, True, False])
    never = np.zeros(4, dtype=bool)
    only_d = np.array([True, False, False, False])
    assert m.disparate_impact(facet, only_d) == math.inf
    assert m.disparate_impact(facet, never) == 0.0
    assert m.difference_in_conditional_acceptance(facet, y_true, never) == 0
    assert m.difference_in_conditional_acceptance(facet, y_true, only_d) == math.inf
    assert m.treatment_equality(facet, y_true, only_d) == -math.inf


def test_registry_is_complete_and_ordered() -> None:
    """Check the registry codes per stage and the contract's descriptions."""
    pre = [metric.code for metric in m.metrics_for_stage("pre_training")]
    post = [metric.code for metric in m.metrics_for_stage("post_training")]
    assert pre == ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"]
    assert sorted(post) == sorted(
        ["DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "CDDPL", "TE", "FT"]
        + ["SD", "GE"]
    )
    assert m.METRICS["KL"].description == "Kullback-Liebler Divergence (KL)"
    for metric in m.REGISTRY:
        assert metric.description.endswith(f"({metric.code})")
