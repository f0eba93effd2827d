"""Measures: what each resolution bans or limits."""

from flask.views import MethodView
from peewee import fn

from schemas.queries import MeasureQueryArgs

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key, tuples
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import reject_filter, require_known

MEASURE = kind_named("measure")

blp = ResourceBlueprint(
    "measures",
    __name__,
    url_prefix="/api/v1/measures",
    description="What the resolutions ban or limit: one record per banned commodity or restriction.",
)


@blp.route("")
class Measures(MethodView):
    @blp.list_of(MEASURE, MeasureQueryArgs)
    def get(self, args):
        """List measures

        Every banned commodity is its own record (kind `export_ban`), beside the limits on workers
        abroad, joint ventures and investment. Ordered by resolution, kind and id.
        """
        query = MEASURE.select().order_by(order_key(m.Measure.sort_key))
        if "resolution" in args:
            require_known("resolution", args["resolution"], m.Resolution, "resolution")
            query = query.where(m.Measure.resolution == args["resolution"])
        if "kind" in args:
            query = query.where(m.Measure.kind == args["kind"])
        if "commodity" in args:
            known = sorted(
                {c for (c,) in tuples(m.Measure.select(m.Measure.commodity).where(m.Measure.commodity.is_null(False)))}
            )
            wanted = args["commodity"].strip().casefold()
            if wanted not in {c.casefold() for c in known}:
                reject_filter(
                    "commodity",
                    f"unknown commodity; one of: {', '.join(known)}",
                    f"no measure concerns {args['commodity']!r}; known commodities: {', '.join(known)}",
                )
            query = query.where(fn.LOWER(m.Measure.commodity) == wanted)
        return query


@blp.route("/<string:measure_id>")
class MeasureItem(MethodView):
    @blp.item_of(MEASURE)
    def get(self, measure_id):
        """Get a measure

        One measure with its resolution, kind, commodity and citations.
        """
        return measure_id
