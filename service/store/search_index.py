"""The full-text search index: SQLite FTS5, or a PostgreSQL tsvector table; built from the loaded records.

One record's entry is found through an index, so a publication rewrites the entries it changes at their cost: on
PostgreSQL the table's (kind, record_id) index; on SQLite, whose FTS5 columns have no index, the `search_key` table
(`fts_row`) gives each entry's rowid, for the search documents and the statements' trigram text alike."""

from peewee import AutoField, CharField, Expression, Model, TextField, fn
from playhouse.postgres_ext import TSVectorField
from playhouse.sqlite_ext import FTS5Model, SearchField

from .db import db, dicts, tuples, uses_sqlite


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
        indexes = ((("kind", "record_id"), True),)


class FtsRow(Model):
    """SQLite: the rowid of a record's row in a full-text table (`fts`: search_document, statement_text), whose
    own columns have no index."""

    id = AutoField()
    fts = CharField()
    kind = CharField()
    record_id = CharField()

    class Meta:
        database = db
        table_name = "fts_row"
        indexes = ((("fts", "kind", "record_id"), True),)


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
        FtsRow.delete().where(FtsRow.fts == TRIGRAMS).execute()
        _index_statements()


def create_search_index() -> None:
    if uses_sqlite():
        SearchDocument.create_table(safe=True)
        FtsRow.create_table(safe=True)
    else:
        PgSearchDocument.create_table(safe=True)  # TSVectorField brings its GIN index


def rebuild_search_index(docs: list[dict]) -> None:
    """Replace the index with these documents (kind, record_id, label, body)."""
    with db.atomic():
        if uses_sqlite():
            SearchDocument.delete().execute()
            FtsRow.delete().where(FtsRow.fts == SEARCH).execute()
            _insert_sqlite(docs)
            return
        PgSearchDocument.delete().execute()
        for doc in docs:
            doc["document"] = _weighted(doc)
        for start in range(0, len(docs), 200):
            PgSearchDocument.insert_many(docs[start : start + 200]).execute()


def _weighted(doc: dict) -> Expression:
    """PostgreSQL: a document's tsvector, its label weighted A and its body B."""
    return fn.setweight(fn.to_tsvector("english", doc["label"]), "A").concat(
        fn.setweight(fn.to_tsvector("english", doc["body"]), "B")
    )


def _search_model() -> type[SearchDocument] | type[PgSearchDocument]:
    return SearchDocument if uses_sqlite() else PgSearchDocument


def search_index_documents() -> list[dict]:
    """The documents the index holds now (kind, record_id, label, body)."""
    model = _search_model()
    return list(model.select(model.kind, model.record_id, model.label, model.body).dicts())


def search_index_documents_of(keys: list[tuple[str, str]]) -> list[dict]:
    """The documents the index holds now for these (kind, record_id) keys, each found through an index."""
    model = _search_model()
    fields = (model.kind, model.record_id, model.label, model.body)
    found: list[dict] = []
    if uses_sqlite():
        rowids = list(_rowids(keys, SEARCH).values())
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            found.extend(dicts(SearchDocument.select(*fields).where(SearchDocument.rowid.in_(chunk))))
        return found
    wanted = set(keys)
    ids = sorted({record_id for _, record_id in wanted})
    for start in range(0, len(ids), 500):
        query = model.select(*fields).where(model.record_id.in_(ids[start : start + 500]))
        found += [doc for doc in dicts(query) if (doc["kind"], doc["record_id"]) in wanted]
    return found


SEARCH, TRIGRAMS = "search_document", "statement_text"  # the full-text tables, as fts_row names them


def _rowids(keys: list[tuple[str, str]], fts: str = SEARCH) -> dict[tuple[str, str], int]:
    """SQLite: the rowid in the full-text table `fts` of each of these (kind, record_id) keys that has a row."""
    by_kind: dict[str, list[str]] = {}
    for kind, record_id in sorted(set(keys)):
        by_kind.setdefault(kind, []).append(record_id)
    found = {}
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = FtsRow.select(FtsRow.id, FtsRow.record_id).where(
                (FtsRow.fts == fts) & (FtsRow.kind == kind) & FtsRow.record_id.in_(chunk)
            )
            found.update({(kind, record_id): rowid for rowid, record_id in tuples(query)})
    return found


def _forget(model: type[FTS5Model], fts: str, keys: list[tuple[str, str]]) -> None:
    """SQLite: delete the rows of these keys from the full-text table, and their keys."""
    rowids = list(_rowids(keys, fts).values())
    for start in range(0, len(rowids), 500):
        chunk = rowids[start : start + 500]
        model.delete().where(model.rowid.in_(chunk)).execute()
        FtsRow.delete().where(FtsRow.id.in_(chunk)).execute()


def _insert_sqlite(docs: list[dict]) -> None:
    """SQLite: index these documents, each under a new key's rowid (many rows to a statement: a rename can reach
    thousands)."""
    cursor = db.cursor()
    for start in range(0, len(docs), 500):
        chunk = docs[start : start + 500]
        cursor.executemany(
            'INSERT INTO "fts_row" ("fts", "kind", "record_id") VALUES (?, ?, ?)',
            [(SEARCH, d["kind"], d["record_id"]) for d in chunk],
        )
        rowids = _rowids([(d["kind"], d["record_id"]) for d in chunk])
        cursor.executemany(
            'INSERT INTO "search_document" ("rowid", "kind", "record_id", "label", "body") VALUES (?, ?, ?, ?, ?)',
            [(rowids[(d["kind"], d["record_id"])], d["kind"], d["record_id"], d["label"], d["body"]) for d in chunk],
        )


def _index_statements(ids: list[str] | None = None) -> None:
    """SQLite: the trigram rows of these statements (every statement: None), each under a new key's rowid."""
    chosen = "" if ids is None else f'AND s."id" IN ({", ".join("?" for _ in ids)})'
    params = [TRIGRAMS, "statement", *(ids or [])]
    db.execute_sql(
        f'INSERT INTO "fts_row" ("fts", "kind", "record_id") SELECT ?, ?, s."id" FROM "statement" s WHERE 1 {chosen}',
        params,
    )
    db.execute_sql(
        'INSERT INTO "statement_text" ("rowid", "statement_id", "text") '
        'SELECT k."id", s."id", s."search_text" FROM "statement" s JOIN "fts_row" k '
        f'ON k."fts" = ? AND k."kind" = ? AND k."record_id" = s."id" WHERE 1 {chosen}',
        params,
    )


def update_search_index(removed: list[tuple[str, str]], added: list[dict]) -> None:
    """Drop the index's documents for these (kind, record_id) keys, then index these documents."""
    model = _search_model()
    with db.atomic():
        if uses_sqlite():
            _forget(SearchDocument, SEARCH, removed)
            _insert_sqlite(added)
            return
        for kind, record_id in removed:
            model.delete().where((model.kind == kind) & (model.record_id == record_id)).execute()
        rows = [{**doc, "document": _weighted(doc)} for doc in added]
        for start in range(0, len(rows), 200):
            model.insert_many(rows[start : start + 200]).execute()


def update_statement_text(statement_ids: set[str]) -> None:
    """Refill the trigram table's rows of these statements (SQLite; PostgreSQL's index follows the rows)."""
    if uses_sqlite() and statement_ids:
        ids = sorted(statement_ids)
        _forget(StatementText, TRIGRAMS, [("statement", i) for i in ids])
        for start in range(0, len(ids), 500):
            _index_statements(ids[start : start + 500])
