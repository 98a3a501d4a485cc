#!/usr/bin/env bash
# The project's checks: tests, lint, format, types. Run from the repository
# root with the project's virtual environment first on PATH.
# Extra arguments go to pytest (e.g. `-m "not container"`).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
python -m pytest "$@" || status=$?
ruff check src tests bench || status=1
ruff format --check src tests bench || status=1
mypy || status=1
exit "$status"
