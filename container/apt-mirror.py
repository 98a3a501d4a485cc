"""Print the Debian mirror that serves a suite, read from the apt sources.

Usage: ``python3 container/apt-mirror.py SUITE [SOURCE_FILE ...]``. Without
files it reads ``/etc/apt/sources.list`` and ``/etc/apt/sources.list.d/``
(``*.list`` one-line files and ``*.sources`` deb822 files, in name order). The
first ``deb`` entry whose suite is exactly SUITE wins (``bookworm``, not
``bookworm-updates``). Exits 1 when none matches. Used by ci-docker.sh to pick
the debootstrap mirror.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DEFAULT_LIST = Path("/etc/apt/sources.list")
DEFAULT_DIR = Path("/etc/apt/sources.list.d")


def find_mirror(suite: str, paths: list[Path]) -> str | None:
    """Return the first ``deb`` URI that serves ``suite``, or None."""
    for path in paths:
        text = path.read_text(encoding="utf-8")
        found = (
            _from_deb822(suite, text)
            if path.suffix == ".sources"
            else _from_one_line(suite, text)
        )
        if found is not None:
            return found
    return None


def default_sources() -> list[Path]:
    """Return the machine's apt source files, as apt reads them."""
    paths = [DEFAULT_LIST] if DEFAULT_LIST.is_file() else []
    if DEFAULT_DIR.is_dir():
        paths += sorted(
            p for p in DEFAULT_DIR.iterdir() if p.suffix in (".list", ".sources")
        )
    return paths


def _from_deb822(suite: str, text: str) -> str | None:
    # Stanzas are separated by blank lines; fields are "Key: value".
    for stanza in re.split(r"\n[ \t]*\n", text):
        lines = [line for line in stanza.splitlines() if not line.startswith("#")]
        fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", "\n".join(lines), re.M))
        if fields.get("Enabled", "yes").strip().lower() == "no":
            continue
        if (
            "deb" in fields.get("Types", "").split()
            and suite in fields.get("Suites", "").split()
        ):
            uris = fields.get("URIs", "").split()
            if uris:
                return uris[0]
    return None


def _from_one_line(suite: str, text: str) -> str | None:
    # deb [options] URI SUITE COMPONENT...
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            return words[1]
    return None


def main(argv: list[str]) -> int:
    """Print the mirror for ``argv[0]`` and return the exit status."""
    if not argv:
        print("usage: apt-mirror.py SUITE [SOURCE_FILE ...]", file=sys.stderr)
        return 2
    suite, files = argv[0], [Path(arg) for arg in argv[1:]]
    mirror = find_mirror(suite, files or default_sources())
    if mirror is None:
        print(f"no deb source for suite {suite!r} in the apt sources", file=sys.stderr)
        return 1
    print(mirror)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
