"""The Api subclass: one error shape (RFC 9457 problem details) for every error, ours or not; the documentation
every operation shares is added by the ApiDocsPlugin (docs_plugin.py), ETags by the cache (cache.py)."""

from __future__ import annotations

import http
import json
import re

from flask import Flask, Response, current_app, request
from flask_smorest import Api as BaseApi
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge
from werkzeug.routing import UnicodeConverter

from schemas import ProblemSchema
from schemas.writes import RECORD_SHAPES, shape_name

from ..store.db import is_unavailable
from .auth import SECURITY_SCHEME
from .cache import in_session_path
from .docs_plugin import PROBLEM_JSON, ApiDocsPlugin
from .limits import too_large

# The app's extension that renders an error under the workbench's path (SESSION_PATH) as a page for a person:
# error -> response, set by the workbench (service/workbench/views.py).
ERROR_PAGES = "sanctions_kb.error_pages"


class OneOf(UnicodeConverter):
    """A path segment naming one of a few things, and nothing else; the spec gives them as an enum. (A resource that
    answers other names with a 404 listing these routes them to its view by a rule of its own.)"""

    weight = 90  # tried before a segment of any text (100) where both could match

    def __init__(self, map, *items: str) -> None:
        super().__init__(map)
        self.items = tuple(items)
        # The longest first, so that no item stops the match at another that is its prefix.
        self.regex = "|".join(re.escape(item) for item in sorted(self.items, key=len, reverse=True))


class Api(BaseApi):
    """flask-smorest's Api with problem+json errors and an ETag on every successful GET."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        spec_kwargs = {**(spec_kwargs or {}), "extra_plugins": [ApiDocsPlugin()]}
        super().init_app(app, spec_kwargs=spec_kwargs)
        # Lists document their own X-Pagination and Link headers (web/pagination.py) rather than flask-smorest's
        # @blp.paginate, whose metadata schema flask-smorest registers anyway: nothing refers to it, so drop it.
        self.spec.components.schemas.pop("PaginationMetadata", None)
        # What a change's `record` holds, per kind (schemas/writes.py), which ChangeProposal's `record` refers to.
        for create, patch in RECORD_SHAPES.values():
            for shape in (create, patch):
                self.spec.components.schema(shape_name(shape), schema=shape)
        self.spec.components.security_scheme(
            SECURITY_SCHEME,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A curation API token, made with `sanctions-kb token create` (shown once). Reading is "
                "public; operations that need a token say so.",
            },
        )
        # A path segment that is one of a few names (`<one_of(a, b):name>`): those names, as an enum.
        app.url_map.converters["one_of"] = OneOf
        self.register_converter(OneOf, lambda converter: {"type": "string", "enum": sorted(converter.items)})
        # Anything that escapes a view, not only HTTPException, still answers as problem+json.
        app.register_error_handler(Exception, self.handle_unexpected_exception)

    def handle_http_exception(self, error: HTTPException) -> Response:
        error_page = current_app.extensions.get(ERROR_PAGES)
        if error_page is not None and in_session_path(request.environ):
            return error_page(error)  # the workbench answers people: its errors, routing's included, are pages
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        detail = data.get("message") or _describe_messages(messages) or error.description or error.name
        if isinstance(error, RequestEntityTooLarge) and not data.get("message"):
            detail = too_large()  # werkzeug's own says nothing of the limit
        # Keep the headers the exception itself carries (405's Allow, 401's WWW-Authenticate...), not its content type.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return problem(error.code or 500, detail, errors=messages, headers=headers)

    def handle_unexpected_exception(self, error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return self.handle_http_exception(error)
        if is_unavailable(error):
            # The database is down or the connection broke (a restart): say so and let the client retry. The
            # teardown hook in db.py discards the broken connection. Any other database error (a missing table,
            # bad SQL) is a fault: a logged 500 below, whose detail says nothing about the cause.
            current_app.logger.warning("database unavailable on %s: %s", request.path, error)
            return problem(
                503, "the database is unavailable at the moment; retry shortly", headers={"Retry-After": "1"}
            )
        current_app.logger.exception("unhandled error on %s", request.path)
        return self.handle_http_exception(InternalServerError())


def problem(status: int, detail: str, *, errors: dict | None = None, headers: dict | None = None) -> Response:
    """Build an RFC 9457 problem details response."""
    body = {
        "type": "about:blank",
        "title": http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error",
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _describe_messages(messages: dict | None) -> str | None:
    """Turn webargs' {location: {field: [msg]}} into one readable sentence."""
    if not messages:
        return None
    parts = []
    for location, fields in messages.items():
        if not isinstance(fields, dict):
            parts.append(f"{location}: {fields}")
            continue
        noun = {"query": "query parameter", "json": "body field", "headers": "header"}.get(location, location)
        for name, field_messages in fields.items():
            text = " ".join(map(str, field_messages)) if isinstance(field_messages, list) else str(field_messages)
            if text == "Unknown field.":
                text = "Unknown parameter: this endpoint does not take it."
            parts.append(f"{noun} '{name}': {text}")
    return "Invalid request: " + "; ".join(parts)
