"""Render records as the API serves them: each record's schema, then compact JSON, once, at load time.

The bytes are exactly those flask-smorest and Flask's JSON provider would write for the record (compact
separators, characters as printed, schema field order), so an item GET answers `document + "\\n"` and a list
page `"[" + ",".join(documents) + "]\\n"`, byte for byte what rendering on each request gave.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from .kinds import SERVED, Kind
from .records import Lineage, api_records

BATCH = 500


def render(kind: Kind, records: list[dict]) -> list[str]:
    """Each record of `kind` as its compact JSON document."""
    schema = kind.schema()
    return [json.dumps(schema.dump(record), ensure_ascii=False, separators=(",", ":")) for record in records]


def item_body(document: str) -> bytes:
    return (document + "\n").encode("utf-8")


def list_body(documents: list[str]) -> bytes:
    return ("[" + ",".join(documents) + "]\n").encode("utf-8")


def rendered_documents() -> Iterator[dict]:
    """Every served record of the database as a Document row, kind by kind, a batch of records at a time."""
    lineage = Lineage.read()
    for kind in SERVED:
        query = kind.select().order_by(kind.model._meta.fields["id"])
        for start in range(0, query.count(), BATCH):
            rows = list(query.offset(start).limit(BATCH))
            for row, body in zip(rows, render(kind, api_records(kind, rows, lineage)), strict=True):
                yield {"kind": kind.name, "record_id": row.id, "body": body}
