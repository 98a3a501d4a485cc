#!/usr/bin/env bash
# Measure the image: a cold build (no layer cache, base images present), a
# rebuild after a source change (dependency layer cached), and the size.
# Needs an engine (container/ci-docker.sh). Usage: container/measure-build.sh [TAG]
set -euo pipefail

TAG="${1:-openclarify:measure}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOCKER_BUILDKIT=0

seconds() {
    local start
    start="$(date +%s%N)"
    "$@" >/dev/null
    echo $((($(date +%s%N) - start) / 1000000)) | sed -E 's/([0-9]{3})$/.\1/'
}

cold="$(seconds docker build --no-cache -q -t "$TAG" "$ROOT")"

# A source-only change: rebuild from a copy whose package gains one comment.
copy="$(mktemp -d /tmp/openclarify-measure.XXXXXX)"
trap 'rm -rf "$copy"' EXIT
cp -r "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/src" "$ROOT/Dockerfile" \
    "$ROOT/.dockerignore" "$copy/"
mkdir -p "$copy/container"
cp "$ROOT/container/constraints.txt" "$copy/container/"
echo "# measure-build $(date +%s%N)" >>"$copy/src/openclarify/__init__.py"
warm="$(seconds docker build -q -t "$TAG-warm" "$copy")"

size="$(docker image inspect --format '{{.Size}}' "$TAG")"
base="$(docker image inspect --format '{{.Size}}' python:3.11-slim)"
printf 'cold build (no cache)        %8s s\n' "$cold"
printf 'rebuild after a source edit  %8s s\n' "$warm"
printf 'image size                   %8d MB (base python:3.11-slim %d MB)\n' \
    $((size / 1000000)) $((base / 1000000))
docker rmi "$TAG-warm" >/dev/null
