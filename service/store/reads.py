"""Which tables a piece of work reads: while `tables_read()` is open on a thread, every SQL statement the
service's database runs there adds the tables it names (the response cache keeps an answer until a publication
touches one of them: web/cache.py).

A statement names a table by its name, quoted or not; every word of the SQL that is a table's name counts, so a
column named as a table (`statement_topic.topic`) adds that table too: more than was read, never less. The search
tables count as what they are made from.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from peewee import Database

from .models import CURATION_MODELS, MODELS
from .search_index import FtsRow, PgSearchDocument, SearchDocument, StatementText

# The tables the search indexes are made of, as a publication names them in what it touched.
MADE_OF = {
    SearchDocument._meta.table_name: ("search_document",),
    PgSearchDocument._meta.table_name: ("search_document",),
    StatementText._meta.table_name: ("statement",),  # the trigram rows of statement.search_text
    FtsRow._meta.table_name: ("search_document", "statement"),  # the rowids of both
}
TABLES: dict[str, tuple[str, ...]] = {
    model._meta.table_name: (model._meta.table_name,) for model in (*MODELS, *CURATION_MODELS)
} | MADE_OF
WORD = re.compile(r"[a-z_][a-z0-9_]*")

_local = threading.local()


@contextmanager
def tables_read() -> Iterator[set[str]]:
    """The tables the statements run on this thread while it is open read (filled as they run)."""
    found: set[str] = set()
    outer = getattr(_local, "found", None)
    _local.found = found
    try:
        yield found
    finally:
        _local.found = outer
        if outer is not None:
            outer |= found


@contextmanager
def unnoted() -> Iterator[None]:
    """Statements run inside are not counted as read by the work in progress (what they read is accounted for
    otherwise: the pages' directory, kept up to date by what each revision touched)."""
    outer = getattr(_local, "found", None)
    _local.found = None
    try:
        yield
    finally:
        _local.found = outer


@lru_cache(maxsize=4096)
def tables_named(sql: str) -> frozenset[str]:
    """The tables a statement's text names (a statement's text repeats, its parameters apart: read once)."""
    return frozenset(table for word in set(WORD.findall(sql.lower())) for table in TABLES.get(word, ()))


def note_sql(sql: str) -> None:
    """Count the tables `sql` names as read by the work in progress on this thread (if any is watched)."""
    found = getattr(_local, "found", None)
    if found is not None:
        found |= tables_named(sql)


def watch_reads(database: Database) -> None:
    """Have every statement `database` runs noted (note_sql) before it runs."""
    run = database.execute_sql

    def execute_sql(sql: str, params: Sequence[Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        note_sql(sql)
        return run(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql  # type: ignore[method-assign]
