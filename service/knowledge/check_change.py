"""Verify one change at the cost of the change: the record is checked exactly as `sanctions-kb check` checks it
in its file, but against the published knowledge in the database rather than the whole read back.

What a change can affect, and so what is checked (tests/test_change_verification.py holds that this accepts and
refuses exactly what a full read of the same knowledge does, over random changes of every kind):
- the record itself: its kind's schema, its references, citations and extra checks, looked up in the database
  with the change applied;
- the records whose own checks read it: those naming it in a reference field, a citation (a source, or an event
  as the account a passage carries), a derivation (a source) or a dispute's facts; checked again when it is
  deleted, or when what their checks read of it changes (an entity's kind; a source's kind, text or publication
  date; an event's kind or first day);
- what spans records: the claims a dispute counts, a derivation cycle through the record, a country code, a name or
  a vote that another record already holds (each found through the database's indexes).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import marshmallow as ma

from schemas.identifiers import identifier_term

from ..store import models as m
from ..store.db import contains_exactly, tuples
from .kinds import BY_NAME, KINDS, Kind
from .publication import ids_naming
from .published import article_texts, published_record, source_parents
from .read import KnowledgeError, KnowledgeReading, article_files, fixture_file, record_where
from .text import fold_name
from .verify import verify_record

Key = tuple[str, str]  # (kind name, record id)


class ChangedKnowledge:
    """The published knowledge with one record created, replaced or deleted: a Catalogue for verification."""

    def __init__(self, kind: Kind, record_id: str, record: dict | None, text: str | None):
        self.key, self.changed, self.changed_text = (kind.name, record_id), record, text
        self._schemas: dict[str, ma.Schema] = {}  # one instance a kind: its nested schemas are built once

    def record(self, kind_name: str, record_id: str) -> dict | None:
        if (kind_name, record_id) == self.key:
            return self.changed
        kind = BY_NAME[kind_name]
        record = published_record(kind, record_id)
        if record is None:
            return None
        if kind_name == "source" and record["kind"] == "article":
            # An article as its record file holds it: with its text's file name and hash.
            row = m.Source.select(m.Source.file, m.Source.sha256).where(m.Source.id == record_id).first()
            record = {**record, "file": row.file, "sha256": row.sha256}
        schema = self._schemas.get(kind_name) or self._schemas.setdefault(kind_name, kind.schema())
        return schema.load(record)  # as reading its file gives it

    def text(self, source_id: str) -> str | None:
        if ("source", source_id) == self.key:
            return self.changed_text
        return article_texts([source_id]).get(source_id)


def verify_change(
    kind: Kind, record_id: str, record: dict | None, text: str | None = None
) -> tuple[dict | None, str | None]:
    """The record as its kind's schema loads it (None for a deletion) and an article's text, once the published
    knowledge with this record created, replaced or deleted verifies; KnowledgeError with every problem otherwise,
    worded as `sanctions-kb check` words them."""
    before = published_record(kind, record_id)
    loaded, loaded_text = loaded_record(kind, record_id, record, text) if record is not None else (None, None)
    knowledge = ChangedKnowledge(kind, record_id, loaded, loaded_text)
    problems: list[str] = []
    if loaded is not None:
        problems += verify_record(kind, loaded, knowledge, record_where(kind.name, loaded))
    for reader_kind, reader_id in sorted(_readers(kind, record_id, before, loaded, loaded_text) - {knowledge.key}):
        reader = knowledge.record(reader_kind, reader_id)
        if reader is not None:
            problems += verify_record(BY_NAME[reader_kind], reader, knowledge, record_where(reader_kind, reader))
    problems += _across_records(kind, record_id, before, loaded, knowledge)
    if problems:
        raise KnowledgeError(problems)
    return loaded, loaded_text


def loaded_record(kind: Kind, record_id: str, record: dict, text: str | None) -> tuple[dict, str | None]:
    """The record as reading its file gives it (an article: with its text, the file name the service gives it
    and that text's hash), or KnowledgeError with the schema's problems."""
    reading = KnowledgeReading()
    item = json.loads(json.dumps(record, ensure_ascii=False))  # as its file holds it
    if kind.name == "source":
        old = m.Source.select(m.Source.kind, m.Source.file).where(m.Source.id == record_id).first()
        old_file = old.file if old is not None and old.kind == "article" else None
        if item.get("kind") == "article" or old_file is not None:
            file = old_file if old_file is not None else f"{record_id}.txt"
            own = text if text is not None else article_texts([record_id]).get(record_id, "")
            body = own.encode("utf-8")
            meta = {**item, "file": file, "sha256": hashlib.sha256(body).hexdigest()}
            reading.add_article(article_files(file)[0], meta, lambda _: body, "seeds/")
        else:
            reading.add_records(kind, fixture_file(kind), [item])
    else:
        reading.add_records(kind, fixture_file(kind), [item])
    if reading.problems:
        raise KnowledgeError(reading.problems)
    if kind.name == "source":
        return reading.knowledge.sources[record_id], reading.knowledge.texts.get(record_id)
    return reading.knowledge.records[kind.name][0], None


# --- The records whose checks read the changed one ---------------------------------------------------------------


def _readers(kind: Kind, record_id: str, before: dict | None, record: dict | None, text: str | None) -> set[Key]:
    """The records whose own checks read what changed: every record naming it when it is deleted; when it is
    replaced, those whose checks read a field that changed (an entity's kind, for the references limited to some
    kinds of entity; a source's kind or text, for the citations of it)."""
    if before is None:
        return set()  # nothing names a record that did not exist
    if record is None:
        return _naming(kind, record_id, everything=True)
    readers: set[Key] = set()
    if kind.name == "entity" and before["kind"] != record["kind"]:
        readers |= _naming(kind, record_id, everything=False)
    if kind.name == "source":
        old_text = article_texts([record_id]).get(record_id)
        dated = _differs(before, record, ("published_on", "date_precision"))
        if before["kind"] != record["kind"] or old_text != text or dated:
            readers |= _citing(record_id)
        elif {d["source"] for d in before["derived_from"]} != {d["source"] for d in record["derived_from"]}:
            readers |= _citing(record_id)  # a passage may carry what the source no longer derives from
        if dated:
            readers |= {("source", child) for child in _derived_from(record_id)}
    if kind.name == "event" and _differs(before, record, ("kind", "date_earliest")):
        readers |= _carrying("event", record_id)
        readers |= {("statement", i) for i in ids_naming(BY_NAME["statement"], "event", record_id)}
    return readers


def _differs(before: dict, record: dict, names: tuple[str, ...]) -> bool:
    """Whether the published record and the loaded one (its dates as dates) differ in one of these fields."""
    return any(before[name] != _as_served(record[name]) for name in names)


def _as_served(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _naming(kind: Kind, record_id: str, everything: bool) -> set[Key]:
    """The records naming this one in a reference field (only those limited to some kinds of entity, unless
    `everything`), and, when `everything`: in a citation, a derivation or a dispute's facts."""
    found: set[Key] = set()
    for reader in KINDS:
        for reference in reader.references:
            if kind.name in reference.targets and (everything or reference.entity_kinds):
                found |= {(reader.name, i) for i in ids_naming(reader, reference.field, record_id)}
    if not everything:
        return found
    if kind.name == "source":
        found |= _citing(record_id)
        found |= {("source", child) for child in _derived_from(record_id)}
    if kind.carries_accounts:
        found |= _carrying(kind.name, record_id)
    query = m.DisputeFact.select(m.DisputeFact.dispute).where(
        (m.DisputeFact.fact_type == kind.name) & (m.DisputeFact.fact_id == record_id)
    )
    found |= {("dispute", dispute) for (dispute,) in tuples(query)}
    return found


def _citing(source_id: str) -> set[Key]:
    query = m.Citation.select(m.Citation.fact_type, m.Citation.fact_id).where(m.Citation.source == source_id)
    return set(tuples(query.distinct()))


def _carrying(kind_name: str, record_id: str) -> set[Key]:
    """The facts with a passage carrying this event's or source's account."""
    query = m.Citation.select(m.Citation.fact_type, m.Citation.fact_id).where(
        (m.Citation.account_id == record_id) & (m.Citation.account_type == kind_name)
    )
    return set(tuples(query.distinct()))


def _derived_from(source_id: str) -> set[str]:
    """The sources deriving directly from this one."""
    return {child for child, parents in source_parents().items() if source_id in parents}


# --- What spans records ----------------------------------------------------------------------------------------


def _across_records(
    kind: Kind, record_id: str, before: dict | None, record: dict | None, knowledge: ChangedKnowledge
) -> list[str]:
    """The problems `verify.knowledge_problems` finds across records that the change can bring about."""
    if kind.name == "claim":
        disputes = {r["dispute"] for r in (before, record) if r is not None}
        return [p for dispute in sorted(disputes) for p in _claims_problem(dispute, knowledge)]
    if kind.name == "dispute" and record is not None:
        return _claims_problem(record_id, knowledge)
    if kind.name == "source" and record is not None:
        return _cycle_problems(record_id, record, knowledge)
    if kind.name == "entity" and record is not None:
        return _entity_problems(record_id, record)
    if kind.name == "vote" and record is not None:
        return _vote_problems(record_id, record)
    return []


def _claims_problem(dispute_id: str, knowledge: ChangedKnowledge) -> list[str]:
    dispute = knowledge.record("dispute", dispute_id)
    if dispute is None:
        return []  # (a claim naming no dispute is its reference's problem)
    published = {i for (i,) in tuples(m.Claim.select(m.Claim.id).where(m.Claim.dispute == dispute_id))}
    if knowledge.key[0] == "claim":
        claim_id = knowledge.key[1]
        published.discard(claim_id)
        if knowledge.changed is not None and knowledge.changed["dispute"] == dispute_id:
            published.add(claim_id)
    count = len(published)
    if count >= 2:
        return []
    return [
        f"{record_where('dispute', dispute)}: a dispute needs at least two claims, each with its citations; it has "
        f"{count}, so it {'cites nothing' if count == 0 else 'has only one side'}"
    ]


def _cycle_problems(record_id: str, record: dict, knowledge: ChangedKnowledge) -> list[str]:
    """A cycle of derivations the change closes runs through the changed source: each source on it derives from
    itself."""
    parents: dict[str, list[str]] = defaultdict(list, source_parents())
    parents[record_id] = [d["source"] for d in record["derived_from"]]

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(parents[start])
        while todo:
            parent = todo.pop()
            if parent == goal:
                return True
            if parent not in seen:
                seen.add(parent)
                todo += parents.get(parent, [])
        return False

    if not reaches(record_id, record_id):
        return []
    on_cycle = sorted(s for s in parents if s == record_id or (reaches(record_id, s) and reaches(s, record_id)))
    problems = []
    for source_id in on_cycle:
        source = knowledge.record("source", source_id)
        if source is not None:
            problems.append(f"{record_where('source', source)}: derives from itself through derived_from (a cycle)")
    return problems


def _entity_problems(record_id: str, record: dict) -> list[str]:
    """A country code or a name (folded) another entity already holds."""
    where = record_where("entity", record)
    problems = []
    code = record.get("country_code")
    other = _other_entity(m.Entity.id, m.Entity.country_code == code, record_id) if code is not None else None
    if other is not None:
        problems.append(f"{where}: country_code {code!r} is also entity {other!r}'s")
    for identifier in record.get("identifiers", []):
        term = identifier_term(identifier["scheme"], identifier["value"])
        other = _other_entity(m.Entity.id, contains_exactly(m.Entity.identifier_key, term), record_id)
        if other is not None:
            problems.append(
                f"{where}: {identifier['scheme']} identifier {identifier['value']!r} is also entity {other!r}'s "
                "(an identifier belongs to one entity)"
            )
    for name in dict.fromkeys(fold_name(n) for n in [record["name"], *record["aliases"]]):
        other = _other_entity(m.EntityName.entity, m.EntityName.name == name, record_id)
        if other is not None:
            problems.append(f"{where}: the name {name!r} also names entity {other!r}")
    return problems


def _other_entity(entity, condition, record_id: str) -> str | None:
    """The first entity (by id) other than `record_id` that `condition` finds, the column `entity` naming it."""
    return entity.model.select(entity).where(condition & (entity != record_id)).order_by(entity).scalar()


def _vote_problems(record_id: str, record: dict) -> list[str]:
    """A member's second vote on a resolution."""
    other = (
        m.MemberVote.select(m.MemberVote.id)
        .where(
            (m.MemberVote.resolution == record["resolution"])
            & (m.MemberVote.member == record["member"])
            & (m.MemberVote.id != record_id)
        )
        .scalar()
    )
    if other is None:
        return []
    return [
        f"{record_where('vote', record)}: member {record['member']!r} already has vote {other!r} on resolution "
        f"{record['resolution']!r}"
    ]
