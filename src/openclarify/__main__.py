"""Allow ``python -m openclarify``."""

from __future__ import annotations

from openclarify.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
