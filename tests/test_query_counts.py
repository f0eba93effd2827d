"""Each endpoint answers in a fixed number of SQL queries, however many records it returns (no N+1).

Records are rendered at load time: an item is one lookup of its stored document, a list page its count, the
page's ids in order, and their documents (a filter naming an id checks it exists first; the count is then kept
for the other pages of the same list). A repeated request is answered
from the response cache with no query at all. The data version read on each request (store/version.py: one
PRAGMA on SQLite, one SELECT on PostgreSQL, outside peewee) is not counted here.
"""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from playhouse.test_utils import count_queries

from service import create_app
from service.knowledge.kinds import KINDS
from service.knowledge.lifecycle import initialise_database
from tests.helpers import SEEDS_DIR, synthetic_fixtures, with_params

ITEM = 1  # its stored document
LIST = 3  # its count, the page's ids, their documents
FACT_LIST = 2  # /facts and /search: the count and the page, each from one table holding the whole answer
HEALTH = len(KINDS) + 1  # a count per kind, and the data version's row
# Filters whose value is checked against the knowledge first (a 422 names a value it does not hold): one query each.
CHECKED_FILTERS = {
    "country",
    "commodity",
    "metric",
    "subject",
    "participant",
    "place",
    "speaker",
    "topic",
    "source",
    "fact",
}


def cost(url: str) -> int:
    """The queries a request must run on a cold cache, by the rules above: what it asks, not what the data holds."""
    parts = urlsplit(url)
    if parts.path == "/health":
        return HEALTH
    if parts.path in ("/api/v1/facts", "/api/v1/search"):
        return FACT_LIST
    segments = parts.path.removeprefix("/api/v1/").split("/")
    checked = sum(name in CHECKED_FILTERS for name, _ in parse_qsl(parts.query))
    if len(segments) == 3 and segments[2] == "votes":
        return LIST + 1 + checked  # the resolution named in the path is checked first
    if len(segments) == 1:
        return LIST + checked
    return ITEM


URLS = [
    "/api/v1/sources?page_size=100",
    "/api/v1/sources/presstv-manila-talks-2017-08-07",
    "/api/v1/sources/presstv-manila-talks-2017-08-07/text",
    "/api/v1/entities?page_size=100",
    "/api/v1/entities/ri-yong-ho",
    "/api/v1/entities?country=north-korea",
    "/api/v1/entities?identifier=Q423",
    "/api/v1/resolutions",
    "/api/v1/resolutions/unsc-resolution-2371",
    "/api/v1/resolutions/unsc-resolution-2371/votes?page_size=100",
    "/api/v1/measures?page_size=100",
    "/api/v1/measures/unsc-2371-export-ban-coal",
    "/api/v1/measures?commodity=coal",
    "/api/v1/figures?page_size=100",
    "/api/v1/figures/north-korea-foreign-revenue",
    "/api/v1/figures?metric=annual-export-revenue&subject=north-korea",
    "/api/v1/events?page_size=100",
    "/api/v1/events/kang-ri-handshake-2017-08-06",
    "/api/v1/events?participant=rex-tillerson&place=manila",
    "/api/v1/statements?page_size=100",
    "/api/v1/statements/ri-seoul-proposals-lacked-sincerity",
    "/api/v1/statements?speaker=wang-yi&topic=dialogue&source=presstv-manila-talks-2017-08-07",
    "/api/v1/topics?page_size=100",
    "/api/v1/topics/dialogue",
    "/api/v1/statements?via_unnamed=true&hands=3&from=2017-08-06&to=2017-08-06",
    "/api/v1/disputes?page_size=100",
    "/api/v1/disputes?fact=unsc-resolution-2371&fact_type=resolution",
    "/api/v1/facts?page_size=100",
    "/api/v1/facts?min_independent_sources=2&disputed=false&type=statement",
    "/api/v1/search?q=sanctions&page_size=100",
    "/health",
]


def queries_on_a_cold_worker(config, url: str) -> int:
    worker = create_app(config).test_client()  # nothing counted or cached yet
    with count_queries() as counter:
        response = worker.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return counter.count


@pytest.fixture(scope="module")
def grown_database(new_database_url, tmp_path_factory) -> str:
    """The curated knowledge and 300 made-up statements: more than a page of 100 of statements and of facts."""
    fixtures = synthetic_fixtures(tmp_path_factory.mktemp("grown"), 300)
    url = new_database_url()
    config = {"DATABASE_URL": url, "KB_FIXTURES_DIR": str(fixtures), "KB_SEEDS_DIR": str(SEEDS_DIR)}
    with create_app(config).app_context():
        initialise_database()
    listed = create_app({"DATABASE_URL": url}).test_client().get("/api/v1/statements?page_size=1")
    assert json.loads(listed.headers["X-Pagination"])["total"] >= 300 + 1
    return url


@pytest.mark.parametrize("url", URLS)
def test_each_endpoint_runs_the_queries_its_request_asks_for_however_much_is_known(app, grown_database, url):
    curated = queries_on_a_cold_worker(app.config, url)
    assert curated == cost(url), f"{url} ran {curated} queries, expected {cost(url)}"
    grown = queries_on_a_cold_worker({**app.config, "DATABASE_URL": grown_database}, url)
    assert grown == curated, f"{url}: {curated} queries on the curated knowledge, {grown} with 300 more statements"


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


@pytest.mark.parametrize("url", [url for url in URLS if url != "/health"])
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
