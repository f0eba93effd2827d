"""Keyset cursors: following rel="next" links reads every record once, in order, each page an index range."""

import json
import re

import pytest

from tests.helpers import assert_problem, route_catalogue

# Every list but search (ranked), the change feed (paged by revision number with `after`) and the review queue
# (which needs a token; tests/test_changes.py).
KEYSET_LISTS = [
    r["url"]
    for r in route_catalogue()
    if r["is_list"] and not r["secured"] and not r["url"].startswith(("/api/v1/search", "/api/v1/revisions"))
]


def links(response) -> dict[str, str]:
    return {rel: target for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}


@pytest.mark.parametrize("url", KEYSET_LISTS)
def test_following_next_links_reads_every_record_once_in_order(client, url):
    whole, number, sep = [], 1, "&" if "?" in url else "?"
    while True:  # the whole list by page number (OFFSET), to hold the cursor pages to
        response = client.get(f"{url}{sep}page_size=100&page={number}")
        whole += response.get_json()
        if "next_page" not in json.loads(response.headers["X-Pagination"]):
            break
        number += 1
    seen, target, pages = [], url + ("&" if "?" in url else "?") + "page_size=2", 0
    while target:
        response = client.get(target)
        assert response.status_code == 200, response.get_data(as_text=True)
        meta = json.loads(response.headers["X-Pagination"])
        if pages:
            assert "cursor=" in target, "every next link carries a cursor"
        seen += response.get_json()
        pages += 1
        target = links(response).get("next")
        assert ("next_cursor" in meta) == (target is not None)
        if target:
            assert f"cursor={meta['next_cursor']}" in target
    assert seen == whole
    assert pages == max(1, -(-len(whole) // 2))


def test_a_page_by_cursor_is_the_page_by_number(client):
    first = client.get("/api/v1/statements?page_size=5")
    by_cursor = client.get(links(first)["next"])
    by_number = client.get("/api/v1/statements?page_size=5&page=2")
    assert by_cursor.get_data() == by_number.get_data()
    assert json.loads(by_cursor.headers["X-Pagination"]) == json.loads(by_number.headers["X-Pagination"])


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WzEsMl0", "e30", "WyJhIiwiYiJd", "%%%"])
def test_a_cursor_the_api_did_not_give_is_refused(client, cursor):
    assert_problem(client.get(f"/api/v1/statements?page=2&cursor={cursor}"), 422, "'cursor'")


def test_a_cursor_for_another_page_is_refused(client):
    next_link = links(client.get("/api/v1/events?page_size=3"))["next"]
    assert_problem(client.get(next_link.replace("page=2", "page=3")), 422, "'cursor'", "opens page 2, not page 3")


def test_search_takes_no_cursor(client):
    assert_problem(client.get("/api/v1/search?q=sanctions&cursor=WzEsIiJd"), 422, "'cursor'")
