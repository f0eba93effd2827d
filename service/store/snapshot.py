"""A consistent read of the whole knowledge, for the bulk exports.

A `Snapshot` has a connection of its own (not the request's: a streamed answer is read after its request has
ended, possibly on another thread of the server) and holds one read-only transaction open until it is closed,
so that every row it reads belongs to the same data version however long the client takes: a publication
meanwhile is not seen (SQLite in WAL mode keeps the transaction's snapshot; PostgreSQL's REPEATABLE READ does the
same). Rows are read in batches by key, so the memory it uses does not grow with the knowledge.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from peewee import Field, Select, SqliteDatabase

from . import models as m
from .db import open_database, order_key

BATCH = 500  # rows read at once, unless a Snapshot is given another batch size


class Snapshot:
    """The knowledge as of one data version, read through a connection and transaction of its own."""

    def __init__(self, url: str, batch: int = BATCH):
        self.batch = batch  # rows read at once
        # A plain (unpooled) connection, shared by whichever thread reads the stream.
        self._database = open_database(url, pooled=False, thread_safe=False)
        self._lock = threading.Lock()
        self._closed = False
        self._database.connect()
        try:
            if isinstance(self._database, SqliteDatabase):
                self._database.begin()  # deferred: the first read below fixes the snapshot
            else:
                self._database.execute_sql("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = self._database.execute(m.Dataset.select(m.Dataset.version)).fetchone()
        except BaseException:
            self.close()
            raise
        self.version: str = row[0] if row else ""

    def documents(self, kind: str) -> Iterator[tuple[str, str]]:
        """(id, stored JSON document) of every record of a kind, in id order."""
        query = m.Document.select(m.Document.record_id, m.Document.body).where(m.Document.kind == kind)
        yield from self.rows(query, m.Document.record_id)

    def document(self, kind: str, record_id: str) -> str | None:
        """The stored document of one record, or None."""
        query = m.Document.select(m.Document.body).where(
            (m.Document.kind == kind) & (m.Document.record_id == record_id)
        )
        with self._lock:
            row = self._database.execute(query).fetchone()
        return row[0] if row else None

    def article_files(self) -> Iterator[tuple[str, str, str]]:
        """(id, text file name, text) of every article, in id order."""
        query = m.Source.select(m.Source.id, m.Source.file, m.Source.text).where(m.Source.kind == "article")
        yield from self.rows(query, m.Source.id)

    def rows(self, query: Select, key: Field) -> Iterator[tuple]:
        """The rows of `query` (tuples whose first column is `key`, a unique text column), in `key` order, read
        `batch` at a time after the last key seen."""
        after = None
        while True:
            ordered = order_key(key, self._database)
            batch = query.order_by(ordered).limit(self.batch)
            if after is not None:
                batch = batch.where(ordered > after)
            with self._lock:
                if self._closed:
                    raise RuntimeError("the snapshot is closed")
                rows = self._database.execute(batch).fetchall()
            yield from rows
            if len(rows) < self.batch:
                return
            after = rows[-1][0]

    @property
    def closed(self) -> bool:
        """Whether the snapshot has ended its transaction and closed its connection."""
        return self._closed

    def close(self) -> None:
        """End the transaction and close the connection (idempotent: called when the answer is closed)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if not self._database.is_closed():
                    self._database.rollback()
            finally:
                self._database.close()
