"""Health: is the database reachable, and how much is loaded."""

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas import HealthSchema

from ..store import models as m
from ..store.db import uses_sqlite

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness of the service.")

COUNTED = {
    "sources": m.Source,
    "entities": m.Entity,
    "roles": m.Role,
    "resolutions": m.Resolution,
    "votes": m.MemberVote,
    "measures": m.Measure,
    "figures": m.Figure,
    "events": m.Event,
    "statements": m.Statement,
    "topics": m.Topic,
    "citations": m.Citation,
}
FACT_KINDS = ("entities", "roles", "resolutions", "votes", "measures", "figures", "events", "statements")


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self):
        """Check health

        Answers 200 when the database answered a query, with the number of facts loaded
        (entities, roles, resolutions, votes, measures, figures, events, statements) and the
        count of every kind of record.
        """
        counts = {name: model.select().count() for name, model in COUNTED.items()}
        return {
            "status": "ok",
            "database": "reachable",
            "engine": "sqlite" if uses_sqlite() else "postgresql",
            "facts": sum(counts[k] for k in FACT_KINDS),
            "counts": counts,
        }
