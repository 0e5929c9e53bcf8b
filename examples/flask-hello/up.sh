#!/usr/bin/env bash
# `make up`: run examples/flask-hello on this machine and show its answer.
#
# The base image (debian:bookworm-slim) comes from a registry when one has it,
# else it is made from the Debian archive with `pycompose image bootstrap`
# (once, a few minutes). When this machine has a CA bundle, the bootstrapped
# base trusts it too, so the build's pip reaches PyPI through a TLS-inspecting
# proxy as this machine does. Then the app is built and started with
# `pycompose up -d`, and http://localhost:4000 is fetched. `make down` removes
# everything but the images.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
pycompose="$repo/.venv/bin/pycompose"
base=debian:bookworm-slim
bundle=/etc/ssl/certs/ca-certificates.crt
url=http://localhost:4000

if [ "$(id -u)" != 0 ]; then
    echo "make up: pycompose runs containers as root: sudo make up" >&2
    exit 1
fi

if ! "$pycompose" image inspect "$base" >/dev/null 2>&1; then
    echo "==> $base: pulling it, or making it from the Debian archive"
    if ! "$pycompose" image pull "$base" 2>/dev/null; then
        trust=()
        if [ -s "$bundle" ]; then
            trust=(--ca-certificates "$bundle")
        fi
        echo "==> no registry has it: pycompose image bootstrap $base ${trust[*]}"
        "$pycompose" image bootstrap "$base" "${trust[@]}"
    fi
fi

echo "==> pycompose up -d --build -f examples/flask-hello/app.yaml"
"$pycompose" up -d --build -f "$here/app.yaml"

echo "==> curl $url"
for _ in $(seq 60); do
    if answer="$(curl -sf "$url")"; then
        echo "$answer"
        echo "==> running; make down stops and removes it"
        exit 0
    fi
    sleep 1
done
echo "make up: $url did not answer within 60 s; the app's output:" >&2
"$pycompose" -f "$here/app.yaml" logs --tail 20 >&2 || true
exit 1
