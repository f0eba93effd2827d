"""Sources: the articles quoted by citations, and the public-record references."""

from flask import Response
from flask.views import MethodView
from flask_smorest import abort

from schemas.queries import SourceQueryArgs

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key
from ..web.blueprint import ResourceBlueprint, takes_no_query
from ..web.lookup import get_or_404

SOURCE = kind_named("source")

blp = ResourceBlueprint(
    "sources",
    __name__,
    url_prefix="/api/v1/sources",
    description="The articles the facts are quoted from, and the public-record references.",
)


@blp.route("")
class Sources(MethodView):
    @blp.list_of(SOURCE, SourceQueryArgs)
    def get(self, args):
        """List sources

        Articles (kind `article`, their text held here and quoted by citations) and references
        (kind `reference`, public record cited without quotes), ordered by id.
        """
        query = SOURCE.select().order_by(order_key(m.Source.sort_key))
        if "kind" in args:
            query = query.where(m.Source.kind == args["kind"])
        return query


@blp.route("/<string:source_id>")
class SourceItem(MethodView):
    @blp.item_of(SOURCE)
    def get(self, source_id):
        """Get a source

        Its metadata: publisher, author, publication date and how it was established, the dateline
        as printed, and for an article the SHA-256 of its text. Its page for people, `/sources/{id}` (an
        article's text with every cited passage highlighted), is in the `Link` header.
        """
        return source_id


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
    @takes_no_query(blp)
    def get(self, source_id):
        """Get an article's text

        The article exactly as stored, byte for byte: citation offsets `start` and `end` index this
        text in Unicode code points. References have no text here (404).
        """
        source = get_or_404(m.Source, source_id, "source")
        if source.text is None:
            abort(404, message=f"source {source_id!r} is a reference to public record: its text is not held here")
        return Response(source.text, mimetype="text/plain")
