"""The UCI Adult census data as the Clarify walk-through prepares it.

Every text column is label-encoded with one sorted code book built from the
training and test files together, so a value has the same code in both
(``Sex``: Female=0, Male=1; ``Target``: ``>50K`` = 1). Rows with a missing
value (``?``) are dropped: 30,162 training and 15,060 test rows remain.
"""

from __future__ import annotations

import gzip
import io
import logging
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xgboost

logger = logging.getLogger(__name__)

HEADERS: tuple[str, ...] = (
    "Target",
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
)
LABEL = "Target"
FEATURES: tuple[str, ...] = HEADERS[1:]

# The raw files put the income label last; the walk-through puts it first.
_RAW_ORDER: tuple[str, ...] = (*FEATURES, LABEL)
_FILES = {"train": "adult.data.gz", "test": "adult.test.gz"}

# The walk-through's XGBoost hyperparameters.
XGBOOST_PARAMS: dict[str, object] = {
    "objective": "binary:logistic",
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.8,
}
NUM_ROUND = 800


def load_adult_frame(split: Literal["train", "test"]) -> pd.DataFrame:
    """Return one split of the bundled Adult data, label-encoded.

    Parameters
    ----------
    split : {"train", "test"}
        ``train`` is ``adult.data``, ``test`` is ``adult.test``.

    Returns
    -------
    pandas.DataFrame
        ``Target`` first, then the 14 features, all integer columns, in file
        order, with rows holding a missing value dropped.
    """
    raw = _read_raw(split)
    codes = _code_book()
    encoded = raw.copy()
    for column, categories in codes.items():
        encoded[column] = pd.Categorical(raw[column], categories=categories).codes
    encoded = encoded.astype("int64")
    return encoded.loc[:, list(HEADERS)].reset_index(drop=True)


def train_adult_model(
    frame: pd.DataFrame, *, num_round: int = NUM_ROUND, seed: int = 0
) -> xgboost.Booster:
    """Train the walk-through's XGBoost classifier on an encoded frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`load_adult_frame`.
    num_round : int, default=800
        Boosting rounds.
    seed : int, default=0
        Seed for row subsampling, so the model is the same on every run.

    Returns
    -------
    xgboost.Booster
    """
    import xgboost

    features = frame.loc[:, list(FEATURES)].to_numpy(dtype=np.float64)
    matrix = xgboost.DMatrix(features, label=frame[LABEL].to_numpy())
    params = {**XGBOOST_PARAMS, "seed": seed, "verbosity": 0}
    return xgboost.train(params, matrix, num_boost_round=num_round)


@cache
def _read_raw(split: str) -> pd.DataFrame:
    payload = resources.files("openclarify.demo").joinpath("data", _FILES[split])
    text = gzip.decompress(payload.read_bytes()).decode("utf-8")

    # adult.test opens with a line that is not data.
    skip = 1 if split == "test" else 0
    frame = pd.read_csv(
        io.StringIO(text),
        header=None,
        names=list(_RAW_ORDER),
        skiprows=skip,
        sep=",",
        skipinitialspace=True,
        na_values="?",
        dtype=str,
    )
    frame = frame.dropna(how="any").reset_index(drop=True)

    # Test labels end with a full stop ("<=50K.").
    frame[LABEL] = frame[LABEL].str.rstrip(".")
    for column in ("Age", "fnlwgt", "Education-Num"):
        frame[column] = frame[column].astype("int64")
    for column in ("Capital Gain", "Capital Loss", "Hours per week"):
        frame[column] = frame[column].astype("int64")
    return frame


@cache
def _code_book() -> dict[str, list[str]]:
    train, test = _read_raw("train"), _read_raw("test")
    book: dict[str, list[str]] = {}
    for column in _RAW_ORDER:
        if train[column].dtype == object or pd.api.types.is_string_dtype(train[column]):
            values = pd.concat([train[column], test[column]]).unique()
            book[column] = sorted(str(value) for value in values)
    return book
