"""Settings, read from the environment with defaults."""

import os
from pathlib import Path

from schemas.limits import MAX_BODY_BYTES

from .bundled import packaged_directory

# The checkout this module sits in, for the tests; the service itself reads nothing from it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Every setting of the service; each one is documented in the README's configuration table."""

    # Database URL understood by peewee's playhouse.db_url: sqlite:///relative.db, sqlite:////abs/path.db,
    # postgresql://user@host:5432/name.
    DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///sanctions-kb.sqlite3")
    # Where the curated facts and the source articles are read from: by default the copies packaged with the
    # service, so that an installed wheel works from any directory.
    KB_FIXTURES_DIR = os.environ.get("KB_FIXTURES_DIR", str(packaged_directory("fixtures")))
    KB_SEEDS_DIR = os.environ.get("KB_SEEDS_DIR", str(packaged_directory("seeds")))

    # Bytes of answers each worker keeps in memory, each until a publication touches what it was made from
    # (web/cache.py); 0 turns it off.
    KB_CACHE_BYTES = int(os.environ.get("KB_CACHE_BYTES", str(16 * 1024 * 1024)))
    # Answers smaller than this many bytes are sent as they are; larger ones of a text-like media type are
    # gzip-compressed for clients that take it (web/http.py). `off` compresses nothing (a proxy in front does it).
    KB_GZIP_MIN_BYTES = os.environ.get("KB_GZIP_MIN_BYTES", "1024")
    # Origins whose pages may read the public API (CORS): `*` any, or a list (comma-separated); empty: none.
    KB_CORS_ORIGINS = os.environ.get("KB_CORS_ORIGINS", "*")
    # Origins whose pages may also write (POST, PATCH, PUT, DELETE, any request with Authorization), such as a
    # curation UI served elsewhere: a comma-separated list, never `*`. Empty by default: writes are same-origin only.
    KB_CORS_WRITE_ORIGINS = os.environ.get("KB_CORS_WRITE_ORIGINS", "")
    # Trusted reverse proxies in front of the service: their X-Forwarded-For/-Proto/-Host/-Port/-Prefix are
    # believed (werkzeug's ProxyFix) and the Link headers' URLs are absolute, as the client sees them. 0: none.
    KB_PROXY_HOPS = int(os.environ.get("KB_PROXY_HOPS", "0"))
    # A deployment that only serves (the image's baked-in database): every write is answered with a problem.
    KB_READ_ONLY = os.environ.get("KB_READ_ONLY", "false").strip().lower() in ("1", "true", "yes")
    # Exports each worker streams at once (resources/exports.py): each holds a server thread until its client has
    # read it, so the worker's other threads stay free for the API; one more is answered 503 with Retry-After.
    KB_EXPORT_STREAMS = int(os.environ.get("KB_EXPORT_STREAMS", "1"))
    # The largest request body taken, in bytes (1 MiB): a larger one is answered 413 before it is read, and a body
    # without Content-Length is cut off there (web/limits.py, through Flask's MAX_CONTENT_LENGTH).
    KB_MAX_BODY_BYTES = int(os.environ.get("KB_MAX_BODY_BYTES", str(MAX_BODY_BYTES)))
    # The workbench's sessions (workbench/): seconds a session lasts from its sign-in whatever happens, and seconds
    # it lasts without a request.
    KB_SESSION_LIFETIME = int(os.environ.get("KB_SESSION_LIFETIME", str(12 * 3600)))
    KB_SESSION_IDLE_TIMEOUT = int(os.environ.get("KB_SESSION_IDLE_TIMEOUT", str(3600)))
    # Failed workbench sign-ins a client address may make within KB_SIGN_IN_WINDOW seconds; past them it is answered
    # 429 with Retry-After until the oldest falls out of the window (counted in the database: every worker alike).
    KB_SIGN_IN_FAILURES = int(os.environ.get("KB_SIGN_IN_FAILURES", "5"))
    KB_SIGN_IN_WINDOW = int(os.environ.get("KB_SIGN_IN_WINDOW", str(15 * 60)))

    API_TITLE = "sanctions-kb"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Swagger UI's assets are served by the service itself (service/web/assets.py), never from a CDN.
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    # No "valid" badge fetched from validator.swagger.io: the page makes no request to another site.
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    OPENAPI_REDOC_PATH = None
