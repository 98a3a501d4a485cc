"""Tests of the Kernel SHAP solver against brute-force Shapley values and shap."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xgboost

from openclarify.errors import AnalysisError, ModelClientError
from openclarify.explain.coalitions import coalition_design
from openclarify.explain.kernel_shap import aggregate, kernel_shap, max_block_rows

# shap warns when its own sampled design is rank-deficient; not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Linear regression equation:UserWarning")

N_FEATURES = 14
EXACT = 2**N_FEATURES - 2


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-15, 1 - 1e-15)
    return np.log(p / (1 - p))


def brute_force_shapley(rows, baseline, predict, *, players=None, use_logit=False):
    """Exact Shapley values by enumerating every subset of the players."""
    n_rows, n_features = rows.shape
    players = list(range(n_features)) if players is None else list(players)
    m = len(players)

    # value of every subset (bit i of the code = player i present), every row
    codes = np.arange(2**m)
    present = ((codes[:, None] >> np.arange(m)) & 1).astype(bool)
    values = []
    for x in rows:
        synthetic = np.repeat(baseline[None, :, :], len(codes), axis=0)
        others = [j for j in range(n_features) if j not in players]
        synthetic[:, :, others] = x[others]
        for i, j in enumerate(players):
            synthetic[present[:, i], :, j] = x[j]
        scores = predict(synthetic.reshape(-1, n_features))
        scores = np.asarray(scores, dtype=np.float64).reshape(
            len(codes), len(baseline), -1
        )
        mean = scores.mean(axis=1)
        values.append(_logit(mean) if use_logit else mean)
    values = np.stack(values)  # (n_rows, 2**m, n_out)

    # phi_i = sum over S without i of |S|! (m - |S| - 1)! / m! * (v(S + i) - v(S))
    sizes = present.sum(axis=1)
    weight = np.array(
        [
            math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m)
            if s < m
            else 0.0
            for s in sizes
        ]
    )
    phi = np.zeros((n_rows, m, values.shape[2]))
    for i in range(m):
        without = ~present[:, i]
        gain = values[:, codes[without] | (1 << i)] - values[:, codes[without]]
        phi[:, i] = np.einsum("c,rco->ro", weight[without], gain)
    return phi


@pytest.fixture(scope="module")
def predict(adult_booster):
    return lambda matrix: adult_booster.inplace_predict(matrix)


@pytest.fixture(scope="module")
def exact_values(adult_rows, mean_row, predict):
    return brute_force_shapley(adult_rows, mean_row, predict)


def test_full_enumeration_equals_brute_force_shapley(
    adult_rows, mean_row, predict, exact_values
):
    """Check that n_samples = 2**14 - 2 gives the exact Shapley values."""
    design = coalition_design(N_FEATURES, EXACT, seed=0)
    result = kernel_shap(adult_rows, mean_row, predict, design=design)
    np.testing.assert_allclose(result.values, exact_values, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.expected_value, predict(mean_row), rtol=1e-12)


def test_full_enumeration_in_logit_space_with_several_baseline_rows(
    adult_rows, adult_train, predict
):
    """Check that use_logit is exact with the link applied after the mean."""
    baseline = adult_train[:3]
    design = coalition_design(N_FEATURES, EXACT, seed=0)
    result = kernel_shap(
        adult_rows[:8], baseline, predict, design=design, use_logit=True
    )
    expected = brute_force_shapley(adult_rows[:8], baseline, predict, use_logit=True)
    np.testing.assert_allclose(result.values, expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(
        result.expected_value,
        _logit(predict(baseline).astype(np.float64).mean(keepdims=True)),
        rtol=1e-12,
    )


@pytest.mark.parametrize("use_logit", [False, True])
@pytest.mark.parametrize("n_samples", [15, 64, 500, 2076, EXACT])
def test_attributions_add_up_to_the_model_output(
    adult_rows, mean_row, predict, n_samples, use_logit
):
    """Check that sum(phi) + expected_value equals the linked model output."""
    design = coalition_design(N_FEATURES, n_samples, seed=7)
    result = kernel_shap(
        adult_rows, mean_row, predict, design=design, use_logit=use_logit
    )
    scores = predict(adult_rows)[:, None]
    linked = _logit(scores) if use_logit else scores
    np.testing.assert_allclose(result.model_output, linked, rtol=1e-12)
    total = result.values.sum(axis=1) + result.expected_value
    np.testing.assert_allclose(total, linked, atol=1e-6, rtol=0)


def _mean_error(rows, baseline, predict, exact, n_samples, seeds):
    errors = []
    for seed in seeds:
        design = coalition_design(N_FEATURES, n_samples, seed=seed)
        values = kernel_shap(rows, baseline, predict, design=design).values
        errors.append(np.abs(values - exact).mean())
    return float(np.mean(errors))


def test_error_shrinks_as_the_budget_grows(adult_rows, mean_row, predict, exact_values):
    """Check that the error against exact values falls with n_samples."""
    budgets = [15, 64, 500, 2076, EXACT]
    errors = [
        _mean_error(adult_rows, mean_row, predict, exact_values, n, range(3))
        for n in budgets
    ]
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False))
    assert errors[-1] < 1e-9


@pytest.mark.parametrize("n_samples", [15, 64, 500, 2076])
def test_error_is_no_worse_than_shap_kernel_explainer(
    adult_rows, mean_row, predict, exact_values, n_samples, shap_module
):
    """Check that our mean error is at most shap's at the same n_samples."""
    seeds = range(3)
    ours = _mean_error(adult_rows, mean_row, predict, exact_values, n_samples, seeds)

    explainer = shap_module.KernelExplainer(predict, mean_row)
    theirs = []
    for seed in seeds:
        np.random.seed(seed)
        values = explainer.shap_values(
            adult_rows, nsamples=n_samples, l1_reg=False, silent=True
        )
        values = np.asarray(values).reshape(exact_values.shape)
        theirs.append(np.abs(values - exact_values).mean())
    assert ours <= float(np.mean(theirs))


def test_same_seed_gives_the_same_values_whatever_the_block_size(
    adult_rows, mean_row, predict
):
    """Check that splitting rows into blocks does not change the values."""
    design = coalition_design(N_FEATURES, 128, seed=11)
    whole = kernel_shap(adult_rows, mean_row, predict, design=design).values
    for sizes in ([7, 13], [1] * 20, [5, 5, 10]):
        edges = np.cumsum([0, *sizes])
        parts = [
            kernel_shap(
                adult_rows[a:b],
                mean_row,
                predict,
                design=coalition_design(N_FEATURES, 128, seed=11),
            ).values
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
        np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-12, rtol=0)


@pytest.fixture(scope="module")
def softprob_booster():
    from openclarify.demo.adult import FEATURES, load_adult_frame

    frame = load_adult_frame("train").iloc[:3000]
    label = frame["Target"] + frame["Sex"]
    matrix = xgboost.DMatrix(frame.loc[:, list(FEATURES)].to_numpy(float), label=label)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3}
    return xgboost.train(params, matrix, num_boost_round=10)


def test_multi_output_models_are_explained_per_output(
    adult_rows, mean_row, softprob_booster
):
    """Check that each softprob column gets its own exact Shapley values."""

    def predict(matrix):
        return softprob_booster.inplace_predict(matrix)

    design = coalition_design(N_FEATURES, EXACT, seed=0)
    rows = adult_rows[:6]
    result = kernel_shap(rows, mean_row, predict, design=design)
    assert result.values.shape == (6, N_FEATURES, 3)
    expected = brute_force_shapley(rows, mean_row, predict)
    np.testing.assert_allclose(result.values, expected, atol=1e-6, rtol=0)

    sampled = coalition_design(N_FEATURES, 64, seed=2)
    together = kernel_shap(rows, mean_row, predict, design=sampled).values
    for output in range(3):
        alone = kernel_shap(
            rows, mean_row, lambda m, o=output: predict(m)[:, o], design=sampled
        ).values
        np.testing.assert_allclose(together[:, :, output], alone[:, :, 0], atol=1e-12)


def test_features_to_explain_are_the_only_players(adult_rows, mean_row, predict):
    """Check that only explained features are players, the rest keep the row."""
    explain = [0, 3, 5, 10, 12]
    design = coalition_design(len(explain), 2**5 - 2, seed=0)
    result = kernel_shap(adult_rows, mean_row, predict, design=design, explain=explain)
    expected = brute_force_shapley(adult_rows, mean_row, predict, players=explain)
    assert result.values.shape == (20, 5, 1)
    np.testing.assert_allclose(result.values, expected, atol=1e-6, rtol=0)

    # The empty coalition keeps the unexplained features of the row.
    empty = np.repeat(adult_rows, 1, axis=0)
    empty[:, explain] = mean_row[0, explain]
    np.testing.assert_allclose(result.base_values[:, 0], predict(empty), rtol=1e-12)
    total = result.values.sum(axis=1) + result.base_values
    np.testing.assert_allclose(total, result.model_output, atol=1e-9)
    np.testing.assert_allclose(result.expected_value, predict(mean_row), rtol=1e-12)


def test_model_is_called_once_with_every_synthetic_row(
    adult_rows, adult_train, predict
):
    """Check that one predict call carries synthetic, explained and baseline rows."""
    calls = []

    def counting(matrix):
        calls.append(matrix.copy())
        return predict(matrix)

    baseline = adult_train[:2]
    design = coalition_design(N_FEATURES, 15, seed=0)
    kernel_shap(adult_rows, baseline, counting, design=design)
    assert len(calls) == 1
    batch = calls[0]
    n_synth = 20 * 15 * 2
    assert len(batch) == n_synth + 20 + 2
    np.testing.assert_array_equal(batch[n_synth : n_synth + 20], adult_rows)
    np.testing.assert_array_equal(batch[n_synth + 20 :], baseline)

    # Row 3, coalition 4, baseline row 1, built by hand.
    mask = design.masks[4]
    expected = np.where(mask, adult_rows[3], baseline[1])
    np.testing.assert_array_equal(batch[(3 * 15 + 4) * 2 + 1], expected)


def test_aggregate_matches_plain_loops():
    """Check that the three aggregations match per-cell Python loops."""
    values = np.random.default_rng(0).normal(size=(9, 4, 2))
    for method, reduce in [
        ("mean_abs", lambda cell: sum(abs(v) for v in cell) / len(cell)),
        ("mean_sq", lambda cell: sum(v * v for v in cell) / len(cell)),
        ("median", lambda cell: sorted(cell)[len(cell) // 2]),
    ]:
        got = aggregate(values, method)
        for j in range(4):
            for o in range(2):
                assert got[j, o] == pytest.approx(reduce(list(values[:, j, o])))
    with pytest.raises(AnalysisError, match="agg_method 'mean'"):
        aggregate(values, "mean")  # type: ignore[arg-type]


def test_mismatched_inputs_are_rejected(adult_rows, mean_row, predict):
    """Check that wrong design, baseline and score shapes raise errors."""
    design = coalition_design(N_FEATURES, 15, seed=0)
    with pytest.raises(AnalysisError, match="design has 14 players but 3"):
        kernel_shap(adult_rows, mean_row, predict, design=design, explain=[0, 1, 2])
    with pytest.raises(AnalysisError, match="baseline has 13 columns"):
        kernel_shap(adult_rows, mean_row[:, :13], predict, design=design)
    with pytest.raises(AnalysisError, match="index \\[0, 0\\]"):
        kernel_shap(adult_rows, mean_row, predict, design=design, explain=[0, 0])
    with pytest.raises(
        ModelClientError, match="scores of shape \\(5, 1\\) for 321 rows"
    ):
        kernel_shap(adult_rows, mean_row, lambda m: np.zeros(5), design=design)


@pytest.mark.parametrize("explain", [None, [1, 4, 7]])
@pytest.mark.parametrize(("n_samples", "n_baseline"), [(15, 1), (2076, 3), (6, 10)])
def test_max_block_rows_keeps_the_model_batch_within_budget(
    adult_rows, adult_train, n_samples, n_baseline, explain
):
    """Check that a block of max_block_rows rows fits the budget and one more not."""
    n_players = N_FEATURES if explain is None else len(explain)
    design = coalition_design(n_players, n_samples, seed=0)
    budget = 50_000
    limit = max_block_rows(
        design, n_baseline, max_model_rows=budget, partial=explain is not None
    )
    sizes = []
    for n_rows in (limit, limit + 1):
        rows = np.resize(adult_rows, (n_rows, N_FEATURES))
        kernel_shap(
            rows,
            adult_train[:n_baseline],
            lambda m: sizes.append(len(m)) or np.zeros(len(m)),
            design=design,
            explain=explain,
        )
    assert sizes[0] <= budget < sizes[1]


def test_text_categories_are_mixed_into_synthetic_rows():
    """Check that object columns (text categories) are explained exactly too."""
    effect = {"red": 2.0, "green": -1.0, "blue": 0.5}

    def predict(matrix):
        colour = np.array([effect[c] for c in matrix[:, 1]])
        numbers = matrix[:, [0, 2]].astype(np.float64)
        return colour * numbers[:, 0] + numbers[:, 1] ** 2

    rows = np.array([[1.0, "red", 3.0], [-2.0, "blue", 0.5]], dtype=object)
    baseline = np.array([[0.5, "green", 1.0], [2.0, "red", -1.0]], dtype=object)
    design = coalition_design(3, 6, seed=0)
    result = kernel_shap(rows, baseline, predict, design=design)
    expected = brute_force_shapley(rows, baseline, predict)
    np.testing.assert_allclose(result.values, expected, atol=1e-12)


def test_an_empty_block_gives_empty_values(mean_row, predict):
    """Check that a block without rows returns empty arrays and the expected value."""
    design = coalition_design(N_FEATURES, 15, seed=0)
    result = kernel_shap(np.empty((0, N_FEATURES)), mean_row, predict, design=design)
    assert result.values.shape == (0, N_FEATURES, 1)
    np.testing.assert_allclose(result.expected_value, predict(mean_row), rtol=1e-12)
