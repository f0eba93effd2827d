"""The production server: granian (Rust, hyper) serving the app, its settings from the environment.

Chosen by measurement (docs/performance.md): connections are read by granian's async I/O, and it serves the app at
about twice gunicorn's rate on these machines. granian calls the app through ASGI (service/asgi.py,
web/gateway.py): a request's head and then its whole body are received on the worker's event loop, and only a
complete request is given one of the worker's KB_THREADS threads, which run the Flask app. So slow or idle
clients hold no thread, slow uploads included (a body has KB_BODY_TIMEOUT seconds to arrive).

Every GRANIAN_* variable (granian's own settings) is honoured; this module only gives the defaults below for
those not set, maps the common WEB_CONCURRENCY to the number of workers, and refuses to start on an address that
another server listens on: granian's sockets would share the port with it (SO_REUSEPORT), each server answering
some of the requests from its own database, unless KB_REUSE_PORT=true (`serve --reuse-port`) asks for that.

    python -m service.server        # or sanctions-kb-server: what `sanctions-kb serve` and the container image
                                    # run (after init)
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import sys

# The app granian serves, by interface: the gateway, or (GRANIAN_INTERFACE=wsgi) the Flask app as it is, whose
# reads of a request body then hold a thread until the body arrives.
APPLICATIONS = {"asgi": "service.asgi:app", "asginl": "service.asgi:app", "wsgi": "service.wsgi:app"}
THREADS = "2"  # the app's threads per worker (KB_THREADS): requests in progress at once

# granian's settings and this service's defaults for them.
DEFAULTS = {
    "GRANIAN_INTERFACE": "asgi",
    "GRANIAN_HOST": "0.0.0.0",
    "GRANIAN_PORT": "8000",
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
    if env["GRANIAN_INTERFACE"] == "wsgi":
        env.setdefault("GRANIAN_BLOCKING_THREADS", env.get("KB_THREADS") or THREADS)
    else:
        # granian steps an ASGI app on one thread of its own (it refuses more); the app's threads are the
        # gateway's. A GRANIAN_BLOCKING_THREADS set for the WSGI server keeps its meaning.
        blocking = env.pop("GRANIAN_BLOCKING_THREADS", None)
        env.setdefault("KB_THREADS", blocking or THREADS)
    return env


def application(env: dict[str, str]) -> str:
    """The app granian serves for the environment's interface."""
    interface = env["GRANIAN_INTERFACE"]
    if interface not in APPLICATIONS:
        raise SystemExit(f"sanctions-kb: GRANIAN_INTERFACE={interface} is not served: use asgi (the default) or wsgi")
    return APPLICATIONS[interface]


def refuse_a_taken_address(env: dict[str, str], reuse_port: bool | None = None) -> None:
    """Exit with a one-line error when another server listens on the address granian would listen on.

    granian binds with SO_REUSEPORT, so it would start anyway and share the port. A socket bound without it fails
    against any listener there (with it or not), and with SO_REUSEADDR, as granian's, it does not fail on a port
    that only has connections closing (TIME_WAIT) after a server's stop.
    """
    if reuse_port is None:
        reuse_port = os.environ.get("KB_REUSE_PORT", "false").strip().lower() in ("1", "true", "yes")
    if reuse_port or env.get("GRANIAN_UDS"):
        return
    host, port = env["GRANIAN_HOST"], int(env["GRANIAN_PORT"])
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                return  # another reason (an address not on this machine): granian reports it
            shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            raise SystemExit(
                f"sanctions-kb: cannot listen on {shown}: the address is already in use (another server?); "
                "stop it, choose another port, or set KB_REUSE_PORT=true to share it on purpose"
            ) from None


def check_address(host: str | None = None, port: int | None = None, reuse_port: bool | None = None) -> None:
    """Exit with a one-line error if the server could not have the address to itself (see refuse_a_taken_address)."""
    refuse_a_taken_address(server_environment(dict(os.environ), host, port), reuse_port)


def exec_server(
    host: str | None = None, port: int | None = None, workers: int | None = None, reuse_port: bool | None = None
) -> None:
    """Replace this process with granian (so that it receives SIGTERM itself)."""
    env = server_environment(dict(os.environ), host, port, workers)
    app = application(env)
    refuse_a_taken_address(env, reuse_port)
    granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or shutil.which("granian")
    if granian is None:
        raise SystemExit("granian is not installed beside this Python: pip install sanctions-kb")
    sys.stdout.flush()
    os.execve(granian, [granian, app], env)


if __name__ == "__main__":
    exec_server()
