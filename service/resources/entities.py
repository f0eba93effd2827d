"""Entities: people, countries, organisations and places."""

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas import EntitySchema
from schemas.queries import EntityQueryArgs

from ..knowledge.records import entity_records
from ..knowledge.text import fold_name
from ..store import models as m
from ..store.db import order_key
from ..web.lookup import get_or_404, require_known
from ..web.pagination import PAGINATION_HEADERS, paginate

blp = Blueprint(
    "entities",
    __name__,
    url_prefix="/api/v1/entities",
    description="People, countries, organisations and places, with their roles.",
)


@blp.route("")
class Entities(MethodView):
    @blp.arguments(EntityQueryArgs, location="query", unknown="raise")
    @blp.response(200, EntitySchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """List entities

        Filter by kind, by country, or by name: `q` matches names and aliases ignoring case, hyphens
        and accents, so `ri yong ho` finds Ri Yong-ho. Ordered by id.
        """
        query = m.Entity.select().order_by(order_key(m.Entity.id))
        if "kind" in args:
            query = query.where(m.Entity.kind == args["kind"])
        if "country" in args:
            require_known("country", args["country"], m.Entity, "country", ("country",))
            query = query.where(m.Entity.country == args["country"])
        if "q" in args:
            folded = fold_name(args["q"])
            query = query.where(m.Entity.search_key.contains(folded)) if folded else query.where(False)
        return paginate(query, args, entity_records)


@blp.route("/<string:entity_id>")
class EntityItem(MethodView):
    @blp.response(200, EntitySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, entity_id):
        """Get an entity

        The entity with its aliases, country, roles and citations.
        """
        return entity_records([get_or_404(m.Entity, entity_id, "entity")])[0]
