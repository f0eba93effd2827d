"""Refuse, before any view or query runs, parameter text that no database engine can store or match."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_smorest import abort

from schemas.limits import MAX_ID_LENGTH

# The longest value a query or path parameter may have, in characters (the schemas' limit for text filters): the
# longest id a record may have, so that every record can be named in a URL.
MAX_PARAMETER_LENGTH = MAX_ID_LENGTH
# C0 controls (tab and newline too: no id, filter or search needs one), DEL and C1 controls. PostgreSQL
# cannot hold NUL at all, SQLite's FTS5 stops at it; the others can only be typos or probes.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
WHERE = {"path": "path parameter", "query": "query parameter"}
# The same rule for the contract (an ECMA-262 pattern), so clients and fuzzers know what is accepted;
# web/docs_plugin.py adds it and the maximum length to every free-text parameter.
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"


def init_guard(app: Flask) -> None:
    """Check every request's parameters first, before the database hook opens a connection."""
    app.before_request(refuse_unusable_parameters)


def refuse_unusable_parameters() -> None:
    """Answer 422, naming each parameter, for text that is not UTF-8, has a control character or is too long.

    A lone surrogate cannot get through: its UTF-8 form (%ED%A0%80) is not valid UTF-8 to a strict decoder.
    """
    if request.url_rule is None:
        return  # routing already failed (404, 405): no view, no query
    errors: dict[str, dict[str, list[str]]] = {}
    for location, name, problem in (*_path_problems(), *_query_problems()):
        messages = errors.setdefault(location, {}).setdefault(name, [])
        if problem not in messages:
            messages.append(problem)
    if errors:
        detail = "; ".join(
            f"{WHERE[location]} '{name}': {' '.join(messages)}"
            for location, fields in errors.items()
            for name, messages in fields.items()
        )
        abort(422, message=f"Invalid request: {detail}", errors=errors)


def _path_problems() -> Iterator[tuple[str, str, str]]:
    path_is_utf8 = _raw_path_is_utf8()
    for name, value in (request.view_args or {}).items():
        if not isinstance(value, str):
            continue
        if not path_is_utf8 and "\ufffd" in value:
            yield "path", name, "is not valid UTF-8"
        elif problem := _text_problem(value):
            yield "path", name, problem


def _raw_path_is_utf8() -> bool:
    """Whether the path as sent was UTF-8: werkzeug decodes it with errors="replace", so only the raw bytes tell
    a U+FFFD sent as such from bytes that were not UTF-8. PATH_INFO holds them (as latin-1) on a real server;
    RAW_URI, still percent-encoded, is set by gunicorn, werkzeug's server and its test client (which puts the
    replaced text in PATH_INFO)."""
    wsgi = request.environ  # (the WSGI environ, not the process's: tests/test_http.py scans for the latter)
    raw_uri = wsgi.get("RAW_URI")
    try:
        wsgi.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        if raw_uri is not None:
            unquote_to_bytes(raw_uri.encode("latin-1").split(b"?", 1)[0]).decode("utf-8")
    except UnicodeError:
        return False
    return True


def _query_problems() -> Iterator[tuple[str, str, str]]:
    # Parsed from the raw query string, as werkzeug does (split on "&", "+" is a space), because request.args
    # keeps invalid percent-escapes as text and fails outright on a raw byte that is not UTF-8.
    for pair in request.query_string.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name, value = _decoded(raw_name), _decoded(raw_value)
        shown = echoed(name if name is not None else unquote_to_bytes(raw_name).decode("utf-8", "backslashreplace"))
        if name is None:
            yield "query", shown, "its name is not valid UTF-8"
        elif problem := _text_problem(name):
            yield "query", shown, f"its name {problem}"
        if value is None:
            yield "query", shown, "is not valid UTF-8"
        elif problem := _text_problem(value):
            yield "query", shown, problem


def _decoded(raw: bytes) -> str | None:
    """Percent-decode a query string part as UTF-8, or None if the bytes are not UTF-8."""
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _text_problem(text: str) -> str | None:
    if found := CONTROL_CHARACTER.search(text):
        return f"contains a control character (U+{ord(found.group()):04X})"
    if len(text) > MAX_PARAMETER_LENGTH:
        return f"is longer than {MAX_PARAMETER_LENGTH} characters"
    return None


def echoed(name: str, unprintable: re.Pattern = CONTROL_CHARACTER, escape: str = "\\x{:02x}") -> str:
    """A name the client sent, fit to print in an answer: each `unprintable` character as `escape` of its code
    point (control characters as \\x escapes), cut to the maximum length of a parameter (a name may be
    megabytes long)."""
    escaped = unprintable.sub(lambda found: escape.format(ord(found.group())), name)
    return escaped if len(escaped) <= MAX_PARAMETER_LENGTH else escaped[:MAX_PARAMETER_LENGTH] + "…"
