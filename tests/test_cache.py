"""The response cache and ETags follow the knowledge: never an answer older than the knowledge loaded, and an
answer's tag changes only when the answer does."""

import json
import os
import subprocess
import sys
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service import create_app
from service.cli import init_command
from service.pages import views
from service.web.cache import CachedAnswer, ResponseCache, response_cache
from service.web.conditional import both_variants, etag_of, gzip_etag, names
from tests.gate_support import LiveServer
from tests.helpers import read_fixture, wait_until, write_fixture


def answer(size: int) -> CachedAnswer:
    return CachedAnswer(b"x" * size, (("Content-Type", "application/json"),))


def test_the_cache_is_bounded_in_bytes_and_evicts_the_least_recently_used():
    one = answer(100)
    cache = ResponseCache(max_bytes=3 * one.size)
    for key in "abc":
        cache.put((key,), answer(100))
    assert (cache.stats().answers, cache.stats().bytes) == (3, 3 * one.size)
    assert cache.get(("a",)) is not None  # a is now the most recently used
    cache.put(("d",), answer(100))
    assert cache.get(("b",)) is None and cache.get(("a",)) is not None and cache.stats().answers == 3
    cache.put(("huge",), answer(10_000))  # larger than the whole bound: not kept, nothing evicted for it
    stats = cache.stats()
    assert cache.get(("huge",)) is None and stats.answers == 3 and stats.bytes <= stats.max_bytes


def test_a_zero_bound_caches_nothing(loaded_database):
    client = create_app({"DATABASE_URL": loaded_database, "KB_CACHE_BYTES": 0}).test_client()
    first = client.get("/api/v1/topics")
    assert client.get("/api/v1/topics").get_data() == first.get_data()
    assert response_cache(client.application).stats().answers == 0


def test_etags_are_a_hash_of_what_the_answer_says(client):
    one = client.get("/api/v1/topics?page_size=2")
    again = create_app(client.application.config).test_client().get("/api/v1/topics?page_size=2")
    assert one.headers["ETag"] == again.headers["ETag"], "another worker gives the same ETag for the same knowledge"
    assert one.headers["ETag"] == etag_of(one.get_data(), one.headers["X-Pagination"])
    assert client.get("/api/v1/topics?page_size=3").headers["ETag"] != one.headers["ETag"]
    # The same answer at another URL is the same representation: the same tag.
    assert client.get("/api/v1/topics?page=1&page_size=2").headers["ETag"] == one.headers["ETag"]
    item = client.get("/api/v1/topics/dialogue")
    assert item.headers["ETag"] == etag_of(item.get_data())


def test_a_page_whose_records_stay_but_whose_total_moves_changes_its_etag():
    """A list page's tag covers its X-Pagination: the same records with another total is another answer."""
    body = b'[{"id":"a"}]\n'
    assert etag_of(body, '{"total": 1}') != etag_of(body, '{"total": 2}') != etag_of(body)


def test_after_a_reload_the_next_answer_is_the_new_knowledge(knowledge_copy, new_database_url):
    config = {
        "DATABASE_URL": new_database_url(),
        "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
        "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
    }
    assert create_app(config).test_cli_runner().invoke(init_command).exit_code == 0
    serving = create_app(config).test_client()  # one worker, its cache warm
    before = serving.get("/api/v1/topics/dialogue")
    listed = serving.get("/api/v1/topics?page_size=100")
    assert serving.get("/api/v1/topics/dialogue", headers={"If-None-Match": before.headers["ETag"]}).status_code == 304

    path = knowledge_copy / "fixtures" / "topics.json"
    topics = read_fixture(path)
    next(t for t in topics if t["id"] == "dialogue")["description"] = "Changed by the test."
    write_fixture(path, topics)
    assert create_app(config).test_cli_runner().invoke(init_command, ["--force"]).exit_code == 0

    after = serving.get("/api/v1/topics/dialogue")
    assert after.get_json()["description"] == "Changed by the test."
    assert after.headers["ETag"] != before.headers["ETag"]
    stale = serving.get("/api/v1/topics/dialogue", headers={"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200 and stale.get_json()["description"] == "Changed by the test."
    assert serving.get("/api/v1/topics?page_size=100").get_data() != listed.get_data()


def test_every_worker_of_a_real_server_answers_the_new_knowledge_after_init_force(
    knowledge_copy, new_database_url, tmp_path
):
    server = LiveServer(tmp_path, database_url=new_database_url())
    server.env.update(
        {
            "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
            "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
            "WEB_CONCURRENCY": "3",
        }
    )
    server.start()
    url = f"{server.url}/api/v1/topics/dialogue"

    def descriptions(count: int) -> list[str]:
        found = []
        for _ in range(count):  # new connections: spread over the workers
            with urllib.request.urlopen(url, timeout=10) as response:
                found.append(json.loads(response.read())["description"])
        return found

    try:
        original = descriptions(30)  # every worker has it cached now
        assert len(set(original)) == 1
        path = knowledge_copy / "fixtures" / "topics.json"
        topics = read_fixture(path)
        next(t for t in topics if t["id"] == "dialogue")["description"] = "Changed under a running server."
        write_fixture(path, topics)
        init = subprocess.run(
            [str(Path(sys.executable).with_name("sanctions-kb")), "init", "--force"],
            env={**os.environ, **server.env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert init.returncode == 0, init.stderr
        assert descriptions(30) == ["Changed under a running server."] * 30
    finally:
        server.stop()


def test_one_matcher_reads_if_none_match_and_if_match():
    """Lists, weak tags compared weakly, `*`, and the gzip variant's tag naming the same answer."""
    tag = '"abc"'
    assert gzip_etag(tag) == '"abc-gzip"' and gzip_etag(f"W/{tag}") == 'W/"abc-gzip"'
    assert both_variants(f"W/{tag}") == both_variants(tag) == (tag, '"abc-gzip"')
    for header in (tag, f"W/{tag}", f' "x" , {tag}', "*", " * ", '"abc-gzip"', 'W/"abc-gzip", "y"'):
        assert names(header, both_variants(tag)), header
    for header in (None, "", " ", '"x"', '"abc', "abc", '"x", *', '"ABC"'):
        assert not names(header, both_variants(tag)), header
    assert not names('"abc-gzip"', (tag,)), "an answer without a gzip variant is named by its own tag only"


def test_if_none_match_takes_lists_weak_tags_and_the_star(client):
    etag = client.get("/api/v1/entities/ri-yong-ho").headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        for _ in range(2):  # a fresh answer, then a cached one
            assert client.get("/api/v1/entities/ri-yong-ho", headers={"If-None-Match": header}).status_code == 304
    fresh = create_app(client.application.config).test_client()
    assert fresh.get("/api/v1/entities/ri-yong-ho", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/entities/ri-yong-ho", headers={"If-None-Match": '"other"'}).status_code == 200


def _at_once(app, paths: list[str]) -> list[tuple[int, bytes, str]]:
    """GET each path from a thread of its own, all released at the same moment (each with its own client)."""
    start = threading.Barrier(len(paths))

    def get(path):
        client = app.test_client()
        start.wait()
        response = client.get(path)
        return response.status_code, response.get_data(), response.headers.get("ETag")

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(get, paths))


WAIT = 10.0  # seconds a test waits for a condition before failing
RENDER = views.render_template


def _renders_held(monkeypatch, release) -> list[str]:
    """Count the pages rendered; each render starts only once `release()` says so (or fails the test)."""
    renders: list[str] = []

    def held(template, **context):
        renders.append(template)
        release()
        return RENDER(template, **context)

    monkeypatch.setattr(views, "render_template", held)
    return renders


def _side_by_side(count: int):
    """A release that lets each of `count` renders go on only once all of them have started: they cannot have
    been made to wait for each other."""
    all_started = threading.Barrier(count)
    return lambda: all_started.wait(WAIT)


def test_readers_missing_the_same_answer_at_once_wait_for_one_render(loaded_database, monkeypatch):
    """After a publication every reader of a page misses at once: the first renders it, the others are answered
    the same bytes from the cache when it is done, instead of rendering it again each."""
    app = create_app({"DATABASE_URL": loaded_database})
    cache = response_cache(app)
    # The first render goes on only once the five other readers are waiting for it.
    renders = _renders_held(
        monkeypatch, lambda: wait_until(lambda: cache.stats().waiting == 5, WAIT, "5 readers waiting")
    )
    answers = _at_once(app, ["/topics/dialogue"] * 6)
    assert renders == ["pages/fact.html"]
    assert len(set(answers)) == 1 and answers[0][0] == 200 and cache.stats().waiting == 0
    # Different answers are not held up by each other: each renders, side by side.
    renders = _renders_held(monkeypatch, _side_by_side(3))
    answers = _at_once(app, ["/topics/sanctions", "/entities/yonhap", "/events/kang-ri-handshake-2017-08-06"])
    assert len(renders) == 3 and [status for status, _, _ in answers] == [200, 200, 200]


def test_an_answer_that_is_not_remembered_is_asked_of_the_app_by_each_reader(loaded_database, monkeypatch):
    """Nothing to wait for: an error is not cached, and with the cache off nothing is, so each request is
    answered by the app (the same problem, the same page)."""
    app = create_app({"DATABASE_URL": loaded_database})
    answers = _at_once(app, ["/topics/no-such-topic"] * 4)
    assert {status for status, _, _ in answers} == {404} and len({body for _, body, _ in answers}) == 1
    uncached = create_app({"DATABASE_URL": loaded_database, "KB_CACHE_BYTES": 0})
    renders = _renders_held(monkeypatch, _side_by_side(4))
    answers = _at_once(uncached, ["/topics/dialogue"] * 4)
    assert len(renders) == 4 and len(set(answers)) == 1


def test_a_topic_change_keeps_the_unrelated_answers_and_their_etags(curation):
    """Publishing a change to one topic drops that topic's answers and the lists of topics, and nothing else: an
    unrelated item keeps its ETag (a client's copy stays valid: 304) and is still answered from memory."""
    app, client, tokens = curation
    topic, statement = "/api/v1/topics/dialogue", "/api/v1/statements/tillerson-talks-when-conditions-right"
    urls = [topic, statement, "/api/v1/topics", "/api/v1/statements?page_size=5", "/api/v1/entities/kang-kyung-wha"]
    before = {url: client.get(url) for url in urls}
    cache = response_cache(app)
    proposed = client.post(
        "/api/v1/changes",
        json={
            "kind": "topic",
            "action": "update",
            "id": "dialogue",
            "record": {"description": "Talks, any talks."},
            "summary": "reword",
        },
        headers={"Authorization": f"Bearer {tokens['curator']}", "If-Match": before[topic].headers["ETag"]},
    )
    assert proposed.status_code == 201, proposed.get_json()
    approved = client.post(
        f"/api/v1/changes/{proposed.get_json()['id']}/approve", headers={"Authorization": f"Bearer {tokens['editor']}"}
    )
    assert approved.status_code == 200, approved.get_json()

    hits = cache.stats().hits
    after = {url: client.get(url, headers={"If-None-Match": before[url].headers["ETag"]}) for url in urls}
    assert after[topic].status_code == 200 and after[topic].get_json()["description"] == "Talks, any talks."
    assert after[topic].headers["ETag"] != before[topic].headers["ETag"]
    assert after["/api/v1/topics"].status_code == 200
    for url in (statement, "/api/v1/statements?page_size=5", "/api/v1/entities/kang-kyung-wha"):
        assert after[url].status_code == 304, f"{url} did not change: the client's copy is still good"
        assert after[url].headers["ETag"] == before[url].headers["ETag"]
    assert cache.stats().hits - hits == 3, "the three unrelated answers came from memory, the topic's did not"
    fresh = create_app({**app.config, "KB_CACHE_BYTES": 0}).test_client()
    for url in urls:
        assert client.get(url).get_data() == fresh.get(url).get_data(), url
