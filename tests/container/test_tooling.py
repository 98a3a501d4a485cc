"""The container tooling that needs no engine: linters and the mirror lookup."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.container

REPO_ROOT = Path(__file__).resolve().parents[2]
APT_MIRROR = REPO_ROOT / "container" / "apt-mirror.py"
TOOLS_VENV_ENV = "OPENCLARIFY_TOOLS_VENV"
DEFAULT_TOOLS_VENV = "/opt/openclarify-tools"


def _tool(name: str) -> str:
    venv = Path(os.environ.get(TOOLS_VENV_ENV) or DEFAULT_TOOLS_VENV)
    found = shutil.which(name, path=str(venv / "bin")) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed; run container/ci-docker.sh first")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "dockerfile", ["Dockerfile", "container/base/python-slim.Dockerfile"]
)
def test_dockerfiles_pass_hadolint(dockerfile: str) -> None:
    """Check that hadolint reports nothing for the project's Dockerfiles."""
    result = _run(_tool("hadolint"), str(REPO_ROOT / dockerfile))

    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_pass_shellcheck() -> None:
    """Check that shellcheck reports nothing for the container scripts."""
    scripts = sorted(str(p) for p in (REPO_ROOT / "container").glob("*.sh"))

    result = _run(_tool("shellcheck"), *scripts)

    assert scripts
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_matches_compose_spec() -> None:
    """Check that docker-compose.yml validates against the compose spec."""
    result = _run(
        _tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(REPO_ROOT / "docker-compose.yml"),
    )

    assert result.returncode == 0, result.stdout + result.stderr


DEB822 = """\
Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://source.example.org/debian
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://disabled.example.org/debian
Suites: bookworm
Components: main

Types: deb
# a comment inside a stanza
URIs: http://mirror.example.org/debian http://second.example.org/debian
Suites: bookworm bookworm-updates
Components: main
"""
ONE_LINE = """\
# deb http://commented.example.org/debian bookworm main
deb http://updates.example.org/debian bookworm-updates main
deb [arch=amd64 signed-by=/k.gpg] http://line.example.org/debian bookworm main
"""


@pytest.mark.parametrize(
    ("files", "suite", "expected"),
    [
        ({"debian.sources": DEB822}, "bookworm", "http://mirror.example.org/debian"),
        ({"sources.list": ONE_LINE}, "bookworm", "http://line.example.org/debian"),
        (
            {"a.list": ONE_LINE, "b.sources": DEB822},
            "bookworm-updates",
            "http://updates.example.org/debian",
        ),
        (
            {"b.sources": DEB822, "a.list": ONE_LINE},
            "bookworm-security",
            "http://security.example.org/debian-security",
        ),
    ],
)
def test_apt_mirror_picks_first_deb_entry_of_suite(
    tmp_path: Path, files: dict[str, str], suite: str, expected: str
) -> None:
    """Check that the mirror lookup reads both source formats in file order."""
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))

    result = _run(sys.executable, str(APT_MIRROR), suite, *paths)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_apt_mirror_fails_without_matching_suite(tmp_path: Path) -> None:
    """Check that the mirror lookup exits 1 and says why when no entry matches."""
    (tmp_path / "debian.sources").write_text(DEB822, encoding="utf-8")

    result = _run(
        sys.executable, str(APT_MIRROR), "trixie", str(tmp_path / "debian.sources")
    )

    assert result.returncode == 1
    assert "trixie" in result.stderr
    assert result.stdout == ""
