"""Limits on what a write may send (schemas/limits.py): a body too large is a 413 before it is read; JSON nested too
deep, an integer too long, text no engine stores (NUL, lone surrogates), an id or a field too long, a URL that is not
http(s), an empty quote and a fractional offset are each a 422 problem naming the field. A refused write leaves
nothing stored: no change, the same data version. On the engine under test (scripts/test-postgres.sh for
PostgreSQL, where a NUL and a long id used to fail only there)."""

from __future__ import annotations

import io
import json
import uuid
from types import SimpleNamespace

import pytest

from schemas.limits import (
    MAX_BODY_BYTES,
    MAX_ID_LENGTH,
    MAX_INTEGER_DIGITS,
    MAX_JSON_DEPTH,
    MAX_NAME_LENGTH,
    MAX_REVIEW_NOTE_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TEXT_LENGTH,
)
from service import create_app
from service.knowledge.lifecycle import initialise_database
from service.store import models as m
from service.store.db import db
from service.store.tokens import issue_token
from tests.helpers import KANG, assert_problem, auth, statement

SOURCE = "presstv-manila-talks-2017-08-07"
REVERTED = "/api/v1/statements/ri-seoul-proposals-lacked-sincerity"
SURROGATE = "\ud800"  # json.dumps writes it as the escape "\ud800", as a hostile client sends it
NUL = "\x00"


def proposal(record_id: str = "kang-urges-ri-limits", **changes) -> dict:
    return {
        "kind": "statement",
        "action": "create",
        "id": record_id,
        "summary": "Add Kang's appeal",
        "record": statement(),
        **changes,
    }


def reference(url: str) -> dict:
    return {
        "kind": "source",
        "action": "create",
        "id": "example-reference",
        "summary": "Add a reference",
        "record": {"kind": "reference", "title": "An example", "url": url},
    }


@pytest.fixture(scope="module")
def kb(new_database_url):
    """One database for the module (a refused write changes nothing), with a published revision to revert and a
    pending change to reject."""
    app = create_app({"DATABASE_URL": new_database_url(), "TESTING": True})
    with app.app_context():
        initialise_database()
    with app.app_context(), db.connection_context():
        tokens = {
            role: issue_token(f"{role}-{uuid.uuid4().hex[:6]}", role.rstrip("2")) for role in ("curator", "editor")
        }
    client = app.test_client()
    patch = {"kind": "statement", "action": "update", "id": REVERTED.rsplit("/", 1)[1], "summary": "Neutral"}
    etag = client.get(REVERTED).headers["ETag"]
    update = client.post(
        "/api/v1/changes",
        json={**patch, "record": {"stance": "neutral"}},
        headers=auth(tokens["curator"], **{"If-Match": etag}),
    )
    assert update.status_code == 201, update.get_data(as_text=True)
    published = client.post(f"/api/v1/changes/{update.get_json()['id']}/approve", headers=auth(tokens["editor"]))
    assert published.status_code == 200, published.get_data(as_text=True)
    pending = client.post("/api/v1/changes", json=proposal("kang-urges-ri-pending"), headers=auth(tokens["curator"]))
    assert pending.status_code == 201, pending.get_data(as_text=True)
    return SimpleNamespace(
        app=app,
        client=client,
        tokens=tokens,
        revision=published.get_json()["revision"],
        pending=pending.get_json()["id"],
    )


def stored(kb) -> tuple:
    """What a refused write must leave as it was: the changes (number, and each one's status) and the data version."""
    with kb.app.app_context(), db.connection_context():
        changes = tuple(m.Change.select(m.Change.id, m.Change.status).order_by(m.Change.id).tuples())
        return changes, m.Dataset.select(m.Dataset.version).scalar()


def send(kb, url: str, body: bytes, token: str = "curator", **headers):
    return kb.client.post(
        url, data=body, headers=auth(kb.tokens[token], **{"Content-Type": "application/json", **headers})
    )


def encoded(body: dict, **raw: str) -> bytes:
    """The body as JSON (ensure_ascii: a NUL or a lone surrogate is sent as its escape), with each placeholder
    string "<name>" replaced by raw JSON text (an integer too long for json.dumps)."""
    text = json.dumps(body)
    for name, value in raw.items():
        text = text.replace(json.dumps(f"<{name}>"), value)
    return text.encode("ascii")


def refused(kb, response, status: int, field: str | None, *fragments: str) -> dict:
    """A problem of this status naming `field` (in `errors` and in the detail), and nothing stored."""
    problem = assert_problem(response, status, *fragments)
    if field is not None:
        assert field in problem["detail"], problem["detail"]
        assert any(field in text for text in _texts(problem.get("errors"))), problem
    return problem


def _texts(value) -> list[str]:
    """Every key and string of a JSON value."""
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (key, *_texts(item))]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return [value] if isinstance(value, str) else []


def citation(**changes) -> dict:
    return {"source": SOURCE, "quote": KANG, **changes}


def nested(depth: int) -> str:
    """JSON text of lists nested `depth` levels deep."""
    return "[" * depth + "]" * depth


# (body, raw JSON for its placeholders, the field the problem names, what it says)
PROPOSALS = {
    "lone surrogate in summary": (proposal(summary=f"Add{SURROGATE}"), {}, "summary", "lone surrogate (U+D800)"),
    "low surrogate in summary": (proposal(summary="\udc00"), {}, "summary", "lone surrogate (U+DC00)"),
    "lone surrogate in a record field": (
        proposal(record=statement(summary=f"Kang{SURROGATE}")),
        {},
        "record.summary",
        "lone surrogate",
    ),
    "NUL in a record field": (
        proposal(record=statement(summary=f"Kang{NUL}")),
        {},
        "record.summary",
        "NUL",
    ),
    "NUL in summary": (proposal(summary=f"Add{NUL}"), {}, "summary", "NUL"),
    "NUL in a citation's quote": (
        proposal(record=statement(citations=[citation(quote=f"Kang{NUL}")])),
        {},
        "record.citations[0].quote",
        "NUL",
    ),
    "NUL in a record's field name": (
        proposal(record={**statement(), f"note{NUL}": "x"}),
        {},
        "record.note\\u0000",
        "NUL",
    ),
    "NUL in an article's text": (
        {**reference("https://example.org/a"), "text": f"Text{NUL}"},
        {},
        "text",
        "NUL",
    ),
    "NUL in an id list": (proposal(record=statement(topics=[f"dialogue{NUL}"])), {}, "record.topics[0]", "NUL"),
    "an integer of 5,000 digits": (
        proposal(record=statement(citations=[citation(start="<big>")])),
        {"big": "1" * 5000},
        "record.citations[0].start",
        f"more than {MAX_INTEGER_DIGITS} digits",
    ),
    "an integer just too long": (
        proposal(record=statement(citations=[citation(start="<big>")])),
        {"big": "9" * (MAX_INTEGER_DIGITS + 1)},
        "record.citations[0].start",
        f"more than {MAX_INTEGER_DIGITS} digits",
    ),
    "NaN": (
        proposal(record=statement(citations=[citation(start="<nan>")])),
        {"nan": "NaN"},
        "record.citations[0].start",
        "NaN",
    ),
    "JSON nested 5,000 deep": (
        proposal(record="<deep>"),
        {"deep": nested(5000)},
        None,
        f"deeper than {MAX_JSON_DEPTH}",
    ),
    "JSON nested one level too deep": (
        proposal(record="<deep>"),
        {"deep": nested(MAX_JSON_DEPTH)},  # the body's own object is the first level
        None,
        f"deeper than {MAX_JSON_DEPTH}",
    ),
    "an id one character too long": (proposal("a" * (MAX_ID_LENGTH + 1)), {}, "id", f"{MAX_ID_LENGTH}"),
    "an id of 100,000 characters": (proposal("a" * 100_000), {}, "id", f"{MAX_ID_LENGTH}"),
    "a reference to an id too long": (
        proposal(record=statement(speaker="k" * (MAX_ID_LENGTH + 1))),
        {},
        "speaker",
        f"{MAX_ID_LENGTH}",
    ),
    "an edit summary too long": (
        proposal(summary="s" * (MAX_SUMMARY_LENGTH + 1)),
        {},
        "summary",
        f"{MAX_SUMMARY_LENGTH}",
    ),
    "a record's prose too long": (
        proposal(record=statement(summary="s" * (MAX_TEXT_LENGTH + 1))),
        {},
        "summary",
        f"{MAX_TEXT_LENGTH}",
    ),
    "a name too long": (
        proposal(record=statement(speaker_as_written="K" * (MAX_NAME_LENGTH + 1))),
        {},
        "speaker_as_written",
        f"{MAX_NAME_LENGTH}",
    ),
    "a javascript: URL": (reference("javascript:alert(1)"), {}, "url", "http or https"),
    "a data: URL": (reference("data:text/html,<script>alert(1)</script>"), {}, "url", "http or https"),
    "an empty quote at an empty span": (
        proposal(record=statement(citations=[citation(quote="", start=10, end=10)])),
        {},
        "quote",
        "",
    ),
    "a fractional start": (
        proposal(record=statement(citations=[citation(start=677.5, end=783)])),
        {},
        "start",
        "integer",
    ),
    "a start as a string": (
        proposal(record=statement(citations=[citation(start="677", end=783)])),
        {},
        "start",
        "integer",
    ),
}


@pytest.mark.parametrize("case", PROPOSALS, ids=str)
def test_a_proposal_beyond_the_limits_is_a_422_naming_the_field_and_stores_nothing(kb, case):
    body, raw, field, says = PROPOSALS[case]
    before = stored(kb)
    refused(kb, send(kb, "/api/v1/changes", encoded(body, **raw)), 422, field, says)
    assert stored(kb) == before


# The texts an editor writes when reviewing: where each is sent, under which name, and how long it may be.
REVIEW_TEXTS = {
    "rejection note": (lambda kb: f"/api/v1/changes/{kb.pending}/reject", "note", MAX_REVIEW_NOTE_LENGTH),
    "revert summary": (lambda kb: f"/api/v1/revisions/{kb.revision}/revert", "summary", MAX_SUMMARY_LENGTH),
}


@pytest.mark.parametrize("flaw", ["surrogate", "NUL", "too long"])
@pytest.mark.parametrize("review", sorted(REVIEW_TEXTS))
def test_a_review_text_beyond_the_limits_is_a_422_and_changes_nothing(kb, review, flaw):
    """A rejection stays pending, a revert proposes nothing."""
    url, field, limit = REVIEW_TEXTS[review]
    text, says = {
        "surrogate": (f"Reviewed{SURROGATE}", "lone surrogate"),
        "NUL": (f"Reviewed{NUL}", "NUL"),
        "too long": ("r" * (limit + 1), f"{limit}"),
    }[flaw]
    before = stored(kb)
    refused(kb, send(kb, url(kb), encoded({field: text}), token="editor"), 422, field, says)
    assert stored(kb) == before


def test_a_body_as_deep_as_the_limit_is_parsed(kb):
    """One level less than the refusal: the body is read and the schema answers (a record is an object)."""
    body = encoded(proposal(record="<deep>"), deep=nested(MAX_JSON_DEPTH - 1))
    problem = refused(kb, send(kb, "/api/v1/changes", body), 422, "record", "Not a valid mapping type")
    assert "deeper" not in problem["detail"]


def test_a_body_larger_than_the_limit_is_a_413_before_it_is_read(kb):
    before = stored(kb)
    body = encoded(proposal(record=statement(summary="s" * MAX_BODY_BYTES)))
    problem = refused(kb, send(kb, "/api/v1/changes", body), 413, None, f"{MAX_BODY_BYTES} bytes", "KB_MAX_BODY_BYTES")
    assert f"{len(body)}" in problem["detail"]  # the size the client declared
    assert stored(kb) == before


def test_a_body_that_fits_the_limit_is_read(kb):
    body = encoded(proposal(record=statement(summary="s" * (MAX_BODY_BYTES - 1000))))
    assert len(body) <= MAX_BODY_BYTES
    refused(kb, send(kb, "/api/v1/changes", body), 422, "summary", f"{MAX_TEXT_LENGTH}")


def test_the_body_limit_is_a_setting_and_holds_for_a_chunked_body_too(kb):
    """KB_MAX_BODY_BYTES sets the limit; a body without Content-Length (a chunked upload, which the server ends) is
    refused once it passes the limit as it is read, and one that fits is read whole."""
    app = create_app({"DATABASE_URL": kb.app.config["DATABASE_URL"], "TESTING": True, "KB_MAX_BODY_BYTES": 1000})
    client = app.test_client()
    headers = auth(kb.tokens["curator"], **{"Content-Type": "application/json"})

    def chunked(body: bytes):
        return client.post(
            "/api/v1/changes",
            input_stream=io.BytesIO(body),
            headers={**headers, "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )

    before = stored(kb)
    body = encoded(proposal(summary="s" * 400, record=statement(summary="s" * 600)))
    refused(
        kb, client.post("/api/v1/changes", data=body, headers=headers), 413, None, "1000 bytes", "KB_MAX_BODY_BYTES"
    )
    refused(kb, chunked(body), 413, None, "1000 bytes", "KB_MAX_BODY_BYTES")
    assert stored(kb) == before
    fits = encoded(proposal("kang-urges-ri-chunked"))
    assert len(fits) <= 1000
    assert chunked(fits).status_code == 201
    exactly = encoded(proposal("kang-urges-ri-chunked-too"))
    assert chunked(exactly + b" " * (1000 - len(exactly))).status_code == 201  # exactly the limit


def test_an_id_as_long_as_the_url_guard_takes_is_published_and_served_on_either_engine(kb):
    record_id = "k" * MAX_ID_LENGTH
    created = send(kb, "/api/v1/changes", encoded(proposal(record_id)))
    assert created.status_code == 201, created.get_data(as_text=True)
    published = kb.client.post(f"/api/v1/changes/{created.get_json()['id']}/approve", headers=auth(kb.tokens["editor"]))
    assert published.status_code == 200, published.get_data(as_text=True)
    served = kb.client.get(f"/api/v1/statements/{record_id}")
    assert served.status_code == 200 and served.get_json()["id"] == record_id
    assert kb.client.get(f"/api/v1/revisions?kind=statement&record={record_id}").get_json()[0]["record_id"] == record_id


def test_a_change_stored_with_unstorable_text_is_refused_at_approval_not_a_server_error(kb):
    """A change proposed before the limits, with a NUL in its record (it used to be taken, and then every approval
    failed on PostgreSQL): its approval is a 409 naming the field, and nothing is published."""
    cited = citation(start=677, end=783)  # a stored change has its offsets
    record = {**statement(summary=f"Kang{NUL}", citations=[cited]), "id": "kang-urges-ri-old"}
    with kb.app.app_context(), db.connection_context():
        change = m.Change.create(
            kind="statement",
            record_id="kang-urges-ri-old",
            action="create",
            record=json.dumps(record),
            summary="Proposed before the limits",
            author="someone-else",
            status="pending",
            created_at=m.Change.select(m.Change.created_at).scalar(),
        )
    before = stored(kb)
    approval = kb.client.post(f"/api/v1/changes/{change.id}/approve", headers=auth(kb.tokens["editor"]))
    refused(kb, approval, 409, "summary", "NUL")
    assert stored(kb) == before


def test_a_surrogate_pair_is_a_character_and_is_taken(kb):
    """Only a lone surrogate is refused: an escaped pair is one character (here U+1F600), stored as it is."""
    body = encoded(proposal("kang-urges-ri-smiling", summary="Add Kang's appeal \U0001f600"))
    assert b"\\ud83d\\ude00" in body
    created = send(kb, "/api/v1/changes", body)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["summary"] == "Add Kang's appeal \U0001f600"


def test_the_size_limit_comes_before_authentication_and_the_json_checks_after_it(kb):
    """A body too large is refused before a byte is read, whoever sends it; a body's content is looked at only for
    a client allowed to write (as webargs parsed it before), so an anonymous client costs no parsing."""
    before = stored(kb)
    huge = b"[" + b"0," * MAX_BODY_BYTES + b"0]"
    anonymous = {"Content-Type": "application/json"}
    assert_problem(kb.client.post("/api/v1/changes", data=huge, headers=anonymous), 413, "KB_MAX_BODY_BYTES")
    unstorable = encoded(proposal(summary=f"Add{NUL}"))
    assert_problem(kb.client.post("/api/v1/changes", data=unstorable, headers=anonymous), 401)
    assert stored(kb) == before


@pytest.mark.parametrize(
    "body, status, says",
    [
        (b'{"kind": "statement", ', 400, "Invalid JSON body"),
        (b"\xff\xfe", 400, "Invalid JSON body"),
        (b"", 422, "Missing data for required field"),
    ],
    ids=["broken", "not UTF-8", "empty"],
)
def test_a_body_that_is_not_json_is_answered_as_before(kb, body, status, says):
    before = stored(kb)
    assert_problem(send(kb, "/api/v1/changes", body), status, says)
    assert stored(kb) == before


def test_a_413_raised_by_werkzeug_states_the_limit_too(kb):
    """However a body comes to be refused as too large (werkzeug raises it as it reads), the problem says the limit."""
    from werkzeug.exceptions import RequestEntityTooLarge

    api = kb.app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    with kb.app.test_request_context("/api/v1/changes", method="POST"):
        response = api.handle_http_exception(RequestEntityTooLarge())
    problem = json.loads(response.get_data())
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert f"the request body is larger than the {MAX_BODY_BYTES} bytes" in problem["detail"], problem
    assert "KB_MAX_BODY_BYTES" in problem["detail"]
