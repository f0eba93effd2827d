"""Turn model rows into API records: embed citations and links in a fixed number of queries."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from peewee import Model

from ..store import models as m
from ..store.db import order_key


def citations_of(fact_type: str, ids: Iterable[str]) -> dict[str, list[dict]]:
    """Citations of many facts of one type, in one query, each list in curated order."""
    ids = list(ids)
    found: dict[str, list[dict]] = defaultdict(list)
    if not ids:
        return found
    query = (
        m.Citation.select()
        .where((m.Citation.fact_type == fact_type) & (m.Citation.fact_id.in_(ids)))
        .order_by(m.Citation.fact_id, m.Citation.position)
    )
    for c in query:
        found[c.fact_id].append({"source": c.source_id, "quote": c.quote, "start": c.start, "end": c.end})
    return found


def with_citations(fact_type: str, records: list[dict]) -> list[dict]:
    cited = citations_of(fact_type, (r["id"] for r in records))
    for record in records:
        record["citations"] = cited.get(record["id"], [])
    return records


def links_of(model: type[Model], owner: str, target: str, ids: Iterable[str]) -> dict[str, list[str]]:
    """For link tables (event participants, statement topics...): owner id -> target ids, in curated order."""
    ids = list(ids)
    found: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return found
    owner_field, target_field = getattr(model, owner), getattr(model, target)
    for row in (
        model.select(owner_field, target_field)
        .where(owner_field.in_(ids))
        .order_by(owner_field, model.position)
        .tuples()
    ):
        found[row[0]].append(row[1])
    return found


def entity_records(rows: Iterable[m.Entity]) -> list[dict]:
    rows = list(rows)
    records = [
        {
            "id": e.id,
            "kind": e.kind,
            "name": e.name,
            "aliases": json.loads(e.aliases),
            "country": e.country_id,
            "description": e.description,
        }
        for e in rows
    ]
    roles_by_entity: dict[str, list[dict]] = defaultdict(list)
    role_rows = (
        m.Role.select().where(m.Role.entity.in_([e.id for e in rows])).order_by(m.Role.entity, order_key(m.Role.id))
    )
    roles = [
        {
            "id": r.id,
            "entity": r.entity_id,
            "title": r.title,
            "organization": r.organization_id,
            "country": r.country_id,
        }
        for r in role_rows
    ]
    for role in with_citations("role", roles):
        roles_by_entity[role["entity"]].append(role)
    for record in records:
        record["roles"] = roles_by_entity.get(record["id"], [])
    return with_citations("entity", records)


def row_records(fact_type: str, rows: Iterable[Model], fields: tuple[str, ...]) -> list[dict]:
    """Plain facts: copy the named columns (foreign keys as ids) and embed citations."""
    records = []
    for row in rows:
        record = {}
        for name in fields:
            field = row._meta.fields[name]
            record[name] = getattr(row, field.column_name) if hasattr(field, "rel_model") else getattr(row, name)
        records.append(record)
    return with_citations(fact_type, records) if fact_type else records


EVENT_FIELDS = ("id", "kind", "title", "occurred_on", "date_precision", "date_derivation", "place", "description")


def event_records(rows: Iterable[m.Event]) -> list[dict]:
    records = row_records("event", rows, EVENT_FIELDS)
    participants = links_of(m.EventParticipant, "event", "entity", (r["id"] for r in records))
    for record in records:
        record["participants"] = participants.get(record["id"], [])
    return records


STATEMENT_FIELDS = (
    "id",
    "speaker",
    "speaker_as_written",
    "said_on",
    "date_precision",
    "date_derivation",
    "stance",
    "summary",
    "quote",
    "attribution",
    "attribution_note",
    "event",
)


def statement_records(rows: Iterable[m.Statement]) -> list[dict]:
    records = row_records("statement", rows, STATEMENT_FIELDS)
    ids = [r["id"] for r in records]
    topics = links_of(m.StatementTopic, "statement", "topic", ids)
    reporters = links_of(m.StatementReporter, "statement", "entity", ids)
    for record in records:
        record["topics"] = topics.get(record["id"], [])
        record["reported_via"] = reporters.get(record["id"], [])
    return records
