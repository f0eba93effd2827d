"""What every endpoint shares: pagination, ETags, one error shape, documented configuration."""

import json
import re
import uuid

import pytest

from service.config import PROJECT_ROOT, Config
from service.server import DEFAULTS as SERVER_DEFAULTS
from tests.helpers import assert_problem, route_catalogue, sign_in_to_the_workbench, with_params

ROUTES = route_catalogue()
# Lists a reader can page without a token, of records the curated knowledge has: the review queue (/changes) and
# the change feed (/revisions, empty until a change is published) are paged in tests/test_changes.py.
LISTS = [
    route["url"]
    for route in ROUTES
    if route["is_list"] and not route["secured"] and not route["url"].startswith("/api/v1/revisions")
]
GETS = [route["url"] for route in ROUTES if "GET" in route["methods"]]
SECURED = {route["url"] for route in ROUTES if route["secured"]}
# The workbench's pages but its sign-in form: a signed-in session's.
SESSION = {route["url"] for route in ROUTES if route["workbench"] and not route["url"].endswith("/sign-in")}
EDITORS_PAGES = {"/workbench/review"}  # the workbench's pages only an editor opens
WITH_IDS = [route for route in ROUTES if route["arguments"] and not route["workbench"]]
# The workbench's pages that name a record: a person's, so an unknown one is a 404 page (its POST-only routes name
# what their pages name, and answer the same: tests/test_workbench_review.py).
WORKBENCH_WITH_IDS = [
    route for route in ROUTES if route["arguments"] and route["workbench"] and "GET" in route["methods"]
]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def test_the_catalogue_covers_every_endpoint():
    assert len(LISTS) >= 10 and "/api/v1/search?q=six-party talks" in LISTS
    assert {"/health", "/openapi.json", "/docs", "/docs/assets/swagger-ui.css", "/favicon.ico"} <= set(GETS)


@pytest.mark.parametrize("url", LISTS)
def test_lists_are_paginated_with_headers_and_links(client, url):
    first = client.get(with_params(url, "page_size=1"))
    assert first.status_code == 200
    meta = json.loads(first.headers["X-Pagination"])
    assert meta["page"] == 1 and meta["first_page"] == 1
    assert len(first.get_json()) == 1
    assert meta["total_pages"] == meta["total"]
    links = dict((rel, target) for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', first.headers["Link"]))
    assert set(links) >= {"first", "last"}
    if meta["total"] > 1:
        second = client.get(links["next"])
        assert second.status_code == 200
        assert json.loads(second.headers["X-Pagination"])["page"] == 2
        assert second.get_json() != first.get_json()
        assert 'rel="prev"' in second.headers["Link"]
    whole = client.get(with_params(url, "page_size=100")).get_json()
    assert len(whole) == min(meta["total"], 100)
    pages = []
    for page in range(1, meta["total_pages"] + 1):
        pages += client.get(with_params(url, f"page_size=1&page={page}")).get_json()
    assert len(pages) == meta["total"] and pages[: len(whole)] == whole, (
        "paging must visit every item once, in the same deterministic order"
    )


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    "params, fragment",
    [
        ("page=0", "'page'"),
        ("page=abc", "'page'"),
        ("page_size=101", "'page_size'"),
        ("page_size=0", "'page_size'"),
        ("colour=red", "'colour'"),
    ],
)
def test_lists_reject_bad_paging_and_unknown_parameters(client, url, params, fragment):
    assert_problem(client.get(with_params(url, params)), 422, fragment)


@pytest.mark.parametrize("url", [u for u in GETS if u.startswith(("/api/", "/health"))])
def test_every_operation_refuses_a_query_parameter_it_does_not_take(curator_client, url, curator_token):
    """Items, texts and /health as much as lists: a parameter the operation does not document is a 422 naming it,
    never ignored (a misspelt filter on an item would otherwise look like an answer)."""
    client = curator_client
    auth = {"Authorization": f"Bearer {curator_token}"} if url in SECURED else {}
    problem = assert_problem(client.get(with_params(url, "colour=red"), headers=auth), 422, "'colour'")
    assert problem["errors"]["query"] == {"colour": ["Unknown field."]}


@pytest.mark.parametrize("url", LISTS)
def test_page_past_the_end_is_404(client, url):
    assert_problem(client.get(with_params(url, "page=9999")), 404, "page 9999 is out of range")


@pytest.mark.parametrize("route", WORKBENCH_WITH_IDS, ids=lambda route: route["rule"])
def test_unknown_ids_are_404_pages_in_the_workbench(curator_client, route, curator_token):
    client = curator_client
    sign_in_to_the_workbench(client, curator_token)
    url = route["template"]
    for name in route["arguments"]:
        url = url.replace(f"<{name}>", "no-such-thing")
    answer = client.get(url)
    assert answer.status_code == 404 and answer.mimetype == "text/html", (url, answer.status_code)


def editor_token(client) -> str:
    from service.store.db import db
    from service.store.tokens import issue_token

    with client.application.app_context(), db.connection_context():
        return issue_token(f"test-editor-{uuid.uuid4().hex[:8]}", "editor")


@pytest.mark.parametrize("route", WITH_IDS, ids=lambda route: route["rule"])
def test_unknown_ids_are_404_problems(curator_client, route, curator_token):
    client = curator_client
    url = route["template"]
    for name in route["arguments"]:
        url = url.replace(f"<{name}>", "no-such-thing")
    method = "GET" if "GET" in route["methods"] else "POST"
    headers = {"Authorization": f"Bearer {curator_token}"} if route["secured"] else {}
    if method == "POST":
        headers = {"Authorization": f"Bearer {editor_token(client)}"}  # approve and reject are an editor's
    body = {"summary": "x"} if url.endswith("/revert") else {"note": "x"}  # a body the operation takes
    assert_problem(client.open(url, method=method, headers=headers, json=body), 404)


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route["rule"])
def test_methods_a_route_does_not_take_are_405_problems_naming_the_allowed_ones(client, route):
    for method in WRITE_METHODS:
        if method in route["methods"]:
            continue
        with client.open(route["url"], method=method) as response:
            if route["workbench"]:  # the workbench answers people: its errors are pages (tests/test_workbench.py)
                assert response.status_code == 405 and response.mimetype == "text/html"
            else:
                assert_problem(response, 405)
            assert set(response.headers["Allow"].replace(" ", "").split(",")) == set(route["methods"])


def test_an_unknown_path_is_a_404_problem(client):
    assert_problem(client.get("/api/v2/entities"), 404)


@pytest.mark.parametrize("url", GETS)
def test_conditional_get_answers_304(curator_client, url, curator_token):
    client = curator_client
    auth = {"Authorization": f"Bearer {curator_token}"} if url in SECURED else {}
    if url in SESSION:  # a workbench page: its session's (an editor's for the review queue)
        sign_in_to_the_workbench(client, editor_token(client) if url in EDITORS_PAGES else curator_token)
    with client.get(url, headers=auth) as first:
        assert first.status_code == 200, first.get_data(as_text=True)
        etag = first.headers["ETag"]
    with client.get(url, headers={**auth, "If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert again.get_data() == b""
    with client.get(url, headers={**auth, "If-None-Match": '"stale"'}) as changed:
        assert changed.status_code == 200


def test_etag_changes_with_the_page(client):
    one = client.get("/api/v1/entities?page_size=2&page=1").headers["ETag"]
    two = client.get("/api/v1/entities?page_size=2&page=2").headers["ETag"]
    assert one != two


# Every way Python code reads the environment: os.environ.get("X"), os.environ["X"], os.getenv("X"),
# environ.get / environ[...] after `from os import environ`, and os.environ.setdefault("X").
ENVIRONMENT_READ = re.compile(
    r"""(?:\bos\.|(?<![\w.]))(?:environ\s*(?:\.get|\.setdefault|\.pop)?\s*[\(\[]|getenv\s*\()\s*['"]([A-Z][A-Z0-9_]*)['"]"""
)


def settings_read_by(root) -> set[str]:
    return {name for module in root.rglob("*.py") for name in ENVIRONMENT_READ.findall(module.read_text("utf-8"))}


def test_the_settings_scan_sees_every_way_of_reading_the_environment(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "deep.py").write_text(
        'import os\nfrom os import environ\na = os.environ.get("ONE")\nb = os.getenv( "TWO", "x")\n'
        'c = os.environ[\'THREE\']\nd = environ.get("FOUR")\ne = os.environ.setdefault("FIVE", "")\n'
        'f = request.environ.get("HTTP_IF_NONE_MATCH")  # a WSGI environ, not the process\'s\n',
        encoding="utf-8",
    )
    assert settings_read_by(tmp_path) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_every_environment_variable_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    read_by_code = settings_read_by(PROJECT_ROOT / "service")
    assert {"DATABASE_URL", "WEB_CONCURRENCY"} <= read_by_code
    settings = {name for name in vars(Config) if name.isupper() and not name.startswith(("API_", "OPENAPI_"))}
    settings |= set(SERVER_DEFAULTS)  # the server's settings this service gives defaults to
    assert {"DATABASE_URL", "KB_FIXTURES_DIR", "KB_SEEDS_DIR"} <= settings
    for name in sorted(read_by_code | settings):
        assert f"| `{name}` |" in readme, f"{name} is not in the README's configuration table"


def test_a_one_of_segment_matches_only_its_names_and_another_name_gets_the_views_404(app, client):
    """`<one_of(...):table>` routes its names only; any other name reaches the view by a rule of its own, whose
    404 lists the names (and unusable text is the guard's 422, as on any route)."""
    from service.resources.exports import TABLES

    urls = app.url_map.bind("localhost")
    for table in TABLES:
        rule, arguments = urls.match(f"/api/v1/exports/{table}.csv", return_rule=True)
        assert "<one_of(" in rule.rule and arguments == {"table": table}
    for other in ("other", "topic", "topicss", "Topics", "topics.csv"):
        rule, arguments = urls.match(f"/api/v1/exports/{other}.csv", return_rule=True)
        assert "<one_of(" not in rule.rule and rule.endpoint == "exports.ExportCsv" and arguments == {"table": other}
    answer = client.get("/api/v1/exports/other.csv")
    assert answer.status_code == 404 and answer.get_json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"no table 'other' to export: one of {', '.join(TABLES)}",
        "instance": "/api/v1/exports/other.csv",
    }
    assert_problem(client.get("/api/v1/exports/a%01b.csv"), 422)


def test_a_body_field_name_is_echoed_escaped_and_cut_as_a_parameter_name_is(curator_client, curator_token):
    """A field name no engine stores is named in the 422 with its NUL escaped, and cut where a parameter name is
    (web/guard.echoed): a megabyte of name is not sent back."""
    from service.web.guard import MAX_PARAMETER_LENGTH
    from tests.helpers import auth

    name = "n\x00" + "x" * 100_000
    body = {"kind": "topic", "action": "create", "id": "t", "summary": "s", "record": {name: 1}}
    answer = curator_client.post("/api/v1/changes", json=body, headers=auth(curator_token))
    fields = assert_problem(answer, 422)["errors"]["json"]
    shown = ("n\\u0000" + "x" * 100_000)[:MAX_PARAMETER_LENGTH]
    assert list(fields) == [f"record.{shown}…"] and len(answer.get_data()) < 2000
