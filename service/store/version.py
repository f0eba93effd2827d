"""The data version: one value that identifies the knowledge being served, read on every request.

It is `dataset.version`, set by every load (and, later, by every accepted write). ETags and the response cache are
keyed by it, so an answer is never served for an older version than the database holds.

On SQLite each worker thread keeps one read connection for it and asks `PRAGMA data_version`, which changes
only when another connection commits: the row is read again only then, and the check costs microseconds. On
PostgreSQL it is one indexed read on the request's own (pooled) connection.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from .db import db, uses_sqlite

_local = threading.local()
QUERY = 'SELECT "version" FROM "dataset"'


def data_version() -> str:
    """The version of the knowledge the database holds now ("" before anything is loaded)."""
    if uses_sqlite():
        return _sqlite_version(db.obj.database)
    if db.is_closed():
        db.connect()
    with db.connection().cursor() as cursor:
        cursor.execute(QUERY)
        row = cursor.fetchone()
    return row[0] if row else ""


@dataclass(slots=True)
class _Watcher:
    """A worker thread's read connection to one SQLite file, and the version it read there."""

    connection: sqlite3.Connection
    seen: int | None = None  # PRAGMA data_version when `version` was read
    version: str = ""


def _sqlite_version(path: str) -> str:
    watchers: dict[str, _Watcher] | None = getattr(_local, "watchers", None)
    if watchers is None:
        watchers = _local.watchers = {}
    watcher = watchers.get(path)
    if watcher is None:
        # mode=rw: a missing file is an error (503), never a new empty database; autocommit: no snapshot is held.
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
        watcher = watchers[path] = _Watcher(connection)
    (changes,) = watcher.connection.execute("PRAGMA data_version").fetchone()
    if changes != watcher.seen:
        row = watcher.connection.execute(QUERY).fetchone()
        watcher.seen, watcher.version = changes, row[0] if row else ""
    return watcher.version


def release_connection() -> None:
    """Close the connection reading the version opened, when no request will (an answer served from the cache)."""
    if not uses_sqlite() and not db.is_closed():
        db.close()
