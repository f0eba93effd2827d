"""Sources: the articles quoted by citations, and the public-record references."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schemas import SourceSchema
from schemas.queries import SourceQueryArgs

from ..knowledge.records import row_records
from ..store import models as m
from ..store.db import order_key
from ..web.lookup import get_or_404
from ..web.pagination import PAGINATION_HEADERS, paginate

blp = Blueprint(
    "sources",
    __name__,
    url_prefix="/api/v1/sources",
    description="The articles the facts are quoted from, and the public-record references.",
)

SOURCE_FIELDS = (
    "id",
    "kind",
    "title",
    "publisher",
    "author",
    "published_on",
    "date_precision",
    "date_derivation",
    "dateline",
    "url",
    "sha256",
    "note",
)


def _records(rows):
    return row_records(None, rows, SOURCE_FIELDS)


@blp.route("")
class Sources(MethodView):
    @blp.arguments(SourceQueryArgs, location="query", unknown="raise")
    @blp.response(200, SourceSchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """List sources

        Articles (kind `article`, their text held here and quoted by citations) and references
        (kind `reference`, public record cited without quotes), ordered by id.
        """
        query = m.Source.select(*[getattr(m.Source, f) for f in SOURCE_FIELDS]).order_by(order_key(m.Source.id))
        if "kind" in args:
            query = query.where(m.Source.kind == args["kind"])
        return paginate(query, args, _records)


@blp.route("/<string:source_id>")
class SourceItem(MethodView):
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, source_id):
        """Get a source

        Its metadata: publisher, author, publication date and how it was established, the dateline
        as printed, and for an article the SHA-256 of its text.
        """
        return _records([get_or_404(m.Source, source_id, "source")])[0]


@blp.route("/<string:source_id>/text")
class SourceText(MethodView):
    @blp.response(
        200,
        {
            "type": "string",
            "example": "Thursday, 14 December, 2017\n\nChina urges N. Korea to stop missile tests, resume talks",
        },
        content_type="text/plain",
        description="The article's text, verbatim (UTF-8).",
    )
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, source_id):
        """Get an article's text

        The article exactly as stored, byte for byte: citation offsets `start` and `end` index this
        text in Unicode code points. References have no text here (404).
        """
        source = get_or_404(m.Source, source_id, "source")
        if source.text is None:
            abort(404, message=f"source {source_id!r} is a reference to public record: its text is not held here")
        return Response(source.text, mimetype="text/plain")
