"""The exceptions openclarify raises, and how a job reports them.

The tree::

    OpenClarifyError
    ├── ClientError                 the user's input is wrong ("ClientError:")
    │   ├── ConfigError             analysis_config.json is invalid
    │   │   └── UnsupportedConfigError   a valid Clarify feature we do not run yet
    │   └── DatasetError            a dataset, baseline or model file is unusable
    └── AlgorithmError              something failed inside the job ("AlgorithmError:")
        ├── ModelServerError        the model endpoint failed (status, retryable)
        ├── AnalysisError           a computation could not complete
        └── ClusterError            the Dask cluster could not form or broke apart

``ClientError`` and ``AlgorithmError`` name the two prefixes that the processing
platform shows as the failure reason; ``entrypoint.py`` maps them to the
``output/message`` and ``output/failure`` files and to the exit code.
"""

from __future__ import annotations

from typing import Any


class OpenClarifyError(Exception):
    """Base class of every error openclarify raises on purpose."""

    prefix = "AlgorithmError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def reason(self) -> str:
        """Return the one-line reason written to ``output/failure``."""
        text = " ".join(str(self).split())
        return f"{self.prefix}: {text}"


class ClientError(OpenClarifyError):
    """The job's input (config, data, model) is wrong; the user can fix it."""

    prefix = "ClientError"


class ConfigError(ClientError):
    """An analysis config key holds a value that is not accepted.

    Parameters
    ----------
    key : str
        The dotted path of the key, e.g. ``methods.shap.agg_method``.
    value : object
        The value received.
    accepted : str
        What would have been accepted.
    hint : str, default=""
        What the user should do about it.
    """

    def __init__(self, key: str, value: Any, accepted: str, hint: str = "") -> None:
        self.key = key
        self.value = value
        self.accepted = accepted
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        text = (
            f"analysis config key {self.key!r}: got {_short_repr(self.value)}; "
            f"{self.accepted}."
        )
        if self.hint:
            text += f" {self.hint}"
        return text


class UnsupportedConfigError(ConfigError):
    """A Clarify feature that openclarify rejects up front."""

    def __init__(
        self,
        key: str,
        value: Any,
        feature: str,
        supported: str,
        hint: str = "Remove the key or run this analysis with SageMaker Clarify.",
    ) -> None:
        self.feature = feature
        super().__init__(
            key,
            value,
            f"{feature} is not supported by openclarify; supported: {supported}",
            hint,
        )


class DatasetError(ClientError):
    """A data file cannot be read or does not fit the config.

    Parameters
    ----------
    message : str
        What is wrong and what to do.
    path : str or None
        The file concerned, when there is one.
    line : int or None
        The 1-based line number in that file, when known.
    """

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None
    ) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)


class AlgorithmError(OpenClarifyError):
    """An internal fault: the input was acceptable but the job failed."""

    prefix = "AlgorithmError"


class ModelServerError(AlgorithmError):
    """The model endpoint answered with an error or not at all.

    Parameters
    ----------
    message : str
        What happened.
    status : int or None
        The HTTP status code, or None when no response came back.
    retryable : bool
        Whether sending the same request again may succeed.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retryable: bool = False
    ) -> None:
        self.status = status
        self.retryable = retryable
        super().__init__(message)


class ModelClientError(ClientError):
    """The model's answer does not fit the predictor config (user-fixable)."""


class AnalysisError(AlgorithmError):
    """A metric or explanation could not be computed."""


class ClusterError(AlgorithmError):
    """The Dask cluster could not form, or a host left it."""


class JobTerminated(OpenClarifyError):
    """The job received SIGTERM or SIGINT and stopped without results."""

    prefix = "AlgorithmError"

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"Signal {signum} received; the job stopped without results")


def _short_repr(value: Any, limit: int = 120) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
