"""ETags and a response cache keyed by the data version: a repeated GET is answered from memory, a matching
If-None-Match with 304, and neither can outlive the knowledge it was made from.

- ETag of an answer that depends on the knowledge: a hash of the data version and the request target (path and
  query string as sent), the same on every worker and engine for the same knowledge.
- The cache: in each worker, (data version, path, query string) -> the 200 answer's body and headers, least
  recently used out first, bounded by KB_CACHE_BYTES. The version is read on every request
  (store/version.py), so after a load every worker's next answer is built from the new knowledge.
- Answers that do not come from the knowledge (the docs page's files) keep an ETag hashed from their body;
  /health is never cached (it is the probe that asks the database).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, g, request

from ..store.version import data_version

UNCACHED_ENDPOINTS = frozenset({"health.Health", "docs_assets.swagger_ui_asset", "docs_assets.favicon", "static"})
KEPT_HEADERS = ("Content-Type", "X-Pagination", "Link")


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    headers: tuple[tuple[str, str], ...]

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


def init_cache(app: Flask) -> None:
    """Register the cache lookup (before the database connection is opened) and the ETag/remember step."""
    cache = app.extensions["response_cache"] = ResponseCache(app.config["KB_CACHE_BYTES"])

    @app.before_request
    def answer_from_cache() -> Response | None:
        if request.method not in ("GET", "HEAD") or request.url_rule is None:
            return None
        if request.endpoint in UNCACHED_ENDPOINTS:
            return None
        version = data_version()
        key = (version, request.path, request.query_string)
        g.cache_key = key
        g.etag = hashlib.sha1(repr(key).encode(), usedforsecurity=False).hexdigest()
        answer = cache.get(key)
        if answer is None:
            return None
        response = Response(answer.body, headers=list(answer.headers))
        response.set_etag(g.etag)
        return response.make_conditional(request)

    @app.after_request
    def tag_and_remember(response: Response) -> Response:
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
            return response
        key = g.get("cache_key")
        if key is None:
            response.add_etag()  # not from the knowledge: a hash of the body
            return response.make_conditional(request)
        if "ETag" not in response.headers:  # a fresh answer (a cached one already carries its ETag)
            response.set_etag(g.etag)
            kept = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
            cache.put(key, CachedAnswer(response.get_data(), kept))
        return response.make_conditional(request)
