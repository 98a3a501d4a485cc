"""Run the model server: in the foreground (``serve``) or as a child process.

``serve`` runs gunicorn in the current process with threaded workers; each
worker scores with the booster the master loaded before forking (the model is
loaded once, and a broken artifact fails before any port is opened).

``Sidecar`` starts ``python -m openclarify.serving`` in its own process
group, waits until ``/ping`` answers and stops the whole group on exit, so no
worker outlives the job. The child also watches its parent and shuts down
when the parent dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
from gunicorn.app.base import BaseApplication

from openclarify.errors import ClientError, ModelServerError
from openclarify.serving.app import InvocationsApp
from openclarify.serving.model import load_model

logger = logging.getLogger(__name__)

DEFAULT_THREADS = 4
GRACEFUL_SECONDS = 2
LOG_TAIL_LINES = 20

NEVER_READY = (
    "model server for {model} did not answer /ping at {url} within "
    "{timeout:.0f} s; accepted: a ready server. Raise ready_timeout or read "
    "the server log:\n{tail}"
)
EXITED = (
    "model server for {model} exited with status {code} before it was ready. "
    "Check the model path and read the server log:\n{tail}"
)


def serve(
    model_path: str,
    *,
    host: str,
    port: int,
    workers: int,
    allow_pickle: bool = False,
    threads: int = DEFAULT_THREADS,
    port_file: str | None = None,
    parent_pid: int | None = None,
) -> int:
    """Serve a model over HTTP until SIGTERM or SIGINT.

    Parameters
    ----------
    model_path : str
        A model file, ``model.tar.gz`` or a folder holding one (e.g.
        ``/opt/ml/model``).
    host : str
        Address to bind, e.g. ``127.0.0.1`` or ``0.0.0.0``.
    port : int
        Port to bind; 0 picks a free one (see ``port_file``).
    workers : int
        Gunicorn worker processes.
    allow_pickle : bool, default=False
        Accept pickled models (only for files you trust).
    threads : int, default=4
        Request threads per worker.
    port_file : str or None, default=None
        When ready, the bound port is written to this file.
    parent_pid : int or None, default=None
        Shut down when this process is no longer our parent.

    Returns
    -------
    int
        Process exit status: 0 after a clean shutdown, 2 when the model
        cannot be loaded, gunicorn's status otherwise.
    """
    try:
        model = load_model(model_path, allow_pickle=allow_pickle)
    except ClientError as exc:
        logger.error("Cannot serve the model: %s", exc)
        return 2

    options: dict[str, Any] = {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 5,
        "preload_app": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "openclarify-sidecar",
        "when_ready": _when_ready_hook(port_file, parent_pid),
        # gunicorn 27 opens a control socket at a fixed path; sidecars share
        # the machine, so none of them gets one.
        "control_socket_disable": True,
    }
    app = InvocationsApp(model, max_concurrent_transforms=workers * threads)
    try:
        _GunicornServer(app, options).run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        return code
    return 0


class Sidecar:
    """A model server running as a child process.

    Use :meth:`start`; the handle is a context manager that stops the server
    on exit.

    Parameters
    ----------
    model_path : str or Path
        Passed to :func:`serve`.
    workers : int
        Gunicorn worker processes.
    host : str
        Address to bind.
    port : int
        Port to bind; 0 picks a free one, kept across :meth:`restart`.
    ready_timeout : float
        Seconds to wait for ``/ping``.
    allow_pickle : bool
        Accept pickled models.

    Examples
    --------
    >>> with Sidecar.start("model.tar.gz") as sidecar:  # doctest: +SKIP
    ...     client = PredictorClient(sidecar.url, predictor, feature_names=names)
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        workers: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        ready_timeout: float = 60.0,
        allow_pickle: bool = False,
    ) -> None:
        self.model_path = str(model_path)
        self.workers = workers
        self.host = host
        self.port = port
        self.ready_timeout = ready_timeout
        self.allow_pickle = allow_pickle
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None

    @classmethod
    def start(
        cls,
        model_path: str | Path,
        *,
        workers: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        ready_timeout: float = 60.0,
        allow_pickle: bool = False,
    ) -> Sidecar:
        """Start a model server and wait until it answers ``/ping``.

        Parameters
        ----------
        model_path : str or Path
            A model file, archive or folder.
        workers : int, default=1
            Gunicorn worker processes.
        host : str, default="127.0.0.1"
            Address to bind.
        port : int, default=0
            Port to bind; 0 picks a free one.
        ready_timeout : float, default=60.0
            Seconds to wait for ``/ping``.
        allow_pickle : bool, default=False
            Accept pickled models.

        Returns
        -------
        Sidecar
            A running server; see :attr:`url`.

        Raises
        ------
        ModelServerError
            If the server exits or does not answer in time; the message holds
            the end of its log.
        """
        sidecar = cls(
            model_path,
            workers=workers,
            host=host,
            port=port,
            ready_timeout=ready_timeout,
            allow_pickle=allow_pickle,
        )
        sidecar._launch()
        return sidecar

    @property
    def url(self) -> str:
        """Return the server's base URL, e.g. ``http://127.0.0.1:8080``."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Return the server's process id, or None when not started."""
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        """Return whether the server process is running."""
        return self._process is not None and self._process.poll() is None

    def restart(self) -> None:
        """Stop the server and start it again on the same port."""
        self._terminate()
        self._launch()

    def stop(self, *, grace: float = 10.0) -> None:
        """Stop the server: SIGTERM, then SIGKILL after ``grace`` seconds.

        Parameters
        ----------
        grace : float, default=10.0
            Seconds to wait for a clean shutdown.
        """
        self._terminate(grace=grace)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """Return the last lines of the server's log."""
        if self._workdir is None:
            return ""
        log_path = self._workdir / "server.log"
        if not log_path.exists():
            return ""
        text = log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Sidecar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _launch(self) -> None:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="openclarify-sidecar-"))
        port_file = self._workdir / "port"
        port_file.unlink(missing_ok=True)

        command = [
            sys.executable,
            "-m",
            "openclarify.serving",
            "--model",
            self.model_path,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--port-file",
            str(port_file),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.allow_pickle:
            command.append("--allow-pickle")

        with open(self._workdir / "server.log", "ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self._wait_ready(port_file)
        logger.info("Model server for %s ready at %s", self.model_path, self.url)

    def _wait_ready(self, port_file: Path) -> None:
        deadline = time.monotonic() + self.ready_timeout
        process = self._process
        if process is None:
            raise RuntimeError("the model server process was not started")
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                self._terminate()
                raise ModelServerError(
                    EXITED.format(
                        model=self.model_path, code=code, tail=self.log_tail()
                    )
                )
            if port_file.exists() and self._ping(port_file):
                return
            time.sleep(0.05)

        self._terminate()
        raise ModelServerError(
            NEVER_READY.format(
                model=self.model_path,
                url=self.url,
                timeout=self.ready_timeout,
                tail=self.log_tail(),
            ),
            retryable=True,
        )

    def _ping(self, port_file: Path) -> bool:
        text = port_file.read_text().strip()
        if not text:
            return False
        self.port = int(text)
        try:
            answer = requests.get(f"{self.url}/ping", timeout=2.0)
        except requests.RequestException:
            return False
        return answer.status_code == 200

    def _terminate(self, *, grace: float = 10.0) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "Model server %d ignored SIGTERM for %.0f s; killing it",
                    process.pid,
                    grace,
                )
        # Whatever is left of the group (a stuck worker) goes now.
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


class SidecarSupervisor:
    """Restart a sidecar whose server process exits while the job runs.

    A background thread checks the server every ``interval`` seconds and
    restarts it on the same port, so the predictor client's retries reach the
    new server. After ``max_restarts`` restarts it gives up and logs why; the
    client's requests then fail with a clear reason.

    Parameters
    ----------
    sidecar : Sidecar
        The running server to watch.
    interval : float, default=0.5
        Seconds between checks.
    max_restarts : int, default=5
        Restarts allowed for one job.
    """

    def __init__(
        self, sidecar: Sidecar, *, interval: float = 0.5, max_restarts: int = 5
    ) -> None:
        self.sidecar = sidecar
        self.interval = interval
        self.max_restarts = max_restarts
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="openclarify-sidecar-supervisor", daemon=True
        )

    def __enter__(self) -> SidecarSupervisor:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _watch(self) -> None:
        while not self._stopping.wait(self.interval):
            if self.sidecar.is_alive():
                continue
            if self.restarts >= self.max_restarts:
                logger.error(
                    "Model server at %s exited again after %d restarts; giving up",
                    self.sidecar.url,
                    self.restarts,
                )
                return
            self.restarts += 1
            logger.warning(
                "Model server at %s exited; restarting it (restart %d of %d)",
                self.sidecar.url,
                self.restarts,
                self.max_restarts,
            )
            try:
                self.sidecar.restart()
            except ModelServerError as error:
                logger.error("Model server restart failed: %s", error)


class _GunicornServer(BaseApplication):
    def __init__(self, app: InvocationsApp, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> InvocationsApp:
        return self._app


def _when_ready_hook(port_file: str | None, parent_pid: int | None) -> Any:
    def when_ready(server: Any) -> None:
        port = server.LISTENERS[0].sock.getsockname()[1]
        if port_file is not None:
            staging = f"{port_file}.tmp"
            Path(staging).write_text(f"{port}\n")
            os.replace(staging, port_file)
        if parent_pid is not None:
            threading.Thread(
                target=_watch_parent, args=(parent_pid,), daemon=True
            ).start()

    return when_ready


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    logger.warning("Parent process %d is gone; shutting down", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
