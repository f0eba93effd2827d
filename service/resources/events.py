"""Events: meetings, encounters, calls, tests and votes."""

from flask.views import MethodView
from peewee import SQL, fn

from schemas.queries import EventQueryArgs

from ..knowledge.kinds import kind_named
from ..store import models as m
from ..store.db import order_key
from ..web.blueprint import ResourceBlueprint
from ..web.filters import in_date_range
from ..web.lookup import require_known

EVENT = kind_named("event")

blp = ResourceBlueprint(
    "events",
    __name__,
    url_prefix="/api/v1/events",
    description="Meetings, encounters, calls, missile tests, tweets and votes, with participants, place and date.",
)


@blp.route("")
class Events(MethodView):
    @blp.list_of(EVENT, EventQueryArgs)
    def get(self, args):
        """List events

        Filter by kind, participant, place and date range (`from`/`to`, inclusive, matched against each
        event's date interval as `date_match` says: `overlaps` by default, or `within`; events of unknown
        date are left out when a range is given). Ordered by date interval (earliest day, then latest;
        unknown dates last), then id.
        """
        query = EVENT.select().order_by(order_key(m.Event.sort_key))
        if "kind" in args:
            query = query.where(m.Event.kind == args["kind"])
        if "participant" in args:
            require_known("participant", args["participant"], m.Entity, "entity")
            query = query.where(
                fn.EXISTS(
                    m.EventParticipant.select(SQL("1")).where(
                        (m.EventParticipant.event == m.Event.id) & (m.EventParticipant.entity == args["participant"])
                    )
                )
            )
        if "place" in args:
            require_known("place", args["place"], m.Entity, "place", ("place", "country"))
            query = query.where(m.Event.place == args["place"])
        # As on /statements: membership as a correlated EXISTS, and the date range also bounds the sort key.
        query = in_date_range(query, m.Event, args)
        return query


@blp.route("/<string:event_id>")
class EventItem(MethodView):
    @blp.item_of(EVENT)
    def get(self, event_id):
        """Get an event

        One event with its participants, place, date interval and time zone, how the date was derived,
        its disputes, support and citations.
        """
        return event_id
