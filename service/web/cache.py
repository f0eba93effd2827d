"""ETags and a response cache keyed by the data version: a repeated GET is answered from memory, a matching
If-None-Match with 304, and neither can outlive the knowledge it was made from.

- ETag of an answer that depends on the knowledge: a hash of the data version and the request target (path and
  query string as sent), the same on every worker and engine for the same knowledge.
- The cache: in each worker, (data version, path, query string) -> the 200 answer's body and headers, least
  recently used out first, bounded by KB_CACHE_BYTES. The version is read on every request
  (store/version.py), so after a load every worker's next answer is built from the new knowledge.
- Answers that do not come from the knowledge (the docs page's files) keep an ETag hashed from their body;
  /health is never cached (it is the probe that asks the database), nor is any request with an Authorization
  header (its answer may depend on who asks).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, request

from ..store.version import data_version, release_connection

UNCACHED_ENDPOINTS = frozenset({"health.Health", "docs_assets.swagger_ui_asset", "docs_assets.favicon", "static"})
KEPT_HEADERS = ("Content-Type", "X-Pagination", "Link", "ETag")


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    headers: tuple[tuple[str, str], ...]  # the ETag included
    etag: str = ""  # quoted

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200  # + the key and bookkeeping


class ResponseCache:
    """Answers by key, bounded in bytes, least recently used evicted first; safe across a worker's threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple, CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CachedAnswer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is not None:
                self._entries.move_to_end(key)
            return answer

    def put(self, key: tuple, answer: CachedAnswer) -> None:
        if answer.size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= previous.size
            self._entries[key] = answer
            self.size += answer.size
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)


class ListCounts:
    """(data version, path, filters) -> the number of rows a list selects, so its pages need not count again;
    the oldest of at most `kept` counts goes first."""

    def __init__(self, kept: int = 4096):
        self.kept = kept
        self._counts: OrderedDict[tuple, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> int | None:
        with self._lock:
            return self._counts.get(key)

    def put(self, key: tuple, total: int) -> None:
        with self._lock:
            self._counts[key] = total
            while len(self._counts) > self.kept:
                self._counts.popitem(last=False)


CACHE_KEY = "sanctions_kb.cache_key"  # where the middleware leaves the request's key for the app


def init_cache(app: Flask) -> None:
    """Answer cached GETs in a WSGI middleware, before Flask builds a request; remember fresh 200 answers."""
    cache = app.extensions["response_cache"] = ResponseCache(app.config["KB_CACHE_BYTES"])
    app.extensions["list_counts"] = ListCounts()
    app.wsgi_app = CacheMiddleware(app.wsgi_app, cache)

    @app.after_request
    def tag_and_remember(response: Response) -> Response:
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
            return response  # (a file, such as the docs page's assets, is made conditional by send_file)
        key = request.environ.get(CACHE_KEY)
        if key is None or request.endpoint in UNCACHED_ENDPOINTS:
            response.add_etag()  # not from the knowledge, or the version could not be read: a hash of the body
            return response.make_conditional(request)
        etag = f'"{hashlib.sha1(repr(key).encode(), usedforsecurity=False).hexdigest()}"'
        response.headers["ETag"] = etag
        kept = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
        cache.put(key, CachedAnswer(response.get_data(), kept, etag))
        if _matches(request.environ.get("HTTP_IF_NONE_MATCH"), etag):
            return Response(status=304, headers=[("ETag", etag)])
        return response


class CacheMiddleware:
    """The hit path, the service's hottest code: read the data version, look the request up, answer from memory.

    Only answers the app produced and remembered are ever served here, so every rule the app applies (input
    checks, routing, errors) has already passed for exactly this request. Anything else goes to the app.
    """

    def __init__(self, wsgi_app, cache: ResponseCache):
        self.wsgi_app = wsgi_app
        self.cache = cache

    def __call__(self, wsgi_env: dict, start_response):
        method = wsgi_env.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in wsgi_env:
            # An authenticated answer may depend on who asks: never served from, nor kept in, the shared cache.
            return self.wsgi_app(wsgi_env, start_response)
        try:
            version = data_version()
        except Exception:  # the database cannot be asked: the app answers (503 or 500 problem) and caches nothing
            release_connection()
            return self.wsgi_app(wsgi_env, start_response)
        key = (version, wsgi_env.get("PATH_INFO", ""), wsgi_env.get("QUERY_STRING", ""))
        answer = self.cache.get(key)
        if answer is None:
            wsgi_env[CACHE_KEY] = key
            return self.wsgi_app(wsgi_env, start_response)
        release_connection()
        if _matches(wsgi_env.get("HTTP_IF_NONE_MATCH"), answer.etag):
            start_response("304 NOT MODIFIED", [("ETag", answer.etag)])
            return []
        start_response("200 OK", [*answer.headers, ("Content-Length", str(len(answer.body)))])
        return [] if method == "HEAD" else [answer.body]


def etag_for(path: str, query: str = "") -> str:
    """The ETag a GET of `path` answers now (quoted): what a write's If-Match is checked against."""
    return f'"{hashlib.sha1(repr((data_version(), path, query)).encode(), usedforsecurity=False).hexdigest()}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header (RFC 9110: a list of entity tags, weak ones compared weakly, or *) matches."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
