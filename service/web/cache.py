"""A response cache that drops an answer only when what it was made from changes: a repeated GET is answered
from memory, and never after the knowledge it was made from has changed.

- The key: in each worker, (path, query string, path prefix) -> the 200 answer's body and headers, and its gzip
  variant, compressed once when it is kept (counted in the bound); behind a proxy (KB_PROXY_HOPS) the scheme and
  host too, which the links are then made of.
- What an answer depends on, noted as the app makes it: an item, its one stored document (`("doc", kind, id)`);
  a list of a kind's records, the kind's documents (`("kind", kind)`); and every table the request's SQL names
  (store/reads.py: a list's filters, counts, lookups; the change feed's `change`). The HTML pages read the
  directory of every record's label, remembered per data version: they depend on everything (None).
- Invalidation: the cache is synced to a data state (store/version.py: epoch, position, version). Each request
  reads the database's state first; when it moved on, the cache reads what each revision since touched
  (`change.touched`, one query) and drops the answers depending on any of it (every revision also writes the
  change feed's and the dataset's rows). A new epoch (a full load), a revision missing or unreadable, a version
  moved with no revision: everything goes. An answer made at an older state than the cache has synced to since is
  kept only if the revisions in between touched none of its dependencies (it may have been read before them).
- The bound: KB_CACHE_BYTES, least recently used out first (0 keeps nothing).
- Misses coalesce: a GET that misses while another request of the worker is answering the same key waits for
  that answer rather than render it again (and asks the app itself if that answer was not kept).
- What is kept, and when, is the app's call (web/http.finish_answer puts fresh 200 answers under cache_key): /health
  is never cached (it is the probe that asks the database), nor is any request with an Authorization header or to
  the workbench (SESSION_PATH: its answer depends on who asks), nor a streamed answer (an export). CORS headers are added per request, outside
  (web/http.py): never kept here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, has_request_context, request

from ..store.reads import tables_read
from ..store.version import DataState, data_state, release_connection, touched_between
from .compression import accepts_gzip
from .conditional import NOT_MODIFIED, gzip_etag, names, not_modified_headers
from .negotiation import takes

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
# The path under which answers depend on who asks through a session cookie (the workbench, service/workbench/):
# never served from, nor kept in, the shared cache, as a request carrying Authorization is not.
SESSION_PATH = "/workbench"
# How long a request waits for another request's answer to the same key before asking the app itself.
FILL_WAIT_SECONDS = 10.0
# Blueprints whose answers depend on everything (none: the pages note the documents whose labels they show).
EVERYTHING_BLUEPRINTS: frozenset[str] = frozenset()
# Revisions whose touched sets a cache remembers, so that an answer made before the latest can still be kept.
LOGGED_REVISIONS = 1024
_KEY = "sanctions_kb.cache_key"  # the request's key, left in its environ by the middleware on a miss
_STATE = "sanctions_kb.cache_state"  # the data state read before the app ran, beside it
_READS = "sanctions_kb.cache_reads"  # what the app read to answer it (Reads)
_SERVED = "sanctions_kb.from_memory"  # the answer the middleware served a request from memory
_SERVED_KEY = "sanctions_kb.from_memory_key"  # and its key

Token = tuple  # ("table", name) | ("kind", kind) | ("doc", kind, id)
Dependencies = frozenset[Token] | None  # None: everything


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    headers: tuple[tuple[str, str], ...]  # what the 200 sends: the ETag and Content-Length included
    etag: str = ""  # quoted
    not_modified: tuple[tuple[str, str], ...] = ()  # what the 304 sends: ETag, Cache-Control, Vary
    etags: tuple[str, ...] = ()  # the tags an If-None-Match may name for a 304: this variant's and its sibling's
    gzipped: CachedAnswer | None = None  # the same answer gzip-compressed, for the clients that take it

    @property
    def content_type(self) -> str | None:
        return next((value for name, value in self.headers if name == "Content-Type"), None)

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


def touched_tokens(touched: object) -> frozenset[Token]:
    """What a revision touched (Change.touched) as dependency tokens: its documents, their kinds (the lists of
    them), the tables whose rows changed, and always the change feed's and the dataset's rows, which every
    publication writes. ValueError for anything else than what publications record."""
    if not isinstance(touched, dict):
        raise ValueError("not a touched set")
    documents, tables = touched.get("documents"), touched.get("tables")
    if not isinstance(documents, list) or not isinstance(tables, list):
        raise ValueError("not a touched set")
    tokens: set[Token] = {("table", "change"), ("table", "dataset")}
    for table in tables:
        if not isinstance(table, str):
            raise ValueError("not a table name")
        tokens.add(("table", table))
    for document in documents:
        if not (isinstance(document, list) and len(document) == 2 and all(isinstance(x, str) for x in document)):
            raise ValueError("not a document key")
        kind, record_id = document
        tokens |= {("doc", kind, record_id), ("kind", kind), ("table", "document")}
    return frozenset(tokens)


@dataclass
class Reads:
    """What the app read to answer one request: the tables its SQL named, and narrower tokens its helpers noted."""

    tables: set[str]
    tokens: set[Token] = field(default_factory=set)
    everything: bool = False

    def dependencies(self) -> Dependencies:
        if self.everything:
            return None
        return frozenset({("table", table) for table in self.tables} | self.tokens)


@contextmanager
def reading_documents(*tokens: Token) -> Iterator[None]:
    """Stored documents read inside depend on `tokens` (an item's one document, a list's kind) rather than on the
    whole document table."""
    reads: Reads | None = request.environ.get(_READS) if has_request_context() else None
    if reads is None:
        yield
        return
    had = "document" in reads.tables
    try:
        yield
    finally:
        if not had:
            reads.tables.discard("document")
        reads.tokens.update(tokens)


def depends_on(tokens: Iterable[Token]) -> None:
    """The answer being made depends on these too (documents it shows something of)."""
    reads: Reads | None = request.environ.get(_READS) if has_request_context() else None
    if reads is not None:
        reads.tokens.update(tokens)


def depends_on_everything() -> None:
    """The answer being made depends on all of the knowledge (read from something the SQL does not show)."""
    reads: Reads | None = request.environ.get(_READS) if has_request_context() else None
    if reads is not None:
        reads.everything = True


def dependencies(wsgi_env: dict, endpoint: str | None) -> Dependencies:
    """What the answer to this request depends on (None: everything)."""
    reads: Reads | None = wsgi_env.get(_READS)
    if reads is None or endpoint is None or endpoint.partition(".")[0] in EVERYTHING_BLUEPRINTS:
        return None
    return reads.dependencies()


@dataclass(frozen=True)
class CacheStats:
    answers: int  # kept now
    bytes: int  # their size, as counted against the bound
    max_bytes: int
    waiting: int  # requests waiting now for another request's answer to the same key
    hits: int = 0  # answers served from memory, since the start
    misses: int = 0  # reads the app answered
    dropped: int = 0  # answers dropped because a revision touched what they were made from (not by the bound)
    cleared: int = 0  # times everything was dropped (a reload, a revision it could not account for)


@dataclass(frozen=True)
class _Entry:
    answer: CachedAnswer
    dependencies: Dependencies


class ResponseCache:
    """Answers by key, bounded in bytes, least recently used evicted first, each kept until a revision touches
    what it depends on; and the misses being answered now. Safe across a worker's threads."""

    def __init__(self, max_bytes: int, touched_between: Callable[[int, int], dict[int, dict] | None] = touched_between):
        self.max_bytes = max_bytes
        self.size = 0
        self.synced: DataState | None = None  # every answer kept is right at this state (or made after it)
        self._touched_between = touched_between
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()  # one sync at a time; reads wait only for the swap of entries
        self._log: dict[int, frozenset[Token]] = {}  # position -> what that revision touched
        self._log_from = 0  # the log holds every revision after this position, up to the synced one
        self._filling: dict[tuple, threading.Event] = {}  # keys being answered by the app now
        self._waiting = 0
        self._hits = self._misses = self._dropped = self._cleared = 0

    # --- following the data -------------------------------------------------------------------------------

    def sync(self, state: DataState) -> None:
        """Follow the database to `state`: drop the answers depending on what the revisions since touched, or
        everything when those cannot be accounted for. An older state than the one synced to changes nothing."""
        if state == self.synced:
            return
        with self._sync_lock:
            current = self.synced
            if state == current:
                return
            logged: dict[int, frozenset[Token]] | None = None
            if current is not None and current.epoch == state.epoch and state.position < current.position:
                return  # read before another request's sync: the cache is ahead of it
            if current is not None and current.epoch == state.epoch and state.position > current.position:
                try:
                    found = self._touched_between(current.position, state.position)
                    if found is not None:
                        logged = {revision: touched_tokens(touched) for revision, touched in found.items()}
                except Exception:  # (a database error, a touched set of another shape): account for nothing
                    logged = None
            with self._lock:
                if logged is None:
                    self._cleared += 1
                    self._entries.clear()
                    self.size = 0
                    self._log, self._log_from = {}, state.position
                else:
                    union = frozenset().union(*logged.values())
                    for key in [
                        k for k, e in self._entries.items() if e.dependencies is None or e.dependencies & union
                    ]:
                        self.size -= self._entries.pop(key).answer.size
                        self._dropped += 1
                    self._log.update(logged)
                    while len(self._log) > LOGGED_REVISIONS:
                        self._log_from = min(self._log)
                        del self._log[self._log_from]
                self.synced = state

    def current(self, state: DataState) -> bool:
        """Whether the answers kept are right at `state` (synced to it, or to a later state of its epoch)."""
        synced = self.synced
        return (
            synced is not None and synced.epoch == state.epoch and (synced.position > state.position or synced == state)
        )

    # --- answers --------------------------------------------------------------------------------------------

    def get(self, key: tuple, state: DataState | None = None) -> CachedAnswer | None:
        """The answer kept for `key`, when it is right at `state` (None: at whatever state the cache is synced to)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (state is not None and not self.current(state)):
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return entry.answer

    def holds(self, key: Hashable, state: DataState) -> bool:
        """Whether the answer for `key` is kept and the cache is synced to exactly `state` (no sync to run first)."""
        return self.synced == state and key in self._entries

    def put(
        self, key: tuple, answer: CachedAnswer, dependencies: Dependencies = None, made: DataState | None = None
    ) -> None:
        """Keep `answer`, made from what `dependencies` names at state `made` (None: at the state synced to), unless
        a revision since `made` touched any of it (or cannot be accounted for)."""
        if answer.size > self.max_bytes:
            return
        with self._lock:
            if made is not None and not self._still_right(dependencies, made):
                return
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= previous.answer.size
            self._entries[key] = _Entry(answer, dependencies)
            self.size += answer.size
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= evicted.answer.size

    def _still_right(self, dependencies: Dependencies, made: DataState) -> bool:
        synced = self.synced
        if synced is None or synced.epoch != made.epoch:
            return False
        if made.position == synced.position:
            return made == synced  # (the same position with another version: not accounted for)
        if made.position > synced.position or made.position < self._log_from or dependencies is None:
            return False
        return not any(self._log[p] & dependencies for p in range(made.position + 1, synced.position + 1))

    def __len__(self) -> int:
        return len(self._entries)

    def answers(self) -> list[CachedAnswer]:
        """The answers kept now, the least recently used first."""
        with self._lock:
            return [entry.answer for entry in self._entries.values()]

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                len(self._entries),
                self.size,
                self.max_bytes,
                self._waiting,
                self._hits,
                self._misses,
                self._dropped,
                self._cleared,
            )

    # --- misses being answered ------------------------------------------------------------------------------

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

    def wait_for(self, key: tuple, timeout: float, state: DataState | None = None) -> CachedAnswer | None:
        """The answer another request is giving for `key`, once it is remembered and right at `state` (None: it
        was not, or `timeout` seconds passed first)."""
        with self._lock:
            filling = self._filling.get(key)
            self._waiting += 1
        try:
            if filling is not None:
                filling.wait(timeout)
        finally:
            with self._lock:
                self._waiting -= 1
        return self.get(key, state)


def init_cache(app: Flask) -> None:
    """Answer cached GETs in a WSGI middleware, before Flask builds a request (what is remembered: web/http.py)."""
    cache = app.extensions["response_cache"] = ResponseCache(app.config["KB_CACHE_BYTES"])
    proxied = int(app.config.get("KB_PROXY_HOPS", 0)) > 0
    middleware: WSGIApplication = CacheMiddleware(app.wsgi_app, cache, proxied)
    app.extensions["response_cache_middleware"] = middleware
    # Flask's documented way to add WSGI middleware, which its typing (wsgi_app, a method) does not allow for; that
    # the middleware is a WSGI app is checked by the annotation above.
    app.wsgi_app = middleware  # type: ignore[method-assign, assignment]


def response_cache(app: Flask) -> ResponseCache:
    """The app's response cache."""
    return app.extensions["response_cache"]


def cache_middleware(app: Flask) -> CacheMiddleware:
    """The app's response cache's middleware."""
    return app.extensions["response_cache_middleware"]


def in_session_path(wsgi_env: WSGIEnvironment) -> bool:
    """Whether the request is for a page of SESSION_PATH, whose answer depends on the session cookie it carries."""
    path = wsgi_env.get("PATH_INFO", "")
    return path.startswith(SESSION_PATH) and (len(path) == len(SESSION_PATH) or path[len(SESSION_PATH)] == "/")


def cache_key(wsgi_env: dict) -> tuple | None:
    """The key the answer to this request is remembered by, when it may be: a read the cache missed, whose data
    state could be read (None for anything else)."""
    return wsgi_env.get(_KEY)


def cached_state(wsgi_env: dict) -> DataState | None:
    """The data state read before the app answered this request, when its answer may be remembered."""
    return wsgi_env.get(_STATE)


def cached_version(wsgi_env: dict) -> str | None:
    """The data version read before the app answered this request, when its answer may be remembered."""
    state = wsgi_env.get(_STATE)
    return state.version if state is not None else None


def from_memory(wsgi_env: dict) -> CachedAnswer | None:
    """The remembered answer this request was served (its 304 included), or None when the app answered it."""
    return wsgi_env.get(_SERVED)


def memory_key(wsgi_env: dict) -> Hashable | None:
    """The key of the remembered answer this request was served, or None when the app answered it."""
    return wsgi_env.get(_SERVED_KEY)


class CacheMiddleware:
    """The hit path, the service's hottest code: read the data state, follow it, look the request up, answer
    from memory.

    Only answers the app produced and remembered are ever served here, so every rule the app applies (input
    checks, routing, errors) has already passed for exactly this request. Anything else goes to the app.
    """

    def __init__(self, wsgi_app: WSGIApplication, cache: ResponseCache, proxied: bool = False):
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.proxied = proxied

    def __call__(self, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = wsgi_env.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in wsgi_env or in_session_path(wsgi_env):
            # An authenticated answer may depend on who asks: never served from, nor kept in, the shared cache.
            return self.wsgi_app(wsgi_env, start_response)
        try:
            state = data_state()  # before the app reads anything: an answer is never kept as newer than it is
        except Exception:  # the database cannot be asked: the app answers (503 or 500 problem) and caches nothing
            release_connection()
            return self.wsgi_app(wsgi_env, start_response)
        self.cache.sync(state)
        key = self.key(wsgi_env)
        answer = self.cache.get(key, state)
        if answer is None:
            wsgi_env[_KEY], wsgi_env[_STATE] = key, state
            if method != "GET" or self.cache.max_bytes == 0:
                return self._answer(wsgi_env, start_response)
            return self._fill(key, state, wsgi_env, start_response)
        release_connection()
        if not takes(wsgi_env.get("HTTP_ACCEPT"), answer.content_type):
            return self.wsgi_app(wsgi_env, start_response)  # the app answers the 406 (and remembers nothing)
        wsgi_env[_SERVED_KEY] = key
        return _serve(answer, wsgi_env, start_response)

    def key(self, wsgi_env: WSGIEnvironment) -> tuple:
        # The links carry the path prefix, and behind proxies the scheme and host: the answer depends on them.
        key: tuple = (
            wsgi_env.get("PATH_INFO", ""),
            wsgi_env.get("QUERY_STRING", ""),
            wsgi_env.get("SCRIPT_NAME"),
        )
        if self.proxied:
            key += (wsgi_env.get("wsgi.url_scheme"), wsgi_env.get("HTTP_HOST"))
        return key

    def holds(self, key: Hashable) -> bool:
        """Whether a request answered from memory under `key` would be again now, with no sync to run first (the
        production server's gateway asks, to answer it without a thread)."""
        try:
            state = data_state()
        except Exception:
            return False
        return self.cache.holds(key, state)

    def _answer(self, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The app's answer, with what it read noted for the cache (web/http.finish_answer keeps it)."""
        with tables_read() as tables:
            wsgi_env[_READS] = Reads(tables)
            return self.wsgi_app(wsgi_env, start_response)

    def _fill(
        self, key: tuple, state: DataState, wsgi_env: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """A miss. The first request for a key asks the app, which remembers the answer; a request for the same
        key meanwhile (the same page) waits for that answer rather than render it again, and asks the app itself
        only if none was remembered (an error, an answer never cached, one a publication made stale meanwhile) or
        the wait ran out. After a publication, a page wanted by many readers is rendered once per worker, not
        once each."""
        if self.cache.start_filling(key) is not None:
            try:
                return self._answer(wsgi_env, start_response)
            finally:  # the app has answered (and remembered) or failed: the waiting requests go on either way
                self.cache.filled(key)
        release_connection()  # no connection held while waiting
        answer = self.cache.wait_for(key, FILL_WAIT_SECONDS, state)
        if answer is None:
            return self._answer(wsgi_env, start_response)
        wsgi_env[_SERVED_KEY] = key
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
