"""The bulk exports: everything one snapshot of the database holds, written out record by record in the formats
analysts' tools read (NDJSON, a JSON document `init` loads back, CSV, FollowTheMoney, CSL-JSON, BibTeX).

Each export is a generator of text pieces built from the stored documents, the same bytes the API serves for each
record, read in batches (store/snapshot.py): its memory does not grow with the knowledge, and its bytes are the
same on every engine for the same knowledge.
"""

from __future__ import annotations

import csv
import io
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import marshmallow as ma

from schemas.facts import CitationSchema
from schemas.fields import fields_of
from schemas.files import ARTICLE_FILE_RULE, is_article_file
from schemas.identifiers import IDENTIFIER_FORMS, IDENTIFIER_SCHEMES

from ..store.snapshot import Snapshot
from .csl import bibtex_entry, csl_item
from .fixtures import article_knowledge_files, as_fixture, as_fixture_json
from .ftm import FtmMapper, sanctioned_entities
from .kinds import BY_NAME, KINDS, SERVED, Kind
from .read import fixture_file

KNOWLEDGE_FORMAT = "sanctions-kb knowledge"
KNOWLEDGE_FORMAT_VERSION = 1
LIST_SEPARATOR = "; "  # joins a list of plain values in one CSV cell
CHUNK = 64 * 1024  # characters gathered before a piece is sent


def compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def in_chunks(pieces: Iterable[str]) -> Iterator[bytes]:
    """The pieces as UTF-8, gathered into chunks of about CHUNK characters (fewer, larger writes)."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(held).encode("utf-8")
            held, size = [], 0
    if held:
        yield "".join(held).encode("utf-8")


def _owners(kind: Kind) -> tuple[Kind, str] | None:
    """The kind whose documents hold this kind's records (an entity's roles), and the field holding them."""
    for owner in KINDS:
        for embedded in owner.embedded:
            if embedded.kind == kind.name:
                return owner, embedded.field
    return None


def snapshot_records(snap: Snapshot, kind: Kind) -> Iterator[dict]:
    """Every record of a kind as the API serves it: its own documents in id order, or, for a kind served inside
    another (roles, claims), each owner's records in the owner's id order."""
    owned = _owners(kind)
    if owned is None:
        for _, body in snap.documents(kind.name):
            yield json.loads(body)
        return
    owner, field = owned
    for _, body in snap.documents(owner.name):
        yield from json.loads(body)[field]


# -- NDJSON -------------------------------------------------------------------------------------------------------


def records_ndjson(snap: Snapshot) -> Iterator[str]:
    """One line per served record, kind by kind in registry order, then by id: {"type", "id", "record"}, the
    record exactly as its own URL (or its list) serves it, citations included."""
    for kind in SERVED:
        prefix = '{"type":' + compact(kind.name) + ',"id":'
        for record_id, body in snap.documents(kind.name):
            yield prefix + compact(record_id) + ',"record":' + body + "}\n"


# -- the whole knowledge, loadable by `init --from` -----------------------------------------------------------------


def knowledge_json(snap: Snapshot) -> Iterator[str]:
    """The whole knowledge as one JSON document that `sanctions-kb init --from` loads back: for each kind (by its
    plural) its records as its fixture file holds them, sources with each article's file name and text; one
    record a line, so two exports diff line by line."""
    yield "{" + f'"format":{compact(KNOWLEDGE_FORMAT)},"format_version":{KNOWLEDGE_FORMAT_VERSION},'
    yield f'"data_version":{compact(snap.version)}'
    for kind in KINDS:
        yield f',\n"{kind.plural}":['
        first = True
        for record in _fixture_records(snap, kind):
            yield ("\n" if first else ",\n") + compact(record)
            first = False
        yield "\n]"
    yield "\n}\n"


def _fixture_records(snap: Snapshot, kind: Kind) -> Iterator[dict]:
    if kind.name != "source":
        for record in snapshot_records(snap, kind):
            yield as_fixture(kind, record)
        return
    articles = snap.article_files()  # in id order, as the sources are: merged as they go
    article = next(articles, None)
    for record in snapshot_records(snap, kind):
        fixture = as_fixture(kind, record)
        if record["kind"] == "article":
            while article is not None and article[0] < record["id"]:
                article = next(articles, None)
            if article is None or article[0] != record["id"]:
                raise LookupError(f"the article {record['id']!r} has no text in the database")
            fixture = {"id": record["id"], "kind": "article", "file": article[1], **fixture, "text": article[2]}
        yield fixture


class KnowledgeDocumentError(ValueError):
    """A document given to `init --from` is not a knowledge export."""


def knowledge_files(document) -> dict[str, bytes]:
    """The fixture and seed files (relative path -> bytes, as `fixtures.fixture_files` lays them out) that a
    knowledge export holds, for `read_knowledge_files` to read and verify as it reads any fixtures."""
    if not isinstance(document, dict) or document.get("format") != KNOWLEDGE_FORMAT:
        raise KnowledgeDocumentError(f'not a knowledge export: its "format" must be {KNOWLEDGE_FORMAT!r}')
    if document.get("format_version") != KNOWLEDGE_FORMAT_VERSION:
        raise KnowledgeDocumentError(
            f"format_version {document.get('format_version')!r} is not one this release reads "
            f"({KNOWLEDGE_FORMAT_VERSION})"
        )
    missing = [kind.plural for kind in KINDS if not isinstance(document.get(kind.plural), list)]
    if missing:
        raise KnowledgeDocumentError(f"the export has no list of {', '.join(missing)}")
    files: dict[str, bytes] = {}
    for kind in KINDS:
        records = document[kind.plural]
        if kind.name == "source":
            references = []
            for position, record in enumerate(records):
                if not isinstance(record, dict):
                    raise KnowledgeDocumentError(f"sources[{position}] is not an object")
                if record.get("kind") != "article":
                    references.append(record)
                    continue
                meta = {key: value for key, value in record.items() if key != "text"}
                file, text = meta.get("file"), record.get("text")
                if not is_article_file(file):
                    raise KnowledgeDocumentError(f"the article {record.get('id')!r} needs {ARTICLE_FILE_RULE}")
                if not isinstance(text, str):
                    raise KnowledgeDocumentError(f"the article {record.get('id')!r} has no text")
                files.update(article_knowledge_files(meta, text))
            records = references
        files[fixture_file(kind)] = as_fixture_json(records).encode("utf-8")
    return files


# -- CSV --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One CSV column, declared once: its header, how a record gives its cell, and what the cell holds (a field of
    a Frictionless Table Schema, without its name), which datapackage.json describes it with."""

    name: str  # the CSV header
    value: Callable[[dict], object]
    field: dict


def kind_columns(kind: Kind) -> list[Column]:
    """The CSV columns of a kind: its served fields in schema order, but for its citations (the citations table)
    and the records served inside it (their own table); a nested object's fields flattened as `field.subfield`."""
    embedded = {e.field for e in kind.embedded}
    columns = []
    for name, field in fields_of(kind.schema).items():
        if field.load_only or name == "citations" or name in embedded:
            continue
        if name == "identifiers":  # an entity's: one column per scheme, its value (where it was seen: the JSON)
            columns += [
                Column(f"identifiers.{scheme}", _identifier_of(scheme), _identifier_field(scheme))
                for scheme in IDENTIFIER_SCHEMES
            ]
        elif isinstance(field, ma.fields.Nested) and not field.many:
            for inner, inner_field in fields_of(field.schema).items():
                columns.append(Column(f"{name}.{inner}", _subfield_of(name, inner), table_field(inner_field)))
        else:
            columns.append(Column(name, _field_of(name), table_field(field)))
    return columns


def _identifier_of(scheme: str) -> Callable[[dict], object]:
    """An entity's identifier in `scheme` (it has at most one), or None."""
    return lambda record: next((i["value"] for i in record["identifiers"] if i["scheme"] == scheme), None)


def _field_of(name: str) -> Callable[[dict], object]:
    return lambda record: record.get(name)


def _subfield_of(name: str, inner: str) -> Callable[[dict], object]:
    """A nested object's field (None when the object is)."""
    return lambda record: (record[name] or {}).get(inner)


def _identifier_field(scheme: str) -> dict:
    """The Table Schema field of an entity's identifier of `scheme`: its value in the one form the scheme takes."""
    pattern, words = IDENTIFIER_FORMS[scheme]
    return {
        "type": "string",
        "description": f"The entity's {scheme} identifier ({words}); empty when none is recorded.",
        "constraints": {"pattern": pattern.pattern},
    }


def table_field(field: ma.fields.Field) -> dict:
    """What a column of this schema field holds, as a Frictionless Table Schema field: its type (as `cell` writes
    it), its description, and the constraints the schema holds every value to (required, a closed vocabulary,
    bounds)."""
    described = {"description": field.metadata["description"]} if field.metadata.get("description") else {}
    constraints: dict = {}
    if isinstance(field, ma.fields.List):
        if isinstance(field.inner, ma.fields.Nested):
            return {"type": "array", **described}  # compact JSON
        joined = f"Values joined by '{LIST_SEPARATOR}'; empty when there is none."
        return {"type": "string", "description": " ".join(filter(None, [described.get("description"), joined]))}
    if isinstance(field, ma.fields.Nested):
        kind: dict = {"type": "object"}  # compact JSON
    elif isinstance(field, ma.fields.Boolean):
        kind = {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}
    elif isinstance(field, ma.fields.Integer):
        kind = {"type": "integer"}
    elif isinstance(field, ma.fields.Float):
        kind = {"type": "number"}
    elif isinstance(field, ma.fields.Date):
        kind = {"type": "date"}
    elif isinstance(field, ma.fields.Url):
        kind = {"type": "string", "format": "uri"}
    elif isinstance(field, ma.fields.String):
        kind = {"type": "string"}
    elif isinstance(field, ma.fields.Function) and field.metadata.get("type") in ("integer", "number", "string"):
        kind = {"type": field.metadata["type"]}
    else:
        raise TypeError(f"no Table Schema type for {type(field).__name__}: declare one in table_field")
    if field.required and not field.allow_none:
        constraints["required"] = True
    for rule in field.validators:
        if isinstance(rule, ma.validate.OneOf):
            constraints["enum"] = list(rule.choices)
        elif isinstance(rule, ma.validate.Range) and kind["type"] in ("integer", "number"):
            if rule.min is not None:
                constraints["minimum"] = rule.min
            if rule.max is not None:
                constraints["maximum"] = rule.max
    return {**kind, **described, **({"constraints": constraints} if constraints else {})}


def citation_columns() -> list[Column]:
    """The columns of citations.csv: the fact cited (its kind, its id, the citation's position among its
    citations), then the citation's own fields in schema order."""
    cited = [kind.name for kind in KINDS if kind.cited]
    return [
        Column(
            "fact_type",
            _field_of("fact_type"),
            {
                "type": "string",
                "description": "The kind of the fact cited.",
                "constraints": {"required": True, "enum": cited},
            },
        ),
        Column(
            "fact_id",
            _field_of("fact_id"),
            {"type": "string", "description": "The id of the fact cited.", "constraints": {"required": True}},
        ),
        Column(
            "position",
            _field_of("position"),
            {
                "type": "integer",
                "description": "The citation's place among the fact's citations, from 1.",
                "constraints": {"required": True, "minimum": 1},
            },
        ),
        *(Column(name, _field_of(name), table_field(field)) for name, field in fields_of(CitationSchema).items()),
    ]


CITATION_COLUMNS = tuple(column.name for column in citation_columns())
# What makes a spreadsheet (Excel, LibreOffice Calc, Google Sheets, Numbers) read a cell's text as a formula, when
# it comes first: OWASP's list for CSV injection (=HYPERLINK(...) sends the sheet's data to a site when clicked).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """Text as a CSV cell a spreadsheet shows as it is: one that starts with a formula trigger gets a single quote in
    front (OWASP's advice; spreadsheets hide it and show the text), any other is the text itself."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell(value) -> str:
    """A value as a CSV cell: empty for null, true/false, numbers as JSON writes them (-1 stays a number), a list of
    plain values joined by LIST_SEPARATOR, a list of objects (or an object) as compact JSON; text (a joined list
    too) through text_cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        if all(isinstance(item, str | int | float) and not isinstance(item, bool) for item in value):
            return text_cell(LIST_SEPARATOR.join(str(item) for item in value))
        return compact(value)
    if isinstance(value, dict):
        return compact(value)
    return text_cell(str(value))


def _csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """RFC 4180 CSV: comma-separated, CRLF line ends, fields quoted when they need it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def kind_csv(snap: Snapshot, kind: Kind) -> Iterator[str]:
    """One row per record of the kind, with the header row first."""
    columns = kind_columns(kind)
    header = [column.name for column in columns]
    rows = ([cell(column.value(record)) for column in columns] for record in snapshot_records(snap, kind))
    return _csv_lines(_prepend(header, rows))


def citations_csv(snap: Snapshot) -> Iterator[str]:
    """One row per citation of every cited record, kind by kind, then by record, in the record's citation order
    (`position`, from 1)."""

    def rows():
        for kind in KINDS:
            if not kind.cited:
                continue
            for record in snapshot_records(snap, kind):
                for position, citation in enumerate(record["citations"], start=1):
                    cited = {**citation, "fact_type": kind.name, "fact_id": record["id"], "position": position}
                    yield [cell(column.value(cited)) for column in columns]

    columns = citation_columns()
    return _csv_lines(_prepend([column.name for column in columns], rows()))


def _prepend(first, rest: Iterable) -> Iterator:
    yield first
    yield from rest


# -- the CSVs described: a Frictionless Data Package -------------------------------------------------------------


def csv_tables() -> list[tuple[str, list[Column]]]:
    """Every CSV export by table name (a kind's plural, then `citations`) with its columns."""
    return [(kind.plural, kind_columns(kind)) for kind in KINDS] + [("citations", citation_columns())]


def _foreign_keys(kind: Kind, columns: list[Column]) -> list[dict]:
    """The columns naming one record of one kind (a list of ids, joined in one cell, is not a key)."""
    plain = {column.name for column in columns}
    keys = []
    for reference in kind.references:
        field = fields_of(kind.schema).get(reference.field)
        if reference.field not in plain or len(reference.targets) != 1 or isinstance(field, ma.fields.List):
            continue
        target = BY_NAME[reference.targets[0]].plural
        keys.append({"fields": [reference.field], "reference": {"resource": target, "fields": ["id"]}})
    return keys


def data_package() -> dict:
    """The Frictionless Data Package (Tabular Data Package) describing every CSV export: each table's path beside
    this one, its columns' types and constraints as the CSV writer declares them (`Column.field`), its primary key
    and the columns naming another table's records."""
    resources = []
    for table, columns in csv_tables():
        if table == "citations":
            primary = ["fact_type", "fact_id", "position"]
            foreign = [{"fields": ["source"], "reference": {"resource": "sources", "fields": ["id"]}}]
        else:
            kind = next(kind for kind in KINDS if kind.plural == table)
            primary, foreign = ["id"], _foreign_keys(kind, columns)
        schema: dict = {
            "fields": [{"name": column.name, **column.field} for column in columns],
            "missingValues": [""],
            "primaryKey": primary,
        }
        if foreign:
            schema["foreignKeys"] = foreign
        resources.append(
            {
                "name": table,
                "path": f"{table}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "sanctions-kb",
        "title": "sanctions-kb: the curated knowledge as CSV tables",
        "description": "Every CSV export of the knowledge base, one table per kind of record and one of citations. "
        f"A null is an empty cell; a list of values is joined by '{LIST_SEPARATOR}' in one cell; a list of objects "
        "is compact JSON; a text cell a spreadsheet would read as a formula starts with a single quote.",
        "resources": resources,
    }


def datapackage_json(snap: Snapshot) -> Iterator[str]:
    """The Data Package describing the CSV exports, as one JSON document (the same for every data version: it
    describes the tables, not their rows)."""
    yield json.dumps(data_package(), ensure_ascii=False, indent=2) + "\n"


# -- FollowTheMoney ---------------------------------------------------------------------------------------------------


def ftm_entities(snap: Snapshot) -> Iterator[str]:
    """FollowTheMoney entities (one JSON object a line, FtM's own form) for every record that has an FtM form."""
    sanctioned = sanctioned_entities(json.loads(body) for _, body in snap.documents("measure"))
    mapper = FtmMapper(_DocumentLookup(snap), sanctioned)
    for kind in SERVED:
        for _, body in snap.documents(kind.name):
            for entity in mapper.entities(kind.name, json.loads(body)):
                yield compact(entity) + "\n"


class _DocumentLookup:
    """Served documents by (kind, id), the most recently used few hundred kept (records that others name, such as a
    resolution its measures name, are asked for again and again)."""

    def __init__(self, snap: Snapshot, kept: int = 512):
        self.snap, self.kept = snap, kept
        self._held: OrderedDict[tuple[str, str], dict | None] = OrderedDict()

    def __call__(self, kind: str, record_id: str) -> dict | None:
        key = (kind, record_id)
        if key in self._held:
            self._held.move_to_end(key)
            return self._held[key]
        body = self.snap.document(kind, record_id)
        found = self._held[key] = None if body is None else json.loads(body)
        if len(self._held) > self.kept:
            self._held.popitem(last=False)
        return found


# -- citations for reference managers --------------------------------------------------------------------------------


def csl_json(snap: Snapshot) -> Iterator[str]:
    """Every source as a CSL-JSON item, in one JSON array (one item a line)."""
    yield "["
    first = True
    for source in snapshot_records(snap, BY_NAME["source"]):
        yield ("\n" if first else ",\n") + compact(csl_item(source))
        first = False
    yield "\n]\n"


def bibtex(snap: Snapshot) -> Iterator[str]:
    """Every source as a BibTeX entry, separated by blank lines."""
    first = True
    for source in snapshot_records(snap, BY_NAME["source"]):
        yield ("" if first else "\n") + bibtex_entry(source)
        first = False
