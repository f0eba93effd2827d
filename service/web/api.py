"""The Api subclass: one error shape (RFC 9457 problem details), pagination, ETags, and their documentation."""

from __future__ import annotations

import http
import inspect
import json

from apispec import BasePlugin
from flask import Flask, Response, current_app, request
from flask_smorest import Api as BaseApi
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError

from schemas import ProblemSchema

from ..store.db import is_unavailable

PROBLEM_JSON = "application/problem+json"


class Api(BaseApi):
    """flask-smorest's Api with problem+json errors and documented ETag and pagination headers."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app: Flask, *, spec_kwargs: dict | None = None) -> None:
        spec_kwargs = {**(spec_kwargs or {}), "extra_plugins": [SchemaDocsPlugin()]}
        super().init_app(app, spec_kwargs=spec_kwargs)
        # Anything that escapes a view, not only HTTPException, still answers as problem+json.
        app.register_error_handler(Exception, self.handle_unexpected_exception)
        app.after_request(add_etag)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error, as RFC 9457 problem details.", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self) -> None:
        # The lists document their own X-Pagination and Link headers (PAGINATION_HEADERS below) and do not use
        # flask-smorest's @blp.paginate, whose unused PaginationMetadata schema would otherwise be in the spec.
        pass

    def handle_http_exception(self, error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        detail = data.get("message") or _describe_messages(messages) or error.description
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

    def document_conditional_gets(self) -> None:
        """Document on every GET operation the ETag header, If-None-Match and the 304 answer."""
        for operations in self.spec._paths.values():
            operation = operations.get("get")
            if operation is None:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "If-None-Match" for p in parameters if isinstance(p, dict)):
                parameters.append(
                    {
                        "name": "If-None-Match",
                        "in": "header",
                        "required": False,
                        "description": "An ETag from an earlier response; the service answers 304 if it still matches.",
                        "schema": {"type": "string"},
                        "example": '"5c0e1b3c2c1a4f7b9c8d"',
                    }
                )
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if str(status) == "200" and isinstance(response, dict):
                    response.setdefault("headers", {})["ETag"] = dict(ETAG_HEADER)
            responses.setdefault(
                "304",
                {
                    "description": "Not Modified: the If-None-Match ETag still matches.",
                    "headers": {"ETag": dict(ETAG_HEADER)},
                },
            )

    def document_operations(self) -> None:
        """Complete every operation's documentation, generically, once all blueprints are registered.

        - `operationId`, when a view does not set one: the summary in camelCase without articles or
          possessives ("List entities" -> listEntities, "Get an article's text" -> getArticleText);
        - path parameters `<noun>_id`: a description and, as example, the `id` example of the schema the
          path's GET answers with (so Swagger UI's "Try it out" is filled with a real id);
        - lists (operations taking `page`): the 404 they answer for a page past the end.
        """
        examples = self._path_parameter_examples()
        seen: dict[str, str] = {}
        for path, operations in self.spec._paths.items():
            for parameter in operations.get("parameters", []):
                name = parameter.get("name", "")
                if parameter.get("in") == "path" and name.endswith("_id"):
                    noun = name[: -len("_id")].replace("_", " ")
                    parameter.setdefault("description", f"Id of the {noun}: the `id` of its record.")
                    if name in examples:
                        parameter.setdefault("example", examples[name])
            for method, operation in operations.items():
                if method == "parameters" or not isinstance(operation, dict):
                    continue
                operation_id = operation.setdefault(
                    "operationId", _operation_id(operation.get("summary") or f"{method} {path}")
                )
                if operation_id in seen:
                    raise ValueError(
                        f"operationId {operation_id!r} of {method.upper()} {path} is already used by {seen[operation_id]}"
                    )
                seen[operation_id] = f"{method.upper()} {path}"
                parameters = operation.get("parameters", [])
                if any(isinstance(p, dict) and p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                    operation.setdefault("responses", {}).setdefault(
                        "404", self.spec.components.get_ref("response", "NOT_FOUND")
                    )

    def _path_parameter_examples(self) -> dict[str, str]:
        """For each path parameter that ends a path, the `id` example of the record the path's GET returns."""
        schemas = self.spec.to_dict().get("components", {}).get("schemas", {})
        examples: dict[str, str] = {}
        for path, operations in self.spec._paths.items():
            if not path.endswith("}"):
                continue
            name = path.rsplit("{", 1)[1].rstrip("}")
            response = (operations.get("get") or {}).get("responses", {}).get("200") or {}
            schema = (
                (response.get("content") or {}).get("application/json", {}).get("schema", {})
                if isinstance(response, dict)
                else {}
            )
            ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
            example = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}).get("id", {}).get("example")
            if example is not None:
                examples.setdefault(name, example)
        return examples


class SchemaDocsPlugin(BasePlugin):
    """Describe each schema component with its class docstring, so the docs page says what a record is."""

    def schema_helper(self, name, definition, **kwargs) -> dict | None:
        schema = kwargs.get("schema")
        doc = inspect.getdoc(schema if isinstance(schema, type) else type(schema)) if schema is not None else None
        return {"description": doc} if doc else None


ETAG_HEADER = {
    "description": "Validator of this response, for conditional GETs with If-None-Match.",
    "required": True,
    "schema": {"type": "string"},
    "example": '"5c0e1b3c2c1a4f7b9c8d"',
}


def _operation_id(summary: str) -> str:
    """`List a resolution's votes` -> `listResolutionVotes`."""
    words = [w.removesuffix("'s").removesuffix("\u2019s") for w in summary.split()]
    words = [
        w for w in ("".join(c for c in w if c.isalnum()) for w in words if w.lower() not in ("a", "an", "the")) if w
    ]
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


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


def add_etag(response: Response) -> Response:
    """Give every successful GET an ETag and answer 304 to a matching If-None-Match."""
    if request.method in ("GET", "HEAD") and response.status_code == 200 and not response.direct_passthrough:
        response.add_etag()
        response.make_conditional(request)
    return response
