"""Compare openclarify.io.load_dataset with plain pandas on a synthetic CSV.

Writes ROWS x 15 columns (8 float, 4 int, 3 text; no header row) as PARTS files,
loads them once with each tool in a fresh process, and prints time, peak RSS
growth and the ratios ours/pandas.

Usage: python bench_io_load.py [ROWS] [PARTS]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

NAMES = (
    [f"num_{i}" for i in range(8)]
    + [f"int_{i}" for i in range(4)]
    + [f"cat_{i}" for i in range(3)]
)


def make_data(folder: Path, rows: int, parts: int) -> None:
    """Write the synthetic dataset as part files without header rows."""
    rng = np.random.default_rng(0)
    columns = {n: rng.normal(size=rows).round(4) for n in NAMES[:8]}
    columns |= {n: rng.integers(0, 1000, size=rows) for n in NAMES[8:12]}
    columns |= {n: rng.choice(["red", "green", "blue"], size=rows) for n in NAMES[12:]}
    frame = pd.DataFrame(columns)
    for k, chunk in enumerate(np.array_split(np.arange(rows), parts)):
        path = folder / f"part-{k:05d}.csv"
        frame.iloc[chunk].to_csv(path, index=False, header=False)


def measure(mode: str, folder: Path) -> dict[str, float]:
    """Load the folder with one tool; return seconds, RSS growth and frame size."""
    from openclarify.config.model import AnalysisConfig, MethodsConfig
    from openclarify.io import load_dataset

    before = peak_rss()
    start = time.perf_counter()
    if mode == "ours":
        config = AnalysisConfig(
            dataset_type="text/csv", methods=MethodsConfig(), headers=tuple(NAMES)
        )
        frame = load_dataset(config, folder).frame
    else:
        paths = sorted(folder.glob("*.csv"))
        frame = pd.concat(
            [pd.read_csv(p, header=None, names=NAMES) for p in paths],
            ignore_index=True,
        )
    seconds = time.perf_counter() - start
    peak = peak_rss()
    size = float(frame.memory_usage(deep=True).sum())
    return {"seconds": seconds, "growth": (peak - before) / size, "mib": size / 2**20}


def peak_rss() -> int:
    """Peak resident set size of this process in bytes (Linux VmHWM).

    ``ru_maxrss`` is not used: a child inherits its parent's value across exec.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    """Run both tools in fresh processes and print their figures and ratios."""
    if len(sys.argv) == 4 and sys.argv[1] in ("ours", "pandas"):
        print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
        return

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    parts = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with tempfile.TemporaryDirectory(prefix="oc-bench-") as name:
        folder = Path(name)
        make_data(folder, rows, parts)
        results = {}
        for mode in ("ours", "pandas"):
            command = [sys.executable, __file__, mode, str(folder), "run"]
            output = subprocess.run(command, check=True, capture_output=True, text=True)
            results[mode] = json.loads(output.stdout)

    for mode, r in results.items():
        print(
            f"{mode:>6}: {rows} rows x 15 cols in {parts} files: "
            f"{r['seconds']:.2f} s, frame {r['mib']:.0f} MiB, "
            f"peak RSS growth {r['growth']:.2f} x frame"
        )
    ours, ref = results["ours"], results["pandas"]
    print(
        f"ratio ours/pandas: time {ours['seconds'] / ref['seconds']:.2f}, "
        f"peak RSS growth {ours['growth'] / ref['growth']:.2f}"
    )


if __name__ == "__main__":
    main()
