"""One processing job from start to end: logging, signals, outputs, exit codes.

``run_job`` is what the container's entrypoint (``openclarify run``) calls. It
sets up logging the way a processing container logs (timestamps, one line per
lifecycle milestone), turns SIGTERM into a clean stop, writes every result to
a staging folder that only moves into place when the job succeeds, and maps
errors to the ``ClientError:`` / ``AlgorithmError:`` reasons that the
platform shows, and to the exit code.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from openclarify.errors import JobTerminated, OpenClarifyError
from openclarify.runtime import (
    SUCCESS_MESSAGE,
    Environment,
    JobPaths,
    resolve_ml_root,
    write_exit_message,
)

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_TERMINATED = 143
STAGING_PREFIX = ".openclarify-staging-"
DASK_LOGGING_ENV = "DASK_LOGGING__DISTRIBUTED"


@dataclass
class PhaseTimer:
    """Times the lifecycle phases of a job and logs each with its duration."""

    durations: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Log the start and end of ``name`` and record how long it took."""
        logger.info("%s: starting", name)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.durations[name] = self.durations.get(name, 0.0) + elapsed
        logger.info("%s: finished in %.2f s", name, elapsed)


def configure_logging(level: int = logging.INFO) -> None:
    """Send log records to stdout with timestamps, once per process."""
    root = logging.getLogger()
    if any(getattr(handler, "_openclarify", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler._openclarify = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)

    # Dask and HTTP libraries are chatty at INFO; keep their warnings. Dask
    # sets its loggers' levels from its config when it is imported, here and
    # in every worker process it spawns, so the config says it too.
    os.environ.setdefault(DASK_LOGGING_ENV, "warning")
    for name in ("distributed", "urllib3", "matplotlib", "fontTools", "PIL"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_job(ml_root: str | None = None) -> int:
    """Run the processing job under ``ml_root`` and return the exit code.

    Parameters
    ----------
    ml_root : str or None
        The ML root; ``None`` reads ``OPENCLARIFY_ML_ROOT`` or uses ``/opt/ml``.

    Returns
    -------
    int
        0 on success, 1 on failure, 143 when stopped by SIGTERM.
    """
    configure_logging()
    started = time.perf_counter()
    env = Environment.from_environ()
    paths = JobPaths.under(resolve_ml_root(ml_root, env))
    logger.info("openclarify job starting; ML root %s", paths.root)

    previous = _install_signal_handlers()
    _LATE_SIGNALS.clear()
    staging: Path | None = None
    try:
        from openclarify.job import run_analyses

        staging = _make_staging(paths.output_dir)
        outcome = run_analyses(paths, env, staging=staging)
        if outcome.publishes_outputs:
            _publish(staging, paths.output_dir)
            staging = None
        if _LATE_SIGNALS:
            logger.info(
                "Signal %d arrived after the results were complete; not a failure",
                _LATE_SIGNALS[0],
            )
        write_exit_message(paths, SUCCESS_MESSAGE, failed=False)
        logger.info(
            "exit_message: %s (%.2f s in all)",
            SUCCESS_MESSAGE,
            time.perf_counter() - started,
        )
        return EXIT_OK
    except JobTerminated as error:
        logger.error("Signal %d received, cleaning up", error.signum)
        write_exit_message(paths, error.reason(), failed=True)
        return EXIT_TERMINATED
    except OpenClarifyError as error:
        logger.error("Job failed: %s", error.reason())
        logger.debug("Traceback of the failure", exc_info=True)
        write_exit_message(paths, error.reason(), failed=True)
        return EXIT_FAILED
    except Exception as error:
        logger.exception("Job failed with an internal error")
        reason = f"AlgorithmError: {type(error).__name__}: {error}"
        write_exit_message(paths, " ".join(reason.split()), failed=True)
        return EXIT_FAILED
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        _restore_signal_handlers(previous)


def _make_staging(output_dir: Path) -> Path:
    # Inside the output folder, so publishing is a rename on one filesystem
    # even when the output folder is a mount point.
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = output_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    return staging


def _publish(staging: Path, output_dir: Path) -> None:
    for entry in sorted(staging.iterdir()):
        target = output_dir / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        entry.rename(target)
    staging.rmdir()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # A second signal must not interrupt the clean-up the first one starts.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise JobTerminated(signum)


_LATE_SIGNALS: list[int] = []


def _on_late_signal(signum: int, frame: FrameType | None) -> None:
    _LATE_SIGNALS.append(signum)


def results_complete() -> None:
    """Say that every result is written: a signal from now on is not a failure.

    Called by the leader once the outputs are in the staging folder, before it
    stops the cluster and the model server. A SIGTERM that arrives while they
    stop (``docker compose up --exit-code-from`` sends one as soon as a worker
    host exits) no longer interrupts that clean-up; the job still publishes
    its results and ends with status 0.
    """
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Outside the main thread (a test calling run_job) no handler is set.
        with contextlib.suppress(ValueError):
            if signal.getsignal(signum) is _on_signal:
                signal.signal(signum, _on_late_signal)


def _install_signal_handlers() -> dict[int, object]:
    previous: dict[int, object] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Outside the main thread (a test calling run_job) no handler is set.
        with contextlib.suppress(ValueError):
            previous[signum] = signal.signal(signum, _on_signal)
    return previous


def _restore_signal_handlers(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
