"""Each endpoint answers in a fixed number of SQL queries, however many records it returns (no N+1).

Records are rendered at load time: an item is one lookup of its stored document, a list page its count, the
page's ids in order, and their documents (a filter naming an id checks it exists first; the count is then kept
for the other pages of the same list). A repeated request is answered
from the response cache with no query at all. The data version read on each request (store/version.py: one
PRAGMA on SQLite, one SELECT on PostgreSQL, outside peewee) is not counted here.
"""

import pytest
from playhouse.test_utils import count_queries

from service import create_app
from tests.helpers import with_params

# URL -> queries on a cold cache.
QUERIES = [
    ("/api/v1/sources?page_size=100", 3),
    ("/api/v1/sources/presstv-manila-talks-2017-08-07", 1),
    ("/api/v1/sources/presstv-manila-talks-2017-08-07/text", 1),
    ("/api/v1/entities?page_size=100", 3),
    ("/api/v1/entities/ri-yong-ho", 1),
    ("/api/v1/entities?country=north-korea", 4),
    ("/api/v1/resolutions", 3),
    ("/api/v1/resolutions/unsc-resolution-2371", 1),
    ("/api/v1/resolutions/unsc-resolution-2371/votes?page_size=100", 4),
    ("/api/v1/measures?page_size=100", 3),
    ("/api/v1/measures/unsc-2371-export-ban-coal", 1),
    ("/api/v1/measures?commodity=coal", 4),
    ("/api/v1/figures?page_size=100", 3),
    ("/api/v1/figures/north-korea-foreign-revenue", 1),
    ("/api/v1/figures?metric=annual-export-revenue&subject=north-korea", 5),
    ("/api/v1/events?page_size=100", 3),
    ("/api/v1/events/kang-ri-handshake-2017-08-06", 1),
    ("/api/v1/events?participant=rex-tillerson&place=manila", 5),
    ("/api/v1/statements?page_size=100", 3),
    ("/api/v1/statements/ri-seoul-proposals-lacked-sincerity", 1),
    ("/api/v1/statements?speaker=wang-yi&topic=dialogue&source=presstv-manila-talks-2017-08-07", 6),
    ("/api/v1/topics?page_size=100", 3),
    ("/api/v1/topics/dialogue", 1),
    ("/api/v1/statements?via_unnamed=true&hands=3&from=2017-08-06&to=2017-08-06", 3),
    ("/api/v1/disputes?page_size=100", 3),
    ("/api/v1/disputes?fact=unsc-resolution-2371&fact_type=resolution", 4),
    ("/api/v1/facts?page_size=100", 2),
    ("/api/v1/facts?min_independent_sources=2&disputed=false&type=statement", 2),
    ("/api/v1/search?q=sanctions&page_size=100", 2),
    ("/health", 13),
]


@pytest.mark.parametrize("url, expected", QUERIES)
def test_each_endpoint_runs_a_fixed_number_of_queries(client, url, expected):
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert counter.count == expected, f"{url} ran {counter.count} queries, expected {expected}"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/entities?kind=person", "/api/v1/events", "/api/v1/statements", "/api/v1/measures", "/api/v1/facts"],
)
def test_a_longer_page_costs_no_more_queries(app, url):
    counts = []
    for page_size in (2, 100):
        worker = create_app(app.config).test_client()  # a cold worker each time: nothing counted or cached yet
        with count_queries() as counter:
            assert worker.get(with_params(url, f"page_size={page_size}")).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for 2 records, {counts[1]} for 100"


@pytest.mark.parametrize("url", [url for url, _ in QUERIES if url != "/health"])
def test_a_repeated_request_is_answered_from_the_cache_without_a_query(client, url):
    first = client.get(url)
    with count_queries() as counter:
        again = client.get(url)
        not_modified = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert counter.count == 0, f"{url}: {counter.count} queries for a cached answer"
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert [again.headers.get(h) for h in ("X-Pagination", "Link")] == [
        first.headers.get(h) for h in ("X-Pagination", "Link")
    ]
    assert not_modified.status_code == 304 and not_modified.get_data() == b""


def test_the_pages_of_a_list_count_it_once(client):
    with count_queries() as first:
        client.get("/api/v1/statements?page_size=5&stance=supports")
    with count_queries() as second:
        client.get("/api/v1/statements?page_size=5&stance=supports&page=2")
    assert second.count == first.count - 1
