"""Time the Adult explainability job on one host and on two, and the speed-up.

Lays out the walk-through's explainability job (Kernel SHAP on the Adult test
rows, ``num_samples`` 15, a one-row mean baseline, local values saved) with
``openclarify.demo``, trains the model once beforehand (excluded from the
times), and runs the job as ``openclarify run`` processes on loopback: once
with a single host, once with two hosts that form one Dask cluster. Prints
the wall time of each run, the speed-up, the per-phase durations from each
``run_record.json`` side by side, and whether both runs wrote the same
``analysis.json``.

Run: ``python bench/cluster.py [--hosts 1 2] [--output DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from openclarify.demo import host_roots, model_artifact, prepare_ml_root, run_hosts


def run_job(output: Path, instances: int) -> tuple[float, dict[str, Any], Path]:
    """Run the explainability job on ``instances`` hosts; wall time, record, out."""
    leader = output / f"explainability-{instances}"
    shutil.rmtree(leader, ignore_errors=True)
    prepare_ml_root(leader, job="explainability", instances=instances)
    roots = host_roots(leader, instances)
    started = time.perf_counter()
    code = run_hosts(roots)
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"the {instances}-host run failed with exit code {code}")
    results = leader / "processing" / "output"
    record = json.loads((results / "run_record.json").read_text())
    return elapsed, record, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--output", default=None)
    args = parser.parse_args()

    model_artifact()  # trained and cached before the clock starts
    output = Path(args.output or tempfile.mkdtemp(prefix="openclarify-cluster-"))
    runs = {n: run_job(output, n) for n in args.hosts}

    first = args.hosts[0]
    rows = runs[first][1].get("rows")
    print(f"\nAdult explainability job, {rows or 'all'} test rows, num_samples 15")
    for n, (elapsed, _, _) in runs.items():
        speed_up = runs[first][0] / elapsed
        print(f"  {n} host(s): {elapsed:7.2f} s wall, speed-up {speed_up:.2f}x")

    phases: list[str] = []
    for _, record, _ in runs.values():
        phases += [p for p in record.get("durations", {}) if p not in phases]
    header = "".join(f"{f'{n} host(s)':>12}" for n in runs)
    print(f"\n  {'phase':<48}{header}")
    for phase in phases:
        cells = "".join(
            f"{record.get('durations', {}).get(phase, float('nan')):11.2f}s"
            for _, record, _ in runs.values()
        )
        print(f"  {phase:<48}{cells}")

    reference = (runs[first][2] / "analysis.json").read_text()
    for n, (_, _, results) in runs.items():
        same = (results / "analysis.json").read_text() == reference
        print(f"  analysis.json of {n} host(s) equals {first} host(s): {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
