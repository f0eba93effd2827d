"""Read and verify the curated knowledge: seeds/ (sources) and fixtures/ (facts)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import marshmallow as ma

from schemas import (
    EntitySchema,
    EventSchema,
    FigureSchema,
    MeasureSchema,
    MemberVoteSchema,
    ResolutionSchema,
    RoleSchema,
    SourceSchema,
    StatementSchema,
    TopicSchema,
)

from .text import verify_quote

# Fixture files in load order, with the schema that validates each and the citation fact_type of its records.
FIXTURE_FILES: tuple[tuple[str, type[ma.Schema], str | None], ...] = (
    ("references.json", SourceSchema, None),
    ("topics.json", TopicSchema, None),
    ("entities.json", EntitySchema, "entity"),
    ("roles.json", RoleSchema, "role"),
    ("resolutions.json", ResolutionSchema, "resolution"),
    ("votes.json", MemberVoteSchema, "vote"),
    ("measures.json", MeasureSchema, "measure"),
    ("figures.json", FigureSchema, "figure"),
    ("events.json", EventSchema, "event"),
    ("statements.json", StatementSchema, "statement"),
)


class KnowledgeError(Exception):
    """The fixtures or seeds are not consistent; `problems` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n" + "\n".join(problems))


@dataclass
class Knowledge:
    """Every source and fact, validated and cross-checked, ready to load."""

    sources: dict[str, dict] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[dict]] = field(default_factory=dict)  # fixture file name -> records
    fingerprint: str = ""

    def of(self, file_name: str) -> list[dict]:
        return self.records.get(file_name, [])

    @property
    def fact_count(self) -> int:
        return sum(len(self.of(name)) for name, _, fact_type in FIXTURE_FILES if fact_type)


def read_knowledge(fixtures_dir: str | Path, seeds_dir: str | Path) -> Knowledge:
    """Read and verify everything; raise KnowledgeError naming each file, record and problem."""
    fixtures_dir, seeds_dir = Path(fixtures_dir), Path(seeds_dir)
    problems: list[str] = []
    knowledge = Knowledge()
    digest = hashlib.sha256()

    for meta_path in sorted(seeds_dir.glob("*.json")):
        digest.update(meta_path.read_bytes())
        for record in _load_records(meta_path, SourceSchema, problems, single=True):
            text_path = seeds_dir / (record.get("file") or "")
            where = f"{_rel(meta_path)}: source {record['id']!r}"
            if record["kind"] != "article":
                problems.append(f"{where}: seeds/ holds articles only; put references in fixtures/references.json")
                continue
            if not text_path.is_file():
                problems.append(f"{where}: text file {record.get('file')!r} not found in {seeds_dir}")
                continue
            raw = text_path.read_bytes()
            digest.update(raw)
            actual = hashlib.sha256(raw).hexdigest()
            if actual != record["sha256"]:
                problems.append(f"{where}: sha256 is {record['sha256']} but {text_path.name} hashes to {actual}")
            _add_unique(knowledge.sources, record, where, problems)
            knowledge.texts[record["id"]] = raw.decode("utf-8")

    for file_name, schema, _ in FIXTURE_FILES:
        path = fixtures_dir / file_name
        if not path.is_file():
            problems.append(f"{_rel(path)}: missing")
            continue
        digest.update(file_name.encode() + b"\0" + path.read_bytes())
        records = _load_records(path, schema, problems)
        if file_name == "references.json":
            for record in records:
                where = f"{_rel(path)}: source {record['id']!r}"
                if record["kind"] != "reference":
                    problems.append(f"{where}: kind must be 'reference' (articles live in seeds/)")
                _add_unique(knowledge.sources, record, where, problems)
        else:
            seen: dict[str, dict] = {}
            for record in records:
                _add_unique(seen, record, f"{_rel(path)}: record {record['id']!r}", problems)
        knowledge.records[file_name] = records

    if not problems:
        _check_references(knowledge, fixtures_dir, problems)
    if problems:
        raise KnowledgeError(problems)
    knowledge.fingerprint = digest.hexdigest()
    return knowledge


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _add_unique(index: dict[str, dict], record: dict, where: str, problems: list[str]) -> None:
    if record["id"] in index:
        problems.append(f"{where}: duplicate id")
    index[record["id"]] = record


def _load_records(path: Path, schema: type[ma.Schema], problems: list[str], single: bool = False) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(f"{_rel(path)}: not valid JSON: {error}")
        return []
    if single:
        data = [data]
    if not isinstance(data, list):
        problems.append(f"{_rel(path)}: must hold a JSON array of records")
        return []
    loaded = []
    for position, item in enumerate(data):
        name = item.get("id", f"#{position}") if isinstance(item, dict) else f"#{position}"
        try:
            loaded.append(schema().load(item))
        except ma.ValidationError as error:
            problems.append(f"{_rel(path)}: record {name!r}: invalid: {json.dumps(error.messages, sort_keys=True)}")
    return loaded


def _check_references(k: Knowledge, fixtures_dir: Path, problems: list[str]) -> None:
    """Check that every id a record names exists and has the right kind, and every quote is in its source."""
    entities = {e["id"]: e for e in k.of("entities.json")}
    ids = {
        "topic": {t["id"] for t in k.of("topics.json")},
        "resolution": {r["id"] for r in k.of("resolutions.json")},
        "event": {e["id"] for e in k.of("events.json")},
    }

    def expect_entity(where: str, key: str, value: str | None, kinds: tuple[str, ...] | None = None) -> None:
        if value is None:
            return
        entity = entities.get(value)
        if entity is None:
            problems.append(f"{where}: {key} {value!r} is not an entity in entities.json")
        elif kinds and entity["kind"] not in kinds:
            problems.append(f"{where}: {key} {value!r} is a {entity['kind']}, expected {' or '.join(kinds)}")

    def expect(where: str, key: str, kind: str, value: str | None) -> None:
        if value is not None and value not in ids[kind]:
            problems.append(f"{where}: {key} {value!r} is not a known {kind}")

    for file_name, _, fact_type in FIXTURE_FILES:
        if fact_type is None:
            continue
        for record in k.of(file_name):
            where = f"fixtures/{file_name}: record {record['id']!r}"
            _check_citations(k, where, record, problems)
            if fact_type == "entity":
                expect_entity(where, "country", record["country"], ("country",))
            elif fact_type == "role":
                expect_entity(where, "entity", record["entity"], ("person",))
                expect_entity(where, "organization", record["organization"], ("organization",))
                expect_entity(where, "country", record["country"], ("country",))
            elif fact_type == "resolution":
                expect_entity(where, "body", record["body"], ("organization",))
                expect_entity(where, "drafted_by", record["drafted_by"])
            elif fact_type == "vote":
                expect(where, "resolution", "resolution", record["resolution"])
                expect_entity(where, "member", record["member"], ("country",))
            elif fact_type == "measure":
                expect(where, "resolution", "resolution", record["resolution"])
            elif fact_type == "figure":
                if record["subject"] not in entities and record["subject"] not in ids["resolution"]:
                    problems.append(f"{where}: subject {record['subject']!r} is neither an entity nor a resolution")
            elif fact_type == "event":
                expect_entity(where, "place", record["place"], ("place", "country"))
                for participant in record["participants"]:
                    expect_entity(where, "participant", participant)
                _check_date(where, record["occurred_on"], record, problems)
            elif fact_type == "statement":
                expect_entity(where, "speaker", record["speaker"])
                for topic in record["topics"]:
                    expect(where, "topic", "topic", topic)
                for reporter in record["reported_via"]:
                    expect_entity(where, "reported_via", reporter)
                expect(where, "event", "event", record["event"])
                _check_date(where, record["said_on"], record, problems)
                _check_statement_quote(k, where, record, problems)


def _check_date(where: str, value, record: dict, problems: list[str]) -> None:
    if (value is None) != (record["date_precision"] == "unknown"):
        problems.append(f"{where}: date_precision 'unknown' goes with a null date, and only with one")


def _check_citations(k: Knowledge, where: str, record: dict, problems: list[str]) -> None:
    for number, citation in enumerate(record["citations"], 1):
        at = f"{where}: citation {number}"
        source = k.sources.get(citation["source"])
        if source is None:
            problems.append(f"{at}: source {citation['source']!r} does not exist")
            continue
        if source["kind"] == "reference":
            if citation["quote"] is not None:
                problems.append(f"{at}: a reference source has no text here, so its citation takes no quote")
            continue
        if citation["quote"] is None:
            problems.append(f"{at}: a citation of article {source['id']!r} must quote it")
            continue
        problem = verify_quote(k.texts[source["id"]], citation["quote"], citation["start"], citation["end"])
        if problem:
            problems.append(f"{at}: {problem} (source {source['id']!r})")


def _check_statement_quote(k: Knowledge, where: str, record: dict, problems: list[str]) -> None:
    if record["quote"] is None:
        return
    if not any(c["quote"] and record["quote"] in c["quote"] for c in record["citations"]):
        problems.append(f"{where}: the statement's quote is not inside any of its cited passages: {record['quote']!r}")
