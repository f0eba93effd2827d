"""HTTP for browsers and proxies: CORS, every answer's way out (Cache-Control by class of answer, its ETag and
304, the gzip coding, what the response cache keeps), ProxyFix, redirects that stay on this service.

Everything a request needs here is decided once: the CORS headers of each origin are built at startup (a dict
lookup per request), an Accept-Encoding value is parsed once per distinct value (memoised), a media type's
compressibility likewise. The response cache (cache.py) keeps each answer's gzip variant beside it, compressed
once; answers that are not cached are compressed on the way out (compression.py), streamed ones incrementally.

CORS is applied in a WSGI middleware around the cache's rather than in Flask's after_request (where flask-cors
works), because the cache answers repeated GETs before Flask runs: a hit must carry the same CORS headers as a
miss, computed for the request's own Origin and never stored with the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response, current_app, redirect, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from .cache import (
    KEPT_HEADERS,
    UNCACHED_ENDPOINTS,
    answer_for,
    cache_key,
    cached_state,
    dependencies,
    in_session_path,
    response_cache,
)
from .compression import (
    accepts_gzip,
    compress_uncached,
    compressible,
    gzip_min_bytes,
    gzip_streamed,
    gzipped,
    large_enough,
)
from .conditional import both_variants, etag_of, gzip_etag, names, not_modified, not_modified_headers
from .negotiation import not_acceptable, takes

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

READ_METHODS = ("GET", "HEAD")
# What a page's script may read of an answer, beyond the CORS-safelisted headers (Content-Type, Content-Length...).
EXPOSED_ON_READS = "ETag, Link, X-Pagination"
EXPOSED_ON_WRITES = "ETag, Link, X-Pagination, Location"
# Request headers a reading page may send (If-None-Match for its own revalidation; the others are what fetch()
# callers commonly add). Authorization is not among them: a request carrying it is a write's.
READ_REQUEST_HEADERS = "Accept, Accept-Language, Content-Language, Content-Type, Cache-Control, If-None-Match"
WRITE_REQUEST_HEADERS = f"{READ_REQUEST_HEADERS}, Authorization, If-Match"
WRITE_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
PREFLIGHT_MAX_AGE = "7200"  # seconds a browser may reuse a granted preflight (Chromium's own ceiling)
ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?$")

# Cache-Control by class of answer. The knowledge can change at any moment through the write API, so whatever
# is derived from it is stored only on condition of revalidating with its ETag first.
REVALIDATE = "public, no-cache"
PRIVATE = "private, no-store"  # an authenticated answer: it may depend on who asks
NOT_STORED = "no-store"  # errors, writes and /health: stale the moment they are sent
NOT_STORED_ENDPOINTS = frozenset({"health.Health"})

CorsHeaders = tuple[tuple[str, str], ...]
# CORS headers by the request's Origin, looked up with None when it sends none (never found).
ByOrigin = dict[str | None, CorsHeaders]


# --- CORS -----------------------------------------------------------------------------------------------------


def parse_origins(value: str | Iterable[str], setting: str, *, any_allowed: bool) -> tuple[str, ...]:
    """A setting's origins (comma- or space-separated, or a list), normalised as browsers send them; ("*",) for any.

    Raises ValueError naming the setting for anything that is not an origin (a path, `null`, a `*` where any
    origin is not allowed), so that a misconfigured deployment does not start.
    """
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    origins = []
    for item in items:
        origin = item.strip().rstrip("/").lower()
        if origin == "*":
            if not any_allowed:
                raise ValueError(f"{setting} may not be '*': list the origins to which writes are opened")
            return ("*",)
        if not ORIGIN.match(origin):
            raise ValueError(f"{setting}: {item!r} is not an origin (scheme://host[:port], no path)")
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


class CorsPolicy:
    """Which origins' pages may read the public API, and which may also write; every answer precomputed.

    Reads (GET, HEAD without Authorization): `Access-Control-Allow-Origin: *` by default, or the origin echoed
    for a listed one (with `Vary: Origin` on every read answer, since it then depends on the Origin). Writes (any
    other method, and any request carrying Authorization) only for the origins listed for them, never `*`.
    """

    read_default: CorsHeaders
    read: ByOrigin
    read_preflight_default: CorsHeaders | None
    read_preflight: ByOrigin

    def __init__(self, read_origins: tuple[str, ...], write_origins: tuple[str, ...]):
        self.read_origins, self.write_origins = read_origins, write_origins
        readers = {origin: "readers" for origin in read_origins} | {origin: "writers" for origin in write_origins}
        if read_origins == ("*",):
            # The same two headers for everyone: the answer does not depend on the Origin.
            self.read_default = (
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", EXPOSED_ON_READS),
            )
            self.read = {}
            self.read_preflight_default = (
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "GET, HEAD"),
                ("Access-Control-Allow-Headers", READ_REQUEST_HEADERS),
                ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
            )
            self.read_preflight = {}
        else:
            # Listed origins (a page allowed to write may read too), or none: the answer varies with the Origin.
            self.read_default = (("Vary", "Origin"),) if readers else ()
            self.read = {origin: _echo(origin, EXPOSED_ON_READS) for origin in readers}
            self.read_preflight_default = None
            self.read_preflight = {
                origin: (*_echo(origin), *_preflight("GET, HEAD", READ_REQUEST_HEADERS)) for origin in readers
            }
        self.write_default: CorsHeaders = (("Vary", "Origin"),) if write_origins else ()
        self.write: ByOrigin = {origin: _echo(origin, EXPOSED_ON_WRITES) for origin in write_origins}
        self.write_preflight: ByOrigin = {
            origin: (*_echo(origin), *_preflight(WRITE_METHODS, WRITE_REQUEST_HEADERS)) for origin in write_origins
        }

    @classmethod
    def from_config(cls, config: Mapping) -> CorsPolicy:
        return cls(
            parse_origins(config.get("KB_CORS_ORIGINS", "*"), "KB_CORS_ORIGINS", any_allowed=True),
            parse_origins(config.get("KB_CORS_WRITE_ORIGINS", ""), "KB_CORS_WRITE_ORIGINS", any_allowed=False),
        )

    def writing(self, origin: str | None) -> CorsHeaders:
        """The CORS headers of a write's answer to a page of `origin` (None: not asked by a page); a read's are
        `read.get(origin, read_default)`, looked up by the middleware itself."""
        return self.write.get(origin, self.write_default)

    def headers_for(self, wsgi_env: WSGIEnvironment) -> CorsHeaders:
        """The CORS headers of the answer to this request (a read's or a write's; not a preflight's)."""
        origin = wsgi_env.get("HTTP_ORIGIN")
        if wsgi_env.get("REQUEST_METHOD") in READ_METHODS and "HTTP_AUTHORIZATION" not in wsgi_env:
            return self.read.get(origin, self.read_default)
        return self.writing(origin)

    def preflight(self, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a preflight (OPTIONS with Origin and Access-Control-Request-Method): 204 with what is granted,
        or a 403 problem saying why not (the browser then refuses the request it was asking about)."""
        origin = wsgi_env.get("HTTP_ORIGIN")
        method = wsgi_env.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").strip().upper()
        asked = {h.strip().lower() for h in wsgi_env.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",")}
        if method in READ_METHODS and "authorization" not in asked:
            granted = self.read_preflight.get(origin, self.read_preflight_default)
            refusal = f"this API's answers may not be read by pages of {origin} (KB_CORS_ORIGINS)"
        else:
            granted = self.write_preflight.get(origin)
            what = method if method not in READ_METHODS else f"{method} with Authorization"
            opened = f"only to {', '.join(self.write_origins)}" if self.write_origins else "to no other origin"
            refusal = f"{what} is not open to pages of {origin}: writes are open {opened} (KB_CORS_WRITE_ORIGINS)"
        if granted is not None:
            start_response("204 No Content", list(granted))
            return []
        body = _problem_body(403, refusal, wsgi_env.get("PATH_INFO", ""))
        start_response(
            "403 Forbidden",
            [
                ("Content-Type", "application/problem+json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", NOT_STORED),
                *self.write_default,
            ],
        )
        return [body]


def _echo(origin: str, exposed: str | None = None) -> CorsHeaders:
    headers = (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"))
    return (*headers, ("Access-Control-Expose-Headers", exposed)) if exposed else headers


def _preflight(methods: str, headers: str) -> CorsHeaders:
    return (
        ("Access-Control-Allow-Methods", methods),
        ("Access-Control-Allow-Headers", headers),
        ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
    )


def _problem_body(status: int, detail: str, path_info: str) -> bytes:
    """The shape of web/api.problem, for the answers given before Flask runs."""
    path = path_info.encode("latin-1", "replace").decode("utf-8", "replace")
    body = {"type": "about:blank", "title": "Forbidden", "status": status, "detail": detail, "instance": path}
    return json.dumps(body, ensure_ascii=False).encode()


class CorsMiddleware:
    """Every answer, from memory or not, with the CORS headers of its request's Origin; a preflight answered here."""

    def __init__(self, wsgi_app: WSGIApplication, cors: CorsPolicy):
        self.wsgi_app = wsgi_app
        self.cors = cors
        self._reading, self._reading_default = cors.read.get, cors.read_default  # one lookup a request

    def __call__(self, wsgi_env: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if in_session_path(wsgi_env):
            # The workbench is for pages of this service only: no CORS header, a preflight answered by the app
            # with none either, so a browser lets no other origin's page read or send anything there.
            return self.wsgi_app(wsgi_env, start_response)
        if wsgi_env.get("REQUEST_METHOD") in READ_METHODS and "HTTP_AUTHORIZATION" not in wsgi_env:
            cors = self._reading(wsgi_env.get("HTTP_ORIGIN"), self._reading_default)
        elif (
            wsgi_env.get("REQUEST_METHOD") == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in wsgi_env
            and "HTTP_ORIGIN" in wsgi_env
        ):
            return self.cors.preflight(wsgi_env, start_response)
        else:
            cors = self.cors.writing(wsgi_env.get("HTTP_ORIGIN"))
        return self.wsgi_app(wsgi_env, with_headers(start_response, cors))


def with_headers(start_response: StartResponse, extra: CorsHeaders) -> StartResponse:
    """start_response that adds `extra` to whatever the app answers (or start_response itself when none)."""
    if not extra:
        return start_response

    def start(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
    ) -> Callable[[bytes], object]:
        return start_response(status, [*headers, *extra], exc_info)

    return start


def set_cache_control(response: Response, method: str, authenticated: bool, endpoint: str | None) -> None:
    """Give the answer its class's Cache-Control (module constants); a view's own is kept for public reads, and
    for authenticated ones when it already forbids storing (the token endpoint's `no-store`)."""
    if authenticated:
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = PRIVATE
    elif response.status_code >= 400 or method not in READ_METHODS or endpoint in NOT_STORED_ENDPOINTS:
        response.headers["Cache-Control"] = NOT_STORED
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = REVALIDATE  # (the docs page's assets keep send_file's max-age)


# --- The way out ----------------------------------------------------------------------------------------------


def init_http(app: Flask) -> None:
    """CORS around the response cache (init_cache first), and every answer's way out (finish_answer)."""
    middleware: WSGIApplication = CorsMiddleware(app.wsgi_app, CorsPolicy.from_config(app.config))
    # Flask's documented way to add WSGI middleware, which its typing (wsgi_app, a method) does not allow for; that
    # the middleware is a WSGI app is checked by the annotation above.
    app.wsgi_app = middleware  # type: ignore[method-assign, assignment]
    min_bytes = gzip_min_bytes(app.config.get("KB_GZIP_MIN_BYTES", 1024))

    @app.after_request
    def on_the_way_out(response: Response) -> Response:
        return finish_answer(response, min_bytes)


def finish_answer(response: Response, min_bytes: int | None) -> Response:
    """Give the answer its Cache-Control; tag a 200 read with the hash of what it says (web/conditional.etag_of),
    remember it with its gzip variant and what it was made from when it may be cached, and answer 304 when the
    client holds it; compress what the client takes gzip for. An answer the client's Accept does not take is a 406."""
    acceptable = takes(request.headers.get("Accept"), response.mimetype) or in_session_path(request.environ)
    if response.status_code < 300 and not acceptable:  # (the workbench's pages are for browsers: always a page)
        response = not_acceptable(response)
    set_cache_control(response, request.method, "HTTP_AUTHORIZATION" in request.environ, request.endpoint)
    typed = compressible(response.mimetype or "")
    if typed:
        response.vary.add("Accept-Encoding")  # on every compressible answer, compressed or not
    taken = min_bytes is not None and accepts_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))
    if request.method not in READ_METHODS or response.status_code != 200:
        return compress_uncached(response, min_bytes) if typed and taken else response
    if response.is_streamed:  # an export, or a file: never cached, compressed as it is sent
        return _finish_streamed(response, typed, taken, min_bytes)
    key = cache_key(request.environ) if request.endpoint not in UNCACHED_ENDPOINTS else None  # None: not remembered
    body = response.get_data()
    etag = etag_of(body, response.headers.get("X-Pagination"))
    kept = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
    cache = response_cache(current_app)
    # Compressed for this client, or once for the clients the cache will answer (not when it keeps nothing).
    wanted = typed and large_enough(len(body), min_bytes) and (taken or (key is not None and cache.max_bytes > 0))
    answer = answer_for(body, kept, etag, gzipped(body) if wanted else None)
    if key is not None:
        cache.put(key, answer, dependencies(request.environ, request.endpoint), cached_state(request.environ))
    if answer.gzipped is not None and taken:
        answer = answer.gzipped
        response.set_data(answer.body)
        response.headers["Content-Encoding"] = "gzip"
    response.headers["ETag"] = answer.etag
    if names(request.environ.get("HTTP_IF_NONE_MATCH"), answer.etags):
        return not_modified(answer.not_modified)
    return response


def _finish_streamed(response: Response, typed: bool, taken: bool, min_bytes: int | None) -> Response:
    """A streamed 200 (an export with its own ETag, a docs page file): 304 for either variant's tag, else
    compressed incrementally when the client takes gzip; never read here, never cached."""
    compress = typed and taken and "Content-Encoding" not in response.headers
    compress = compress and large_enough(response.content_length, min_bytes)
    etag = response.headers.get("ETag")
    if etag is not None:
        tags = both_variants(etag) if typed else (etag.removeprefix("W/"),)
        if names(request.environ.get("HTTP_IF_NONE_MATCH"), tags):
            response.close()
            # (werkzeug's Headers has the `in` and [] that not_modified_headers reads, but is not a Mapping.)
            tag = gzip_etag(etag) if compress else etag
            return not_modified(not_modified_headers(tag, response.headers))
    if compress:
        gzip_streamed(response)
    return response


# --- Proxies --------------------------------------------------------------------------------------------------


def init_proxies(app: Flask) -> None:
    """Behind KB_PROXY_HOPS trusted proxies, take the client's address, scheme, host, port and path prefix from
    their X-Forwarded-* headers (werkzeug's ProxyFix, outermost: the cache's key and the links see them); proxied
    or not, redirects name no host at all (init_redirects)."""
    init_redirects(app)
    hops = int(app.config.get("KB_PROXY_HOPS", 0))
    if hops > 0:
        proxied: WSGIApplication = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
        app.wsgi_app = proxied  # type: ignore[method-assign, assignment]  # (as in init_http)


# --- Redirects ------------------------------------------------------------------------------------------------

# Characters left as they are in a path (werkzeug's own choice when it builds one: the WHATWG path-segment set and
# "/"); anything else, a tab or a backslash included, is percent-encoded.
PATH_SAFE = "!$&'()*+,/:;=@"
QUERY_SAFE = PATH_SAFE + "?%[]"  # a query keeps its own escapes
# The host the routing redirects are worked out for: a fixed name, so that nothing of the request's own Host (or
# X-Forwarded-Host) can get into a Location.
ROUTING_HOST = "service.invalid"


def is_web_url(value: object) -> bool:
    """Whether a URL is one a page may link to: http or https. Any other scheme (javascript:, data:, vbscript:...)
    would run or load something in the page when followed, so it is shown as text."""
    return isinstance(value, str) and WEB_URL.match(value) is not None


WEB_URL = re.compile(r"https?://", re.IGNORECASE)


def init_redirects(app: Flask) -> None:
    """Answer werkzeug's routing redirects (a doubled slash, merge_slashes: 308) and a trailing slash the route
    does not have (308 to the route) with a path-absolute Location."""
    app.before_request(redirect_within_the_service)


def redirect_within_the_service() -> BaseResponse | None:
    """werkzeug builds a routing redirect's URL from the request's scheme and Host (X-Forwarded-Host behind
    ProxyFix), which anyone can send, and Flask answers it without an error handler; match the path again for a
    fixed host instead, and answer with the path and query under the mount's prefix only."""
    if isinstance(request.routing_exception, NotFound):
        return _without_the_trailing_slash()
    if not isinstance(request.routing_exception, RequestRedirect):
        return None
    adapter = current_app.url_map.bind(
        ROUTING_HOST, path_info=request.path, query_args=request.environ.get("QUERY_STRING", "")
    )
    try:
        adapter.match(method=request.method)
    except RequestRedirect as again:
        target = urlsplit(again.new_url)
        query = quote(target.query.encode("latin-1"), safe=QUERY_SAFE) if target.query else ""
        return redirect(service_location(target.path + (f"?{query}" if query else "")), request.routing_exception.code)
    raise NotFound()  # (the same path routes without a redirect for another host: not for this map's rules)


def _without_the_trailing_slash() -> BaseResponse | None:
    """`/api/v1/entities/` is `/api/v1/entities`: a path that routes once its one trailing slash is dropped is
    redirected there (308, so the method and body are kept), with its query; any other unknown path stays a 404."""
    path = request.path
    if len(path) < 2 or not path.endswith("/") or path.endswith("//"):
        return None
    adapter = current_app.url_map.bind(ROUTING_HOST, path_info=path[:-1])
    try:
        adapter.match(method=request.method)
    except HTTPException:  # no route there either (or a redirect of its own: not followed twice)
        return None
    query = request.environ.get("QUERY_STRING", "")
    query = quote(query.encode("latin-1"), safe=QUERY_SAFE) if query else ""
    return redirect(service_location(quote(path[:-1], safe=PATH_SAFE) + (f"?{query}" if query else "")), 308)


def service_location(path: str) -> str:
    """A Location for `path` (percent-encoded, from the application's root, with its query) on this service: under
    the prefix the application is mounted at (SCRIPT_NAME, encoded), as a path-absolute reference. Never
    `//host/...`, or `/\\host/...`, which a browser reads as another host's URL, whatever the prefix holds."""
    return "/" + (quote(request.root_path, safe=PATH_SAFE) + path).lstrip("/")
