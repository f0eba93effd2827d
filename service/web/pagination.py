"""Pages of a list: count plus one page of an ordered query, with X-Pagination and RFC 8288 Link headers."""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

from flask import request
from werkzeug.exceptions import NotFound

PAGINATION_HEADERS = {
    "X-Pagination": {
        "description": "Pagination metadata as JSON: total, total_pages, first_page, last_page, page, "
        "previous_page and next_page (the last two only when they exist).",
        "required": True,
        "schema": {"type": "string"},
        "example": '{"total": 43, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2}',
    },
    "Link": {
        "description": "RFC 8288 links to the first, previous, next and last pages.",
        "required": True,
        "schema": {"type": "string"},
        "example": '</api/v1/entities?page=2&page_size=20>; rel="next", </api/v1/entities?page=3&page_size=20>; rel="last"',
    },
}


def paginate(query, args: dict, page_query=None) -> tuple[list, dict[str, str]]:
    """Return one page of a peewee query's rows (already ordered) and its pagination headers; 404 past the end.

    `page_query`, when given, is what the page is read from (the same rows, other columns); `query` is counted.
    """
    page, page_size = args["page"], args["page_size"]
    total = query.count()
    total_pages = max(1, math.ceil(total / page_size))
    if page > total_pages:
        raise NotFound(
            f"page {page} is out of range: there {'is' if total_pages == 1 else 'are'} {total_pages} page(s) of {page_size} for {total} item(s)"
        )
    rows = list((page_query if page_query is not None else query).paginate(page, page_size))
    return rows, pagination_headers(page, page_size, total, total_pages)


def pagination_headers(page: int, page_size: int, total: int, total_pages: int) -> dict[str, str]:
    meta = {"total": total, "total_pages": total_pages, "first_page": 1, "last_page": total_pages, "page": page}
    if page > 1:
        meta["previous_page"] = page - 1
    if page < total_pages:
        meta["next_page"] = page + 1

    def url(number: int) -> str:
        params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "page_size")]
        params += [("page", str(number)), ("page_size", str(page_size))]
        return f"{request.path}?{urlencode(params)}"

    links = [f'<{url(1)}>; rel="first"']
    if "previous_page" in meta:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if "next_page" in meta:
        links.append(f'<{url(page + 1)}>; rel="next"')
    links.append(f'<{url(total_pages)}>; rel="last"')
    return {"X-Pagination": json.dumps(meta), "Link": ", ".join(links)}
