"""Measures: what each resolution bans or limits."""

from flask.views import MethodView
from flask_smorest import Blueprint
from peewee import fn

from schemas import MeasureSchema
from schemas.queries import MeasureQueryArgs

from ..knowledge.records import row_records
from ..store import models as m
from ..store.db import order_key
from ..web.lookup import get_or_404, reject_filter, require_known
from ..web.pagination import PAGINATION_HEADERS, paginate

blp = Blueprint(
    "measures",
    __name__,
    url_prefix="/api/v1/measures",
    description="What the resolutions ban or limit: one record per banned commodity or restriction.",
)

MEASURE_FIELDS = ("id", "resolution", "kind", "commodity", "description")


def _records(rows):
    return row_records("measure", rows, MEASURE_FIELDS)


@blp.route("")
class Measures(MethodView):
    @blp.arguments(MeasureQueryArgs, location="query", unknown="raise")
    @blp.response(200, MeasureSchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """List measures

        Every banned commodity is its own record (kind `export_ban`), beside the limits on workers
        abroad, joint ventures and investment. Ordered by resolution, kind and id.
        """
        query = m.Measure.select().order_by(
            order_key(m.Measure.resolution), order_key(m.Measure.kind), order_key(m.Measure.id)
        )
        if "resolution" in args:
            require_known("resolution", args["resolution"], m.Resolution, "resolution")
            query = query.where(m.Measure.resolution == args["resolution"])
        if "kind" in args:
            query = query.where(m.Measure.kind == args["kind"])
        if "commodity" in args:
            known = sorted(
                {c for (c,) in m.Measure.select(m.Measure.commodity).where(m.Measure.commodity.is_null(False)).tuples()}
            )
            wanted = args["commodity"].strip().casefold()
            if wanted not in {c.casefold() for c in known}:
                reject_filter(
                    "commodity",
                    f"unknown commodity; one of: {', '.join(known)}",
                    f"no measure concerns {args['commodity']!r}; known commodities: {', '.join(known)}",
                )
            query = query.where(fn.LOWER(m.Measure.commodity) == wanted)
        return paginate(query, args, _records)


@blp.route("/<string:measure_id>")
class MeasureItem(MethodView):
    @blp.response(200, MeasureSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, measure_id):
        """Get a measure

        One measure with its resolution, kind, commodity and citations.
        """
        return _records([get_or_404(m.Measure, measure_id, "measure")])[0]
