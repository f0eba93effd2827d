"""The documentation every operation shares, added by an apispec plugin as flask-smorest registers each view:
problem+json errors, operationIds from endpoint names, path parameters described with a real example id, ETag,
If-None-Match and 304 on every GET, the 404 a list answers past its last page, and the links between the curation
API's operations (LINKS)."""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any

from apispec import BasePlugin

from schemas.fields import fields_of

from ..knowledge.kinds import BY_NAME
from .guard import MAX_PARAMETER_LENGTH, TEXT_PATTERN

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

ETAG_HEADER = {
    "description": "Validator of this response, for conditional GETs with If-None-Match.",
    "required": True,
    "schema": {"type": "string"},
    "example": '"5c0e1b3c2c1a4f7b9c8d"',
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier response; the service answers 304 if it still matches.",
    "schema": {"type": "string"},
    "example": '"5c0e1b3c2c1a4f7b9c8d"',
}
NOT_MODIFIED = {
    "description": "Not Modified: the If-None-Match ETag still matches.",
    "headers": {"ETag": ETAG_HEADER},
}

CONTENT_TOO_LARGE = {
    "description": "Content Too Large: the body is over the service's limit (`KB_MAX_BODY_BYTES`, 1 MiB by "
    "default), refused before it is read; nothing is stored.",
    "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
}
# OpenAPI links: which operation a response leads to, with the values it takes from that response. They document
# the curation workflow (propose, read, review) for clients, and the contract gate's stateful phase follows them
# (schemathesis: a proposed change is then read, approved and rejected by its real number). Per operationId and
# status code. A change names its record by `kind` and `record_id`, and a link cannot depend on a value of the
# response: a link from a change to its record's own URL (`getStatement` with `statement_id` from `record_id`)
# would hold for one kind in twelve, and for a pending create not even then, so there is none. The record's
# history, `/revisions?kind=...&record=...`, takes both and holds for every kind once the change is published.
_THE_CHANGE = {"change_id": "$response.body#/id"}
_REVIEW_LINKS = {
    "ApproveChange": {
        "operationId": "postChangeApproval",
        "parameters": _THE_CHANGE,
        "description": "Approve and publish this change (an editor other than its author).",
    },
    "RejectChange": {
        "operationId": "postChangeRejection",
        "parameters": _THE_CHANGE,
        "description": "Reject this change, saying why (an editor other than its author).",
    },
}
_GET_CHANGE_LINK = {
    "GetChange": {
        "operationId": "getChange",
        "parameters": _THE_CHANGE,
        "description": "This change as it stands now.",
    }
}
LINKS: dict[str, dict[int, dict[str, dict]]] = {
    "postChanges": {201: {**_GET_CHANGE_LINK, **_REVIEW_LINKS}},
    "getChange": {200: _REVIEW_LINKS},
    "postChangeApproval": {
        200: {
            **_GET_CHANGE_LINK,
            "RecordRevisions": {
                "operationId": "listRevisions",
                "parameters": {"kind": "$response.body#/kind", "record": "$response.body#/record_id"},
                "description": "The published history of the record this change is to, this revision included.",
            },
        }
    },
    "postChangeRejection": {200: _GET_CHANGE_LINK},
}


class ApiDocsPlugin(BasePlugin):
    """Complete each operation's documentation generically, so no view repeats it."""

    def schema_helper(self, name, definition, **kwargs) -> dict | None:
        """Describe each schema component with its class docstring."""
        schema = kwargs.get("schema")
        doc = inspect.getdoc(schema if isinstance(schema, type) else type(schema)) if schema is not None else None
        return {"description": doc} if doc else None

    def response_helper(self, response, **kwargs) -> dict | None:
        """Errors are RFC 9457 problem details: their content type is application/problem+json."""
        content = response.get("content", {})
        body = content.get("application/json")
        if body is None or body.get("schema") not in ({"$ref": PROBLEM_REF}, "Problem"):
            return None
        update: dict[str, Any] = {"content": {PROBLEM_JSON: body}}
        if response.get("description") == "Default error response":  # flask-smorest's DEFAULT_ERROR
            update["description"] = "Error, as RFC 9457 problem details."
        return update

    def path_helper(self, path=None, operations=None, parameters=None, rule=None, **kwargs) -> None:
        """Path parameters `<kind>_id`: what they name, and a real id of that kind as the example."""
        for parameter in parameters or []:
            name = parameter.get("name", "")
            names = parameter.get("schema", {}).get("enum")
            if parameter.get("in") == "path" and names:  # one of a few names (`<any(...):name>`)
                parameter.setdefault("description", f"One of: {', '.join(names)}.")
                parameter.setdefault("example", names[0])
            if parameter.get("in") != "path" or not name.endswith("_id"):
                continue
            noun = name.removesuffix("_id")
            parameter.setdefault("description", f"Id of the {noun.replace('_', ' ')}: the `id` of its record.")
            kind = BY_NAME.get(noun)
            if kind is not None:
                parameter.setdefault("example", fields_of(kind.schema)["id"].metadata["example"])
            elif noun in ("change", "revision"):
                parameter["description"] = f"Number of the {noun}."
                parameter.setdefault("example", "1")  # changes and revisions are numbered
        for parameter in parameters or []:
            _document_text_rules(parameter)

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs) -> None:
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                _document_text_rules(parameter)
                _offer_leaving_out(parameter)
            operation.setdefault("operationId", operation_id(method, rule.endpoint, _is_list(operation)))
            _add_links(operation)
            # An Accept header that takes none of what the operation answers (web/negotiation.py).
            operation.setdefault("responses", {}).setdefault(406, "NOT_ACCEPTABLE")
            if method != "get":
                # Every request body is bounded (web/limits.py), refused before it is read.
                operation.setdefault("responses", {}).setdefault(413, copy.deepcopy(CONTENT_TOO_LARGE))
                continue
            operation.setdefault("parameters", []).append(dict(IF_NONE_MATCH))
            responses = operation.setdefault("responses", {})
            ok = responses.get(200)
            if isinstance(ok, dict):
                ok.setdefault("headers", {})["ETag"] = dict(ETAG_HEADER)
            responses.setdefault(304, dict(NOT_MODIFIED))
            if _is_list(operation):
                responses.setdefault(404, "NOT_FOUND")


def _add_links(operation: dict) -> None:
    for status, links in LINKS.get(operation["operationId"], {}).items():
        response = operation.get("responses", {}).get(status)
        if not isinstance(response, dict):  # a link must not silently vanish with the response it belongs to
            raise ValueError(f"{operation['operationId']} documents no {status} response for its links {list(links)}")
        response["links"] = copy.deepcopy(links)


def _document_text_rules(parameter) -> None:
    """A free-text path or query parameter says what web/guard.py accepts: its maximum length and no controls."""
    if not isinstance(parameter, dict) or parameter.get("in") not in ("path", "query"):
        return
    schema = parameter.get("schema")
    if isinstance(schema, dict) and schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
        schema["maxLength"] = min(schema.get("maxLength", MAX_PARAMETER_LENGTH), MAX_PARAMETER_LENGTH)
        schema.setdefault("pattern", TEXT_PATTERN)


# Lookups by a unique key among a list's filters: their example names one record, which the other filters' examples
# (filled in beside it by the docs page's "Try it out") would not select. Their examples offer leaving them out
# first, so "Try it out" lists records, and the example itself second.
LOOKUP_PARAMETERS = {"identifier": "no identifier: the entities the other parameters select"}


def _offer_leaving_out(parameter) -> None:
    if not isinstance(parameter, dict) or parameter.get("in") != "query":
        return
    left_out = LOOKUP_PARAMETERS.get(parameter.get("name", ""))
    if left_out is None or "example" not in parameter.get("schema", {}):
        return
    example = parameter["schema"].pop("example")  # (the docs page would fill in the schema's example first)
    parameter["examples"] = {
        "left-out": {"summary": left_out.capitalize(), "value": ""},
        "example": {"summary": "One entity, by its identifier", "value": example},
    }


def _is_list(operation: dict) -> bool:
    return any(
        isinstance(p, dict) and p.get("in") == "query" and p.get("name") == "page"
        for p in operation.get("parameters", [])
    )


def operation_id(method: str, endpoint: str, is_list: bool) -> str:
    """From the endpoint: `entities.Entities` GET (a list) -> listEntities; `entities.EntityItem` GET -> getEntity."""
    view = endpoint.rsplit(".", 1)[-1].removesuffix("Item")
    verb = "list" if is_list and method == "get" else method
    return verb + re.sub(r"^[a-z]", lambda m: m.group(0).upper(), view)
