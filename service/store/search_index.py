"""The full-text search index: SQLite FTS5, or a PostgreSQL tsvector table; built from the loaded records."""

from peewee import CharField, Model, TextField, fn
from playhouse.postgres_ext import TSVectorField
from playhouse.sqlite_ext import FTS5Model, SearchField

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


class StatementText(FTS5Model):
    """SQLite: each statement's folded text under a trigram index, so /statements?q= (a substring match) reads
    the index rather than every row. (PostgreSQL indexes statement.search_text itself with pg_trgm.)"""

    statement_id = SearchField(unindexed=True)
    text = SearchField()

    class Meta:
        database = db
        table_name = "statement_text"
        options = {"tokenize": "trigram"}


def rebuild_statement_text() -> None:
    """Refill the trigram table from the statements (SQLite; a no-op on PostgreSQL, whose index follows the rows)."""
    if uses_sqlite():
        StatementText.delete().execute()
        db.execute_sql(
            'INSERT INTO "statement_text" ("statement_id", "text") SELECT "id", "search_text" FROM "statement"'
        )


def create_search_index() -> None:
    if uses_sqlite():
        SearchDocument.create_table(safe=True)
    else:
        PgSearchDocument.create_table(safe=True)  # TSVectorField brings its GIN index


def rebuild_search_index(docs: list[dict]) -> None:
    """Replace the index with these documents (kind, record_id, label, body)."""
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


def _search_model() -> type[SearchDocument] | type[PgSearchDocument]:
    return SearchDocument if uses_sqlite() else PgSearchDocument


def search_index_documents() -> list[dict]:
    """The documents the index holds now (kind, record_id, label, body)."""
    model = _search_model()
    return list(model.select(model.kind, model.record_id, model.label, model.body).dicts())


def update_search_index(removed: list[tuple[str, str]], added: list[dict]) -> None:
    """Drop the index's documents for these (kind, record_id) keys, then index these documents."""
    model = _search_model()
    with db.atomic():
        for kind, record_id in removed:
            model.delete().where((model.kind == kind) & (model.record_id == record_id)).execute()
        if uses_sqlite():
            for doc in added:
                model.insert(doc).execute()
            return
        for doc in added:
            document = fn.setweight(fn.to_tsvector("english", doc["label"]), "A").concat(
                fn.setweight(fn.to_tsvector("english", doc["body"]), "B")
            )
            model.insert({**doc, "document": document}).execute()


def update_statement_text(statement_ids: set[str]) -> None:
    """Refill the trigram table's rows of these statements (SQLite; PostgreSQL's index follows the rows)."""
    if uses_sqlite() and statement_ids:
        ids = sorted(statement_ids)
        StatementText.delete().where(StatementText.statement_id.in_(ids)).execute()
        marks = ", ".join("?" for _ in ids)
        db.execute_sql(
            'INSERT INTO "statement_text" ("statement_id", "text") '
            f'SELECT "id", "search_text" FROM "statement" WHERE "id" IN ({marks})',
            ids,
        )
