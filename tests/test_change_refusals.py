"""The review workflow refuses a change with a domain error, never an HTTP status; the changes resource answers each
with its status and one problem naming every problem line."""

import http
import json

import pytest
from werkzeug.exceptions import HTTPException

from service.knowledge.curation import AwaitingReview, ChangeConflict, ChangeRefused, InvalidChange, NotFound, propose
from service.resources.changes import REFUSAL_STATUS, answer_refusal
from service.store import models as m
from service.store.db import db

IF_MATCH_ADVICE = "review it first, then send If-Match with the ETag the record answers after it"
REFUSALS = [
    (NotFound(["no statement with id 'nowhere'"]), 404, ["no statement with id 'nowhere'"]),
    (
        ChangeConflict(["fixtures/statements.json: record 'a': names entity 'b', which does not exist", "and more"]),
        409,
        ["fixtures/statements.json: record 'a': names entity 'b', which does not exist", "and more"],
    ),
    (AwaitingReview(7, "statement"), 412, [f"change 7 to this statement is awaiting review: {IF_MATCH_ADVICE}"]),
    (
        InvalidChange(["citation 1: the quote is not in source 'x': '“Kang’s” 강경화'"]),
        422,
        ["citation 1: the quote is not in source 'x': '“Kang’s” 강경화'"],
    ),
]


def _kinds_of_refusal(cls: type) -> set[type]:
    return {sub for child in cls.__subclasses__() for sub in {child} | _kinds_of_refusal(child)}


def test_every_kind_of_refusal_has_its_status():
    assert set(REFUSAL_STATUS) == _kinds_of_refusal(ChangeRefused)


@pytest.mark.parametrize(("refusal", "status", "problems"), REFUSALS, ids=lambda v: type(v).__name__)
def test_a_refusal_is_answered_with_its_status_and_a_problem_naming_each_line(app, refusal, status, problems):
    with app.test_request_context("/api/v1/changes", method="POST"):
        with pytest.raises(HTTPException) as aborted:
            answer_refusal(refusal)
        response = app.handle_user_exception(aborted.value)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    expected = {
        "type": "about:blank",
        "title": http.HTTPStatus(status).phrase,
        "status": status,
        "detail": "; ".join(problems),
        "instance": "/api/v1/changes",
        "errors": {"json": {"record": problems}},
    }
    assert response.get_data() == json.dumps(expected, ensure_ascii=False).encode("utf-8")


def test_the_workflow_refuses_with_domain_errors_and_checks_the_precondition_on_the_published_record(app):
    """A missing record is NotFound, an existing one created again a ChangeConflict; an update's precondition sees
    the record as published and refuses before anything is written."""
    seen = []

    class Stale(Exception):
        pass

    def precondition(record_id: str, record: dict) -> None:
        seen.append((record_id, record))
        raise Stale

    with app.app_context(), db.connection_context():
        changes = m.Change.select().count()
        with pytest.raises(NotFound) as missing:
            propose("topic", "delete", "no-such-topic", None, "s", "someone", precondition)
        assert missing.value.problems == ["no topic with id 'no-such-topic'"]
        with pytest.raises(ChangeConflict):
            propose("topic", "create", "dialogue", {"description": "again"}, "s", "someone", precondition)
        with pytest.raises(Stale):
            propose("topic", "update", "dialogue", {"description": "new"}, "s", "someone", precondition)
        assert [record_id for record_id, _ in seen] == ["dialogue"]
        assert seen[0][1]["id"] == "dialogue" and seen[0][1]["description"] != "new"
        assert m.Change.select().count() == changes
