"""Hostile input over every route and parameter: never a 5xx, every 4xx a problem (the workbench's an error page
saying the same), unusable text exactly a 422.

Generated from the app's URL map (tests.helpers.route_catalogue): every route, each of its path arguments and
each query parameter its spec documents, gets control characters, invalid UTF-8 and over-long values (a 422
naming the parameter, from service/web/guard.py, before any query runs); invalid percent-escapes that are still
text, full-text operators, repeated and unknown parameters, hostile parameter names; odd methods and odd
headers. On the engine under test: the plain run uses SQLite, scripts/test-postgres.sh PostgreSQL, where one
more test checks that both engines give the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

import lxml.html
import pytest

from service import create_app
from tests.helpers import loaded_sqlite_reference, needs_postgres, route_catalogue

ROUTES = route_catalogue()

# Values as sent (percent-encoded where needed) that no engine can store or match, and what the 422 says.
UNUSABLE = {
    "%00": "contains a control character (U+0000)",
    "a%00b": "contains a control character (U+0000)",
    "a%01b": "contains a control character (U+0001)",
    "a%1Fb": "contains a control character (U+001F)",
    "a%7Fb": "contains a control character (U+007F)",
    "a%C2%85b": "contains a control character (U+0085)",
    "%C3": "is not valid UTF-8",
    "%ED%A0%80": "is not valid UTF-8",  # a lone surrogate (U+D800), UTF-8-encoded
    "%FF": "is not valid UTF-8",
    "a" * 10_000: "is longer than 200 characters",
}
# Text that is odd but storable: invalid percent-escapes (kept as text) and full-text search syntax.
ODD_TEXT = [
    "%",
    "%zz",
    "100%",
    *(
        quote(text, safe="")
        for text in ('"', "*", "NEAR(", "col:", "^", "AND", "(", 'a" OR "b', "-", "NEAR(a b, 2)", "o'brien", "a AND")
    ),
]
# Parameter names as sent, and how the 422 names them.
HOSTILE_NAMES = {"a%00b": "a\\x00b", "%FF": "\\xff", "n" * 10_000: "n" * 200 + "…"}
ODD_METHODS = ("OPTIONS", "HEAD", "TRACE", "PROPFIND")
ODD_HEADERS = [
    {"If-None-Match": "garbage"},
    {"If-None-Match": "*"},
    {"Accept": "application/xml"},
    {"Range": "bytes=9999999-"},
    {"X-Padding": "a" * 9000},
    {"If-None-Match": '"' + "e" * 9000 + '"'},
]
NOUN = {"path": "path parameter", "query": "query parameter"}


@dataclass
class Case:
    url: str
    method: str = "GET"
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    # (location, name as the 422 gives it, what it says) when the answer must be exactly that 422.
    refused: tuple[str, str, str] | None = None


def _split(route: dict) -> tuple[str, list[tuple[str, str]]]:
    path, _, query = route["url"].partition("?")
    return path, parse_qsl(query, keep_blank_values=True)


def _encoded(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs]


def _with_query(route: dict, name: str, *raw_values: str) -> str:
    """The route's working URL with `name` set to each of these (already encoded) values, in that order."""
    path, pairs = _split(route)
    parts = _encoded([(k, v) for k, v in pairs if k != name]) + [f"{name}={value}" for value in raw_values]
    return f"{path}?{'&'.join(parts)}"


def _with_path_argument(route: dict, name: str, raw_value: str) -> str:
    """The route's working URL with path argument `name` replaced by this (already encoded) value."""
    path, pairs = _split(route)
    pattern = re.escape(route["template"])
    for argument in route["arguments"]:
        pattern = pattern.replace(re.escape(f"<{argument}>"), f"(?P<{argument}>.+)")
    samples = re.fullmatch(pattern, path).groupdict()
    url = route["template"]
    for argument in route["arguments"]:
        url = url.replace(f"<{argument}>", raw_value if argument == name else quote(samples[argument]))
    return f"{url}?{'&'.join(_encoded(pairs))}" if pairs else url


def refused_cases(route: dict) -> list[Case]:
    """Requests that must be exactly a 422 naming the parameter (sent with the route's method: GET, or POST for
    a route that only takes writes, whose unusable path text is refused before its token is looked at)."""
    method = "GET" if "GET" in route["methods"] else "POST"
    cases = []
    for name in route["arguments"]:
        cases += [
            Case(method=method, url=_with_path_argument(route, name, value), refused=("path", name, says))
            for value, says in UNUSABLE.items()
        ]
    for name, example in route["query"].items():
        cases += [
            Case(method=method, url=_with_query(route, name, value), refused=("query", name, says))
            for value, says in UNUSABLE.items()
        ]
        # a repeated parameter is checked in every occurrence, not only the one the schema reads
        cases.append(
            Case(
                method=method,
                url=_with_query(route, name, quote(example), "%00"),
                refused=("query", name, UNUSABLE["%00"]),
            )
        )
    cases += [
        Case(method=method, url=_with_query(route, "colour", value), refused=("query", "colour", says))
        for value, says in UNUSABLE.items()
    ]
    cases += [
        Case(method=method, url=_with_query(route, name, "1"), refused=("query", shown, "its name "))
        for name, shown in HOSTILE_NAMES.items()
    ]
    return cases


def odd_cases(route: dict) -> list[Case]:
    """Requests that may be answered anything but a server error."""
    cases = [Case(_with_path_argument(route, name, value)) for name in route["arguments"] for value in ODD_TEXT]
    for name, example in route["query"].items():
        cases += [Case(_with_query(route, name, value)) for value in ODD_TEXT]
        cases.append(Case(_with_query(route, name, quote(example), "other-value")))
    cases.append(Case(_with_query(route, "colour", "red")))
    cases += [Case(route["url"], method=method) for method in ODD_METHODS]
    cases += [Case(route["url"], headers=headers) for headers in ODD_HEADERS]
    cases.append(Case(route["url"], headers={"Content-Type": "application/json"}, body=b'{"broken": [1, '))
    return cases


def _send(client, case: Case):
    return client.open(case.url, method=case.method, headers=case.headers, data=case.body)


def _fault(case: Case, response) -> str | None:
    """What is wrong with this answer to this case, or None."""
    status = response.status_code
    where = f"{case.method} {case.url[:120]} {case.headers and list(case.headers)} -> {status}"
    if status >= 500:
        return f"{where}: server error {response.get_data(as_text=True)[:300]}"
    if case.refused and status != 422:
        return f"{where}: expected 422 {case.refused}"
    if not 400 <= status < 500:
        return None
    if response.request.path.startswith("/workbench"):
        return _page_fault(case, response, where)
    if response.mimetype != "application/problem+json":
        return f"{where}: a {status} as {response.mimetype}, not application/problem+json"
    if case.method == "HEAD":
        return None
    body = response.get_json(force=True)
    if body.get("status") != status or body.get("instance") != response.request.path or not body.get("title"):
        return f"{where}: not a problem of this request: {str(body)[:300]}"
    if case.refused:
        location, name, says = case.refused
        if name not in (body.get("errors") or {}).get(location, {}):
            return f"{where}: errors do not name {location} {name!r}: {str(body.get('errors'))[:300]}"
        if f"{NOUN[location]} '{name}': " not in body["detail"] or says not in body["detail"]:
            return f"{where}: detail does not say {NOUN[location]} {name!r} {says!r}: {body['detail'][:300]}"
    return None


def _page_fault(case: Case, response, where: str) -> str | None:
    """What is wrong with the workbench's answer: its errors are pages for people, each with its status in the title
    and what is wrong in an alert, worded as the API's problem would word it."""
    if response.mimetype != "text/html":
        return f"{where}: a {response.status_code} of the workbench as {response.mimetype}, not a page"
    if case.method == "HEAD":
        return None
    page = lxml.html.fromstring(response.get_data(as_text=True))
    alert = " ".join(e.text_content() for e in page.cssselect('[role="alert"]'))
    if str(response.status_code) not in page.cssselect(".eyebrow")[0].text_content() or not alert:
        return f"{where}: not an error page of this request: {response.get_data(as_text=True)[:300]}"
    if case.refused:
        location, name, says = case.refused
        if f"{NOUN[location]} '{name}': " not in alert or says not in alert:
            return f"{where}: the page does not say {NOUN[location]} {name!r} {says!r}: {alert[:300]}"
    return None


def _faults(client, cases: list[Case]) -> list[str]:
    faults = []
    for case in cases:
        with _send(client, case) as response:
            if fault := _fault(case, response):
                faults.append(fault)
    return faults


def test_the_suite_reaches_every_route_and_parameter():
    """Guard against a vacuous run: the catalogue gives the routes, path arguments and query parameters expected."""
    assert len(ROUTES) >= 20
    arguments = {name for route in ROUTES for name in route["arguments"]}
    assert {"entity_id", "statement_id", "source_id", "resolution_id", "filename"} <= arguments
    queries = {(route["template"], name) for route in ROUTES for name in route["query"]}
    assert {("/api/v1/entities", "country"), ("/api/v1/measures", "resolution"), ("/api/v1/search", "q")} <= queries
    assert all({"page", "page_size"} <= set(route["query"]) for route in ROUTES if route["is_list"])
    assert sum(len(refused_cases(route)) + len(odd_cases(route)) for route in ROUTES) > 1500


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route["rule"])
def test_unusable_text_in_any_parameter_is_a_422_naming_it(client, route):
    faults = _faults(client, refused_cases(route))
    assert not faults, f"{len(faults)} bad answers:\n" + "\n".join(faults[:10])


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route["rule"])
def test_odd_text_methods_and_headers_never_give_a_server_error(client, route):
    faults = _faults(client, odd_cases(route))
    assert not faults, f"{len(faults)} bad answers:\n" + "\n".join(faults[:10])


@needs_postgres
def test_both_engines_answer_hostile_requests_alike(loaded_database, tmp_path):
    """The same status, and the same problem for every 4xx, on PostgreSQL as on SQLite."""

    def answers(url: str) -> dict:
        client = create_app({"DATABASE_URL": url}).test_client()
        got = {}
        for route in ROUTES:
            for case in refused_cases(route) + odd_cases(route):
                with _send(client, case) as response:
                    key = (case.method, case.url, tuple(case.headers.items()), case.body)
                    got[key] = (response.status_code, response.get_data() if response.status_code >= 400 else None)
        return got

    on_sqlite = answers(loaded_sqlite_reference(tmp_path))
    on_postgres = answers(loaded_database)
    different = [
        f"{key[0]} {key[1][:120]}: {on_sqlite[key]} vs {on_postgres[key]}"
        for key in on_sqlite
        if on_sqlite[key] != on_postgres[key]
    ]
    assert not different, f"{len(different)} answers differ (SQLite vs PostgreSQL):\n" + "\n".join(different[:10])
