"""Changes through the curation API: a proposal is checked exactly as a fixture is (against the published knowledge
with the change applied, at the cost of the change: knowledge/check_change.py), waits for an editor other than its
author, and is published by writing what it alters (rows, documents, /facts rows, search entries) in one
transaction with its revision."""

from __future__ import annotations

import json
from collections.abc import Container
from datetime import UTC, datetime
from typing import Protocol

from peewee import fn

from schemas.fields import fields_of
from schemas.vocabulary import CHANGE_STATUSES
from schemas.writes import settable_fields

from ..store import models as m
from ..store.db import tuples
from ..store.write_lock import write_transaction
from .check_change import verify_change
from .kinds import BY_NAME, Kind
from .merge_patch import merge_diff, merge_patch
from .publication import publish_record
from .published import article_texts, published_record
from .read import KnowledgeError

ACTIONS = ("create", "update", "delete")


class ChangeRefused(Exception):
    """A change the workflow does not take; `problems` say why, one line each. Each subclass is one cause."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class NotFound(ChangeRefused):
    """What the change names does not exist: the record to update or delete, the revision to revert."""


class ChangeConflict(ChangeRefused):
    """The change conflicts with the knowledge as it is: a record it creates exists, the record changed since the
    change was proposed (or since the revision it reverts), the change is no longer pending, or the knowledge with
    it no longer verifies."""


class AwaitingReview(ChangeRefused):
    """The record already has a change awaiting review (`pending`, its number): that one is reviewed first."""

    def __init__(self, pending: int, kind_name: str):
        self.pending = pending
        super().__init__([f"change {pending} to this {kind_name} is awaiting review"])


class SelfReview(ChangeRefused):
    """The reviewer is the change's author: a change is approved or rejected by an editor other than its author."""


class InvalidChange(ChangeRefused):
    """The record, or the knowledge with it, does not verify: `problems` worded as `sanctions-kb check` words a
    fixture's."""


class Precondition(Protocol):
    """What must hold of a record as published when a change to it is checked (the caller's idea of its current
    state, such as a request's If-Match): it raises to refuse the change. The workflow checks it under its lock,
    so that of two proposals made from the same state only the first is taken."""

    def __call__(self, record_id: str, record: dict, /) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _is_cited(source_id: str) -> bool:
    return m.Citation.select().where(m.Citation.source == source_id).exists()


def complete_citations(record: dict, texts: dict[str, str], sources: Container[str]) -> list[str]:
    """Fill in the offsets of each quoted citation that gives none, where the quote occurs once in its source;
    return a problem for each quote that is not there or is there more than once."""
    problems = []
    for number, citation in enumerate(record.get("citations") or [], 1):
        if not isinstance(citation, dict) or not citation.get("quote") or citation.get("start") is not None:
            continue
        source = citation.get("source")
        if not isinstance(source, str) or not isinstance(citation["quote"], str):
            continue  # not a citation's shape: the kind's schema refuses it, naming the field
        text = texts.get(source)
        if text is None:
            problems.append(
                f"citation {number}: a reference source has no text here, so its citation takes no quote"
                if citation.get("source") in sources
                else f"citation {number}: source {citation.get('source')!r} does not exist"
            )
            continue
        starts, at = [], text.find(citation["quote"])
        while at >= 0:
            starts.append(at)
            at = text.find(citation["quote"], at + 1)
        if not starts:
            problems.append(
                f"citation {number}: the quote is not in source {citation['source']!r}: {citation['quote']!r}"
            )
        elif len(starts) > 1:
            problems.append(
                f"citation {number}: the quote occurs {len(starts)} times in source {citation['source']!r}, at "
                f"{starts}: give the `start` of the one you mean"
            )
        else:
            citation["start"], citation["end"] = starts[0], starts[0] + len(citation["quote"])
    return problems


def changes_by(author: str | None = None, status: str | None = None):
    """Changes, newest first: only `author`'s when given (a curator sees its own, an editor every one), only those of
    `status` when given. The review queue is `changes_by(status="pending")`."""
    query = m.Change.select().order_by(m.Change.id.desc())
    if author is not None:
        query = query.where(m.Change.author == author)
    if status is not None:
        query = query.where(m.Change.status == status)
    return query


def change_counts(author: str | None = None) -> dict[str, int]:
    """How many changes (`author`'s when given) have each status, every status named."""
    query = m.Change.select(m.Change.status, fn.COUNT(m.Change.id)).group_by(m.Change.status)
    if author is not None:
        query = query.where(m.Change.author == author)
    return {status: 0 for status in CHANGE_STATUSES} | dict(tuples(query))


def published_changes() -> int:
    return m.Change.select().where(m.Change.status == "published").count()


def propose(
    kind_name: str,
    action: str,
    record_id: str,
    record: dict | None,
    summary: str,
    author: str,
    precondition: Precondition | None = None,
    text: str | None = None,
    reverts: int | None = None,
) -> m.Change:
    """Check a change and keep it pending review; a ChangeRefused says why it is not taken. An update or delete
    is checked against `precondition` first, with the record as published now."""
    kind = BY_NAME[kind_name]
    with write_transaction():
        before = published_record(kind, record_id)
        if action == "create" and before is not None:
            raise ChangeConflict([f"a {kind.name} with id {record_id!r} already exists: update it instead"])
        if action != "create":
            if before is None:
                raise NotFound([f"no {kind.name} with id {record_id!r}"])
            if precondition is not None:
                precondition(record_id, before)
            pending = m.Change.get_or_none(
                (m.Change.kind == kind.name) & (m.Change.record_id == record_id) & (m.Change.status == "pending")
            )
            if pending is not None:
                raise AwaitingReview(pending.id, kind.name)
        if text is not None and before is not None and _is_cited(record_id):
            raise InvalidChange([f"the text of article {record_id!r} is cited by facts, so it can no longer change"])
        if record is not None:
            _refuse_unsettable_fields(kind, record_id, record)
        candidate = merge_patch(before, record) if action == "update" else record
        if candidate is not None:
            candidate["id"] = record_id
            problems = complete_citations(candidate, *_cited_sources(candidate, record_id, text))
            if problems:
                raise InvalidChange(problems)
        try:
            verify_change(kind, record_id, candidate, text)
        except KnowledgeError as error:
            raise InvalidChange(error.problems) from error
        return m.Change.create(
            kind=kind.name,
            record_id=record_id,
            action=action,
            record=None
            if candidate is None
            else json.dumps({**candidate, **({"text": text} if text else {})}, ensure_ascii=False),
            before=None if before is None else json.dumps(before, ensure_ascii=False),
            summary=summary,
            author=author,
            status="pending",
            created_at=_now(),
            reverts=reverts,
        )


def _cited_sources(record: dict, record_id: str, text: str | None) -> tuple[dict[str, str], set[str]]:
    """The texts of the articles a record's citations name (with the change's own text, for an article citing
    itself) and which of the sources they name exist."""
    named = sorted(
        {c["source"] for c in record.get("citations") or [] if isinstance(c, dict) and isinstance(c.get("source"), str)}
    )
    texts = article_texts(named)
    if text is not None:
        texts[record_id] = text
    return texts, {i for (i,) in tuples(m.Source.select(m.Source.id).where(m.Source.id.in_(named)))}


def _refuse_unsettable_fields(kind: Kind, record_id: str, record: dict) -> None:
    """InvalidChange for a field a change may not set (what the service computes or sets itself, such as an article's file
    name), or an `id` other than the change's own."""
    declared, allowed = fields_of(kind.schema), set(settable_fields(kind.schema))
    problems = [  # (an unknown field is the schema's to refuse, as in a fixture)
        f"record: field {name!r} is set by the service, not by a change"
        for name in record
        if name in declared and name not in allowed and name != "id"
    ]
    if "id" in record and record["id"] != record_id:
        problems.append(f"record: its id {record['id']!r} is not the change's id {record_id!r}")
    if problems:
        raise InvalidChange(problems)


def publish(change: m.Change, reviewer: str) -> m.Change:
    """Apply an approved change: the knowledge with it is verified again and loaded, in one transaction with
    the change's revision; ChangeConflict when the record changed since it was proposed, or the knowledge with it no
    longer verifies."""
    kind = BY_NAME[change.kind]
    _require_other_reviewer(change, reviewer, "approved")
    with write_transaction():
        change = m.Change.get_by_id(change.id)
        _require_pending(change)
        _require_unchanged_since(change, kind)
        record, text = proposed_record(change)
        previous_version = m.Dataset.select(m.Dataset.version).scalar()
        try:
            loaded, loaded_text = verify_change(kind, change.record_id, record, text)
        except KnowledgeError as error:
            raise ChangeConflict(error.problems) from error
        published = publish_record(kind, change.record_id, loaded, loaded_text)
        last = (
            m.Change.select(m.Change.revision)
            .where(m.Change.revision.is_null(False))
            .order_by(m.Change.revision.desc())
            .scalar()
        )
        change.status, change.reviewer, change.reviewed_at = "published", reviewer, _now()
        change.revision, change.version = (last or 0) + 1, published.version
        change.previous_version = previous_version
        change.touched = json.dumps(published.touched, ensure_ascii=False)
        m.Dataset.update(revision=change.revision).execute()
        after = published_record(kind, change.record_id)
        change.after = None if after is None else json.dumps(after, ensure_ascii=False)
        change.save()
    return change


def proposed_record(change: m.Change) -> tuple[dict | None, str | None]:
    """The record a change proposes, whole (None for a deletion), and an article's text apart from it."""
    record = json.loads(change.record) if change.record else None
    return record, record.pop("text", None) if record else None


def review_problems(change: m.Change) -> list[str]:
    """What would refuse approving this change now, worded as approving it would word it; none when it would be
    published. It writes nothing: a reviewer reads it before deciding."""
    kind = BY_NAME[change.kind]
    try:
        _require_pending(change)
        _require_unchanged_since(change, kind)
        verify_change(kind, change.record_id, *proposed_record(change))
    except ChangeRefused as error:
        return error.problems
    except KnowledgeError as error:
        return error.problems
    return []


def _require_unchanged_since(change: m.Change, kind: Kind) -> None:
    before = published_record(kind, change.record_id)
    if (json.dumps(before, ensure_ascii=False) if before is not None else None) != change.before:
        raise ChangeConflict([f"the {kind.name} changed since change {change.id} was proposed: propose it again"])


def revert(revision: int, summary: str, author: str) -> m.Change:
    """Propose undoing a published revision: the record goes back to how it was before it (created again if
    it deleted it, deleted if it created it). Only a record's latest revision can be undone (ChangeConflict otherwise),
    and the revert is a change like any other: it waits for an editor other than its author."""
    original = m.Change.get_or_none(m.Change.revision == revision)
    if original is None:
        raise NotFound([f"no revision {revision}"])
    kind = BY_NAME[original.kind]
    if original.after is None and original.action != "delete":
        raise ChangeConflict([f"revision {revision} predates the record of what it left: propose the change"])
    if _is_article_change(original):
        raise ChangeConflict(
            [
                f"revision {revision} changed an article's text, which revisions do not keep: propose the article "
                "again with its text"
            ],
        )
    before = json.loads(original.before) if original.before else None
    after = json.loads(original.after) if original.after else None
    if original.action == "create":
        action, record = "delete", None
    elif original.action == "delete":
        action, record = "create", before
    else:
        assert before is not None and after is not None  # an update revision keeps the record before and after
        action, record = "update", merge_diff(after, before)

    def unchanged_since(record_id: str, current: dict) -> None:  # the revert's precondition
        # Lineage decides, not content: a later revision of the record (even one that brought it back to the same
        # content, as a revert does) must be reverted first. Content then catches a change made outside revisions.
        later = (
            m.Change.select(fn.MAX(m.Change.revision))
            .where((m.Change.kind == kind.name) & (m.Change.record_id == record_id) & (m.Change.revision > revision))
            .scalar()
        )
        if later is not None or current != after:
            raise ChangeConflict(
                [
                    f"the {kind.name} changed since revision {revision}"
                    + (f" (revision {later}): revert that one first" if later else "")
                ],
            )

    return propose(kind.name, action, original.record_id, record, summary, author, unchanged_since, reverts=revision)


def _is_article_change(change: m.Change) -> bool:
    """A change whose undoing needs an article's earlier text, which a revision does not keep: the deletion of
    an article, or an update of its text."""
    before = json.loads(change.before) if change.before else {}
    record = json.loads(change.record) if change.record else {}
    return before.get("kind") == "article" and (change.action == "delete" or "text" in record)


def reject(change: m.Change, reviewer: str, note: str) -> m.Change:
    """Close a pending change unpublished, with the reviewer's note saying why."""
    _require_other_reviewer(change, reviewer, "reviewed")
    with write_transaction():
        change = m.Change.get_by_id(change.id)
        _require_pending(change)
        change.status, change.reviewer, change.review_note, change.reviewed_at = "rejected", reviewer, note, _now()
        change.save()
    return change


def _require_other_reviewer(change: m.Change, reviewer: str, done: str) -> None:
    if change.author == reviewer:
        raise SelfReview([f"a change is {done} by an editor other than its author"])


def _require_pending(change: m.Change) -> None:
    if change.status != "pending":
        raise ChangeConflict([f"change {change.id} is {change.status}, not pending review"])


def last_deletion(kind_name: str, record_id: str) -> int | None:
    """The revision that deleted this record, if a published change did."""
    return (
        m.Change.select(fn.MAX(m.Change.revision))
        .where(
            (m.Change.kind == kind_name)
            & (m.Change.record_id == record_id)
            & (m.Change.action == "delete")
            & (m.Change.status == "published")
        )
        .scalar()
    )
