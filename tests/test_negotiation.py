"""An Accept header the service cannot serve is a 406 problem, never a 200 in another media type: every GET route
answers its own media type to an Accept that takes it (or no Accept, or */*), and a 406 problem naming that type
to one that does not, whether the answer was remembered by the response cache or not."""

from __future__ import annotations

import pytest

from service import create_app
from tests.helpers import route_catalogue

ROUTES = [
    route
    for route in route_catalogue()
    if "GET" in route["methods"]
    and not route["secured"]
    and "<path:" not in route["rule"]
    and not route["rule"].startswith("/workbench")  # (a session's pages: tests/test_workbench.py)
]


@pytest.fixture(scope="module")
def client(written_database):
    """A client of a database holding revision 1 (the spec's example), so every GET route has an answer."""
    return create_app({"DATABASE_URL": written_database[0], "TESTING": True}).test_client()


def ask(client, url: str, accept: str | None = None):
    """The answer, read in full and closed (an export holds a slot of its own while it streams)."""
    response = client.get(url, headers={"Accept": accept} if accept else {})
    response.get_data()
    response.close()
    return response


def assert_refused(response, mimetype: str) -> None:
    assert response.status_code == 406, response.status_code
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 406 and f"this URL answers {mimetype}" in problem["detail"]
    assert "ETag" not in response.headers


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route["rule"])
def test_an_accept_that_takes_nothing_this_url_answers_is_a_406(client, route):
    plain = ask(client, route["url"])
    assert plain.status_code == 200, (route["url"], plain.status_code)
    mimetype = plain.mimetype
    major = mimetype.split("/")[0]
    for accept in (mimetype, f"{major}/*", "*/*", f"application/x-nothing, {mimetype};q=0.1"):
        taken = ask(client, route["url"], accept)
        assert taken.status_code == 200, (route["url"], accept, taken.status_code)
        assert taken.get_data() == plain.get_data() and taken.mimetype == mimetype
    other = "application/xml" if mimetype != "application/xml" else "text/csv"
    for accept in (other, f"{mimetype};q=0, */*;q=0.5", "text/*" if major == "image" else "image/*"):
        assert_refused(ask(client, route["url"], accept), mimetype)


def test_a_remembered_answer_is_not_served_to_a_client_that_does_not_take_it(client):
    url = "/api/v1/topics?page_size=3"
    first, again = client.get(url), client.get(url)  # the second is the response cache's
    assert first.get_data() == again.get_data() and first.status_code == again.status_code == 200
    assert_refused(client.get(url, headers={"Accept": "application/xml"}), "application/json")
    assert client.get(url, headers={"Accept": "application/json"}).get_data() == first.get_data()


def test_a_page_is_html_and_a_list_is_json(client):
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    assert_refused(client.get("/", headers={"Accept": "application/json"}), "text/html")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
    assert client.get("/api/v1/entities", headers={"Accept": browser}).status_code == 200


def test_an_error_keeps_its_own_status(client):
    """A 404 or a 422 is the problem it is, whatever the Accept: the 406 is for answers the service would give."""
    assert client.get("/api/v1/entities/no-such-entity", headers={"Accept": "application/xml"}).status_code == 404
    assert client.get("/api/v1/entities?nope=1", headers={"Accept": "application/xml"}).status_code == 422
