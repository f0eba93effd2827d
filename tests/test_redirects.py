"""Every redirect the service answers names a place on this service by a path-absolute reference (path and query,
under the mount's prefix), never built from the request's Host or X-Forwarded-Host: a doubled slash (werkzeug's
merge_slashes, 308) and a page's query string (301) with hostile headers, with and without trusted proxies."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from service import create_app
from tests.helpers import route_catalogue

HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil2.example", "X-Forwarded-Proto": "https"}
ROUTES = [route for route in route_catalogue() if route["url"].count("/") > 1 and "GET" in route["methods"]]
PAGE_RULES = {
    rule.rule
    for rule in create_app({"DATABASE_URL": "sqlite:///never-opened.sqlite3"}).url_map.iter_rules()
    if rule.endpoint.startswith("pages.")
}
PAGES = [route for route in route_catalogue() if route["rule"] in PAGE_RULES]


def doubled(url: str) -> tuple[str, str]:
    """The URL with its last slash doubled, and the path it is redirected to."""
    path, _, query = url.partition("?")
    at = path.rindex("/")
    return f"{path[:at]}/{path[at:]}" + (f"?{query}" if query else ""), quote(url, safe="/?&=%")


@pytest.fixture(params=[0, 1], ids=["direct", "behind-a-proxy"])
def hostile_client(request, loaded_database):
    app = create_app({"DATABASE_URL": loaded_database, "TESTING": True, "KB_PROXY_HOPS": request.param})
    return app.test_client()


def assert_local(location: str | None) -> None:
    assert location is not None
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location and "://" not in location, location


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route["rule"])
def test_a_doubled_slash_redirects_to_the_path_never_to_the_requests_host(hostile_client, route):
    url, target = doubled(route["url"])
    for method in ("GET", "HEAD"):
        response = hostile_client.open(url, method=method, headers=HOSTILE)
        assert response.status_code == 308, (url, response.status_code)
        assert_local(response.headers["Location"])
        assert response.headers["Location"] == target


def test_the_query_and_the_mounts_prefix_are_kept(hostile_client):
    response = hostile_client.get("/api/v1//topics?page_size=2&x=%C3%A9", headers=HOSTILE)
    assert response.headers["Location"] == "/api/v1/topics?page_size=2&x=%C3%A9"
    response = hostile_client.get("/api/v1/topics//dialogue", base_url="http://evil.example/kb", headers=HOSTILE)
    assert response.status_code == 308 and response.headers["Location"] == "/kb/api/v1/topics/dialogue"
    # Leading slashes are no redirect (werkzeug matches the path without them), so nothing can start with "//".
    response = hostile_client.get("/", environ_overrides={"PATH_INFO": "//api/v1/topics"}, headers=HOSTILE)
    assert response.status_code == 200 and "Location" not in response.headers


@pytest.mark.parametrize(
    "path_info",
    ["//evil.example/x", "//evil.example//api/v1/topics", "///evil.example/", "/\\evil.example/x", "//evil.example"],
)
def test_a_path_naming_another_host_is_not_turned_into_a_protocol_relative_url(hostile_client, path_info):
    response = hostile_client.get("/", environ_overrides={"PATH_INFO": path_info}, headers=HOSTILE)
    assert response.status_code == 404 or response.status_code == 200, response.status_code
    if "Location" in response.headers:
        assert_local(response.headers["Location"])


@pytest.mark.parametrize("prefix", ["//evil.example", "/\\evil.example", "/\t/evil.example", "\\\\evil.example"])
def test_a_prefix_that_reads_as_another_host_is_not_a_protocol_relative_location(loaded_database, prefix):
    app = create_app({"DATABASE_URL": loaded_database, "TESTING": True, "KB_PROXY_HOPS": 1})
    client = app.test_client()
    for url in ("/api/v1//topics", "/topics/dialogue?utm_source=x"):
        response = client.get(url, headers={**HOSTILE, "X-Forwarded-Prefix": prefix})
        assert response.status_code in (301, 308), url
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "\t" not in location and "\\" not in location, location


@pytest.mark.parametrize("route", PAGES, ids=lambda route: route["rule"])
def test_a_pages_query_redirects_to_its_own_path_never_to_the_requests_host(hostile_client, route):
    response = hostile_client.get(f"{route['url']}?utm_source=x", headers=HOSTILE)
    assert response.status_code == 301, route["url"]
    assert_local(response.headers["Location"])
    assert response.headers["Location"] == route["url"]


def with_a_trailing_slash(url: str) -> str:
    path, _, query = url.partition("?")
    return f"{path}/" + (f"?{query}" if query else "")


# (A rule ending in a path converter takes the slash as part of its value: a file's path, not a redirect.)
@pytest.mark.parametrize("route", [r for r in ROUTES if "<path:" not in r["rule"]], ids=lambda route: route["rule"])
def test_a_trailing_slash_redirects_to_the_route_never_to_the_requests_host(hostile_client, route):
    url = with_a_trailing_slash(route["url"])
    for method in ("GET", "HEAD"):
        response = hostile_client.open(url, method=method, headers=HOSTILE)
        assert response.status_code == 308, (url, response.status_code)
        assert_local(response.headers["Location"])
        assert response.headers["Location"] == quote(route["url"], safe="/?&=%")


def test_a_trailing_slash_keeps_the_query_the_prefix_and_the_method(hostile_client):
    response = hostile_client.get("/api/v1/entities/?kind=person&q=%C3%A9", headers=HOSTILE)
    assert response.status_code == 308
    assert response.headers["Location"] == "/api/v1/entities?kind=person&q=%C3%A9"
    assert hostile_client.get(response.headers["Location"]).status_code == 200
    response = hostile_client.get("/api/v1/entities/", base_url="http://evil.example/kb", headers=HOSTILE)
    assert response.headers["Location"] == "/kb/api/v1/entities"
    # 308: a client repeats the method and the body at the new place.
    response = hostile_client.post("/api/v1/changes/", json={}, headers=HOSTILE)
    assert response.status_code == 308 and response.headers["Location"] == "/api/v1/changes"


@pytest.mark.parametrize("url", ["/api/v1/no-such-list/", "/api/v1/entities/no-such-entity/x/", "/nothing/", "//"])
def test_a_trailing_slash_on_a_path_that_does_not_route_stays_a_404(hostile_client, url):
    response = hostile_client.get(url, headers=HOSTILE)
    assert response.status_code == 404, (url, response.status_code)
    assert "Location" not in response.headers
