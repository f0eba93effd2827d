"""The production server: granian (Rust, hyper) serving the WSGI app, its settings from the environment.

Chosen by measurement (docs/performance.md): connections are read by granian's async I/O, and a request
reaches a Python thread only once its headers are complete, so slow or idle clients hold no worker; and it
serves the constant-response Flask app at about twice gunicorn's rate on these machines.

Every GRANIAN_* variable (granian's own settings) is honoured; this module only gives the defaults below for
those not set, and maps the common WEB_CONCURRENCY to the number of workers.

    python -m service.server        # or sanctions-kb-server: what `sanctions-kb serve` and the container image
                                    # run (after init)
"""

from __future__ import annotations

import os
import shutil
import sys

APP = "service.wsgi:app"

# granian's settings and this service's defaults for them.
DEFAULTS = {
    "GRANIAN_INTERFACE": "wsgi",
    "GRANIAN_HOST": "0.0.0.0",
    "GRANIAN_PORT": "8000",
    "GRANIAN_BLOCKING_THREADS": "2",  # Python threads per worker: requests in progress at once
    "GRANIAN_LOG_ACCESS_ENABLED": "true",
    "GRANIAN_LOG_LEVEL": "info",
    # A client that has not sent its whole request head within 10 s is dropped (granian's default is 30 s).
    "GRANIAN_HTTP1_HEADER_READ_TIMEOUT": "10000",
    # On SIGTERM workers finish the requests in progress; one still busy after 10 s is killed. Container
    # runtimes send SIGKILL 10 s after SIGTERM by default: raise their stop timeout along with this.
    "GRANIAN_WORKERS_KILL_TIMEOUT": "10",
    "GRANIAN_RESPAWN_FAILED_WORKERS": "true",
    "GRANIAN_WEBSOCKETS": "false",
}


def server_environment(environ: dict[str, str], host=None, port=None, workers=None) -> dict[str, str]:
    """The environment granian runs with: `environ`, the defaults for what it does not set, then the arguments."""
    env = dict(environ)
    for name, value in DEFAULTS.items():
        env.setdefault(name, value)
    env.setdefault("GRANIAN_WORKERS", environ.get("WEB_CONCURRENCY") or "2")
    for name, value in (("GRANIAN_HOST", host), ("GRANIAN_PORT", port), ("GRANIAN_WORKERS", workers)):
        if value is not None:
            env[name] = str(value)
    return env


def exec_server(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Replace this process with granian (so that it receives SIGTERM itself)."""
    env = server_environment(dict(os.environ), host, port, workers)
    granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or shutil.which("granian")
    if granian is None:
        raise SystemExit("granian is not installed beside this Python: pip install sanctions-kb")
    sys.stdout.flush()
    os.execve(granian, [granian, APP], env)


if __name__ == "__main__":
    exec_server()
