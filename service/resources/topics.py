"""Topics: the controlled vocabulary of statement topics."""

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas import TopicSchema
from schemas.queries import TopicQueryArgs

from ..knowledge.records import row_records
from ..store import models as m
from ..store.db import order_key
from ..web.lookup import get_or_404
from ..web.pagination import PAGINATION_HEADERS, paginate

blp = Blueprint(
    "topics", __name__, url_prefix="/api/v1/topics", description="The controlled vocabulary of statement topics."
)


@blp.route("")
class Topics(MethodView):
    @blp.arguments(TopicQueryArgs, location="query", unknown="raise")
    @blp.response(200, TopicSchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """List topics

        Every topic a statement can be filed under, with what it covers. Ordered by id.
        """
        return paginate(
            m.Topic.select().order_by(order_key(m.Topic.id)),
            args,
            lambda rows: row_records(None, rows, ("id", "description")),
        )


@blp.route("/<string:topic_id>")
class TopicItem(MethodView):
    @blp.response(200, TopicSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, topic_id):
        """Get a topic

        One topic and what it covers; its statements are at /api/v1/statements?topic=ID.
        """
        return row_records(None, [get_or_404(m.Topic, topic_id, "topic")], ("id", "description"))[0]
