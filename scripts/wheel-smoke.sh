#!/usr/bin/env bash
# Build the wheel and run it as someone without a clone would: installed into a fresh virtualenv, started from an
# empty directory, with no settings at all.
#
#   bash scripts/wheel-smoke.sh          # from any directory; needs python3 (3.11+) and the package index
#
# What it does: copies the working tree (without .git, virtualenvs and build output, so that no stale build/ folder
# leaks into the wheel) to a temporary folder and builds the wheel there with pip; checks that the wheel holds
# every file of fixtures/ and seeds/, byte for byte; installs it with its dependencies into a new virtualenv; then,
# from an empty temporary directory and with an empty environment (no KB_FIXTURES_DIR, KB_SEEDS_DIR or
# DATABASE_URL: the database is the default SQLite file in that directory), runs `sanctions-kb check`, then
# `sanctions-kb serve` on a free loopback port, waits for /health, queries the API (a name search, an article's
# text against seeds/ byte for byte, a citation's offsets, /openapi.json, /docs and its assets), sends SIGTERM and
# checks that the server (granian) exits with status 0. Exits non-zero with a message at the first failure.
#
# Settings (environment):
#   WHEEL_SMOKE_PYTHON   the Python that makes the virtualenv (default python3)
#   WHEEL_SMOKE_KEEP     1 keeps the temporary folder (wheel, virtualenv, logs, database) for a look afterwards
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${WHEEL_SMOKE_PYTHON:-python3}
MAX_HEALTHY_SECONDS=30
STOP_TIMEOUT=15
SCRIPT_START=$(date +%s.%N)

log() { printf '\n== %s\n' "$*"; }
info() { printf '   %s\n' "$*"; }
die() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$(now)"; }
# show_log FILE: its last lines, on standard error, when a step fails.
show_log() { printf -- '-- last lines of %s:\n' "$1" >&2; tail -n 30 "$1" >&2 || true; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found (WHEEL_SMOKE_PYTHON names the Python to use)"
command -v python3 >/dev/null || die "python3 is needed on the host for the checks"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sanctions-kb-wheel-smoke.XXXXXX")
SERVER_PID=""

cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        sleep 2
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${WHEEL_SMOKE_KEEP:-0}" = 1 ]; then
        printf '\n(kept %s)\n' "$WORK"
    else
        rm -rf "$WORK"
    fi
    if [ "$status" -eq 0 ]; then
        printf '\nOK: wheel smoke test passed in %ss\n' "$(since "$SCRIPT_START")"
    else
        printf '\nwheel smoke test FAILED (exit %s)\n' "$status" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------------
log "build the wheel"
t=$(now)
mkdir "$WORK/src" "$WORK/dist" "$WORK/run"
# Top-level dot entries (.git, .venv*, .ci, caches) and build output stay behind; the symlinks under
# service/bundled are copied as symlinks and point at the copied fixtures/ and seeds/.
tar -C "$ROOT" --exclude='./.*' --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude='*.sqlite3' --exclude='*.sqlite3-*' -cf - . | tar -C "$WORK/src" -xf -
"$PYTHON" -m venv "$WORK/venv"
VENV=$WORK/venv
"$VENV/bin/python" -m pip wheel --no-deps --wheel-dir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 \
    || { show_log "$WORK/build.log"; die "pip could not build the wheel"; }
wheels=("$WORK"/dist/sanctions_kb-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    die "expected one sanctions_kb wheel in $WORK/dist, found: ${wheels[*]}"
fi
WHEEL=${wheels[0]}
info "$(basename "$WHEEL"): $(stat -c %s "$WHEEL") bytes, built in $(since "$t")s"

# Publish-ready: the metadata PyPI would check (twine check: the README renders as the long description, the
# licence files are named), the licence files inside the wheel.
"$VENV/bin/python" -m pip install --quiet "twine>=6,<8" >"$WORK/twine.log" 2>&1 || { show_log "$WORK/twine.log"; die "could not install twine"; }
"$VENV/bin/python" -m twine check --strict "$WHEEL" || die "twine check: the wheel's metadata is not ready to publish"
python3 - "$WHEEL" <<'PY' || die "the wheel does not carry LICENSE and NOTICE"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
missing = [f for f in ("LICENSE", "NOTICE") if not any(n.endswith(f".dist-info/licenses/{f}") for n in names)]
sys.exit(f"FAIL: not in the wheel: {missing}" if missing else 0)
PY
info "twine check --strict passed; LICENSE and NOTICE are in the wheel"

python3 - "$WHEEL" "$ROOT" <<'EOF' || die "the wheel does not hold fixtures/ and seeds/ as they are in $ROOT"
import sys, zipfile
from pathlib import Path

wheel, root = zipfile.ZipFile(sys.argv[1]), Path(sys.argv[2])
names = set(wheel.namelist())
for folder in ("fixtures", "seeds"):
    expected = {f"service/bundled/{folder}/{p.name}": p for p in (root / folder).iterdir() if p.is_file()}
    shipped = {name for name in names if name.startswith(f"service/bundled/{folder}/")}
    if shipped != set(expected):
        sys.exit(f"FAIL: {folder}/: missing from the wheel {sorted(set(expected) - shipped)}, "
                 f"not in {folder}/ {sorted(shipped - set(expected))}")
    for name, path in expected.items():
        if wheel.read(name) != path.read_bytes():
            sys.exit(f"FAIL: {name} in the wheel differs from {path}")
    print(f"   {folder}/: {len(expected)} files in the wheel, byte for byte")
EOF

# ---------------------------------------------------------------------------------------------------------------
log "install it into a fresh virtualenv"
t=$(now)
"$VENV/bin/python" -m pip install "$WHEEL" >"$WORK/install.log" 2>&1 \
    || { show_log "$WORK/install.log"; die "pip could not install $(basename "$WHEEL") with its dependencies"; }
"$VENV/bin/python" -m pip check >"$WORK/pip-check.log" 2>&1 || { show_log "$WORK/pip-check.log"; die "pip check failed"; }
info "installed with its dependencies in $(since "$t")s"

# Everything from here runs in an empty directory with an empty environment: nothing from the checkout or
# from this shell's settings can help.
RUN=$WORK/run
EMPTY_ENV=(env -i PATH="$VENV/bin:/usr/bin:/bin" HOME="$WORK" LANG=C.UTF-8)
in_run() { (cd "$RUN" && exec "${EMPTY_ENV[@]}" "$@"); }

where=$(in_run python -c 'import service.bundled as b; print(b.__file__); print(b.packaged_directory("seeds"))')
case "$where" in "$VENV"/*) ;; *) die "service is not imported from the new virtualenv: $where" ;; esac
info "the service and its data: $(tail -n 1 <<<"$where")"

# ---------------------------------------------------------------------------------------------------------------
log "sanctions-kb check, from an empty directory"
output=$(in_run sanctions-kb check 2>&1) || { printf '%s\n' "$output" >&2; die "sanctions-kb check failed"; }
case "$output" in "ok: "*) info "$output" ;; *) die "sanctions-kb check said: $output" ;; esac

# ---------------------------------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log "sanctions-kb serve --host 127.0.0.1 --port $port"
t=$(now)
# One subshell that execs env, which execs sanctions-kb, which execs granian: $! is granian's main process.
(cd "$RUN" && exec "${EMPTY_ENV[@]}" sanctions-kb serve --host 127.0.0.1 --port "$port") >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
deadline=$(python3 -c "print($(now) + $MAX_HEALTHY_SECONDS)")
until python3 - "http://127.0.0.1:$port/health" <<'EOF' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 and json.load(r)["facts"] > 0 else 1)
EOF
do
    kill -0 "$SERVER_PID" 2>/dev/null || { show_log "$WORK/serve.log"; die "sanctions-kb serve exited before /health answered"; }
    python3 -c "import sys; sys.exit(0 if $(now) < $deadline else 1)" \
        || { show_log "$WORK/serve.log"; die "/health did not answer within $MAX_HEALTHY_SECONDS s"; }
    sleep 0.1
done
info "healthy after $(since "$t")s: $(head -n 1 "$WORK/serve.log")"
[ -f "$RUN/sanctions-kb.sqlite3" ] || die "the default database sanctions-kb.sqlite3 is not in the working directory $RUN"
info "database: $RUN/sanctions-kb.sqlite3 (the default DATABASE_URL)"

python3 - "http://127.0.0.1:$port" "$ROOT/seeds/001_538f4130def33c1f.txt" <<'EOF' || { show_log "$WORK/serve.log"; die "API checks failed"; }
import json, sys, urllib.error, urllib.request

base, seed = sys.argv[1], sys.argv[2]

def get(path):
    try:
        response = urllib.request.urlopen(base + path, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    body = response.read()
    if response.status != 200:
        sys.exit(f"FAIL: GET {path} answered {response.status}: {body[:300]!r}")
    return response, body

def check(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")

health = json.loads(get("/health")[1])
check(health["status"] == "ok" and health["engine"] == "sqlite" and health["facts"] > 0, f"/health: {health}")
print(f"   /health: {health['facts']} facts, engine {health['engine']}")

ids = [e["id"] for e in json.loads(get("/api/v1/entities?q=ri%20yong%20ho")[1])]
check(ids[:1] == ["ri-yong-ho"], f"/api/v1/entities?q=ri%20yong%20ho found {ids}, not ri-yong-ho first")
print(f"   /api/v1/entities?q=ri%20yong%20ho: {ids}")

response, text = get("/api/v1/sources/presstv-manila-talks-2017-08-07/text")
expected = open(seed, "rb").read()
check(text == expected, f"the article's text ({len(text)} bytes) differs from {seed} ({len(expected)} bytes)")
print(f"   /api/v1/sources/presstv-manila-talks-2017-08-07/text: {len(text)} bytes, equal to seeds/ byte for byte")

statements = json.loads(get("/api/v1/statements?speaker=ri-yong-ho")[1])
citation = next(c for s in statements for c in s["citations"] if c["source"] == "presstv-manila-talks-2017-08-07")
words = text.decode("utf-8")[citation["start"] : citation["end"]]
check(words == citation["quote"], f"text[{citation['start']}:{citation['end']}] is {words!r}, not the quote")
print(f"   a citation's offsets give its quote: {citation['quote'][:60]!r}...")

spec = json.loads(get("/openapi.json")[1])
check(spec.get("openapi", "").startswith("3.") and "/health" in spec["paths"], "/openapi.json is not the API's spec")
page = get("/docs")[1]
check(b"swagger-ui-bundle.js" in page, "/docs does not load swagger-ui-bundle.js")
bundle = get("/docs/assets/swagger-ui-bundle.js")[1]
check(len(bundle) > 100_000, f"/docs/assets/swagger-ui-bundle.js is only {len(bundle)} bytes")
print(f"   /openapi.json ({len(spec['paths'])} paths), /docs and its swagger-ui-bundle.js ({len(bundle) // 1024} KiB): 200")

# The pages' templates, style sheet and script are package data: the installed wheel must carry them.
response, article = get("/sources/presstv-manila-talks-2017-08-07")
check(response.headers.get("Content-Type", "").startswith("text/html"), "the article page is not HTML")
check(b'class="hl' in article and b"evidence.css" in article, "the article page has no highlights or style sheet")
for asset in ("evidence.css", "evidence.js"):
    check(len(get(f"/assets/{asset}")[1]) > 1000, f"/assets/{asset} is nearly empty")
print(f"   /sources/presstv-manila-talks-2017-08-07 ({len(article) // 1024} KiB of HTML, highlighted) and its assets: 200")
EOF

# ---------------------------------------------------------------------------------------------------------------
log "stop: SIGTERM"
t=$(now)
kill -TERM "$SERVER_PID"
deadline=$(python3 -c "print($(now) + $STOP_TIMEOUT)")
while kill -0 "$SERVER_PID" 2>/dev/null; do
    python3 -c "import sys; sys.exit(0 if $(now) < $deadline else 1)" \
        || { show_log "$WORK/serve.log"; die "granian still runs $STOP_TIMEOUT s after SIGTERM"; }
    sleep 0.1
done
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
info "exited in $(since "$t")s with status $status"
[ "$status" -eq 0 ] || { show_log "$WORK/serve.log"; die "granian exited with status $status after SIGTERM"; }
grep -q 'Granian shutdown completed' "$WORK/serve.log" || { show_log "$WORK/serve.log"; die "granian did not log its graceful shutdown"; }
info "granian shut down gracefully"
