"""Load verified knowledge into the database: every record, link, citation, rendered document and the search
index, in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from peewee import Model

from ..store import models as m
from ..store.db import db, tuples
from ..store.search_index import (
    rebuild_search_index,
    rebuild_statement_text,
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
        insert_rows(m.Document, list(rendered_documents()))
        insert_rows(m.Fact, list(fact_rows()))
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
                citations.append(
                    {
                        "fact_type": kind.name,
                        "fact_id": record["id"],
                        "position": position,
                        **citation_columns(citation),
                    }
                )
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


def citation_columns(citation: dict) -> dict:
    """A citation as its row holds it: its account in two columns."""
    columns = {name: value for name, value in citation.items() if name != "account"}
    account = citation.get("account")
    columns.update(account_type=account and account["type"], account_id=account and account["id"])
    return columns


def changed_columns(model, old: dict, new: dict) -> dict:
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


def _insert(k: Knowledge) -> None:
    for model, rows in table_rows(k).items():
        insert_rows(model, rows)


def insert_rows(model, rows: list[dict]) -> None:
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
            names = entity_names() if kind.label_names else {}
        else:
            bodies = sorted((key[1], body) for key, body in documents.items() if key[0] == kind.name)
            records = [json.loads(body) for _, body in bodies]
            named = {record[field] for record in records for field in kind.label_names} - {None}
            names = entity_names(named) if named else {}
        for record_id, body in bodies:
            record = json.loads(body)
            yield {
                "fact_type": kind.name,
                "fact_id": record_id,
                "sort_key": f"{kind.name} {record_id}",
                "label": kind.label(record, names),
                "url": kind.url.format(id=record_id),
                "sources": record["support"]["sources"],
                "independent_sources": record["support"]["independent_sources"],
                "disputes": record["disputes"],
                "disputed": bool(record["disputes"]),
            }


def entity_names(ids: Iterable[str] | None = None) -> dict[str, str]:
    """Entity names by id: of these entities, or of every entity (None)."""
    query = m.Entity.select(m.Entity.id, m.Entity.name)
    if ids is None:
        return dict(tuples(query))
    wanted = sorted(ids)
    found: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        found.update(tuples(query.where(m.Entity.id.in_(wanted[start : start + BATCH]))))
    return found


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
