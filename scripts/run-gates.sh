#!/usr/bin/env bash
# The contract and docs gates: schemathesis against the running service, the OpenAPI document's validity and
# snapshot, the docs page and the HTML pages in headless chromium, axe-core on the pages, biber on the BibTeX export
# (docs/gates.md).
# Installs what they need, then runs every test marked `gate` with KB_GATES=required, so that a missing tool
# fails instead of skipping.
#
# Usage: scripts/run-gates.sh [VENV [PYTEST_ARGS...]]     VENV defaults to .venv (created if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${1:-.venv}"
shift || true

missing=""
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || missing="chromium chromium-driver"
command -v npm >/dev/null || missing="$missing npm"  # axe-core comes from npm
command -v biber >/dev/null || missing="$missing biber"  # biblatex's backend checks the BibTeX export
if [ -n "$missing" ]; then
    echo "== installing Debian's $missing"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "run-gates: root (or sudo) is needed to apt-get install $missing" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
echo "== $(/usr/bin/chromium --version 2>/dev/null); $(/usr/bin/chromedriver --version)"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
echo "== installing .[test,gates] into $venv"
"$venv/bin/pip" install -q -e ".[test,gates]"

axe_version="$("$venv/bin/python" -c 'import sys; sys.path.insert(0, "tests"); import gate_support; print(gate_support.AXE_CORE_VERSION)')"
if [ ! -f "$venv/node/node_modules/axe-core/axe.min.js" ] || ! grep -q "\"version\": \"$axe_version\"" "$venv/node/node_modules/axe-core/package.json"; then
    echo "== installing axe-core $axe_version from npm into $venv/node"
    npm install --prefix "$venv/node" --no-audit --no-fund --no-save "axe-core@$axe_version" >/dev/null
fi

echo "== gates: KB_GATES=required pytest -m gate"
# `python -m pytest` (rather than bin/pytest) also puts the project root on sys.path.
KB_GATES=required exec "$venv/bin/python" -m pytest -m gate "$@"
