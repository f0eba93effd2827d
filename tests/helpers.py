"""Helpers the test modules share: where the curated knowledge lives, fixture I/O and what it counts, waiting on a
condition, the problem+json check, a proposed change, an export read to its end, PostgreSQL administration."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT

FIXTURES_DIR = PROJECT_ROOT / "fixtures"
SEEDS_DIR = PROJECT_ROOT / "seeds"

# KB_TEST_DATABASE=postgresql runs the whole suite on the PostgreSQL server at KB_TEST_POSTGRES_URL (each
# database the tests use is created for them and dropped after); anything else, or unset, runs it on SQLite files.
ENGINE = os.environ.get("KB_TEST_DATABASE", "sqlite")
POSTGRES_SERVER = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def read_fixture(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_fixture(path: Path, records) -> None:
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")


# The fixture files whose records are not facts (the sources cited, the topics named, the disputes whose claims
# are the facts); every other fixture file holds facts, each cited.
NOT_FACTS = ("references.json", "topics.json", "disputes.json")


def curated_fact_count(fixtures_dir: Path = FIXTURES_DIR) -> int:
    """How many facts the fixture files hold, counted from the files (what `init` and `check` report)."""
    return sum(len(read_fixture(path)) for path in fixtures_dir.glob("*.json") if path.name not in NOT_FACTS)


def article_text(source_id: str, seeds_dir: Path = SEEDS_DIR) -> str:
    """The text of the article with this id, from its metadata and text file in the seeds."""
    for path in seeds_dir.glob("*.json"):
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta["id"] == source_id:
            return (seeds_dir / meta["file"]).read_text(encoding="utf-8")
    raise LookupError(f"no article {source_id!r} in {seeds_dir}")


def wait_until(condition: Callable[[], object], timeout: float, what: str = "the condition") -> None:
    """Return as soon as `condition()` is true; fail the test if it is still false after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout} s")
        time.sleep(0.02)


@contextlib.contextmanager
def writes_refused(url: str, table: str) -> Iterator[None]:
    """Inside the block, every insert, update and delete on `table` of the database at `url` fails as a full disk
    would fail it (a trigger raising "the disk is full"): what a transaction wrote before it must roll back. The
    trigger is made and dropped through a connection of its own."""
    from peewee import SqliteDatabase

    from service.store.db import open_database

    operations = ("INSERT", "UPDATE", "DELETE")
    database = open_database(url, pooled=False)
    if isinstance(database, SqliteDatabase):
        made = [
            f'CREATE TRIGGER "refused_{operation.lower()}_{table}" BEFORE {operation} ON "{table}" '
            "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
            for operation in operations
        ]
        dropped = [f'DROP TRIGGER "refused_{operation.lower()}_{table}"' for operation in operations]
    else:
        made = [
            "CREATE OR REPLACE FUNCTION refused_write() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the disk is full'; END $$",
            f'CREATE TRIGGER "refused_{table}" BEFORE {" OR ".join(operations)} ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION refused_write()",
        ]
        dropped = [f'DROP TRIGGER "refused_{table}" ON "{table}"', "DROP FUNCTION refused_write()"]
    with database.connection_context():
        for statement in made:
            database.execute_sql(statement)
    try:
        yield
    finally:
        with database.connection_context():
            for statement in dropped:
                database.execute_sql(statement)


def postgres_admin(statement: str) -> None:
    """Run one statement on the PostgreSQL server's maintenance database, outside a transaction."""
    import psycopg2

    connection = psycopg2.connect(f"{POSTGRES_SERVER}/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def needs_postgres(test):
    """Mark a test as PostgreSQL-only: deselected from the plain run, run by scripts/test-postgres.sh."""

    def require_engine(*args, **kwargs):
        if ENGINE != "postgresql":
            pytest.fail("this test needs KB_TEST_DATABASE=postgresql: run scripts/test-postgres.sh")
        return test(*args, **kwargs)

    return pytest.mark.postgres(functools.wraps(test)(require_engine))


def auth(token: str, **headers) -> dict:
    """Request headers with a bearer token (and any others given)."""
    return {"Authorization": f"Bearer {token}", **headers}


def with_params(url: str, params: str) -> str:
    return url + ("&" if "?" in url else "?") + params


def assert_problem(response, status: int, *fragments: str) -> dict:
    """The response is an RFC 9457 problem of this status whose detail contains every fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["instance"] == response.request.path
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


# Values for path parameters of the routes outside the API (the docs page's assets).
NON_API_SAMPLES = {
    "filename": "swagger-ui.css",
    "asset": "evidence.css",
    "kind_name": "statement",  # the workbench's history and fact forms
    "record_id": "ri-seoul-proposals-lacked-sincerity",
}


def parameter_example(parameter: dict):
    """A parameter's example: its own, its schema's, or the first of its `examples` that gives a value."""
    if "example" in parameter:
        return parameter["example"]
    if "example" in parameter.get("schema", {}):
        return parameter["schema"]["example"]
    return next(e["value"] for e in parameter.get("examples", {}).values() if e.get("value") not in (None, ""))


def route_catalogue() -> list[dict]:
    """Every route of the app, from its URL map, with a URL that answers 200 (path and required query
    parameters filled with the spec's examples; with a bearer token where it is `secured`), its methods, whether
    it is a paginated list, and its documented query parameters with their examples."""
    import re

    from service import create_app

    # Building the app opens no connection: the URL map and the spec are all that is read here.
    app = create_app({"DATABASE_URL": "sqlite:///never-opened.sqlite3"})
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    samples = dict(NON_API_SAMPLES)
    operations = {}
    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):
            if parameter["in"] == "path":
                samples.setdefault(parameter["name"], parameter["example"])
        operations[re.sub(r"\{(\w+)\}", r"<\1>", path)] = item.get("get", {})
    catalogue = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        plain = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"<\1>", rule.rule)
        missing = [name for name in rule.arguments if name not in samples]
        assert not missing, f"{rule.rule}: no example for {missing}; document it in the spec or in NON_API_SAMPLES"
        url = re.sub(r"<(\w+)>", lambda m: str(samples[m.group(1)]), plain)
        query = [p for p in operations.get(plain, {}).get("parameters", []) if p["in"] == "query"]
        required = "&".join(
            f"{p['name']}={p.get('example', p['schema'].get('example'))}" for p in query if p.get("required")
        )
        catalogue.append(
            {
                "rule": rule.rule,
                "url": f"{url}?{required}" if required else url,
                "template": plain,
                "arguments": sorted(rule.arguments),
                "methods": sorted(rule.methods),
                "is_list": any(p["name"] == "page" for p in query),
                "secured": bool(operations.get(plain, {}).get("security")),
                # A page of the workbench: for people with a session, not in the spec (tests/test_workbench.py).
                "workbench": rule.endpoint.startswith("workbench."),
                "query": {p["name"]: str(parameter_example(p)) for p in query},
            }
        )
    return catalogue


def sign_in_to_the_workbench(client, token: str) -> None:
    """Sign the client in to the workbench with this curator's or editor's token (its cookie then goes along)."""
    import re

    form = client.get("/workbench/sign-in")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.get_data(as_text=True)).group(1)
    answer = client.post("/workbench/sign-in", data={"token": token, "csrf_token": csrf})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]


def loaded_sqlite_reference(directory: Path) -> str:
    """A SQLite file in `directory` loaded with the curated knowledge: the reference the other engine is held to."""
    from service import create_app
    from service.knowledge.lifecycle import initialise_database

    url = f"sqlite:///{directory / 'reference.sqlite3'}"
    with create_app({"DATABASE_URL": url}).app_context():
        initialise_database()
    return url


def stored_documents(app) -> dict[tuple[str, str], str]:
    """Every served record's stored document (its JSON text), by (kind, id), from an app's database."""
    from service.store import models as m
    from service.store.db import db

    with app.app_context(), db.connection_context():
        return {(d.kind, d.record_id): d.body for d in m.Document.select()}


# -- the curation API: one statement proposed by the tests -----------------------------------------------------------

KANG = "Kang urged Ri to accept Seoul's offer of talks aimed at lowering tensions on the divided Korean Peninsula."


def statement(**changes) -> dict:
    """A statement record citing one passage of an article, as a curator would propose it."""
    record = {
        "speaker": "kang-kyung-wha",
        "speaker_as_written": "Kang",
        "said_on": "2017-08-06",
        "date_precision": "day",
        "topics": ["dialogue"],
        "stance": "supports",
        "summary": "Kang urged Ri to accept Seoul's offer of talks.",
        "quote": None,
        "attribution": "reported",
        "attribution_chain": [{"relay": "yonhap", "attribution": "reported", "note": "'According to the report'"}],
        "citations": [{"source": "presstv-manila-talks-2017-08-07", "quote": KANG}],
    }
    return {**record, **changes}


def propose(client, token, action="create", record_id="kang-urges-ri-test", record=None, **headers):
    body = {"kind": "statement", "action": action, "id": record_id, "summary": f"{action} {record_id}"}
    if record is not None:
        body["record"] = record
    return client.post("/api/v1/changes", json=body, headers=auth(token, **headers))


# -- exports -----------------------------------------------------------------------------------------------------------

EXPORTS = "/api/v1/exports"


def fetch(client, url: str, method: str = "GET", **options):
    """An answer read to its end and closed, as a server closes it (an export holds its snapshot until then)."""
    answer = client.open(url, method=method, buffered=True, **options)
    answer.get_data()
    answer.close()
    return answer


# -- copies of the knowledge, edited --------------------------------------------------------------------------------


def problems_of(root) -> list[str]:
    """The problems reading the knowledge copied under `root` reports (it must report some)."""
    from service.knowledge.read import KnowledgeError, read_knowledge

    with pytest.raises(KnowledgeError) as caught:
        read_knowledge(root / "fixtures", root / "seeds")
    return caught.value.problems


def edit_record(root, file_name: str, record_id: str | None, change) -> dict:
    """Apply `change` to one record of a fixture file in a copy of the knowledge; return the record."""
    path = root / "fixtures" / file_name
    records = read_fixture(path)
    record = records[0] if record_id is None else next(r for r in records if r["id"] == record_id)
    change(record)
    write_fixture(path, records)
    return record


def synthetic_fixtures(directory: Path, statements: int) -> Path:
    """A copy of fixtures/ under `directory` with `statements` made-up statements added (scripts/synth.py: each
    cites a real passage), for tests that need more knowledge than is curated; with SEEDS_DIR it loads."""
    import importlib.util
    import shutil

    spec = importlib.util.spec_from_file_location("synth", PROJECT_ROOT / "scripts" / "synth.py")
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    fixtures = directory / "fixtures"
    shutil.copytree(FIXTURES_DIR, fixtures)
    curated = read_fixture(fixtures / "statements.json")
    made = synth.synthetic_statements(fixtures, curated_fact_count(fixtures) + statements)
    assert len(made) >= statements
    write_fixture(fixtures / "statements.json", curated + made)
    return fixtures


def database_state() -> dict:
    """Every row the knowledge occupies (records, links, citations, documents, /facts rows, search entries), as
    sorted tuples: what two ways of publishing must agree on. Auto-numbered ids, load times and how the knowledge
    was reached (the epoch a full load starts, the last revision published since) are left out."""
    from service.store import models as m
    from service.store.db import db, uses_sqlite
    from service.store.search_index import search_index_documents

    state = {}
    for model in m.MODELS:
        fields = [f for f in model._meta.sorted_field_names if f not in ("loaded_at", "epoch", "revision")]
        if model._meta.auto_increment:
            fields.remove(model._meta.primary_key.name)
        state[model._meta.table_name] = sorted(
            tuple(json.dumps(v, default=str) for v in row)
            for row in model.select(*[getattr(model, f) for f in fields]).tuples()
        )
    state["search"] = sorted(tuple(sorted(d.items())) for d in search_index_documents())
    if uses_sqlite():
        state["statement_text"] = sorted(
            db.execute_sql('SELECT "statement_id", "text" FROM "statement_text"').fetchall()
        )
    return state
