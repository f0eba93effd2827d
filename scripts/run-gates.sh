#!/usr/bin/env bash
# The contract and docs gates: schemathesis against the running service, the OpenAPI document's validity and
# snapshot, and the docs page in headless chromium (docs/gates.md). Installs what they need, then runs every
# test marked `gate` with KB_GATES=required, so that a missing tool fails instead of skipping.
#
# Usage: scripts/run-gates.sh [VENV [PYTEST_ARGS...]]     VENV defaults to .venv (created if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${1:-.venv}"
shift || true

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "== installing Debian's chromium and chromium-driver"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "run-gates: root (or sudo) is needed to apt-get install chromium chromium-driver" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "== $(/usr/bin/chromium --version 2>/dev/null); $(/usr/bin/chromedriver --version)"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
echo "== installing .[test,gates] into $venv"
"$venv/bin/pip" install -q -e ".[test,gates]"

echo "== gates: KB_GATES=required pytest -m gate"
# `python -m pytest` (rather than bin/pytest) also puts the project root on sys.path.
KB_GATES=required exec "$venv/bin/python" -m pytest -m gate "$@"
