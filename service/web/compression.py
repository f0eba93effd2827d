"""The gzip content coding: which clients take it, which answers are worth it, how they are compressed.

Compressing is deterministic (no timestamp, one level), so every worker, a hit and a miss give the same bytes and
the cache (cache.py) can keep each answer's gzip variant beside it, compressed once. Answers that are not cached
are compressed on the way out (web/http.py), streamed ones incrementally, in constant memory. A compressed
answer's ETag is its gzip variant's (web/conditional.gzip_etag).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache

from flask import Response
from werkzeug.http import parse_accept_header

from .conditional import gzip_etag

GZIP_LEVEL = 6  # zlib's default: the same bytes on a miss, a hit and every worker
# Media types worth compressing, besides text/* and the structured suffixes +json and +xml.
COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/javascript",
        "application/xml",
        "application/x-bibtex",
        "application/yaml",
        "image/svg+xml",
    }
)


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value (RFC 9110 12.5.3) takes gzip: listed (or x-gzip) with q > 0, or covered by
    `*` with q > 0 and not refused by name. No header, or an empty one, asks for the identity."""
    qualities = {value.lower(): quality for value, quality in parse_accept_header(accept_encoding)}
    for name in ("gzip", "x-gzip", "*"):
        if name in qualities:
            return qualities[name] > 0
    return False


@lru_cache(maxsize=128)
def compressible(mimetype: str) -> bool:
    """Whether answers of this media type (no parameters) are worth compressing."""
    return mimetype.startswith("text/") or mimetype in COMPRESSIBLE or mimetype.endswith(("+json", "+xml"))


def gzip_body(body: bytes) -> bytes:
    """The body gzip-compressed: deterministic (no timestamp in the header), so every worker gives the same bytes."""
    return zlib.compress(body, GZIP_LEVEL, wbits=31)


class GzipStream:
    """A streamed body compressed as it is sent, in constant memory; closing it closes the source (a response's
    iterable, of bytes or of text encoded as UTF-8, as werkzeug sends it)."""

    def __init__(self, source: Iterable[bytes] | Iterable[str]):
        self.source = source

    def __iter__(self) -> Iterator[bytes]:
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        for chunk in self.source:
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if out := compressor.compress(chunk):
                yield out
        yield compressor.flush()

    def close(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()


def gzip_streamed(response: Response) -> None:
    """Compress a streamed response on the way out (its ETag becomes the gzip variant's)."""
    response.response = GzipStream(response.response)
    response.direct_passthrough = False  # so that werkzeug closes the response, and GzipStream its source
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Content-Length", None)
    response.headers.pop("Accept-Ranges", None)  # ranges are of the identity only
    if "ETag" in response.headers:
        response.headers["ETag"] = gzip_etag(response.headers["ETag"])


def gzip_min_bytes(value: str | int | None) -> int | None:
    """KB_GZIP_MIN_BYTES: a number of bytes, or `off` (None: nothing is compressed)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    return int(value)


def large_enough(length: int | None, min_bytes: int | None) -> bool:
    """Whether an answer of `length` bytes (None: unknown, streamed) is worth compressing at KB_GZIP_MIN_BYTES."""
    return min_bytes is not None and (length is None or length >= min_bytes)


def gzipped(body: bytes) -> bytes | None:
    """The body compressed, unless compressing does not make it smaller."""
    compressed = gzip_body(body)
    return compressed if len(compressed) < len(body) else None


def compress_uncached(response: Response, min_bytes: int | None) -> Response:
    """An answer that is not cached, to a client that takes gzip (errors, writes, a view's own 304): compressed
    when it is large enough (streamed as it is sent)."""
    status = response.status_code
    if "Content-Encoding" in response.headers:
        return response
    if status == 304:
        # A view's own 304 (an export's): the tag its 200 would carry for this client, the gzip variant's.
        etag = response.headers.get("ETag")
        # Its Content-Length, when it has one, is the 200's (a file's); an export's is unknown (streamed).
        if (
            etag is not None
            and not etag.endswith('-gzip"')
            and large_enough(response.content_length or None, min_bytes)
        ):
            response.headers["ETag"] = gzip_etag(etag)
        return response
    if status < 200 or status in (204, 206):
        return response
    if response.is_streamed:
        if large_enough(response.content_length, min_bytes):
            gzip_streamed(response)
        return response
    body = response.get_data()
    compressed = gzipped(body) if large_enough(len(body), min_bytes) else None
    if compressed is not None:
        response.set_data(compressed)
        response.headers["Content-Encoding"] = "gzip"
        if "ETag" in response.headers:
            response.headers["ETag"] = gzip_etag(response.headers["ETag"])
    return response
