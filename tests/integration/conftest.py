"""Fixtures for the sidecar and predictor-client integration tests.

Every fixture here is named ``sidecar_*``. The model is the Adult walk-through
classifier trained for a few rounds on a slice of the data, so it is real but
cheap; the server is a real gunicorn process on a random loopback port.
"""

from __future__ import annotations

import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
import pytest
import xgboost

from openclarify.demo.adult import FEATURES, load_adult_frame, train_adult_model
from openclarify.serving.app import InvocationsApp
from openclarify.serving.model import load_model
from openclarify.serving.sidecar import Sidecar


@dataclass(frozen=True)
class SidecarModel:
    """A trained Adult model, its artifact folder and rows to score."""

    booster: xgboost.Booster
    model_dir: Path
    json_path: Path
    features: np.ndarray


@pytest.fixture(scope="session")
def sidecar_model(tmp_path_factory: pytest.TempPathFactory) -> SidecarModel:
    """The Adult model (20 rounds, 2,000 rows) as /opt/ml/model would hold it."""
    train = load_adult_frame("train")
    booster = train_adult_model(train.iloc[:2000], num_round=20)
    root = Path(tmp_path_factory.mktemp("sidecar-model"))

    json_path = root / "model.json"
    booster.save_model(json_path)
    model_dir = root / "opt-ml-model"
    model_dir.mkdir()
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as tar:
        tar.add(json_path, arcname="xgboost-model")

    test = load_adult_frame("test")
    features = test.loc[:799, list(FEATURES)].to_numpy(dtype=np.float64)
    return SidecarModel(booster, model_dir, json_path, features)


@pytest.fixture(scope="session")
def sidecar_server(sidecar_model: SidecarModel) -> Iterator[Sidecar]:
    """A real sidecar serving the model folder, shared by the session."""
    with Sidecar.start(sidecar_model.model_dir, workers=1) as sidecar:
        yield sidecar


WsgiApp = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def sidecar_wsgi(
    sidecar_model: SidecarModel,
) -> Iterator[Callable[[Callable[[WsgiApp], WsgiApp]], str]]:
    """Serve the real app, wrapped by a fault injector, over loopback HTTP.

    Call it with a function that takes the real WSGI app and returns the
    wrapped one; it returns the server's base URL.
    """
    servers: list[_ThreadedServer] = []
    threads: list[threading.Thread] = []
    model = load_model(sidecar_model.json_path)

    def start(wrap: Callable[[WsgiApp], WsgiApp]) -> str:
        server = make_server(
            "127.0.0.1",
            0,
            wrap(InvocationsApp(model)),
            server_class=_ThreadedServer,
            handler_class=_QuietHandler,
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)  # type: ignore[arg-type]
        threads.append(thread)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for thread in threads:
        thread.join(timeout=5)
