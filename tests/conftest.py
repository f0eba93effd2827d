"""Shared fixtures: an app on a temporary SQLite file loaded with the curated knowledge, its client and CLI runner."""

import shutil
import uuid
from pathlib import Path

import pytest

from service import create_app
from service.knowledge.lifecycle import initialise_database
from tests.helpers import ENGINE, FIXTURES_DIR, POSTGRES_SERVER, SEEDS_DIR, postgres_admin


@pytest.fixture(scope="session")
def new_database_url(tmp_path_factory):
    """A factory of empty databases of the engine under test; PostgreSQL ones are dropped at the end."""
    created: list[str] = []

    def make() -> str:
        if ENGINE != "postgresql":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'sanctions-kb.sqlite3'}"
        name = f"sanctions_kb_test_{uuid.uuid4().hex[:12]}"
        postgres_admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{POSTGRES_SERVER}/{name}"

    yield make
    from service.store.db import db

    if not db.is_closed():
        db.close()
    for name in created:
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def written_rows(url: str) -> dict[str, object]:
    """What a write leaves in a database: its tokens, its changes (a publication's revision is one of them) and its
    data version."""
    from service.store import models as m
    from service.store.db import db

    with create_app({"DATABASE_URL": url}).app_context(), db.connection_context():
        return {
            "tokens": m.Token.select().count(),
            "changes": m.Change.select().count(),
            "data_version": m.Dataset.select(m.Dataset.version).scalar(),
        }


@pytest.fixture(scope="session")
def loaded_database(new_database_url):
    """One database per test session, loaded once with the real fixtures. Tests only read it: at the end of the
    session it must hold what the load left (no token or change, the same data version); tests that
    write use `written_database` or a database of their own."""
    url = new_database_url()
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
    loaded = written_rows(url)
    assert loaded["tokens"] == loaded["changes"] == 0
    yield url
    assert written_rows(url) == loaded, "a test wrote into the shared read-only database"


@pytest.fixture(scope="session")
def written_database(new_database_url) -> tuple[str, str]:
    """A database of its own, loaded, holding a curator's bearer token, change 1, its proposal awaiting review
    (the spec's example change), and revision 1 (the spec's example revision: a topic created). Its URL and the
    token."""
    from service.knowledge.curation import propose, publish
    from service.store.db import db
    from service.store.tokens import issue_token

    url = new_database_url()
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
    name = f"test-curator-{uuid.uuid4().hex[:8]}"
    with app.app_context(), db.connection_context():
        secret = issue_token(name, "curator")
        record = {"id": "test-topic", "description": "A topic proposed by the tests, never published."}
        propose("topic", "create", "test-topic", record, "example change", name, lambda record_id, record: None)
        # Revision 1 (the spec's example revision): a topic of its own, which nothing else names.
        record = {"id": "test-published-topic", "description": "A topic the tests published."}
        change = propose("topic", "create", "test-published-topic", record, "example revision", name)
        publish(change, f"test-editor-{uuid.uuid4().hex[:8]}")
    return url, secret


@pytest.fixture(scope="session")
def curator_token(written_database) -> str:
    """A curator's bearer token, valid in `written_database` (and so for `curator_client`)."""
    return written_database[1]


@pytest.fixture
def curator_client(written_database):
    """A client of an app on `written_database`, where `curator_token` authenticates, change 1 and revision 1 exist."""
    return create_app({"DATABASE_URL": written_database[0], "TESTING": True}).test_client()


@pytest.fixture
def app(loaded_database):
    return create_app({"DATABASE_URL": loaded_database, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    """A writable copy of fixtures/ and seeds/, for tests that break them on purpose."""
    shutil.copytree(FIXTURES_DIR, tmp_path / "fixtures")
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    return tmp_path


@pytest.fixture
def curation(new_database_url):
    """A database of its own (writes change it), a client, and a curator's, a second curator's and an editor's tokens."""
    url = new_database_url()
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
    from service.store.db import db
    from service.store.tokens import issue_token

    with app.app_context(), db.connection_context():
        tokens = {
            role: issue_token(f"{role}-{uuid.uuid4().hex[:6]}", role.rstrip("2"))
            for role in ("curator", "curator2", "editor", "admin")
        }
    return app, app.test_client(), tokens
