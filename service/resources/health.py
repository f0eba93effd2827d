"""Health: is the database reachable, and how much is loaded."""

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas import HealthSchema

from .. import __version__
from ..knowledge.kinds import KINDS
from ..store import models as m
from ..store.db import uses_sqlite
from ..store.version import data_version
from ..web.blueprint import takes_no_query

blp = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness of the service.")


@blp.route("")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    @takes_no_query(blp)
    def get(self):
        """Check health

        Answers 200 when the database answered a query, with the number of facts loaded
        (entities, roles, resolutions, votes, measures, figures, events, statements) and the
        count of every kind of record, and the data version served.
        """
        counts = {kind.plural: kind.model.select().count() for kind in KINDS}
        return {
            "status": "ok",
            "database": "reachable",
            "engine": "sqlite" if uses_sqlite() else "postgresql",
            "facts": sum(counts[kind.plural] for kind in KINDS if kind.cited),
            "version": __version__,
            "data_version": data_version(),
            "counts": {**counts, "citations": m.Citation.select().count()},
        }
