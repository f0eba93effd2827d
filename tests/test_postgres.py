"""PostgreSQL as the engine: the same answers as SQLite, clean 503s while the server is down, recovery after."""

import json
import logging
import os
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from service import create_app
from service.knowledge.lifecycle import initialise_database
from service.store.db import db
from tests.gate_support import LiveServer
from tests.helpers import POSTGRES_SERVER, assert_problem, loaded_sqlite_reference, needs_postgres, wait_until

COMPARED = [
    "/api/v1/sources?page_size=100",
    "/api/v1/sources/presstv-manila-talks-2017-08-07/text",
    "/api/v1/entities?page_size=100",
    "/api/v1/entities?q=ri%20yong%20ho",
    "/api/v1/entities?country=south-korea",
    "/api/v1/entities?identifier=wikidata:Q423",
    "/api/v1/entities?identifier=https://en.wikipedia.org/wiki/United_Kingdom",
    "/api/v1/entities?identifier=wikidata:Q4",
    "/api/v1/entities?identifier=wikidata:q423",
    "/api/v1/entities/north-korea",
    "/api/v1/resolutions",
    "/api/v1/resolutions/unsc-resolution-2371/votes?page_size=100",
    "/api/v1/measures?page_size=100",
    "/api/v1/measures?commodity=Iron%20Ore",
    "/api/v1/figures?page_size=100",
    "/api/v1/events?page_size=100",
    "/api/v1/events?from=2017-08-06&to=2017-08-06&page_size=7&page=2",
    "/api/v1/statements?page_size=100",
    "/api/v1/statements?q=SINCERITY",
    "/api/v1/statements?topic=dialogue&stance=supports",
    "/api/v1/topics?page_size=100",
    "/api/v1/entities/rex-tillerson",
    "/api/v1/events/kang-ri-handshake-2017-08-06",
    "/api/v1/entities?kind=spy",
    "/api/v1/events?page=99",
    # The bulk exports, read from a snapshot of each engine: the same bytes (and the same data version's ETag).
    "/api/v1/exports/records.ndjson",
    "/api/v1/exports/knowledge.json",
    "/api/v1/exports/entities.ftm.json",
    "/api/v1/exports/sources.csl.json",
    "/api/v1/exports/sources.bib",
    "/api/v1/exports/datapackage.json",
    "/api/v1/exports/statements.csv",
    "/api/v1/exports/votes.csv",
    "/api/v1/exports/events.csv",
    "/api/v1/exports/figures.csv",
    "/api/v1/exports/entities.csv",
    "/api/v1/exports/roles.csv",
    "/api/v1/exports/entities.csv",
    "/api/v1/exports/citations.csv",
    # The pages for people, rendered from each engine's stored documents, text and citations.
    "/",
    "/sources/presstv-manila-talks-2017-08-07",
    "/sources/china-urges-n-korea-2017-08-12",
    "/sources/un-doc-s-res-2371-2017",
    "/statements/ri-seoul-proposals-lacked-sincerity",
    "/entities/yonhap",
    "/resolutions/unsc-resolution-2371",
    "/topics/dialogue",
    "/events/kang-ri-handshake-2017-08-06",
    "/disputes/appreciates-who-said-it",
]
SEARCHES = ["six-party talks", "sanctions", "ri yong ho", "coal", "lacked sincerity", "o'brien", "handshake", "tweet"]


def test_an_unreachable_database_gives_503_problems():
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/nowhere"})
    client = app.test_client()
    for url in ("/health", "/api/v1/entities", "/api/v1/statements/ri-seoul-proposals-lacked-sincerity"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.mimetype == "application/problem+json"
        assert "database is unavailable" in response.get_json(force=True)["detail"]
        assert response.headers["Retry-After"] == "1"


@needs_postgres
def test_same_answers_as_sqlite_byte_for_byte(loaded_database, tmp_path):
    def answers(url: str) -> dict:
        client = create_app({"DATABASE_URL": url}).test_client()
        got = {
            path: (r.status_code, r.headers.get("X-Pagination"), r.headers.get("ETag"), r.get_data())
            for path in COMPARED
            if (r := client.get(path))
        }
        health = client.get("/health").get_json()
        got["health"] = {k: v for k, v in health.items() if k != "engine"}
        for q in SEARCHES:
            hits = client.get("/api/v1/search", query_string={"q": q, "page_size": 100}).get_json()
            got[f"search {q}"] = {(h["type"], h["id"]) for h in hits}
            got[f"top {q}"] = [(h["type"], h["id"]) for h in hits[:1]]
        return got

    on_sqlite = answers(loaded_sqlite_reference(tmp_path))
    on_postgres = answers(loaded_database)
    assert on_postgres.keys() == on_sqlite.keys()
    for key in on_sqlite:
        if key.startswith("search "):
            continue  # the sets of hits may differ at the margins (stemmers differ); the top hit must not
        assert on_postgres[key] == on_sqlite[key], key
    assert on_sqlite["top six-party talks"] == [("statement", "lavrov-strong-commitment-resume-six-party-talks")]


def _terminate_backend(pid: int) -> None:
    """End one server process from another connection, as a crash or an administrator would, and wait until it is gone."""
    import psycopg2

    admin = psycopg2.connect(f"{POSTGRES_SERVER}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))

            def ended() -> bool:
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
                return cursor.fetchone() is None

            wait_until(ended, 5, f"backend {pid} ending")
    finally:
        admin.close()


@needs_postgres
@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+pool"])
def test_a_connection_lost_mid_request_gives_a_503_and_the_next_request_recovers(new_database_url, scheme, caplog):
    url = new_database_url()
    with create_app({"DATABASE_URL": url}).app_context():
        initialise_database()
    app = create_app({"DATABASE_URL": url.replace("postgresql://", f"{scheme}://", 1), "TESTING": True})
    lose_connection = threading.Event()

    @app.before_request
    def terminate_this_requests_backend() -> None:  # runs after the app's own hook has connected
        if lose_connection.is_set():
            lose_connection.clear()
            _terminate_backend(db.connection().get_backend_pid())

    client = app.test_client()
    url = "/api/v1/statements?speaker=ri-yong-ho"
    before = client.get(url)
    assert before.status_code == 200
    lose_connection.set()
    with caplog.at_level(logging.WARNING):
        lost = client.get(url + "&page_size=7")  # not an answer the cache holds: the request needs the database
    assert_problem(lost, 503, "database is unavailable")
    assert lost.headers["Retry-After"] == "1"
    logged = [r for r in caplog.records if r.name == app.logger.name]
    assert [r.levelno for r in logged] == [logging.WARNING], [r.getMessage() for r in logged]
    after = client.get(url + "&page_size=7")
    assert after.status_code == 200 and after.get_data() == before.get_data()
    assert client.get("/health").get_json()["status"] == "ok"


def _pg_cluster(action: str) -> None:
    """Stop or start the local cluster; a start finding it already running (started by another client) is fine."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    if action == "start" and subprocess.run([*command, "status"], capture_output=True, timeout=60).returncode == 0:
        return
    subprocess.run([*command, action], check=True, timeout=120)


@needs_postgres
def test_restart_under_load_fails_cleanly_and_recovers(new_database_url, tmp_path):
    server = LiveServer(
        tmp_path,
        database_url=new_database_url().replace("postgresql://", "postgresql+pool://")
        + "?max_connections=8&stale_timeout=60",
    )
    server.start()
    outcomes: list[int | str] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"{server.url}/api/v1/statements?page_size=5", timeout=10) as response:
                    response.read()
                    outcomes.append(response.status)
            except urllib.error.HTTPError as error:
                body = error.read()
                kind = error.headers.get("Content-Type")
                outcomes.append(
                    error.code
                    if kind == "application/problem+json" and b"unavailable" in body
                    else f"{error.code} {kind}"
                )
            except OSError as error:
                outcomes.append(f"connection error: {error}")
            stop.wait(0.01)  # a steady load, not a flood

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    try:  # whatever fails, the load stops, the server stops and the cluster runs again
        for t in threads:
            t.start()
        wait_until(lambda: outcomes.count(200) > 10, 30, "answers before the outage")
        try:
            _pg_cluster("stop")
            wait_until(lambda: 503 in outcomes, 30, "a 503 while the server is down")
        finally:
            _pg_cluster("start")
        restarted = len(outcomes)
        # Recovered: the last 20 answers since the restart are all 200s.
        wait_until(lambda: outcomes[restarted:][-20:] == [200] * 20, 60, "recovery after the restart")
        stop.set()
        for t in threads:
            t.join(timeout=30)
        with urllib.request.urlopen(f"{server.url}/health", timeout=10) as response:
            assert json.loads(response.read())["status"] == "ok"
    finally:
        stop.set()
        server.stop()
    unexpected = [o for o in outcomes if o not in (200, 503)]
    assert not unexpected, f"{unexpected[:5]} (log: {server.log()})"
    assert 503 in outcomes, "the outage was not seen: the test did not test anything"
    assert outcomes[-1] == 200 and outcomes.count(200) > 10
