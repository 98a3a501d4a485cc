"""Throughput of scoring through the sidecar versus in-process XGBoost.

Scores 100,000 Adult rows (the training split repeated) with the
walk-through model (800 rounds, trained once and cached by
``openclarify.demo.walkthrough.model_artifact``) three ways:

- ``Booster.inplace_predict`` in this process (the reference);
- through a real sidecar and ``PredictorClient`` with ``text/csv``, as a
  Clarify predictor config would;
- the same with the binary ``application/x-npy`` path.

It prints rows per second (best of ``--repeats``) and the ratio of each path
to the in-process rate; the target is a ratio of at least 0.5.

Run: ``python bench/sidecar.py [--rows 100000] [--workers 1]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from openclarify.config.model import PredictorConfig
from openclarify.demo.adult import FEATURES, load_adult_frame
from openclarify.demo.walkthrough import model_artifact
from openclarify.serving import PredictorClient, Sidecar, load_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    artifact = model_artifact()  # trained and cached before any clock starts
    booster = load_model(artifact).booster
    train = load_adult_frame("train").loc[:, list(FEATURES)]
    base = train.to_numpy(dtype=np.float64)
    features = np.tile(base, (args.rows // len(base) + 1, 1))[: args.rows]
    expected = booster.inplace_predict(features)

    in_process = _best(lambda: booster.inplace_predict(features), args.repeats)
    rates = {"in-process inplace_predict": args.rows / in_process}

    predictor = PredictorConfig(content_type="text/csv", accept_type="text/csv")
    with Sidecar.start(artifact, workers=args.workers) as sidecar:
        for label, binary in (("sidecar text/csv", False), ("sidecar npy", True)):
            client = PredictorClient(
                sidecar.url,
                predictor,
                feature_names=FEATURES,
                binary=binary,
                max_concurrency=args.concurrency,
            )
            with client:
                scores = client.predict(features)  # warm-up and check
                np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-6)
                seconds = _best(lambda c=client: c.predict(features), args.repeats)
            rates[label] = args.rows / seconds

    reference = rates["in-process inplace_predict"]
    print(
        f"{args.rows} rows, model {artifact.name}, {args.workers} sidecar "
        f"worker(s), {args.concurrency} requests in flight"
    )
    for label, rate in rates.items():
        print(f"  {label:<28} {rate:12,.0f} rows/s   ratio {rate / reference:5.2f}")
    return 0


def _best(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


if __name__ == "__main__":
    raise SystemExit(main())
