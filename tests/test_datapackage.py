"""datapackage.json, the Frictionless Data Package of the CSV exports: frictionless validates it and every CSV
against it, and pandas and DuckDB read every CSV with the types it declares, giving back the records' own values."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import frictionless
import pandas as pd
import pytest

from service import create_app
from service.knowledge import dumps
from service.knowledge.kinds import KINDS
from service.store.snapshot import Snapshot
from tests.helpers import EXPORTS, assert_problem, fetch

# Table Schema types as each reader declares them: pandas dtypes, DuckDB column types. Lists of objects and objects
# are JSON text; dates are parsed as dates.
PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}


@pytest.fixture(scope="module")
def downloaded(loaded_database, tmp_path_factory):
    """datapackage.json and every CSV export it describes, downloaded as a client would, into one folder."""
    client = create_app({"DATABASE_URL": loaded_database, "TESTING": True}).test_client()
    folder = tmp_path_factory.mktemp("exports")
    listed = client.get(EXPORTS).get_json()
    for export in listed:
        if export["name"] == "datapackage.json" or export["name"].endswith(".csv"):
            answer = fetch(client, export["url"])
            assert answer.status_code == 200, export["url"]
            (folder / export["name"]).write_bytes(answer.get_data())
    return folder


@pytest.fixture(scope="module")
def package(downloaded) -> dict:
    return json.loads((downloaded / "datapackage.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def records(loaded_database) -> dict[str, list[dict]]:
    """Each table's rows as the records (a citation with its fact's kind, id and position) the CSV writer reads."""
    snap = Snapshot(loaded_database)
    try:
        tables = {kind.plural: list(dumps.snapshot_records(snap, kind)) for kind in KINDS}
    finally:
        snap.close()
    tables["citations"] = [
        {**citation, "fact_type": kind.name, "fact_id": record["id"], "position": position}
        for kind in KINDS
        if kind.cited
        for record in tables[kind.plural]
        for position, citation in enumerate(record["citations"], start=1)
    ]
    return tables


def test_frictionless_validates_the_package_and_every_csv_against_it(downloaded, package):
    report = frictionless.validate(downloaded / "datapackage.json")
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(package["resources"])
    assert sum(task.stats["rows"] for task in report.tasks) > 0


def test_frictionless_refuses_a_csv_that_breaks_what_the_package_declares(downloaded, package, tmp_path):
    # The package's constraints hold the CSVs to something: a vote that is not in the vocabulary is refused.
    for name in ("datapackage.json", *(resource["path"] for resource in package["resources"])):
        (tmp_path / name).write_bytes((downloaded / name).read_bytes())
    votes = (tmp_path / "votes.csv").read_text(encoding="utf-8")
    assert ",yes," in votes
    (tmp_path / "votes.csv").write_text(votes.replace(",yes,", ",maybe,", 1), encoding="utf-8")
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert not report.valid
    assert {error_type for (error_type,) in report.flatten(["type"])} == {"constraint-error"}


def test_every_csv_export_is_a_resource_with_its_header_as_fields(client, downloaded, package):
    listed = [e["name"] for e in client.get(EXPORTS).get_json() if e["name"].endswith(".csv")]
    assert [resource["path"] for resource in package["resources"]] == listed
    for resource in package["resources"]:
        header = (downloaded / resource["path"]).read_bytes().decode("utf-8").split("\r\n", 1)[0]
        assert [field["name"] for field in resource["schema"]["fields"]] == header.split(","), resource["name"]


def test_the_package_is_the_csv_writers_own_declaration(package):
    described = {resource["name"]: resource["schema"]["fields"] for resource in package["resources"]}
    assert described == {
        table: [{"name": column.name, **column.field} for column in columns] for table, columns in dumps.csv_tables()
    }


def test_a_column_added_to_the_declaration_is_in_the_csv_and_the_package(app, client, monkeypatch):
    declared = dumps.kind_columns

    def with_identifier(kind):
        columns = declared(kind)
        if kind.name == "entity":
            columns.append(dumps.Column("wikidata", lambda record: None, {"type": "string"}))
        return columns

    monkeypatch.setattr(dumps, "kind_columns", with_identifier)
    header = fetch(client, f"{EXPORTS}/entities.csv").get_data(as_text=True).split("\r\n", 1)[0]
    assert header.endswith(",wikidata")
    package = json.loads(fetch(client, f"{EXPORTS}/datapackage.json").get_data())
    [entities] = [resource for resource in package["resources"] if resource["name"] == "entities"]
    assert entities["schema"]["fields"][-1] == {"name": "wikidata", "type": "string"}


def test_closed_vocabularies_keys_and_types_are_declared(package):
    resources = {resource["name"]: resource for resource in package["resources"]}
    votes = {field["name"]: field for field in resources["votes"]["schema"]["fields"]}
    assert votes["vote"]["type"] == "string"
    assert votes["vote"]["constraints"]["enum"] == ["yes", "no", "abstain"]
    assert votes["support.sources"]["type"] == "integer"
    assert resources["votes"]["schema"]["primaryKey"] == ["id"]
    assert {"fields": ["member"], "reference": {"resource": "entities", "fields": ["id"]}} in resources["votes"][
        "schema"
    ]["foreignKeys"]
    events = {field["name"]: field for field in resources["events"]["schema"]["fields"]}
    assert events["date_earliest"]["type"] == events["occurred_on"]["type"] == "date"
    figures = {field["name"]: field for field in resources["figures"]["schema"]["fields"]}
    assert figures["value"]["type"] == "number" and figures["approximate"]["type"] == "boolean"
    citations = resources["citations"]["schema"]
    assert citations["primaryKey"] == ["fact_type", "fact_id", "position"]
    assert {field["name"]: field["type"] for field in citations["fields"]}["start"] == "integer"


def _expected(value, field: dict):
    """A record's value as a reader of the declared type gives it back."""
    if value is None or value == []:
        return None
    if field["type"] == "date":
        return date.fromisoformat(value)
    if field["type"] == "number":
        return float(value)
    if field["type"] in ("array", "object") or isinstance(value, list):
        return dumps.cell(value)
    return value


def _from_pandas(read):
    if read is pd.NA or read is pd.NaT:
        return None
    return read.date() if isinstance(read, pd.Timestamp) else read


def test_pandas_reads_every_csv_with_the_declared_types(downloaded, package, records):
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        frame = pd.read_csv(
            downloaded / resource["path"],
            dtype={f["name"]: PANDAS_TYPES.get(f["type"], "string") for f in fields if f["type"] != "date"},
            parse_dates=[f["name"] for f in fields if f["type"] == "date"],
            date_format="%Y-%m-%d",
            keep_default_na=False,
            na_values=[""],
            true_values=["true"],
            false_values=["false"],
        )
        columns = dict(dumps.csv_tables())[resource["name"]]
        rows = records[resource["name"]]
        assert len(frame) == len(rows), resource["name"]
        for field, column in zip(fields, columns, strict=True):
            if field["type"] == "date":
                assert str(frame[field["name"]].dtype).startswith("datetime64"), (resource["name"], field["name"])
            else:
                assert str(frame[field["name"]].dtype) == PANDAS_TYPES.get(field["type"], "string")
            for read, record in zip(frame[field["name"]].tolist(), rows, strict=True):
                read, expected = _from_pandas(read), _expected(column.value(record), field)
                assert read == expected and type(read) is type(expected), (resource["name"], field["name"], read)
    votes = pd.read_csv(downloaded / "votes.csv", dtype={"vote": "string"}, keep_default_na=False)
    assert set(votes["vote"]) <= {"yes", "no", "abstain"} and "yes" in set(votes["vote"])


def test_duckdb_reads_every_csv_with_the_declared_types(downloaded, package, records):
    connection = duckdb.connect()
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        declared = {f["name"]: DUCKDB_TYPES.get(f["type"], "VARCHAR") for f in fields}
        relation = connection.read_csv(
            str(downloaded / resource["path"]),
            header=True,
            columns=declared,
            quotechar='"',
            escapechar='"',
        )
        assert dict(zip(relation.columns, map(str, relation.types), strict=True)) == declared, resource["name"]
        rows = relation.fetchall()
        expected_rows = records[resource["name"]]
        assert len(rows) == len(expected_rows), resource["name"]
        columns = dict(dumps.csv_tables())[resource["name"]]
        for row, record in zip(rows, expected_rows, strict=True):
            for read, field, column in zip(row, fields, columns, strict=True):
                expected = _expected(column.value(record), field)
                assert read == expected and type(read) is type(expected), (resource["name"], field["name"], read)
    votes = connection.read_csv(str(downloaded / "votes.csv"), header=True, columns=declared_of(package, "votes"))
    assert {vote for (vote,) in votes.project("vote").fetchall()} <= {"yes", "no", "abstain"}


def declared_of(package: dict, table: str) -> dict[str, str]:
    [resource] = [r for r in package["resources"] if r["name"] == table]
    return {f["name"]: DUCKDB_TYPES.get(f["type"], "VARCHAR") for f in resource["schema"]["fields"]}


def test_the_package_has_its_data_versions_etag_and_refuses_parameters(client):
    first = fetch(client, f"{EXPORTS}/datapackage.json")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert first.headers["Content-Disposition"] == 'attachment; filename="datapackage.json"'
    etag = first.headers["ETag"]
    assert fetch(client, f"{EXPORTS}/records.ndjson").headers["ETag"] != etag  # one per export, as every export's
    again = fetch(client, f"{EXPORTS}/datapackage.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert_problem(fetch(client, f"{EXPORTS}/datapackage.json?format=csv"), 422, "format")
