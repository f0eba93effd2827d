"""Load verified knowledge into the database: every record, link, citation, rendered document and the search
index, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from ..store import models as m
from ..store.db import db
from ..store.search_index import rebuild_search_index, rebuild_statement_text
from .kinds import KINDS, LISTED_FACTS, SEARCHED
from .read import Knowledge
from .render import rendered_documents

BATCH = 200


def load_knowledge(k: Knowledge, force: bool = False, origin: str = "fixtures") -> bool:
    """Replace the database's knowledge with `k`; return False if it was already loaded.

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
        m.Dataset.create(
            fingerprint=k.fingerprint,
            version=k.fingerprint,
            origin=origin,
            facts=k.fact_count,
            loaded_at=datetime.now(UTC).replace(tzinfo=None),
        )
    return True


def _insert(k: Knowledge) -> None:
    """Each kind's rows in registry order, then the link tables and the citations (which point at them)."""
    links: list[tuple[type, list[dict]]] = []
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
                row.update(kind.derived(record, k))
            if kind.name == "source":
                row["text"] = k.texts.get(record["id"])
            rows.append(row)
            for position, citation in enumerate(record.get("citations", []) if kind.cited else []):
                citations.append({"fact_type": kind.name, "fact_id": record["id"], "position": position, **citation})
        _bulk(kind.model, rows)
        for link in kind.links:
            links.append(
                (
                    link.model,
                    [
                        {link.owner: record["id"], link.target: target, "position": position}
                        for record in records
                        for position, target in enumerate(record[link.field])
                    ],
                )
            )
    links.append(
        (
            m.DisputeFact,
            [
                {"dispute": record["id"], "fact_type": ref["type"], "fact_id": ref["id"], "position": position}
                for record in k.of("dispute")
                for position, ref in enumerate(record["facts"])
            ],
        )
    )
    for model, rows in links:
        _bulk(model, rows)
    _bulk(m.Citation, citations)


def _bulk(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start : start + BATCH]).execute()


def fact_rows() -> Iterator[dict]:
    """A /facts row for every fact of the listed kinds, from its rendered document (so its support and disputes
    are the ones its own URL serves)."""
    for kind in LISTED_FACTS:
        query = m.Document.select(m.Document.record_id, m.Document.body).where(m.Document.kind == kind.name)
        for record_id, body in query.tuples().iterator():
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
        for row in kind.model.select():
            label, body = kind.search_document(row, names)
            docs.append({"kind": kind.name, "record_id": row.id, "label": label, "body": body})
    return docs
