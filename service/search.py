"""Full-text search over statements, quotes, entities, measures and events: SQLite FTS5, or PostgreSQL tsvector."""

import json

from flask.views import MethodView
from flask_smorest import Blueprint
from peewee import CharField, Model, TextField, fn
from playhouse.postgres_ext import TSVectorField
from playhouse.sqlite_ext import FTS5Model, SearchField

from schemas import SearchHitSchema
from schemas.queries import SearchQueryArgs

from . import models as m
from .api import PAGINATION_HEADERS, paginate
from .db import db, order_key, uses_sqlite
from .facts import reject_filter

blp = Blueprint(
    "search",
    __name__,
    url_prefix="/api/v1/search",
    description="Ranked full-text search across statements, entities, measures and events.",
)


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


URL_PREFIX = {"statement": "statements", "entity": "entities", "measure": "measures", "event": "events"}


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


@blp.route("")
class Search(MethodView):
    @blp.arguments(SearchQueryArgs, location="query", unknown="raise")
    @blp.response(200, SearchHitSchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """Search everything

        Ranked full-text search (BM25 on SQLite, ts_rank on PostgreSQL) over statements and their quotes,
        entities, measures and events. Words are stemmed (on SQLite accents are also ignored); quoted phrases, OR and -word work; any other text,
        quotes and apostrophes included, is searched literally. Each hit gives its type, id, a label
        and a snippet with the matches in [brackets].
        """
        expression = SearchDocument.web_query(args["q"])
        if expression.strip('" ') == "":
            reject_filter("q", "no searchable words", "it has no words to search for")
        if not uses_sqlite():
            return paginate(_postgres_hits(args), args, _hits)
        D = SearchDocument
        rank = fn.bm25(D._meta.entity, 0.0, 0.0, 4.0, 1.0)
        query = (
            D.select(
                D.kind,
                D.record_id,
                D.label,
                fn.snippet(D._meta.entity, -1, "[", "]", "…", 16).alias("snippet"),
                rank.alias("rank"),
            )
            .where(D.match(expression))
            .order_by(rank, D.kind, D.record_id)
        )
        if "type" in args:
            query = query.where(D.kind == args["type"])

        return paginate(query, args, _hits)


def _hits(rows) -> list[dict]:
    return [
        {
            "type": r.kind,
            "id": r.record_id,
            "label": r.label,
            "snippet": r.snippet,
            "url": f"/api/v1/{URL_PREFIX[r.kind]}/{r.record_id}",
            "score": round(-r.rank, 6),
        }
        for r in rows
    ]


def _postgres_hits(args: dict):
    """The PostgreSQL query: websearch_to_tsquery (safe for any text), ts_rank, ts_headline with [marks]."""
    D = PgSearchDocument
    query = fn.websearch_to_tsquery("english", args["q"])
    # Negated to sort like bm25 (best first); equal ranks go to the shorter document, as BM25 would have it.
    rank = fn.ts_rank(D.document, query) * -1
    headline = fn.ts_headline(
        "english", D.label.concat(" ").concat(D.body), query, "StartSel=[, StopSel=], MaxWords=16, MinWords=6"
    )
    selected = (
        D.select(D.kind, D.record_id, D.label, headline.alias("snippet"), rank.alias("rank"))
        .where(D.document.match(args["q"], language="english", websearch=True))
        .order_by(rank, fn.length(D.document), order_key(D.kind), order_key(D.record_id))
    )
    if "type" in args:
        selected = selected.where(D.kind == args["type"])
    return selected
