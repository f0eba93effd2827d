# Production image of sanctions-kb: granian serving the API from a SQLite database built into the image.
#
#   docker build -t sanctions-kb .
#   docker run --rm -p 8000:8000 sanctions-kb        # then http://localhost:8000/docs
#
# docs/container.md describes every setting; scripts/container-smoke.sh builds and checks the image with podman.

# The Python base image; any official python:3.11+-slim works (Debian based: the stages below use useradd).
ARG PYTHON_IMAGE=python:3.12-slim

# ---------------------------------------------------------------------------------------------------------------
# builder: build the project as a wheel (the curated data inside it) and install it, with its runtime dependencies,
# into /opt/venv.
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so that editing the code does not reinstall them: the runtime
# dependencies and the `postgres` extra (psycopg2-binary, a manylinux wheel, needs no compiler).
COPY pyproject.toml ./
RUN python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["postgres"]))' > /tmp/requirements.txt \
 && /opt/venv/bin/pip install --requirement /tmp/requirements.txt

COPY README.md ./
COPY schemas ./schemas
# service/bundled/fixtures and seeds are symlinks to these two: the wheel carries copies of their files.
COPY fixtures ./fixtures
COPY seeds ./seeds
COPY service ./service
# The wheel is built in an isolated environment (setuptools from pyproject's build-system), then installed
# without dependencies (they are all in place) and checked; pip and setuptools then leave the venv.
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
 && /opt/venv/bin/pip install --no-deps /tmp/wheels/sanctions_kb-*.whl \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/python -m pip uninstall --yes pip setuptools wheel

# ---------------------------------------------------------------------------------------------------------------
# runtime: the venv (the curated data is inside the installed package) and the database built from it; no compiler,
# no pip in the venv.
FROM ${PYTHON_IMAGE} AS runtime

# The baked-in database. KB_BAKED_DATABASE_URL tells the entrypoint which database needs no `init`.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TMPDIR=/dev/shm \
    DATABASE_URL=sqlite:////app/data/sanctions-kb.sqlite3 \
    KB_BAKED_DATABASE_URL=sqlite:////app/data/sanctions-kb.sqlite3

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

# Build the database now, from the data packaged in the wheel (this also verifies every fixture and citation: a bad
# fixture fails the build), so the container answers at once and needs no writable volume. The service opens SQLite
# with journal_mode=wal, and a read-only WAL database can only be opened when its -wal and -shm files already exist
# (SQLite >= 3.22): so the WAL is checkpointed into the main file and left empty, an empty -shm is added, and all
# three stay read-only, owned by root. The service only reads; the same files work on a read-only root filesystem
# (`--read-only`). /data, owned by the service user, is where a volume for a database of one's own goes
# (docs/container.md).
RUN mkdir /app/data \
 && sanctions-kb init \
 && python -c 'import sqlite3; c = sqlite3.connect("/app/data/sanctions-kb.sqlite3"); assert c.execute("PRAGMA journal_mode=wal").fetchone()[0] == "wal"; c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"; c.close()' \
 && : > /app/data/sanctions-kb.sqlite3-wal \
 && : > /app/data/sanctions-kb.sqlite3-shm \
 && chmod 0444 /app/data/* \
 && chmod 0555 /app/data /usr/local/bin/docker-entrypoint.sh \
 && install -d -m 0755 -o 10001 -g 10001 /data

# Numeric, so that Kubernetes runAsNonRoot and `docker run --user` checks can see it is not root.
USER 10001:10001

EXPOSE 8000
# granian shuts down gracefully on SIGTERM: workers finish their requests (GRANIAN_WORKERS_KILL_TIMEOUT, 10 s).
STOPSIGNAL SIGTERM

# No curl in the slim images: ask /health with the standard library; an error status or no answer fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('GRANIAN_PORT', '8000'); urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4).close()"]

ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
# sanctions-kb-server execs granian with this service's defaults for the GRANIAN_* settings (service/server.py),
# so granian itself is PID 1 and receives SIGTERM.
CMD ["sanctions-kb-server"]

# Last, so that a new revision does not invalidate the cached layers above.
# The service's version (service/__init__.py's __version__, written nowhere else): scripts/container-smoke.sh passes it.
ARG VERSION=""
ARG SOURCE_URL=""
ARG REVISION=""
LABEL org.opencontainers.image.title="sanctions-kb" \
      org.opencontainers.image.description="Curated, cited facts about the UN Security Council's August 2017 sanctions on North Korea, served as a documented REST API." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="MIT"
