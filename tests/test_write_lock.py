"""One write lock for every writer: a reload of the knowledge and a publication on another connection take turns,
on SQLite and on PostgreSQL, and a publication on PostgreSQL waits for an `init` of another process. The
publication that comes second starts from what the reload left: applied on top of it when its record is as the
change found it, refused (409) when the reload changed that record."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from service import create_app
from service.knowledge import curation as workflow
from service.knowledge import load
from service.knowledge.lifecycle import initialise_database
from service.store import models as m
from service.store.db import db, open_database
from service.store.tokens import issue_token
from service.store.write_lock import WRITE_LOCK_KEY
from tests.helpers import ENGINE, assert_problem, auth, needs_postgres, wait_until

TOPIC = "/api/v1/topics/dialogue"


def _topic_change(action: str, record_id: str, description: str) -> dict:
    return {
        "kind": "topic",
        "action": action,
        "id": record_id,
        "record": {"description": description},
        "summary": action,
    }


# What a reload discards: a change published through the API to a curated topic.
EARLIER = _topic_change("update", "dialogue", "Talks.")
# What is approved while the reload runs: a record the reload leaves alone, or the one it takes back to its fixture.
UNTOUCHED = _topic_change("create", "test-topic", "A test.")
MOVED = _topic_change("update", "dialogue", "Talks, again.")
SETTLE = 0.5  # seconds a publication is left waiting for the lock before the reload is let go


def _proposed(client, tokens, body: dict) -> int:
    """Propose `body` as the curator (with the record's current ETag for an update); the change's id."""
    headers = auth(tokens["curator"])
    if body["action"] != "create":
        headers["If-Match"] = client.get(f"/api/v1/topics/{body['id']}").headers["ETag"]
    proposed = client.post("/api/v1/changes", json=body, headers=headers)
    assert proposed.status_code == 201, proposed.get_data(as_text=True)
    return proposed.get_json()["id"]


def _approve(client, tokens, change_id: int):
    return client.post(f"/api/v1/changes/{change_id}/approve", headers=auth(tokens["editor"]))


def _published(client, tokens, body: dict) -> None:
    approved = _approve(client, tokens, _proposed(client, tokens, body))
    assert approved.status_code == 200, approved.get_data(as_text=True)


def _served(url: str) -> tuple[dict, str]:
    """What the database at `url` serves: every stored document, and the data version (read through a connection
    of its own: the service's database is whichever app was created last)."""
    database = open_database(url, pooled=False)
    with database.connection_context():
        documents = database.execute_sql('SELECT "kind", "record_id", "body" FROM "document"').fetchall()
        [(version,)] = database.execute_sql('SELECT "version" FROM "dataset"').fetchall()
    return {(kind, record_id): body for kind, record_id, body in documents}, version


def _serially(url: str, body: dict) -> tuple[dict, str]:
    """The oracle: a database of its own loaded with the fixtures, then `body` published on it, one after the
    other. (It becomes the service's database: call it once the database under test is no longer used.)"""
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
    with app.app_context(), db.connection_context():
        tokens = {role: issue_token(f"{role}-{uuid.uuid4().hex[:6]}", role) for role in ("curator", "editor")}
    _published(app.test_client(), tokens, body)
    return _served(url)


def _lock_holders(url: str, granted: bool, waiting_on: str = "") -> list[int]:
    """The PostgreSQL server processes that hold the write lock in the database at `url` (or wait for it, when not
    `granted`), and that wait to lock the table `waiting_on` if one is named."""
    import psycopg2

    query = (
        "SELECT held.pid FROM pg_locks held WHERE held.locktype = 'advisory' AND held.granted = %s "
        "AND held.classid = %s AND held.objid = %s AND held.objsubid = 1 "
        "AND held.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    parameters: tuple = (granted, WRITE_LOCK_KEY >> 32, WRITE_LOCK_KEY & 0xFFFFFFFF)
    if waiting_on:
        query += (
            " AND EXISTS (SELECT 1 FROM pg_locks waiting WHERE waiting.pid = held.pid AND waiting.locktype = "
            "'relation' AND NOT waiting.granted AND waiting.relation = %s::regclass)"
        )
        parameters += (waiting_on,)
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, parameters)
            return [pid for (pid,) in cursor.fetchall()]
    finally:
        connection.close()


def _lock_waiters(url: str) -> list[int]:
    """The PostgreSQL server processes waiting for the write lock in the database at `url`."""
    return _lock_holders(url, granted=False)


def _waiting_for_the_lock(app, publication: threading.Thread, asking: threading.Event) -> None:
    """The publication has asked for the write lock and is still waiting for it: on PostgreSQL, a server process
    waits for the advisory lock itself; on SQLite (BEGIN IMMEDIATE, whose wait is not on view) it has not finished
    SETTLE seconds after asking."""
    assert asking.wait(30), "the publication never asked for the write lock"
    if ENGINE == "postgresql":
        wait_until(lambda: _lock_waiters(app.config["DATABASE_URL"]), 30, "a publication waiting for the write lock")
    time.sleep(SETTLE)
    assert publication.is_alive(), "the publication finished while the reload held the write lock"


def _asking_for_the_lock(monkeypatch) -> threading.Event:
    """An event set when the review workflow asks for the write lock."""
    asking = threading.Event()
    take = workflow.write_transaction

    def announced():
        asking.set()
        return take()

    monkeypatch.setattr(workflow, "write_transaction", announced)
    return asking


def _race(curation, body: dict, monkeypatch) -> tuple[int, object]:
    """Publish EARLIER and propose `body`; then reload the fixtures (`init --force`, which discards EARLIER) and,
    while the load holds the write lock, approve the change on another thread and connection. The change's id and
    the approval's answer, once both are done."""
    app, client, tokens = curation
    _published(client, tokens, EARLIER)
    change_id = _proposed(client, tokens, body)
    inside, release = threading.Event(), threading.Event()
    rebuild = load.rebuild_statement_text

    def held(*args, **kwargs):  # the load's last step but the data version, inside its transaction
        inside.set()
        assert release.wait(60), "the test never let the load go on"
        return rebuild(*args, **kwargs)

    monkeypatch.setattr(load, "rebuild_statement_text", held)
    asking = _asking_for_the_lock(monkeypatch)
    answers: dict = {}

    def reload() -> None:
        with app.app_context():
            answers["reload"] = initialise_database(force=True)

    def approve() -> None:
        answers["publication"] = _approve(client, tokens, change_id)

    reloader, publication = threading.Thread(target=reload), threading.Thread(target=approve)
    reloader.start()
    try:
        assert inside.wait(60), "the reload never reached its load"
        publication.start()
        _waiting_for_the_lock(app, publication, asking)
    finally:
        release.set()
        reloader.join(120)
        if publication.ident is not None:
            publication.join(120)
    assert not reloader.is_alive() and not publication.is_alive()
    assert answers["reload"].loaded and answers["reload"].discarded_changes == 1
    return change_id, answers["publication"]


def test_a_publication_waits_for_a_reload_and_is_applied_on_top_of_it(curation, new_database_url, monkeypatch):
    app, client, _ = curation
    _, published = _race(curation, UNTOUCHED, monkeypatch)
    assert published.status_code == 200, published.get_data(as_text=True)
    assert published.get_json()["status"] == "published"
    # The reload took the earlier change away, and the publication came after it: the database serves, byte for
    # byte and with the same data version, what the fixtures and then this change alone give.
    assert client.get(TOPIC).get_json()["description"] != EARLIER["record"]["description"]
    assert client.get("/api/v1/topics/test-topic").status_code == 200
    monkeypatch.undo()
    assert _served(app.config["DATABASE_URL"]) == _serially(new_database_url(), UNTOUCHED)


def test_a_publication_whose_record_a_reload_changed_meanwhile_is_refused(curation, loaded_database, monkeypatch):
    writer = curation[0]
    change_id, refused = _race(curation, MOVED, monkeypatch)
    assert_problem(refused, 409, f"the topic changed since change {change_id} was proposed: propose it again")
    # Nothing of the refused change was written: the database serves what the fixtures alone give (the shared
    # database loaded with them), and the change still awaits review.
    assert _served(writer.config["DATABASE_URL"]) == _served(loaded_database)
    with writer.app_context(), db.connection_context():
        assert m.Change.get_by_id(change_id).status == "pending"


def _init_holding_the_lock(url: str) -> list[int]:
    """The server processes that hold the write lock in the database at `url` while they wait to read the schema
    version (an `init` stopped inside the lock, at its first migration step's read)."""
    return _lock_holders(url, granted=True, waiting_on="schema_version")


@needs_postgres
def test_a_publication_waits_for_an_init_of_another_process(curation, new_database_url, monkeypatch):
    """`sanctions-kb init --force` in a process of its own takes the write lock, then waits on a table the test
    holds: a publication meanwhile waits for the lock, and is applied on top of the reload once both go on."""
    import psycopg2

    app, client, tokens = curation
    url = app.config["DATABASE_URL"]
    _published(client, tokens, EARLIER)
    change_id = _proposed(client, tokens, UNTOUCHED)
    asking = _asking_for_the_lock(monkeypatch)
    table = psycopg2.connect(url)  # in a transaction until rolled back
    table.cursor().execute('LOCK TABLE "schema_version" IN ACCESS EXCLUSIVE MODE')
    command = [str(Path(sys.executable).with_name("sanctions-kb")), "init", "--force"]
    init = subprocess.Popen(
        command, env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    answers: dict = {}
    publication = threading.Thread(target=lambda: answers.update(publication=_approve(client, tokens, change_id)))
    try:
        wait_until(lambda: _init_holding_the_lock(url) or init.poll() is not None, 60, "init holding the write lock")
        assert init.poll() is None, init.communicate()[0]
        [holder] = _init_holding_the_lock(url)
        publication.start()
        _waiting_for_the_lock(app, publication, asking)
        assert init.poll() is None and holder not in _lock_waiters(url)
    finally:
        table.rollback()
        table.close()
        try:
            output = init.communicate(timeout=120)[0]
        finally:
            if init.poll() is None:
                init.kill()
        if publication.ident is not None:
            publication.join(120)
    assert init.returncode == 0, output
    assert output.startswith("discarded 1 change(s) published through the API (--force)"), output
    published = answers["publication"]
    assert published.status_code == 200, published.get_data(as_text=True)
    monkeypatch.undo()
    assert _served(app.config["DATABASE_URL"]) == _serially(new_database_url(), UNTOUCHED)


@needs_postgres
def test_the_lock_init_holds_is_released_when_it_fails(curation, monkeypatch):
    """An init that fails inside the write lock releases it: another connection takes it at once."""
    import psycopg2

    app, _, _ = curation

    def broken(*args, **kwargs):
        raise RuntimeError("the load failed")

    monkeypatch.setattr(load, "rebuild_statement_text", broken)
    with app.app_context(), pytest.raises(RuntimeError, match="the load failed"):
        initialise_database(force=True)
    other = psycopg2.connect(app.config["DATABASE_URL"])
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (WRITE_LOCK_KEY,))
            assert cursor.fetchone() == (True,)
    finally:
        other.close()


@needs_postgres
def test_a_token_command_migrates_the_schema_only_under_the_write_lock(curation):
    """`sanctions-kb token create` brings the schema up to date first, so while another process holds the write lock
    (an `init` migrating or loading) it waits for it, then creates the token."""
    import psycopg2

    from service.cli import token_create_command

    app, _, _ = curation
    url = app.config["DATABASE_URL"]
    holder = psycopg2.connect(url)
    holder.autocommit = True
    holder.cursor().execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
    answers: dict = {}
    runner = app.test_cli_runner()
    command = threading.Thread(
        target=lambda: answers.update(created=runner.invoke(token_create_command, ["--name", "ops", "--role", "admin"]))
    )
    command.start()
    try:
        wait_until(lambda: _lock_waiters(url), 30, "the token command waiting for the write lock")
        assert command.is_alive()
    finally:
        holder.close()  # the session ends, and its lock with it
        command.join(60)
    created = answers["created"]
    assert created.exit_code == 0, created.output
    holder_of = app.test_client().get("/api/v1/token", headers=auth(created.stdout.strip()))
    assert holder_of.status_code == 200 and holder_of.get_json()["name"] == "ops"
