"""Load verified knowledge into the database: every record, link, citation, rendered document and the search
index, in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from peewee import Model

from ..store import models as m
from ..store.db import db
from ..store.search_index import (
    rebuild_search_index,
    rebuild_statement_text,
    search_index_documents,
    update_search_index,
    update_statement_text,
)
from .digest import as_hex, version_of
from .kinds import KINDS, LISTED_FACTS, SEARCHED
from .published import published_digest
from .read import Knowledge
from .render import rendered_documents
from .text import fold_name

BATCH = 200


def load_knowledge(k: Knowledge, force: bool = False, origin: str = "fixtures") -> bool:
    """Replace the database's knowledge with `k`; return False if it was already loaded (the same fingerprint).

    The data version it serves is made from the digests of the records it holds (knowledge/digest.py): the same
    knowledge has the same version, whether it was loaded from the curated files, from an export of them or
    reached by publishing changes. A load starts a new epoch: readers following publications start again.

    One transaction on every engine, search index included: if any step fails, the previous knowledge and its
    fingerprint stay in place, so the next `init` tries again.
    """
    with db.atomic():
        current = m.Dataset.select().first()
        if current is not None and current.fingerprint == k.fingerprint and not force:
            return False
        for model in reversed(m.MODELS):
            model.delete().execute()
        _insert(k)
        _bulk(m.Document, list(rendered_documents()))
        _bulk(m.Fact, list(fact_rows()))
        rebuild_search_index(search_documents())
        rebuild_statement_text()
        total = published_digest()
        m.Dataset.create(
            fingerprint=k.fingerprint,
            version=version_of(total),
            digest=as_hex(total),
            epoch=uuid.uuid4().hex,
            revision=None,
            origin=origin,
            facts=k.fact_count,
            loaded_at=datetime.now(UTC).replace(tzinfo=None),
        )
    return True


def table_rows(k: Knowledge, catalogue=None) -> dict[type[Model], list[dict]]:
    """The rows of every knowledge table for `k`, table by table in the order they are inserted: each kind's rows
    in registry order, then the link tables and the citations (which point at them). Derived columns read the
    records a record names from `catalogue` (by default `k` itself)."""
    tables: dict[type[Model], list[dict]] = {}
    links: dict[type[Model], list[dict]] = {}
    citations: list[dict] = []
    for kind in KINDS:
        records = k.of(kind.name)
        if kind.insert_order:
            records = sorted(records, key=kind.insert_order)
        columns = set(kind.model._meta.fields)
        rows = []
        for record in records:
            row = {name: value for name, value in record.items() if name in columns}
            if "sort_key" in columns:
                row["sort_key"] = kind.sort_key(record)
            if kind.derived:
                row.update(kind.derived(record, k if catalogue is None else catalogue))
            if kind.name == "source":
                row["text"] = k.texts.get(record["id"])
            rows.append(row)
            for position, citation in enumerate(record.get("citations", []) if kind.cited else []):
                citations.append({"fact_type": kind.name, "fact_id": record["id"], "position": position, **citation})
        tables[kind.model] = rows
        for link in kind.links:
            links[link.model] = [
                {link.owner: record["id"], link.target: target, "position": position}
                for record in records
                for position, target in enumerate(record[link.field])
            ]
    links[m.EntityName] = [
        {"entity": record["id"], "name": name, "position": position}
        for record in k.of("entity")
        for position, name in enumerate(dict.fromkeys(fold_name(n) for n in [record["name"], *record["aliases"]]))
    ]
    links[m.DisputeFact] = [
        {"dispute": record["id"], "fact_type": ref["type"], "fact_id": ref["id"], "position": position}
        for record in k.of("dispute")
        for position, ref in enumerate(record["facts"])
    ]
    return {**tables, **links, m.Citation: citations}


def update_knowledge(old: Knowledge, new: Knowledge, origin: str = "api") -> tuple[str, dict]:
    """Bring the database from `old` (the knowledge it holds) to `new`, writing only the rows, documents, /facts
    rows and search entries that differ, in one transaction: the same database a full load of `new` gives.

    Every document is rendered again (a record's document shows what it links to, so one change can reach
    many), but only those whose bytes changed are written. Returns the new data version (so a restart finds the
    same knowledge loaded) and what was touched (Change.touched: the documents whose bytes changed, the tables
    whose rows changed).
    """
    with db.atomic():
        tables: set[str] = set()
        changed_statements = _update_rows(table_rows(old), table_rows(new), tables)
        old_documents = dict(_keyed(m.Document.select(m.Document.kind, m.Document.record_id, m.Document.body)))
        new_documents = {(d["kind"], d["record_id"]): d["body"] for d in rendered_documents()}
        documents = _update_keyed(m.Document, old_documents, new_documents, lambda key, body: {"body": body})
        old_facts = {(r["fact_type"], r["fact_id"]): r for r in fact_rows(old_documents)}
        new_facts = {(r["fact_type"], r["fact_id"]): r for r in fact_rows(new_documents)}
        if _update_keyed(m.Fact, old_facts, new_facts, lambda key, row: row):
            tables.add(m.Fact._meta.table_name)
        old_search = {(d["kind"], d["record_id"]): d for d in search_index_documents()}
        new_search = {(d["kind"], d["record_id"]): d for d in search_documents()}
        removed = [key for key in old_search if old_search[key] != new_search.get(key)]
        added = [doc for key, doc in new_search.items() if old_search.get(key) != doc]
        update_search_index(removed, added)
        if removed or added:
            tables.add("search_document")
        update_statement_text(changed_statements)
        total = published_digest()
        fingerprint = version_of(total)
        m.Dataset.update(
            fingerprint=fingerprint,
            version=fingerprint,
            digest=as_hex(total),
            origin=origin,
            facts=new.fact_count,
            loaded_at=datetime.now(UTC).replace(tzinfo=None),
        ).execute()
    touched = {"documents": sorted(documents), "tables": sorted(tables)}
    return fingerprint, touched


def _key_fields(model) -> tuple[str, ...]:
    """The fields that identify a row: its id, or (for a link or citation row) its table's unique index."""
    if "id" in model._meta.fields and model._meta.primary_key.name == "id" and not model._meta.auto_increment:
        return ("id",)
    return next(columns for columns, unique in model._meta.indexes if unique)


def _update_rows(
    old_tables: dict[type[Model], list[dict]], new_tables: dict[type[Model], list[dict]], touched: set[str]
) -> set[str]:
    """Write the difference between two sets of table rows; return the ids of the statements it touched, and add
    to `touched` the name of each table whose rows it changed.

    Link and citation rows that went or changed are deleted first, records are then inserted or updated in
    registry order (what a record points at comes before it), new link and citation rows are inserted, and
    records that went are deleted last, in reverse order."""
    keyed = {}
    for model in new_tables:
        fields = _key_fields(model)
        keyed[model] = (
            fields,
            {tuple(row[f] for f in fields): row for row in old_tables[model]},
            {tuple(row[f] for f in fields): row for row in new_tables[model]},
        )
    records = [model for model in new_tables if keyed[model][0] == ("id",)]
    leaves = [model for model in new_tables if keyed[model][0] != ("id",)]
    for model in reversed(leaves):
        fields, old, new = keyed[model]
        for key in [key for key, row in old.items() if new.get(key) != row]:
            model.delete().where(*[getattr(model, f) == value for f, value in zip(fields, key, strict=True)]).execute()
    for model in records:
        fields, old, new = keyed[model]
        id_field = model._meta.fields["id"]
        _bulk(model, [row for key, row in new.items() if key not in old])
        for key, row in new.items():
            if key in old and old[key] != row:
                model.update(**_changed_columns(model, old[key], row)).where(id_field == key[0]).execute()
    for model in leaves:
        fields, old, new = keyed[model]
        _bulk(model, [row for key, row in new.items() if old.get(key) != row])
    for model in reversed(records):
        fields, old, new = keyed[model]
        gone = [key[0] for key in old if key not in new]
        if gone:
            model.delete().where(model._meta.fields["id"].in_(gone)).execute()
    touched.update(model._meta.table_name for model, (_, old, new) in keyed.items() if old != new)
    _, old, new = keyed[m.Statement]
    return {key[0] for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _changed_columns(model, old: dict, new: dict) -> dict:
    """The columns to set to turn row `old` into `new`; a column `new` leaves out takes its default, as it
    would on insert."""
    changes = {}
    for name in old.keys() | new.keys():
        if name in new:
            value = new[name]
        else:
            default = model._meta.fields[name].default
            value = default() if callable(default) else default
        if old.get(name) != value or name not in old:
            changes[name] = value
    return changes


def _keyed(query) -> Iterator[tuple[tuple, str]]:
    for *key, value in query.tuples().iterator():
        yield tuple(key), value


def _update_keyed(model, old: dict, new: dict, values) -> list[tuple]:
    """Write the difference between two keyed sets of a table's rows (Document, Fact: composite keys); return the
    keys of the rows it wrote or deleted."""
    fields = list(model._meta.primary_key.field_names)

    def where(key):
        return [getattr(model, f) == value for f, value in zip(fields, key, strict=True)]

    for key in [key for key in old if key not in new]:
        model.delete().where(*where(key)).execute()
    for key, value in new.items():
        if key in old and old[key] != value:
            model.update(**values(key, value)).where(*where(key)).execute()
    _bulk(
        model,
        [{**dict(zip(fields, key, strict=True)), **values(key, value)} for key, value in new.items() if key not in old],
    )
    return [key for key in old.keys() | new.keys() if old.get(key) != new.get(key)]


def _insert(k: Knowledge) -> None:
    for model, rows in table_rows(k).items():
        _bulk(model, rows)


def _bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start : start + BATCH]).execute()


def fact_rows(documents: dict[tuple[str, str], str] | None = None) -> Iterator[dict]:
    """A /facts row for every fact of the listed kinds, from its rendered document (so its support and disputes
    are the ones its own URL serves): the stored documents, or these ((kind, id) -> body)."""
    for kind in LISTED_FACTS:
        assert kind.label is not None and kind.url is not None  # a listed fact has a label and its own url
        bodies: Iterable[tuple[str, str]]
        if documents is None:
            query = m.Document.select(m.Document.record_id, m.Document.body).where(m.Document.kind == kind.name)
            bodies = query.tuples().iterator()
        else:
            bodies = sorted((key[1], body) for key, body in documents.items() if key[0] == kind.name)
        for record_id, body in bodies:
            record = json.loads(body)
            yield {
                "fact_type": kind.name,
                "fact_id": record_id,
                "sort_key": f"{kind.name} {record_id}",
                "label": kind.label(record),
                "url": kind.url.format(id=record_id),
                "sources": record["support"]["sources"],
                "independent_sources": record["support"]["independent_sources"],
                "disputes": record["disputes"],
                "disputed": bool(record["disputes"]),
            }


def search_documents() -> list[dict]:
    """The text of every searchable record, read back from the database as loaded."""
    names = {e.id: e.name for e in m.Entity.select(m.Entity.id, m.Entity.name)}
    docs = []
    for kind in SEARCHED:
        assert kind.search_document is not None  # what makes a kind searched
        for row in kind.model.select():
            label, body = kind.search_document(row, names)
            docs.append({"kind": kind.name, "record_id": row.get_id(), "label": label, "body": body})
    return docs
