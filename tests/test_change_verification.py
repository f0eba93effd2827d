"""A change is verified at the cost of the change (knowledge/check_change.py), and that verification accepts and
refuses exactly what a full read of the same knowledge does: over random changes of every kind, valid and not
(dangling references, a second vote, a derivation cycle, a name or a country code another entity holds, a
deleted record others name, a dispute left with one claim), the problems are the same, word for word."""

from __future__ import annotations

import copy
import random

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schemas.vocabulary import ENTITY_KINDS
from service import create_app
from service.knowledge.check_change import verify_change
from service.knowledge.fixtures import published_records
from service.knowledge.kinds import BY_NAME, KINDS
from service.knowledge.lifecycle import initialise_database
from service.knowledge.published import published_knowledge
from service.knowledge.read import KnowledgeError, knowledge_with
from service.store.db import db


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The shipped knowledge, loaded once: the examples only verify, they publish nothing."""
    url = f"sqlite:///{tmp_path_factory.mktemp('verification') / 'kb.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        initialise_database()
        with db.connection_context():
            records, knowledge = published_records(), published_knowledge()
    return Published(app, records, knowledge)


class Published(tuple):
    """The app, its records and the knowledge read back (shown briefly when an example fails)."""

    def __new__(cls, *parts):
        return super().__new__(cls, parts)

    def __repr__(self) -> str:
        return "<the shipped knowledge, loaded>"


def _outcome(check):
    try:
        result = check()
    except KnowledgeError as error:
        return "refused", sorted(error.problems)
    return "accepted", result


def _any_id(rng, records) -> str:
    """An id of a record of any kind, or of none."""
    kind = rng.choice(sorted(records))
    ids = [r["id"] for r in records[kind]] + ["no-such-record"]
    return rng.choice(ids)


def _changed(rng, kind_name: str, record: dict, records: dict) -> dict:
    """A merge of changes to a published record: references pointed elsewhere, and the changes each kind's rules
    are about."""
    kind = BY_NAME[kind_name]
    change = copy.deepcopy(record)
    for reference in kind.references:
        if rng.randint(0, 3) == 0:
            target = _any_id(rng, records)
            change[reference.field] = [target] if isinstance(change.get(reference.field), list) else target
    if kind.cited and change["citations"] and rng.random() < 0.5:
        citation = change["citations"][0]
        source = rng.choice([s["id"] for s in records["source"]] + ["no-such-source"])
        quote = citation["quote"] if rng.random() < 0.5 else None
        change["citations"][0] = {**citation, "source": source, "quote": quote}
        if quote is None:
            change["citations"][0].update(start=None, end=None)
    if kind.cited and change["citations"] and rng.random() < 0.3:  # the account a passage carries
        events = [e["id"] for e in records["event"]]
        sources = [s["id"] for s in records["source"]]
        account = rng.choice(
            [
                {"type": "event", "id": rng.choice([*events, "no-such-event"])},
                {"type": "source", "id": rng.choice(sources)},
            ]
        )
        change["citations"][-1] = {**change["citations"][-1], "account": rng.choice([account, None])}
    if kind_name == "entity":
        which = rng.randint(0, 4)
        other = rng.choice(records["entity"])
        if which == 0:
            change["kind"] = rng.choice(ENTITY_KINDS)
        elif which == 1:
            change["country_code"] = other["country_code"]
        elif which == 2:
            change["aliases"] = [*change["aliases"], other["name"].upper()]
        elif which == 3:  # another entity's identifiers (an identifier belongs to one entity)
            change["identifiers"] = copy.deepcopy(other["identifiers"])
    if kind_name == "source":
        which = rng.randint(0, 2)
        if which == 0:
            parent = rng.choice([s["id"] for s in records["source"]])
            change["derived_from"] = [*change["derived_from"], {"source": parent, "relation": "rewrite"}]
        elif which == 1:  # an article made a reference, a reference an article (which takes a text)
            change["kind"] = "reference" if change["kind"] == "article" else "article"
        else:  # published on another day (a derivation from a later source, a later account carried)
            change.update(published_on=f"2017-08-{rng.randint(1, 12):02d}", date_precision="day")
    if kind_name == "event":
        which = rng.randint(0, 2)
        if which == 0:  # an utterance made a meeting, or the other way round
            change["kind"] = rng.choice(["press_remarks", "report", "meeting", "missile_test"])
        elif which == 1:  # later than what carries it
            day = f"2017-08-{rng.randint(1, 12):02d}"
            change.update(occurred_on=day, date_earliest=day, date_latest=day, date_precision="day")
    if kind_name == "vote":
        change["member"] = rng.choice([v["member"] for v in records["vote"]])
    if kind_name == "claim":
        change["dispute"] = rng.choice([d["id"] for d in records["dispute"]])
    if kind_name == "dispute" and rng.random() < 0.5:
        fact_kind = rng.choice([k.name for k in KINDS if k.disputable])
        ids = [r["id"] for r in records[fact_kind]] + ["no-such-fact"]
        change["facts"] = [*change["facts"][:1], {"type": fact_kind, "id": rng.choice(ids)}]
    for computed in ("roles", "claims", "file", "sha256"):
        change.pop(computed, None)
    return change


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32))
def test_a_change_is_refused_or_accepted_as_a_full_read_would(published, seed):
    app, records, knowledge = published
    rng = random.Random(seed)  # each example is one seed, which reproduces it
    kind_name = rng.choice([k.name for k in KINDS])
    kind = BY_NAME[kind_name]
    action = rng.choice(["update", "update", "create", "delete"])
    template = rng.choice(records[kind_name])
    text = None
    if action == "delete":
        record_id, record = template["id"], None
    else:
        record = _changed(rng, kind_name, template, records)
        record_id = template["id"] if action == "update" else f"{template['id']}-new"
        record["id"] = record_id
        if (
            kind_name == "source"
            and record["kind"] == "article"
            and (action == "create" or template["kind"] != "article")
        ):
            text = rng.choice(["A new article.", knowledge.texts.get(template["id"], "Its text.")])
    with app.app_context(), db.connection_context():
        incremental = _outcome(lambda: verify_change(kind, record_id, record, text))
    full = _outcome(lambda: _full(knowledge, kind_name, record_id, record, text))
    event(f"{kind_name} {action} {full[0]}")
    assert incremental == full


def _full(knowledge, kind_name, record_id, record, text):
    """The record and text a full read of the knowledge with the change gives."""
    changed = knowledge_with(knowledge, BY_NAME[kind_name], record_id, record, text)
    if record is None:
        return None, None
    if kind_name == "source":
        return changed.sources[record_id], changed.texts.get(record_id)
    return changed.record(kind_name, record_id), None


@pytest.mark.parametrize(
    "kind_name, record_id, problem",
    [
        ("entity", "north-korea", "is not an entity in entities.json"),  # others name it
        ("dispute", None, "is not a known dispute"),
        ("source", None, "does not exist"),
    ],
)
def test_deleting_what_others_name_is_refused_naming_them(published, kind_name, record_id, problem):
    app, records, knowledge = published
    record_id = record_id or _named_by_others(kind_name, records)
    with app.app_context(), db.connection_context():
        with pytest.raises(KnowledgeError) as refused:
            verify_change(BY_NAME[kind_name], record_id, None)
    assert any(problem in line and repr(record_id) in line for line in refused.value.problems)


def _named_by_others(kind_name, records) -> str:
    if kind_name == "dispute":
        return records["claim"][0]["dispute"]
    return records["statement"][0]["citations"][0]["source"]


def test_a_second_vote_of_a_member_on_a_resolution_is_refused(published):
    app, records, knowledge = published
    vote = records["vote"][0]
    copy_of = {**vote, "id": "second-vote"}
    with app.app_context(), db.connection_context():
        with pytest.raises(KnowledgeError) as refused:
            verify_change(BY_NAME["vote"], "second-vote", copy_of)
    assert refused.value.problems == [
        f"fixtures/votes.json: record 'second-vote': member {vote['member']!r} already has vote {vote['id']!r} on "
        f"resolution {vote['resolution']!r}"
    ]
    with pytest.raises(KnowledgeError) as full:
        knowledge_with(knowledge, BY_NAME["vote"], "second-vote", copy_of)
    assert full.value.problems == refused.value.problems


@pytest.mark.parametrize(
    "kind_name, record_id, change, problem",
    [
        # A resolution's text dated after the release reprinting it: the release derives from a later source.
        (
            "source",
            "un-doc-s-res-2371-2017",
            {"published_on": "2017-08-09"},
            "record 'un-press-sc-12945-2017': derived_from 'un-doc-s-res-2371-2017', published on 2017-08-09",
        ),
        # Remarks moved after the report carrying them.
        (
            "event",
            "lavrov-remarks-manila-2017-08-06",
            {"occurred_on": "2017-08-10", "date_earliest": "2017-08-10", "date_latest": "2017-08-10"},
            "record 'lavrov-russia-china-support-six-way-talks': citation 1: source 'presstv-manila-talks-2017-08-07' "
            "was published on 2017-08-07, before account event 'lavrov-remarks-manila-2017-08-06' began (2017-08-10)",
        ),
        # An utterance made a meeting: what carried it now carries no account.
        (
            "event",
            "wang-yi-remarks-manila-2017-08-07",
            {"kind": "meeting"},
            "record 'wang-yi-hopes-north-south-improve-relations': citation 1: account event "
            "'wang-yi-remarks-manila-2017-08-07' is a meeting event, not an account a source can carry",
        ),
        # A meeting made remarks: what was said there now reaches its sources as an account they must name.
        (
            "event",
            "wang-yi-ri-yong-ho-meeting-2017-08-06",
            {"kind": "press_remarks"},
            "record 'china-urges-north-korea-stop-tests-resume-talks': citation 1 reports "
            "'wang-yi-ri-yong-ho-meeting-2017-08-06', an utterance or a document: name the account",
        ),
    ],
)
def test_a_change_to_what_others_date_or_carry_is_refused_naming_them(published, kind_name, record_id, change, problem):
    app, records, knowledge = published
    record = {**next(r for r in records[kind_name] if r["id"] == record_id), **change}
    for computed in ("roles", "claims", "file", "sha256"):
        record.pop(computed, None)
    with app.app_context(), db.connection_context():
        with pytest.raises(KnowledgeError) as refused:
            verify_change(BY_NAME[kind_name], record_id, record)
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    with pytest.raises(KnowledgeError) as full:
        knowledge_with(knowledge, BY_NAME[kind_name], record_id, record)
    assert full.value.problems == refused.value.problems


def test_verification_reads_what_the_change_reaches_not_the_whole(published, monkeypatch):
    """A change to a topic reads no other topic's, statement's or source's record."""
    app, records, knowledge = published
    topic = {**records["topic"][0], "description": "Changed."}
    import service.knowledge.check_change as check_change

    read = []
    original = check_change.published_record
    monkeypatch.setattr(
        check_change, "published_record", lambda kind, i: read.append((kind.name, i)) or original(kind, i)
    )
    with app.app_context(), db.connection_context():
        verify_change(BY_NAME["topic"], topic["id"], topic)
    assert read == [("topic", topic["id"])]
