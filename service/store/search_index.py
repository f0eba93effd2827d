"""The full-text search index: SQLite FTS5, or a PostgreSQL tsvector table; built from the loaded records."""

import json

from peewee import CharField, Model, TextField, fn
from playhouse.postgres_ext import TSVectorField
from playhouse.sqlite_ext import FTS5Model, SearchField

from . import models as m
from .db import db, uses_sqlite


class SearchDocument(FTS5Model):
    """One searchable record: its label and body text, indexed with Porter stemming and no accents."""

    kind = SearchField(unindexed=True)
    record_id = SearchField(unindexed=True)
    label = SearchField()
    body = SearchField()

    class Meta:
        database = db
        table_name = "search_document"
        options = {"tokenize": "porter unicode61 remove_diacritics 2"}


class PgSearchDocument(Model):
    """PostgreSQL's search table: the same documents, with a weighted tsvector (label A, body B) under a GIN index."""

    kind = CharField()
    record_id = CharField()
    label = TextField()
    body = TextField()
    document = TSVectorField()

    class Meta:
        database = db
        table_name = "search_document_pg"


def search_documents() -> list[dict]:
    """The text of every searchable record."""
    docs = []
    names = {e.id: e.name for e in m.Entity.select(m.Entity.id, m.Entity.name)}
    for s in m.Statement.select():
        speaker = names.get(s.speaker_id, s.speaker_as_written)
        docs.append(
            {
                "kind": "statement",
                "record_id": s.id,
                "label": f"{speaker}: {s.summary}",
                "body": " ".join(filter(None, [s.quote, s.speaker_as_written, s.attribution_note])),
            }
        )
    for e in m.Entity.select():
        docs.append(
            {
                "kind": "entity",
                "record_id": e.id,
                "label": e.name,
                "body": " ".join([*json.loads(e.aliases), e.description]),
            }
        )
    for x in m.Measure.select():
        docs.append(
            {
                "kind": "measure",
                "record_id": x.id,
                "label": f"{x.kind.replace('_', ' ')}: {x.commodity or x.description}",
                "body": x.description,
            }
        )
    for ev in m.Event.select():
        docs.append({"kind": "event", "record_id": ev.id, "label": ev.title, "body": ev.description})
    return docs


def create_search_index() -> None:
    if uses_sqlite():
        SearchDocument.create_table(safe=True)
    else:
        PgSearchDocument.create_table(safe=True)  # TSVectorField brings its GIN index


def rebuild_search_index() -> None:
    """Replace the index with the current records."""
    docs = search_documents()
    with db.atomic():
        if uses_sqlite():
            SearchDocument.delete().execute()
            for start in range(0, len(docs), 200):
                SearchDocument.insert_many(docs[start : start + 200]).execute()
            return
        PgSearchDocument.delete().execute()
        for doc in docs:
            doc["document"] = fn.setweight(fn.to_tsvector("english", doc["label"]), "A").concat(
                fn.setweight(fn.to_tsvector("english", doc["body"]), "B")
            )
        for start in range(0, len(docs), 200):
            PgSearchDocument.insert_many(docs[start : start + 200]).execute()
