"""Curation API tokens: made and revoked on the command line, shown once, stored only as a hash; a bearer token
is checked on every request and a refusal never tells whether a token exists."""

from __future__ import annotations

import logging
import uuid

import pytest
from flask.views import MethodView

from service import create_app
from service.cli import init_command, token_group
from service.store import models as m
from service.store.db import db
from service.web.auth import documented_requires
from service.web.blueprint import ResourceBlueprint
from tests.helpers import assert_problem

TOKEN_URL = "/api/v1/token"


@pytest.fixture(scope="module")
def token_database(new_database_url) -> str:
    """A loaded database of this module's own: its tests issue and revoke tokens (the shared one stays unwritten)."""
    from service.knowledge.lifecycle import initialise_database

    url = new_database_url()
    with create_app({"DATABASE_URL": url}).app_context():
        initialise_database()
    return url


@pytest.fixture
def app(token_database):
    return create_app({"DATABASE_URL": token_database, "TESTING": True})


def create_token(runner, role: str = "curator", name: str | None = None) -> tuple[str, str]:
    name = name or f"desk-{uuid.uuid4().hex[:8]}"
    result = runner.invoke(token_group, ["create", "--name", name, "--role", role])
    assert result.exit_code == 0, result.output
    return name, result.stdout.strip()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_is_shown_once_and_stored_only_as_its_hash(app, runner):
    name, secret = create_token(runner, "editor")
    assert secret.startswith("skb_") and len(secret) > 40
    with app.app_context(), db.connection_context():
        row = m.Token.get(m.Token.name == name)
        stored = [str(value) for value in row.__data__.values()]
    assert row.role == "editor" and row.revoked_at is None
    assert all(secret not in value and secret[4:] not in value for value in stored)
    listed = runner.invoke(token_group, ["list"])
    assert listed.exit_code == 0 and f"{name}\teditor\tcreated " in listed.output and "\tactive" in listed.output
    assert secret not in listed.output and row.digest not in listed.output


def test_the_holder_of_a_token_and_its_private_answer(client, runner):
    name, secret = create_token(runner)
    response = client.get(TOKEN_URL, headers=bearer(secret))
    assert response.status_code == 200
    assert response.get_json()["name"] == name and response.get_json()["role"] == "curator"
    assert response.headers["Cache-Control"] == "no-store"
    # Never kept in the shared cache: the next request without the token is refused, not served the answer.
    assert_problem(client.get(TOKEN_URL), 401)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic ZGVzazpwYXNz", "Bearer skb_not-a-token", "Bearer nope", "bearer " + "x" * 300],
)
def test_every_refusal_is_the_same_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(TOKEN_URL, headers=headers)
    assert_problem(response, 401, "needs a valid bearer token")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="sanctions-kb"'
    assert response.get_data() == client.get(TOKEN_URL).get_data()


def test_a_revoked_token_is_refused_like_an_unknown_one(client, runner):
    name, secret = create_token(runner)
    assert client.get(TOKEN_URL, headers=bearer(secret)).status_code == 200
    assert runner.invoke(token_group, ["revoke", name]).exit_code == 0
    revoked = client.get(TOKEN_URL, headers=bearer(secret))
    unknown = client.get(TOKEN_URL, headers=bearer("skb_" + "A" * 43))
    assert revoked.status_code == unknown.status_code == 401 and revoked.get_data() == unknown.get_data()
    again = runner.invoke(token_group, ["revoke", name])
    assert again.exit_code != 0 and f"no active token named {name!r}" in again.output
    assert "revoked " in runner.invoke(token_group, ["list"]).output


def test_names_are_unique_and_roles_are_a_vocabulary(runner):
    name, _ = create_token(runner)
    taken = runner.invoke(token_group, ["create", "--name", name, "--role", "editor"])
    assert taken.exit_code != 0 and "already exists" in taken.output
    unknown = runner.invoke(token_group, ["create", "--name", "someone", "--role", "owner"])
    assert unknown.exit_code != 0 and "'owner' is not one of 'curator', 'editor', 'admin'" in unknown.output


def test_tokens_outlive_a_reload_of_the_knowledge(app, client, runner):
    _, secret = create_token(runner)
    result = runner.invoke(init_command, ["--force"])
    assert result.exit_code == 0 and result.output.startswith("loaded "), result.output
    assert client.get(TOKEN_URL, headers=bearer(secret)).status_code == 200


def test_a_token_is_never_logged(client, runner, caplog):
    _, secret = create_token(runner)
    with caplog.at_level(logging.DEBUG):
        client.get(TOKEN_URL, headers=bearer(secret))
        client.get(TOKEN_URL, headers=bearer(secret + "x"))
        client.get("/api/v1/entities/nobody", headers=bearer(secret))
    assert caplog.records and not any(secret in record.getMessage() for record in caplog.records)


def test_roles_grant_what_they_name(token_database):
    """An editor may do what a curator may; a curator may not review; an admin only manages tokens."""
    app = create_app({"DATABASE_URL": token_database, "TESTING": True})
    probe = ResourceBlueprint("probe", __name__, url_prefix="/probe")

    @probe.route("/review")
    class Review(MethodView):
        @documented_requires(probe, "editor")
        def get(self):
            return {"ok": True}

    app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(probe)
    client = app.test_client()
    for role, status in (("curator", 403), ("editor", 200), ("admin", 403)):
        _, secret = create_token(app.test_cli_runner(), role)
        response = client.get("/probe/review", headers=bearer(secret))
        assert response.status_code == status, (role, response.get_data(as_text=True))
        if status == 403:
            assert_problem(response, 403, f"a {role} token may not do this; it needs the role editor")


def test_the_spec_declares_the_bearer_scheme(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    operation = spec["paths"]["/api/v1/token"]["get"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"200", "401", "403"} <= set(operation["responses"])
    public = spec["paths"]["/api/v1/entities"]["get"]
    assert "security" not in public
