#!/usr/bin/env bash
# `make down`: undo `make up`. The app's containers, network and anonymous
# volumes go (with them its bridge, veths, nftables rules, mounts, cgroups and
# monitor processes), then the engine's default network that the build's steps
# used, if nothing else uses it. The images stay (a next `make up` is quick).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
pycompose="$repo/.venv/bin/pycompose"

if [ "$(id -u)" != 0 ]; then
    echo "make down: sudo make down" >&2
    exit 1
fi

echo "==> pycompose down -v -f examples/flask-hello/app.yaml"
"$pycompose" down -v --remove-orphans -f "$here/app.yaml"

# The default network the build's RUN steps used, unless a container is on it.
unused='import json, sys; sys.exit(1 if json.load(sys.stdin)[0].get("Containers") else 0)'
if bridge="$("$pycompose" network inspect bridge 2>/dev/null)" \
    && printf '%s' "$bridge" | "$repo/.venv/bin/python" -c "$unused"; then
    echo "==> pycompose network rm bridge"
    "$pycompose" network rm bridge >/dev/null
fi
echo "==> removed (the images stay: pycompose image ls)"
