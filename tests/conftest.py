"""Shared fixtures: an app on a temporary SQLite file loaded with the curated knowledge, its client and CLI runner."""

import json
import shutil
from pathlib import Path

import pytest

from service import create_app
from service.cli import initialise_database
from service.config import PROJECT_ROOT

FIXTURES_DIR = PROJECT_ROOT / "fixtures"
SEEDS_DIR = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="session")
def loaded_database(tmp_path_factory) -> str:
    """One database file per test session, loaded once with the real fixtures (tests only read it)."""
    path = tmp_path_factory.mktemp("db") / "sanctions-kb.sqlite3"
    url = f"sqlite:///{path}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
    return url


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


def read_fixture(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_fixture(path: Path, records) -> None:
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
