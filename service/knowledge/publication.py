"""Publish one verified change at the cost of the change: write the rows of the record it creates, replaces or
deletes, then render again only the documents whose bytes can depend on it, and bring the /facts rows, the search
entries, the data version and the fact count up to date from them. The database is then the one a full load of
the same knowledge gives (tests/test_publication.py holds it to that, over random changes of every kind).

What a change to a record can reach, from the kinds' declarations (knowledge/kinds.py):
- its own document, and its owner's when it is served inside it (a role in its entity's, a claim in its dispute's:
  the owner before and after the change);
- the documents of the records that read through a field naming it (`reads_through`: a statement shows whether
  the relays of its chain are unnamed, and counts the sources carrying a relaying agency's report as one);
- for a source whose kind or derivations change: the support of every fact citing it or a source deriving from it;
- for a dispute: the `disputes` of the facts it is about, before and after;
- for an entity renamed: the records whose label shows its name (`label_names`: a statement's label names its
  speaker);
- the /facts row of each of those documents, and the search entries of the record, of its owner, and of the
  records whose search document shows its name (`search_names`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from peewee import Model

from ..store import models as m
from ..store.db import dicts, tuples
from ..store.search_index import search_index_documents_of, update_search_index, update_statement_text
from .digest import as_hex, from_hex, moved, record_digest, version_of
from .kinds import BY_NAME, KINDS, LISTED_FACTS, Kind
from .load import changed_columns, fact_rows, insert_rows, table_rows
from .published import article_texts, published_record, source_parents
from .read import Knowledge
from .records import Lineage, api_records
from .render import render

Key = tuple[str, str]  # (kind name, record id)


@dataclass(frozen=True)
class Published:
    version: str  # the data version the publication made
    touched: dict  # what it changed of the served knowledge (Change.touched)


class _Overlay:
    """The published knowledge with the change applied, for derived columns: the changed record as loaded, every
    other record as published."""

    def __init__(self, kind: Kind, record_id: str, record: dict | None):
        self.key, self.changed = (kind.name, record_id), record

    def record(self, kind_name: str, record_id: str) -> dict | None:
        if (kind_name, record_id) == self.key:
            return self.changed
        return published_record(BY_NAME[kind_name], record_id)

    def text(self, source_id: str) -> str | None:
        return article_texts([source_id]).get(source_id)


def publish_record(kind: Kind, record_id: str, record: dict | None, text: str | None = None) -> Published:
    """Write a verified change (the record as its kind's schema loads it, None to delete it; an article's new text)
    into the database, in the caller's transaction, and return the data version it makes and what it touched."""
    before = published_record(kind, record_id)
    old_text = article_texts([record_id]).get(record_id) if kind.name == "source" else None
    tables: set[str] = set()
    overlay = _Overlay(kind, record_id, record)
    statements = _write_rows(kind, record_id, record, text, overlay, tables)
    referrers = _update_derived(kind, record_id, before, record, overlay, tables)
    statements |= {reader_id for reader, reader_id in referrers if BY_NAME[reader].model is m.Statement}
    reach = _documents_reached(kind, record_id, before, record) | referrers
    documents = _render_again(reach, tables)
    _update_search(_search_reached(kind, record_id, before, record), tables)
    update_statement_text(statements)
    after = published_record(kind, record_id)
    new_text = article_texts([record_id]).get(record_id) if kind.name == "source" else None
    dataset = m.Dataset.get()
    total = moved(
        from_hex(dataset.digest),
        [] if before is None else [record_digest(kind.name, before, old_text)],
        [] if after is None else [record_digest(kind.name, after, new_text)],
    )
    facts = dataset.facts + (int(after is not None) - int(before is not None) if kind.cited else 0)
    version = version_of(total)
    m.Dataset.update(fingerprint=version, version=version, digest=as_hex(total), origin="api", facts=facts).execute()
    return Published(version, {"documents": sorted(documents), "tables": sorted(tables)})


# --- Rows -----------------------------------------------------------------------------------------------------


def _write_rows(
    kind: Kind, record_id: str, record: dict | None, text: str | None, overlay: _Overlay, tables: set[str]
) -> set[str]:
    """The record's own row and the rows that hang from it (link rows, citations, a dispute's facts, an entity's
    names); return the ids of the statements whose rows changed."""
    knowledge = Knowledge()
    if record is not None:
        if kind.name == "source":
            knowledge.sources[record_id] = record
            if text is not None or record["kind"] == "article":
                knowledge.texts[record_id] = text if text is not None else overlay.text(record_id) or ""
        else:
            knowledge.records[kind.name] = [record]
    new = table_rows(knowledge, overlay)
    own = kind.model
    id_field = own._meta.fields["id"]
    leaves = dict(_hanging(kind))
    changed = [
        model
        for model, column in leaves.items()
        if _comparable(model, _leaf_rows(model, column, kind, record_id)) != _comparable(model, new[model])
    ]
    for model in changed:
        model.delete().where(_owned(model, leaves[model], kind, record_id)).execute()
    row = new[own][0] if new[own] else None
    stored = _own_row(own, record_id, row)
    if row is not None and stored is None:
        insert_rows(own, [row])
    elif row is not None and stored is not None and stored != row:
        own.update(**changed_columns(own, stored, row)).where(id_field == record_id).execute()
    for model in changed:
        insert_rows(model, new[model])
    if row is None and stored is not None:
        own.delete().where(id_field == record_id).execute()
    if stored != row:
        tables.add(own._meta.table_name)
    tables.update(model._meta.table_name for model in changed)
    return {record_id} if own is m.Statement and stored != row else set()


def _hanging(kind: Kind) -> list[tuple[type[Model], str]]:
    """The tables whose rows hang from a record of this kind, each with the column naming it."""
    hanging: list[tuple[type[Model], str]] = [(link.model, link.owner) for link in kind.links]
    if kind.cited:
        hanging.append((m.Citation, "fact_id"))
    if kind.model is m.Dispute:
        hanging.append((m.DisputeFact, "dispute"))
    if kind.model is m.Entity:
        hanging.append((m.EntityName, "entity"))
    return hanging


def _owned(model: type[Model], column: str, kind: Kind, record_id: str):
    condition = getattr(model, column) == record_id
    if model is m.Citation:
        condition &= m.Citation.fact_type == kind.name
    return condition


def _leaf_rows(model: type[Model], column: str, kind: Kind, record_id: str) -> list[dict]:
    fields = [f for name, f in model._meta.fields.items() if name != "id" or not model._meta.auto_increment]
    query = model.select(*fields).where(_owned(model, column, kind, record_id))
    return list(dicts(query))


def _comparable(model: type[Model], rows: list[dict]) -> list[tuple]:
    """Rows of a hanging table as they compare: every column but an auto-numbered id, foreign keys by value."""
    names = [name for name in model._meta.fields if name != "id" or not model._meta.auto_increment]
    return sorted(tuple(json.dumps(row.get(name), default=str, sort_keys=True) for name in names) for row in rows)


def _own_row(model: type[Model], record_id: str, like: dict | None) -> dict | None:
    """The record's row as stored, with the columns a new row of it sets (all of them when it is deleted)."""
    names = list(like) if like is not None else list(model._meta.fields)
    fields = [model._meta.fields[name] for name in names]
    return model.select(*fields).where(model._meta.fields["id"] == record_id).dicts().first()


def ids_naming(kind: Kind, field_name: str, target_id: str) -> list[str]:
    """The ids of the records of `kind` whose field `field_name` names `target_id` (a link list, or a column)."""
    for link in kind.links:
        if link.field == field_name:
            owner, target = getattr(link.model, link.owner), getattr(link.model, link.target)
            return sorted({owner_id for (owner_id,) in tuples(link.model.select(owner).where(target == target_id))})
    column = kind.model._meta.fields[field_name]
    id_field = kind.model._meta.fields["id"]
    return sorted(record_id for (record_id,) in tuples(kind.model.select(id_field).where(column == target_id)))


def _reads_of(target: Kind) -> list[tuple[Kind, str]]:
    """(kind, field) for every field through which a kind reads records of `target`."""
    found = []
    for kind in KINDS:
        for field_name in kind.reads_through:
            reference = next(r for r in kind.references if r.field == field_name)
            if target.name in reference.targets:
                found.append((kind, field_name))
    return found


def _update_derived(
    kind: Kind, record_id: str, before: dict | None, record: dict | None, overlay: _Overlay, tables: set[str]
) -> set[Key]:
    """Recompute the derived columns of the records reading through a field naming the changed record; return
    them all (their documents show what they read)."""
    reached: set[Key] = set()
    if before is None or record is None:  # nothing names a record being created, nor one being deleted
        return reached
    for reader, field_name in _reads_of(kind):
        ids = ids_naming(reader, field_name, record_id)
        reached |= {(reader.name, reader_id) for reader_id in ids}
        if reader.derived is None:
            continue
        for reader_id in ids:
            current = published_record(reader, reader_id)
            assert current is not None  # it names the record, so it is published
            derived = reader.derived(current, overlay)
            stored = _own_row(reader.model, reader_id, derived)
            if stored != derived:
                reader.model.update(**derived).where(reader.model._meta.fields["id"] == reader_id).execute()
                tables.add(reader.model._meta.table_name)
    return reached


# --- Documents ------------------------------------------------------------------------------------------------


def _documents_reached(kind: Kind, record_id: str, before: dict | None, record: dict | None) -> set[Key]:
    """The documents whose bytes can depend on the change (besides the readers through a field naming it)."""
    versions = [r for r in (before, record) if r is not None]
    reached: set[Key] = set()
    if kind.served:
        reached.add((kind.name, record_id))
    for owner_kind in KINDS:
        for embedded in owner_kind.embedded:
            if embedded.kind == kind.name:
                reached |= {(owner_kind.name, r[embedded.owner]) for r in versions}
    if kind.name == "source" and _lineage_changed(before, record):
        reached |= _citing(_descendants(record_id))
    if kind.model is m.Dispute:
        reached |= {_served_key(ref["type"], ref["id"]) for r in versions for ref in r["facts"]}
    if kind.model is m.Entity and before is not None and record is not None and before["name"] != record["name"]:
        for reader in KINDS:  # their /facts labels show its name
            for field_name in reader.label_names:
                reached |= {(reader.name, reader_id) for reader_id in ids_naming(reader, field_name, record_id)}
    return reached


def _lineage_changed(before: dict | None, record: dict | None) -> bool:
    """Whether what support counts of a source changed: its kind, or what it derives from."""
    if before is None or record is None:
        return True
    return before["kind"] != record["kind"] or before["derived_from"] != json.loads(
        json.dumps(record["derived_from"], default=str)
    )


def _descendants(source_id: str) -> set[str]:
    """The source and every source deriving from it, directly or not."""
    children: dict[str, list[str]] = defaultdict(list)
    for child, parents in source_parents().items():
        for parent in parents:
            children[parent].append(child)
    found, todo = {source_id}, [source_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _citing(source_ids: set[str]) -> set[Key]:
    """The documents of the facts citing any of these sources (an embedded fact's: its owner's)."""
    query = (
        m.Citation.select(m.Citation.fact_type, m.Citation.fact_id)
        .where(m.Citation.source.in_(sorted(source_ids)))
        .distinct()
    )
    return {_served_key(fact_type, fact_id) for fact_type, fact_id in tuples(query)}


def _served_key(kind_name: str, record_id: str) -> Key:
    """The document a record is served in: its own, or (for a record served inside another) its owner's."""
    kind = BY_NAME[kind_name]
    if kind.served or kind.owner is None:
        return kind_name, record_id
    owner_field = kind.model._meta.fields[kind.owner.field]
    owner_id = kind.model.select(owner_field).where(kind.model._meta.fields["id"] == record_id).scalar()
    return kind.owner.kind, owner_id


def _render_again(reach: set[Key], tables: set[str]) -> list[Key]:
    """Render the reached documents again and write those whose bytes changed (a record gone: its document
    goes), with their /facts rows; return the keys of the documents written."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind_name, record_id in reach:
        if BY_NAME[kind_name].served:
            by_kind[kind_name].append(record_id)
    lineage = Lineage.read() if by_kind else None
    written: list[Key] = []
    for kind_name, ids in sorted(by_kind.items()):
        kind = BY_NAME[kind_name]
        id_field = kind.model._meta.fields["id"]
        rows = list(kind.select().where(id_field.in_(ids)))
        new = {row.id: body for row, body in zip(rows, render(kind, api_records(kind, rows, lineage)), strict=True)}
        query = m.Document.select(m.Document.record_id, m.Document.body).where(
            (m.Document.kind == kind_name) & m.Document.record_id.in_(ids)
        )
        old = dict(tuples(query))
        for record_id in sorted(set(ids)):
            if old.get(record_id) == new.get(record_id):
                continue
            where = (m.Document.kind == kind_name) & (m.Document.record_id == record_id)
            if record_id not in new:
                m.Document.delete().where(where).execute()
            elif record_id in old:
                m.Document.update(body=new[record_id]).where(where).execute()
            else:
                m.Document.insert(kind=kind_name, record_id=record_id, body=new[record_id]).execute()
            written.append((kind_name, record_id))
        if kind in LISTED_FACTS:
            _update_fact_rows(kind, {(kind_name, i): new[i] for i in ids if i in new}, sorted(set(ids)), tables)
    return written


def _update_fact_rows(kind: Kind, documents: dict[Key, str], ids: list[str], tables: set[str]) -> None:
    """The /facts rows of these records of a listed kind, from their documents (gone when the record is)."""
    new = {row["fact_id"]: row for row in fact_rows(documents)}
    query = m.Fact.select().where((m.Fact.fact_type == kind.name) & m.Fact.fact_id.in_(ids))
    old = {row["fact_id"]: row for row in dicts(query)}
    for record_id in ids:
        if old.get(record_id) == new.get(record_id):
            continue
        tables.add(m.Fact._meta.table_name)
        where = (m.Fact.fact_type == kind.name) & (m.Fact.fact_id == record_id)
        if record_id not in new:
            m.Fact.delete().where(where).execute()
        elif record_id in old:
            m.Fact.update(**new[record_id]).where(where).execute()
        else:
            m.Fact.insert(**new[record_id]).execute()


# --- Search ---------------------------------------------------------------------------------------------------


def _search_reached(kind: Kind, record_id: str, before: dict | None, record: dict | None) -> set[Key]:
    """The search entries the change can alter: the record's, its owner's, and those showing its name."""
    versions = [r for r in (before, record) if r is not None]
    reached: set[Key] = set()
    if kind.search_document is not None:
        reached.add((kind.name, record_id))
    if kind.owner is not None and BY_NAME[kind.owner.kind].search_document is not None:
        reached |= {(kind.owner.kind, r[kind.owner.field]) for r in versions}
    if kind.model is m.Entity and before is not None and record is not None and before["name"] != record["name"]:
        for reader in KINDS:
            for field_name in reader.search_names:
                reached |= {(reader.name, reader_id) for reader_id in ids_naming(reader, field_name, record_id)}
    return reached


def _update_search(reached: set[Key], tables: set[str]) -> None:
    """Index the reached records' search documents again, where they changed."""
    if not reached:
        return
    new: dict[Key, dict] = {}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind_name, record_id in reached:
        by_kind[kind_name].append(record_id)
    for kind_name, ids in by_kind.items():
        kind = BY_NAME[kind_name]
        assert kind.search_document is not None
        rows = list(kind.model.select().where(kind.model._meta.fields["id"].in_(ids)))
        named = {getattr(row, f"{name}_id") for row in rows for name in kind.search_names} - {None}
        names = dict(tuples(m.Entity.select(m.Entity.id, m.Entity.name).where(m.Entity.id.in_(sorted(named)))))
        for row in rows:
            label, body = kind.search_document(row, names)
            new[(kind_name, row.get_id())] = {
                "kind": kind_name,
                "record_id": row.get_id(),
                "label": label,
                "body": body,
            }
    old = {(d["kind"], d["record_id"]): d for d in search_index_documents_of(sorted(reached))}
    removed = [key for key in old if old[key] != new.get(key)]
    added = [doc for key, doc in new.items() if old.get(key) != doc]
    if removed or added:
        update_search_index(removed, added)
        tables.add("search_document")
