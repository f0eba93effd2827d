"""What every endpoint shares: pagination, ETags, one error shape, documented configuration."""

import json
import re

import pytest

from service.config import PROJECT_ROOT, Config
from tests.helpers import assert_problem, with_params

LISTS = [
    "/api/v1/sources",
    "/api/v1/entities",
    "/api/v1/resolutions",
    "/api/v1/resolutions/unsc-resolution-2371/votes",
    "/api/v1/measures",
    "/api/v1/figures",
    "/api/v1/events",
    "/api/v1/statements",
    "/api/v1/topics",
    "/api/v1/search?q=sanctions",
]
ITEMS = ["sources", "entities", "resolutions", "measures", "figures", "events", "statements", "topics"]


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
    assert pages == whole, "paging must visit every item once, in the same deterministic order"


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


@pytest.mark.parametrize("url", LISTS)
def test_page_past_the_end_is_404(client, url):
    assert_problem(client.get(with_params(url, "page=9999")), 404, "page 9999 is out of range")


@pytest.mark.parametrize("kind", ITEMS)
def test_unknown_ids_are_404_problems(client, kind):
    assert_problem(client.get(f"/api/v1/{kind}/no-such-thing"), 404, "'no-such-thing'")


def test_unknown_path_and_method_are_problems(client):
    assert_problem(client.get("/api/v2/entities"), 404)
    assert_problem(client.post("/api/v1/entities"), 405)
    assert_problem(client.delete("/api/v1/statements/anything"), 405)


@pytest.mark.parametrize(
    "url",
    [
        *LISTS,
        "/api/v1/entities/ri-yong-ho",
        "/api/v1/sources/presstv-manila-talks-2017-08-07/text",
        "/health",
        "/openapi.json",
        "/docs",
    ],
)
def test_conditional_get_answers_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_etag_changes_with_the_page(client):
    one = client.get("/api/v1/entities?page_size=2&page=1").headers["ETag"]
    two = client.get("/api/v1/entities?page_size=2&page=2").headers["ETag"]
    assert one != two


def test_every_environment_variable_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    read_by_code = set()
    for module in (PROJECT_ROOT / "service").glob("*.py"):
        read_by_code |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', module.read_text(encoding="utf-8")))
    settings = {name for name in vars(Config) if name.isupper() and not name.startswith(("API_", "OPENAPI_"))}
    assert {"DATABASE_URL", "KB_FIXTURES_DIR", "KB_SEEDS_DIR"} <= settings
    for name in sorted(read_by_code | settings):
        assert f"| `{name}` |" in readme, f"{name} is not in the README's configuration table"
