"""Figures: the numbers the sources state."""

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas import FigureSchema
from schemas.queries import FigureQueryArgs

from ..knowledge.records import row_records
from ..store import models as m
from ..store.db import order_key
from ..web.lookup import get_or_404, reject_filter
from ..web.pagination import PAGINATION_HEADERS, paginate

blp = Blueprint(
    "figures",
    __name__,
    url_prefix="/api/v1/figures",
    description="Numbers stated in the sources: revenue, the targeted cut, sanction rounds, tests, votes.",
)

FIGURE_FIELDS = ("id", "subject", "metric", "value", "unit", "as_stated", "approximate", "description")


def _records(rows):
    return row_records("figure", rows, FIGURE_FIELDS)


@blp.route("")
class Figures(MethodView):
    @blp.arguments(FigureQueryArgs, location="query", unknown="raise")
    @blp.response(200, FigureSchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """List figures

        Each figure as a number with its unit and exactly as printed. Filter by subject (an entity or
        resolution id) and metric. Ordered by subject, metric and id.
        """
        query = m.Figure.select().order_by(
            order_key(m.Figure.subject), order_key(m.Figure.metric), order_key(m.Figure.id)
        )
        if "subject" in args:
            subject = args["subject"]
            if not (
                m.Entity.select().where(m.Entity.id == subject).exists()
                or m.Resolution.select().where(m.Resolution.id == subject).exists()
            ):
                reject_filter("subject", f"no entity or resolution with id {subject!r}")
            query = query.where(m.Figure.subject == subject)
        if "metric" in args:
            known = sorted({x for (x,) in m.Figure.select(m.Figure.metric).tuples()})
            if args["metric"] not in known:
                reject_filter(
                    "metric",
                    f"unknown metric; one of: {', '.join(known)}",
                    f"unknown metric {args['metric']!r}; known metrics: {', '.join(known)}",
                )
            query = query.where(m.Figure.metric == args["metric"])
        return paginate(query, args, _records)


@blp.route("/<string:figure_id>")
class FigureItem(MethodView):
    @blp.response(200, FigureSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, figure_id):
        """Get a figure

        One figure with its value, unit, wording as printed and citations.
        """
        return _records([get_or_404(m.Figure, figure_id, "figure")])[0]
