"""Tests of the coalition designs: counts, kernel weights, pairing, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openclarify.errors import AnalysisError
from openclarify.explain.coalitions import coalition_design, resolve_n_samples

# shap warns when its own sampled design is rank-deficient; not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Linear regression equation:UserWarning")


def _codes(masks: np.ndarray) -> list[int]:
    """Each coalition as an integer whose bit i is feature i."""
    packed = np.packbits(masks, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _shapley_kernel(m: int, size: int) -> float:
    return (m - 1) / (math.comb(m, size) * size * (m - size))


@pytest.mark.parametrize(
    ("n_features", "num_samples"),
    [(14, 15), (14, None), (3, 100), (3, None), (12, 4094), (20, None), (1, 5)],
)
def test_resolve_n_samples_follows_the_clarify_rule(n_features, num_samples):
    """Check that the budget is min(num_samples or 2M + 2048, 2**M - 2)."""
    wanted = 2 * n_features + 2048 if num_samples is None else num_samples
    expected = min(wanted, 2**n_features - 2)
    assert resolve_n_samples(n_features, num_samples) == expected


@pytest.mark.parametrize("n_features", [2, 3, 6, 9])
def test_full_budget_enumerates_every_coalition_with_kernel_weights(n_features):
    """Check that a budget of 2**M - 2 lists every proper coalition once."""
    total = 2**n_features - 2
    design = coalition_design(n_features, total, seed=0)
    assert design.exact
    codes = _codes(design.masks)
    assert sorted(codes) == list(range(1, total + 1))

    expected = [_shapley_kernel(n_features, bin(c).count("1")) for c in codes]
    np.testing.assert_allclose(design.weights, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("n_features", "n_samples"),
    [
        (14, 15),
        (14, 64),
        (14, 500),
        (14, 2076),
        (7, 50),
        (8, 100),
        (30, 2108),
        (200, 2448),
    ],
)
def test_design_has_the_budget_of_distinct_proper_coalitions(n_features, n_samples):
    """Check that a sampled design holds n_samples distinct proper coalitions."""
    design = coalition_design(n_features, n_samples, seed=3)
    sizes = design.masks.sum(axis=1)
    assert design.masks.shape == (n_samples, n_features)
    assert len(set(_codes(design.masks))) == n_samples
    assert sizes.min() >= 1 and sizes.max() <= n_features - 1
    assert (design.weights > 0).all()
    assert not design.exact


@pytest.mark.parametrize(
    ("n_features", "n_samples"),
    [(14, 15), (14, 128), (14, 2076), (9, 200), (10, 600)],
)
def test_sampled_coalitions_come_in_complementary_pairs(n_features, n_samples):
    """Check that all but at most one coalition per size group has its complement."""
    design = coalition_design(n_features, n_samples, seed=1)
    full = (1 << n_features) - 1
    present = set(_codes(design.masks))
    lonely = [c for c in present if full ^ c not in present]
    assert len(lonely) <= n_features // 2


@pytest.mark.parametrize(
    ("n_features", "n_samples"),
    [(14, 128), (14, 500), (14, 2076), (10, 300), (10, 700), (9, 100)],
)
def test_enumerated_sizes_and_weights_match_shap(n_features, n_samples, shap_module):
    """Check that the whole size groups and their weights are those of shap."""
    rng = np.random.default_rng(0)
    background = rng.normal(size=(1, n_features))
    row = rng.normal(size=(1, n_features))
    explainer = shap_module.KernelExplainer(lambda a: a.sum(axis=1), background)
    explainer.shap_values(row, nsamples=n_samples, l1_reg=False, silent=True)
    theirs_masks = explainer.maskMatrix.astype(bool)
    theirs_weights = explainer.kernelWeights / explainer.kernelWeights.sum()

    design = coalition_design(n_features, n_samples, seed=0)
    ours_weights = design.weights / design.weights.sum()

    # A size is enumerated when all C(M, s) coalitions of it are present.
    def complete(masks: np.ndarray) -> list[int]:
        counts = np.bincount(masks.sum(axis=1), minlength=n_features + 1)
        return [
            s for s in range(1, n_features) if counts[s] == math.comb(n_features, s)
        ]

    assert complete(design.masks) == complete(theirs_masks)
    enumerated = set(complete(theirs_masks))
    ours = dict(zip(_codes(design.masks), ours_weights, strict=True))
    for code, weight in zip(_codes(theirs_masks), theirs_weights, strict=True):
        if bin(code).count("1") in enumerated:
            assert ours[code] == pytest.approx(weight, rel=1e-9)


def test_same_seed_gives_the_same_design_and_other_seeds_differ():
    """Check that the sampled part depends only on the seed."""
    first = coalition_design(14, 128, seed=42)
    again = coalition_design(14, 128, seed=42)
    other = coalition_design(14, 128, seed=43)
    np.testing.assert_array_equal(first.masks, again.masks)
    np.testing.assert_array_equal(first.weights, again.weights)
    assert set(_codes(first.masks)) != set(_codes(other.masks))


def test_sampled_weight_equals_the_kernel_weight_of_the_groups_it_replaces():
    """Check that the design's total weight equals the whole kernel's."""
    n_features = 14
    design = coalition_design(n_features, 300, seed=0)
    whole = sum(
        math.comb(n_features, s) * _shapley_kernel(n_features, s)
        for s in range(1, n_features)
    )
    assert design.weights.sum() == pytest.approx(whole, rel=1e-12)


def test_single_feature_needs_no_coalition():
    """Check that one feature gives an empty design."""
    assert resolve_n_samples(1, None) == 0
    design = coalition_design(1, 0, seed=None)
    assert design.masks.shape == (0, 1)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 10), "n_features must be a positive integer; got 0"),
        ((3, 0), "num_samples must be a positive integer; got 0"),
        ((3, 2.5), "num_samples must be a positive integer; got 2.5"),
        ((True, 3), "n_features must be a positive integer; got True"),
    ],
)
def test_invalid_arguments_are_rejected(args, match):
    """Check that bad sizes raise AnalysisError naming the value."""
    with pytest.raises(AnalysisError, match=match):
        coalition_design(*args, seed=0)
