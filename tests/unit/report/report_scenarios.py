"""Small, real analyses for the report tests (not a test module).

An Adult-like table is generated, an XGBoost model is trained on it, and the
analysis dict is filled from plain numpy computations: bias metrics from their
textbook formulas, SHAP values from XGBoost's exact tree attributions, partial
dependence by brute force. The numbers are real; the tests check structure
and rendering, not these values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from openclarify.report import RunRecorder, config_digest, fingerprint_frame
from openclarify.report.summary import DatasetSummary, summarize_dataset

FEATURES = ("Age", "Workclass", "Education-Num", "Sex", "Hours per week", "Race")
RACES = ("White", "Black", "Asian-Pac-Islander", "Other <b>&</b>", "Amer-Indian-Eskimo")
GROUP_ERROR = "Group variable is empty or not provided"


@dataclass
class Scenario:
    """Everything ``write_report`` takes, built from one small real run."""

    analysis: dict[str, Any]
    run_record: dict[str, Any]
    summary: DatasetSummary | None
    local_shap: pd.DataFrame | None
    frame: pd.DataFrame


def adult_like(n_rows: int = 400, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Return an Adult-like feature frame and a 0/1 label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Age": rng.integers(18, 80, n_rows),
            "Workclass": rng.integers(0, 6, n_rows),
            "Education-Num": rng.integers(1, 17, n_rows),
            "Sex": rng.integers(0, 2, n_rows),
            "Hours per week": rng.integers(10, 70, n_rows),
            "Race": rng.choice(len(RACES), n_rows, p=[0.6, 0.15, 0.1, 0.1, 0.05]),
        }
    )
    logit = (
        0.04 * (frame["Age"] - 40)
        + 0.3 * (frame["Education-Num"] - 9)
        + 0.8 * frame["Sex"]
        + 0.03 * (frame["Hours per week"] - 40)
        - 1.0
    )
    label = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, label


def build(
    *,
    pre: bool = True,
    post: bool = True,
    shap: bool = True,
    pdp: bool = True,
    two_outputs: bool = False,
) -> Scenario:
    """Train a model on Adult-like data and fill the requested analyses.

    With ``two_outputs`` the model is read as returning both class scores
    (``label0`` = P(negative), ``label1`` = P(positive)).
    """
    recorder = RunRecorder()
    frame, label = adult_like()
    x = frame.to_numpy(dtype=float)
    with recorder.phase("training"):
        model = xgb.XGBClassifier(n_estimators=15, max_depth=3, n_jobs=1)
        model.fit(x, label)
    scores = model.predict_proba(x)[:, 1]
    y_true = label == 1
    y_pred = scores > 0.5

    sex = {"0": frame["Sex"].to_numpy() == 0}
    races = {name: frame["Race"].to_numpy() == code for code, name in enumerate(RACES)}
    analysis: dict[str, Any] = {"version": "1.0"}
    if pre:
        with recorder.phase("pre_training_bias"):
            analysis["pre_training_bias_metrics"] = _section(
                {"Sex": sex, "Race": races}, y_true, None
            )
    if post:
        with recorder.phase("post_training_bias"):
            analysis["post_training_bias_metrics"] = _section(
                {"Sex": sex, "Race": races}, y_true, y_pred
            )

    explanations: dict[str, Any] = {}
    local = None
    if shap:
        with recorder.phase("shap"):
            explanations["kernel_shap"], local = _shap(model, frame, two_outputs)
    if pdp:
        with recorder.phase("pdp"):
            explanations["pdp"] = _pdp(model, frame, two_outputs)
    if explanations:
        analysis["explanations"] = explanations

    summary = None
    if pre or post:
        summary = summarize_dataset(
            frame.assign(Target=label),
            label="Target",
            label_positive=y_true,
            facets={"Sex": sex, "Race": races},
            predicted_positive=y_pred if post else None,
        )
    record = recorder.finish(
        config_digest=config_digest({"dataset_type": "text/csv", "label": "Target"}),
        dataset_fingerprint=fingerprint_frame(frame),
        rows=len(frame),
        hosts=("algo-1",),
        seeds={"shap": 123},
    )
    return Scenario(analysis, record.to_dict(), summary, local, frame)


def _section(
    facets: dict[str, dict[str, np.ndarray]],
    y_true: np.ndarray,
    y_pred: np.ndarray | None,
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "label": "Target",
        "label_value_or_threshold": "1",
        "facets": {},
    }
    for name, values in facets.items():
        entries = []
        for value, mask in values.items():
            if y_pred is None:
                metrics = _pre_metrics(mask, y_true)
            else:
                metrics = _post_metrics(mask, y_true, y_pred)
            entries.append({"value_or_threshold": value, "metrics": metrics})
        section["facets"][name] = entries
    return section


def _divide(top: float, bottom: float) -> float:
    if bottom == 0:
        return 0.0 if top == 0 else math.copysign(math.inf, top)
    return top / bottom


def _metric(code: str, value: float | None, error: str | None = None) -> dict:
    entry: dict[str, Any] = {"name": code, "description": code, "value": value}
    if error is not None:
        entry["error"] = error
    return entry


def _pre_metrics(d: np.ndarray, y: np.ndarray) -> list[dict]:
    a = ~d
    n_a, n_d = a.sum(), d.sum()
    q_a, q_d = y[a].mean(), y[d].mean()
    p_a, p_d = np.array([q_a, 1 - q_a]), np.array([q_d, 1 - q_d])
    both = (p_a > 0) & (p_d > 0)
    p_a, p_d = p_a[both], p_d[both]
    mid = (p_a + p_d) / 2
    metrics = [
        _metric("CDDL", None, GROUP_ERROR),
        _metric("CI", (n_a - n_d) / (n_a + n_d)),
        _metric("DPL", q_a - q_d),
        _metric(
            "JS",
            0.5 * (np.sum(p_a * np.log(p_a / mid)) + np.sum(p_d * np.log(p_d / mid))),
        ),
        _metric("KL", np.sum(p_a * np.log(p_a / p_d))),
        _metric("KS", np.max(np.abs(p_a - p_d))),
        _metric("LP", np.linalg.norm(p_a - p_d)),
        _metric("TVD", 0.5 * np.sum(np.abs(p_a - p_d))),
    ]
    return metrics


def _post_metrics(d: np.ndarray, y: np.ndarray, p: np.ndarray) -> list[dict]:
    a = ~d

    def counts(g: np.ndarray) -> tuple[int, int, int, int]:
        return (
            int((g & y & p).sum()),
            int((g & ~y & p).sum()),
            int((g & ~y & ~p).sum()),
            int((g & y & ~p).sum()),
        )

    tp_a, fp_a, tn_a, fn_a = counts(a)
    tp_d, fp_d, tn_d, fn_d = counts(d)
    qh_a, qh_d = p[a].mean(), p[d].mean()
    b = p.astype(float) - y.astype(float) + 1
    ge = float(np.sum((b / b.mean()) ** 2 - 1) / (2 * len(b)))
    ratio_a = _divide(y[a].sum(), p[a].sum())
    ratio_d = _divide(y[d].sum(), p[d].sum())
    reject_a = _divide((~y[a]).sum(), (~p[a]).sum())
    reject_d = _divide((~y[d]).sum(), (~p[d]).sum())
    return [
        _metric("AD", (tp_a + tn_a) / a.sum() - (tp_d + tn_d) / d.sum()),
        _metric("CDDPL", None, GROUP_ERROR),
        _metric("DAR", _divide(tp_a, tp_a + fp_a) - _divide(tp_d, tp_d + fp_d)),
        _metric("DCA", ratio_a - ratio_d),
        _metric("DCR", reject_d - reject_a),
        _metric("DI", _divide(qh_d, qh_a)),
        _metric("DPPL", qh_a - qh_d),
        _metric("DRR", _divide(tn_d, tn_d + fn_d) - _divide(tn_a, tn_a + fn_a)),
        _metric("GE", ge),
        _metric("RD", _divide(tp_a, tp_a + fn_a) - _divide(tp_d, tp_d + fn_d)),
        _metric("SD", _divide(tn_d, tn_d + fp_d) - _divide(tn_a, tn_a + fp_a)),
        _metric("TE", _divide(fn_d, fp_d) - _divide(fn_a, fp_a)),
    ]


def _shap(
    model: xgb.XGBClassifier, frame: pd.DataFrame, two_outputs: bool
) -> tuple[dict, pd.DataFrame]:
    matrix = xgb.DMatrix(frame.to_numpy(dtype=float))
    contributions = model.get_booster().predict(matrix, pred_contribs=True)
    # contributions: (n_rows, n_features + 1) in log-odds of the positive class;
    # the last column is the bias term. The negative class has the opposite sign.
    outputs = {"label0": contributions}
    if two_outputs:
        outputs = {"label0": -contributions, "label1": contributions}
    result = {}
    local = {}
    for label, values in outputs.items():
        result[label] = {
            "global_shap_values": {
                name: float(np.abs(values[:, i]).mean())
                for i, name in enumerate(frame.columns)
            },
            "expected_value": float(values[:, -1].mean()),
        }
        for i, name in enumerate(frame.columns):
            local[f"{name}_{label}"] = values[:, i]
    return result, pd.DataFrame(local)


def _pdp(
    model: xgb.XGBClassifier, frame: pd.DataFrame, two_outputs: bool
) -> list[dict]:
    entries: list[dict[str, Any]] = []
    for name, kind in (("Age", "numerical"), ("Workclass", "categorical")):
        column = frame[name].to_numpy(dtype=float)
        if kind == "numerical":
            edges = np.linspace(column.min(), column.max(), 9)
            grid = (edges[:-1] + edges[1:]) / 2
            share = np.histogram(column, edges)[0] / len(column)
        else:
            grid, counts = np.unique(column, return_counts=True)
            share = counts / len(column)
        positive = []
        for point in grid:
            changed = frame.to_numpy(dtype=float, copy=True)
            changed[:, frame.columns.get_loc(name)] = point
            positive.append(float(model.predict_proba(changed)[:, 1].mean()))
        curves = [positive]
        if two_outputs:
            curves = [[1 - p for p in positive], positive]
        entries.append(
            {
                "feature_name": name,
                "data_type": kind,
                "feature_values": [float(v) for v in grid],
                "data_distribution": [float(v) for v in share],
                "model_predictions": curves,
                "label_headers": [f"label{i}" for i in range(len(curves))],
            }
        )
    entries.append(
        {
            "feature_name": "Notes",
            "data_type": "free_text",
            "error": "PDP is not computed for free text features",
        }
    )
    return entries
