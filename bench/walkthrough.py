"""Time the Adult walk-through on N instances, per phase.

Lays out the walk-through's bias job (30,162 training rows) and
explainability job (15,060 test rows) with ``openclarify.demo``, trains the
model once beforehand (excluded from the times), runs each job on the given
number of hosts as processes on this machine, and prints the wall time of each
job and the per-phase durations from its ``run_record.json``.

Run: ``python bench/walkthrough.py [--instances 2] [--output DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from openclarify.demo import host_roots, model_artifact, prepare_ml_root, run_hosts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()

    model_artifact()  # trained and cached before the clock starts
    output = Path(args.output or tempfile.mkdtemp(prefix="openclarify-walk-"))
    total = 0.0
    status = 0
    for job in ("bias", "explainability"):
        leader = output / job
        shutil.rmtree(leader, ignore_errors=True)
        prepare_ml_root(leader, job=job, instances=args.instances)
        roots = host_roots(leader, args.instances)

        started = time.perf_counter()
        code = run_hosts(roots)
        elapsed = time.perf_counter() - started
        total += elapsed
        status = status or code
        print(
            f"\n{job} job on {args.instances} instance(s): exit {code}, "
            f"{elapsed:.2f} s wall"
        )
        record_path = leader / "processing/output/run_record.json"
        if record_path.is_file():
            record = json.loads(record_path.read_text())
            for phase, seconds in record.get("durations", {}).items():
                print(f"  {phase:<48} {seconds:8.2f} s")
    print(f"\nwalk-through total: {total:.2f} s wall (target: 20 s)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
