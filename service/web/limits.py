"""Limits on request bodies: one too large is a 413 before it is read (a hook before every view); a JSON body is
parsed once, by the webargs parser of every resource, refusing with a 422 naming the field what no view should take
or no engine store: nesting too deep, an integer too long, NaN, NUL or a lone surrogate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from flask import Flask, current_app, request
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge

from schemas.limits import MAX_INTEGER_DIGITS, MAX_JSON_DEPTH, UNSTORABLE, unstorable

from .guard import echoed

# Methods whose body a view may read; a GET's or a HEAD's is never read.
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# JSON strings, possessively matched (no backtracking), so that what is left is the structure alone.
JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
BRACKET = re.compile(r"[\[\]{}]")
# A NUL or a lone surrogate can only be in JSON text as a \u escape (the text is UTF-8, and a string holds no
# raw control character): without one, no string of the body needs a look.
ESCAPED_UNSTORABLE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
# A field name is shown with NUL and lone surrogates as JSON escapes them (and cut, web/guard.echoed).
JSON_ESCAPE = "\\u{:04x}"
# At most this many fields are named in one answer (a body may hold thousands of faults).
MAX_NAMED = 10


def init_limits(app: Flask) -> None:
    """Set Flask's own body limit (werkzeug stops reading a body at it) and check each request's size before the
    view runs."""
    app.config["MAX_CONTENT_LENGTH"] = app.config["KB_MAX_BODY_BYTES"]
    app.before_request(refuse_large_body)


def too_large(size: int | None = None) -> str:
    """The detail of a 413: the limit, and the size sent when the client declared it (worded as the server's own
    413, web/gateway.py, which refuses the body before the app when it runs behind it)."""
    limit = current_app.config["KB_MAX_BODY_BYTES"]
    sent = f"the request body ({size} bytes)" if size is not None else "the request body"
    return f"{sent} is larger than the {limit} bytes this server takes (KB_MAX_BODY_BYTES)"


def refuse_large_body() -> None:
    """413 for a body over the limit: a declared Content-Length before a byte is read; a body without one (chunked,
    ended by the server) as it is read, whoever sends it and whatever the view."""
    limit = request.max_content_length
    if limit is None:
        return
    if request.content_length is not None:
        if request.content_length > limit:
            abort(413, message=too_large(request.content_length))
        return
    if request.method in METHODS_WITH_BODY:
        # werkzeug stops reading such a body at the limit and hands back what it read as if it were all: read one
        # byte more, to tell a body that fits from one that was cut off. The bytes are kept for the view.
        request.max_content_length = limit + 1
        try:
            size = len(request.get_data(cache=True))
        except RequestEntityTooLarge:
            size = limit + 1
        if size > limit:
            abort(413, message=too_large())


class LimitedParser(FlaskParser):
    """webargs' Flask parser, parsing a JSON body within the limits (flask-smorest parses every view's arguments with
    its Blueprint's ARGUMENTS_PARSER: web/blueprint.py). It runs where webargs did, after authentication, and
    parses the body once."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return checked_json(req.get_data(cache=True))


def checked_json(raw: bytes):
    """The parsed body, or a 422 naming each field no view should take or no engine store. Text that is not JSON
    raises as json.loads does (webargs answers 400; an empty body is no body)."""
    text = raw.decode("utf-8")
    if json_depth_exceeds(text, MAX_JSON_DEPTH):
        abort(
            422,
            message=f"Invalid request: the JSON body is nested deeper than {MAX_JSON_DEPTH} levels (arrays and objects "
            "within each other)",
            errors={"json": {"_schema": [f"nested deeper than {MAX_JSON_DEPTH} levels"]}},
        )
    parsing = ParseHooks()
    body = json.loads(text, parse_int=parsing.integer, parse_constant=parsing.constant)
    if not parsing.refused and not ESCAPED_UNSTORABLE.search(text):
        return body  # nothing to name: JSON text holds NUL and lone surrogates only as \u escapes
    problems: dict[str, list[str]] = {}
    for path, problem in unusable_values(body):
        if len(problems) == MAX_NAMED:
            break
        problems.setdefault(path, []).append(problem)
    if problems:
        abort(422, errors={"json": problems})
    return body


class Refused:
    """A value the parser met that no field takes (an integer too long, NaN), kept to be named by its path."""

    def __init__(self, problem: str):
        self.problem = problem


CHECKED = (str, dict, list, Refused)  # what the walk looks into or at; numbers, booleans and null are fine


class ParseHooks:
    """json.loads hooks that keep what no field takes as a Refused, noting that there was one."""

    def __init__(self):
        self.refused = False

    def integer(self, digits: str) -> int | Refused:
        count = len(digits) - digits.startswith("-")
        if count <= MAX_INTEGER_DIGITS:
            return int(digits)
        self.refused = True
        return Refused(f"is an integer of more than {MAX_INTEGER_DIGITS} digits ({count})")

    def constant(self, name: str) -> Refused:
        self.refused = True
        return Refused(f"is {name}, which is not a JSON number")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `limit`, found without parsing (Python's parser
    recurses once per level and fails with RecursionError at about a thousand)."""
    depth = 0
    for bracket in BRACKET.finditer(JSON_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
            if depth < 0:
                return False  # not JSON: the parser says so
    return False


def unusable_values(body) -> Iterator[tuple[str, str]]:
    """(path, problem) for each value of a parsed body that the parser refused or no engine stores, and each field
    name no engine stores; a path reads like `record.citations[0].quote`."""
    # Iteratively, each entry (parent entry, key or index, value): a path is spelled out only for what is refused.
    stack: list[tuple] = [(None, None, body)]
    while stack:
        entry = stack.pop()
        value = entry[2]
        if isinstance(value, str):
            if problem := unstorable(value):
                yield _path(entry), problem
        elif isinstance(value, Refused):
            yield _path(entry), value.problem
        elif isinstance(value, dict):
            for key in value:
                if problem := unstorable(key):
                    yield _path((entry, key, None)), f"its name {problem}"
            # Reversed onto the stack, so that what is found comes in the body's order.
            stack.extend((entry, key, item) for key, item in reversed(value.items()) if isinstance(item, CHECKED))
        elif isinstance(value, list):
            stack.extend(
                (entry, index, value[index])
                for index in range(len(value) - 1, -1, -1)
                if isinstance(value[index], CHECKED)
            )


def _path(entry: tuple) -> str:
    keys = []
    while entry[0] is not None:
        keys.append(entry[1])
        entry = entry[0]
    path = ""
    for key in reversed(keys):
        if isinstance(key, int):
            path += f"[{key}]"
        else:
            shown = echoed(key, UNSTORABLE, JSON_ESCAPE)
            path += f".{shown}" if path else shown
    return path or "_schema"
