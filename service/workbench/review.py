"""The workbench's review: the queue of changes awaiting review, and a change's own page (a field-by-field diff,
each cited passage in its paragraph, and what approving it now would meet), where an editor other than its author
approves it or rejects it with a note. Through the same workflow as the API (knowledge/curation.py)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import marshmallow as ma
from flask import Response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from schemas import RevertSchema, ReviewSchema
from schemas.limits import MAX_ID_LENGTH, MAX_REVIEW_NOTE_LENGTH, MAX_SUMMARY_LENGTH
from schemas.queries import PageArgs

from ..knowledge.check_change import loaded_record
from ..knowledge.curation import (
    ChangeRefused,
    changes_by,
    proposed_record,
    publish,
    reject,
    revert,
    review_problems,
)
from ..knowledge.fixtures import as_fixture
from ..knowledge.kinds import BY_NAME
from ..knowledge.published import published_record
from ..knowledge.read import KnowledgeError
from ..pages.evidence import paragraph_around
from ..resources.changes import REFUSAL_STATUS
from ..store import models as m
from ..store.db import tuples
from .auth import current_session, refuse, signed_in
from .views import DEFAULT_PAGE_SIZE, _page, _shown, workbench

# What the change page says after a review it was sent back from (`?done=`).
DONE = {
    "approved": "Approved: the change is published.",
    "rejected": "Rejected: the change will not be published, and its author sees your note.",
}


@dataclass(frozen=True)
class FieldChange:
    """One top-level field a change sets, adds or removes: its value before and after, as JSON (None: absent)."""

    name: str
    before: str | None
    after: str | None
    summary: str | None = None  # for the citations: which passages come and go (the passages are listed below)


@dataclass(frozen=True)
class CitedPassage:
    """A citation of the proposed record, with the paragraph of its source around the quote (split so the quote
    can be marked), or without one for a reference (no text kept) or a quote not at its offsets."""

    number: int
    citation: dict
    new: bool
    around: tuple[str, str, str] | None
    problem: str | None


@workbench.get("/review")
@signed_in("editor")
def review_queue():
    """The changes awaiting review, oldest first: each links to its page, where it is approved or rejected."""
    try:
        args = PageArgs().load(request.args.to_dict())
    except ma.ValidationError as error:
        problems = "; ".join(f"{name}: {' '.join(map(str, said))}" for name, said in error.messages_dict.items())
        refuse(422, f"This list takes page and page_size: {problems}")
    pending = changes_by(status="pending")
    total = pending.count()
    pages = max(1, math.ceil(total / args["page_size"]))
    if args["page"] > pages:
        refuse(404, f"page {args['page']} is out of range: there {'is' if pages == 1 else 'are'} {pages}")
    query = pending.order_by(m.Change.id).paginate(args["page"], args["page_size"])
    return _page(
        "workbench/review.html",
        shown=[_shown(change) for change in query],
        page=args["page"],
        pages=pages,
        page_size=args["page_size"] if args["page_size"] != DEFAULT_PAGE_SIZE else None,
        total=total,
    )


@workbench.get("/changes/<change_id>")
@signed_in()
def change(change_id: str):
    """One change: what it does, field by field, the passages it cites, and (to an editor other than its author,
    while it waits) what approving it now would meet, with the forms to approve or reject it."""
    return _change_page(_visible_change(change_id), done=DONE.get(request.args.get("done", "")))


@workbench.post("/changes/<change_id>/approve")
@signed_in("editor")
def approve(change_id: str) -> BaseResponse:
    """Publish the change, as the API's approve does; a refusal shows the change again with its problems."""
    found = _visible_change(change_id)
    session = current_session()
    assert session is not None
    try:
        publish(found, session.name)
    except ChangeRefused as error:
        return _change_page(found, status=REFUSAL_STATUS[type(error)], problems=error.problems)
    return redirect(url_for("workbench.change", change_id=found.id, done="approved"), 303)


@workbench.post("/changes/<change_id>/reject")
@signed_in("editor")
def reject_change(change_id: str) -> BaseResponse:
    """Close the change unpublished with a note; a note that is missing or too long is refused next to its field,
    and kept as typed."""
    found = _visible_change(change_id)
    session = current_session()
    assert session is not None
    note = request.form.get("note", "")
    if not note.strip():
        return _change_page(
            found, status=422, note=note, note_error="Say why you reject it: its author reads the note."
        )
    try:
        review = ReviewSchema().load({"note": note.strip()})
    except ma.ValidationError as error:
        messages = error.messages_dict.get("note", ["Not a valid note."])
        return _change_page(found, status=422, note=note, note_error=" ".join(map(str, messages)))
    try:
        reject(found, session.name, review["note"])
    except ChangeRefused as error:
        return _change_page(found, status=REFUSAL_STATUS[type(error)], problems=error.problems, note=note)
    return redirect(url_for("workbench.change", change_id=found.id, done="rejected"), 303)


def _visible_change(change_id: str) -> m.Change:
    """The change of this number that the signed-in person may see (an editor every one, a curator their own); a
    404 page otherwise, the same whether it exists or not."""
    session = current_session()
    assert session is not None
    number = int(change_id) if change_id.isdigit() and len(change_id) < 10 else None
    found = m.Change.get_or_none(m.Change.id == number) if number is not None else None
    if found is None or (session.role != "editor" and found.author != session.name):
        refuse(404, f"There is no change {change_id} that you may see.")
    return found


def _change_page(
    found: m.Change,
    status: int = 200,
    problems: list[str] | None = None,
    done: str | None = None,
    note: str = "",
    note_error: str | None = None,
) -> Response:
    session = current_session()
    assert session is not None
    found = m.Change.get_by_id(found.id)  # as it is now, after a review that was taken or refused
    before = json.loads(found.before) if found.before else None
    after, text = proposed_record(found)
    kind = BY_NAME.get(found.kind)
    if after is not None and kind is not None:
        try:  # as the knowledge would hold it (defaults filled in), so the diff shows what changes, not how it was typed
            after = as_fixture(kind, kind.schema().dump(loaded_record(kind, found.record_id, after, text)[0]))
        except KnowledgeError:
            pass  # it no longer loads: shown as proposed, and the check below says why
    reviewable = found.status == "pending" and session.role == "editor" and found.author != session.name
    return _page(
        "workbench/change.html",
        code=status,
        c=_shown(found),
        fields=field_changes(before, after),
        text=text,
        passages=cited_passages(before, after if found.action != "delete" else before, text, found.record_id),
        reviewable=reviewable,
        own=found.author == session.name,
        checked=review_problems(found) if reviewable and problems is None else None,
        problems=problems,
        done=done,
        note=note,
        note_error=note_error,
        note_length=MAX_REVIEW_NOTE_LENGTH,
        kind=kind,
    )


def field_changes(before: dict | None, after: dict | None) -> list[FieldChange]:
    """Each top-level field whose value differs between the record before and after, in the order the record
    gives them (a deletion: every field, going)."""
    before, after = before or {}, after or {}
    names = list(after) + [name for name in before if name not in after]
    return [
        FieldChange(
            name,
            _shown_value(before, name),
            _shown_value(after, name),
            _citations_summary(before.get(name), after.get(name)) if name == "citations" else None,
        )
        for name in names
        if name != "id" and before.get(name, _ABSENT) != after.get(name, _ABSENT)
    ]


def _citations_summary(before, after) -> str | None:
    """Which cited passages a change adds (by their number in the record), drops, and edits otherwise."""
    if not isinstance(before, list) or not isinstance(after, list):
        return None
    earlier = {_passage_key(c): c for c in before if isinstance(c, dict)}
    later = [c for c in after if isinstance(c, dict)]
    added = [n for n, c in enumerate(later, 1) if _passage_key(c) not in earlier]
    edited = [n for n, c in enumerate(later, 1) if _passage_key(c) in earlier and earlier[_passage_key(c)] != c]
    dropped = len(earlier.keys() - {_passage_key(c) for c in later})
    parts = []
    if added:
        parts.append(f"adds citation{'s' if len(added) > 1 else ''} {', '.join(map(str, added))}")
    if edited:
        parts.append(f"edits citation{'s' if len(edited) > 1 else ''} {', '.join(map(str, edited))}")
    if dropped:
        parts.append(f"drops {dropped} citation{'s' if dropped > 1 else ''}")
    kept = len(later) - len(added) - len(edited)
    if kept:
        parts.append(f"keeps {kept} as {'it was' if kept == 1 else 'they were'}")
    return "; ".join(parts).capitalize() + "." if parts else None


_ABSENT = object()


def _shown_value(record: dict, name: str) -> str | None:
    if name not in record:
        return None
    value = record[name]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def cited_passages(
    before: dict | None, record: dict | None, own_text: str | None, record_id: str
) -> list[CitedPassage]:
    """The record's citations, each with its passage in the paragraph around it (from the article's text, or the
    change's own text for an article citing itself), marked new when the record before did not cite that passage."""
    citations = [c for c in (record or {}).get("citations") or [] if isinstance(c, dict)]
    earlier = {_passage_key(c) for c in (before or {}).get("citations") or [] if isinstance(c, dict)}
    named = sorted({c["source"] for c in citations if isinstance(c.get("source"), str)})
    texts = dict(tuples(m.Source.select(m.Source.id, m.Source.text).where(m.Source.id.in_(named)))) if named else {}
    if own_text is not None:
        texts[record_id] = own_text
    passages = []
    for number, citation in enumerate(citations, 1):
        source_text = texts.get(citation.get("source"))
        start, end, quote = citation.get("start"), citation.get("end"), citation.get("quote")
        around, problem = None, None
        if source_text is None:
            problem = "a reference: the service keeps no text of it, so the quote is shown as given"
        elif not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(source_text)):
            problem = "no offsets into the text"
        elif source_text[start:end] != quote:
            problem = "the text at these offsets is not the quote"
        else:
            first, last = paragraph_around(source_text, start, end)
            around = (source_text[first:start], source_text[start:end], source_text[end:last])
        passages.append(CitedPassage(number, citation, _passage_key(citation) not in earlier, around, problem))
    return passages


def _passage_key(citation: dict) -> tuple:
    """What makes a citation the same passage of the same source, whatever else of it a change edits."""
    return (citation.get("source"), citation.get("start"), citation.get("end"), citation.get("quote"))


@dataclass(frozen=True)
class Revision:
    """A published change of one record, as its history lists it: the change, and its fields before and after."""

    change: dict
    fields: list[FieldChange]


@workbench.get("/history/<kind_name>/<record_id>")
@signed_in()
def history(kind_name: str, record_id: str):
    """A record's revisions, newest first, each with its diff; an editor may propose reverting the latest."""
    return _history_page(*_record_named(kind_name, record_id))


@workbench.post("/history/<kind_name>/<record_id>/revert")
@signed_in("editor")
def propose_revert(kind_name: str, record_id: str) -> BaseResponse:
    """Propose undoing the record's latest revision (a change like any other, reviewed by another editor); a refusal
    shows the history again with its problems, and the summary as typed."""
    kind_name, record_id = _record_named(kind_name, record_id)
    session = current_session()
    assert session is not None
    summary = request.form.get("summary", "")
    number = request.form.get("revision", "")
    if not number.isdigit() or len(number) > 9:
        refuse(422, "Which revision to revert is missing or not a number: reload the history and try again.")
    try:
        body = RevertSchema().load({"summary": summary.strip()})
    except ma.ValidationError as error:
        words = " ".join(map(str, error.messages_dict.get("summary", ["Not a valid summary."])))
        return _history_page(kind_name, record_id, status=422, summary=summary, summary_error=words)
    latest = _revisions_of(kind_name, record_id).first()
    if latest is None or latest.revision != int(number):
        problem = f"revision {number} is not this record's latest: reload the history"
        return _history_page(kind_name, record_id, status=409, problems=[problem], summary=summary)
    try:
        proposed = revert(int(number), body["summary"], session.name)
    except ChangeRefused as error:
        status = REFUSAL_STATUS[type(error)]
        return _history_page(kind_name, record_id, status=status, problems=error.problems, summary=summary)
    return redirect(url_for("workbench.change", change_id=proposed.id), 303)


def _record_named(kind_name: str, record_id: str) -> tuple[str, str]:
    """A kind's name and a record id from a URL, or the same 404 page for anything that names no history."""
    known = kind_name in BY_NAME and len(record_id) <= MAX_ID_LENGTH
    if not known or not (
        _revisions_of(kind_name, record_id).exists() or published_record(BY_NAME[kind_name], record_id) is not None
    ):
        refuse(404, "There is no history of that record: no such record, and no published change named it.")
    return kind_name, record_id


def _revisions_of(kind_name: str, record_id: str):
    return (
        m.Change.select()
        .where((m.Change.kind == kind_name) & (m.Change.record_id == record_id) & (m.Change.status == "published"))
        .order_by(m.Change.revision.desc())
    )


def _history_page(
    kind_name: str,
    record_id: str,
    status: int = 200,
    problems: list[str] | None = None,
    summary: str = "",
    summary_error: str | None = None,
) -> Response:
    session = current_session()
    assert session is not None
    revisions = [
        Revision(
            _shown(change),
            field_changes(
                json.loads(change.before) if change.before else None,
                json.loads(change.after) if change.after else None,
            ),
        )
        for change in _revisions_of(kind_name, record_id)
    ]
    return _page(
        "workbench/history.html",
        code=status,
        kind_name=kind_name,
        record_id=record_id,
        revisions=revisions,
        page=revisions[0].change["page"] if revisions else None,
        may_revert=session.role == "editor",
        problems=problems,
        summary=summary,
        summary_error=summary_error,
        summary_length=MAX_SUMMARY_LENGTH,
    )
