"""Facts: every fact of every kind, with how well its sources support it and whether it is in dispute."""

from flask.views import MethodView

from schemas import FactSummarySchema
from schemas.queries import FactQueryArgs

from ..store import models as m
from ..store.db import order_key
from ..web.blueprint import ResourceBlueprint

blp = ResourceBlueprint(
    "facts",
    __name__,
    url_prefix="/api/v1/facts",
    description="Every fact across kinds, with its support (sources, independent sources) and its disputes.",
)


def _summaries(rows) -> list[dict]:
    return [
        {
            "type": row.fact_type,
            "id": row.fact_id,
            "label": row.label,
            "url": row.url,
            "sources": row.sources,
            "independent_sources": row.independent_sources,
            "disputes": row.disputes,
        }
        for row in rows
    ]


@blp.route("")
class Facts(MethodView):
    @blp.list_of(FactSummarySchema, FactQueryArgs, records=_summaries, keyset=m.Fact.sort_key)
    def get(self, args):
        """List facts

        Every entity, resolution, measure, figure, event and statement, with how many sources support it,
        how many of those are independent of each other (no two derive from a common source), and the
        disputes it is part of. Filter by `type`, `min_independent_sources` (facts a fact-checker can
        call corroborated: `?min_independent_sources=2`) and `disputed`. Ordered by type, then id. Votes,
        roles and claims are served inside their resolution, entity and dispute.
        """
        F = m.Fact
        query = F.select().order_by(order_key(F.sort_key))
        if "type" in args:
            query = query.where(F.fact_type == args["type"])
        if "min_independent_sources" in args:
            query = query.where(F.independent_sources >= args["min_independent_sources"])
        if "disputed" in args:
            query = query.where(F.disputed == args["disputed"])
        return query
