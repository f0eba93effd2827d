"""Changes: propose a record to create, update or delete; an editor other than the author approves or rejects it;
each published change is a revision (see /revisions)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import NoReturn

from flask import g, request
from flask.views import MethodView
from peewee import fn

from schemas import ChangeProposalSchema, ChangeSchema, RevertSchema, ReviewSchema
from schemas.queries import ChangeQueryArgs, RevisionQueryArgs

from ..knowledge.curation import (
    AwaitingReview,
    ChangeConflict,
    ChangeRefused,
    InvalidChange,
    NotFound,
    SelfReview,
    changes_by,
    propose,
    publish,
    reject,
    revert,
)
from ..knowledge.kinds import BY_NAME
from ..store import models as m
from ..store.version import data_version
from ..web.auth import documented_requires
from ..web.blueprint import ResourceBlueprint, current_etag, takes_no_query
from ..web.conditional import both_variants, names
from ..web.lookup import abort

blp = ResourceBlueprint(
    "changes",
    __name__,
    url_prefix="/api/v1/changes",
    description="Propose changes to the knowledge (bearer token); an editor other than the author reviews each one.",
)
revisions = ResourceBlueprint(
    "revisions",
    __name__,
    url_prefix="/api/v1/revisions",
    description="Every published change, in order: who, when, why, the reviewer, before and after; the change feed.",
)

CHANGE_LOCATION = {"Location": {"description": "The change's URL.", "schema": {"type": "string"}}}


def change_record(change: m.Change) -> dict:
    return {
        "id": change.id,
        "kind": change.kind,
        "record_id": change.record_id,
        "action": change.action,
        "status": change.status,
        "summary": change.summary,
        "author": change.author,
        "created_at": change.created_at.isoformat(),
        "reviewer": change.reviewer,
        "review_note": change.review_note,
        "reviewed_at": change.reviewed_at.isoformat() if change.reviewed_at else None,
        "revision": change.revision,
        "before": json.loads(change.before) if change.before else None,
        "record": json.loads(change.record) if change.record else None,
        "after": json.loads(change.after) if change.after else None,
        "version": change.version,
        "reverts": change.reverts,
    }


# The status each refusal of the review workflow is answered with.
REFUSAL_STATUS: dict[type[ChangeRefused], int] = {
    NotFound: 404,
    SelfReview: 403,
    ChangeConflict: 409,
    AwaitingReview: 412,
    InvalidChange: 422,
}
# What a client does next about a refusal, where that is a matter of HTTP: added to its problem.
NEXT_STEP: dict[type[ChangeRefused], str] = {
    AwaitingReview: "review it first, then send If-Match with the ETag the record answers after it",
}


def answer_refusal(error: ChangeRefused) -> NoReturn:
    """Abort with the refusal's status and a problem naming each of its problems (under `errors.json.record`)."""
    step = NEXT_STEP.get(type(error))
    problems = [f"{problem}: {step}" for problem in error.problems] if step else error.problems
    abort(REFUSAL_STATUS[type(error)], message="; ".join(problems), errors={"json": {"record": problems}})


def _if_match_checker(kind_name: str):
    """A check of the request's If-Match against the record's URL as it answers now: 428 without, 412 if stale."""
    sent = request.headers.get("If-Match")

    def check(record_id: str, record: dict) -> None:
        if not sent:
            abort(428, message="an update or delete needs If-Match with the record's ETag (from a GET of it)")
        kind = BY_NAME[kind_name]
        path = kind.url.format(id=record_id) if kind.url is not None else kind.owner_url(record)
        # The record's tag, as its identity or its gzip variant (the same record), or `*`.
        etag = current_etag(kind, record_id, record)
        if etag is None or not names(sent, both_variants(etag)):
            abort(
                412,
                message=f"the {kind.name} changed since that ETag was given{last_change(kind_name, record_id)}: GET {path} again and retry",
            )

    return check


@blp.route("")
class Changes(MethodView):
    @documented_requires(blp, "curator")
    @blp.arguments(ChangeProposalSchema)
    @blp.response(201, ChangeSchema, headers=CHANGE_LOCATION)
    @blp.alt_response(404, response="NOT_FOUND", description="Not Found: no record with that id to update or delete.")
    @blp.alt_response(409, response="DEFAULT_ERROR", description="Conflict: a record with that id already exists.")
    @blp.alt_response(
        412,
        response="DEFAULT_ERROR",
        description="Precondition Failed: If-Match is stale, or the record has a change awaiting review.",
    )
    @blp.alt_response(
        428, response="DEFAULT_ERROR", description="Precondition Required: an update or delete without If-Match."
    )
    @blp.doc(
        parameters=[
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "For update and delete: the record's current ETag.",
                "example": '"5c0e1b3c2c1a4f7b9c8d"',
            }
        ]
    )
    def post(self, proposal):
        """Propose a change

        Create a record (`record` is the whole record, as a fixture holds it), update one (`record` is a JSON
        merge patch) or delete one, with an edit summary. The change is checked as the fixtures are: every
        citation's quote must be in its source (offsets left out are found; a quote found more than once is a
        422 asking which), every id it names must exist. It then waits, unpublished, for an editor other than
        its author. Update and delete need `If-Match` with the record's current ETag (428 without, 412 when
        stale or when the record already has a change awaiting review).
        """
        try:
            change = propose(
                proposal["kind"],
                proposal["action"],
                proposal["id"],
                proposal["record"],
                proposal["summary"],
                g.token.name,
                precondition=_if_match_checker(proposal["kind"]),
                text=proposal["text"],
            )
        except ChangeRefused as error:
            answer_refusal(error)
        return change_record(change), {"Location": f"/api/v1/changes/{change.id}"}

    @documented_requires(blp, "curator")
    @blp.list_of(ChangeSchema, ChangeQueryArgs, records=lambda rows: [change_record(c) for c in rows])
    def get(self, args):
        """List changes (the review queue)

        Changes, newest first: an editor sees every one, a curator its own. `status=pending` is the review
        queue.
        """
        return changes_by(author=None if g.token.role == "editor" else g.token.name, status=args.get("status"))


def last_change(kind_name: str, record_id: str) -> str:
    """Who changed the record last, and when, as a 412 says it (nothing when no published change made it)."""
    last = (
        m.Change.select()
        .where((m.Change.kind == kind_name) & (m.Change.record_id == record_id) & (m.Change.status == "published"))
        .order_by(m.Change.revision.desc())
        .first()
    )
    if last is None:
        return ""
    when = last.reviewed_at.isoformat(sep=" ") if last.reviewed_at else "an unknown time"
    return (
        f" (its latest change is revision {last.revision}, by {last.author}, approved by {last.reviewer} at {when} UTC:"
        f" {last.summary!r})"
    )


def _number(text: str) -> int | None:
    """A change's or revision's number from its URL, or None if it is not one (the route takes any string, so the
    input guard's 422s hold here too)."""
    return int(text) if text.isdigit() and len(text) < 10 else None


def _visible_change(change_id: str) -> m.Change:
    number = _number(change_id)
    change = m.Change.get_or_none(m.Change.id == number) if number is not None else None
    if change is None or (g.token.role != "editor" and change.author != g.token.name):
        abort(404, message=f"no change {change_id} that this token may see")
    return change


@blp.route("/<string:change_id>")
class ChangeItem(MethodView):
    @documented_requires(blp, "curator")
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @takes_no_query(blp)
    def get(self, change_id):
        """Get a change

        One change, with the record before and after it; its author and editors may see it.
        """
        return change_record(_visible_change(change_id))


@blp.route("/<string:change_id>/approve")
class ChangeApproval(MethodView):
    @documented_requires(blp, "editor")
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="DEFAULT_ERROR", description="Conflict: not pending, or the record changed since.")
    def post(self, change_id):
        """Approve and publish a change

        An editor other than the change's author publishes it: the knowledge with the change is verified
        again and served from the next request, as a new revision and a new data version. 409 when the
        record changed since the change was proposed.
        """
        change = _visible_change(change_id)
        try:
            return change_record(publish(change, g.token.name))
        except ChangeRefused as error:
            answer_refusal(error)


@blp.route("/<string:change_id>/reject")
class ChangeRejection(MethodView):
    @documented_requires(blp, "editor")
    @blp.arguments(ReviewSchema)
    @blp.response(200, ChangeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="DEFAULT_ERROR", description="Conflict: the change is not pending.")
    def post(self, review, change_id):
        """Reject a change

        An editor other than the change's author rejects it, saying why; it is never published.
        """
        change = _visible_change(change_id)
        try:
            return change_record(reject(change, g.token.name, review["note"]))
        except ChangeRefused as error:
            answer_refusal(error)


@revisions.route("")
class Revisions(MethodView):
    @revisions.list_of(ChangeSchema, RevisionQueryArgs, records=lambda rows: [change_record(c) for c in rows])
    def get(self, args):
        """List revisions (the change feed)

        Every published change in the order it was published, with its author, reviewer, summary, and the
        record before and after. To keep a copy in sync, ask for the revisions since the last one you read:
        `after=N` (a revision number), `since_version` (a data version) or `since` (a time). `kind` and
        `record` give one record's history.
        """
        query = m.Change.select().where(m.Change.status == "published").order_by(m.Change.revision)
        if "after" in args:
            query = query.where(m.Change.revision > args["after"])
        if "since" in args:
            query = query.where(m.Change.reviewed_at >= args["since"].astimezone(UTC).replace(tzinfo=None))
        if "since_version" in args:
            query = query.where(m.Change.revision > _revision_of_version(args["since_version"]))
        if "kind" in args:
            query = query.where(m.Change.kind == args["kind"])
        if "record" in args:
            query = query.where(m.Change.record_id == args["record"])
        return query


def _revision_of_version(version: str) -> int:
    """The revision after which the knowledge was last at `version`; 422 when it never was (no revision made it or
    started from it). A data version names the knowledge's content, and a revert brings back an earlier content and
    so its version: the feed then goes on from the last time the knowledge was at it, which a client holding that
    content has, whichever revision it read last."""
    if version == data_version():
        return m.Change.select(fn.MAX(m.Change.revision)).scalar() or 0
    made = m.Change.select(fn.MAX(m.Change.revision)).where(m.Change.version == version).scalar()
    started = m.Change.select(fn.MAX(m.Change.revision)).where(m.Change.previous_version == version).scalar()
    moments = [made, None if started is None else started - 1]
    if any(moment is not None for moment in moments):
        return max(moment for moment in moments if moment is not None)
    abort(
        422,
        message="no revision made or started from that data version (a reload since, or not this database's): "
        "use `after` with the last revision number you read",
        errors={"query": {"since_version": ["unknown data version"]}},
    )


@revisions.route("/<string:revision_id>")
class RevisionItem(MethodView):
    @revisions.response(200, ChangeSchema)
    @revisions.alt_response(404, response="NOT_FOUND", description="Not Found: no revision with that number.")
    @takes_no_query(revisions)
    def get(self, revision_id):
        """Get a revision

        One published change by its revision number, as the feed lists it. A number names one revision even
        when a later one (a revert) brought the knowledge back to the same data version.
        """
        number = _number(revision_id)
        change = m.Change.get_or_none(m.Change.revision == number) if number is not None else None
        if change is None or change.status != "published":
            abort(404, message=f"no revision {revision_id}")
        return change_record(change)


@revisions.route("/<string:revision_id>/revert")
class RevisionRevert(MethodView):
    @documented_requires(revisions, "editor")
    @revisions.arguments(RevertSchema)
    @revisions.response(201, ChangeSchema, headers=CHANGE_LOCATION)
    @revisions.alt_response(404, response="NOT_FOUND", description="Not Found: no such revision.")
    @revisions.alt_response(
        409,
        response="DEFAULT_ERROR",
        description="Conflict: the record changed since, or the revision cannot be undone.",
    )
    @revisions.alt_response(
        412, response="DEFAULT_ERROR", description="Precondition Failed: the record has a change awaiting review."
    )
    def post(self, body, revision_id):
        """Propose reverting a revision

        An editor proposes undoing a published revision: the record goes back to how it was before it
        (created again if the revision deleted it, deleted if it created it). The revert is a change like
        any other: checked, then published only when another editor approves it. Only a record's latest
        revision can be reverted (409 names the later one), and a revision that deleted an article or
        rewrote its text cannot (its text is not kept): propose the article again instead.
        """
        number = _number(revision_id)
        if number is None:
            abort(404, message=f"no revision {revision_id}")
        try:
            change = revert(number, body["summary"], g.token.name)
        except ChangeRefused as error:
            answer_refusal(error)
        return change_record(change), {"Location": f"/api/v1/changes/{change.id}"}
