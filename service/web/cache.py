"""A response cache keyed by the data version: a repeated GET is answered from memory, and never after the
knowledge it was made from has changed.

- The key: in each worker, (data version, path, query string, path prefix) -> the 200 answer's body and headers,
  and its gzip variant, compressed once when it is kept (counted in the bound); behind a proxy (KB_PROXY_HOPS)
  the scheme and host too, which the links are then made of. The version is read on every request
  (store/version.py), so after a load every worker's next answer is built from the new knowledge: an older
  answer is never looked up again, and goes as the least recently used.
- The bound: KB_CACHE_BYTES, least recently used out first (0 keeps nothing).
- Misses coalesce: a GET that misses while another request of the worker is answering the same key waits for
  that answer rather than render it again.
- What is kept, and when, is the app's call (web/http.finish_answer puts fresh 200 answers under cache_key): /health
  is never cached (it is the probe that asks the database), nor is any request with an Authorization header (its
  answer may depend on who asks), nor a streamed answer (an export). CORS headers are added per request, outside
  (web/http.py): never kept here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask

from ..store.version import data_version, release_connection
from .compression import accepts_gzip
from .conditional import NOT_MODIFIED, gzip_etag, names, not_modified_headers

UNCACHED_ENDPOINTS = frozenset(
    {"health.Health", "docs_assets.swagger_ui_asset", "docs_assets.favicon", "static", "pages.asset"}
)
# The headers kept with a cached answer, besides those of its variant (ETag, Content-Encoding, Content-Length).
KEPT_HEADERS = (
    "Content-Type",
    "X-Pagination",
    "Link",
    "Cache-Control",
    "Vary",
    "Content-Security-Policy",  # the HTML pages'
    "X-Content-Type-Options",
)
# How long a request waits for another request's answer to the same key before asking the app itself.
FILL_WAIT_SECONDS = 10.0
_KEY = "sanctions_kb.cache_key"  # the request's key, left in its environ by the middleware on a miss
_SERVED = "sanctions_kb.from_memory"  # the answer the middleware served a request from memory


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    headers: tuple[tuple[str, str], ...]  # what the 200 sends: the ETag and Content-Length included
    etag: str = ""  # quoted
    not_modified: tuple[tuple[str, str], ...] = ()  # what the 304 sends: ETag, Cache-Control, Vary
    etags: tuple[str, ...] = ()  # the tags an If-None-Match may name for a 304: this variant's and its sibling's
    gzipped: CachedAnswer | None = None  # the same answer gzip-compressed, for the clients that take it

    @property
    def size(self) -> int:
        own = len(self.body) + sum(len(k) + len(v) for k, v in (*self.headers, *self.not_modified)) + 200
        return own + (self.gzipped.size if self.gzipped is not None else 0)  # + the key and bookkeeping


def answer_for(body: bytes, kept: tuple[tuple[str, str], ...], etag: str, gzipped_body: bytes | None) -> CachedAnswer:
    """The answer's identity variant, and its gzip variant when given."""
    repeated = dict(kept)
    headers = (*kept, ("ETag", etag), ("Content-Length", str(len(body))))
    if gzipped_body is None:
        return CachedAnswer(body, headers, etag, not_modified_headers(etag, repeated), (etag,))
    tag = gzip_etag(etag)
    etags = (etag, tag)
    gzipped = CachedAnswer(
        gzipped_body,
        (*kept, ("ETag", tag), ("Content-Encoding", "gzip"), ("Content-Length", str(len(gzipped_body)))),
        tag,
        not_modified_headers(tag, repeated),
        etags,
    )
    return CachedAnswer(body, headers, etag, not_modified_headers(etag, repeated), etags, gzipped)


@dataclass(frozen=True)
class CacheStats:
    answers: int  # kept now
    bytes: int  # their size, as counted against the bound
    max_bytes: int
    waiting: int  # requests waiting now for another request's answer to the same key


class ResponseCache:
    """Answers by key, bounded in bytes, least recently used evicted first, and the misses being answered now;
    safe across a worker's threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple, CachedAnswer] = OrderedDict()
        self._lock = threading.Lock()
        self._filling: dict[tuple, threading.Event] = {}  # keys being answered by the app now
        self._waiting = 0

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

    def answers(self) -> list[CachedAnswer]:
        """The answers kept now, the least recently used first."""
        with self._lock:
            return list(self._entries.values())

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._entries), self.size, self.max_bytes, self._waiting)

    def start_filling(self, key: tuple) -> threading.Event | None:
        """An event to set once the app has answered `key` (see `filled`), or None when another request is
        answering it already."""
        with self._lock:
            if key in self._filling:
                return None
            filling = self._filling[key] = threading.Event()
            return filling

    def filled(self, key: tuple) -> None:
        """The app has answered `key` (and the answer was remembered, or not): the requests waiting for it go on."""
        with self._lock:
            filling = self._filling.pop(key)
        filling.set()

    def wait_for(self, key: tuple, timeout: float) -> CachedAnswer | None:
        """The answer another request is giving for `key`, once it is remembered (None: it was not, or `timeout`
        seconds passed first)."""
        with self._lock:
            filling = self._filling.get(key)
            self._waiting += 1
        try:
            if filling is not None:
                filling.wait(timeout)
        finally:
            with self._lock:
                self._waiting -= 1
        return self.get(key)


def init_cache(app: Flask) -> None:
    """Answer cached GETs in a WSGI middleware, before Flask builds a request (what is remembered: web/http.py)."""
    cache = app.extensions["response_cache"] = ResponseCache(app.config["KB_CACHE_BYTES"])
    proxied = int(app.config.get("KB_PROXY_HOPS", 0)) > 0
    middleware: WSGIApplication = CacheMiddleware(app.wsgi_app, cache, proxied)
    # Flask's documented way to add WSGI middleware, which its typing (wsgi_app, a method) does not allow for; that
    # the middleware is a WSGI app is checked by the annotation above.
    app.wsgi_app = middleware  # type: ignore[method-assign, assignment]


def response_cache(app: Flask) -> ResponseCache:
    """The app's response cache."""
    return app.extensions["response_cache"]


def cache_key(wsgi_env: dict) -> tuple | None:
    """The key the answer to this request is remembered by, when it may be: a read the cache missed, whose data
    version could be read (None for anything else)."""
    return wsgi_env.get(_KEY)


def cached_version(wsgi_env: dict) -> str | None:
    """The data version the answer to this request is remembered at, when it may be (see cache_key)."""
    key = wsgi_env.get(_KEY)
    return key[0] if key is not None else None


def from_memory(wsgi_env: dict) -> CachedAnswer | None:
    """The remembered answer this request was served (its 304 included), or None when the app answered it."""
    return wsgi_env.get(_SERVED)


class CacheMiddleware:
    """The hit path, the service's hottest code: read the data version, look the request up, answer from memory.

    Only answers the app produced and remembered are ever served here, so every rule the app applies (input
    checks, routing, errors) has already passed for exactly this request. Anything else goes to the app.
    """

    def __init__(self, wsgi_app: WSGIApplication, cache: ResponseCache, proxied: bool = False):
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.proxied = proxied

    def __call__(self, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = wsgi_env.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in wsgi_env:
            # An authenticated answer may depend on who asks: never served from, nor kept in, the shared cache.
            return self.wsgi_app(wsgi_env, start_response)
        try:
            version = data_version()
        except Exception:  # the database cannot be asked: the app answers (503 or 500 problem) and caches nothing
            release_connection()
            return self.wsgi_app(wsgi_env, start_response)
        # The links carry the path prefix, and behind proxies the scheme and host: the answer depends on them.
        key: tuple = (
            version,
            wsgi_env.get("PATH_INFO", ""),
            wsgi_env.get("QUERY_STRING", ""),
            wsgi_env.get("SCRIPT_NAME"),
        )
        if self.proxied:
            key += (wsgi_env.get("wsgi.url_scheme"), wsgi_env.get("HTTP_HOST"))
        answer = self.cache.get(key)
        if answer is None:
            wsgi_env[_KEY] = key
            if method != "GET" or self.cache.max_bytes == 0:
                return self.wsgi_app(wsgi_env, start_response)
            return self._fill(key, wsgi_env, start_response)
        release_connection()
        return _serve(answer, wsgi_env, start_response)

    def _fill(self, key: tuple, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """A miss. The first request for a key asks the app, which remembers the answer; a request for the same
        key meanwhile (the same page, the same data version) waits for that answer rather than render it again,
        and asks the app itself only if none was remembered (an error, an answer never cached) or the wait ran
        out. After a publication, a page wanted by many readers is rendered once per worker, not once each."""
        if self.cache.start_filling(key) is not None:
            try:
                return self.wsgi_app(wsgi_env, start_response)
            finally:  # the app has answered (and remembered) or failed: the waiting requests go on either way
                self.cache.filled(key)
        release_connection()  # no connection held while waiting
        answer = self.cache.wait_for(key, FILL_WAIT_SECONDS)
        if answer is None:
            return self.wsgi_app(wsgi_env, start_response)
        return _serve(answer, wsgi_env, start_response)


def _serve(answer: CachedAnswer, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """A remembered answer: its gzip variant for a client that takes it, 304 when the client holds it."""
    if answer.gzipped is not None and accepts_gzip(wsgi_env.get("HTTP_ACCEPT_ENCODING", "")):
        answer = answer.gzipped
    wsgi_env[_SERVED] = answer
    if names(wsgi_env.get("HTTP_IF_NONE_MATCH"), answer.etags):
        start_response(NOT_MODIFIED, list(answer.not_modified))
        return []
    start_response("200 OK", list(answer.headers))
    return [] if wsgi_env.get("REQUEST_METHOD") == "HEAD" else [answer.body]
