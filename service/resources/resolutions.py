"""Resolutions and how each Council member voted."""

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas import MemberVoteSchema, ResolutionSchema
from schemas.queries import ResolutionQueryArgs, VoteQueryArgs

from ..knowledge.records import row_records
from ..store import models as m
from ..store.db import order_key
from ..web.lookup import get_or_404
from ..web.pagination import PAGINATION_HEADERS, paginate

blp = Blueprint(
    "resolutions",
    __name__,
    url_prefix="/api/v1/resolutions",
    description="Resolutions, their vote counts and each member's vote.",
)

RESOLUTION_FIELDS = (
    "id",
    "body",
    "number",
    "symbol",
    "adopted_on",
    "votes_for",
    "votes_against",
    "abstentions",
    "drafted_by",
    "purpose",
)
VOTE_FIELDS = ("id", "resolution", "member", "vote")


def _resolutions(rows):
    return row_records("resolution", rows, RESOLUTION_FIELDS)


@blp.route("")
class Resolutions(MethodView):
    @blp.arguments(ResolutionQueryArgs, location="query", unknown="raise")
    @blp.response(200, ResolutionSchema(many=True), headers=PAGINATION_HEADERS)
    def get(self, args):
        """List resolutions

        Each with its number, symbol, adoption date, vote counts and drafter. Ordered by adoption date, then id.
        """
        query = m.Resolution.select().order_by(m.Resolution.adopted_on, order_key(m.Resolution.id))
        return paginate(query, args, _resolutions)


@blp.route("/<string:resolution_id>")
class ResolutionItem(MethodView):
    @blp.response(200, ResolutionSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, resolution_id):
        """Get a resolution

        Its number, symbol, adoption date, vote counts, drafter, purpose and citations.
        """
        return _resolutions([get_or_404(m.Resolution, resolution_id, "resolution")])[0]


@blp.route("/<string:resolution_id>/votes")
class ResolutionVotes(MethodView):
    @blp.arguments(VoteQueryArgs, location="query", unknown="raise")
    @blp.response(200, MemberVoteSchema(many=True), headers=PAGINATION_HEADERS)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, resolution_id):
        """List a resolution's votes

        How each Council member voted, ordered by member id.
        """
        get_or_404(m.Resolution, resolution_id, "resolution")
        query = (
            m.MemberVote.select()
            .where(m.MemberVote.resolution == resolution_id)
            .order_by(order_key(m.MemberVote.member), order_key(m.MemberVote.id))
        )
        if "vote" in args:
            query = query.where(m.MemberVote.vote == args["vote"])
        return paginate(query, args, lambda rows: row_records("vote", rows, VOTE_FIELDS))
