"""Figures: the numbers the sources state."""

from flask.views import MethodView

from schemas.queries import FigureQueryArgs

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key, tuples
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import reject_filter

FIGURE = kind_named("figure")

blp = ResourceBlueprint(
    "figures",
    __name__,
    url_prefix="/api/v1/figures",
    description="Numbers stated in the sources: revenue, the targeted cut, sanction rounds, tests, votes.",
)


@blp.route("")
class Figures(MethodView):
    @blp.list_of(FIGURE, FigureQueryArgs)
    def get(self, args):
        """List figures

        Each figure as a number with its unit and exactly as printed. Filter by subject (an entity or
        resolution id) and metric. Ordered by subject, metric and id.
        """
        query = FIGURE.select().order_by(order_key(m.Figure.sort_key))
        if "subject" in args:
            subject = args["subject"]
            if not (
                m.Entity.select().where(m.Entity.id == subject).exists()
                or m.Resolution.select().where(m.Resolution.id == subject).exists()
            ):
                reject_filter("subject", f"no entity or resolution with id {subject!r}")
            query = query.where(m.Figure.subject == subject)
        if "metric" in args:
            known = sorted({x for (x,) in tuples(m.Figure.select(m.Figure.metric))})
            if args["metric"] not in known:
                reject_filter(
                    "metric",
                    f"unknown metric; one of: {', '.join(known)}",
                    f"unknown metric {args['metric']!r}; known metrics: {', '.join(known)}",
                )
            query = query.where(m.Figure.metric == args["metric"])
        return query


@blp.route("/<string:figure_id>")
class FigureItem(MethodView):
    @blp.item_of(FIGURE)
    def get(self, figure_id):
        """Get a figure

        One figure with its value, unit, wording as printed and citations.
        """
        return figure_id
