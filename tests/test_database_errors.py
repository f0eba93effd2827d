"""Database errors by cause: only a database that cannot be reached is a 503; any other failure is a logged 500."""

import logging
import sqlite3

import pytest
from peewee import InterfaceError, OperationalError, SqliteDatabase
from playhouse.pool import MaxConnectionsExceeded

from service import create_app
from service.knowledge.lifecycle import initialise_database
from service.store.db import db, is_unavailable, uses_sqlite
from tests.helpers import assert_problem

GENERIC_500 = "The server encountered an internal error and was unable to complete your request."


def test_a_table_dropped_under_a_running_app_is_a_logged_500_that_reveals_nothing(new_database_url, caplog):
    app = create_app({"DATABASE_URL": new_database_url(), "TESTING": True})
    with app.app_context():
        initialise_database()
        with db.connection_context():
            if uses_sqlite():
                db.execute_sql("PRAGMA foreign_keys = OFF")  # drop the table, not the rows that point at it
                db.execute_sql("DROP TABLE statement")
            else:
                db.execute_sql("DROP TABLE statement CASCADE")
    client = app.test_client()
    assert client.get("/api/v1/entities/ri-yong-ho").status_code == 200

    with caplog.at_level(logging.WARNING):
        body = assert_problem(client.get("/api/v1/statements"), 500, GENERIC_500)
    assert "Retry-After" not in client.get("/api/v1/statements").headers
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    for leak in ("statement", "SELECT", "sqlite", "postgres", "no such", "does not exist", "/", "Traceback"):
        assert leak not in body["detail"], body["detail"]
    errors = [r for r in caplog.records if r.name == app.logger.name and r.levelno == logging.ERROR]
    assert errors, [r.getMessage() for r in caplog.records]
    assert errors[0].exc_info is not None and "statement" in str(errors[0].exc_info[1])
    assert not [r for r in caplog.records if r.name == app.logger.name and r.levelno == logging.WARNING]


def test_an_unopenable_sqlite_file_gives_503_problems(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-directory' / 'kb.sqlite3'}"})
    response = app.test_client().get("/api/v1/entities")
    assert_problem(response, 503, "database is unavailable")
    assert response.headers["Retry-After"] == "1"


def _raised_by(database: SqliteDatabase, sql: str) -> Exception:
    with pytest.raises(Exception) as caught:
        database.execute_sql(sql)
    return caught.value


def test_sqlite_errors_are_classified_by_result_code(tmp_path):
    path = tmp_path / "kb.sqlite3"
    database = SqliteDatabase(str(path), pragmas={"busy_timeout": 0}, timeout=0)
    database.execute_sql("CREATE TABLE kept (id INTEGER)")
    missing_table = _raised_by(database, "SELECT * FROM gone")
    bad_sql = _raised_by(database, "SELEKT 1")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing: readers get SQLITE_BUSY ("database is locked")
    try:
        database.close()
        locked = _raised_by(database, "SELECT * FROM kept")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        database.close()
    unopenable = SqliteDatabase(str(tmp_path / "no-such-directory" / "kb.sqlite3"))
    with pytest.raises(OperationalError) as cannot_open:
        unopenable.connect()

    # peewee re-raises the driver's error as its own class and keeps the original as `orig`.
    assert isinstance(locked, OperationalError) and isinstance(locked.orig, sqlite3.OperationalError)
    assert "database is locked" in str(locked)
    assert is_unavailable(locked)
    assert is_unavailable(cannot_open.value)
    assert isinstance(missing_table, OperationalError) and not is_unavailable(missing_table)
    assert not is_unavailable(bad_sql)


def test_errors_peewee_raises_itself_are_faults_and_an_exhausted_pool_is_unavailable():
    assert not is_unavailable(OperationalError("Connection already opened."))
    assert not is_unavailable(InterfaceError("Error, database must be initialized before opening a connection."))
    assert not is_unavailable(ValueError("A string literal cannot contain NUL (0x00) characters."))
    assert is_unavailable(MaxConnectionsExceeded("Max connections exceeded, timed out attempting to connect."))
