"""Disputes: contradictions between sources and corrections of them, with the claims on each side."""

from flask.views import MethodView
from peewee import SQL, fn

from schemas.queries import DisputeQueryArgs
from schemas.vocabulary import DISPUTED_KINDS

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import reject_filter

DISPUTE = kind_named("dispute")

blp = ResourceBlueprint(
    "disputes",
    __name__,
    url_prefix="/api/v1/disputes",
    description="Contradictions between sources and corrections of them: the claims, the evidence on each side, "
    "the verdict and its reasoning.",
)


@blp.route("")
class Disputes(MethodView):
    @blp.list_of(DISPUTE, DisputeQueryArgs)
    def get(self, args):
        """List disputes

        Every contradiction between sources and every correction of one, each with its claims (what is
        claimed, where, with the evidence and an assessment), its status, verdict and reasoning, and the
        facts it is about. Filter by kind, status and the fact involved (`fact`, `fact_type`). Ordered by id.
        """
        D, F = m.Dispute, m.DisputeFact
        query = DISPUTE.select().order_by(order_key(D.sort_key))
        if "kind" in args:
            query = query.where(D.kind == args["kind"])
        if "status" in args:
            query = query.where(D.status == args["status"])
        if "fact" in args or "fact_type" in args:
            about = F.select(SQL("1")).where(F.dispute == D.id)
            if "fact" in args:
                _require_fact(args["fact"], args.get("fact_type"))
                about = about.where(F.fact_id == args["fact"])
            if "fact_type" in args:
                about = about.where(F.fact_type == args["fact_type"])
            query = query.where(fn.EXISTS(about))
        return query


def _require_fact(fact_id: str, fact_type: str | None) -> None:
    """422 when no fact (of that kind) has this id, rather than an empty list."""
    kinds = [kind_named(name) for name in ([fact_type] if fact_type else DISPUTED_KINDS)]
    if not any(kind.model.select().where(kind.model._meta.primary_key == fact_id).exists() for kind in kinds):
        noun = fact_type or "fact"
        reject_filter("fact", f"no {noun} with id {fact_id!r}")


@blp.route("/<string:dispute_id>")
class DisputeItem(MethodView):
    @blp.item_of(DISPUTE)
    def get(self, dispute_id):
        """Get a dispute

        One dispute: its subject, kind, status, verdict and reasoning, the facts it is about, and its
        claims with their citations and assessments.
        """
        return dispute_id
