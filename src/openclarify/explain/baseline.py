"""SHAP baselines computed from the data: cluster centres, or the column means.

When ``methods.shap`` names no baseline, Clarify clusters the input rows and
uses the cluster centres as baseline rows: k-means when every feature is
numeric, k-prototypes when some are categorical, with ``num_clusters``
clusters or an automatically chosen number between 1 and 12.

Choices made here (the contract leaves them open):

- Numeric columns are standardised (zero mean, unit variance) for the
  distance computations only, so a feature with a large range such as a
  sampling weight does not decide the clusters alone.
- A baseline row is the mean of the cluster's rows in original units for a
  numeric feature and the most frequent value (smallest on ties) for a
  categorical one, so categorical codes are never averaged.
- Large inputs are clustered on a uniform random sample of ``sample_size``
  rows drawn with ``seed``; the automatic choice of K runs on a smaller
  sample of ``selection_size`` rows, because it fits twelve models.
- Automatic K uses the elbow of the log cost curve (k-means inertia or
  k-prototypes cost) for K = 1..12, see :func:`choose_num_clusters`.
- kmodes sometimes cannot initialise K clusters (few distinct categories);
  it is then retried with random initialisation, and K is lowered until a
  fit succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from openclarify.errors import AnalysisError

logger = logging.getLogger(__name__)

MAX_CLUSTERS = 12
N_INIT = 4
# Choosing K fits twelve models; one initialisation each keeps that cheap.
SELECTION_N_INIT = 1

_EMPTY_FRAME = (
    "the data for the SHAP baseline has no rows. "
    "Give an explicit methods.shap.baseline or a dataset with rows."
)
_BAD_CLUSTERS = (
    "methods.shap.num_clusters must be an integer of at least 1; got {value!r}. "
    "Set it to a positive integer or leave it out to choose it automatically."
)
_UNKNOWN_COLUMN = (
    "categorical column {name!r} is not in the data columns {columns}. "
    "Name only feature columns."
)


def mean_baseline(
    frame: pd.DataFrame, *, categorical: Sequence[str] = ()
) -> pd.DataFrame:
    """Return a one-row baseline: column means, or modes for categorical columns.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_features)
        The feature columns.
    categorical : sequence of str, default=()
        Columns given their most frequent value instead of the mean. Columns
        that are not numeric are treated as categorical in any case.

    Returns
    -------
    pandas.DataFrame of shape (1, n_features)

    Raises
    ------
    AnalysisError
        If ``frame`` has no rows or ``categorical`` names an unknown column.
    """
    numeric, nominal = _split_columns(frame, categorical)
    labels = np.zeros(len(frame), dtype=np.int64)
    return _centres(frame, labels, numeric, nominal)


def cluster_baseline(
    frame: pd.DataFrame,
    *,
    num_clusters: int | None,
    categorical: Sequence[str] = (),
    seed: int = 0,
    sample_size: int = 2000,
    selection_size: int = 500,
) -> pd.DataFrame:
    """Return cluster centres of the data, to be used as SHAP baseline rows.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_features)
        The feature columns (no label), as sent to the model.
    num_clusters : int or None
        ``methods.shap.num_clusters``; ``None`` chooses K in 1..12 with
        :func:`choose_num_clusters`. K never exceeds the number of distinct
        rows.
    categorical : sequence of str, default=()
        Categorical columns. Non-numeric columns are categorical in any case.
        With none, k-means (scikit-learn, ``n_init=4``) is used; otherwise
        k-prototypes (``kmodes``, Cao initialisation, ``n_init=4``), or
        k-modes when no column is numeric. The fits that choose K use one
        initialisation each.
    seed : int, default=0
        Seed for the row sample and the clustering.
    sample_size : int, default=2000
        At most this many rows, drawn uniformly at random, are clustered.
    selection_size : int, default=500
        At most this many rows are used to choose K automatically.

    Returns
    -------
    pandas.DataFrame of shape (K, n_features)
        One row per non-empty cluster, same columns as ``frame``: the mean of
        the cluster's rows for numeric columns, the most frequent value for
        categorical ones.

    Raises
    ------
    AnalysisError
        If ``frame`` is empty, ``num_clusters`` is not a positive integer, or
        ``categorical`` names an unknown column.
    """
    numeric, nominal = _split_columns(frame, categorical)
    if num_clusters is not None and (
        isinstance(num_clusters, bool)
        or not isinstance(num_clusters, int | np.integer)
        or num_clusters < 1
    ):
        raise AnalysisError(_BAD_CLUSTERS.format(value=num_clusters))

    rng = np.random.default_rng(seed)
    sample = _sample(frame, sample_size, rng)
    distinct = len(sample.drop_duplicates())
    if num_clusters is None:
        small = _sample(sample, selection_size, rng)
        costs = _cost_curve(small, numeric, nominal, seed=seed)
        num_clusters = choose_num_clusters(costs)
        logger.info("SHAP baseline: chose %d clusters by the elbow rule", num_clusters)
    k = int(min(num_clusters, distinct))

    while True:
        try:
            labels, _ = _fit(sample, k, numeric, nominal, seed=seed, n_init=N_INIT)
            break
        except _CannotInitialise:
            logger.warning(
                "SHAP baseline: could not form %d clusters; trying %d. "
                "Set methods.shap.num_clusters lower to avoid this.",
                k,
                k - 1,
            )
            k -= 1
    baseline = _centres(sample, labels, numeric, nominal)
    logger.debug("SHAP baseline: %d rows from %d sampled rows", len(baseline), k)
    return baseline


def choose_num_clusters(costs: Sequence[float]) -> int:
    """Pick K at the elbow of a clustering cost curve.

    Parameters
    ----------
    costs : sequence of float
        ``costs[k - 1]`` is the clustering cost (within-cluster sum of squared
        distances, or k-prototypes cost) with ``k`` clusters, for
        ``k = 1 .. len(costs)``.

    Returns
    -------
    int
        The K whose point lies farthest below the chord from the first to the
        last point of the curve of ``log(cost)`` against K, both axes scaled
        to [0, 1]: with ``x_k = (k - 1) / (K_max - 1)`` and
        ``y_k = (log c_1 - log c_k) / (log c_1 - log c_Kmax)``, the K
        maximising ``y_k - x_k`` (smallest K on ties). Returns 1 for a single
        point, or when ``K_max`` clusters lower the cost by less than 1 %
        (no structure worth a second baseline row).

    Notes
    -----
    Adding clusters always lowers the cost; the elbow is where the gain of
    one more cluster turns from large to small. On the log scale a drop by
    the same factor counts the same wherever it happens, so the last large
    drop is not hidden by the first ones. Costs are floored at ``1e-12``
    times the first, so a zero cost (as many clusters as distinct rows)
    stays finite.
    """
    curve = np.asarray(costs, dtype=np.float64)
    if len(curve) < 2 or curve[0] <= 0:
        return 1
    if curve[-1] >= 0.99 * curve[0]:
        return 1
    logs = np.log(np.maximum(curve, 1e-12 * curve[0]))
    x = np.arange(len(curve)) / (len(curve) - 1)
    y = (logs[0] - logs) / (logs[0] - logs[-1])
    return int(np.argmax(y - x)) + 1


def _split_columns(
    frame: pd.DataFrame, categorical: Sequence[str]
) -> tuple[list[str], list[str]]:
    if len(frame) == 0:
        raise AnalysisError(_EMPTY_FRAME)
    columns = [str(c) for c in frame.columns]
    for name in categorical:
        if name not in columns:
            raise AnalysisError(_UNKNOWN_COLUMN.format(name=name, columns=columns))
    chosen = set(categorical)
    nominal = [
        c
        for c in frame.columns
        if c in chosen or not pd.api.types.is_numeric_dtype(frame[c])
    ]
    numeric = [c for c in frame.columns if c not in nominal]
    return numeric, nominal


def _sample(frame: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= size:
        return frame.reset_index(drop=True)
    picked = np.sort(rng.choice(len(frame), size=size, replace=False))
    return frame.iloc[picked].reset_index(drop=True)


def _standardised(frame: pd.DataFrame, numeric: list[str]) -> np.ndarray:
    values = frame.loc[:, numeric].to_numpy(dtype=np.float64)
    scale = values.std(axis=0)
    scale[scale == 0] = 1.0
    return (values - values.mean(axis=0)) / scale


def _cost_curve(
    frame: pd.DataFrame, numeric: list[str], nominal: list[str], *, seed: int
) -> list[float]:
    distinct = len(frame.drop_duplicates())
    costs = []
    for k in range(1, min(MAX_CLUSTERS, distinct) + 1):
        try:
            _, cost = _fit(
                frame, k, numeric, nominal, seed=seed, n_init=SELECTION_N_INIT
            )
        except _CannotInitialise:
            break
        costs.append(cost)
    return costs


def _fit(
    frame: pd.DataFrame,
    k: int,
    numeric: list[str],
    nominal: list[str],
    *,
    seed: int,
    n_init: int,
) -> tuple[np.ndarray, float]:
    # Returns (cluster label per row, clustering cost).
    if not nominal:
        from sklearn.cluster import KMeans

        points = _standardised(frame, numeric)
        if k == 1:
            return np.zeros(len(points), dtype=np.int64), float(
                np.square(points - points.mean(axis=0)).sum()
            )
        kmeans = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        labels = kmeans.fit_predict(points)
        return labels.astype(np.int64), float(kmeans.inertia_)

    for init in ("Cao", "random"):
        try:
            return _fit_kmodes(frame, k, numeric, nominal, seed, n_init, init)
        except ValueError as error:
            if "could not initialize" not in str(error):
                raise
    raise _CannotInitialise(k)


class _CannotInitialise(Exception):
    """kmodes could not place k initial centres."""


def _fit_kmodes(
    frame: pd.DataFrame,
    k: int,
    numeric: list[str],
    nominal: list[str],
    seed: int,
    n_init: int,
    init: str,
) -> tuple[np.ndarray, float]:
    # kmodes encodes categories itself; give it strings.
    codes = frame.loc[:, nominal].astype(str).to_numpy(dtype=object)
    if not numeric:
        from kmodes.kmodes import KModes

        kmodes = KModes(
            n_clusters=k, init=init, n_init=n_init, random_state=seed, n_jobs=1
        )
        labels = kmodes.fit_predict(codes)
        return np.asarray(labels, dtype=np.int64), float(kmodes.cost_)

    from kmodes.kprototypes import KPrototypes

    points = np.concatenate(
        [_standardised(frame, numeric).astype(object), codes], axis=1
    )
    kproto = KPrototypes(
        n_clusters=k, init=init, n_init=n_init, random_state=seed, n_jobs=1
    )
    nominal_index = list(range(len(numeric), len(numeric) + len(nominal)))
    labels = kproto.fit_predict(points, categorical=nominal_index)
    return np.asarray(labels, dtype=np.int64), float(kproto.cost_)


def _centres(
    frame: pd.DataFrame, labels: np.ndarray, numeric: list[str], nominal: list[str]
) -> pd.DataFrame:
    rows = []
    for label in np.unique(labels):
        members = frame.loc[labels == label]
        row: dict[object, object] = {}
        for column in frame.columns:
            if column in nominal:
                counts = members[column].value_counts(sort=False)
                top = counts[counts == counts.max()].index
                row[column] = sorted(top.tolist())[0]
            else:
                row[column] = float(members[column].astype(np.float64).mean())
        rows.append(row)
    centres = pd.DataFrame(rows, columns=frame.columns)
    for column in numeric:
        centres[column] = centres[column].astype(np.float64)
    return centres
