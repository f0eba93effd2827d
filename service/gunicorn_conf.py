"""gunicorn settings, each read from the environment with a default.

Used by `sanctions-kb serve` and by the container image (`gunicorn --config python:service.gunicorn_conf
service.wsgi:app`); docs/container.md lists every variable.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, workers get this long to finish the requests they are serving. Docker and podman send SIGKILL
# 10 s after SIGTERM by default: raise their stop timeout (`docker stop -t`, `--stop-timeout`) along with this.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "10"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = os.environ.get("GUNICORN_ACCESS_LOG_FORMAT", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"')
# The workers' heartbeat file goes on a tmpfs: gunicorn's docs warn that a disk-backed /tmp can stall workers,
# and the container image runs with a read-only root filesystem where /tmp may not be writable at all.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
# gunicorn >= 25.1 opens a control socket for `gunicornc` under $XDG_RUNTIME_DIR or ~/.gunicorn; the service does
# not use it, and in the image the home directory is read-only. Older gunicorn ignores the name.
control_socket_disable = True
# Longest request line gunicorn reads; 0 is its own cap of 1 MiB instead of the default 4094 bytes. A query the
# API accepts (several 200-character filters, percent-encoded UTF-8) can be longer than 4 KiB, and an over-long
# one must get the API's 422 problem+json, not gunicorn's HTML 414 (found by the schemathesis gate).
limit_request_line = 0
