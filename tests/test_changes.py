"""The curation API: changes proposed with a bearer token, checked as fixtures are, published only when an editor
other than the author approves them, each a revision; the database keeps them as the system of record."""

from __future__ import annotations

import json
import uuid

import pytest

from schemas.fields import fields_of
from service import create_app
from service.cli import export_fixtures_command, init_command
from service.knowledge.lifecycle import initialise_database
from service.store import models as m
from service.store.db import db
from service.store.tokens import issue_token
from tests.helpers import (
    KANG,
    article_text,
    assert_problem,
    auth,
    curated_fact_count,
    database_state,
    propose,
    statement,
    writes_refused,
)

PRESSTV = "presstv-manila-talks-2017-08-07"
# Where the statement's quote is in its article: the offsets the service must find.
KANG_START = article_text(PRESSTV).find(KANG)
KANG_END = KANG_START + len(KANG)


def occurrences(text: str, words: str) -> list[int]:
    """Every offset at which `words` occur in `text`."""
    found, at = [], text.find(words)
    while at != -1:
        found.append(at)
        at = text.find(words, at + 1)
    return found


def test_a_change_is_published_only_when_another_editor_approves_it(curation):
    app, client, tokens = curation
    version = client.get("/api/v1/statements?page_size=1").headers["ETag"]
    proposed = propose(client, tokens["curator"], record=statement())
    assert proposed.status_code == 201, proposed.get_data(as_text=True)
    change = proposed.get_json()
    assert proposed.headers["Location"] == f"/api/v1/changes/{change['id']}"
    assert change["status"] == "pending" and change["revision"] is None
    # The service found the quote's offsets in the article.
    assert KANG_START > 0
    assert change["record"]["citations"][0] | {"start": KANG_START, "end": KANG_END} == change["record"]["citations"][0]
    # Readers do not see it yet; the author and editors do (the review queue).
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 404
    assert client.get("/api/v1/statements?page_size=1").headers["ETag"] == version
    queue = client.get("/api/v1/changes?status=pending", headers=auth(tokens["editor"])).get_json()
    assert [c["id"] for c in queue] == [change["id"]]
    assert client.get("/api/v1/changes", headers=auth(tokens["curator2"])).get_json() == []
    assert client.get(f"/api/v1/changes/{change['id']}", headers=auth(tokens["curator2"])).status_code == 404

    # Only an editor, and not the author, approves.
    assert_problem(client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["curator"])), 403)
    approved = client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"]))
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert approved.get_json()["status"] == "published" and approved.get_json()["revision"] == 1

    served = client.get("/api/v1/statements/kang-urges-ri-test")
    assert served.status_code == 200 and served.get_json()["citations"][0]["start"] == KANG_START
    assert served.get_json()["support"] == {"sources": 1, "independent_sources": 1, "articles": 1, "references": 0}
    assert client.get("/api/v1/statements?page_size=1").headers["ETag"] != version  # a new data version
    assert "kang-urges-ri-test" in [s["id"] for s in client.get("/api/v1/statements?speaker=kang-kyung-wha").get_json()]
    [revision] = client.get("/api/v1/revisions").get_json()
    assert (revision["revision"], revision["action"], revision["before"]) == (1, "create", None)
    assert revision["author"].startswith("curator-") and revision["reviewer"].startswith("editor-")
    assert client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"])).status_code == 409


@pytest.mark.parametrize(
    "citation, problem",
    [
        (
            {"quote": "Ri"},
            f"the quote occurs {len(occurrences(article_text(PRESSTV), 'Ri'))} times in source '{PRESSTV}', "
            f"at {occurrences(article_text(PRESSTV), 'Ri')}",
        ),
        ({"quote": "Kim promised to disarm"}, "citation 1: the quote is not in source"),
        (
            {"quote": KANG, "start": KANG_START + 1, "end": KANG_END + 1},
            f"offsets {KANG_START + 1}:{KANG_END + 1} do not match the quote, which is at {KANG_START}:{KANG_END}",
        ),
        ({"source": "daily-planet", "quote": KANG}, "source 'daily-planet' does not exist"),
        ({"source": "un-doc-s-res-2371-2017", "quote": KANG}, "a reference source has no text here"),
    ],
)
def test_every_citation_is_verified_before_a_change_is_taken(curation, citation, problem):
    app, client, tokens = curation
    record = statement(citations=[{"source": "presstv-manila-talks-2017-08-07", **citation}])
    refused = propose(client, tokens["curator"], record=record)
    assert_problem(refused, 422, problem)
    with app.app_context(), db.connection_context():
        assert m.Change.select().count() == 0  # a refused change leaves nothing behind


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"speaker": "kim-jong-il"}, "speaker 'kim-jong-il' is not an entity in entities.json"),
        ({"stance": "angry"}, "Must be one of: supports, opposes, conditional, neutral"),
        ({"attribution": "direct"}, "relayed through an attribution_chain are not direct"),
        (
            {"date_precision": "span", "said_on": None, "date_earliest": "2017-08-07", "date_latest": "2017-08-06"},
            "ends (2017-08-06) before it starts",
        ),
    ],
)
def test_a_record_is_checked_as_a_fixture_is(curation, change, problem):
    app, client, tokens = curation
    assert_problem(propose(client, tokens["curator"], record=statement(**change)), 422, problem)


def test_bad_requests_and_roles(curation):
    app, client, tokens = curation
    body = {"kind": "statement", "action": "create", "id": "x", "record": statement(), "summary": "x"}
    assert_problem(client.post("/api/v1/changes", json=body), 401)
    assert_problem(client.post("/api/v1/changes", json=body, headers=auth(tokens["admin"])), 403)
    assert_problem(
        client.post("/api/v1/changes", json={**body, "summary": ""}, headers=auth(tokens["curator"])), 422, "summary"
    )
    assert_problem(
        client.post("/api/v1/changes", json={**body, "kind": "rumour"}, headers=auth(tokens["curator"])), 422, "kind"
    )
    assert_problem(
        client.post("/api/v1/changes", json={**body, "colour": 1}, headers=auth(tokens["curator"])), 422, "colour"
    )
    taken = {**body, "id": "ri-seoul-proposals-lacked-sincerity"}
    assert_problem(client.post("/api/v1/changes", json=taken, headers=auth(tokens["curator"])), 409, "already exists")


@pytest.mark.parametrize(
    "action, fields, problem",
    [
        ("create", {}, "a create needs `record`: the whole record"),
        ("create", {"record": None}, "record"),
        ("update", {}, "an update needs `record`: the merge patch"),
        ("update", {"record": {}}, "the update changes nothing"),
        ("delete", {"record": {"summary": "x"}}, "a delete takes no `record` or `text`"),
    ],
)
def test_a_change_says_what_its_action_needs(curation, action, fields, problem):
    """A create or update without its record, an empty patch, a delete with one: refused, and nothing is kept."""
    app, client, tokens = curation
    body = {"kind": "statement", "action": action, "id": "seoul-proposed-talks-north-silent", "summary": "x", **fields}
    headers = auth(tokens["curator"], **{"If-Match": "*"})
    assert_problem(client.post("/api/v1/changes", json=body, headers=headers), 422, problem)
    with app.app_context(), db.connection_context():
        assert m.Change.select().count() == 0


def test_updates_and_deletes_need_the_current_etag_and_one_pending_change_at_a_time(curation):
    app, client, tokens = curation
    url = "/api/v1/statements/wang-yi-hopes-north-south-improve-relations"
    record_id = url.rsplit("/", 1)[1]
    assert_problem(propose(client, tokens["curator"], "update", record_id, {"stance": "neutral"}), 428, "If-Match")
    assert_problem(
        propose(client, tokens["curator"], "update", record_id, {"stance": "neutral"}, **{"If-Match": '"stale"'}), 412
    )
    etag = client.get(url).headers["ETag"]
    first = propose(client, tokens["curator"], "update", record_id, {"stance": "neutral"}, **{"If-Match": etag})
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["before"]["stance"] == "supports" and first.get_json()["record"]["stance"] == "neutral"
    second = propose(client, tokens["curator2"], "update", record_id, {"stance": "opposes"}, **{"If-Match": etag})
    assert_problem(second, 412, f"change {first.get_json()['id']} to this statement is awaiting review")
    assert (
        client.post(f"/api/v1/changes/{first.get_json()['id']}/approve", headers=auth(tokens["editor"])).status_code
        == 200
    )
    assert client.get(url).get_json()["stance"] == "neutral"
    published = client.get(f"/api/v1/changes/{first.get_json()['id']}", headers=auth(tokens["editor"])).get_json()
    # The 412 says who changed it, when and why, so the curator knows what to read before trying again.
    assert_problem(
        propose(client, tokens["curator2"], "update", record_id, {"stance": "opposes"}, **{"If-Match": etag}),
        412,
        f"(its latest change is revision 1, by {published['author']}, approved by {published['reviewer']} at "
        f"{published['reviewed_at'].replace('T', ' ')} UTC: {published['summary']!r}): GET {url} again and retry",
    )

    etag = client.get(url).headers["ETag"]
    deleted = propose(client, tokens["curator2"], "delete", record_id, **{"If-Match": etag})
    assert deleted.status_code == 201 and deleted.get_json()["record"] is None
    assert (
        client.post(f"/api/v1/changes/{deleted.get_json()['id']}/approve", headers=auth(tokens["editor"])).status_code
        == 200
    )
    gone = client.get(url)
    assert_problem(gone, 410, f"deleted by revision 2: /api/v1/revisions?kind=statement&record={record_id}")
    history = client.get(f"/api/v1/revisions?kind=statement&record={record_id}").get_json()
    assert [(r["revision"], r["action"]) for r in history] == [(1, "update"), (2, "delete")]
    assert client.get("/api/v1/revisions?after=1").get_json() == history[1:]


def test_deleting_a_record_others_name_is_refused_naming_them(curation):
    app, client, tokens = curation
    etag = client.get("/api/v1/entities/yonhap").headers["ETag"]
    body = {"kind": "entity", "action": "delete", "id": "yonhap", "summary": "remove"}
    refused = client.post("/api/v1/changes", json=body, headers=auth(tokens["curator"], **{"If-Match": etag}))
    assert_problem(refused, 422, "record 'ri-seoul-proposals-lacked-sincerity': reported_via 'yonhap' is not an entity")


def test_a_rejected_change_is_never_published(curation):
    app, client, tokens = curation
    change = propose(client, tokens["curator"], record=statement()).get_json()
    assert_problem(
        client.post(f"/api/v1/changes/{change['id']}/reject", json={"note": "no"}, headers=auth(tokens["curator"])), 403
    )
    assert_problem(
        client.post(f"/api/v1/changes/{change['id']}/reject", json={}, headers=auth(tokens["editor"])), 422, "note"
    )
    rejected = client.post(
        f"/api/v1/changes/{change['id']}/reject",
        json={"note": "Paraphrase, not a quote."},
        headers=auth(tokens["editor"]),
    )
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["review_note"] == "Paraphrase, not a quote."
    assert client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"])).status_code == 409
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 404
    assert client.get("/api/v1/revisions").get_json() == []


def test_a_new_article_and_a_statement_quoting_it(curation):
    app, client, tokens = curation
    text = "Foreign Minister Kang Kyung-wha said on Monday that Seoul remains open to talks with the North.\n"
    article = {
        "kind": "article",
        "title": "Kang: Seoul open to talks",
        "publisher": "Example Wire",
        "published_on": "2017-08-07",
        "date_precision": "day",
        "dateline": "Mon Aug 7, 2017",
    }
    body = {
        "kind": "source",
        "action": "create",
        "id": "example-wire-kang-2017-08-07",
        "record": article,
        "text": text,
        "summary": "new article",
    }
    created = client.post("/api/v1/changes", json=body, headers=auth(tokens["curator"]))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert (
        client.post(f"/api/v1/changes/{created.get_json()['id']}/approve", headers=auth(tokens["editor"])).status_code
        == 200
    )
    assert client.get("/api/v1/sources/example-wire-kang-2017-08-07/text").get_data(as_text=True) == text
    source = client.get("/api/v1/sources/example-wire-kang-2017-08-07").get_json()
    assert len(source["sha256"]) == 64

    said = "Seoul remains open to talks with the North"
    quoting = statement(
        said_on="2017-08-07",
        attribution_chain=[],
        attribution="direct",
        quote=None,
        citations=[{"source": "example-wire-kang-2017-08-07", "quote": said}],
    )
    proposed = propose(client, tokens["curator"], record_id="kang-seoul-open-to-talks", record=quoting)
    assert proposed.status_code == 201, proposed.get_data(as_text=True)
    assert (
        client.post(f"/api/v1/changes/{proposed.get_json()['id']}/approve", headers=auth(tokens["editor"])).status_code
        == 200
    )
    assert client.get("/api/v1/statements/kang-seoul-open-to-talks").get_json()["citations"][0]["start"] == text.find(
        said
    )
    # Cited, the article's text can no longer change.
    etag = client.get("/api/v1/sources/example-wire-kang-2017-08-07").headers["ETag"]
    body = {
        "kind": "source",
        "action": "update",
        "id": "example-wire-kang-2017-08-07",
        "record": {},
        "text": "Other words.",
        "summary": "edit",
    }
    assert_problem(
        client.post("/api/v1/changes", json=body, headers=auth(tokens["curator"], **{"If-Match": etag})),
        422,
        "can no longer change",
    )


def test_init_keeps_published_changes_unless_forced_and_export_holds_them(curation, tmp_path):
    app, client, tokens = curation
    change = propose(client, tokens["curator"], record=statement()).get_json()
    client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"]))
    runner = app.test_cli_runner()
    kept = runner.invoke(init_command)
    assert kept.exit_code == 0 and "holds 1 change(s) published through the API: kept" in kept.output, kept.output
    facts = curated_fact_count() + 1  # the curated ones and the one published
    assert kept.output.splitlines()[-1].endswith(f"already holds these {facts} facts; nothing to do"), kept.output
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 200
    exported = runner.invoke(export_fixtures_command, [str(tmp_path)])
    assert exported.exit_code == 0
    assert "kang-urges-ri-test" in [
        r["id"] for r in json.loads((tmp_path / "fixtures" / "statements.json").read_text())
    ]
    forced = runner.invoke(init_command, ["--force"])
    assert forced.exit_code == 0, forced.output
    assert forced.output.startswith("discarded 1 change(s) published through the API (--force)"), forced.output
    assert forced.output.splitlines()[-1].startswith("loaded "), forced.output
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 404
    with app.app_context(), db.connection_context():
        assert m.Change.select().count() == 1  # the record of what was published stays


def test_the_change_feed_pages_in_revision_order(curation):
    app, client, tokens = curation
    for number in range(3):
        change = propose(
            client, tokens["curator"], record_id=f"kang-urges-ri-test-{number}", record=statement()
        ).get_json()
        assert client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"])).status_code == 200
    first = client.get("/api/v1/revisions?page_size=2")
    assert [r["revision"] for r in first.get_json()] == [1, 2]
    assert json.loads(first.headers["X-Pagination"])["total"] == 3
    assert [r["revision"] for r in client.get("/api/v1/revisions?page_size=2&page=2").get_json()] == [3]
    assert [r["record_id"] for r in client.get("/api/v1/revisions?after=2").get_json()] == ["kang-urges-ri-test-2"]
    queue = client.get("/api/v1/changes?page_size=2", headers=auth(tokens["editor"]))
    assert [c["id"] for c in queue.get_json()] == [3, 2] and 'rel="next"' in queue.headers["Link"]


def test_a_read_only_deployment_answers_writes_with_a_problem_saying_so(written_database, curator_token):
    client = create_app({"DATABASE_URL": written_database[0], "KB_READ_ONLY": True, "TESTING": True}).test_client()
    body = {"kind": "topic", "action": "create", "id": "never", "record": {"description": "x"}, "summary": "x"}
    for response in (
        client.post("/api/v1/changes", json=body, headers=auth(curator_token)),
        client.post("/api/v1/changes", json=body),
        client.post("/api/v1/changes/1/approve", headers=auth(curator_token)),
    ):
        assert_problem(response, 403, "this deployment is read-only (KB_READ_ONLY)")
    assert client.get("/api/v1/token", headers=auth(curator_token)).status_code == 200  # reading still works


def test_every_kind_of_record_can_be_changed():
    from schemas.service import CHANGE_KINDS
    from schemas.writes import RECORD_SCHEMAS
    from service.knowledge.kinds import KINDS

    assert CHANGE_KINDS == tuple(kind.name for kind in KINDS)
    assert RECORD_SCHEMAS == {kind.name: kind.schema for kind in KINDS}


def test_the_spec_gives_each_kind_a_create_and_a_patch_shape(client):
    """A create names the fields a fixture holds but those the service sets, required as the fixtures require
    them; a patch any of them."""
    from service.knowledge.kinds import KINDS

    spec = client.get("/openapi.json").get_json()
    shapes, record = (
        spec["components"]["schemas"],
        spec["components"]["schemas"]["ChangeProposal"]["properties"]["record"],
    )
    named = {ref["$ref"].rsplit("/", 1)[1] for ref in record["anyOf"]}
    for kind in KINDS:
        name = kind.schema.__name__.removesuffix("Schema")
        create, patch = shapes[f"{name}Create"], shapes[f"{name}Patch"]
        assert {f"{name}Create", f"{name}Patch"} <= named
        # What the service sets itself (load-only, such as an article's file name) is no field of either.
        fields = list(fields_of(kind.schema, computed=False, service_set=False, identity=False))
        assert set(create["properties"]) == set(fields) == set(patch["properties"]), kind.name
        required = [f for f in fields if fields_of(kind.schema)[f].required]
        assert sorted(create.get("required", [])) == sorted(required) and "required" not in patch, kind.name


def test_publication_writes_what_a_full_load_of_the_same_knowledge_writes(curation):
    """Publication updates only the rows a change reaches; the database must be the one a load of the same
    knowledge gives, and its data version the fingerprint of its own export (so a restart loads nothing)."""
    from service.knowledge.load import load_knowledge
    from service.knowledge.published import published_knowledge

    app, client, tokens = curation

    def publish(body, etag_url=None):
        headers = auth(tokens["curator"])
        if etag_url:
            headers["If-Match"] = client.get(etag_url).headers["ETag"]
        proposed = client.post("/api/v1/changes", json=body, headers=headers)
        assert proposed.status_code == 201, proposed.get_data(as_text=True)
        approved = client.post(f"/api/v1/changes/{proposed.get_json()['id']}/approve", headers=auth(tokens["editor"]))
        assert approved.status_code == 200, approved.get_data(as_text=True)

    publish(
        {"kind": "topic", "action": "create", "id": "test-topic", "record": {"description": "A test."}, "summary": "t"}
    )
    publish(
        {
            "kind": "statement",
            "action": "create",
            "id": "kang-urges-ri-test",
            "summary": "s",
            "record": statement(topics=["dialogue", "test-topic"]),
        }
    )
    # An entity's name appears in the documents, search entries and statement text of records that name it.
    publish(
        {
            "kind": "entity",
            "action": "update",
            "id": "kang-kyung-wha",
            "summary": "n",
            "record": {"name": "Kang Kyung Wha"},
        },
        "/api/v1/entities/kang-kyung-wha",
    )
    publish(
        {
            "kind": "statement",
            "action": "update",
            "id": "kang-urges-ri-test",
            "summary": "u",
            "record": {"topics": ["test-topic"], "stance": "neutral"},
        },
        "/api/v1/statements/kang-urges-ri-test",
    )
    publish(
        {"kind": "statement", "action": "create", "id": "kang-urges-ri-again", "summary": "s", "record": statement()}
    )
    publish(
        {"kind": "statement", "action": "delete", "id": "kang-urges-ri-again", "summary": "d"},
        "/api/v1/statements/kang-urges-ri-again",
    )
    assert "Kang Kyung Wha" in client.get("/api/v1/search?q=Kang+Kyung+Wha").get_data(as_text=True)
    with app.app_context(), db.connection_context():
        published = database_state()
        version = m.Dataset.get().version
        own = published_knowledge()
        assert own.fingerprint == version
        load_knowledge(own, force=True, origin="api")
        assert database_state() == published
    with app.app_context():
        assert initialise_database().loaded is False


def _approve(client, tokens, change_id, editor="editor"):
    approved = client.post(f"/api/v1/changes/{change_id}/approve", headers=auth(tokens[editor]))
    assert approved.status_code == 200, approved.get_data(as_text=True)
    return approved.get_json()


def test_an_editor_reverts_a_revision_through_a_reviewed_change(curation):
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        tokens["editor2"] = issue_token(f"editor2-{uuid.uuid4().hex[:6]}", "editor")
    url = "/api/v1/statements/ri-seoul-proposals-lacked-sincerity"
    original = client.get(url).get_data(as_text=True)
    patch = {"stance": "neutral", "date_derivation": None}
    update = propose(
        client,
        tokens["curator"],
        "update",
        "ri-seoul-proposals-lacked-sincerity",
        patch,
        **{"If-Match": client.get(url).headers["ETag"]},
    ).get_json()
    published = _approve(client, tokens, update["id"])
    assert published["after"]["stance"] == "neutral" and published["after"] == published["before"] | {
        "stance": "neutral",
        "date_derivation": None,
    }

    # A curator may not revert; an editor proposes it, and it waits for another editor like any change.
    body = {"summary": "Revert: the stance was right."}
    assert_problem(
        client.post(f"/api/v1/revisions/{published['revision']}/revert", json=body, headers=auth(tokens["curator"])),
        403,
    )
    assert_problem(
        client.post("/api/v1/revisions/99/revert", json=body, headers=auth(tokens["editor"])), 404, "no revision 99"
    )
    reverting = client.post(
        f"/api/v1/revisions/{published['revision']}/revert", json=body, headers=auth(tokens["editor"])
    )
    assert reverting.status_code == 201, reverting.get_data(as_text=True)
    change = reverting.get_json()
    assert change["reverts"] == published["revision"] and change["action"] == "update" and change["status"] == "pending"
    assert reverting.headers["Location"] == f"/api/v1/changes/{change['id']}"
    assert client.get(url).get_json()["stance"] == "neutral"  # not until it is reviewed
    assert_problem(
        client.post(f"/api/v1/changes/{change['id']}/approve", headers=auth(tokens["editor"])),
        403,
        "other than its author",
    )
    reverted = _approve(client, tokens, change["id"], editor="editor2")
    assert reverted["after"] == published["before"]
    assert client.get(url).get_data(as_text=True) == original  # byte for byte as before the revision

    # Only a record's latest revision can be undone.
    assert_problem(
        client.post(f"/api/v1/revisions/{published['revision']}/revert", json=body, headers=auth(tokens["editor"])),
        409,
        f"changed since revision {published['revision']} (revision {reverted['revision']}): revert that one first",
    )


def test_reverting_a_creation_deletes_and_reverting_a_deletion_creates_again(curation):
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        tokens["editor2"] = issue_token(f"editor2-{uuid.uuid4().hex[:6]}", "editor")
    created = _approve(client, tokens, propose(client, tokens["curator"], record=statement()).get_json()["id"])
    url = "/api/v1/statements/kang-urges-ri-test"
    document = client.get(url).get_data(as_text=True)
    body = {"summary": "Revert the new statement."}
    deleting = client.post(f"/api/v1/revisions/{created['revision']}/revert", json=body, headers=auth(tokens["editor"]))
    assert deleting.status_code == 201 and deleting.get_json()["action"] == "delete", deleting.get_data(as_text=True)
    deleted = _approve(client, tokens, deleting.get_json()["id"], editor="editor2")
    assert_problem(client.get(url), 410)
    creating = client.post(f"/api/v1/revisions/{deleted['revision']}/revert", json=body, headers=auth(tokens["editor"]))
    assert creating.status_code == 201 and creating.get_json()["action"] == "create", creating.get_data(as_text=True)
    _approve(client, tokens, creating.get_json()["id"], editor="editor2")
    assert client.get(url).get_data(as_text=True) == document


def test_the_change_feed_since_a_time_or_a_data_version(curation):
    app, client, tokens = curation
    start = client.get("/health").get_json()["data_version"]
    assert client.get(f"/api/v1/revisions?since_version={start}").get_json() == []
    published = []
    for number in range(3):
        change = propose(
            client, tokens["curator"], record_id=f"kang-urges-ri-test-{number}", record=statement()
        ).get_json()
        published.append(_approve(client, tokens, change["id"]))
    assert client.get("/health").get_json()["data_version"] == published[-1]["version"]

    def feed(query):
        response = client.get(f"/api/v1/revisions?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["revision"] for r in response.get_json()]

    assert feed(f"since_version={start}") == [1, 2, 3]  # the version revision 1 was published on
    assert feed(f"since_version={published[0]['version']}") == [2, 3]
    assert feed(f"since_version={published[2]['version']}") == []
    assert_problem(client.get("/api/v1/revisions?since_version=not-a-version"), 422, "use `after`")
    assert feed(f"since={published[0]['reviewed_at']}Z") == [1, 2, 3]
    assert feed("since=2999-01-01T00:00:00%2B01:00") == []
    assert feed(f"since={published[0]['reviewed_at']}%2B01:00") == [1, 2, 3]  # an hour earlier in UTC
    assert_problem(client.get("/api/v1/revisions?since=yesterday"), 422)


def _create_update_and_revert(client, tokens) -> list[dict]:
    """Revisions 1 (a statement created), 2 (updated) and 3 (revision 2 reverted: the statement as after 1)."""
    url = "/api/v1/statements/kang-urges-ri-test"
    created = _approve(client, tokens, propose(client, tokens["curator"], record=statement()).get_json()["id"])
    etag = client.get(url).headers["ETag"]
    updating = propose(
        client, tokens["curator"], "update", record={"stance": "neutral"}, **{"If-Match": etag}
    ).get_json()
    updated = _approve(client, tokens, updating["id"])
    body = {"summary": "Revert the stance."}
    reverting = client.post(
        f"/api/v1/revisions/{updated['revision']}/revert", json=body, headers=auth(tokens["editor"])
    )
    assert reverting.status_code == 201, reverting.get_data(as_text=True)
    reverted = _approve(client, tokens, reverting.get_json()["id"], editor="editor2")
    assert [created["revision"], updated["revision"], reverted["revision"]] == [1, 2, 3]
    assert reverted["after"] == created["after"] and reverted["version"] == created["version"]
    return [created, updated, reverted]


def test_only_a_record_s_latest_revision_is_reverted_even_when_a_later_one_restored_its_content(curation):
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        tokens["editor2"] = issue_token(f"editor2-{uuid.uuid4().hex[:6]}", "editor")
    created, updated, reverted = _create_update_and_revert(client, tokens)
    body = {"summary": "Undo the creation."}
    for earlier in (created, updated):
        assert_problem(
            client.post(f"/api/v1/revisions/{earlier['revision']}/revert", json=body, headers=auth(tokens["editor"])),
            409,
            f"changed since revision {earlier['revision']} (revision 3): revert that one first",
        )
    with app.app_context(), db.connection_context():
        assert m.Change.select().where(m.Change.status == "pending").count() == 0  # nothing was proposed
    latest = client.post("/api/v1/revisions/3/revert", json=body, headers=auth(tokens["editor"]))
    assert latest.status_code == 201 and latest.get_json()["reverts"] == 3, latest.get_data(as_text=True)


def test_the_feed_by_data_version_goes_on_from_the_last_time_the_knowledge_was_at_it(curation):
    """After a revert the knowledge is back at an earlier data version: a client holding that content is given the
    revisions after the revert, not again those it has read."""
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        tokens["editor2"] = issue_token(f"editor2-{uuid.uuid4().hex[:6]}", "editor")
    start = client.get("/health").get_json()["data_version"]
    created, updated, reverted = _create_update_and_revert(client, tokens)

    def feed(version):
        response = client.get(f"/api/v1/revisions?since_version={version}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["revision"] for r in response.get_json()]

    assert feed(created["version"]) == []  # the knowledge is at it now
    later = _approve(
        client,
        tokens,
        propose(client, tokens["curator"], record_id="kang-urges-ri-test-2", record=statement()).get_json()["id"],
    )
    assert later["revision"] == 4
    assert feed(created["version"]) == [4]  # made by revisions 1 and 3: from the last of them
    assert feed(updated["version"]) == [3, 4]
    assert feed(start) == [1, 2, 3, 4]
    assert feed(later["version"]) == []


def test_a_revision_is_found_by_its_own_number_when_a_revert_brings_its_data_version_back(curation):
    app, client, tokens = curation
    with app.app_context(), db.connection_context():
        tokens["editor2"] = issue_token(f"editor2-{uuid.uuid4().hex[:6]}", "editor")
    published = _create_update_and_revert(client, tokens)
    assert published[0]["version"] == published[2]["version"]
    for revision in published:
        answer = client.get(f"/api/v1/revisions/{revision['revision']}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.get_json() == revision
        assert answer.get_json() == client.get(f"/api/v1/revisions?after={revision['revision'] - 1}").get_json()[0]
    for missing in ("4", "0", "not-a-number", "1" * 12):
        assert_problem(client.get(f"/api/v1/revisions/{missing}"), 404, f"no revision {missing}")


@pytest.mark.parametrize("table", ["document", "dataset"])
def test_a_publication_that_fails_midway_leaves_nothing_behind(curation, table):
    """A failure after some rows are written (here, on writing the rendered documents, after the records; or on
    writing the new data version, the last write, after the search index) rolls the whole publication back: the
    knowledge, the data version and the change are as they were, and it can be approved again once the failure
    is gone."""
    from peewee import DatabaseError

    from service.knowledge import curation as publication

    app, client, tokens = curation
    change = propose(client, tokens["curator"], record=statement()).get_json()
    with app.app_context(), db.connection_context():
        before, version = database_state(), m.Dataset.get().version
        with writes_refused(app.config["DATABASE_URL"], table), pytest.raises(DatabaseError, match="the disk is full"):
            publication.publish(m.Change.get_by_id(change["id"]), "an-editor")
        assert database_state() == before
        assert m.Dataset.get().version == version
        assert m.Change.get_by_id(change["id"]).status == "pending"
        assert m.Change.get_by_id(change["id"]).revision is None
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 404
    assert _approve(client, tokens, change["id"])["revision"] == 1
    assert client.get("/api/v1/statements/kang-urges-ri-test").status_code == 200
