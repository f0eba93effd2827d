"""Write the knowledge the database serves back out as fixtures and seeds: the files `sanctions-kb check` reads
and `init` loads, so that they stay the reviewable record of what is published."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.fields import fields_of

from ..store import models as m
from ..store.db import tuples
from .kinds import KINDS, Kind
from .read import article_files, fixture_file, knowledge_path


def _fixture_fields(kind: Kind) -> list[str]:
    """The fields a fixture record of this kind holds: the schema's, but for what the API computes."""
    return list(fields_of(kind.schema, computed=False))


def as_fixture(kind: Kind, record: dict) -> dict:
    """A served record as its fixture file holds it."""
    return {name: record[name] for name in _fixture_fields(kind) if name in record}


def _documents(kind_name: str) -> list[dict]:
    query = m.Document.select(m.Document.body).where(m.Document.kind == kind_name).order_by(m.Document.record_id)
    return [json.loads(body) for (body,) in tuples(query)]


def published_records(only: str | None = None) -> dict[str, list[dict]]:
    """Every record of every kind (or of the kind named `only`) as a fixture holds it, read from the served
    documents (records served inside another, such as roles and claims, from their owner's document), in id
    order; each kind's documents are read once."""
    records: dict[str, list[dict]] = {}
    for kind in KINDS:
        wanted = [e for e in kind.embedded if only in (None, e.kind)]
        if not (wanted or (kind.served and only in (None, kind.name))):
            continue
        documents = _documents(kind.name)
        if kind.served and only in (None, kind.name):
            records[kind.name] = [as_fixture(kind, doc) for doc in documents]
        for embedded in wanted:
            inner = next(k for k in KINDS if k.name == embedded.kind)
            found = [item for doc in documents for item in doc[embedded.field]]
            records[inner.name] = sorted((as_fixture(inner, item) for item in found), key=lambda r: r["id"])
    return records


def fixture_files(records: dict[str, list[dict]] | None = None) -> dict[str, bytes]:
    """The published knowledge (or these records, as `published_records` gives them) as the files `init` reads:
    "fixtures/<kind's file>" and, for each article, "seeds/<name>.json" and its text, byte for byte."""
    records = published_records() if records is None else records
    query = m.Source.select(m.Source.id, m.Source.file, m.Source.text).where(m.Source.kind == "article")
    articles = {source_id: (file, text) for source_id, file, text in tuples(query)}
    files: dict[str, bytes] = {}
    for kind in KINDS:
        items = records[kind.name]
        if kind.name == "source":
            for article in [r for r in items if r["kind"] == "article"]:
                file, text = articles[article["id"]]
                meta = {"id": article["id"], "kind": "article", "file": file, **article}
                files.update(article_knowledge_files(meta, text))
            items = [r for r in items if r["kind"] == "reference"]
        files[fixture_file(kind)] = as_fixture_json(items).encode("utf-8")
    return files


def export_fixtures(directory: Path) -> dict[str, int]:
    """Write `directory`/fixtures (one JSON file per kind) and `directory`/seeds (each article's metadata and its
    text, byte for byte); return the number of records written per file."""
    files = fixture_files()
    paths = {name: knowledge_path(directory, name) for name in files}  # every name checked before anything is written
    (directory / "fixtures").mkdir(parents=True, exist_ok=True)
    (directory / "seeds").mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name, body in files.items():
        paths[name].write_bytes(body)
        if name.endswith(".json"):
            value = json.loads(body)
            written[name] = len(value) if isinstance(value, list) else 1
    return written


def article_knowledge_files(meta: dict, text: str) -> dict[str, bytes]:
    """An article's record (with its text's `file` name) and its text, as the two files seeds/ holds them."""
    record_file, text_file = article_files(meta["file"])
    return {text_file: text.encode("utf-8"), record_file: as_fixture_json(meta).encode("utf-8")}


def as_fixture_json(value) -> str:
    """JSON as the fixture files are written (so the same knowledge always has the same fingerprint)."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
