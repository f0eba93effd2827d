"""Hostile input on the write side: every write route (proposing, approving, rejecting, reverting) with bodies that
are malformed, oversized, deeply nested, or carry text no engine can store, as a curator and an editor together
could send them. Never a 5xx; every answer a problem; nothing stored (no change, no revision, the same data
version and documents). On the engine under test: the plain run uses SQLite, scripts/test-postgres.sh PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest

from schemas.limits import MAX_ARTICLE_LENGTH, MAX_BODY_BYTES, MAX_ID_LENGTH, MAX_JSON_DEPTH
from service.store import models as m
from service.store.db import db
from service.store.tokens import issue_token
from tests.helpers import route_catalogue

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The API's writes (the workbench's forms, which take a session rather than a token, are held by
# tests/test_workbench.py).
WRITE_ROUTES = sorted(
    (route["template"], method)
    for route in route_catalogue()
    if not route["workbench"]
    for method in set(route["methods"]) & WRITE_METHODS
)
PROPOSE = ("/api/v1/changes", "POST")
APPROVE = ("/api/v1/changes/<change_id>/approve", "POST")
REJECT = ("/api/v1/changes/<change_id>/reject", "POST")
REVERT = ("/api/v1/revisions/<revision_id>/revert", "POST")
SUGGEST = ("/api/v1/suggestions", "POST")
BIG = 8 * MAX_BODY_BYTES  # well over the body limit
OVER_ID = MAX_ID_LENGTH + 1  # one character more than an id (and the URL guard) takes


def _topic(**record) -> dict:
    return {"kind": "topic", "action": "create", "id": "hostile-topic", "record": {"description": "d", **record}}


def _reference(**record) -> dict:
    fields = {"kind": "reference", "title": "A reference", "url": "https://example.org/a", **record}
    return {"kind": "source", "action": "create", "id": "hostile-reference", "record": fields, "summary": "s"}


def _citing(**citation) -> dict:
    """A new figure citing the Press TV article with this citation (valid but for what `citation` changes)."""
    return {
        "kind": "figure",
        "action": "create",
        "id": "hostile-figure",
        "summary": "s",
        "record": {
            "subject": "north-korea",
            "metric": "annual-export-revenue",
            "value_kind": "approximate",
            "value": 3_000_000_000,
            "unit": "USD",
            "as_stated": "$3 billion",
            "approximate": True,
            "description": "A figure proposed by the hostile-input tests.",
            "citations": [
                {
                    "source": "presstv-manila-talks-2017-08-07",
                    "quote": "Pyongyang's $3 billion foreign revenue",
                    **citation,
                }
            ],
        },
    }


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _raw(template: dict, marker: str, value: str) -> bytes:
    """`template` as JSON with the string `marker` replaced by raw JSON text (an escape, a number, a nesting)."""
    return json.dumps(template).replace(json.dumps(marker), value).encode()


SUMMARY = {**_topic(), "summary": "MARK"}
RECORD_TEXT = {**_topic(description="MARK"), "summary": "s"}
RECORD_KEY = {**_topic(**{"MARK": "x"}), "summary": "s"}

# (route, what it is, the body as sent, the statuses that may answer it).
BAD = (400, 422)
CASES = [
    # Text no engine can store, wherever it is.
    (PROPOSE, "lone surrogate in summary", _raw(SUMMARY, "MARK", '"\\ud800"'), (422,)),
    (PROPOSE, "lone surrogate in a record field", _raw(RECORD_TEXT, "MARK", '"a\\udfffb"'), (422,)),
    (PROPOSE, "lone surrogate in a record key", _raw(RECORD_KEY, "MARK", '"\\ud800"'), (422,)),
    (PROPOSE, "NUL in summary", _raw(SUMMARY, "MARK", '"a\\u0000b"'), (422,)),
    (PROPOSE, "NUL in a record field", _raw(RECORD_TEXT, "MARK", '"a\\u0000b"'), (422,)),
    (PROPOSE, "NUL in a record key", _raw(RECORD_KEY, "MARK", '"k\\u0000"'), (422,)),
    (PROPOSE, "NUL in the id", _raw({**SUMMARY, "id": "MARK", "summary": "s"}, "MARK", '"a\\u0000"'), (422,)),
    (
        PROPOSE,
        "NUL in an article's text",
        json.dumps({**_reference(kind="article"), "text": "a\x00b"}).encode(),
        (422,),
    ),
    # Structure.
    (PROPOSE, "JSON nested 5,000 deep", _raw(RECORD_TEXT, "MARK", _nested(5000)), BAD),
    (PROPOSE, "JSON nested past the depth limit", _raw(RECORD_TEXT, "MARK", _nested(MAX_JSON_DEPTH)), BAD),
    (PROPOSE, "an integer of 5,000 digits", _raw(_citing(start="MARK"), "MARK", "9" * 5000), BAD),
    (PROPOSE, "NaN", _raw(_citing(start="MARK"), "MARK", "NaN"), BAD),
    (PROPOSE, "Infinity", _raw(SUMMARY, "MARK", "Infinity"), BAD),
    (PROPOSE, "not JSON", b'{"kind": "topic",', BAD),
    (PROPOSE, "an empty body", b"", BAD),
    (PROPOSE, "null", b"null", BAD),
    (PROPOSE, "an array", b"[]", BAD),
    (PROPOSE, "a string", b'"change"', BAD),
    (PROPOSE, "bytes that are not UTF-8", b'{"summary": "\xff\xfe"}', BAD),
    # Sizes.
    (PROPOSE, "a body over the limit", json.dumps({**_topic(), "summary": "x" * BIG}).encode(), (413,)),
    (PROPOSE, "a 100,000-character summary", json.dumps({**_topic(), "summary": "x" * 100_000}).encode(), (422,)),
    (
        PROPOSE,
        "a 200,000-character field",
        json.dumps({**_topic(description="x" * 200_000), "summary": "s"}).encode(),
        (422,),
    ),
    (
        PROPOSE,
        "an id one character too long",
        json.dumps({**_topic(), "id": "a" * OVER_ID, "summary": "s"}).encode(),
        (422,),
    ),
    (PROPOSE, "a 100,000-character id", json.dumps({**_topic(), "id": "a" * 100_000, "summary": "s"}).encode(), (422,)),
    (
        PROPOSE,
        "a 100,000-character key",
        json.dumps({**_topic(**{"k" * 100_000: "x"}), "summary": "s"}).encode(),
        (422,),
    ),
    # Curated text a program opening it would act on, or a guess.
    (PROPOSE, "a javascript: URL", json.dumps(_reference(url="javascript:alert(1)")).encode(), (422,)),
    (PROPOSE, "a data: URL", json.dumps(_reference(url="data:text/html,<script>alert(1)</script>")).encode(), (422,)),
    (PROPOSE, "a file name", json.dumps(_reference(file="../../../PWNED.txt")).encode(), (422,)),
    (PROPOSE, "an empty quote", json.dumps(_citing(quote="", start=10, end=10)).encode(), (422,)),
    (PROPOSE, "a fractional offset", json.dumps(_citing(start=2063.5)).encode(), (422,)),
    (PROPOSE, "a number as text", json.dumps(_citing(start="2063")).encode(), (422,)),
    # A citation without offsets has them found in its source's text: a source or quote of the wrong type first.
    (PROPOSE, "a list as the source", json.dumps(_citing(source=["presstv-manila-talks-2017-08-07"])).encode(), (422,)),
    (PROPOSE, "an object as the source", json.dumps(_citing(source={"id": "x"})).encode(), (422,)),
    (PROPOSE, "a list as the quote", json.dumps(_citing(quote=["Pyongyang"])).encode(), (422,)),
    (PROPOSE, "a number as the quote", json.dumps(_citing(quote=3)).encode(), (422,)),
    # The reviewer's and reverter's text.
    (REJECT, "lone surrogate in the note", b'{"note": "\\ud800"}', (422,)),
    (REJECT, "NUL in the note", b'{"note": "a\\u0000"}', (422,)),
    (REJECT, "a 100,000-character note", json.dumps({"note": "x" * 100_000}).encode(), (422,)),
    (REJECT, "a note nested 5,000 deep", ('{"note": ' + _nested(5000) + "}").encode(), BAD),
    (REJECT, "a body over the limit", json.dumps({"note": "x" * BIG}).encode(), (413,)),
    (REJECT, "not JSON", b"{", BAD),
    (REVERT, "lone surrogate in the summary", b'{"summary": "\\udc00"}', (422,)),
    (REVERT, "NUL in the summary", b'{"summary": "a\\u0000"}', (422,)),
    (REVERT, "a 100,000-character summary", json.dumps({"summary": "x" * 100_000}).encode(), (422,)),
    (REVERT, "a summary nested 5,000 deep", ('{"summary": ' + _nested(5000) + "}").encode(), BAD),
    (REVERT, "a body over the limit", json.dumps({"summary": "x" * BIG}).encode(), (413,)),
    (APPROVE, "a body over the limit", b"x" * BIG, (413,)),
    # An article to suggest on: text no engine stores, control characters, too much of it, the wrong shapes.
    (SUGGEST, "lone surrogate in the text", b'{"text": "Kang met \\ud800 Ri"}', (422,)),
    (SUGGEST, "a lone low surrogate in the dateline", b'{"text": "t", "dateline": "\\udfff"}', (422,)),
    (SUGGEST, "NUL in the text", b'{"text": "a\\u0000b"}', (422,)),
    (SUGGEST, "a control character in the text", b'{"text": "a\\u001bb"}', (422,)),
    (SUGGEST, "a C1 control character in the text", b'{"text": "a\\u0085b"}', (422,)),
    (SUGGEST, "a text one code point too long", json.dumps({"text": "x" * (MAX_ARTICLE_LENGTH + 1)}).encode(), (422,)),
    (SUGGEST, "a body over the limit", json.dumps({"text": "x" * BIG}).encode(), (413,)),
    (SUGGEST, "an empty text", b'{"text": ""}', (422,)),
    (SUGGEST, "neither text nor source", b"{}", (422,)),
    (SUGGEST, "a list as the text", b'{"text": ["Kang"]}', (422,)),
    (SUGGEST, "a number as the published date", b'{"text": "t", "published_on": 20170807}', (422,)),
    (SUGGEST, "a published date that is no day", b'{"text": "t", "published_on": "2017-02-30"}', (422,)),
    (SUGGEST, "a time zone that is none", b'{"text": "t", "time_zone": "Mars/Olympus_Mons"}', (422,)),
    (SUGGEST, "an unknown field", b'{"text": "t", "language": "en"}', (422,)),
    (SUGGEST, "a reference as the source", b'{"source": "un-doc-s-res-2371-2017"}', (422,)),
    (SUGGEST, "a source that does not exist", b'{"source": "no-such-article"}', (422,)),
    (SUGGEST, "a text nested 5,000 deep", ('{"text": ' + _nested(5000) + "}").encode(), BAD),
    (SUGGEST, "not JSON", b'{"text": ', BAD),
    (SUGGEST, "bytes that are not UTF-8", b'{"text": "\xff\xfe"}', BAD),
]


def _state(app) -> tuple:
    """What a write could change: the changes and their states, the data version, the served documents."""
    with app.app_context(), db.connection_context():
        changes = [(c.id, c.status, c.revision) for c in m.Change.select().order_by(m.Change.id)]
        version = m.Dataset.select(m.Dataset.version).scalar()
        documents = m.Document.select().count()
        sources = [(s.id, s.file, s.sha256) for s in m.Source.select().order_by(m.Source.id)]
    return changes, version, documents, sources


@pytest.fixture
def hostile_curation(curation):
    """The curation app with a pending change (to approve or reject), a published revision (to revert), and the
    URL of each write route for them."""
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        tokens["editor2"] = issue_token(f"editor2-{uuid.uuid4().hex[:6]}", "editor")

    def post(body: dict, token: str) -> dict:
        answer = client.post("/api/v1/changes", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()

    published = post({**_topic(), "id": "hostile-published", "summary": "s"}, tokens["curator"])
    approved = client.post(
        f"/api/v1/changes/{published['id']}/approve", headers={"Authorization": f"Bearer {tokens['editor']}"}
    )
    assert approved.status_code == 200, approved.get_data(as_text=True)
    pending = post({**_topic(), "id": "hostile-pending", "summary": "s"}, tokens["curator"])
    urls = {
        PROPOSE: ("/api/v1/changes", tokens["curator"]),
        APPROVE: (f"/api/v1/changes/{pending['id']}/approve", tokens["editor"]),
        REJECT: (f"/api/v1/changes/{pending['id']}/reject", tokens["editor"]),
        REVERT: (f"/api/v1/revisions/{approved.get_json()['revision']}/revert", tokens["editor2"]),
        SUGGEST: ("/api/v1/suggestions", tokens["curator"]),
    }
    return app, client, urls


def test_the_suite_reaches_every_write_route():
    assert WRITE_ROUTES, "the catalogue lists no write route"
    assert set(WRITE_ROUTES) == {PROPOSE, APPROVE, REJECT, REVERT, SUGGEST}
    assert {route for route, *_ in CASES} == set(WRITE_ROUTES)


def test_the_bodies_the_cases_are_made_from_are_accepted_as_they_are(hostile_curation):
    """So that each refusal below is for what its case changed, not for a mistake in its template."""
    app, client, urls = hostile_curation
    url, token = urls[PROPOSE]
    for body in (
        {**_topic(), "summary": "s"},
        _reference(),
        _citing(),
        {**_reference(kind="article"), "text": "Some words.\n"},
    ):
        answer = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
    url, token = urls[SUGGEST]
    for body in (
        {"text": "Kang met Ri\ton Sunday.\r\n", "published_on": "2017-08-07"},
        {"source": "presstv-manila-talks-2017-08-07"},
    ):
        answer = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)


def test_hostile_write_bodies_are_refused_with_a_problem_and_leave_nothing(hostile_curation):
    app, client, urls = hostile_curation
    before = _state(app)
    failures = []
    for route, what, body, statuses in CASES:
        url, token = urls[route]
        answer = client.open(
            url,
            method=route[1],
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        problem = answer.get_json(force=True, silent=True) if answer.mimetype == "application/problem+json" else None
        if answer.status_code not in statuses or problem is None or problem.get("status") != answer.status_code:
            failures.append(f"{route[0]}: {what}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        elif not problem.get("detail"):
            failures.append(f"{route[0]}: {what}: a problem without a detail")
        if _state(app) != before:
            failures.append(f"{route[0]}: {what}: something was stored")
            before = _state(app)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "what, body, field",
    [
        ("summary", _raw(SUMMARY, "MARK", '"\\ud800"'), "summary"),
        ("a record field", _raw(RECORD_TEXT, "MARK", '"a\\u0000b"'), "description"),
        ("the id", json.dumps({**_topic(), "id": "a" * OVER_ID, "summary": "s"}).encode(), "id"),
        ("a reference's url", json.dumps(_reference(url="javascript:alert(1)")).encode(), "url"),
    ],
)
def test_a_refused_write_names_the_field(hostile_curation, what, body, field):
    app, client, urls = hostile_curation
    url, token = urls[PROPOSE]
    answer = client.post(
        url, data=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.get_json()["detail"], answer.get_json()


def test_every_write_operation_documents_the_413(client):
    spec = client.get("/openapi.json").get_json()
    writes = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method.upper() in WRITE_METHODS
    ]
    assert len(writes) == len(WRITE_ROUTES)
    for path, method, operation in writes:
        assert "KB_MAX_BODY_BYTES" in operation["responses"]["413"]["description"], (path, method)


@pytest.mark.parametrize(
    "kind, record_id, change, field",
    [
        ("event", "arf-dinner-2017-08-06", {"participants": ["ri-yong-ho", "ri-yong-ho"]}, "participants"),
        ("statement", "ri-seoul-proposals-lacked-sincerity", {"topics": ["six-party-talks"] * 2}, "topics"),
        (
            "dispute",
            "appreciates-who-said-it",
            {"facts": [{"type": "statement", "id": "trump-appreciates-china-russia-votes"}] * 2},
            "facts",
        ),
    ],
)
def test_a_list_naming_a_record_twice_is_refused_and_leaves_nothing(hostile_curation, kind, record_id, change, field):
    """A link table holds each pair once: the list that names a record twice is the schema's to refuse (422, the
    field named), before it could reach the table's unique index at publication."""
    app, client, urls = hostile_curation
    url, token = urls[PROPOSE]
    before = _state(app)
    body = {"kind": kind, "action": "update", "id": record_id, "record": change, "summary": "s"}
    answer = client.post(url, json=body, headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    assert f'"{field}"' in answer.get_json()["detail"] and "appears twice" in answer.get_json()["detail"]
    assert _state(app) == before


def test_a_second_vote_of_a_member_on_a_resolution_is_refused_before_it_is_stored(hostile_curation):
    app, client, urls = hostile_curation
    url, token = urls[PROPOSE]
    before = _state(app)
    vote = client.get("/api/v1/resolutions/unsc-resolution-2371/votes").get_json()[0]
    record = {k: vote[k] for k in ("resolution", "member", "vote", "citations")}
    body = {"kind": "vote", "action": "create", "id": "a-second-vote", "record": record, "summary": "s"}
    answer = client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert f"member {vote['member']!r} already has vote {vote['id']!r}" in answer.get_json()["detail"]
    assert _state(app) == before
