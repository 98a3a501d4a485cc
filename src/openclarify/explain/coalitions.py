"""Coalition designs for Kernel SHAP: which feature subsets to evaluate, and weights.

A coalition is a subset of the M players (features), written as a boolean row
of length M: ``True`` where the feature is taken from the explained row,
``False`` where it comes from a baseline row. The empty and the full coalition
are never part of a design; the solver ties them in through its efficiency
constraint instead.

The Shapley kernel gives a coalition of size ``s`` the weight

    k(s) = (M - 1) / (C(M, s) * s * (M - s)),

so the sizes ``s`` and ``M - s`` together carry a share proportional to
``(M - 1) / (s * (M - s))``. A design of ``n_samples`` coalitions is built
size group by size group, starting at both ends (sizes 1 and M - 1, then 2 and
M - 2, ...). A group is enumerated whole while the budget left covers its
share; what remains of the budget is spent on the other groups by sampling.
When the budget reaches ``2**M - 2`` every coalition is enumerated, and the
solver then returns the exact Shapley values.

The design depends only on ``(n_features, n_samples, seed)``, so a whole job
builds it once and every block of rows, on any worker, uses the same one.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np

from openclarify.errors import AnalysisError

logger = logging.getLogger(__name__)

# Coalitions beyond this many are never built: 2**24 rows of masks is already
# a few hundred megabytes for tens of features.
MAX_COALITIONS = 2**24

# Up to this many subsets of one size (or when the draw takes a quarter of
# them or more) they are listed and drawn without replacement; otherwise
# random subsets are drawn and duplicates rejected.
_ENUMERATE_LIMIT = 20_000

_BAD_FEATURES = (
    "n_features must be a positive integer; got {value!r}. "
    "Pass the number of features being explained."
)
_BAD_SAMPLES = (
    "num_samples must be a positive integer; got {value!r}. "
    "Set methods.shap.num_samples to 1 or more, or leave it out."
)
_TOO_MANY = (
    "n_samples {value} exceeds the limit of {limit} coalitions per design. "
    "Lower methods.shap.num_samples."
)


@dataclass(frozen=True, eq=False)
class CoalitionDesign:
    """The coalitions Kernel SHAP evaluates for every explained row, and weights.

    Build it with :func:`coalition_design`; it holds no per-row state and is
    shared by every block of a job.

    Attributes
    ----------
    masks : ndarray of shape (n_coalitions, n_features), dtype bool
        One coalition per row: ``True`` where the feature comes from the
        explained row.
    weights : ndarray of shape (n_coalitions,)
        Kernel weight of each coalition, on the scale where an enumerated
        coalition of size ``s`` has ``(M - 1) / (C(M, s) * s * (M - s))``.
    projection : ndarray of shape (n_features - 1, n_coalitions)
        The weighted least-squares solution operator of the constrained
        regression (last feature eliminated); see
        :func:`openclarify.explain.kernel_shap.kernel_shap`.
    exact : bool
        Whether every coalition is enumerated, so the values are the exact
        Shapley values.
    seed : int or None
        The seed the sampled part was drawn with.
    """

    masks: np.ndarray
    weights: np.ndarray
    projection: np.ndarray
    exact: bool
    seed: int | None

    @property
    def n_features(self) -> int:
        """Number of players M."""
        return int(self.masks.shape[1])

    @property
    def n_coalitions(self) -> int:
        """Number of coalitions evaluated per explained row."""
        return int(self.masks.shape[0])


def resolve_n_samples(n_features: int, num_samples: int | None) -> int:
    """Return the number of coalitions to evaluate per explained row.

    Parameters
    ----------
    n_features : int
        Number of players M.
    num_samples : int or None
        ``methods.shap.num_samples``; ``None`` when the key was absent.

    Returns
    -------
    int
        ``min(num_samples, 2**M - 2)``, or ``min(2 * M + 2048, 2**M - 2)``
        when ``num_samples`` is None (0 for a single feature, which needs no
        coalition).

    Raises
    ------
    AnalysisError
        If ``n_features`` or ``num_samples`` is not a positive integer.
    """
    _check_positive(n_features, _BAD_FEATURES)
    if num_samples is None:
        num_samples = 2 * n_features + 2048
    _check_positive(num_samples, _BAD_SAMPLES)
    return min(num_samples, _n_proper(n_features))


def coalition_design(
    n_features: int, n_samples: int, *, seed: int | None
) -> CoalitionDesign:
    """Build the coalition design for M features and a budget of coalitions.

    Parameters
    ----------
    n_features : int
        Number of players M (the features being explained).
    n_samples : int
        Budget of coalitions, normally from :func:`resolve_n_samples`. A budget
        of ``2**M - 2`` or more enumerates every coalition. Ignored when M is
        1: the design is then empty.
    seed : int or None
        Seed of ``numpy.random.default_rng`` for the sampled part; ``None``
        draws fresh entropy (results then differ between runs).

    Returns
    -------
    CoalitionDesign

    Raises
    ------
    AnalysisError
        If an argument is not a positive integer or the budget exceeds
        :data:`MAX_COALITIONS`.

    Notes
    -----
    Size groups ``{s, M - s}`` (``s = 1 .. M // 2``) are visited in order. A
    group is enumerated when the budget left, times the group's share of the
    kernel weight still unassigned, covers all its coalitions (the rule of
    shap's ``KernelExplainer``). The budget left is then split between the
    remaining groups in proportion to their kernel weight (largest
    remainders), and each group draws its coalitions without replacement, in
    complementary pairs (a subset and its complement), plus one single
    coalition when its count is odd. The kernel is the same for sizes ``s``
    and ``M - s``, so each coalition drawn from a group gets the group's total
    kernel weight divided by the number drawn from it: the sampled part
    carries exactly the weight of the groups it stands for. Fixing the count
    per group, instead of drawing sizes at random, removes one source of
    variance.
    """
    _check_positive(n_features, _BAD_FEATURES)
    m = n_features
    total = _n_proper(m)
    if m > 1:
        _check_positive(n_samples, _BAD_SAMPLES)
    n_samples = min(n_samples, total)
    if n_samples > MAX_COALITIONS:
        raise AnalysisError(_TOO_MANY.format(value=n_samples, limit=MAX_COALITIONS))

    if n_samples == total:
        masks = _all_coalitions(m)
        sizes = masks.sum(axis=1)
        weights = np.array([_kernel(m, int(s)) for s in range(m + 1)])[sizes]
        exact = True
    else:
        masks, weights = _mixed_design(m, n_samples, np.random.default_rng(seed))
        exact = False

    logger.debug(
        "coalition design: M=%d, %d coalitions, exact=%s", m, len(masks), exact
    )
    return CoalitionDesign(
        masks=masks,
        weights=weights,
        projection=_projection(masks, weights),
        exact=exact,
        seed=seed,
    )


def _check_positive(value: object, template: str) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or int(value) < 1
    ):
        raise AnalysisError(template.format(value=value))


def _n_proper(m: int) -> int:
    return 2**m - 2


def _kernel(m: int, size: int) -> float:
    if size in (0, m):
        return 0.0
    return (m - 1) / (math.comb(m, size) * size * (m - size))


def _all_coalitions(m: int) -> np.ndarray:
    # Every integer 1 .. 2**M - 2 read as a bit pattern.
    codes = np.arange(1, 2**m - 1, dtype=np.int64)
    return ((codes[:, None] >> np.arange(m, dtype=np.int64)) & 1).astype(bool)


def _groups(m: int) -> list[tuple[int, bool]]:
    # (smaller size, paired?) for each size group {s, M - s}.
    return [(s, s != m - s) for s in range(1, m // 2 + 1)]


def _group_weight(m: int, size: int, paired: bool) -> float:
    return (2.0 if paired else 1.0) * (m - 1) / (size * (m - size))


def _mixed_design(
    m: int, n_samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    groups = _groups(m)
    shares = np.array([_group_weight(m, s, p) for s, p in groups])
    shares /= shares.sum()

    # Enumerate whole groups from both ends while the budget covers them.
    parts: list[np.ndarray] = []
    part_weights: list[np.ndarray] = []
    left, unassigned, first_sampled = n_samples, 1.0, len(groups)
    for index, (size, paired) in enumerate(groups):
        count = math.comb(m, size) * (2 if paired else 1)
        if left * shares[index] / unassigned < count * (1.0 - 1e-8):
            first_sampled = index
            break
        block = _subsets_of_size(m, size)
        if paired:
            block = np.concatenate([block, ~block])
        parts.append(block)
        part_weights.append(np.full(len(block), _kernel(m, size)))
        left -= count
        unassigned -= shares[index]

    if left > 0 and first_sampled < len(groups):
        masks, weights = _sampled_part(m, groups[first_sampled:], left, rng)
        parts.append(masks)
        part_weights.append(weights)
    return np.concatenate(parts), np.concatenate(part_weights)


def _sampled_part(
    m: int, groups: list[tuple[int, bool]], budget: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    group_weights = np.array([_group_weight(m, s, p) for s, p in groups])
    capacity = np.array(
        [min(math.comb(m, s) * (2 if p else 1), budget) for s, p in groups],
        dtype=np.int64,
    )
    counts = _allocate(budget, group_weights, capacity)

    masks: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    drawn_weight = 0.0
    for (size, paired), count in zip(groups, counts, strict=True):
        if count == 0:
            continue
        drawn_weight += _group_weight(m, size, paired)

        # Sizes s and M - s share one kernel value, so the group's weight is
        # split evenly between the coalitions drawn of it.
        masks.append(_draw_group(m, size, paired, int(count), rng))
        weights.append(np.full(count, _group_weight(m, size, paired) / count))

    # Groups that drew nothing hand their weight to those that did.
    scale = group_weights.sum() / drawn_weight
    return np.concatenate(masks), np.concatenate(weights) * scale


def _allocate(budget: int, weights: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    # Largest-remainder split of the budget, capped by each group's size.
    counts = np.zeros(len(weights), dtype=np.int64)
    open_mask = np.ones(len(weights), dtype=bool)
    left = budget
    while left > 0 and open_mask.any():
        target = left * weights * open_mask / (weights * open_mask).sum()
        extra = np.floor(target).astype(np.int64)
        remainder = left - int(extra.sum())
        order = np.argsort(-(target - extra), kind="stable")
        extra[order[:remainder]] += 1
        extra = np.minimum(extra, capacity - counts)
        counts += extra
        left -= int(extra.sum())
        open_mask = counts < capacity
    return counts


def _draw_group(
    m: int, size: int, paired: bool, count: int, rng: np.random.Generator
) -> np.ndarray:
    # Draw in complementary pairs; an odd count adds one single coalition.
    n_pairs, single = divmod(count, 2)
    if paired:
        firsts = _draw_subsets(m, size, n_pairs + single, rng)
        pairs = np.concatenate([firsts[:n_pairs], ~firsts[:n_pairs]])
        if single:
            lone = firsts[n_pairs:]
            if rng.random() < 0.5:
                lone = ~lone
            pairs = np.concatenate([pairs, lone])
        return pairs

    # The middle size (M even): a subset and its complement have the same
    # size, so draw the member holding feature 0 and add its complement.
    rest = _draw_subsets(m - 1, size - 1, n_pairs + single, rng)
    firsts = np.concatenate([np.ones((len(rest), 1), dtype=bool), rest], axis=1)
    block = np.concatenate([firsts[:n_pairs], ~firsts[:n_pairs]])
    if single:
        lone = firsts[n_pairs:]
        if rng.random() < 0.5:
            lone = ~lone
        block = np.concatenate([block, lone])
    return block


def _draw_subsets(
    m: int, size: int, count: int, rng: np.random.Generator
) -> np.ndarray:
    # `count` distinct subsets of `size` out of `m`, as a (count, m) bool array.
    available = math.comb(m, size)
    if available <= _ENUMERATE_LIMIT or available < 4 * count:
        listed = _subsets_of_size(m, size)
        chosen = rng.choice(available, size=count, replace=False)
        return listed[np.sort(chosen)]

    found = np.zeros((0, m), dtype=bool)
    while len(found) < count:
        keys = rng.random((2 * (count - len(found)) + 8, m))
        ranks = np.argsort(keys, axis=1)[:, :size]
        fresh = np.zeros((len(ranks), m), dtype=bool)
        np.put_along_axis(fresh, ranks, True, axis=1)
        merged = np.concatenate([found, fresh])
        _, first = np.unique(np.packbits(merged, axis=1), axis=0, return_index=True)
        found = merged[np.sort(first)]
    return found[:count]


def _subsets_of_size(m: int, size: int) -> np.ndarray:
    combos = np.array(list(itertools.combinations(range(m), size)), dtype=np.int64)
    block = np.zeros((len(combos), m), dtype=bool)
    np.put_along_axis(block, combos.reshape(len(combos), size), True, axis=1)
    return block


def _projection(masks: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # With phi_M = delta - sum(phi_<M), the regression on the other M - 1
    # players has design X = z_<M - z_M; the operator (X'WX)^+ X'W maps the
    # adjusted values of every coalition to those M - 1 attributions.
    m = masks.shape[1]
    if m < 2 or len(masks) == 0:
        return np.zeros((max(m - 1, 0), len(masks)))
    z = masks.astype(np.float64)
    x = z[:, :-1] - z[:, -1:]
    root = np.sqrt(weights)
    return np.linalg.pinv(root[:, None] * x) * root[None, :]
