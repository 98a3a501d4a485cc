"""Benchmark: openclarify's bias metrics against smclarify 0.5, side by side.

Usage::

    .venv/bin/python bench/bias.py [--rows 1000000] [--repeat 3] [--skip-smclarify]

Both tools get the same synthetic rows (written once to a ``.npz`` file).
smclarify runs in a child process under ``.golden-venv/bin/python`` (create
it with ``tests/golden/make_bias_golden.py``), so the two run in one process
tree. Each side runs ``--repeat`` times and its fastest run counts, after
the same libraries are imported. The script prints each time, the speed
ratios, whether the metric values agree, and our peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openclarify.bias import bias_section
from openclarify.config.model import FacetConfig

REPO = Path(__file__).resolve().parents[1]
GOLDEN_PYTHON = REPO / ".golden-venv" / "bin" / "python"
FACET = FacetConfig("sex", (0,))
CHILD = r"""
import json, logging, sys, time
import numpy as np, pandas as pd
from smclarify.bias import report
logging.disable(logging.CRITICAL)
arrays = np.load(sys.argv[1])
frame = pd.DataFrame({name: arrays[name] for name in arrays.files})
label = report.LabelColumn("label", frame["label"], [1])
out = {}
repeat = int(sys.argv[2])
for stage in (report.StageType.PRE_TRAINING, report.StageType.POST_TRAINING):
    predicted = None
    if stage is report.StageType.POST_TRAINING:
        predicted = report.LabelColumn("predicted", frame["predicted"])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = report.bias_report(
            frame, report.FacetColumn("sex", [0]), label, stage,
            predicted_label_column=predicted, metrics=["all"],
            group_variable=frame["age"],
        )
        times.append(time.perf_counter() - start)
    out[stage.value] = {
        "seconds": min(times),
        "metrics": {m["name"]: m["value"] for m in result[0]["metrics"]},
    }
print(json.dumps(out))
"""


def main() -> None:
    """Run the benchmark and print times, ratios and memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-smclarify", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per side; the fastest counts"
    )
    options = parser.parse_args()

    arrays = _synthetic(options.rows)
    frame = pd.DataFrame(arrays)
    # smclarify's child imports scikit-learn and scipy.spatial before its clock
    # starts (its report module does); ours does the same, for equal footing.
    import scipy.spatial  # noqa: F401
    import sklearn.neighbors  # noqa: F401

    ours = {
        stage: _time_ours(frame, stage, options.repeat)
        for stage in ("pre_training", "post_training")
    }
    peak = _peak_memory(frame)

    print(f"rows: {options.rows:,}; fastest of {options.repeat} run(s) per side")
    for stage, (seconds, _) in ours.items():
        print(f"openclarify {stage}: {seconds:.2f} s")
    print(
        f"openclarify peak traced memory (post-training call): {peak / 2**20:.0f} MiB"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"openclarify process max RSS: {rss:.0f} MiB")
    if options.skip_smclarify:
        return
    if not GOLDEN_PYTHON.exists():
        sys.exit("no .golden-venv: run tests/golden/make_bias_golden.py first")

    theirs = _run_smclarify(arrays, options.repeat)
    total_ours = total_theirs = 0.0
    for stage, (seconds, values) in ours.items():
        their = theirs[stage]
        total_ours += seconds
        total_theirs += their["seconds"]
        agree = _agree(values, their["metrics"])
        print(
            f"smclarify {stage}: {their['seconds']:.2f} s -> "
            f"speed-up x{their['seconds'] / seconds:.1f}; values agree: {agree}"
        )
    print(f"total speed-up x{total_theirs / total_ours:.1f}")


def _synthetic(n_rows: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    sex = (rng.random(n_rows) < 0.67).astype(np.int64)
    age = rng.integers(18, 91, n_rows)
    income = np.round(rng.lognormal(10, 0.5, n_rows), 2)
    hours = rng.integers(10, 80, n_rows)
    x1, x2 = rng.normal(size=n_rows), rng.normal(size=n_rows)
    logit = 0.8 * sex + 0.03 * (age - 40) + 0.5 * x1 - 1.0
    label = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    score = 1 / (1 + np.exp(-(logit + 0.5 * rng.normal(size=n_rows))))
    predicted = (score > 0.5).astype(np.int64)
    return {
        "sex": sex,
        "age": age,
        "income": income,
        "hours": hours,
        "x1": x1,
        "x2": x2,
        "label": label,
        "predicted": predicted,
    }


def _section(frame: pd.DataFrame, stage: Any) -> dict[str, Any]:
    return bias_section(
        frame,
        label="label",
        label_values_or_threshold=[1],
        facets=[FACET],
        group_variable="age",
        methods=["all"],
        stage=stage,
        predicted_label="predicted" if stage == "post_training" else None,
    )


def _time_ours(
    frame: pd.DataFrame, stage: str, repeat: int
) -> tuple[float, dict[str, Any]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        section = _section(frame, stage)
        times.append(time.perf_counter() - start)
    seconds = min(times)
    metrics = section["facets"]["sex"][0]["metrics"]
    return seconds, {entry["name"]: entry["value"] for entry in metrics}


def _peak_memory(frame: pd.DataFrame) -> int:
    tracemalloc.start()
    _section(frame, "post_training")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _run_smclarify(arrays: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.npz"
        np.savez(path, **arrays)
        done = subprocess.run(
            [str(GOLDEN_PYTHON), "-c", CHILD, str(path), str(repeat)],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _agree(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    for name, value in theirs.items():
        mine = ours.get(name)
        if isinstance(value, float) and isinstance(mine, float):
            if not math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif mine != value:
            return False
    return set(ours) == set(theirs)


if __name__ == "__main__":
    main()
