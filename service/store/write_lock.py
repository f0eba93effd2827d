"""The write lock: one lock that every writer of the knowledge tables holds, in every process and replica.

Loads and migrations (`init`, `serve`, and the schema step of the `token` commands) and the review workflow's
proposals, publications and rejections all take it, so a replica reloading the knowledge at start-up and a
publication on another replica never interleave: whichever comes second starts from what the first left. On
SQLite it is the database file's own write lock (`BEGIN IMMEDIATE`); on PostgreSQL an advisory lock on
WRITE_LOCK_KEY, taken inside a transaction (`write_transaction`) or for a session (`holding_write_lock`). The two
forms exclude each other, and a connection that holds one may take the other again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .db import db, uses_sqlite

# Any constant shared by every replica: the key of the PostgreSQL advisory lock. It is the key `init` has always
# taken, so a replica of an earlier release starting beside this one still waits for it.
WRITE_LOCK_KEY = 2371_2017


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that holds the write lock until it ends: SQLite's BEGIN IMMEDIATE, or a PostgreSQL advisory
    lock taken as the transaction's first statement.

    The transaction is rolled back whatever fails once it has begun, the lock's own wait included (PostgreSQL's
    lock_timeout or statement_timeout), so that no connection goes back to its pool, or on to the next request of
    its thread, inside a transaction. A BEGIN that fails (SQLite's busy timeout, a read-only file) leaves nothing
    open. A rollback after SQLite ended the transaction itself (a full disk) sends nothing (store/db.py)."""
    sqlite = uses_sqlite()
    with db.atomic(lock_type="IMMEDIATE") if sqlite else db.atomic():
        if not sqlite:
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
        yield


@contextlib.contextmanager
def holding_write_lock() -> Iterator[None]:
    """Hold the write lock across several transactions of this connection (`init`: each migration in its own, then
    the load), and release it however the block ends.

    On PostgreSQL, a session's advisory lock: a wait that fails (lock_timeout, statement_timeout) holds nothing and
    leaves no transaction open (peewee sends it outside one); an unlock that fails ends the session, which releases
    the lock, rather than let the connection go on, or back to its pool, holding it. On SQLite, whose locks end with
    their transaction, one BEGIN IMMEDIATE transaction, in which each inner transaction is a savepoint."""
    if uses_sqlite():
        with db.atomic(lock_type="IMMEDIATE"):
            yield
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
    try:
        yield
    finally:
        try:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))
        except BaseException:
            with contextlib.suppress(Exception):
                db.connection().close()  # the driver's connection: the session ends, and its locks with it
            raise
