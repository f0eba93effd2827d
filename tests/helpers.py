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
NON_API_SAMPLES = {"filename": "swagger-ui.css", "asset": "evidence.css"}


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
                "query": {p["name"]: str(p.get("example", p["schema"].get("example"))) for p in query},
            }
        )
    return catalogue


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
