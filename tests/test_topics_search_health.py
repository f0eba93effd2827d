"""/topics, /search and /health."""

import pytest

from service.knowledge import read_knowledge
from tests.helpers import FIXTURES_DIR, SEEDS_DIR

REQUIRED_TOPICS = {
    "dialogue",
    "sanctions",
    "sanctions-enforcement",
    "six-party-talks",
    "inter-korean-relations",
    "missile-program",
}


def test_topics_vocabulary(client):
    topics = client.get("/api/v1/topics?page_size=100").get_json()
    assert REQUIRED_TOPICS <= {t["id"] for t in topics}
    assert all(t["description"] for t in topics)
    assert client.get("/api/v1/topics/dialogue").get_json()["id"] == "dialogue"


def test_search_ranks_the_quote_first(client):
    hits = client.get("/api/v1/search?q=six-party%20talks").get_json()
    assert hits[0]["type"] == "statement"
    assert hits[0]["id"] == "lavrov-strong-commitment-resume-six-party-talks"
    assert "[six-party]" in hits[0]["snippet"] or "[six]" in hits[0]["snippet"]
    assert client.get(hits[0]["url"]).status_code == 200
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_finds_each_type(client):
    assert any(
        h["type"] == "entity" and h["id"] == "ri-yong-ho"
        for h in client.get("/api/v1/search?q=ri%20yong%20ho").get_json()
    )
    assert any(
        h["type"] == "measure" and h["id"] == "unsc-2371-export-ban-coal"
        for h in client.get("/api/v1/search?q=coal&type=measure").get_json()
    )
    events = client.get("/api/v1/search?q=handshake&type=event").get_json()
    assert events and all(h["type"] == "event" for h in events)
    assert [h["id"] for h in client.get("/api/v1/search?q=sincerity&type=statement").get_json()] == [
        "ri-seoul-proposals-lacked-sincerity"
    ]


@pytest.mark.parametrize(
    "q", ["o'brien", '"unbalanced', "six-party", "NOT", "a OR", "(((", "*", "col:umn", "-", "'; DROP TABLE entity; --"]
)
def test_search_takes_any_text_safely(client, q):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.mimetype == "application/problem+json"
        assert "'q'" in response.get_json(force=True)["detail"]


def test_search_needs_q(client):
    response = client.get("/api/v1/search")
    assert response.status_code == 422 and "'q'" in response.get_json(force=True)["detail"]


def test_health_counts_the_loaded_facts(client):
    health = client.get("/health").get_json()
    assert health["status"] == "ok" and health["database"] == "reachable"
    assert health["facts"] == read_knowledge(FIXTURES_DIR, SEEDS_DIR).fact_count
    assert health["counts"]["statements"] > 0 and health["counts"]["citations"] > health["facts"]
