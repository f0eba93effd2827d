"""Exports: the whole knowledge in one download, in the formats analysts' tools read.

Each export is streamed from one snapshot of the database (store/snapshot.py): its memory does not grow with the
knowledge, every line of it belongs to the same data version, and its ETag is that version's. It is never kept in
the response cache (it can be far larger than the cache); a matching If-None-Match answers 304 without reading it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schemas import ExportSchema

from ..knowledge import dumps
from ..knowledge.kinds import KINDS, SERVED
from ..store.snapshot import Snapshot
from ..store.version import data_version
from ..web.blueprint import takes_no_query
from ..web.conditional import both_variants, names, not_modified, version_etag

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/v1/exports",
    description="The whole knowledge in one download: NDJSON, a JSON document `init` loads back, CSV per kind, "
    "FollowTheMoney entities, CSL-JSON and BibTeX citations of the sources.",
)

NDJSON = "application/x-ndjson"
CSV = "text/csv; charset=utf-8; header=present"
TABLES = tuple(kind.plural for kind in KINDS) + ("citations",)


@dataclass(frozen=True)
class Export:
    name: str
    media_type: str
    description: str
    produce: Callable[[Snapshot], Iterator[str]]
    schema: dict = field(default_factory=lambda: {"type": "string"})  # of the body, in the spec

    @property
    def url(self) -> str:
        return f"{blp.url_prefix}/{self.name}"


EXPORTS = {
    export.name: export
    for export in (
        Export(
            "records.ndjson",
            NDJSON,
            "Every record as the API serves it, citations, support and disputes included: one JSON object a line, "
            '{"type": kind, "id": id, "record": record}, kind by kind '
            f"({', '.join(kind.plural for kind in SERVED)}), then by id.",
            dumps.records_ndjson,
        ),
        Export(
            "knowledge.json",
            "application/json",
            "The whole knowledge as one JSON document, each kind's records as its fixture file holds them (sources "
            "with each article's text): `sanctions-kb init --from knowledge.json` loads it into another database.",
            dumps.knowledge_json,
            {
                "type": "object",
                "required": ["format", "format_version", "data_version", *(kind.plural for kind in KINDS)],
                "properties": {
                    "format": {"type": "string", "enum": [dumps.KNOWLEDGE_FORMAT]},
                    "format_version": {"type": "integer", "enum": [dumps.KNOWLEDGE_FORMAT_VERSION]},
                    "data_version": {"type": "string", "description": "The data version exported (GET /health)."},
                    **{
                        kind.plural: {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": f"The {kind.plural}, as fixtures/{kind.fixture} holds them"
                            + (" (articles with their `file` and `text`)." if kind.name == "source" else "."),
                        }
                        for kind in KINDS
                    },
                },
            },
        ),
        Export(
            "entities.ftm.json",
            NDJSON,
            "FollowTheMoney entities (the OpenSanctions data model), one a line: people, organizations, countries, "
            "their posts, the resolution's measures as sanctions, and the sources, with each citation's passage "
            "kept as documentation of the entity it supports.",
            dumps.ftm_entities,
        ),
        Export(
            "sources.csl.json",
            "application/vnd.citationstyles.csl+json",
            "Every source as a CSL-JSON item, for reference managers (Zotero, Mendeley...) and citation processors.",
            dumps.csl_json,
            {"type": "array", "items": {"type": "object", "required": ["id", "type"]}},
        ),
        Export(
            "sources.bib",
            "application/x-bibtex; charset=utf-8",
            "Every source as a BibTeX entry (UTF-8).",
            dumps.bibtex,
        ),
        Export(
            "datapackage.json",
            "application/json",
            "A Frictionless Data Package describing every CSV export: each table's path (relative to this one), its "
            "columns' types, formats and constraints (closed vocabularies as enum), its primary key and the columns "
            "naming another table's records; `frictionless validate datapackage.json` checks the CSVs against it.",
            dumps.datapackage_json,
            {"type": "object", "required": ["profile", "name", "resources"]},
        ),
    )
}


def _csv_export(table: str) -> Export:
    if table == "citations":
        return Export("citations.csv", CSV, "", dumps.citations_csv)
    kind = next(kind for kind in KINDS if kind.plural == table)
    return Export(f"{table}.csv", CSV, "", lambda snap: dumps.kind_csv(snap, kind))


@blp.route("")
class Exports(MethodView):
    @blp.response(200, ExportSchema(many=True))
    @takes_no_query(blp)
    def get(self):
        """List the exports

        Every bulk export, with its URL and media type: each is the whole knowledge of one data version,
        streamed, with that version's ETag.
        """
        listed = [
            {"name": e.name, "url": e.url, "media_type": e.media_type, "description": e.description}
            for e in EXPORTS.values()
        ]
        listed += [
            {
                "name": f"{table}.csv",
                "url": f"{blp.url_prefix}/{table}.csv",
                "media_type": CSV,
                "description": "Every citation of every record, one a row: fact_type, fact_id, position, source, "
                "quote, start, end, role, fields, wording, account."
                if table == "citations"
                else f"Every record of {table}, one a row, as its URL serves it but for its citations (in "
                "citations.csv): nested objects flattened as field.subfield, lists of values joined by '; ', lists "
                "of objects as JSON.",
            }
            for table in TABLES
        ]
        return listed


def _download(export: Export):
    """The decorators every download shares: no query parameters, and its media type documented."""

    def decorate(view):
        view = takes_no_query(blp)(view)
        return blp.response(
            200, export.schema, content_type=export.media_type.split(";")[0], description=export.description
        )(view)

    return decorate


@blp.route("/records.ndjson")
class ExportRecords(MethodView):
    @_download(EXPORTS["records.ndjson"])
    def get(self):
        """Export every record (NDJSON)

        Every record exactly as its URL serves it, one JSON object a line: `{"type", "id", "record"}`.
        """
        return stream(EXPORTS["records.ndjson"])


@blp.route("/knowledge.json")
class ExportKnowledge(MethodView):
    @_download(EXPORTS["knowledge.json"])
    def get(self):
        """Export the whole knowledge (loadable)

        One JSON document: `format`, `format_version`, `data_version`, then each kind's records as its
        fixture file holds them, one a line, sources with each article's `file` and `text`. `sanctions-kb
        init --from knowledge.json` verifies it as it verifies fixtures and loads it.
        """
        return stream(EXPORTS["knowledge.json"])


@blp.route("/entities.ftm.json")
class ExportFollowTheMoney(MethodView):
    @_download(EXPORTS["entities.ftm.json"])
    def get(self):
        """Export FollowTheMoney entities

        The knowledge in the OpenSanctions data model, one FtM entity (`id`, `schema`, `properties`) a
        line, for `ftm`, nomenklatura, yente and Aleph.
        """
        return stream(EXPORTS["entities.ftm.json"])


@blp.route("/sources.csl.json")
class ExportCsl(MethodView):
    @_download(EXPORTS["sources.csl.json"])
    def get(self):
        """Export the sources as CSL-JSON

        Every source as a CSL-JSON item (one JSON array), for reference managers and citation processors.
        """
        return stream(EXPORTS["sources.csl.json"])


@blp.route("/datapackage.json")
class ExportDataPackage(MethodView):
    @_download(EXPORTS["datapackage.json"])
    def get(self):
        """Describe the CSV exports (Frictionless Data Package)

        A Tabular Data Package: one resource per CSV export, its `path` relative to this document, its
        columns with their types (string, integer, number, boolean, date...), formats and constraints, its
        primary key and its foreign keys, for frictionless, pandas, DuckDB and any Table Schema reader.
        """
        return stream(EXPORTS["datapackage.json"])


@blp.route("/sources.bib")
class ExportBibtex(MethodView):
    @_download(EXPORTS["sources.bib"])
    def get(self):
        """Export the sources as BibTeX

        Every source as a BibTeX entry, UTF-8, special characters escaped.
        """
        return stream(EXPORTS["sources.bib"])


@blp.route(f"/<one_of({', '.join(TABLES)}):table>.csv")
class ExportCsv(MethodView):
    @blp.response(
        200, {"type": "string"}, content_type="text/csv", description="RFC 4180 CSV (UTF-8, CRLF), header row first."
    )
    @takes_no_query(blp)
    def get(self, table):
        """Export a table as CSV

        One CSV per kind of record (`entities.csv`, `statements.csv`, ...), one row per record in id order
        (records served inside another, such as an entity's roles, in their owner's order), plus
        `citations.csv`: every citation with the kind and id of the fact it supports. Cells: null is
        empty, booleans `true`/`false`, a nested object's fields are columns `field.subfield`, a list of
        values is joined by `; ` (for the exact lists, use records.ndjson), a list of objects is JSON.
        """
        if table not in TABLES:
            abort(404, message=f"no table {table!r} to export: one of {', '.join(TABLES)}")
        return stream(_csv_export(table))


# Any other name: the same view, whose 404 lists the tables (after the guard has refused unusable text with its
# 422). Flask's own rule, not documented: the spec's enum lists the tables.
FlaskBlueprint.add_url_rule(blp, "/<table>.csv", endpoint="ExportCsv")


def stream(export: Export) -> Response:
    """The export, streamed from a snapshot opened now; 304 if the client holds this version already; 503 while
    this worker sends as many exports as it may at once."""
    current = export_etag(data_version())
    if names(request.headers.get("If-None-Match"), both_variants(current)):
        return not_modified((("ETag", current),), export.media_type)  # without a slot or a snapshot
    slots = _slots()
    if not slots.acquire(blocking=False):
        abort(
            503,
            message=f"this server is sending {current_app.config['KB_EXPORT_STREAMS']} export(s) already, as many as "
            "it sends at once; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    try:
        snap = Snapshot(current_app.config["DATABASE_URL"])
    except BaseException:
        slots.release()
        raise

    def close_snapshot() -> None:
        try:
            snap.close()
        finally:
            slots.release()  # even when closing the snapshot fails: the slot is not lost

    finish = _once(close_snapshot)
    try:
        logger = current_app.logger
        response = Response(
            dumps.in_chunks(_logged(export, snap, logger, finish)), mimetype=None, content_type=export.media_type
        )
    except BaseException:
        finish()
        raise
    # The snapshot's version may be newer than the one asked above; if the client holds that one, the way out of
    # streamed answers (web/http.py) answers 304 and closes this one.
    response.headers["ETag"] = export_etag(snap.version)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.name}"'
    response.call_on_close(finish)
    return response


# A streamed answer holds one of the server's threads until its client has read it all (granian sends an iterated
# body from the thread that iterates it), so a worker sends at most KB_EXPORT_STREAMS exports at once and its
# other threads stay free for the API, however slowly the exports' clients read.
RETRY_AFTER = 5  # seconds, in a 503's Retry-After


def _slots() -> threading.BoundedSemaphore:
    slots = current_app.extensions.get("export_streams")
    if slots is None:
        slots = current_app.extensions.setdefault(
            "export_streams", threading.BoundedSemaphore(current_app.config["KB_EXPORT_STREAMS"])
        )
    return slots


def _once(action: Callable[[], object]) -> Callable[[], None]:
    """`action`, run the first time the returned function is called (an answer may be closed more than once)."""
    lock = threading.Lock()
    done: list[bool] = []

    def run() -> None:
        with lock:
            if done:
                return
            done.append(True)
        action()

    return run


def _logged(export: Export, snap: Snapshot, logger, finish: Callable[[], None]) -> Iterator[str]:
    """The export's pieces, then `finish` (its snapshot and slot are not needed for the last chunk's sending); a
    failure midway is logged (the client sees the answer end before its last chunk)."""
    try:
        yield from export.produce(snap)
    except Exception:
        logger.exception("the export %s failed while it was being sent", export.name)
        raise
    finally:
        finish()


def export_etag(version: str) -> str:
    """The ETag of this request's export at `version` (web/conditional.version_etag: its bytes are not known
    before they are sent)."""
    return version_etag(version, request.environ.get("PATH_INFO", ""), request.environ.get("QUERY_STRING", ""))
