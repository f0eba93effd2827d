"""Full-text search over statements, quotes, entities, measures, events and disputes: SQLite FTS5, or PostgreSQL
tsvector."""

from flask.views import MethodView
from peewee import fn

from schemas import SearchHitSchema
from schemas.queries import SearchQueryArgs

from ..knowledge.kinds import kind_named
from ..store.db import order_key, uses_sqlite
from ..store.search_index import PgSearchDocument, SearchDocument
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import reject_filter

blp = ResourceBlueprint(
    "search",
    __name__,
    url_prefix="/api/v1/search",
    description="Ranked full-text search across statements, entities, measures, events and disputes.",
)


def _hits(rows) -> list[dict]:
    return [
        {
            "type": r.kind,
            "id": r.record_id,
            "label": r.label,
            "snippet": r.snippet,
            "url": kind_named(r.kind).url_of(r.record_id),
            "score": round(-r.rank, 6),
        }
        for r in rows
    ]


@blp.route("")
class SearchHits(MethodView):
    @blp.list_of(SearchHitSchema, SearchQueryArgs, records=_hits)
    def get(self, args):
        """Search everything

        Ranked full-text search (BM25 on SQLite, ts_rank on PostgreSQL) over statements and their quotes,
        entities, measures, events and disputes (their subject, claims, verdict and reasoning). Words are
        stemmed (on SQLite accents are also ignored); quoted phrases, OR and -word work; any other text,
        quotes and apostrophes included, is searched literally. Each hit gives its type, id, a label
        and a snippet with the matches in [brackets].
        """
        expression = SearchDocument.web_query(args["q"])
        if expression.strip('" ') == "":
            reject_filter("q", "no searchable words", "it has no words to search for")
        if not uses_sqlite():
            return _postgres_hits(args)
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
        return query


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
