"""The Adult census walk-through: lay out ML roots from the bundled data, run them.

The walk-through is the one the SageMaker Clarify example notebook runs: an
XGBoost model of income on the label-encoded Adult data, a bias job (facet
``Sex`` = 0, label ``Target`` = 1, group variable ``Age``, probability threshold
0.8, every pre- and post-training metric) on the training rows, and an
explainability job (one baseline row of training means, 15 samples, mean_abs,
local values saved) on the test rows. The configs are the ones the SageMaker
Python SDK generates for that notebook.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from openclarify.demo.adult import (
    FEATURES,
    HEADERS,
    LABEL,
    NUM_ROUND,
    load_adult_frame,
    train_adult_model,
)

logger = logging.getLogger(__name__)

Job = Literal["pre-training-bias", "bias", "explainability", "bias-and-explainability"]
JOBS: tuple[str, ...] = (
    "pre-training-bias",
    "bias",
    "explainability",
    "bias-and-explainability",
)
MODEL_NAME = "DEMO-clarify-model"
CACHE_ENV = "OPENCLARIFY_CACHE_DIR"


def analysis_config(job: str, *, baseline: list[float] | None = None) -> dict[str, Any]:
    """Return the analysis config the SageMaker SDK generates for ``job``.

    Parameters
    ----------
    job : {"pre-training-bias", "bias", "explainability", "bias-and-explainability"}
        Which of the walk-through's jobs.
    baseline : list of float, optional
        The SHAP baseline row; required for the explainability jobs.
    """
    if job not in JOBS:
        raise ValueError(f"job must be one of {JOBS}, got {job!r}")
    config: dict[str, Any] = {
        "dataset_type": "text/csv",
        "headers": list(HEADERS),
        "label": LABEL,
        "methods": {"report": {"name": "report", "title": "Analysis Report"}},
    }
    if job in ("pre-training-bias", "bias", "bias-and-explainability"):
        config["label_values_or_threshold"] = [1]
        config["facet"] = [{"name_or_index": "Sex", "value_or_threshold": [0]}]
        config["group_variable"] = "Age"
        config["methods"]["pre_training_bias"] = {"methods": "all"}
    if job in ("bias", "bias-and-explainability"):
        config["methods"]["post_training_bias"] = {"methods": "all"}
        config["probability_threshold"] = 0.8
    if job in ("bias", "explainability", "bias-and-explainability"):
        config["predictor"] = {
            "model_name": MODEL_NAME,
            "instance_type": "ml.m5.xlarge",
            "initial_instance_count": 1,
            "accept_type": "text/csv",
            "content_type": "text/csv",
        }
    if job in ("explainability", "bias-and-explainability"):
        if baseline is None:
            raise ValueError("the explainability jobs need a baseline row")
        config["methods"]["shap"] = {
            "use_logit": False,
            "save_local_shap_values": True,
            "baseline": [baseline],
            "num_samples": 15,
            "agg_method": "mean_abs",
        }
    return config


def model_artifact(
    *, num_round: int = NUM_ROUND, cache_dir: Path | None = None
) -> Path:
    """Return a SageMaker-style ``model.tar.gz`` of the walk-through model.

    The model is trained once (fixed seed) and kept in ``cache_dir`` (default:
    ``$OPENCLARIFY_CACHE_DIR`` or ``~/.cache/openclarify``).
    """
    import xgboost

    folder = cache_dir or Path(
        os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "openclarify"
    )
    folder.mkdir(parents=True, exist_ok=True)
    artifact = folder / f"adult-xgboost-{xgboost.__version__}-{num_round}.tar.gz"
    if artifact.is_file():
        return artifact

    logger.info("Training the walk-through XGBoost model (%d rounds)", num_round)
    booster = train_adult_model(load_adult_frame("train"), num_round=num_round)
    raw = booster.save_raw(raw_format="ubj")
    fd, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
    with (
        os.fdopen(fd, "wb") as handle,
        tarfile.open(fileobj=handle, mode="w:gz") as tar,
    ):
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(bytes(raw)))
    os.replace(partial, artifact)
    return artifact


def prepare_ml_root(
    root: str | Path,
    *,
    job: str = "bias-and-explainability",
    instances: int = 1,
    current_host: str = "algo-1",
    rows: int | None = None,
    num_round: int = NUM_ROUND,
) -> Path:
    """Lay out an ML root for one walk-through job and return it.

    Writes ``processing/input/config/analysis_config.json``, the dataset as a
    CSV without header row in ``processing/input/data/``, the model in
    ``processing/input/model/<model name>/model.tar.gz`` when the job needs
    one, and ``config/resourceconfig.json`` naming ``instances`` hosts.

    Parameters
    ----------
    root : str or Path
        The ML root to create.
    job : str, default="bias-and-explainability"
        One of :data:`JOBS`. The explainability job reads the test rows; the
        others the training rows.
    instances : int, default=1
        Hosts named ``algo-1`` ... in ``resourceconfig.json``.
    current_host : str, default="algo-1"
        This root's host.
    rows : int, optional
        Keep only the first ``rows`` rows (for quick runs).
    num_round : int, default=800
        Boosting rounds of the model.
    """
    root = Path(root)
    data_dir = root / "processing" / "input" / "data"
    config_dir = root / "processing" / "input" / "config"
    for folder in (data_dir, config_dir, root / "config"):
        folder.mkdir(parents=True, exist_ok=True)

    train = load_adult_frame("train")
    frame = load_adult_frame("test") if job == "explainability" else train
    if rows is not None:
        frame = frame.iloc[:rows]
    frame.to_csv(data_dir / "adult.csv", header=False, index=False)

    baseline = [float(value) for value in train.loc[:, list(FEATURES)].mean()]
    config = analysis_config(job, baseline=baseline)
    (config_dir / "analysis_config.json").write_text(
        json.dumps(config, indent=2) + "\n", encoding="utf-8"
    )

    if "predictor" in config:
        model_dir = root / "processing" / "input" / "model" / MODEL_NAME
        model_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model_artifact(num_round=num_round), model_dir / "model.tar.gz")

    hosts = [f"algo-{number}" for number in range(1, instances + 1)]
    (root / "config" / "resourceconfig.json").write_text(
        json.dumps({"current_host": current_host, "hosts": hosts}) + "\n",
        encoding="utf-8",
    )
    return root


def host_roots(leader_root: str | Path, instances: int) -> list[Path]:
    """Create the ML roots of hosts 2..N beside a prepared leader root.

    Each shares the leader's inputs (symbolic links) and has its own
    ``config/resourceconfig.json``. Returns every root, the leader's first.
    """
    leader = Path(leader_root)
    roots = [leader]
    document = json.loads((leader / "config" / "resourceconfig.json").read_text())
    hosts = document["hosts"]
    for host in hosts[1:]:
        other = leader.parent / f"{leader.name}-{host}"
        shutil.rmtree(other, ignore_errors=True)
        (other / "processing").mkdir(parents=True)
        (other / "config").mkdir()
        (other / "processing" / "input").symlink_to(
            (leader / "processing" / "input").resolve()
        )
        (other / "config" / "resourceconfig.json").write_text(
            json.dumps({"current_host": host, "hosts": hosts}) + "\n"
        )
        roots.append(other)
    return roots


def run_hosts(roots: list[Path], *, timeout: float = 600.0) -> int:
    """Run ``openclarify run`` once per root, as separate processes on loopback.

    Returns the leader's exit code (the first root); a worker host that fails
    while the leader succeeds also fails the run.
    """
    env = dict(os.environ)
    if len(roots) > 1:
        env["OPENCLARIFY_SCHEDULER_ADDRESS"] = f"tcp://127.0.0.1:{_free_port()}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "openclarify", "run", "--ml-root", str(root)],
            env=env,
        )
        for root in roots
    ]
    deadline = time.monotonic() + timeout
    codes = []
    for process in processes:
        remaining = max(deadline - time.monotonic(), 1.0)
        try:
            codes.append(process.wait(timeout=remaining))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            return 1
    return codes[0] if codes[0] != 0 else max(codes, key=abs)


def run_demo(output: str | Path, *, instances: int = 2, run: bool = True) -> int:
    """Lay out and run the walk-through's bias and explainability jobs.

    Returns 0 when both jobs succeed. Prints where the results are.
    """
    from openclarify.entrypoint import configure_logging

    configure_logging()
    output = Path(output).resolve()
    jobs = {"bias": "bias", "explainability": "explainability"}
    roots: dict[str, list[Path]] = {}
    for name, job in jobs.items():
        leader = output / name
        shutil.rmtree(leader, ignore_errors=True)
        prepare_ml_root(leader, job=job, instances=instances)
        roots[name] = host_roots(leader, instances)
    if not run:
        print(f"Inputs laid out under {output}")
        return 0

    status = 0
    for name, host_list in roots.items():
        started = time.perf_counter()
        code = run_hosts(host_list)
        elapsed = time.perf_counter() - started
        results = host_list[0] / "processing" / "output"
        print(f"{name} job: exit {code} in {elapsed:.1f} s; results in {results}")
        status = status or code
    return status


def adult_frame_for(job: str) -> pd.DataFrame:
    """Return the rows a walk-through job reads (test rows for explainability)."""
    return load_adult_frame("test" if job == "explainability" else "train")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
