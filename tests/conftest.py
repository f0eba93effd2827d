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


@pytest.fixture(scope="session")
def loaded_database(new_database_url) -> str:
    """One database per test session, loaded once with the real fixtures (tests only read it)."""
    url = new_database_url()
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
    return url


@pytest.fixture(scope="session")
def curator_token(loaded_database) -> str:
    """A curator's bearer token in the session's database, and change 1, its proposal awaiting review (the spec's
    example change): proposing it leaves the published knowledge as it is."""
    from service.knowledge.curation import propose
    from service.store.db import db
    from service.store.tokens import issue_token

    name = f"test-curator-{uuid.uuid4().hex[:8]}"
    with create_app({"DATABASE_URL": loaded_database}).app_context(), db.connection_context():
        secret = issue_token(name, "curator")
        record = {"id": "test-topic", "description": "A topic proposed by the tests, never published."}
        propose("topic", "create", "test-topic", record, "example change", name, lambda record_id, record: None)
    return secret


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
