"""Pages of a list: count plus one page of an ordered query, with X-Pagination and RFC 8288 Link headers."""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from collections import OrderedDict
from urllib.parse import urlencode

from flask import current_app, request
from werkzeug.exceptions import NotFound

from ..store.db import order_key
from ..store.reads import note_sql
from .cache import cached_version
from .lookup import reject_filter

PAGINATION_HEADERS = {
    "X-Pagination": {
        "description": "Pagination metadata as JSON: total, total_pages, first_page, last_page, page, "
        "previous_page and next_page (the last two only when they exist), and next_cursor (with next_page, on "
        "lists that take a cursor): pass it as `cursor` with `page=next_page` to read the next page in constant time.",
        "required": True,
        "schema": {"type": "string"},
        "example": '{"total": 43, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2, '
        '"next_cursor": "WzIsIjIwMTctMDgtMDYga2FuZy1yaS1oYW5kc2hha2UtMjAxNy0wOC0wNiJd"}',
    },
    "Link": {
        "description": "RFC 8288 links to the first, previous, next and last pages; the next page's link carries its "
        "cursor where the list takes one. Relative to the host, or absolute (as the client sees the service) behind "
        "trusted proxies (KB_PROXY_HOPS).",
        "required": True,
        "schema": {"type": "string"},
        "example": '</api/v1/entities?page=2&page_size=20>; rel="next", </api/v1/entities?page=3&page_size=20>; rel="last"',
    },
}


PAGE_LINK_HEADER = {
    "description": 'RFC 8288 link to the record\'s HTML page (`rel="alternate"; type="text/html"`): the evidence '
    "view of an article, or a fact with each citation's passage in its paragraph. Relative to the host, or absolute "
    "behind trusted proxies (KB_PROXY_HOPS).",
    "required": True,
    "schema": {"type": "string"},
    "example": '</sources/presstv-manila-talks-2017-08-07>; rel="alternate"; type="text/html"',
}


def service_url(path: str) -> str:
    """A URL of this service as the client sees it: `path` under the prefix a proxy or the server mounts it at
    (SCRIPT_NAME), and behind trusted proxies (KB_PROXY_HOPS) absolute, with the scheme, host and port the client
    used (ProxyFix put them in the environ; the response cache keys such answers by them)."""
    base = f"{request.root_path}{path}"
    if current_app.config.get("KB_PROXY_HOPS"):
        base = f"{request.scheme}://{request.host}{base}"
    return base


def paginate(query, args: dict, page_query=None, keyset=None) -> tuple[list, dict[str, str]]:
    """Return one page of a peewee query's rows (already ordered) and its pagination headers; 404 past the end.

    `page_query`, when given, is what the page is read from (the same rows, other columns); `query` is counted.
    `keyset`, the list's sort-key field (the rows' order), makes cursors: the next page's cursor is the last
    row's key, and a page asked for with its cursor is read as "the next page_size rows after that key", an
    index range that costs the same at any depth; without a cursor a page is read by OFFSET.
    """
    page, page_size = args["page"], args["page_size"]
    total = _count(query)
    total_pages = max(1, math.ceil(total / page_size))
    if page > total_pages:
        raise NotFound(
            f"page {page} is out of range: there {'is' if total_pages == 1 else 'are'} {total_pages} page(s) of {page_size} for {total} item(s)"
        )
    source = page_query if page_query is not None else query
    if keyset is not None and args.get("cursor") is not None:
        after = cursor_position(args["cursor"], page)
        rows = list(source.where(order_key(keyset) > after).limit(page_size))
    else:
        rows = list(source.paginate(page, page_size))
    next_cursor = None
    if keyset is not None and page < total_pages and rows:
        last = rows[-1]
        # A page query of tuples selects the sort key last; a page of rows carries it as its field.
        next_cursor = make_cursor(page + 1, last[-1] if isinstance(last, tuple) else getattr(last, keyset.name))
    return rows, pagination_headers(page, page_size, total, total_pages, next_cursor)


def _count(query) -> int:
    """The number of rows the list's filters select: counted once per data version and filter set in a worker
    (pages of the same list share it), then taken from memory."""
    version = cached_version(request.environ)
    if version is None:  # an answer the cache does not keep (an authenticated read): counted each time
        return query.count()
    filters = tuple(
        sorted((k, v) for k, v in request.args.items(multi=True) if k not in ("page", "page_size", "cursor"))
    )
    return list_counts(current_app).count(query, (version, request.path, filters))


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

    def count(self, query, key: tuple) -> int:
        """The query's count, remembered by `key`."""
        total = self.get(key)
        if total is None:
            total = query.count()
            self.put(key, total)
        else:  # what the count reads, the answer depends on all the same (web/cache.py)
            note_sql(query.sql()[0])
        return total


def list_counts(app) -> ListCounts:
    """The app's memo of list counts (made on first use)."""
    counts = app.extensions.get("list_counts")
    if counts is None:
        counts = app.extensions.setdefault("list_counts", ListCounts())
    return counts


def make_cursor(page: int, after: str) -> str:
    """An opaque cursor: the page it opens and the sort key of the row before it."""
    return base64.urlsafe_b64encode(json.dumps([page, after], separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_position(cursor: str, page: int) -> str:
    """The sort key a cursor starts after; 422 for a cursor this API did not give for this page."""
    try:
        opens, after = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(opens, int) and isinstance(after, str)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid:
        reject_filter("cursor", "not a cursor of this API", "not a cursor of this API: use the one in the Link header")
    if opens != page:
        reject_filter("cursor", f"this cursor opens page {opens}, not page {page}")
    return after


def pagination_headers(
    page: int, page_size: int, total: int, total_pages: int, next_cursor: str | None = None
) -> dict[str, str]:
    meta: dict[str, int | str] = {
        "total": total,
        "total_pages": total_pages,
        "first_page": 1,
        "last_page": total_pages,
        "page": page,
    }
    if page > 1:
        meta["previous_page"] = page - 1
    if page < total_pages:
        meta["next_page"] = page + 1
    if next_cursor is not None:
        meta["next_cursor"] = next_cursor

    base = service_url(request.path)  # the list's own URL

    def url(number: int) -> str:
        params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "page_size", "cursor")]
        params += [("page", str(number)), ("page_size", str(page_size))]
        if number == page + 1 and next_cursor is not None:
            params.append(("cursor", next_cursor))
        return f"{base}?{urlencode(params)}"

    links = [f'<{url(1)}>; rel="first"']
    if "previous_page" in meta:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if "next_page" in meta:
        links.append(f'<{url(page + 1)}>; rel="next"')
    links.append(f'<{url(total_pages)}>; rel="last"')
    return {"X-Pagination": json.dumps(meta), "Link": ", ".join(links)}
