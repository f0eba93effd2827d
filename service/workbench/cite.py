"""The workbench's "Cite a passage": on an article's text, a curator selects a passage (with the mouse, or by its
start and end for the keyboard and assistive technology) and adds it as a citation of an existing fact. The quote
and its code-point offsets come from the text itself, never from what the browser typed; the change goes through
the review workflow as an update of the fact's citations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from schemas.limits import MAX_ID_LENGTH, MAX_SUMMARY_LENGTH
from schemas.vocabulary import ACCOUNT_EVENT_KINDS, MENTION_ROLES

from ..knowledge.curation import ChangeConflict, ChangeRefused, propose
from ..knowledge.kinds import BY_NAME
from ..knowledge.published import published_record
from ..knowledge.suggest import ArticleMetadata, suggest
from ..knowledge.suggest.entities import name_index
from ..pages.evidence import PARAGRAPH_BREAK
from ..resources.changes import REFUSAL_STATUS, last_change
from ..store import models as m
from ..store.db import tuples
from .auth import current_session, refuse, signed_in
from .forms import as_typed, controls
from .views import CORRECTABLE, _page, workbench

# The kinds whose records cite passages (a citation is added to one of these), in the registry's order.
CITING_KINDS = CORRECTABLE
MAX_PASSAGE = 5_000  # the longest passage a citation takes here, in code points


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the text, with its offset in code points (the script counts from it) and what follows it."""

    start: int
    text: str
    separator: str


def paragraphs(text: str) -> list[Paragraph]:
    """The text's paragraphs as the evidence pages split them (a blank line ends one), with their offsets."""
    found, at = [], 0
    for match in PARAGRAPH_BREAK.finditer(text):
        found.append(Paragraph(at, text[at : match.start()], match.group()))
        at = match.end()
    found.append(Paragraph(at, text[at:], ""))
    return found


@workbench.get("/sources")
@signed_in("curator")
def articles():
    """The published articles, each with a link to cite a passage of it."""
    return choose_article()


def choose_article(notice: str | None = None) -> BaseResponse:
    """The page listing the articles to cite, with a notice saying why it was shown."""
    query = (
        m.Source.select(m.Source.id, m.Source.title, m.Source.publisher, m.Source.published_on)
        .where(m.Source.kind == "article")
        .order_by(m.Source.published_on.desc(nulls="LAST"), m.Source.id)
    )
    return _page("workbench/articles.html", articles=list(query.dicts()), notice=notice)


@workbench.route("/sources/<source_id>/cite", methods=["GET", "POST"])
@signed_in("curator")
def cite(source_id: str) -> BaseResponse:
    """The article's text to select a passage in, and the form that cites it for a fact."""
    text = _article_text(source_id)
    if request.method == "GET":  # (an accepted suggestion opens the page with its passage and fact filled in)
        typed = {name: request.args.get(name, "")[: MAX_ID_LENGTH + 20] for name in ("start", "end", "fact")}
        shown = _span(typed, text, {}) if typed["start"] and typed["end"] else None
        return _cite_page(source_id, text, typed, span=shown)
    typed = {name: request.form.get(name, "") for name in ("start", "end", "fact", "role", "account", "summary")}
    errors: dict[str, str] = {}
    offered = dict(accounts(source_id))
    if typed["account"] and typed["account"] not in offered:
        errors["account"] = "Choose one of the accounts offered."
    span = _span(typed, text, errors)
    fact = _fact(typed["fact"], errors)
    role = typed["role"] or "supports"
    if role not in MENTION_ROLES:
        errors["role"] = f"One of {', '.join(MENTION_ROLES)}."
    summary = typed["summary"].strip()
    if request.form.get("action") == "propose":
        if not summary:
            errors["summary"] = "Say what this change does, for its reviewer (an edit summary)."
        elif len(summary) > MAX_SUMMARY_LENGTH:
            errors["summary"] = f"At most {MAX_SUMMARY_LENGTH} characters."
    if request.form.get("action") == "new" and span is not None and not errors:
        new_kind = request.form.get("new_kind", "")
        if new_kind in CITING_KINDS:
            query: dict[str, Any] = {"source": source_id, "start": span[0], "end": span[1], "role": role}
            query["account"] = typed["account"]
            return redirect(url_for("workbench.new_fact", kind_name=new_kind, **query), 303)
        errors["new_kind"] = f"One of {', '.join(CITING_KINDS)}."
    if errors or span is None or request.form.get("action") != "propose" or fact is None:
        status = 422 if errors else 200
        return _cite_page(source_id, text, typed, status=status, errors=errors, span=span)
    kind_name, record_id, record = fact
    start, end = span
    citation: dict = {"source": source_id, "quote": text[start:end], "start": start, "end": end, "role": role}
    if typed["account"]:
        account_type, _, account_id = typed["account"].partition("/")
        citation["account"] = {"type": account_type, "id": account_id}
    citations = list(record.get("citations") or [])
    if any((c.get("source"), c.get("start"), c.get("end")) == (source_id, start, end) for c in citations):
        errors["fact"] = f"The {kind_name} cites this passage already."
        return _cite_page(source_id, text, typed, status=409, errors=errors, span=span)
    seen = json.dumps(record, ensure_ascii=False, sort_keys=True)

    def unchanged_since_read(_: str, current: dict) -> None:  # the record the citations were appended to
        if json.dumps(current, ensure_ascii=False, sort_keys=True) != seen:
            raise ChangeConflict([f"the {kind_name} changed while you cited{last_change(kind_name, record_id)}"])

    session = current_session()
    assert session is not None
    try:
        change = propose(
            kind_name,
            "update",
            record_id,
            {"citations": [*citations, citation]},
            summary,
            session.name,
            unchanged_since_read,
        )
    except ChangeRefused as error:
        return _cite_page(
            source_id, text, typed, status=REFUSAL_STATUS[type(error)], problems=error.problems, span=span
        )
    return redirect(url_for("workbench.change", change_id=change.id), 303)


def accounts(source_id: str) -> list[tuple[str, str]]:
    """The original accounts a passage of this source may carry (FORMAT.md, "Independent sources"), as the form
    offers them: the source's own reporting, each source it derives from, and each event of an utterance (a
    briefing, a report, a tweet), by `type/id`."""
    derived = m.Source.select(m.Source.derived_from).where(m.Source.id == source_id).scalar() or []
    sources = [source_id, *(d["source"] for d in derived if isinstance(d, dict))]
    titles = dict(tuples(m.Source.select(m.Source.id, m.Source.title).where(m.Source.id.in_(sources))))
    offered = [(f"source/{source_id}", f"its own reporting ({titles.get(source_id, source_id)})")]
    offered += [(f"source/{s}", f"the source it derives from: {titles.get(s, s)}") for s in sources[1:]]
    events = (
        m.Event.select(m.Event.id, m.Event.title)
        .where(m.Event.kind.in_(ACCOUNT_EVENT_KINDS))
        .order_by(m.Event.occurred_on, m.Event.id)
    )
    offered += [(f"event/{event_id}", f"the event: {title}") for event_id, title in tuples(events)]
    return offered


def _article_text(source_id: str) -> str:
    text = None
    if len(source_id) <= MAX_ID_LENGTH:
        text = m.Source.select(m.Source.text).where((m.Source.id == source_id) & (m.Source.kind == "article")).scalar()
    if text is None:
        refuse(404, "There is no published article with that id to cite (a reference has no text here).")
    return text


def _span(typed: dict, text: str, errors: dict[str, str]) -> tuple[int, int] | None:
    """The passage's start and end, checked against the text (code points, `text[start:end]`)."""
    numbers = []
    for name in ("start", "end"):
        value = typed[name].strip()
        if not value.isdigit() or len(value) > 9:
            errors[name] = "A whole number of characters from the start of the text."
        else:
            numbers.append(int(value))
    if len(numbers) < 2:
        return None
    start, end = numbers
    if not start < end <= len(text):
        errors["end"] = f"The passage ends after it starts and within the text ({len(text):,} characters)."
        return None
    if end - start > MAX_PASSAGE:
        errors["end"] = f"A passage is at most {MAX_PASSAGE:,} characters."
        return None
    if not text[start:end].strip():
        errors["end"] = "The passage is only space: select words."
        return None
    return start, end


def _fact(value: str, errors: dict[str, str]) -> tuple[str, str, dict] | None:
    """The fact named `kind/id`, as published now."""
    value = value.strip()
    if not value:
        return None
    kind_name, _, record_id = value.partition("/")
    if kind_name not in CITING_KINDS or not record_id or len(record_id) > MAX_ID_LENGTH:
        errors["fact"] = f"Name the fact as kind/id, the kind one of {', '.join(CITING_KINDS)}."
        return None
    record = published_record(BY_NAME[kind_name], record_id)
    if record is None:
        errors["fact"] = f"There is no {kind_name} {record_id!r}."
        return None
    return kind_name, record_id, record


def _cite_page(
    source_id: str,
    text: str,
    typed: dict,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    span: tuple[int, int] | None = None,
) -> BaseResponse:
    title = m.Source.select(m.Source.title).where(m.Source.id == source_id).scalar()
    found = suggestions_for(source_id, text)
    return _page(
        "workbench/cite.html",
        suggestions=found,
        paragraphs_marked=marked(text, found),
        code=status,
        source_id=source_id,
        title=title,
        paragraphs=paragraphs(text),
        characters=len(text),
        typed=typed,
        errors=errors or {},
        problems=problems,
        quote=text[span[0] : span[1]] if span else None,
        roles=MENTION_ROLES,
        accounts=accounts(source_id),
        kinds=CITING_KINDS,
        summary_length=MAX_SUMMARY_LENGTH,
    )


# The suggestions a page lists at most (an article's text is bounded, but a long one can hold many names).
MAX_SUGGESTIONS = 300
SUGGESTED_KINDS = ("entity", "date", "figure")  # marked in the text (a quotation's span is a whole sentence or more)


@dataclass(frozen=True)
class Suggestion:
    """A suggestion of POST /api/v1/suggestions on this article, with where accepting it leads: the cite form with
    its passage and fact filled in (a known entity named), or the form of the fact it would create, pre-filled."""

    number: int
    kind: str
    start: int
    end: int
    text: str
    label: str
    note: str | None
    accept: str


def suggestions_for(source_id: str, text: str) -> list[Suggestion]:
    """The suggestions on the article (the API's, the same function), each with the URL that accepts it."""
    source = m.Source.get_by_id(source_id)
    metadata = ArticleMetadata(source.dateline, source.published_on, None, source_id)
    found = suggest(text, metadata, name_index())["suggestions"][:MAX_SUGGESTIONS]
    return [_accepted(number, source_id, s) for number, s in enumerate(found, 1)]


def _accepted(number: int, source_id: str, suggestion: dict) -> Suggestion:
    form, proposal = suggestion["form"], suggestion["proposal"]
    (citation,) = proposal["citations"]
    if form["action"] == "update":  # a known entity named: cite the passage for it
        cited: dict[str, Any] = {"source_id": source_id, "start": citation["start"], "end": citation["end"]}
        cited["fact"] = f"{form['kind']}/{form['id']}"
        accept = url_for("workbench.cite", **cited)
    else:  # a fact to create: its form, with the proposal's values and the passage around the words
        fields = {c.name: c for c in controls(form["kind"])}
        prefill = {
            f"f.{name}": as_typed(fields[name], value)
            for name, value in proposal.items()
            if name in fields and value not in (None, [], "")
        }
        values: dict[str, Any] = {"source": source_id, "start": citation["start"], "end": citation["end"]}
        values.update(role="supports", kind_name=form["kind"], **prefill)
        accept = url_for("workbench.new_fact", **values)
    return Suggestion(
        number,
        suggestion["kind"],
        suggestion["start"],
        suggestion["end"],
        suggestion["text"],
        form["label"],
        suggestion.get("note"),
        accept,
    )


@dataclass(frozen=True)
class Segment:
    """A piece of a paragraph: plain text, or the words of a suggestion (its number), marked."""

    text: str
    suggestion: int | None = None


def marked(text: str, found: list[Suggestion]) -> list[list[Segment]]:
    """Each paragraph's text cut where suggestions of names, dates and figures fall (none overlapping: the first
    in the text wins), so the page can mark them; the pieces of a paragraph join to its text exactly."""
    spans, last = [], -1
    for s in sorted((s for s in found if s.kind in SUGGESTED_KINDS), key=lambda s: (s.start, -s.end)):
        if s.start >= last:
            spans.append(s)
            last = s.end
    pieces = []
    for paragraph in paragraphs(text):
        start, end = paragraph.start, paragraph.start + len(paragraph.text)
        segments, at = [], start
        for s in spans:
            if s.start < start or s.end > end:
                continue
            segments.append(Segment(text[at : s.start]))
            segments.append(Segment(text[s.start : s.end], s.number))
            at = s.end
        segments.append(Segment(text[at:end]))
        pieces.append([segment for segment in segments if segment.text])
    return pieces
