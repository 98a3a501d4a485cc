"""Open the rendered report in headless Chromium and rasterise the PDF.

Chromium runs with ``--remote-debugging-port=0`` on loopback; a small client of
the DevTools protocol (over ``websocket-client``) loads the HTML file, listens
to the page's console, log and network events, checks that every image
decoded, and takes a screenshot. The PDF pages are turned into PNG files with
``pdftoppm``. Both tests skip only when the binaries are missing (Debian
packages ``chromium`` and ``poppler-utils``).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import websocket
from PIL import Image, ImageStat

from openclarify.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOPPM = shutil.which("pdftoppm")
SCENARIOS = Path(__file__).parents[1] / "unit" / "report" / "report_scenarios.py"
START_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 30.0


def _scenarios() -> Any:
    spec = importlib.util.spec_from_file_location("report_scenarios", SCENARIOS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Write the full report (bias, SHAP, PDP, failed metrics) once."""
    scenario = _scenarios().build()
    folder = tmp_path_factory.mktemp("report")
    return write_report(
        folder,
        name="report",
        title="Analysis Report",
        analysis=scenario.analysis,
        run_record=scenario.run_record,
        summary=scenario.summary,
        local_shap=scenario.local_shap,
    )


class DevTools:
    """A minimal DevTools-protocol client: commands by id, events kept in order."""

    def __init__(self, url: str) -> None:
        self.socket = websocket.create_connection(url, timeout=LOAD_TIMEOUT_S)
        self.events: list[dict[str, Any]] = []
        self._next_id = 0

    def call(
        self, method: str, params: dict | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        message["params"] = params or {}
        if session is not None:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(event["method"] == method for event in self.events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} event within {timeout} s")
            self.socket.settimeout(remaining)
            reply = json.loads(self.socket.recv())
            if "method" in reply:
                self.events.append(reply)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self.socket.settimeout(remaining)
            try:
                reply = json.loads(self.socket.recv())
            except websocket.WebSocketTimeoutException:
                return
            if "method" in reply:
                self.events.append(reply)

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def chromium(tmp_path: Path) -> Any:
    """Start headless Chromium with a DevTools port on loopback; stop it after."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian package 'chromium')")
    profile = tmp_path / "profile"
    log = (tmp_path / "chromium.log").open("wb")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1280,1000",
            "about:blank",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not open its DevTools port: {log.name}")
            time.sleep(0.1)
        port, path = port_file.read_text().split()
        client = DevTools(f"ws://127.0.0.1:{port}{path}")
        yield client
        client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def test_html_report_loads_cleanly_in_chromium(
    chromium: DevTools, report_files: list[Path], tmp_path: Path
) -> None:
    """Check that the HTML report loads with no console error, no network request
    besides itself, all images decoded, and a screenshot that is not blank."""
    html_path = report_files[1]
    page_url = html_path.resolve().as_uri()

    target = chromium.call("Target.createTarget", {"url": "about:blank"})
    attached = chromium.call(
        "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
    )
    session = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        chromium.call(f"{domain}.enable", session=session)
    chromium.call("Page.navigate", {"url": page_url}, session=session)
    chromium.wait_for("Page.loadEventFired", LOAD_TIMEOUT_S)
    chromium.drain(0.5)

    check = chromium.call(
        "Runtime.evaluate",
        {
            "expression": (
                "JSON.stringify({images: document.images.length, "
                "decoded: Array.from(document.images).every("
                "i => i.complete && i.naturalWidth > 0), "
                "height: document.documentElement.scrollHeight, "
                "scripts: document.scripts.length})"
            ),
            "returnByValue": True,
        },
        session=session,
    )
    facts = json.loads(check["result"]["value"])
    shot = chromium.call("Page.captureScreenshot", {"format": "png"}, session=session)
    png = base64.b64decode(shot["data"])
    (tmp_path / "screenshot.png").write_bytes(png)

    events = [event for event in chromium.events if event.get("sessionId") == session]
    errors = [
        event["params"]
        for event in events
        if event["method"] == "Runtime.exceptionThrown"
        or (
            event["method"] == "Runtime.consoleAPICalled"
            and event["params"]["type"] in ("error", "assert")
        )
        or (
            event["method"] == "Log.entryAdded"
            and event["params"]["entry"]["level"] == "error"
        )
    ]
    requests = [
        event["params"]["request"]["url"]
        for event in events
        if event["method"] == "Network.requestWillBeSent"
    ]
    assert errors == []
    assert [url for url in requests if not url.startswith("data:")] == [page_url]
    assert facts["images"] >= 5 and facts["decoded"] is True
    assert facts["scripts"] == 0 and facts["height"] > 3000
    assert _ink_fraction(png) > 0.02


def test_pdf_pages_rasterise_and_are_not_blank(
    report_files: list[Path], tmp_path: Path
) -> None:
    """Check that pdftoppm turns every PDF page into a PNG that is not blank."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm is not installed (Debian package 'poppler-utils')")
    subprocess.run(
        [PDFTOPPM, "-r", "40", "-png", str(report_files[2]), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("page-*.png"))

    assert len(pages) >= 5
    for page in pages:
        assert _ink_fraction(page.read_bytes()) > 0.005, page.name


def _ink_fraction(png: bytes) -> float:
    """Share of pixels that are clearly darker than white."""
    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
        assert ImageStat.Stat(grey).stddev[0] > 1.0
    return sum(histogram[:200]) / (grey.width * grey.height)
