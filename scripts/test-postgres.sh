#!/usr/bin/env bash
# The whole test suite on PostgreSQL: starts the local server if it is not running, then runs pytest with
# KB_TEST_DATABASE=postgresql (each test database is created for the run and dropped after it).
#
# Usage: scripts/test-postgres.sh [VENV [PYTEST_ARGS...]]     VENV defaults to .venv (created if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
shift || true
export KB_TEST_POSTGRES_URL="${KB_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}"

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$version" ] || { echo "test-postgres: no PostgreSQL installed (/etc/postgresql is empty)" >&2; exit 1; }
    echo "== starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -e ".[test]"
echo "== the test suite on PostgreSQL ($KB_TEST_POSTGRES_URL)"
KB_TEST_DATABASE=postgresql exec "$venv/bin/python" -m pytest -m "not gate" "$@"
