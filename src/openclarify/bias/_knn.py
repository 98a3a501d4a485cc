"""Exact k-nearest-neighbour votes for the Flip Test, fast.

smclarify fits ``sklearn.neighbors.KNeighborsClassifier`` (Euclidean, uniform
weights) on the advantaged rows. Its answer is fixed by the k nearest rows
except when the k-th and the (k+1)-th neighbour are equally far: then the
order in which scikit-learn's search meets the tied rows decides. We search
with ``scipy.spatial.cKDTree`` on all cores, which is several times faster,
and hand only the tied query rows to scikit-learn itself, so the votes are
the same as scikit-learn's for every row.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

TIE_RTOL = 1e-9
TIE_ATOL = 1e-12
LEAF_SIZE = 32


def knn_majority_vote(
    train: npt.NDArray[np.float64],
    train_labels: npt.NDArray[np.bool_],
    query: npt.NDArray[np.float64],
    *,
    k: int,
) -> npt.NDArray[np.bool_]:
    """Predict a boolean label per query row by a k-nearest-neighbour vote.

    Parameters
    ----------
    train : ndarray of float, shape (n_train, n_features)
        The rows the neighbours are taken from.
    train_labels : ndarray of bool, shape (n_train,)
        Their labels.
    query : ndarray of float, shape (n_query, n_features)
        The rows to predict.
    k : int
        The number of neighbours; must not exceed ``n_train``.

    Returns
    -------
    ndarray of bool, shape (n_query,)
        True where most of the k neighbours are True; identical to
        ``KNeighborsClassifier(n_neighbors=k).fit(train, labels).predict``.
    """
    finite = np.isfinite(train).all() and np.isfinite(query).all()
    if not finite or train.shape[1] == 0:
        # scikit-learn rejects these inputs with its own message; let it say so.
        return _sklearn_vote(train, train_labels, query, k=k)
    if train_labels.all() or not train_labels.any():
        return np.full(query.shape[0], bool(train_labels[0]), dtype=bool)

    # One extra neighbour shows whether the k-th distance is tied.
    n_train = train.shape[0]
    n_ask = min(k + 1, n_train)
    # Imported here: scipy.spatial and scikit-learn take seconds to import,
    # and only the Flip Test needs them.
    from scipy.spatial import cKDTree

    tree = cKDTree(train, leafsize=LEAF_SIZE, balanced_tree=False)
    # Neighbouring queries walk the same branches: asking in order along the
    # widest dimension keeps the tree in cache (two to three times faster).
    # The search is exact either way; the answers are put back in row order.
    widest = int(np.argmax(np.ptp(query, axis=0))) if query.shape[0] else 0
    order = np.argsort(query[:, widest], kind="stable")
    distances = np.empty((query.shape[0], n_ask))
    indices = np.empty((query.shape[0], n_ask), dtype=np.intp)
    found_distances, found_indices = tree.query(query[order], k=n_ask, workers=-1)
    distances[order] = found_distances.reshape(query.shape[0], n_ask)
    indices[order] = found_indices.reshape(query.shape[0], n_ask)

    votes = np.count_nonzero(train_labels[indices[:, :k]], axis=1)
    predicted = votes * 2 > k
    if n_ask > k:
        tied = np.isclose(
            distances[:, k - 1], distances[:, k], rtol=TIE_RTOL, atol=TIE_ATOL
        )
        if tied.any():
            logger.debug("Flip Test: %d query rows have tied neighbours", tied.sum())
            predicted[tied] = _sklearn_vote(train, train_labels, query[tied], k=k)
    return predicted


def _sklearn_vote(
    train: npt.NDArray[np.float64],
    train_labels: npt.NDArray[np.bool_],
    query: npt.NDArray[np.float64],
    *,
    k: int,
) -> npt.NDArray[np.bool_]:
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=k, weights="uniform", p=2)
    knn.fit(train, train_labels)
    return np.asarray(knn.predict(query), dtype=bool)
