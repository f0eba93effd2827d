"""ETags and a response cache keyed by the data version: a repeated GET is answered from memory, a matching
If-None-Match with 304, and neither can outlive the knowledge it was made from.

- ETag of an answer that depends on the knowledge: a hash of the data version and the request target (path and
  query string as sent), the same on every worker and engine for the same knowledge. Its gzip variant (http.py)
  has the same tag with `-gzip` inside the quotes; If-None-Match with either tag answers 304.
- The cache: in each worker, (data version, path, query string, path prefix) -> the 200 answer's body and
  headers, and its gzip variant compressed once when it is kept (counted in the bound), least recently used out
  first, bounded by KB_CACHE_BYTES. Behind a proxy (KB_PROXY_HOPS) the key adds the scheme and host, which the
  links are then made of. The version is read on every request (store/version.py), so after a load every worker's next answer is
  built from the new knowledge.
- Answers that do not come from the knowledge (the docs page's files) keep an ETag hashed from their body;
  /health is never cached (it is the probe that asks the database), nor is any request with an Authorization
  header (its answer may depend on who asks), nor a streamed answer (an export: its own ETag, compressed as it
  is sent).
- CORS headers (http.py) are added to every answer per request, for its own Origin: never kept in the cache.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, request

from ..store.version import data_version, release_connection
from .http import (
    READ_METHODS,
    CorsPolicy,
    accepts_gzip,
    compressible,
    gzip_body,
    gzip_etag,
    gzip_min_bytes,
    gzip_streamed,
    set_cache_control,
    with_headers,
)

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
CONDITIONAL_HEADERS = ("Cache-Control", "Vary")  # what a 304 repeats of the 200 (RFC 9110 15.4.5), with the ETag


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
    conditional = tuple(header for header in kept if header[0] in CONDITIONAL_HEADERS)
    if gzipped_body is None:
        headers = (*kept, ("ETag", etag), ("Content-Length", str(len(body))))
        return CachedAnswer(body, headers, etag, (("ETag", etag), *conditional), (etag,))
    tag = gzip_etag(etag)
    etags = (etag, tag)
    gzipped = CachedAnswer(
        gzipped_body,
        (*kept, ("ETag", tag), ("Content-Encoding", "gzip"), ("Content-Length", str(len(gzipped_body)))),
        tag,
        (("ETag", tag), *conditional),
        etags,
    )
    headers = (*kept, ("ETag", etag), ("Content-Length", str(len(body))))
    return CachedAnswer(body, headers, etag, (("ETag", etag), *conditional), etags, gzipped)


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
# How long a request waits for another request's answer to the same key before asking the app itself.
FILL_WAIT_SECONDS = 10.0


def init_cache(app: Flask) -> None:
    """Answer cached GETs in a WSGI middleware, before Flask builds a request; remember fresh 200 answers, with
    their gzip variant; give every answer its Cache-Control, and its compression on the way out."""
    cache = app.extensions["response_cache"] = ResponseCache(app.config["KB_CACHE_BYTES"])
    app.extensions["list_counts"] = ListCounts()
    min_bytes = gzip_min_bytes(app.config.get("KB_GZIP_MIN_BYTES", 1024))
    cors = CorsPolicy.from_config(app.config)
    proxied = int(app.config.get("KB_PROXY_HOPS", 0)) > 0
    app.wsgi_app = CacheMiddleware(app.wsgi_app, cache, cors, proxied)

    def gzip_taken() -> bool:
        return min_bytes is not None and accepts_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))

    @app.after_request
    def tag_and_remember(response: Response) -> Response:
        set_cache_control(response, request.method, "HTTP_AUTHORIZATION" in request.environ, request.endpoint)
        typed = compressible(response.mimetype or "")
        if typed:
            response.vary.add("Accept-Encoding")  # on every compressible answer, compressed or not
        if request.method not in READ_METHODS or response.status_code != 200:
            return _finish_other(response, typed, min_bytes, gzip_taken())
        if response.is_streamed:  # an export, or a file: never cached, compressed as it is sent
            return _finish_streamed(response, typed, min_bytes, gzip_taken())
        key = request.environ.get(CACHE_KEY)
        remembered = key is not None and request.endpoint not in UNCACHED_ENDPOINTS
        if remembered:
            etag = etag_of(*key[:3])
        else:
            response.add_etag()  # not from the knowledge, or the version could not be read: a hash of the body
            etag = response.headers["ETag"]
        body = response.get_data()
        kept = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
        taken = gzip_taken()
        # Compressed for this client, or once for the clients the cache will answer (not when it keeps nothing).
        wanted = typed and _large(len(body), min_bytes) and (taken or (remembered and cache.max_bytes > 0))
        answer = answer_for(body, kept, etag, _gzipped(body) if wanted else None)
        if remembered:
            cache.put(key, answer)
        if answer.gzipped is not None and taken:
            answer = answer.gzipped
            response.set_data(answer.body)
            response.headers["Content-Encoding"] = "gzip"
        response.headers["ETag"] = answer.etag
        if _matches(request.environ.get("HTTP_IF_NONE_MATCH"), answer.etags):
            return _not_modified(answer.not_modified)
        return response


def _large(length: int | None, min_bytes: int | None) -> bool:
    return min_bytes is not None and (length is None or length >= min_bytes)


def _gzipped(body: bytes) -> bytes | None:
    """The body compressed, unless compressing does not make it smaller."""
    compressed = gzip_body(body)
    return compressed if len(compressed) < len(body) else None


def _not_modified(headers) -> Response:
    response = Response(status=304)
    del response.headers["Content-Type"]
    response.headers.extend(headers)
    return response


def _finish_streamed(response: Response, typed: bool, min_bytes: int | None, taken: bool) -> Response:
    """A streamed 200 (an export with its own ETag, a docs page file): 304 for either variant's tag, else
    compressed incrementally when the client takes gzip; never read here, never cached."""
    compress = typed and taken and "Content-Encoding" not in response.headers
    compress = compress and _large(response.content_length, min_bytes)
    etag = response.headers.get("ETag")
    if etag is not None:
        tags = (etag.removeprefix("W/"), gzip_etag(etag).removeprefix("W/")) if typed else (etag.removeprefix("W/"),)
        if _matches(request.environ.get("HTTP_IF_NONE_MATCH"), tags):
            response.close()
            conditional = [(name, response.headers[name]) for name in CONDITIONAL_HEADERS if name in response.headers]
            return _not_modified([("ETag", gzip_etag(etag) if compress else etag), *conditional])
    if compress:
        gzip_streamed(response)
    return response


def _finish_other(response: Response, typed: bool, min_bytes: int | None, taken: bool) -> Response:
    """Any other answer (errors, writes, a view's own 304): compressed when large enough and taken."""
    status = response.status_code
    if not (typed and taken) or "Content-Encoding" in response.headers:
        return response
    if status == 304:
        # A view's own 304 (an export's): the tag its 200 would carry for this client, the gzip variant's.
        etag = response.headers.get("ETag")
        # Its Content-Length, when it has one, is the 200's (a file's); an export's is unknown (streamed).
        if etag is not None and not etag.endswith('-gzip"') and _large(response.content_length or None, min_bytes):
            response.headers["ETag"] = gzip_etag(etag)
        return response
    if status < 200 or status in (204, 206):
        return response
    if response.is_streamed:
        if _large(response.content_length, min_bytes):
            gzip_streamed(response)
        return response
    body = response.get_data()
    compressed = _gzipped(body) if _large(len(body), min_bytes) else None
    if compressed is not None:
        response.set_data(compressed)
        response.headers["Content-Encoding"] = "gzip"
        if "ETag" in response.headers:
            response.headers["ETag"] = gzip_etag(response.headers["ETag"])
    return response


class CacheMiddleware:
    """The hit path, the service's hottest code: read the data version, look the request up, answer from memory.

    Only answers the app produced and remembered are ever served here, so every rule the app applies (input
    checks, routing, errors) has already passed for exactly this request. Anything else goes to the app. Every
    answer, hit or not, gets the CORS headers of its request's Origin; a preflight is answered here.
    """

    def __init__(self, wsgi_app, cache: ResponseCache, cors: CorsPolicy | None = None, proxied: bool = False):
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.cors = cors or CorsPolicy(("*",), ())
        self.proxied = proxied
        self._reading, self._reading_default = self.cors.read.get, self.cors.read_default  # one lookup a request
        self._filling: dict[tuple, threading.Event] = {}  # keys being answered by the app now
        self._filling_lock = threading.Lock()

    def __call__(self, wsgi_env: dict, start_response):
        method = wsgi_env.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in wsgi_env:
            # An authenticated answer may depend on who asks: never served from, nor kept in, the shared cache.
            if method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in wsgi_env and "HTTP_ORIGIN" in wsgi_env:
                return self.cors.preflight(wsgi_env, start_response)
            cors = self.cors.writing(wsgi_env.get("HTTP_ORIGIN"))
            return self.wsgi_app(wsgi_env, with_headers(start_response, cors))
        cors = self._reading(wsgi_env.get("HTTP_ORIGIN"), self._reading_default)
        try:
            version = data_version()
        except Exception:  # the database cannot be asked: the app answers (503 or 500 problem) and caches nothing
            release_connection()
            return self.wsgi_app(wsgi_env, with_headers(start_response, cors))
        # The links carry the path prefix, and behind proxies the scheme and host: the answer depends on them.
        key = (version, wsgi_env.get("PATH_INFO", ""), wsgi_env.get("QUERY_STRING", ""), wsgi_env.get("SCRIPT_NAME"))
        if self.proxied:
            key += (wsgi_env.get("wsgi.url_scheme"), wsgi_env.get("HTTP_HOST"))
        answer = self.cache.get(key)
        if answer is None:
            wsgi_env[CACHE_KEY] = key
            if method != "GET" or self.cache.max_bytes == 0:
                return self.wsgi_app(wsgi_env, with_headers(start_response, cors))
            return self._fill(key, wsgi_env, start_response, cors)
        release_connection()
        return self._serve(answer, wsgi_env, start_response, cors)

    def _fill(self, key: tuple, wsgi_env: dict, start_response, cors):
        """A miss. The first request for a key asks the app, which remembers the answer; a request for the same
        key meanwhile (the same page, the same data version) waits for that answer rather than render it again,
        and asks the app itself only if none was remembered (an error, an answer never cached) or the wait ran
        out. After a publication, a page wanted by many readers is rendered once per worker, not once each."""
        with self._filling_lock:
            filling = self._filling.get(key)
            leads = filling is None
            if leads:
                filling = self._filling[key] = threading.Event()
        if leads:
            try:
                return self.wsgi_app(wsgi_env, with_headers(start_response, cors))
            finally:  # the app has answered (and remembered) or failed: the waiting requests go on either way
                with self._filling_lock:
                    del self._filling[key]
                filling.set()
        release_connection()  # no connection held while waiting
        filling.wait(FILL_WAIT_SECONDS)
        answer = self.cache.get(key)
        if answer is None:
            return self.wsgi_app(wsgi_env, with_headers(start_response, cors))
        return self._serve(answer, wsgi_env, start_response, cors)

    @staticmethod
    def _serve(answer: CachedAnswer, wsgi_env: dict, start_response, cors):
        """A remembered answer: its gzip variant for a client that takes it, 304 when the client holds it."""
        method = wsgi_env.get("REQUEST_METHOD")
        if answer.gzipped is not None and accepts_gzip(wsgi_env.get("HTTP_ACCEPT_ENCODING", "")):
            answer = answer.gzipped
        if_none_match = wsgi_env.get("HTTP_IF_NONE_MATCH")
        if if_none_match and _matches(if_none_match, answer.etags):
            start_response("304 NOT MODIFIED", [*answer.not_modified, *cors])
            return []
        start_response("200 OK", [*answer.headers, *cors])
        return [] if method == "HEAD" else [answer.body]


def etag_of(version: str, path: str, query: str) -> str:
    """The ETag (quoted) of the answer to a GET of `path?query` at a data version: the same on every worker and
    engine for the same knowledge. Its gzip variant (http.gzip_etag) names the same answer."""
    return f'"{hashlib.sha1(repr((version, path, query)).encode(), usedforsecurity=False).hexdigest()}"'


def etag_for(path: str, query: str = "") -> str:
    """The ETag a GET of `path` answers now: what a write's If-Match is checked against."""
    return etag_of(data_version(), path, query)


def names_this_answer(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names the answer whose identity ETag is `etag`, as it is or as its gzip
    variant: what a view that answers its own 304 (an export) asks."""
    return _matches(if_none_match, (etag, gzip_etag(etag)))


def _matches(if_none_match: str | None, etags: tuple[str, ...]) -> bool:
    """Whether an If-None-Match header (RFC 9110: a list of entity tags, weak ones compared weakly, or *) names
    one of `etags` (strong, quoted)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") in etags for tag in if_none_match.split(","))
