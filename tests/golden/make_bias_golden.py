"""Regenerate the smclarify 0.5 golden values in ``tests/golden/bias/``.

Run with the project's environment: ``.venv/bin/python
tests/golden/make_bias_golden.py``.

smclarify 0.5 needs pandas older than 3, so the script first creates (if
absent) the virtual environment ``.golden-venv`` at the repository root with a
pinned, working set of packages, then re-runs itself inside it. There it
builds each case's DataFrame, runs smclarify's own ``bias_report`` the way the
Clarify container does (one call per facet and stage) and writes
``<case>.json`` with the inputs and smclarify's outputs.

Cases with small synthetic data store the data inline. The Adult cases store
how to rebuild the table from the bundled ``adult.data.gz`` plus a checksum,
and the predictions of a small XGBoost model trained here.

The ``adult_model`` case checks a whole bias job through the model sidecar.
Before switching environments, the script scores the Adult training rows
with the walk-through model kept in ``tests/golden/models/`` (trained once
with the project's XGBoost when the file is absent; delete it to retrain) and
passes the predicted labels, score > ``probability_threshold``, to the
golden environment in a temporary file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".golden-venv"
VENV_PYTHON = VENV / "bin" / "python"
OUT_DIR = Path(__file__).resolve().parent / "bias"
ADULT = REPO / "src" / "openclarify" / "demo" / "data" / "adult.data.gz"
MODEL_ROUNDS = 60
MODEL_ARTIFACT = Path(__file__).resolve().parent / "models" / "adult-60.tar.gz"
MODEL_THRESHOLD = 0.8
PINNED = (
    "numpy==1.26.4",
    "pandas==2.0.3",
    "scikit-learn==1.3.2",
    "scipy==1.11.4",
    "pyfunctional==1.5.0",
    "xgboost==2.0.3",
)
ADULT_COLUMNS = (
    "Age",
    "Workclass",
    "fnlwgt",
    "Education",
    "Education-Num",
    "Marital Status",
    "Occupation",
    "Relationship",
    "Ethnic group",
    "Sex",
    "Capital Gain",
    "Capital Loss",
    "Hours per week",
    "Country",
    "Target",
)


def main() -> None:
    """Create the golden environment if needed, then write every case."""
    if Path(sys.prefix).resolve() != VENV.resolve():
        model_inputs = _model_inputs()
        _ensure_venv()
        with tempfile.TemporaryDirectory() as folder:
            handover = Path(folder) / "adult_model.json"
            handover.write_text(json.dumps(model_inputs))
            subprocess.run([str(VENV_PYTHON), __file__, str(handover)], check=True)
        return
    logging.basicConfig(level=logging.CRITICAL)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    cases = _cases()
    if len(sys.argv) > 1:
        model_inputs = json.loads(Path(sys.argv[1]).read_text())
        cases["adult_model"] = _model_case(model_inputs)
    else:
        print("adult_model skipped: run the script with .venv/bin/python")
    for name, case in cases.items():
        case["expected"] = _run_smclarify(case["inputs"])
        path = OUT_DIR / f"{name}.json"
        path.write_text(json.dumps(case, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path.relative_to(REPO)}")


def _ensure_venv() -> None:
    if VENV_PYTHON.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, *PINNED], check=True)
    # smclarify's own requirements (boto3, s3fs, ...) serve its S3 helpers only.
    subprocess.run([*pip, "--no-deps", "smclarify==0.5"], check=True)


# ---------------------------------------------------------------------------
# The walk-through model (project environment)


def _model_inputs() -> dict[str, Any]:
    """Score the Adult training rows with the golden model, in this venv."""
    try:
        import numpy as np
        import xgboost

        from openclarify.demo import model_artifact
        from openclarify.demo.adult import FEATURES, load_adult_frame
    except ImportError as exc:
        raise SystemExit(
            f"{exc}: run this script with the project's environment, "
            "`.venv/bin/python tests/golden/make_bias_golden.py`"
        ) from exc

    if not MODEL_ARTIFACT.is_file():
        MODEL_ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            trained = model_artifact(num_round=MODEL_ROUNDS, cache_dir=Path(folder))
            shutil.copyfile(trained, MODEL_ARTIFACT)
        print(f"wrote {MODEL_ARTIFACT.relative_to(REPO)}")

    with tarfile.open(MODEL_ARTIFACT, "r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        raw = member.read()
    booster = xgboost.Booster()
    booster.load_model(bytearray(raw))

    frame = load_adult_frame("train")
    features = frame.loc[:, list(FEATURES)].to_numpy(dtype=np.float64)
    scores = np.asarray(booster.inplace_predict(features), dtype=np.float64)
    # A float32 score equal to float32(threshold) would depend on the precision
    # of the comparison; the golden labels must not.
    assert not np.any(scores == np.float32(MODEL_THRESHOLD)), "ambiguous score"
    labels = "".join("1" if score > MODEL_THRESHOLD else "0" for score in scores)
    return {
        "checksum": adult_checksum(frame),
        "model": {
            "path": MODEL_ARTIFACT.relative_to(REPO).as_posix(),
            "sha256": hashlib.sha256(MODEL_ARTIFACT.read_bytes()).hexdigest(),
            "num_round": MODEL_ROUNDS,
            "probability_threshold": MODEL_THRESHOLD,
        },
        "predictions": labels,
    }


def _model_case(model_inputs: dict[str, Any]) -> dict[str, Any]:
    """The walk-through bias job's case, on the golden model's labels."""
    frame = load_adult()
    if adult_checksum(frame) != model_inputs["checksum"]:
        raise SystemExit("the golden Adult table differs from the walk-through's")
    return _case(
        "Adult walk-through bias job: facet Sex [0], label [1], group Age, "
        "labels of the golden model (score > 0.8)",
        {"adult": model_inputs},
        facets=[{"name_or_index": "Sex", "value_or_threshold": [0]}],
        group_variable="Age",
        predicted_label="Predicted",
    )


# ---------------------------------------------------------------------------
# Data


def load_adult() -> Any:
    """Read the Adult training data, label-encoded with sorted categories."""
    import pandas as pd

    with gzip.open(ADULT, "rt") as handle:
        frame = pd.read_csv(
            handle, header=None, names=list(ADULT_COLUMNS), skipinitialspace=True
        )
    frame = frame.replace("?", None).dropna().reset_index(drop=True)
    for column in frame.columns:
        if frame[column].dtype == object:
            categories = sorted(frame[column].unique())
            codes = pd.Categorical(frame[column], categories=categories).codes
            frame[column] = codes.astype("int64")
    return frame[["Target", *ADULT_COLUMNS[:-1]]]


def adult_checksum(frame: Any) -> dict[str, int]:
    """Column sums and the row count, to check the test rebuilds the same table."""
    sums = {column: int(frame[column].sum()) for column in frame.columns}
    return {"rows": len(frame), **sums}


def _adult_predictions(frame: Any) -> str:
    import xgboost

    features = frame.drop(columns=["Target"])
    model = xgboost.XGBClassifier(
        n_estimators=30, max_depth=3, learning_rate=0.3, n_jobs=1, random_state=0
    )
    model.fit(features, frame["Target"])
    scores = model.predict_proba(features)[:, 1]
    return "".join("1" if score > 0.5 else "0" for score in scores)


def frame_from_inputs(inputs: dict[str, Any]) -> Any:
    """Build a case's DataFrame from its stored inputs."""
    import pandas as pd

    if "adult" in inputs:
        frame = load_adult()
        predictions = inputs["adult"].get("predictions")
        if predictions is not None:
            frame["Predicted"] = [int(char) for char in predictions]
        return frame
    data = inputs["data"]
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=data["dtypes"][name])
            for name, values in data["columns"].items()
        }
    )


def _inline(columns: dict[str, list[Any]], dtypes: dict[str, str]) -> dict[str, Any]:
    return {"columns": columns, "dtypes": dtypes}


def _cases() -> dict[str, dict[str, Any]]:
    import numpy as np

    cases: dict[str, dict[str, Any]] = {}
    adult = load_adult()
    predictions = _adult_predictions(adult)
    adult_inputs = {"predictions": predictions, "checksum": adult_checksum(adult)}

    cases["adult_sex"] = _case(
        "Adult: facet Sex [0], label [1], group variable Age, XGBoost predictions",
        {"adult": adult_inputs},
        facets=[{"name_or_index": "Sex", "value_or_threshold": [0]}],
        group_variable="Age",
        predicted_label="Predicted",
    )
    cases["adult_multi_facet"] = _case(
        "Adult: facet with two values, one-vs-rest facet, group Education",
        {"adult": adult_inputs},
        facets=[
            {"name_or_index": "Ethnic group", "value_or_threshold": [1, 2]},
            {"name_or_index": "Workclass"},
        ],
        group_variable="Education",
        predicted_label="Predicted",
    )

    # Continuous facet threshold, continuous (float) label threshold.
    rng = np.random.default_rng(7)
    n = 300
    score = np.round(rng.random(n), 3)
    cases["continuous_thresholds"] = _case(
        "Integer facet with a threshold, float label and predictions thresholded",
        {
            "data": _inline(
                {
                    "age": rng.integers(18, 70, n).tolist(),
                    "income": np.round(rng.normal(50, 10, n), 2).tolist(),
                    "region": rng.choice(["n", "s", "e", "w"], n).tolist(),
                    "score": score.tolist(),
                    "pred_score": np.round(
                        np.clip(score + rng.normal(0, 0.2, n), 0, 1), 3
                    ).tolist(),
                },
                {
                    "age": "int64",
                    "income": "float64",
                    "region": "object",
                    "score": "float64",
                    "pred_score": "float64",
                },
            )
        },
        label="score",
        label_values_or_threshold=[0.5],
        facets=[{"name_or_index": "age", "value_or_threshold": [40]}],
        group_variable="region",
        predicted_label="pred_score",
    )

    # Integer label read as continuous, given a text threshold.
    rating = rng.integers(1, 11, n)
    cases["label_text_threshold"] = _case(
        "Integer rating label with threshold '5', text facet one-vs-rest",
        {
            "data": _inline(
                {
                    "color": rng.choice(["red", "green", "blue"], n).tolist(),
                    "height": rng.integers(150, 200, n).tolist(),
                    "rating": rating.tolist(),
                    "pred_rating": np.clip(rating + rng.integers(-2, 3, n), 1, 10)
                    .astype(int)
                    .tolist(),
                },
                {
                    "color": "object",
                    "height": "int64",
                    "rating": "int64",
                    "pred_rating": "int64",
                },
            )
        },
        label="rating",
        label_values_or_threshold=["5"],
        facets=[{"name_or_index": "color"}],
        group_variable="height",
        predicted_label="pred_rating",
    )

    # Empty facet group and no group variable.
    m = 120
    cases["empty_facet"] = _case(
        "Facet value absent from the data; no group variable",
        {
            "data": _inline(
                {
                    "f": rng.integers(0, 3, m).tolist(),
                    "x": rng.normal(size=m).round(4).tolist(),
                    "y": rng.integers(0, 2, m).tolist(),
                    "p": rng.integers(0, 2, m).tolist(),
                },
                {"f": "int64", "x": "float64", "y": "int64", "p": "int64"},
            )
        },
        label="y",
        label_values_or_threshold=[1],
        facets=[{"name_or_index": "f", "value_or_threshold": [7]}],
        group_variable=None,
        predicted_label="p",
    )

    # Infinities: the advantaged group is never predicted positive.
    k = 60
    facet = np.array([0] * 30 + [1] * 30)
    label = rng.integers(0, 2, k)
    label[:4] = 1
    pred = np.where(facet == 1, rng.integers(0, 2, k), 0)
    pred[30:33] = 1
    label[30:33] = 0
    cases["infinities"] = _case(
        "DI, DCA, DCR, TE infinities: no positive prediction for group a",
        {
            "data": _inline(
                {
                    "f": facet.tolist(),
                    "h": (1 - facet).tolist(),
                    "g": rng.integers(0, 3, k).tolist(),
                    "y": label.tolist(),
                    "p": pred.tolist(),
                },
                {"f": "int64", "h": "int64", "g": "int64", "y": "int64", "p": "int64"},
            )
        },
        label="y",
        label_values_or_threshold=[1],
        facets=[
            {"name_or_index": "f", "value_or_threshold": [1]},
            {"name_or_index": "h", "value_or_threshold": [1]},
        ],
        group_variable="g",
        predicted_label="p",
    )

    # KL goes negative when one group has no positive label.
    cases["kl_negative"] = _case(
        "Sensitive group without positive labels (negative KL); text label",
        {
            "data": _inline(
                {
                    "f": ["d"] * 3 + ["a"] * 6,
                    "c": ["d"] * 3 + ["a"] * 2 + ["b"] * 4,
                    "y": ["no"] * 3 + ["yes"] * 4 + ["no"] * 2,
                    "p": ["no", "yes", "no", "yes", "yes", "no", "yes", "no", "no"],
                },
                {"f": "object", "c": "object", "y": "object", "p": "object"},
            )
        },
        label="y",
        label_values_or_threshold=["yes"],
        facets=[
            {"name_or_index": "f", "value_or_threshold": ["d"]},
            {"name_or_index": "c"},
        ],
        group_variable="f",
        predicted_label="p",
    )

    # A 0/1 column in ten rows is read as continuous (uniqueness 20 %).
    cases["small_int_columns"] = _case(
        "Ten rows: 0/1 facet and label read as continuous",
        {
            "data": _inline(
                {
                    "f": [0, 1, 0, 1, 1, 0, 0, 1, 0, 0],
                    "y": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1],
                    "p": [1, 0, 1, 1, 1, 0, 1, 0, 0, 1],
                },
                {"f": "int64", "y": "int64", "p": "int64"},
            )
        },
        label="y",
        label_values_or_threshold=[0],
        facets=[{"name_or_index": "f", "value_or_threshold": [0]}],
        group_variable=None,
        predicted_label="p",
    )

    # Missing facet and group values; facet values given as text for integers.
    colors = rng.choice(["red", "blue", None], 150, p=[0.5, 0.4, 0.1]).tolist()
    groups = rng.choice([1.0, 2.0, 3.0, np.nan], 150).tolist()
    cases["missing_values_and_cast"] = _case(
        "Text facet with missing values one-vs-rest; facet values ['1'] for ints",
        {
            "data": _inline(
                {
                    "color": colors,
                    "f": rng.integers(0, 3, 150).tolist(),
                    "group": [None if math.isnan(g) else g for g in groups],
                    "y": rng.integers(0, 2, 150).tolist(),
                    "p": rng.integers(0, 2, 150).tolist(),
                },
                {
                    "color": "object",
                    "f": "int64",
                    "group": "float64",
                    "y": "int64",
                    "p": "int64",
                },
            )
        },
        label="y",
        label_values_or_threshold=[1],
        facets=[
            {"name_or_index": "color"},
            {"name_or_index": "f", "value_or_threshold": ["1"]},
        ],
        group_variable="group",
        predicted_label="p",
    )

    # Fatal predicted-label errors.
    label = rng.integers(0, 2, 100)
    cases["predicted_type_mismatch"] = _case(
        "Float predictions against an integer (categorical) label",
        {
            "data": _inline(
                {
                    "f": rng.integers(0, 2, 100).tolist(),
                    "y": label.tolist(),
                    "p": (label * 1.0).tolist(),
                },
                {"f": "int64", "y": "int64", "p": "float64"},
            )
        },
        label="y",
        label_values_or_threshold=[1],
        facets=[{"name_or_index": "f", "value_or_threshold": [0]}],
        group_variable=None,
        predicted_label="p",
    )
    cases["no_positive_predictions"] = _case(
        "Every prediction negative",
        {
            "data": _inline(
                {
                    "f": rng.integers(0, 2, 100).tolist(),
                    "y": label.tolist(),
                    "p": [0] * 100,
                },
                {"f": "int64", "y": "int64", "p": "int64"},
            )
        },
        label="y",
        label_values_or_threshold=[1],
        facets=[{"name_or_index": "f", "value_or_threshold": [0]}],
        group_variable=None,
        predicted_label="p",
    )
    return cases


def _case(
    description: str,
    source: dict[str, Any],
    *,
    facets: list[dict[str, Any]],
    group_variable: str | None,
    predicted_label: str | None,
    label: str = "Target",
    label_values_or_threshold: list[Any] | None = None,
) -> dict[str, Any]:
    inputs = {
        **source,
        "label": label,
        "label_values_or_threshold": label_values_or_threshold or [1],
        "facets": facets,
        "group_variable": group_variable,
        "predicted_label": predicted_label,
    }
    return {"description": description, "inputs": inputs}


# ---------------------------------------------------------------------------
# smclarify


def _run_smclarify(inputs: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd
    import smclarify
    from smclarify.bias import report

    frame = frame_from_inputs(inputs)
    expected: dict[str, Any] = {
        "versions": {"smclarify": "0.5", "pandas": pd.__version__},
    }
    for stage in (report.StageType.PRE_TRAINING, report.StageType.POST_TRAINING):
        key = f"{stage.value}_bias_metrics"
        try:
            expected[key] = _section(frame, inputs, stage)
        except Exception as exc:  # a fatal error of the whole analysis
            expected[key] = {"fatal": str(exc), "type": type(exc).__name__}
    del smclarify
    return expected


def _section(frame: Any, inputs: dict[str, Any], stage: Any) -> dict[str, Any]:
    from smclarify.bias import report

    label = inputs["label"]
    values = inputs["label_values_or_threshold"]
    predicted = None
    if stage is report.StageType.POST_TRAINING:
        name = inputs["predicted_label"]
        predicted = report.LabelColumn(name, frame[name])
    group = inputs["group_variable"]
    group_series = frame[group] if group is not None else None

    facets: dict[str, Any] = {}
    for facet in inputs["facets"]:
        facet_values = facet.get("value_or_threshold")
        entries = report.bias_report(
            frame,
            report.FacetColumn(
                facet["name_or_index"], list(facet_values) if facet_values else None
            ),
            report.LabelColumn(label, frame[label], list(values)),
            stage,
            predicted_label_column=predicted,
            metrics=["all"],
            group_variable=group_series,
        )
        facets.setdefault(facet["name_or_index"], []).extend(entries)
    return {
        "label": label,
        "label_value_or_threshold": report.label_value_or_threshold(
            frame[label], list(values)
        ),
        "facets": facets,
    }


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
