"""Read and verify the curated knowledge: seeds/ (articles) and fixtures/ (references and facts)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

import marshmallow as ma

from schemas import SourceSchema

from .digest import code_fingerprint
from .kinds import BY_NAME, KINDS, Kind
from .verify import knowledge_problems, verify_record


class KnowledgeError(Exception):
    """The fixtures or seeds are not consistent; `problems` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base:\n" + "\n".join(problems))


@dataclass
class Knowledge:
    """Every source and fact, validated and cross-checked, ready to load; a Catalogue for verification."""

    sources: dict[str, dict] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[dict]] = field(default_factory=dict)  # kind name -> records, as curated
    fingerprint: str = ""

    def of(self, kind: str) -> list[dict]:
        """The records of a kind (every source, articles included, for "source")."""
        if kind == "source":
            return list(self.sources.values())
        return self.records.get(kind, [])

    def record(self, kind: str, record_id: str) -> dict | None:
        return self._index.get(kind, {}).get(record_id)

    def text(self, source_id: str) -> str | None:
        return self.texts.get(source_id)

    @cached_property
    def _index(self) -> dict[str, dict[str, dict]]:
        # Built on first lookup, once reading is complete (verification runs after every file is read).
        return {kind.name: {r["id"]: r for r in self.of(kind.name)} for kind in KINDS}

    @property
    def fact_count(self) -> int:
        return sum(len(self.of(kind.name)) for kind in KINDS if kind.cited)


def fixture_file(kind: Kind) -> str:
    """The knowledge file holding a kind's records in fixtures/ (for sources: the references)."""
    return f"fixtures/{kind.fixture}"


def article_files(text_file: str) -> tuple[str, str]:
    """An article's two knowledge files in seeds/, from its text's file name: its record ("seeds/<stem>.json") and
    its text ("seeds/<text_file>")."""
    return f"seeds/{PurePosixPath(text_file).stem}.json", f"seeds/{text_file}"


def record_file(kind_name: str, record: dict) -> str:
    """The knowledge file a record is curated in: an article's own in seeds/, its kind's in fixtures/ otherwise."""
    if kind_name == "source" and record["kind"] == "article":
        return article_files(record["file"])[0]
    return fixture_file(BY_NAME[kind_name])


def read_knowledge(fixtures_dir: str | Path, seeds_dir: str | Path) -> Knowledge:
    """Read and verify everything; raise KnowledgeError naming each file, record and problem."""
    fixtures_dir, seeds_dir = Path(fixtures_dir), Path(seeds_dir)
    problems = _directory_problems(fixtures_dir, seeds_dir)
    if problems:
        raise KnowledgeError(problems)
    folders = {"fixtures": fixtures_dir, "seeds": seeds_dir}

    def contents(name: str) -> bytes | None:
        folder, _, file = name.partition("/")
        path = folders[folder] / file
        return path.read_bytes() if path.is_file() else None

    article_records = [f"seeds/{path.name}" for path in sorted(seeds_dir.glob("*.json")) if path.is_file()]
    return _read(article_records, contents, str(seeds_dir))


def read_knowledge_files(files: dict[str, bytes]) -> Knowledge:
    """Read and verify knowledge held in memory as files (relative path -> bytes, laid out as
    `fixtures.fixture_files` gives them: "fixtures/..." and "seeds/..."), exactly as `read_knowledge` reads the
    curated folders; a name that is not one file directly in fixtures/ or seeds/ is refused first."""
    for name in files:
        _folder_and_file(name)
    article_records = sorted(name for name in files if name.startswith("seeds/") and name.endswith(".json"))
    return _read(article_records, files.get, "seeds/")


def _read(article_records: list[str], contents: Callable[[str], bytes | None], seeds: str) -> Knowledge:
    """The knowledge in these article record files and in each kind's fixture file, `contents` giving a file's
    bytes by name (None when there is none); fingerprinted by the files read."""
    files: dict[str, bytes] = {}  # what was read, for the fingerprint (files_fingerprint)

    def read(name: str) -> bytes | None:
        body = contents(name)
        if body is not None:
            files[name] = body
        return body

    reading = KnowledgeReading()
    for name in article_records:
        body = read(name)
        if body is None:  # listed, then gone before it was read
            reading.problems.append(f"{name}: missing")
            continue
        for item in _parsed(name, body, reading.problems, single=True):
            reading.add_article(name, item, lambda file: read(article_files(file)[1]), seeds)
    for kind in KINDS:
        name = fixture_file(kind)
        body = read(name)
        if body is None:
            reading.problems.append(f"{name}: missing")
            continue
        reading.add_records(kind, name, _parsed(name, body, reading.problems))
    knowledge = reading.verified()
    knowledge.fingerprint = files_fingerprint(files)
    return knowledge


def knowledge_with(
    base: Knowledge, kind: Kind, record_id: str, record: dict | None, text: str | None = None
) -> Knowledge:
    """`base` with this record created, replaced (or, for None, deleted), checked exactly as `sanctions-kb check`
    checks fixtures: the record as reading its file gives it, then every record against what it names and the whole
    for what spans records. KnowledgeError lists every problem."""
    reading = KnowledgeReading(base)
    reading.remove(kind, record_id)
    if record is not None:
        item = json.loads(json.dumps(record, ensure_ascii=False))  # as its file holds it
        old = base.sources.get(record_id) if kind.name == "source" else None
        old_file = old["file"] if old is not None and old["kind"] == "article" else None
        if kind.name == "source" and (item.get("kind") == "article" or old_file is not None):
            # The text's file name is the service's: an article keeps its own, a new one (or a reference turned
            # into one) is named from its id, a slug. Nothing a change sends names a file.
            file = old_file if old_file is not None else f"{record_id}.txt"
            body = (text if text is not None else base.texts.get(record_id, "")).encode("utf-8")
            meta = {**item, "file": file, "sha256": hashlib.sha256(body).hexdigest()}
            reading.add_article(article_files(file)[0], meta, lambda _: body, "seeds/")
        else:
            reading.add_records(kind, fixture_file(kind), [item])
    return reading.verified()


class KnowledgeReading:
    """Knowledge built from records as their files hold them, the one way it is built (from the curated folders,
    from an export, from the published knowledge and a change): each record loaded by its kind's schema, where the
    layout keeps it (articles and their texts in seeds/, every other record in its kind's fixture file), ids
    unique; then verified as a whole. Each problem names the file its record is curated in."""

    def __init__(self, base: Knowledge | None = None):
        base = base or Knowledge()
        self.knowledge = Knowledge(dict(base.sources), dict(base.texts), dict(base.records))
        self.problems: list[str] = []

    def add_article(self, name: str, item, text_of: Callable[[str], bytes | None], seeds: str) -> None:
        """An article's record, as its record file `name` holds it, with its text (`text_of(file)`: its bytes, or
        None when there is no such file in `seeds`)."""
        for record in _loaded(SourceSchema, [item], name, self.problems):
            where = f"{name}: source {record['id']!r}"
            if record["kind"] != "article":
                self.problems.append(f"{where}: seeds/ holds articles only; put references in fixtures/references.json")
                continue
            raw = text_of(record["file"])
            if raw is None:
                self.problems.append(f"{where}: text file {record.get('file')!r} not found in {seeds}")
                continue
            actual = hashlib.sha256(raw).hexdigest()
            if actual != record["sha256"]:
                self.problems.append(
                    f"{where}: sha256 is {record['sha256']} but {PurePosixPath(record['file']).name} hashes to {actual}"
                )
            _add_unique(self.knowledge.sources, record, where, self.problems)
            self.knowledge.texts[record["id"]] = raw.decode("utf-8")

    def add_records(self, kind: Kind, name: str, items: list) -> None:
        """Records of a kind as its fixture file `name` holds them (for sources: references)."""
        records = _loaded(kind.schema, items, name, self.problems)
        if kind.name == "source":
            for record in records:
                where = f"{name}: source {record['id']!r}"
                if record["kind"] != "reference":
                    self.problems.append(f"{where}: kind must be 'reference' (articles live in seeds/)")
                _add_unique(self.knowledge.sources, record, where, self.problems)
            return
        held = self.knowledge.records.get(kind.name, [])
        seen = {record["id"]: record for record in held}
        for record in records:
            _add_unique(seen, record, f"{name}: record {record['id']!r}", self.problems)
        self.knowledge.records[kind.name] = held + records

    def remove(self, kind: Kind, record_id: str) -> None:
        if kind.name == "source":
            self.knowledge.sources.pop(record_id, None)
            self.knowledge.texts.pop(record_id, None)
        else:
            self.knowledge.records[kind.name] = [r for r in self.knowledge.of(kind.name) if r["id"] != record_id]

    def verified(self) -> Knowledge:
        """The knowledge, once every record is verified against what it names and the whole for what spans
        records; KnowledgeError lists every problem."""
        problems = self.problems or cross_check(self.knowledge)
        if problems:
            raise KnowledgeError(problems)
        return self.knowledge


def knowledge_path(root: Path, name: str) -> Path:
    """Where the knowledge file `name` ("fixtures/<kind's file>", "seeds/<article file or its .json>") goes under
    `root`: one file directly in fixtures/ or seeds/, or KnowledgeError. Every path the service writes knowledge to
    is built here, so that no name, however it was curated, leads outside the folder."""
    folder, file = _folder_and_file(name)
    base = (root / folder).resolve()
    path = (base / file).resolve()
    if path.parent != base:
        raise KnowledgeError([f"{name!r}: leads outside {folder}/"])
    return path


def _folder_and_file(name: str) -> tuple[str, str]:
    """The folder and the file a knowledge file's name gives: one plain file name in fixtures/ or seeds/, or
    KnowledgeError."""
    folder, _, file = name.partition("/")
    plain = file and "/" not in file and "\\" not in file and not file.startswith(".") and "\0" not in file
    if folder not in ("fixtures", "seeds") or not plain:
        raise KnowledgeError([f"{name!r}: not a file of fixtures/ or seeds/"])
    return folder, file


def cross_check(knowledge: Knowledge) -> list[str]:
    """Every problem of records read one by one: each against what it names, and the whole for what spans records."""
    problems = []
    for kind in KINDS:
        for record in knowledge.of(kind.name):
            problems += verify_record(kind, record, knowledge, record_where(kind.name, record))
    return problems + knowledge_problems({**knowledge.records, "source": knowledge.of("source")}, record_where)


def files_fingerprint(files: dict[str, bytes]) -> str:
    """The fingerprint of the fixtures and seeds held in `files` (relative path -> bytes, as `read_knowledge` reads
    them and `fixtures.fixture_files` gives them, so an export is fingerprinted without writing it out)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for name in sorted(n for n in files if n.startswith("seeds/") and n.endswith(".json")):
        digest.update(files[name])
        digest.update(files[article_files(json.loads(files[name])["file"])[1]])
    for kind in KINDS:
        digest.update(kind.fixture.encode() + b"\0" + files[fixture_file(kind)])
    return digest.hexdigest()


def _directory_problems(fixtures_dir: Path, seeds_dir: Path) -> list[str]:
    """One problem for each folder that is missing or holds none of its files, rather than one per file or citation."""
    fixture_names = [kind.fixture for kind in KINDS]
    folders = (
        (
            "fixtures",
            fixtures_dir,
            "KB_FIXTURES_DIR",
            "curated facts",
            ", ".join(fixture_names),
            lambda folder: any((folder / name).is_file() for name in fixture_names),
        ),
        (
            "seeds",
            seeds_dir,
            "KB_SEEDS_DIR",
            "source articles",
            "article metadata, *.json",
            lambda folder: any(folder.glob("*.json")),
        ),
    )
    problems = []
    for kind, folder, setting, contents, files, holds_its_files in folders:
        if not folder.is_dir():
            state = "is not a directory" if folder.exists() else "does not exist"
        elif not holds_its_files(folder):
            state = f"holds none of its files ({files})"
        else:
            continue
        problems.append(f"{kind} directory {folder} {state}; set {setting} to the folder of the {contents}")
    return problems


def record_where(kind_name: str, record: dict) -> str:
    """Where a record is curated, as problems name it."""
    what = "source" if kind_name == "source" and record["kind"] == "article" else "record"
    return f"{record_file(kind_name, record)}: {what} {record['id']!r}"


def _add_unique(index: dict[str, dict], record: dict, where: str, problems: list[str]) -> None:
    if record["id"] in index:
        problems.append(f"{where}: duplicate id")
    index[record["id"]] = record


def _parsed(name: str, body: bytes, problems: list[str], single: bool = False) -> list:
    """The items a record file holds (one, for `single`: an article's record file), or none with the problem."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(f"{name}: not valid JSON: {error}")
        return []
    if single:
        data = [data]
    if not isinstance(data, list):
        problems.append(f"{name}: must hold a JSON array of records")
        return []
    return data


def _loaded(schema: type[ma.Schema], items: list, name: str, problems: list[str]) -> list[dict]:
    """The items of the file `name` loaded by the schema; a problem for each that does not load."""
    loaded, instance = [], schema()  # one instance for the file: its nested schemas are built once
    for position, item in enumerate(items):
        label = item.get("id", f"#{position}") if isinstance(item, dict) else f"#{position}"
        try:
            loaded.append(instance.load(item))
        except ma.ValidationError as error:
            problems.append(f"{name}: record {label!r}: invalid: {json.dumps(error.messages, sort_keys=True)}")
    return loaded
