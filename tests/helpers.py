"""Helpers the test modules share: where the curated knowledge lives, fixture I/O, and the problem+json check."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
