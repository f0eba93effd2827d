"""Statements: who said what, on which topic, with what stance."""

from flask.views import MethodView
from peewee import SQL, fn

from schemas.queries import StatementQueryArgs

from ..knowledge.kinds import kind_named
from ..knowledge.text import fold_name
from ..store import models as m
from ..store.db import order_key, uses_sqlite
from ..store.search_index import StatementText
from ..web.blueprint import ResourceBlueprint
from ..web.filters import in_date_range
from ..web.lookup import require_known

STATEMENT = kind_named("statement")

blp = ResourceBlueprint(
    "statements",
    __name__,
    url_prefix="/api/v1/statements",
    description="Stated positions: speaker, topics, stance, the verbatim quote and how surely it is attributed.",
)


@blp.route("")
class Statements(MethodView):
    @blp.list_of(STATEMENT, StatementQueryArgs)
    def get(self, args):
        """List statements

        Filter by speaker, topic, stance, source, attribution, how many hands the words passed through
        (`hands`), whether an unnamed person relayed them (`via_unnamed`), date range (`from`/`to`,
        inclusive, matched against each date interval as `date_match` says) and text (`q`). Statements whose
        attribution is `ambiguous` carry a note saying why. Ordered by date interval (earliest day, then
        latest; unknown dates last), then id.
        """
        S = m.Statement
        query = STATEMENT.select().order_by(order_key(S.sort_key))
        if "speaker" in args:
            require_known("speaker", args["speaker"], m.Entity, "entity")
            query = query.where(S.speaker == args["speaker"])
        if "topic" in args:
            require_known("topic", args["topic"], m.Topic, "topic")
            query = query.where(
                fn.EXISTS(
                    m.StatementTopic.select(SQL("1")).where(
                        (m.StatementTopic.statement == S.id) & (m.StatementTopic.topic == args["topic"])
                    )
                )
            )
        if "stance" in args:
            query = query.where(S.stance == args["stance"])
        if "source" in args:
            require_known("source", args["source"], m.Source, "source")
            cited = m.Citation.select(SQL("1")).where(
                (m.Citation.fact_type == "statement")
                & (m.Citation.fact_id == S.id)
                & (m.Citation.source == args["source"])
            )
            query = query.where(fn.EXISTS(cited))
        if "attribution" in args:
            query = query.where(S.attribution == args["attribution"])
        if "hands" in args:
            query = query.where(S.hands == args["hands"])
        if "via_unnamed" in args:
            query = query.where(S.via_unnamed == args["via_unnamed"])
        # Each membership filter is a correlated EXISTS (the page walks the sort-key index and checks each row by
        # index) and the date range also bounds the sort key, which starts with the earliest day: a page is read
        # in order from an index, not sorted out of every match.
        query = in_date_range(query, S, args)
        if "q" in args:
            # Folded in Python (case, accents, punctuation) so that SQLite and PostgreSQL match alike; a
            # substring of the folded text, found through each engine's trigram index.
            folded = fold_name(args["q"])
            if not folded:
                query = query.where(False)
            elif uses_sqlite():
                # LIKE, with no escaping needed: folded text holds letters, digits and spaces only (no % or _).
                matching = StatementText.select(StatementText.statement_id).where(StatementText.text ** f"%{folded}%")
                query = query.where(S.id.in_(matching))
            else:
                query = query.where(S.search_text.contains(folded))
        return query


@blp.route("/<string:statement_id>")
class StatementItem(MethodView):
    @blp.item_of(STATEMENT)
    def get(self, statement_id):
        """Get a statement

        One statement with its speaker, topics, stance, quote, attribution and the chain of hands it
        passed through, its date interval, event, disputes, support and citations.
        """
        return statement_id
