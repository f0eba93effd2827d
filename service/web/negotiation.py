"""What the client takes: an answer whose media type the request's `Accept` does not take is refused with a 406
problem (RFC 9110 12.5.1, 15.5.7) rather than sent anyway. No `Accept`, or one with `*/*`, takes anything; the
service has one representation per URL (JSON, a CSV, an HTML page...), so it refuses rather than chooses."""

from __future__ import annotations

from functools import lru_cache

from flask import Response
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


def takes(accept: str | None, content_type: str | None) -> bool:
    """Whether a request's Accept header takes an answer of this Content-Type."""
    if not accept or not content_type or accept == "*/*":
        return True
    return _takes(accept, content_type.partition(";")[0].strip().lower())


@lru_cache(maxsize=256)
def _takes(accept: str, mimetype: str) -> bool:
    return parse_accept_header(accept, MIMEAccept).quality(mimetype) > 0


def not_acceptable(refused: Response) -> Response:
    """The 406 problem for an answer the client does not take, naming what this URL answers."""
    from .api import problem  # (api reads the cache, which reads this module)

    refused.close()
    return problem(
        406,
        f"this URL answers {refused.mimetype}, which the request's Accept header does not take; ask for "
        f"{refused.mimetype} (or */*)",
    )
