"""Load verified knowledge into the database: replace every fact in one transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ..store import models as m
from ..store.db import db
from ..store.search_index import rebuild_search_index
from .read import Knowledge
from .text import fold_name


def load_knowledge(k: Knowledge, force: bool = False) -> bool:
    """Replace the database's knowledge with `k` in one transaction; return False if it was already loaded."""
    with db.atomic():
        current = m.Dataset.select().first()
        if current is not None and current.fingerprint == k.fingerprint and not force:
            return False
        for model in reversed(m.MODELS):
            model.delete().execute()
        _insert(k)
        m.Dataset.create(
            fingerprint=k.fingerprint, facts=k.fact_count, loaded_at=datetime.now(UTC).replace(tzinfo=None)
        )
    rebuild_search_index()
    return True


def _insert(k: Knowledge) -> None:
    citations: list[dict] = []

    def cite(fact_type: str, record: dict) -> None:
        for position, c in enumerate(record["citations"]):
            citations.append({"fact_type": fact_type, "fact_id": record["id"], "position": position, **c})

    def rows(file_name: str, fact_type: str, drop: tuple[str, ...] = ()) -> list[dict]:
        out = []
        for record in k.of(file_name):
            cite(fact_type, record)
            out.append({key: v for key, v in record.items() if key not in ("citations", *drop)})
        return out

    def bulk(model, data: list[dict]) -> None:
        for start in range(0, len(data), 200):
            model.insert_many(data[start : start + 200]).execute()

    bulk(
        m.Source,
        [
            {**{key: v for key, v in s.items() if key != "file"}, "text": k.texts.get(s["id"])}
            for s in k.sources.values()
        ],
    )
    bulk(m.Topic, list(k.of("topics.json")))
    entities = rows("entities.json", "entity")
    for entity in entities:
        entity["search_key"] = "|".join(fold_name(n) for n in [entity["name"], *entity["aliases"]])
        entity["aliases"] = json.dumps(entity["aliases"], ensure_ascii=False)
    # Countries first: other entities point at them.
    entities.sort(key=lambda e: (e["kind"] != "country", e["id"]))
    bulk(m.Entity, entities)
    bulk(m.Role, rows("roles.json", "role"))
    bulk(m.Resolution, rows("resolutions.json", "resolution"))
    bulk(m.MemberVote, rows("votes.json", "vote"))
    bulk(m.Measure, rows("measures.json", "measure"))
    bulk(m.Figure, rows("figures.json", "figure"))
    bulk(m.Event, rows("events.json", "event", drop=("participants",)))
    bulk(
        m.EventParticipant,
        [
            {"event": e["id"], "entity": p, "position": i}
            for e in k.of("events.json")
            for i, p in enumerate(e["participants"])
        ],
    )
    statements = rows("statements.json", "statement", drop=("topics", "reported_via"))
    for statement in statements:
        statement["search_text"] = "|".join(
            fold_name(text)
            for text in (statement["quote"] or "", statement["summary"], statement["speaker_as_written"])
        )
    bulk(m.Statement, statements)
    bulk(
        m.StatementTopic,
        [
            {"statement": s["id"], "topic": t, "position": i}
            for s in k.of("statements.json")
            for i, t in enumerate(s["topics"])
        ],
    )
    bulk(
        m.StatementReporter,
        [
            {"statement": s["id"], "entity": r, "position": i}
            for s in k.of("statements.json")
            for i, r in enumerate(s["reported_via"])
        ],
    )
    bulk(m.Citation, citations)
