"""The data state: which knowledge the database serves, read on every request.

`dataset.version` names the knowledge (the same content, the same version, on every engine); `epoch` is new with
every full load and `revision` is the last revision published since it. The response cache (web/cache.py) follows
the (epoch, position) pair: the position is the revision, or, right after a load (revision NULL), the last revision
published before it, so that the revisions published since are those numbered above it.

On SQLite each worker thread keeps one read connection for it and asks `PRAGMA data_version`, which changes
only when another connection commits: the row is read again only then, and the check costs microseconds. On
PostgreSQL it is one indexed read on the request's own (pooled) connection.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .db import db, uses_sqlite

_local = threading.local()
# One statement, so one snapshot: the dataset row and, after a load, the last revision published before it.
QUERY = 'SELECT "version", "epoch", COALESCE("revision", (SELECT MAX("revision") FROM "change"), 0) FROM "dataset"'
# The revisions published after one position up to another, with what each touched.
TOUCHED = (
    'SELECT "revision", "touched" FROM "change" WHERE "status" = \'published\' AND "revision" > {mark} '
    'AND "revision" <= {mark} ORDER BY "revision"'
)


class DataState(NamedTuple):
    """Where the database's knowledge is: its version, the epoch of its last full load, and the position in that
    epoch's revisions (see the module's docstring)."""

    version: str
    epoch: str
    position: int


EMPTY = DataState("", "", 0)  # before anything is loaded


def data_state() -> DataState:
    """The state of the knowledge the database holds now."""
    if uses_sqlite():
        return _sqlite_state(db.obj.database)
    if db.is_closed():
        db.connect()
    with db.connection().cursor() as cursor:
        cursor.execute(QUERY)
        row = cursor.fetchone()
    return DataState(*row) if row else EMPTY


def data_version() -> str:
    """The version of the knowledge the database holds now ("" before anything is loaded)."""
    return data_state().version


def touched_between(after: int, upto: int) -> dict[int, dict] | None:
    """What each revision published after position `after`, up to `upto`, touched (Change.touched, decoded), by
    revision; None when one of them is missing or says nothing (a cache then drops everything)."""
    sql = TOUCHED.replace("{mark}", "?" if uses_sqlite() else "%s")
    if uses_sqlite():
        rows = _watcher(db.obj.database).connection.execute(sql, (after, upto)).fetchall()
    else:
        if db.is_closed():
            db.connect()
        with db.connection().cursor() as cursor:
            cursor.execute(sql, (after, upto))
            rows = cursor.fetchall()
    found: dict[int, dict] = {}
    for revision, touched in rows:
        try:
            found[revision] = json.loads(touched)
        except (TypeError, ValueError):
            return None
    if sorted(found) != list(range(after + 1, upto + 1)):
        return None
    return found


@dataclass(slots=True)
class _Watcher:
    """A worker thread's read connection to one SQLite file, and the state it read there."""

    connection: sqlite3.Connection
    seen: int | None = None  # PRAGMA data_version when `state` was read
    state: DataState = EMPTY


def _watcher(path: str) -> _Watcher:
    watchers: dict[str, _Watcher] | None = getattr(_local, "watchers", None)
    if watchers is None:
        watchers = _local.watchers = {}
    watcher = watchers.get(path)
    if watcher is None:
        # mode=rw: a missing file is an error (503), never a new empty database; autocommit: no snapshot is held.
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
        watcher = watchers[path] = _Watcher(connection)
    return watcher


def _sqlite_state(path: str) -> DataState:
    watcher = _watcher(path)
    (changes,) = watcher.connection.execute("PRAGMA data_version").fetchone()
    if changes != watcher.seen:
        row = watcher.connection.execute(QUERY).fetchone()
        watcher.seen, watcher.state = changes, DataState(*row) if row else EMPTY
    return watcher.state


def release_connection() -> None:
    """Close the connection reading the state opened, when no request will (an answer served from the cache)."""
    if not uses_sqlite() and not db.is_closed():
        db.close()
