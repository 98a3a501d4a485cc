"""Benchmark: our Kernel SHAP against shap's KernelExplainer and bare model calls.

The walk-through's XGBoost model (800 rounds) explains Adult test rows against
a one-row mean baseline, in process (``predict = Booster.inplace_predict``),
at n_samples 15, 128 and 2076. For each budget it prints:

- our throughput and shap's (explained rows per second) and their ratio;
- our total time (design, synthetic rows, model call, solve) divided by the
  time of one bare ``inplace_predict`` on the same synthetic rows, which the
  explanation cannot avoid;
- the share of our time spent outside the model call (noise-free, as it is
  measured inside the same run).

shap is much slower, so it runs on fewer rows; throughputs are compared.
The trained model is cached under the system's temporary directory.

Run: ``.venv/bin/python bench/kernel_shap.py [--quick]``
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xgboost

from openclarify.demo.adult import (
    FEATURES,
    NUM_ROUND,
    load_adult_frame,
    train_adult_model,
)
from openclarify.explain import coalition_design, kernel_shap

logger = logging.getLogger(__name__)

# (n_samples, rows for us, rows for shap)
CASES = ((15, 2000, 200), (128, 2000, 50), (2076, 200, 10))
QUICK_CASES = ((15, 500, 50), (128, 500, 20), (2076, 50, 4))
REPEATS = 5


def main() -> None:
    """Run every case and print one line of figures per n_samples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows")
    args = parser.parse_args()

    booster = _cached_model()
    train = load_adult_frame("train").loc[:, list(FEATURES)].to_numpy(np.float64)
    test = load_adult_frame("test").loc[:, list(FEATURES)].to_numpy(np.float64)
    baseline = train.mean(axis=0, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

    print(f"model: {NUM_ROUND} rounds; baseline: 1 mean row; M = {len(FEATURES)}")
    header = (
        f"{'n_samples':>9} {'rows':>5} {'shap rows':>9} {'ours rows/s':>12} "
        f"{'shap rows/s':>12} {'ours/shap':>10} {'ours/bare':>10} {'non-model':>10}"
    )
    print(header)
    for n_samples, n_ours, n_shap in QUICK_CASES if args.quick else CASES:
        rows = test[:n_ours]
        design_start = time.perf_counter()
        design = coalition_design(len(FEATURES), n_samples, seed=0)
        design_time = time.perf_counter() - design_start

        # The bare model call gets the very synthetic rows the explanation
        # sends (built here with plain numpy), plus the explained and baseline
        # rows; timings alternate and the best of REPEATS is kept, because
        # the machine is shared.
        masks = design.masks[None, :, :]
        synthetic = np.where(masks, rows[:, None, :], baseline[0])
        synthetic = np.concatenate(
            [synthetic.reshape(-1, rows.shape[1]), rows, baseline]
        )
        ours_times, bare_times, outside = [], [], []
        for _ in range(REPEATS):
            in_model: list[float] = []

            def predict(matrix: np.ndarray, in_model: list[float] = in_model):
                start = time.perf_counter()
                scores = booster.inplace_predict(matrix)
                in_model.append(time.perf_counter() - start)
                return scores

            total = _timed(
                lambda rows=rows, design=design, predict=predict: kernel_shap(
                    rows, baseline, predict, design=design
                )
            )
            ours_times.append(total)
            outside.append(total - sum(in_model))
            bare_times.append(
                _timed(lambda synthetic=synthetic: booster.inplace_predict(synthetic))
            )
        ours = design_time + min(ours_times)
        bare = min(bare_times)
        overhead = design_time + min(outside)

        # One warm-up row first: shap's first call pays one-off costs.
        explainer = shap.KernelExplainer(booster.inplace_predict, baseline)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            options = {"nsamples": n_samples, "l1_reg": False, "silent": True}
            explainer.shap_values(test[n_ours : n_ours + 1], **options)
            start = time.perf_counter()
            explainer.shap_values(test[:n_shap], **options)
            theirs = time.perf_counter() - start

        ours_rate = len(rows) / ours
        shap_rate = n_shap / theirs
        print(
            f"{n_samples:>9} {len(rows):>5} {n_shap:>9} {ours_rate:>12.1f} "
            f"{shap_rate:>12.1f} {ours_rate / shap_rate:>10.1f} {ours / bare:>10.2f} "
            f"{overhead / ours:>10.1%}"
        )


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _cached_model() -> xgboost.Booster:
    path = Path(tempfile.gettempdir()) / "openclarify-bench" / "adult-800.ubj"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"training the {NUM_ROUND}-round model (cached at {path}) ...")
        train_adult_model(load_adult_frame("train")).save_model(path)
    booster = xgboost.Booster()
    booster.load_model(path)
    return booster


if __name__ == "__main__":
    main()
