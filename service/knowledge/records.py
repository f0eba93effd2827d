"""Turn rows into API records, one path for every kind: the served columns, then embedded records, link lists
and citations, each fetched in one query for the whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from peewee import Model
from playhouse.shortcuts import model_to_dict

from ..store import models as m
from ..store.db import order_key
from .kinds import Kind, kind_named


def records_of(kind: Kind, rows: Iterable[Model]) -> list[dict]:
    """The API records of these rows of `kind`, in the rows' order."""
    rows = list(rows)
    records = [model_to_dict(row, recurse=False, only=kind.columns) for row in rows]
    ids = [record["id"] for record in records]
    for embedded in kind.embedded:
        inner = kind_named(embedded.kind)
        owner = getattr(inner.model, embedded.owner)
        found: dict[str, list[dict]] = defaultdict(list)
        if ids:
            query = inner.select().where(owner.in_(ids)).order_by(owner, order_key(inner.model.id))
            for record in records_of(inner, query):
                found[record[embedded.owner]].append(record)
        for record in records:
            record[embedded.field] = found.get(record["id"], [])
    for link in kind.links:
        targets = links_of(link.model, link.owner, link.target, ids)
        for record in records:
            record[link.field] = targets.get(record["id"], [])
    if kind.cited:
        cited = citations_of(kind.name, ids)
        for record in records:
            record["citations"] = cited.get(record["id"], [])
    return records


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
