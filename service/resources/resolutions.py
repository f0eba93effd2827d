"""Resolutions and how each Council member voted."""

from flask.views import MethodView

from schemas.queries import ResolutionQueryArgs, VoteQueryArgs

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key
from ..web.blueprint import ResourceBlueprint
from ..web.lookup import get_or_404

RESOLUTION = kind_named("resolution")
VOTE = kind_named("vote")

blp = ResourceBlueprint(
    "resolutions",
    __name__,
    url_prefix="/api/v1/resolutions",
    description="Resolutions, their vote counts and each member's vote.",
)


@blp.route("")
class Resolutions(MethodView):
    @blp.list_of(RESOLUTION, ResolutionQueryArgs)
    def get(self, args):
        """List resolutions

        Each with its number, symbol, adoption date, vote counts and drafter. Ordered by adoption date, then id.
        """
        return RESOLUTION.select().order_by(order_key(m.Resolution.sort_key))


@blp.route("/<string:resolution_id>")
class ResolutionItem(MethodView):
    @blp.item_of(RESOLUTION)
    def get(self, resolution_id):
        """Get a resolution

        Its number, symbol, adoption date, vote counts, drafter, purpose and citations.
        """
        return resolution_id


@blp.route("/<string:resolution_id>/votes")
class ResolutionVotes(MethodView):
    @blp.list_of(VOTE, VoteQueryArgs)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, resolution_id):
        """List a resolution's votes

        How each Council member voted, ordered by member id.
        """
        get_or_404(m.Resolution, resolution_id, "resolution")
        query = VOTE.select().where(m.MemberVote.resolution == resolution_id).order_by(order_key(m.MemberVote.sort_key))
        if "vote" in args:
            query = query.where(m.MemberVote.vote == args["vote"])
        return query
