"""Outages on writes, told apart from faults as on reads: a full disk, a read-only database and a lock timeout
answer a proposal with a 503 problem and Retry-After (logged as a warning, with no second error from rolling back
a transaction the database had already ended), reads stay up, and writes work again once the condition clears."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess

import pytest
from peewee import InternalError, OperationalError

from service.store.db import db, is_unavailable
from service.store.write_lock import WRITE_LOCK_KEY
from tests.helpers import ENGINE, assert_problem, needs_postgres, postgres_admin, propose, statement

sqlite_only = pytest.mark.skipif(ENGINE != "sqlite", reason="a SQLite file's condition")


def assert_outage_then_recovery(app, client, token, caplog, clear) -> None:
    """A proposal during the outage is a clean 503; reads answer; after `clear()` the same proposal is taken."""
    with caplog.at_level(logging.WARNING):
        refused = propose(client, token, record=statement())
    assert_problem(refused, 503, "database is unavailable")
    assert refused.headers["Retry-After"] == "1"
    logged = [r for r in caplog.records if r.name == app.logger.name]
    assert [r.levelno for r in logged] == [logging.WARNING], [r.getMessage() for r in logged]
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "cannot rollback" not in messages and "no such savepoint" not in messages, messages
    assert "transaction is open" not in messages, messages  # no connection left holding a transaction
    # Reads stay up meanwhile (asked of the database, not the response cache).
    assert client.get("/api/v1/statements?page_size=7").status_code == 200
    assert client.get("/api/v1/entities/ri-yong-ho?").status_code == 200
    clear()
    taken = propose(client, token, record=statement())
    assert taken.status_code == 201, taken.get_data(as_text=True)


def _sqlite_path(app) -> str:
    return app.config["DATABASE_URL"].split("sqlite:///", 1)[1]


def make_read_only(path: str, read_only: bool) -> None:
    """Make the database file read-only as the operating system sees it (or writable again): without write
    permission, or, for root (whom permissions do not stop), immutable (chattr +i). SQLite then opens it
    read-only."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if read_only else "-i", path], check=True)
    else:
        os.chmod(path, 0o444 if read_only else 0o644)


@sqlite_only
def test_a_read_only_sqlite_file_answers_proposals_503_and_writes_resume(curation, caplog):
    app, client, tokens = curation
    path = _sqlite_path(app)
    make_read_only(path, True)
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True)) as check:  # read-only for real
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                check.execute("CREATE TABLE probe (x)")
        assert_outage_then_recovery(app, client, tokens["curator"], caplog, clear=lambda: make_read_only(path, False))
    finally:
        make_read_only(path, False)


@sqlite_only
def test_a_full_disk_answers_proposals_503_and_writes_resume(curation, caplog):
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        db.execute_sql("VACUUM")  # no free pages left inside the file: a write must grow it
        pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    full = {"on": True}

    @app.before_request
    def the_disk_is_full() -> None:  # runs after the app's own hook has connected
        if full["on"]:
            db.execute_sql(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL as soon as the file would grow

    big = statement(summary="Kang urged Ri to accept Seoul's offer of talks. " * 100)  # more than a page holds
    with caplog.at_level(logging.WARNING):
        refused = propose(client, tokens["curator"], record=big)
    assert_problem(refused, 503, "database is unavailable")
    assert refused.headers["Retry-After"] == "1"
    logged = [r for r in caplog.records if r.name == app.logger.name]
    assert [r.levelno for r in logged] == [logging.WARNING], [r.getMessage() for r in logged]
    assert "full" in logged[0].getMessage()
    assert "cannot rollback" not in " ".join(r.getMessage() for r in caplog.records)
    assert client.get("/api/v1/statements?page_size=7").status_code == 200
    full["on"] = False
    taken = propose(client, tokens["curator"], record=big)
    assert taken.status_code == 201, taken.get_data(as_text=True)


@sqlite_only
def test_a_publication_on_a_full_disk_is_a_503_and_is_published_once_the_disk_has_room(curation, caplog):
    """A publication writes inside savepoints (the knowledge, the search index) within the curation lock's
    transaction: SQLite ends the whole transaction on SQLITE_FULL, and neither the savepoint nor the transaction
    is rolled back a second time."""
    app, client, tokens = curation
    full, pages = {"on": False}, []

    @app.before_request
    def the_disk_is_full() -> None:
        if full["on"]:
            db.execute_sql(f"PRAGMA max_page_count = {pages[0]}")

    # A summary longer than a page holds: publishing it needs a new page whatever room the last pages have left.
    long_summary = ("Kang urged Ri to accept Seoul's offer of talks. " * 80).strip()
    proposed = propose(client, tokens["curator"], record=statement(summary=long_summary))
    assert proposed.status_code == 201
    with app.app_context(), db.connection_context():
        db.execute_sql("VACUUM")
        pages.append(db.execute_sql("PRAGMA page_count").fetchone()[0])
    full["on"] = True

    approve = f"/api/v1/changes/{proposed.get_json()['id']}/approve"
    editor = {"Authorization": f"Bearer {tokens['editor']}"}
    with caplog.at_level(logging.WARNING):
        refused = client.post(approve, headers=editor)
    assert_problem(refused, 503, "database is unavailable")
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "cannot rollback" not in messages and "no such savepoint" not in messages, messages
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], messages
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 404  # nothing half-published
    full["on"] = False
    published = client.post(approve, headers=editor)
    assert published.status_code == 200, published.get_data(as_text=True)
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 200


@sqlite_only
def test_a_write_lock_held_elsewhere_past_the_busy_timeout_is_a_503(curation, caplog):
    app, client, tokens = curation

    @app.before_request
    def wait_briefly() -> None:
        db.execute_sql("PRAGMA busy_timeout = 100")

    holder = sqlite3.connect(_sqlite_path(app), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing

    def release() -> None:
        holder.execute("ROLLBACK")
        holder.close()

    assert_outage_then_recovery(app, client, tokens["curator"], caplog, clear=release)


def _database_name(app) -> str:
    return app.config["DATABASE_URL"].rsplit("/", 1)[1]


@needs_postgres
def test_a_read_only_postgresql_database_answers_proposals_503_and_writes_resume(curation, caplog):
    app, client, tokens = curation
    name = _database_name(app)
    postgres_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        assert_outage_then_recovery(
            app,
            client,
            tokens["curator"],
            caplog,
            clear=lambda: postgres_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'),
        )
    finally:
        postgres_admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')


@needs_postgres
def test_the_write_lock_held_past_the_lock_timeout_is_a_503_and_leaves_no_transaction_open(curation, caplog):
    import psycopg2

    app, client, tokens = curation
    name = _database_name(app)
    postgres_admin(f"ALTER DATABASE \"{name}\" SET lock_timeout = '200ms'")
    holder = psycopg2.connect(app.config["DATABASE_URL"])
    holder.autocommit = True
    holder.cursor().execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))  # another replica loading or publishing

    def release() -> None:
        holder.cursor().execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
        holder.close()

    try:
        assert_outage_then_recovery(app, client, tokens["curator"], caplog, clear=release)
    finally:
        if not holder.closed:
            holder.close()
        postgres_admin(f'ALTER DATABASE "{name}" RESET lock_timeout')


def wrapped(error: sqlite3.Error) -> OperationalError:
    """The driver's error as peewee re-raises it: its own class, the original as `orig`."""
    peewee_error = OperationalError(error)
    peewee_error.orig = error
    return peewee_error


def test_write_outages_are_classified_as_unavailable_and_other_errors_as_faults(tmp_path):
    database = sqlite3.connect(tmp_path / "kb.sqlite3", isolation_level=None)
    database.execute("CREATE TABLE t (x)")
    database.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as read_only:
        database.execute("INSERT INTO t VALUES (1)")
    database.execute("PRAGMA query_only = 0")
    database.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as full:
        database.execute("INSERT INTO t VALUES (randomblob(100000))")
    with pytest.raises(sqlite3.OperationalError) as no_transaction:
        database.execute("ROLLBACK")
    read_only_error, full_error, stray = (wrapped(e.value) for e in (read_only, full, no_transaction))
    assert is_unavailable(read_only_error) and is_unavailable(full_error)
    assert not is_unavailable(stray)
    assert not is_unavailable(InternalError("no such savepoint"))
