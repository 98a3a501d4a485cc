"""Registry-wide invariants of the bias metrics, checked with hypothesis."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.bias.errors import BiasMetricError
from openclarify.bias.metrics import METRICS, REGISTRY

# Metrics of the form "advantaged minus sensitive" (or the reverse): swapping
# the groups negates them.
ANTISYMMETRIC = (
    "CI",
    "DPL",
    "DPPL",
    "DCA",
    "DCR",
    "RD",
    "SD",
    "DAR",
    "DRR",
    "AD",
    "TE",
)
# Distances between the groups' label distributions: swapping changes nothing.
SYMMETRIC = ("JS", "LP", "TVD", "KS", "GE")
RANGES = {
    "CI": (-1.0, 1.0),
    "DPL": (-1.0, 1.0),
    "DPPL": (-1.0, 1.0),
    "RD": (-1.0, 1.0),
    "SD": (-1.0, 1.0),
    "DAR": (-1.0, 1.0),
    "DRR": (-1.0, 1.0),
    "AD": (-1.0, 1.0),
    "CDDL": (-1.0, 1.0),
    "CDDPL": (-1.0, 1.0),
    "FT": (-1.0, 1.0),
    "JS": (0.0, math.log(2)),
    "LP": (0.0, math.sqrt(2)),
    "TVD": (0.0, 1.0),
    "KS": (0.0, 1.0),
    "DI": (0.0, math.inf),
    "GE": (0.0, math.inf),
}
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, Any]:
    """Draw boolean groups, labels, predictions, groups and features."""
    n = draw(st.integers(min_value=2, max_value=40))
    bools = st.lists(st.booleans(), min_size=n, max_size=n)
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    return {
        "facet_mask": np.array(draw(bools)),
        "y_true": np.array(draw(bools)),
        "y_pred": np.array(draw(bools)),
        "group": np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))),
        # Continuous features: no neighbour ties, so FT is order-free too.
        "features": rng.normal(size=(n, 3)),
    }


def _value(code: str, data: dict[str, Any]) -> float | None:
    metric = METRICS[code]
    try:
        return metric.function(*(data[name] for name in metric.arguments))
    except BiasMetricError:
        return None


def _same(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return first is second
    if math.isinf(first) or math.isinf(second):
        return first == second
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-12)


@SETTINGS
@given(datasets())
def test_swapping_groups_negates_difference_metrics(data: dict[str, Any]) -> None:
    """Check that swapping facet and complement flips difference metrics' sign."""
    swapped = {**data, "facet_mask": ~data["facet_mask"]}
    for code in ANTISYMMETRIC:
        original, flipped = _value(code, data), _value(code, swapped)
        if original is None or flipped is None:
            assert (original is None) == (flipped is None), code
            continue
        assert _same(flipped, -original), code


@SETTINGS
@given(datasets())
def test_swapping_groups_keeps_symmetric_metrics(data: dict[str, Any]) -> None:
    """Check that distances and GE do not change when the groups are swapped."""
    swapped = {**data, "facet_mask": ~data["facet_mask"]}
    for code in SYMMETRIC:
        assert _same(_value(code, data), _value(code, swapped)), code


@SETTINGS
@given(datasets(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data: dict[str, Any], random: Any) -> None:
    """Check that permuting the rows leaves every registered metric unchanged."""
    order = list(range(data["facet_mask"].shape[0]))
    random.shuffle(order)
    permuted = {key: value[order] for key, value in data.items()}
    for metric in REGISTRY:
        assert _same(_value(metric.code, data), _value(metric.code, permuted)), (
            metric.code
        )


@SETTINGS
@given(datasets())
def test_values_stay_in_documented_ranges(data: dict[str, Any]) -> None:
    """Check that each metric with a documented range stays inside it."""
    for code, (low, high) in RANGES.items():
        value = _value(code, data)
        if value is not None:
            assert low - 1e-12 <= value <= high + 1e-12, (code, value)


@pytest.mark.parametrize("metric", REGISTRY, ids=lambda metric: metric.code)
def test_every_metric_has_a_documented_formula(metric: Any) -> None:
    """Check that each registered function documents range and zero division."""
    doc = metric.function.__doc__ or ""
    assert "Returns" in doc and "Raises" in doc
    assert "=" in doc.split("Parameters")[0]
