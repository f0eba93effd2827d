"""Entities: people, countries, organisations and places."""

import operator
from functools import reduce

from flask.views import MethodView

from schemas.identifiers import identifier_term, parse_identifier
from schemas.queries import EntityQueryArgs

from ..knowledge.kinds import kind_named
from ..knowledge.text import fold_name
from ..store import models as m
from ..store.db import contains_exactly, order_key
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import require_known

ENTITY = kind_named("entity")

blp = ResourceBlueprint(
    "entities",
    __name__,
    url_prefix="/api/v1/entities",
    description="People, countries, organisations and places, with their roles.",
)


@blp.route("")
class Entities(MethodView):
    @blp.list_of(ENTITY, EntityQueryArgs)
    def get(self, args):
        """List entities

        Filter by kind, by country, or by name: `q` matches names and aliases ignoring case, hyphens
        and accents, so `ri yong ho` finds Ri Yong-ho. `identifier` finds the entity with an external
        identifier (`wikidata:Q423`, or the bare `Q423`). Ordered by id.
        """
        query = ENTITY.select().order_by(order_key(m.Entity.sort_key))
        if "kind" in args:
            query = query.where(m.Entity.kind == args["kind"])
        if "country" in args:
            require_known("country", args["country"], m.Entity, "country", ("country",))
            query = query.where(m.Entity.country == args["country"])
        if "identifier" in args:
            terms = [identifier_term(s, v) for s, v in parse_identifier(args["identifier"])]
            query = query.where(reduce(operator.or_, (contains_exactly(m.Entity.identifier_key, t) for t in terms)))
        if "q" in args:
            folded = fold_name(args["q"])
            query = query.where(m.Entity.search_key.contains(folded)) if folded else query.where(False)
        return query


@blp.route("/<string:entity_id>")
class EntityItem(MethodView):
    @blp.item_of(ENTITY)
    def get(self, entity_id):
        """Get an entity

        The entity with its aliases, country, roles and citations.
        """
        return entity_id
