"""The bulk exports: each the whole knowledge of one data version, streamed from a snapshot, with that version's
ETag; NDJSON equal to what each record's URL serves, a JSON document `init --from` loads back into the same
knowledge, CSV a spreadsheet reads, FollowTheMoney and CSL-JSON read by their own ecosystems' libraries."""

from __future__ import annotations

import csv
import io
import json

import pytest

from service import create_app
from service.cli import init_command
from service.knowledge import dumps
from service.knowledge.kinds import KINDS, SERVED
from service.store import models as m
from service.store import snapshot as snapshot_module
from service.store.db import db
from service.store.snapshot import Snapshot
from tests.helpers import (
    EXPORTS,
    assert_problem,
    auth,
    curated_fact_count,
    fetch,
    propose,
    statement,
    stored_documents,
)


def test_the_index_lists_every_export_and_each_answers_with_its_media_type(client):
    listed = client.get(EXPORTS)
    assert listed.status_code == 200
    names = [e["name"] for e in listed.get_json()]
    assert names[:6] == bulk_names()
    assert names[6:] == [f"{kind.plural}.csv" for kind in KINDS] + ["citations.csv"]
    for export in listed.get_json():
        answer = client.get(export["url"], buffered=False)
        assert answer.status_code == 200, export["url"]
        assert answer.headers["Content-Type"] == export["media_type"], export["url"]
        assert answer.headers["Content-Disposition"] == f'attachment; filename="{export["name"]}"'
        assert answer.is_streamed and "Content-Length" not in answer.headers  # streamed, never built in memory
        assert answer.get_data(), export["url"]
        answer.close()


def test_records_ndjson_is_every_record_exactly_as_its_url_serves_it(app, client):
    answer = fetch(client, f"{EXPORTS}/records.ndjson")
    lines = answer.get_data(as_text=True).splitlines(keepends=True)
    assert all(line.endswith("}\n") for line in lines)
    records = [json.loads(line) for line in lines]
    assert [list(r) for r in records] == [["type", "id", "record"]] * len(records)
    documents = stored_documents(app)
    assert [(r["type"], r["id"]) for r in records] == [
        (kind.name, record_id)
        for kind in SERVED
        for record_id in sorted(record_id for k, record_id in documents if k == kind.name)
    ]
    for record in records:
        assert record["record"] == json.loads(documents[(record["type"], record["id"])])
        assert record["record"]["id"] == record["id"]
    kinds = {kind.name: kind for kind in KINDS}
    for record in records[::7]:  # and, through the API, what the record's own URL answers
        url = kinds[record["type"]].url
        if url:
            assert client.get(url.format(id=record["id"])).get_json() == record["record"]
    ri = next(r["record"] for r in records if r["id"] == "ri-seoul-proposals-lacked-sincerity")
    assert ri["citations"] and ri["support"]["independent_sources"] == 1


def test_an_export_has_the_data_versions_etag_and_answers_304_to_it(curation):
    app, client, tokens = curation
    first = fetch(client, f"{EXPORTS}/records.ndjson")
    etag = first.headers["ETag"]
    assert fetch(client, f"{EXPORTS}/records.ndjson").headers["ETag"] == etag
    assert fetch(client, f"{EXPORTS}/knowledge.json").headers["ETag"] != etag  # one per export
    unchanged = fetch(client, f"{EXPORTS}/records.ndjson", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b"" and unchanged.headers["ETag"] == etag
    assert fetch(client, f"{EXPORTS}/records.ndjson", method="HEAD").headers["ETag"] == etag

    change = propose(client, tokens["curator"], record=statement()).get_json()
    assert client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"])).status_code == 200
    after = fetch(client, f"{EXPORTS}/records.ndjson", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert '"id":"kang-urges-ri-test"' in after.get_data(as_text=True)
    assert '"id":"kang-urges-ri-test"' not in first.get_data(as_text=True)


def test_a_change_published_while_an_export_is_read_is_not_in_it(curation):
    app, client, tokens = curation
    before = fetch(client, f"{EXPORTS}/records.ndjson").get_data()
    reading = client.get(f"{EXPORTS}/records.ndjson", buffered=False)  # its snapshot is taken now
    chunks = iter(reading.response)
    received = [next(chunks)]
    # And a snapshot read five rows at a time: many reads, so the change lands between two of them.
    snap = Snapshot(app.config["DATABASE_URL"], batch=5)
    pieces = dumps.records_ndjson(snap)
    read = [next(pieces) for _ in range(7)]
    change = propose(client, tokens["curator"], record=statement()).get_json()
    assert client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"])).status_code == 200
    received += list(chunks)
    reading.close()
    read += list(pieces)
    snap.close()
    assert b"".join(received) == before  # the snapshot's version throughout
    assert "".join(read).encode() == before
    assert fetch(client, f"{EXPORTS}/records.ndjson").get_data() != before  # and the next export has the change


def test_reading_in_small_batches_gives_the_same_bytes(app, client):
    produced = {"records.ndjson": dumps.records_ndjson, "knowledge.json": dumps.knowledge_json}
    for name, produce in produced.items():
        snap = Snapshot(app.config["DATABASE_URL"], batch=3)  # every batch boundary crossed many times
        try:
            assert "".join(produce(snap)).encode() == fetch(client, f"{EXPORTS}/{name}").get_data(), name
        finally:
            snap.close()


def test_the_knowledge_document_loads_back_into_the_same_knowledge(app, client, new_database_url, tmp_path):
    document = fetch(client, f"{EXPORTS}/knowledge.json").get_data()
    parsed = json.loads(document)
    assert list(parsed)[:3] == ["format", "format_version", "data_version"]
    assert parsed["data_version"] == client.get("/health").get_json()["data_version"]
    articles = [s for s in parsed["sources"] if s["kind"] == "article"]
    assert articles and all(s["text"] and s["file"].endswith(".txt") for s in articles)
    exported = tmp_path / "knowledge.json"
    exported.write_bytes(document)

    other = create_app({"DATABASE_URL": new_database_url(), "TESTING": True})
    runner = other.test_cli_runner()
    loaded = runner.invoke(init_command, ["--from", str(exported)])
    assert loaded.exit_code == 0, loaded.output
    where = other.config["DATABASE_URL"]
    assert loaded.output.startswith(f"loaded {curated_fact_count()} facts into {where} from the export "), loaded.output
    assert stored_documents(other) == stored_documents(app)  # every record, byte for byte
    other_client = other.test_client()
    assert other_client.get("/health").get_json()["data_version"] == parsed["data_version"]
    assert fetch(other_client, f"{EXPORTS}/knowledge.json").get_data() == document
    text = other_client.get(f"/api/v1/sources/{articles[0]['id']}/text").get_data(as_text=True)
    assert text == articles[0]["text"]

    again = runner.invoke(init_command, ["--from", str(exported)])
    assert again.output.strip().endswith("nothing to do"), again.output
    # The database is now its own record: a plain init (as `serve` runs) keeps it rather than load the fixtures.
    kept = runner.invoke(init_command)
    assert kept.exit_code == 0 and "holds knowledge loaded from an export (init --from): kept" in kept.output


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda d: d.update(format="something else"), "not a knowledge export"),
        (lambda d: d.update(format_version=99), "format_version 99 is not one this release reads"),
        (lambda d: d.pop("statements"), "the export has no list of statements"),
        (
            lambda d: next(s for s in d["sources"] if s["kind"] == "article").update(file="../x.txt"),
            "plain text file name",
        ),
        (
            lambda d: d["statements"][0].update(quote="Words nobody said in any of the cited passages"),
            "the statement's quote is not inside any of its cited passages",
        ),
        (lambda d: next(s for s in d["sources"] if s["kind"] == "article").update(text="Edited."), "sha256 is"),
    ],
)
def test_init_from_a_bad_export_says_why_and_writes_nothing(client, new_database_url, tmp_path, damage, problem):
    document = json.loads(fetch(client, f"{EXPORTS}/knowledge.json").get_data())
    damage(document)
    exported = tmp_path / "knowledge.json"
    exported.write_text(json.dumps(document), encoding="utf-8")
    other = create_app({"DATABASE_URL": new_database_url(), "TESTING": True})
    runner = other.test_cli_runner()
    assert runner.invoke(init_command).exit_code == 0  # the fixtures, loaded
    before = stored_documents(other)
    refused = runner.invoke(init_command, ["--from", str(exported)])
    assert refused.exit_code != 0 and problem in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert stored_documents(other) == before


def test_init_from_a_file_that_is_not_json_says_so(new_database_url, tmp_path):
    broken = tmp_path / "knowledge.json"
    broken.write_text('{"format": ', encoding="utf-8")
    runner = create_app({"DATABASE_URL": new_database_url(), "TESTING": True}).test_cli_runner()
    refused = runner.invoke(init_command, ["--from", str(broken)])
    assert refused.exit_code != 0 and "is not valid JSON" in refused.output
    missing = runner.invoke(init_command, ["--from", str(tmp_path / "absent.json")])
    assert missing.exit_code != 0 and "cannot read the export" in missing.output


def _csv(client, name: str) -> list[dict]:
    answer = fetch(client, f"{EXPORTS}/{name}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    body = answer.get_data(as_text=True)
    assert body.endswith("\r\n") and "\r\n" in body.split("\n", 1)[0] + "\n"
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_a_csv_per_kind_one_row_per_record_as_a_spreadsheet_reads_it(app, client):
    documents = stored_documents(app)
    statements = _csv(client, "statements.csv")
    assert [row["id"] for row in statements] == sorted(i for k, i in documents if k == "statement")
    assert "citations" not in statements[0] and "support.independent_sources" in statements[0]
    ri = next(row for row in statements if row["id"] == "ri-seoul-proposals-lacked-sincerity")
    served = json.loads(documents[("statement", "ri-seoul-proposals-lacked-sincerity")])
    assert ri["quote"] == served["quote"]  # the verbatim words, quotes and commas intact
    assert ri["topics"] == "; ".join(served["topics"])
    assert ri["reported_via"] == "yonhap-unnamed-official; yonhap"
    assert json.loads(ri["attribution_chain"]) == served["attribution_chain"]
    assert ri["support.independent_sources"] == "1" and ri["hands"] == "3"
    entities = {row["id"]: row for row in _csv(client, "entities.csv")}
    assert (
        entities["ri-yong-ho"]["aliases"] == "Ri Yong Ho; Ri Yong-Ho; Ri" and entities["ri-yong-ho"]["named"] == "true"
    )
    assert entities["north-korea"]["country"] == ""  # null is an empty cell
    roles = _csv(client, "roles.csv")  # served inside entities, exported as a table of their own
    assert {"ri-yong-ho-foreign-minister"} <= {row["id"] for row in roles}
    assert "roles" not in next(iter(entities.values()))
    # No value of a joined list holds the separator, so a join can be split back exactly.
    records = [json.loads(body) for body in documents.values()]
    records += [inner for record in records for key in ("roles", "claims") for inner in record.get(key, [])]
    for record in records:
        for value in record.values():
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                assert not any(dumps.LIST_SEPARATOR in item for item in value), record["id"]


def test_the_citations_csv_gives_every_citation_with_its_fact(app, client):
    rows = _csv(client, "citations.csv")
    assert list(rows[0]) == list(dumps.CITATION_COLUMNS)
    with app.app_context(), db.connection_context():
        assert len(rows) == m.Citation.select().count()
        texts = dict(m.Source.select(m.Source.id, m.Source.text).tuples())
    for row in rows:
        if row["quote"]:
            assert texts[row["source"]][int(row["start"]) : int(row["end"])] == row["quote"], row
        else:
            assert row["start"] == row["end"] == ""
    ri = [row for row in rows if row["fact_id"] == "ri-yong-ho-foreign-minister"]
    assert [(r["fact_type"], r["position"]) for r in ri] == [("role", "1"), ("role", "2")]
    assert {row["fact_type"] for row in rows} == {kind.name for kind in KINDS if kind.cited}


def test_exports_refuse_parameters_and_unknown_tables(client):
    assert_problem(fetch(client, f"{EXPORTS}/records.ndjson?page=2"), 422, "page")
    assert_problem(fetch(client, f"{EXPORTS}/statements.csv?limit=1"), 422, "limit")
    assert_problem(fetch(client, f"{EXPORTS}/secrets.csv"), 404)


def test_the_spec_documents_every_export(client):
    spec = client.get("/openapi.json").get_json()
    paths = {path: item["get"] for path, item in spec["paths"].items() if path.startswith(EXPORTS)}
    assert set(paths) == {EXPORTS, *(f"{EXPORTS}/{n}" for n in bulk_names()), f"{EXPORTS}/{{table}}.csv"}
    [table] = [p for p in spec["paths"][f"{EXPORTS}/{{table}}.csv"]["parameters"] if p["name"] == "table"]
    assert table["schema"]["enum"] == sorted([kind.plural for kind in KINDS] + ["citations"])
    assert "text/csv" in paths[f"{EXPORTS}/{{table}}.csv"]["responses"]["200"]["content"]
    assert "application/x-ndjson" in paths[f"{EXPORTS}/records.ndjson"]["responses"]["200"]["content"]


def bulk_names() -> list[str]:
    return [
        "records.ndjson",
        "knowledge.json",
        "entities.ftm.json",
        "sources.csl.json",
        "sources.bib",
        "datapackage.json",
    ]


def test_every_snapshot_is_closed_read_or_not(client, monkeypatch):
    opened, closed = [], []
    real_init, real_close = snapshot_module.Snapshot.__init__, snapshot_module.Snapshot.close

    def init(self, url):
        real_init(self, url)
        opened.append(self)

    def close(self):
        if not self.closed:
            closed.append(self)
        real_close(self)

    monkeypatch.setattr(snapshot_module.Snapshot, "__init__", init)
    monkeypatch.setattr(snapshot_module.Snapshot, "close", close)
    fetch(client, f"{EXPORTS}/records.ndjson")  # read to the end
    fetch(client, f"{EXPORTS}/records.ndjson", method="HEAD")  # never read
    etag = fetch(client, f"{EXPORTS}/statements.csv").headers["ETag"]
    assert fetch(client, f"{EXPORTS}/statements.csv", headers={"If-None-Match": etag}).status_code == 304  # none opened
    abandoned = client.get(f"{EXPORTS}/knowledge.json", buffered=False)
    next(iter(abandoned.response))
    abandoned.close()  # the client went away after the first chunk
    assert len(opened) == 4 and closed == opened


def test_a_worker_sends_as_many_exports_at_once_as_configured_and_the_api_meanwhile(loaded_database):
    app = create_app({"DATABASE_URL": loaded_database, "TESTING": True, "KB_EXPORT_STREAMS": 1})
    client = app.test_client()
    etag = fetch(client, f"{EXPORTS}/records.ndjson").headers["ETag"]
    first = client.get(f"{EXPORTS}/records.ndjson", buffered=False)
    next(iter(first.response))  # being sent, slowly
    busy = fetch(client, f"{EXPORTS}/citations.csv")
    assert_problem(busy, 503, "as many as it sends at once; retry shortly")
    assert busy.headers["Retry-After"] == "5"
    assert fetch(client, f"{EXPORTS}/records.ndjson", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/statements?page_size=1").status_code == 200
    first.close()
    assert fetch(client, f"{EXPORTS}/citations.csv").status_code == 200  # the slot is free again


def test_a_snapshot_that_fails_to_close_still_frees_its_slot(loaded_database, monkeypatch):
    # Closing a snapshot rolls back and closes its connection, which fails when the connection was lost meanwhile.
    app = create_app({"DATABASE_URL": loaded_database, "TESTING": True, "KB_EXPORT_STREAMS": 1})
    client = app.test_client()
    real_close = snapshot_module.Snapshot.close
    failures = [ConnectionError("the connection was lost")]

    def close(self):
        real_close(self)
        if failures:
            raise failures.pop()

    monkeypatch.setattr(snapshot_module.Snapshot, "close", close)
    with pytest.raises(ConnectionError):
        fetch(client, f"{EXPORTS}/records.ndjson")  # closed once its last chunk is produced
    assert fetch(client, f"{EXPORTS}/citations.csv").status_code == 200  # the worker's one slot is free again
