"""Find and load an XGBoost model artifact, and score feature matrices with it.

SageMaker users hold their XGBoost models in several forms: the
``model.tar.gz`` a training job writes (holding ``xgboost-model`` or one other
model file), a bare ``xgboost-model`` file in XGBoost's JSON or UBJSON
encoding, or a file named ``*.json``, ``*.ubj``, ``*.bst`` or ``*.model``.
The encoding is sniffed from the first bytes, never trusted from the name.

Pickled models (``pickle``/``joblib``, as the SageMaker XGBoost framework
writes them) run arbitrary code when loaded, so they are refused unless the
caller opts in with ``allow_pickle=True``.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from openclarify.errors import DatasetError, ModelClientError

if TYPE_CHECKING:
    import xgboost

logger = logging.getLogger(__name__)

ModelFormat = Literal["json", "ubj", "pickle", "legacy"]

DEFAULT_MEMBER = "xgboost-model"
MODEL_SUFFIXES: tuple[str, ...] = (".json", ".ubj", ".bst", ".model", ".pkl")
ARCHIVE_SUFFIXES: tuple[str, ...] = (".tar.gz", ".tgz", ".tar")

PICKLE_REFUSED = (
    "the model file is a Python pickle; got a pickled model, but only XGBoost "
    "JSON or UBJSON model files are loaded by default because unpickling runs "
    "code from the file. Re-save it with Booster.save_model('model.json') or, "
    "if you trust the file, pass allow_pickle=True (--allow-pickle)."
)
UNKNOWN_FORMAT = (
    "the model file is not a format openclarify reads; got {size} bytes "
    "starting with {head!r}; accepted: XGBoost JSON, UBJSON, a pickled Booster "
    "(with allow_pickle) or a tar.gz archive holding one of them. Re-save the "
    "model with xgboost>=2 using Booster.save_model('model.json')."
)
NO_ARTIFACT = (
    "no model artifact found under {where}; accepted: a model.tar.gz, an "
    "'xgboost-model' file or a *.json/*.ubj/*.bst/*.model file, directly or in "
    "a folder named after the model. Put the model file there."
)
LEGACY_FORMAT = (
    "the model file is in XGBoost's old binary format, which xgboost {version} "
    "cannot read; accepted: XGBoost JSON or UBJSON. Load it with xgboost<3 and "
    "re-save it with Booster.save_model('model.json')."
)
MANY_ARTIFACTS = (
    "several model artifacts under {where}: {names}; accepted: exactly one, or "
    "a folder named after predictor.model_name ({model_name!r}). Remove the "
    "extra files or name the folder after the model."
)


@dataclass(frozen=True)
class LoadedModel:
    """An XGBoost booster ready to score, with what is known about its outputs.

    Parameters
    ----------
    booster : xgboost.Booster
        The model.
    objective : str
        The training objective, e.g. ``binary:logistic`` or ``multi:softprob``.
    n_features : int
        The number of input columns the model expects.
    source : str
        The file the model was loaded from, for messages.
    feature_names : tuple of str or None
        The feature names saved with the model, if any.
    """

    booster: xgboost.Booster
    objective: str
    n_features: int
    source: str
    feature_names: tuple[str, ...] | None = None

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Score a feature matrix.

        Parameters
        ----------
        features : ndarray of shape (n_samples, n_features)
            Numeric features, in the model's column order.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
            Probabilities for ``binary:logistic`` (one column), one column per
            class for ``multi:softprob``, the predicted value for regression.

        Raises
        ------
        ModelClientError
            If the matrix does not have the model's number of columns or
            XGBoost rejects it.
        """
        if features.ndim != 2 or features.shape[1] != self.n_features:
            raise ModelClientError(
                f"model {self.source}: got a feature matrix of shape "
                f"{features.shape}; accepted: {self.n_features} columns per "
                "record. Send the features only, in training order, without "
                "the label."
            )
        import xgboost

        try:
            scores = self.booster.inplace_predict(features, validate_features=False)
        except xgboost.core.XGBoostError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelClientError(
                f"model {self.source}: XGBoost could not score the records: {first}"
            ) from exc

        # (n_samples,) for single-output models, (n_samples, n_classes) else.
        return np.asarray(scores).reshape(features.shape[0], -1)


def find_model(model_dir: Path, model_name: str | None = None) -> Path:
    """Locate the model artifact in a model input folder.

    Parameters
    ----------
    model_dir : Path
        A model file, or a folder such as ``processing/input/model/`` or
        ``/opt/ml/model``.
    model_name : str or None, default=None
        ``predictor.model_name``; a sub-folder of that name is searched first.

    Returns
    -------
    Path
        The artifact: a file that :func:`load_model` accepts.

    Raises
    ------
    DatasetError
        If nothing, or more than one candidate, is found.
    """
    model_dir = Path(model_dir)
    if model_dir.is_file():
        return model_dir
    if not model_dir.is_dir():
        raise DatasetError(NO_ARTIFACT.format(where=model_dir), path=str(model_dir))

    folder = model_dir
    if model_name is not None and (model_dir / model_name).is_dir():
        folder = model_dir / model_name
    elif model_name is not None and (model_dir / model_name).is_file():
        return model_dir / model_name

    candidates = _candidates(folder)
    if not candidates and folder == model_dir:
        # One level down: a single sub-folder holding the artifact.
        subdirs = [child for child in sorted(folder.iterdir()) if child.is_dir()]
        if len(subdirs) == 1:
            candidates = _candidates(subdirs[0])
    if not candidates:
        raise DatasetError(NO_ARTIFACT.format(where=folder), path=str(folder))

    # The conventional names win over anything else lying around.
    for preferred in ("model.tar.gz", DEFAULT_MEMBER):
        named = [path for path in candidates if path.name == preferred]
        if len(named) == 1:
            return named[0]
    if len(candidates) > 1:
        names = ", ".join(path.name for path in candidates)
        raise DatasetError(
            MANY_ARTIFACTS.format(where=folder, names=names, model_name=model_name),
            path=str(folder),
        )
    return candidates[0]


def load_model(path: str | Path, *, allow_pickle: bool = False) -> LoadedModel:
    """Load an XGBoost model from a file, archive or folder.

    Parameters
    ----------
    path : str or Path
        A model file, a ``.tar.gz`` archive, or a folder holding one of them
        (see :func:`find_model`).
    allow_pickle : bool, default=False
        Accept pickled or joblib-dumped models. Unpickling runs code from the
        file: only enable it for files you trust.

    Returns
    -------
    LoadedModel

    Raises
    ------
    DatasetError
        If the file is missing, unreadable, pickled without ``allow_pickle``,
        or not an XGBoost model.
    """
    artifact = find_model(Path(path))
    payload, source = _read_payload(artifact)
    booster = _booster_from_bytes(payload, source, allow_pickle=allow_pickle)

    config = json.loads(booster.save_config())
    objective = str(config["learner"]["objective"]["name"])
    names = booster.feature_names
    logger.info(
        "Loaded XGBoost model %s (objective %s, %d features)",
        source,
        objective,
        booster.num_features(),
    )
    return LoadedModel(
        booster=booster,
        objective=objective,
        n_features=booster.num_features(),
        source=source,
        feature_names=tuple(names) if names else None,
    )


def sniff_format(head: bytes) -> ModelFormat | None:
    """Name the encoding of a model file from its first bytes.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (8 are enough).

    Returns
    -------
    {"json", "ubj", "pickle", "legacy"} or None
        ``legacy`` is XGBoost's old binary format; None when unknown.
    """
    stripped = head.lstrip()
    if stripped.startswith(b'{"') or stripped.startswith(b"{\n"):
        return "json"
    if head[:1] == b"{" and head[1:2] in b"LliIUdD$#[{":
        return "ubj"
    if head[:1] == b"\x80" or head[:2] == b"ZF":
        return "pickle"
    if head.startswith(b"binf") or head[:4] == b"\x00\x00\x00?":
        return "legacy"
    return None


def _candidates(folder: Path) -> list[Path]:
    found = []
    for child in sorted(folder.iterdir()):
        if not child.is_file():
            continue
        name = child.name
        if name == DEFAULT_MEMBER or name.endswith(MODEL_SUFFIXES + ARCHIVE_SUFFIXES):
            found.append(child)
    return found


def _read_payload(artifact: Path) -> tuple[bytes, str]:
    try:
        if artifact.name.endswith(ARCHIVE_SUFFIXES) or tarfile.is_tarfile(artifact):
            return _read_archive(artifact)
        return artifact.read_bytes(), str(artifact)
    except OSError as exc:
        raise DatasetError(
            f"cannot read the model file: {exc.strerror or exc}; check that the "
            "path exists and is readable.",
            path=str(artifact),
        ) from exc


def _read_archive(archive: Path) -> tuple[bytes, str]:
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            members = [member for member in tar.getmembers() if member.isfile()]
            chosen = _choose_member(members, archive)
            handle = tar.extractfile(chosen)
            if handle is None:
                raise DatasetError(
                    f"member {chosen.name!r} cannot be read from the archive.",
                    path=str(archive),
                )
            with handle:
                return handle.read(), f"{archive}!{chosen.name}"
    except tarfile.TarError as exc:
        raise DatasetError(
            f"the model archive is not a readable tar file: {exc}; accepted: a "
            "tar.gz holding 'xgboost-model'. Re-create it with "
            "'tar czf model.tar.gz xgboost-model'.",
            path=str(archive),
        ) from exc


def _choose_member(members: list[tarfile.TarInfo], archive: Path) -> tarfile.TarInfo:
    by_name = [m for m in members if Path(m.name).name == DEFAULT_MEMBER]
    if by_name:
        return by_name[0]
    models = [
        m
        for m in members
        if not Path(m.name).name.startswith(".")
        and Path(m.name).suffix in ("", *MODEL_SUFFIXES)
    ]
    if len(models) == 1:
        return models[0]
    names = ", ".join(m.name for m in members) or "nothing"
    raise DatasetError(
        f"the model archive holds {names}; accepted: an 'xgboost-model' member "
        "or exactly one model file. Re-create the archive with only the model.",
        path=str(archive),
    )


def _booster_from_bytes(
    payload: bytes, source: str, *, allow_pickle: bool
) -> xgboost.Booster:
    import xgboost

    kind = sniff_format(payload[:16])
    if kind == "pickle":
        if not allow_pickle:
            raise DatasetError(PICKLE_REFUSED, path=source)
        return _unpickle(payload, source)
    if kind is None:
        raise DatasetError(
            UNKNOWN_FORMAT.format(size=len(payload), head=payload[:8]), path=source
        )

    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(payload))
    except xgboost.core.XGBoostError as exc:
        message = UNKNOWN_FORMAT.format(size=len(payload), head=payload[:8])
        if kind == "legacy":
            message = LEGACY_FORMAT.format(version=xgboost.__version__)
        raise DatasetError(message, path=source) from exc
    return booster


def _unpickle(payload: bytes, source: str) -> xgboost.Booster:
    import xgboost

    logger.warning("Unpickling model %s because allow_pickle is set", source)
    try:
        try:
            import joblib
        except ImportError:
            obj = pickle.loads(payload)  # the caller opted in
        else:
            obj = joblib.load(io.BytesIO(payload))
    except Exception as exc:
        raise DatasetError(
            f"the pickled model cannot be loaded: {exc}; accepted: a pickled "
            "xgboost.Booster or XGBModel. Re-save it with Booster.save_model.",
            path=source,
        ) from exc

    if isinstance(obj, xgboost.XGBModel):
        obj = obj.get_booster()
    if not isinstance(obj, xgboost.Booster):
        raise DatasetError(
            f"the pickle holds a {type(obj).__name__}; accepted: an "
            "xgboost.Booster or XGBModel. Pickle the booster itself.",
            path=source,
        )
    return obj
