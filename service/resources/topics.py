"""Topics: the controlled vocabulary of statement topics."""

from flask.views import MethodView

from schemas.queries import TopicQueryArgs

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key
from ..web.blueprint import ResourceBlueprint

TOPIC = kind_named("topic")

blp = ResourceBlueprint(
    "topics", __name__, url_prefix="/api/v1/topics", description="The controlled vocabulary of statement topics."
)


@blp.route("")
class Topics(MethodView):
    @blp.list_of(TOPIC, TopicQueryArgs)
    def get(self, args):
        """List topics

        Every topic a statement can be filed under, with what it covers. Ordered by id.
        """
        return TOPIC.select().order_by(order_key(m.Topic.sort_key))


@blp.route("/<string:topic_id>")
class TopicItem(MethodView):
    @blp.item_of(TOPIC)
    def get(self, topic_id):
        """Get a topic

        One topic and what it covers; its statements are at /api/v1/statements?topic=ID.
        """
        return topic_id
