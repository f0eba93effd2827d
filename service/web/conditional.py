"""Conditional requests, in one place: the ETag of an answer, If-None-Match and If-Match, the 304.

- An answer is tagged with a hash of what it says: its body, and for a page of a list its X-Pagination (the
  total can change while the page's records do not). Both engines give the same bytes, so the same tag, on every
  worker; it changes only when the answer does (`etag_of`). A streamed export, whose bytes are not known before
  they are sent, is tagged by the data version it is read at and its URL instead (`version_etag`).
- Its gzip variant (web/compression.py) is another representation of the same answer (RFC 9110 8.8.3): the same
  tag with `-gzip` inside the quotes (`gzip_etag`). A client holding either holds the answer.
- `If-None-Match` (reads: 304 when it names the answer) and `If-Match` (writes: 412 when it does not) are read by
  one matcher, `names`: a list of tags, each compared weakly (a `W/` tag names the answer as its strong form
  does), or `*` for any.
- A 304 carries the tag of the variant the client would have been sent, and what the 200 would say of caching
  (Cache-Control, Vary: RFC 9110 15.4.5), with no body and no Content-Type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from flask import Response
from werkzeug.datastructures import Headers

NOT_MODIFIED = "304 NOT MODIFIED"  # the status line, as Flask words it
REPEATED_BY_304 = ("Cache-Control", "Vary")  # what a 304 repeats of its 200, beside the ETag


def etag_of(body: bytes, pagination: str | None = None) -> str:
    """The ETag (quoted) of an answer saying `body`, with `pagination` (its X-Pagination) for a page of a list."""
    digest = hashlib.sha1(body, usedforsecurity=False)
    if pagination is not None:
        digest.update(b"\nX-Pagination: " + pagination.encode())
    return f'"{digest.hexdigest()}"'


def version_etag(version: str, path: str, query: str) -> str:
    """The ETag (quoted) of a streamed answer to a GET of `path?query` at a data version (an export)."""
    return f'"{hashlib.sha1(repr((version, path, query)).encode(), usedforsecurity=False).hexdigest()}"'


def gzip_etag(etag: str) -> str:
    """The entity tag of an answer's gzip variant: `"x"` -> `"x-gzip"`, `W/"x"` -> `W/"x-gzip"`."""
    return f'{etag[:-1]}-gzip"' if etag.endswith('"') else f"{etag}-gzip"


def both_variants(etag: str) -> tuple[str, str]:
    """The tags naming the answer whose identity tag is `etag`: its own and its gzip variant's (strong)."""
    strong = etag.removeprefix("W/")
    return strong, gzip_etag(strong)


def names(header: str | None, etags: Iterable[str]) -> bool:
    """Whether an If-None-Match or If-Match value names one of `etags` (strong, quoted): `*` names any answer; a
    list names each of its tags, a weak one as its strong form. No header (or an empty one) names nothing."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") in etags for tag in header.split(","))


def not_modified_headers(etag: str, headers: Mapping[str, str] | Headers) -> tuple[tuple[str, str], ...]:
    """What a 304 sends for the variant tagged `etag` whose 200 sends `headers`: the tag, then what it repeats."""
    return (("ETag", etag), *((name, headers[name]) for name in REPEATED_BY_304 if name in headers))


def not_modified(headers: Iterable[tuple[str, str]], content_type: str | None = None) -> Response:
    """A 304 with `headers` (not_modified_headers). A view's own 304 names its 200's `content_type`, for the way
    out (web/http.py: Vary and the gzip variant's tag, as for its 200); a 304 is never sent with one."""
    response = Response(status=304, content_type=content_type)
    if content_type is None:
        del response.headers["Content-Type"]
    response.headers.extend(headers)
    return response
