"""Read and verify the curated knowledge: seeds/ (articles) and fixtures/ (references and facts)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import marshmallow as ma

import schemas
from schemas import SourceSchema

from .kinds import BY_NAME, KINDS
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


def read_knowledge(fixtures_dir: str | Path, seeds_dir: str | Path) -> Knowledge:
    """Read and verify everything; raise KnowledgeError naming each file, record and problem."""
    fixtures_dir, seeds_dir = Path(fixtures_dir), Path(seeds_dir)
    problems = _directory_problems(fixtures_dir, seeds_dir)
    if problems:
        raise KnowledgeError(problems)
    knowledge = Knowledge()
    files: dict[str, bytes] = {}  # what was read, for the fingerprint (files_fingerprint)

    for meta_path in sorted(seeds_dir.glob("*.json")):
        files[f"seeds/{meta_path.name}"] = meta_path.read_bytes()
        for record in _load_records(meta_path, SourceSchema, problems, single=True):
            text_path = seeds_dir / (record.get("file") or "")
            where = f"{_rel(meta_path)}: source {record['id']!r}"
            if record["kind"] != "article":
                problems.append(f"{where}: seeds/ holds articles only; put references in fixtures/references.json")
                continue
            if not text_path.is_file():
                problems.append(f"{where}: text file {record.get('file')!r} not found in {seeds_dir}")
                continue
            raw = files[f"seeds/{record['file']}"] = text_path.read_bytes()
            actual = hashlib.sha256(raw).hexdigest()
            if actual != record["sha256"]:
                problems.append(f"{where}: sha256 is {record['sha256']} but {text_path.name} hashes to {actual}")
            _add_unique(knowledge.sources, record, where, problems)
            knowledge.texts[record["id"]] = raw.decode("utf-8")

    for kind in KINDS:
        path = fixtures_dir / kind.fixture
        if not path.is_file():
            problems.append(f"{_rel(path)}: missing")
            continue
        files[f"fixtures/{kind.fixture}"] = path.read_bytes()
        records = _load_records(path, kind.schema, problems)
        if kind.name == "source":
            for record in records:
                where = f"{_rel(path)}: source {record['id']!r}"
                if record["kind"] != "reference":
                    problems.append(f"{where}: kind must be 'reference' (articles live in seeds/)")
                _add_unique(knowledge.sources, record, where, problems)
            continue
        seen: dict[str, dict] = {}
        for record in records:
            _add_unique(seen, record, f"{_rel(path)}: record {record['id']!r}", problems)
        knowledge.records[kind.name] = records

    if not problems:
        problems = cross_check(knowledge)
    if problems:
        raise KnowledgeError(problems)
    knowledge.fingerprint = files_fingerprint(files)
    return knowledge


def read_knowledge_files(files: dict[str, bytes]) -> Knowledge:
    """Read and verify knowledge held in memory as files (relative path -> bytes, laid out as `fixtures.fixture_files`
    gives them: "fixtures/..." and "seeds/..."), exactly as `read_knowledge` reads the curated folders."""
    with tempfile.TemporaryDirectory(prefix="kb-knowledge-") as tmp:
        for name, body in files.items():
            path = knowledge_path(Path(tmp), name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        (Path(tmp) / "fixtures").mkdir(exist_ok=True)
        (Path(tmp) / "seeds").mkdir(exist_ok=True)
        return read_knowledge(Path(tmp) / "fixtures", Path(tmp) / "seeds")


def knowledge_path(root: Path, name: str) -> Path:
    """Where the knowledge file `name` ("fixtures/<kind's file>", "seeds/<article file or its .json>") goes under
    `root`: one file directly in fixtures/ or seeds/, or KnowledgeError. Every path the service writes knowledge to
    is built here, so that no name, however it was curated, leads outside the folder."""
    folder, _, file = name.partition("/")
    plain = file and "/" not in file and "\\" not in file and not file.startswith(".") and "\0" not in file
    if folder not in ("fixtures", "seeds") or not plain:
        raise KnowledgeError([f"{name!r}: not a file of fixtures/ or seeds/"])
    base = (root / folder).resolve()
    path = (base / file).resolve()
    if path.parent != base:
        raise KnowledgeError([f"{name!r}: leads outside {folder}/"])
    return path


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
        digest.update(files["seeds/" + json.loads(files[name])["file"]])
    for kind in KINDS:
        digest.update(kind.fixture.encode() + b"\0" + files[f"fixtures/{kind.fixture}"])
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


def code_fingerprint() -> str:
    """A hash of the code that renders and serves the knowledge (service/ and schemas/): part of the fingerprint,
    so a release that renders a record differently reloads it, and ETags change with it."""
    digest = hashlib.sha256()
    for package in (Path(__file__).resolve().parent.parent, Path(schemas.__file__).resolve().parent):
        for path in sorted(package.rglob("*.py")):
            digest.update(f"{package.name}/{path.relative_to(package).as_posix()}".encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def record_where(kind_name: str, record: dict) -> str:
    """Where a record is curated, as problems name it."""
    kind = BY_NAME[kind_name]
    if kind.name == "source" and record["kind"] == "article":
        return f"seeds/{Path(record['file']).stem}.json: source {record['id']!r}"
    return f"fixtures/{kind.fixture}: record {record['id']!r}"


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
    loaded, instance = [], schema()  # one instance for the file: its nested schemas are built once
    for position, item in enumerate(data):
        name = item.get("id", f"#{position}") if isinstance(item, dict) else f"#{position}"
        try:
            loaded.append(instance.load(item))
        except ma.ValidationError as error:
            problems.append(f"{_rel(path)}: record {name!r}: invalid: {json.dumps(error.messages, sort_keys=True)}")
    return loaded
