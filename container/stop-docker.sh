#!/usr/bin/env bash
# Stop the dockerd that container/ci-docker.sh started, by the PID it recorded.
# Does nothing when that script found an engine already running (no PID file).
set -euo pipefail

STATE_DIR="${OPENCLARIFY_DOCKER_STATE:-/tmp/openclarify-docker}"
PID_FILE="$STATE_DIR/dockerd.pid"

if [[ ! -f "$PID_FILE" ]]; then
    echo "[stop-docker] no $PID_FILE: no engine of ours to stop" >&2
    exit 0
fi
pid="$(cat "$PID_FILE")"
if ! kill -0 "$pid" 2>/dev/null; then
    echo "[stop-docker] dockerd PID $pid is not running" >&2
    rm -f "$PID_FILE"
    exit 0
fi

# dockerd stops its containers and containerd on SIGTERM; give it 30 s.
kill -TERM "$pid"
for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
    echo "[stop-docker] dockerd PID $pid still running after 30 s; sending SIGKILL" >&2
    kill -KILL "$pid"
fi
rm -f "$PID_FILE"
echo "[stop-docker] dockerd PID $pid stopped" >&2
