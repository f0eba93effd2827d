"""ASGI entry point for granian, as the production server runs it: `granian --interface asgi service.asgi:app`.

The Flask app behind web/gateway.Gateway: each request's body is received whole on the event loop (at most
KB_MAX_BODY_BYTES, within KB_BODY_TIMEOUT seconds) before the app runs on one of KB_THREADS threads.
"""

import os

from . import create_app
from .web.cache import cache_middleware
from .web.gateway import Gateway
from .web.http import CorsPolicy

DEFAULT_MAX_BODY_BYTES = 1024 * 1024

flask_app = create_app()
app = Gateway(
    flask_app,
    threads=int(os.environ.get("KB_THREADS", "2")),
    # The app's own limit (the same setting), enforced here before the body is read.
    max_body_bytes=int(flask_app.config.get("KB_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
    body_timeout=float(os.environ.get("KB_BODY_TIMEOUT", "10")),
    # Answers from memory are given on the event loop only where reading the data state is local (SQLite).
    in_memory=cache_middleware(flask_app).holds if flask_app.config["DATABASE_URL"].startswith("sqlite") else None,
    cors=CorsPolicy.from_config(flask_app.config),  # the app's, for the gateway's own 408 and 413
)
