"""The published knowledge: a record as its fixture holds it, and the whole read back from the database and
verified as fixtures are."""

from __future__ import annotations

import json

from ..store import models as m
from ..store.db import tuples
from .digest import record_digest, sum_of, version_of
from .fixtures import as_fixture, fixture_files, published_records
from .kinds import Kind
from .read import Knowledge, read_knowledge_files
from .records import api_records


def published_record(kind: Kind, record_id: str) -> dict | None:
    """The record as a fixture holds it, as published now; None if there is none. One record is read: its served
    document, or (for a record served inside its owner's, such as a role) its row, rendered as its owner's
    document embeds it."""
    if kind.served:
        query = m.Document.select(m.Document.body).where(
            (m.Document.kind == kind.name) & (m.Document.record_id == record_id)
        )
        body = query.scalar()
        return None if body is None else as_fixture(kind, json.loads(body))
    rows = list(kind.select().where(kind.model._meta.fields["id"] == record_id))
    if not rows:
        return None
    return as_fixture(kind, kind.schema().dump(api_records(kind, rows)[0]))


def published_knowledge() -> Knowledge:
    """The knowledge the database serves, read back and verified as fixtures are; its fingerprint is the data
    version of that knowledge (so it matches the one its publication or load recorded, unless the code changed)."""
    records = published_records()
    knowledge = read_knowledge_files(fixture_files(records))
    knowledge.fingerprint = version_of(published_digest(records))
    return knowledge


def published_digest(records: dict[str, list[dict]] | None = None) -> int:
    """The sum of the digests of every record published (knowledge/digest.py), read from the database (or from
    `records`, as `published_records` gives them, with the articles' texts from the database)."""
    records = published_records() if records is None else records
    texts = article_texts()
    return sum_of(
        record_digest(kind_name, record, texts.get(record["id"]) if kind_name == "source" else None)
        for kind_name, held in records.items()
        for record in held
    )


def source_parents() -> dict[str, list[str]]:
    """Each source's parents (the sources it derives from, in curated order), as published."""
    query = m.Source.select(m.Source.id, m.Source.derived_from)
    return {source_id: [d["source"] for d in derived] for source_id, derived in tuples(query)}


def article_texts(ids: list[str] | None = None) -> dict[str, str]:
    """The text of each article (of these ids), by id."""
    query = m.Source.select(m.Source.id, m.Source.text).where(m.Source.kind == "article")
    if ids is not None:
        query = query.where(m.Source.id.in_(ids))
    return dict(tuples(query))
