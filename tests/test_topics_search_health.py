"""/topics, /search and /health."""

import pytest

from service.knowledge.read import read_knowledge
from tests.helpers import FIXTURES_DIR, SEEDS_DIR, assert_problem

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
    "q, first_hit",
    [
        ("six-party", "lavrov-strong-commitment-resume-six-party-talks"),
        ("a OR six-party", "lavrov-strong-commitment-resume-six-party-talks"),
        ("^coal", "unsc-2371-export-ban-coal"),
        ("coal*", "unsc-2371-export-ban-coal"),
        ("SINCERITY", "ri-seoul-proposals-lacked-sincerity"),
        ('"lacked sincerity"', "ri-seoul-proposals-lacked-sincerity"),
    ],
)
def test_search_finds_real_words_whatever_the_punctuation(client, q, first_hit):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()[0]["id"] == first_hit


@pytest.mark.parametrize(
    "q", ["o'brien", '"unbalanced', "col:umn", "NEAR(a b)", "'; DROP TABLE entity; --", "sincerity -sincerity"]
)
def test_search_takes_operators_and_quotes_literally(client, q):
    """Text that is not in the knowledge, full-text syntax included, is searched for and simply not found."""
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == []


@pytest.mark.parametrize("q", ["NOT", "(((", "*", "-", "AND OR"])
def test_search_without_words_is_refused(client, q):
    assert_problem(client.get("/api/v1/search", query_string={"q": q}), 422, "'q'", "no words to search for")


def test_search_needs_q(client):
    response = client.get("/api/v1/search")
    assert response.status_code == 422 and "'q'" in response.get_json(force=True)["detail"]


def test_health_counts_the_loaded_facts(client):
    health = client.get("/health").get_json()
    assert health["status"] == "ok" and health["database"] == "reachable"
    assert health["facts"] == read_knowledge(FIXTURES_DIR, SEEDS_DIR).fact_count
    assert health["counts"]["statements"] > 0 and health["counts"]["citations"] > health["facts"]


def test_health_names_the_release_answering(client):
    """/health gives the code's version, the one written in service/__init__.py, beside the data version."""
    import service

    health = client.get("/health").get_json()
    assert health["version"] == service.__version__
    assert list(health)[list(health).index("version") + 1] == "data_version"
