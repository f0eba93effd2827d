"""Never an answer older than the data, against the production server: a multi-worker server's answers are cached
(items, lists, search, the change feed, pages), random changes are published through the API, and every cached
URL then answers what an app with no cache answers on the same database, byte for byte and with the same ETag
(on SQLite, and on PostgreSQL with KB_TEST_DATABASE=postgresql)."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
import uuid

import pytest

from service import create_app
from tests.gate_support import LiveServer
from tests.helpers import statement

ROUNDS = 6
READS_PER_URL = 3  # each on a new connection, so spread over the workers


def _get(url: str) -> tuple[int, bytes, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), response.headers.get("ETag")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("ETag")


def _post(url: str, body: dict | None, token: str, **headers: str) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def server(tmp_path, new_database_url):
    live = LiveServer(tmp_path, database_url=new_database_url())
    live.env["WEB_CONCURRENCY"] = "2"
    live.start()
    try:
        yield live
    finally:
        live.stop()


def _speakers(base: str, statements: list[str]) -> list[str]:
    """The entities speaking these statements."""
    speakers = [json.loads(_get(f"{base}/api/v1/statements/{i}")[1])["speaker"] for i in statements]
    return sorted({s for s in speakers if s})


def _urls(base: str) -> list[str]:
    """Items of every listed kind, lists (with and without filters), search, /facts, the change feed and pages."""

    def ids(path: str, count: int = 3) -> list[str]:
        _, body, _ = _get(f"{base}{path}?page_size=100")
        return [record["id"] for record in json.loads(body)][:count]

    statements = ids("/api/v1/statements", 100)
    topics = ids("/api/v1/topics", 100)
    urls = [
        "/api/v1/statements",
        "/api/v1/statements?page_size=5",
        "/api/v1/statements?page=2&page_size=5",
        f"/api/v1/statements?topic={topics[0]}",
        "/api/v1/statements?stance=supports",
        "/api/v1/statements?q=talks",
        "/api/v1/topics",
        "/api/v1/topics?page_size=2",
        "/api/v1/entities",
        "/api/v1/sources",
        "/api/v1/events",
        "/api/v1/disputes",
        "/api/v1/facts",
        "/api/v1/facts?type=statement",
        "/api/v1/facts?min_independent_sources=2",
        "/api/v1/search?q=talks",
        "/api/v1/search?q=sanctions",
        "/api/v1/revisions",
        "/",
        *(f"/api/v1/statements/{i}" for i in statements[:8]),
        *(f"/statements/{i}" for i in statements[:3]),
        *(f"/api/v1/topics/{i}" for i in topics),
        *(f"/topics/{i}" for i in topics[:2]),
        *(f"/api/v1/entities/{i}" for i in ids("/api/v1/entities")),
        *(f"/api/v1/entities/{i}" for i in _speakers(base, statements[:3])),  # named on the statements' pages
        *(f"/api/v1/sources/{i}" for i in ids("/api/v1/sources")),
        *(f"/sources/{i}" for i in ids("/api/v1/sources", 1)),
        *(f"/api/v1/events/{i}" for i in ids("/api/v1/events")),
    ]
    return urls


def test_every_cached_answer_is_the_answer_of_now_after_random_publications(server, new_database_url):
    rng = random.Random(uuid.uuid4().int)  # a new sequence of changes each run; its seed is in the failure
    seed = rng.random()
    rng.seed(seed)
    base = server.url
    curator = server.sanctions_kb("token", "create", "--name", "never-stale-curator", "--role", "curator").strip()
    editor = server.token
    fresh = create_app({"DATABASE_URL": server.env["DATABASE_URL"], "KB_CACHE_BYTES": 0}).test_client()
    urls = _urls(base)
    statements = [u.rsplit("/", 1)[1] for u in urls if u.startswith("/api/v1/statements/")]
    topics = [u.rsplit("/", 1)[1] for u in urls if u.startswith("/api/v1/topics/")]
    entities = [u.rsplit("/", 1)[1] for u in urls if u.startswith("/api/v1/entities/")]
    created: list[str] = []

    def check_all(moment: str) -> None:
        for url in urls:
            expected = fresh.get(url)
            for _ in range(READS_PER_URL):
                status, body, etag = _get(base + url)
                assert (status, body) == (expected.status_code, expected.get_data()), (
                    f"{url} {moment} (seed {seed}): the server's answer is not the answer of now"
                )
                assert etag == expected.headers.get("ETag"), f"{url} {moment} (seed {seed})"

    def publish(kind: str, action: str, record_id: str, record: dict | None, path: str | None) -> None:
        headers = {}
        if path is not None:
            headers["If-Match"] = _get(base + path)[2] or ""
        body = {"kind": kind, "action": action, "id": record_id, "summary": f"{action} {record_id}"}
        if record is not None:
            body["record"] = record
        status, change = _post(f"{base}/api/v1/changes", body, curator, **headers)
        assert status == 201, (seed, change)
        status, published = _post(f"{base}/api/v1/changes/{change['id']}/approve", None, editor)
        assert status == 200, (seed, published)

    check_all("before any change")  # and every answer is cached now, on both workers
    for round_number in range(ROUNDS):
        for number in range(rng.randint(2, 3)):
            # Each round renames an entity: its name shows in other records' pages, lists and search entries.
            choice = "entity" if number == 0 else rng.choice(["stance", "summary", "topic", "create", "delete"])
            if choice == "delete" and not created:
                choice = "create"
            if choice in ("stance", "summary"):
                record_id = rng.choice(statements)
                patch = (
                    {"stance": rng.choice(["supports", "opposes", "neutral"])}
                    if choice == "stance"
                    else {"summary": f"Reworded {uuid.uuid4().hex[:6]}."}
                )
                publish("statement", "update", record_id, patch, f"/api/v1/statements/{record_id}")
            elif choice == "topic":
                record_id = rng.choice(topics)
                patch = {"description": f"Described again {uuid.uuid4().hex[:6]}."}
                publish("topic", "update", record_id, patch, f"/api/v1/topics/{record_id}")
            elif choice == "entity":  # a name shown in statements' search entries and in the pages' labels
                record_id = rng.choice(entities)
                patch = {"name": f"Renamed {uuid.uuid4().hex[:6]}"}
                publish("entity", "update", record_id, patch, f"/api/v1/entities/{record_id}")
            elif choice == "create":
                record_id = f"never-stale-{uuid.uuid4().hex[:8]}"
                publish("statement", "create", record_id, statement(), None)
                created.append(record_id)
            else:
                record_id = created.pop(rng.randrange(len(created)))
                publish("statement", "delete", record_id, None, f"/api/v1/statements/{record_id}")
        check_all(f"after round {round_number + 1}")
