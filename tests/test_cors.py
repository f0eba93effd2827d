"""Pages of other sites in a browser: CORS opens the public read API to any origin (or to the listed ones) and
writes only to the origins listed for them; behind trusted reverse proxies (KB_PROXY_HOPS) the Link headers are the
URLs the client sees, and answers for different hosts never mix in the response cache."""

from __future__ import annotations

import re

import pytest

from service import create_app
from service.web.cache import response_cache
from tests.helpers import assert_problem

PAGE = "http://localhost:8080"  # a page of another origin
CURATION_UI = "https://curate.example.org"
LIST = "/api/v1/topics?page_size=2"
CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
)


def app_with(loaded_database: str, **settings):
    return create_app({"DATABASE_URL": loaded_database, "TESTING": True, **settings})


def tokens(response, name: str) -> set[str]:
    """The comma-separated values of a header, over all its lines, lower-cased."""
    return {value.strip().lower() for line in response.headers.getlist(name) for value in line.split(",") if value}


def preflight(client, url: str, method: str, headers: str = "", origin: str = PAGE):
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = headers
    return client.options(url, headers=asked)


def assert_no_cors(response) -> None:
    present = [name for name in CORS_HEADERS if name in response.headers]
    assert not present, f"{response.request.method} {response.request.path} carries {present}"


def test_a_preflight_for_a_read_is_granted(client):
    granted = preflight(client, LIST, "GET", "if-none-match, accept")
    assert granted.status_code == 204 and granted.get_data() == b""
    assert granted.headers["Access-Control-Allow-Origin"] == "*"
    assert {"get", "head"} <= tokens(granted, "Access-Control-Allow-Methods")
    assert {"if-none-match", "accept"} <= tokens(granted, "Access-Control-Allow-Headers")
    assert "authorization" not in tokens(granted, "Access-Control-Allow-Headers")
    assert int(granted.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_a_preflight_for_a_write_is_refused(client, method):
    refused = preflight(client, "/api/v1/changes", method, "content-type")
    assert_problem(refused, 403, f"{method} is not open to pages of {PAGE}", "KB_CORS_WRITE_ORIGINS")
    assert_no_cors(refused)
    assert refused.headers["Cache-Control"] == "no-store"


def test_a_preflight_asking_to_send_authorization_is_refused(client):
    """A GET with a bearer token (the review queue, the token's holder) is a curator's, not a public read."""
    refused = preflight(client, "/api/v1/token", "GET", "authorization")
    assert_problem(refused, 403, "GET with Authorization is not open")
    assert_no_cors(refused)


def test_reads_carry_cors_headers_on_a_miss_a_hit_and_a_304(client):
    cache = response_cache(client.application)
    miss = client.get(LIST, headers={"Origin": PAGE})
    assert len(cache) == 1, "the first answer was made by the app and kept"
    hit = client.get(LIST, headers={"Origin": PAGE})
    not_modified = client.get(LIST, headers={"Origin": PAGE, "If-None-Match": miss.headers["ETag"]})
    assert len(cache) == 1 and hit.get_data() == miss.get_data() and not_modified.status_code == 304
    for answer in (miss, hit, not_modified):
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert tokens(answer, "Access-Control-Expose-Headers") == {"etag", "link", "x-pagination"}
        assert "origin" not in tokens(answer, "Vary"), "with `*` the answer does not depend on the Origin"
    assert "Access-Control-Allow-Origin" not in cache.answers()[0].headers


def test_errors_of_reads_carry_them_too_so_a_page_can_read_the_problem(client):
    missing = client.get("/api/v1/entities/no-such-entity", headers={"Origin": PAGE})
    assert_problem(missing, 404)
    assert missing.headers["Access-Control-Allow-Origin"] == "*"


def test_writes_and_authenticated_reads_carry_no_cors_headers(curator_client, curator_token):
    client = curator_client
    bearer = {"Authorization": f"Bearer {curator_token}", "Origin": PAGE}
    proposal = client.post("/api/v1/changes", json={}, headers=bearer)
    assert_problem(proposal, 422)
    assert_no_cors(proposal)
    holder = client.get("/api/v1/token", headers=bearer)
    assert holder.status_code == 200
    assert_no_cors(holder)
    assert_no_cors(client.delete("/api/v1/entities/ri-yong-ho", headers={"Origin": PAGE}))  # a 405


def test_writes_open_to_the_listed_origins_only(written_database, curator_token):
    client = app_with(
        written_database[0], KB_CORS_WRITE_ORIGINS=f"{CURATION_UI}, https://other.example.org/"
    ).test_client()
    granted = preflight(client, "/api/v1/changes", "POST", "authorization, content-type, if-match", CURATION_UI)
    assert granted.status_code == 204
    assert granted.headers["Access-Control-Allow-Origin"] == CURATION_UI and "origin" in tokens(granted, "Vary")
    assert {"post", "patch", "put", "delete"} <= tokens(granted, "Access-Control-Allow-Methods")
    assert {"authorization", "content-type", "if-match"} <= tokens(granted, "Access-Control-Allow-Headers")
    assert_no_cors(preflight(client, "/api/v1/changes", "POST", "authorization", PAGE))

    bearer = {"Authorization": f"Bearer {curator_token}"}
    from_ui = client.post("/api/v1/changes", json={}, headers={**bearer, "Origin": CURATION_UI})
    assert_problem(from_ui, 422)  # the UI's script can read why
    assert from_ui.headers["Access-Control-Allow-Origin"] == CURATION_UI and "origin" in tokens(from_ui, "Vary")
    assert "location" in tokens(from_ui, "Access-Control-Expose-Headers")
    elsewhere = client.get("/api/v1/token", headers={**bearer, "Origin": PAGE})
    assert_no_cors(elsewhere)
    assert "origin" in tokens(elsewhere, "Vary"), "the answer depends on the Origin: shared caches must know"
    assert (
        client.get("/api/v1/token", headers={**bearer, "Origin": CURATION_UI}).headers["Access-Control-Allow-Origin"]
        == CURATION_UI
    )
    # Reads stay open to every page.
    assert client.get(LIST, headers={"Origin": PAGE}).headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("setting", ["*", "https://curate.example.org, *", "null", "https://curate.example.org/ui"])
def test_writes_are_never_opened_to_any_origin_nor_to_what_is_not_one(loaded_database, setting):
    with pytest.raises(ValueError, match="KB_CORS_WRITE_ORIGINS"):
        app_with(loaded_database, KB_CORS_WRITE_ORIGINS=setting)


def test_read_cors_can_be_narrowed_to_listed_origins(loaded_database):
    reader = "https://reader.example.org"
    client = app_with(loaded_database, KB_CORS_ORIGINS=f"{reader.upper()}/").test_client()  # normalised
    listed = client.get(LIST, headers={"Origin": reader})
    assert listed.headers["Access-Control-Allow-Origin"] == reader
    for answer in (listed, client.get(LIST, headers={"Origin": PAGE}), client.get(LIST)):
        assert "origin" in tokens(answer, "Vary")
    assert_no_cors(client.get(LIST, headers={"Origin": PAGE}))
    assert preflight(client, LIST, "GET", origin=reader).headers["Access-Control-Allow-Origin"] == reader
    assert_problem(preflight(client, LIST, "GET"), 403, f"may not be read by pages of {PAGE}", "KB_CORS_ORIGINS")


def test_read_cors_can_be_turned_off(loaded_database):
    client = app_with(loaded_database, KB_CORS_ORIGINS="").test_client()
    for _ in range(2):  # a miss, then a hit
        answer = client.get(LIST, headers={"Origin": PAGE})
        assert answer.status_code == 200
        assert_no_cors(answer)
    assert_problem(preflight(client, LIST, "GET"), 403)


def test_an_echoed_origin_never_reaches_another_client_through_the_cache(loaded_database):
    one, two = "https://one.example.org", "https://two.example.org"
    client = app_with(loaded_database, KB_CORS_ORIGINS=f"{one},{two}").test_client()
    cache = response_cache(client.application)
    first = client.get(LIST, headers={"Origin": one})  # a miss: the app made it for `one`
    assert first.headers["Access-Control-Allow-Origin"] == one and len(cache) == 1
    assert client.get(LIST, headers={"Origin": two}).headers["Access-Control-Allow-Origin"] == two
    assert_no_cors(client.get(LIST))
    assert_no_cors(client.get(LIST, headers={"Origin": PAGE}))
    assert client.get(LIST, headers={"Origin": one}).headers["Access-Control-Allow-Origin"] == one
    assert len(cache) == 1, "all but the first were answered from the cache"


# Behind a reverse proxy ------------------------------------------------------------------------------------------

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kb.example.org", "X-Forwarded-Prefix": "/sanctions"}


def links(response) -> dict[str, str]:
    return {rel: target for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}


def test_behind_a_proxy_links_are_absolute_as_the_client_sees_the_service(loaded_database):
    client = app_with(loaded_database, KB_PROXY_HOPS=1).test_client()
    page = client.get("/api/v1/entities?page_size=2&page=2", headers=FORWARDED)
    assert page.status_code == 200
    found = links(page)
    assert set(found) == {"first", "prev", "next", "last"}
    for target in found.values():
        assert target.startswith("https://kb.example.org/sanctions/api/v1/entities?"), target
    assert "page=3&page_size=2&cursor=" in found["next"]
    on_a_port = client.get("/api/v1/entities?page_size=2", headers={**FORWARDED, "X-Forwarded-Port": "8443"})
    assert links(on_a_port)["first"] == "https://kb.example.org:8443/sanctions/api/v1/entities?page=1&page_size=2"


def test_behind_a_proxy_two_hosts_never_share_a_cached_answer(loaded_database):
    client = app_with(loaded_database, KB_PROXY_HOPS=1).test_client()
    cache = response_cache(client.application)
    hosts = {"a.example.org": "https", "b.example.org": "http"}
    for _ in range(2):  # misses, then hits
        for host, scheme in hosts.items():
            answer = client.get(LIST, headers={"X-Forwarded-Host": host, "X-Forwarded-Proto": scheme})
            assert links(answer)["first"] == f"{scheme}://{host}{LIST.split('?')[0]}?page=1&page_size=2"
    assert len(cache) == 2
    client.get(LIST, headers={"X-Forwarded-Host": "a.example.org", "X-Forwarded-Proto": "http"})
    assert len(cache) == 3, "another scheme is another answer"


def test_without_the_setting_forwarded_headers_change_nothing(client, loaded_database):
    plain = app_with(loaded_database).test_client().get(LIST)
    forwarded = client.get(LIST, headers={**FORWARDED, "X-Forwarded-Port": "8443"})
    assert forwarded.headers["Link"] == plain.headers["Link"]
    assert links(plain)["first"] == "/api/v1/topics?page=1&page_size=2", "relative, as before"
    assert forwarded.get_data() == plain.get_data() and forwarded.headers["ETag"] == plain.headers["ETag"]


def test_a_path_prefix_appears_in_relative_links_and_is_part_of_the_cache_key(client):
    mounted = client.get(LIST, base_url="http://localhost/kb")
    assert links(mounted)["first"] == "/kb/api/v1/topics?page=1&page_size=2"
    assert links(client.get(LIST))["first"] == "/api/v1/topics?page=1&page_size=2"
    assert links(client.get(LIST, base_url="http://localhost/kb"))["first"].startswith("/kb/")
