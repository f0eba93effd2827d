"""A publication writes what its change touches, and only that: over random sequences of changes of every kind, the
database after each publication is the one a full load of the same knowledge gives, and the change's `touched`
names exactly the documents whose bytes changed and every table whose rows changed."""

from __future__ import annotations

import json
import random

import pytest

from service import create_app
from service.knowledge.curation import ChangeRefused, propose, publish
from service.knowledge.fixtures import published_records
from service.knowledge.kinds import BY_NAME, KINDS
from service.knowledge.lifecycle import initialise_database
from service.knowledge.load import load_knowledge
from service.knowledge.published import published_knowledge
from service.pages.directory import Directory
from service.store import models as m
from service.store.db import db
from tests.helpers import database_state

STEPS = 48  # four changes of each kind
CHECK_EVERY = 8  # a full load to compare with, every this many publications


def _revised(field):
    def change(rng, record, records):
        return {field: f"{record[field] or ''} (revised {rng.randrange(10**6)})"}

    return change


def _pick(rng, records, kind_name, **where):
    found = [r for r in records[kind_name] if all(r.get(k) == v for k, v in where.items())]
    return rng.choice(found) if found else None


def _derive(rng, record, records):
    other = rng.choice([s for s in records["source"] if s["id"] != record["id"]])
    derived = record.get("derived_from") or []
    return {"derived_from": [] if derived and rng.random() < 0.5 else [*derived, {"source": other["id"]}]}


def _rename(rng, record, records):
    return {"name": f"{record['name']} Renamed {rng.randrange(10**6)}"}


def _speakers(records) -> list[dict]:
    """The entities speaking a statement: their names are in the statements' labels."""
    speaking = {s["speaker"] for s in records["statement"]}
    return [e for e in records["entity"] if e["id"] in speaking]


def _rename_a_speaker(rng, record, records):  # made of the record _pick_for chooses: a speaker
    return _rename(rng, record, records)


def _unnamed(rng, record, records):
    return {"named": not record["named"]}


def _relabel_kind(rng, record, records):  # an organisation relaying a report is an agency; a person is not
    swap = {"organization": "person", "person": "organization"}
    return {"kind": swap[record["kind"]]} if record["kind"] in swap else {"description": "Kind kept."}


def _recite(rng, record, records):
    citations = [dict(c) for c in record["citations"]]
    citations[0]["wording"] = f"wording {rng.randrange(10**6)}"
    if rng.random() < 0.5:  # a passage of another source: its support (and independence) changes
        donor = rng.choice([r for r in records[record.get("_kind", "statement")] if r["citations"]])
        citations.append({**donor["citations"][0], "role": "context", "fields": []})
    return {"citations": citations}


def _topics(rng, record, records):
    topics = [t["id"] for t in records["topic"]]
    return {"topics": rng.sample(topics, rng.randint(1, 3))}


def _dispute_facts(rng, record, records):
    kind = rng.choice([k for k in KINDS if k.disputable])
    fact = rng.choice(records[kind.name])
    return {"facts": [*record["facts"][:1], {"type": kind.name, "id": fact["id"]}]}


def _move_claim(rng, record, records):
    return {"dispute": rng.choice(records["dispute"])["id"]}


def _vote(rng, record, records):
    return {"vote": rng.choice([v for v in ("yes", "no", "abstain") if v != record["vote"]])}


def _participants(rng, record, records):
    people = [e["id"] for e in records["entity"] if e["kind"] == "person"]
    return {"participants": rng.sample(people, rng.randint(1, 3))}


# How each kind's records are changed: a test for a new kind fails until it says how.
UPDATES = {
    "source": (_revised("title"), _derive),
    "entity": (_revised("description"), _rename, _rename_a_speaker, _unnamed, _relabel_kind),
    "role": (_revised("title"),),
    "resolution": (_revised("purpose"),),
    "vote": (_vote,),
    "measure": (_revised("description"),),
    "figure": (_revised("description"),),
    "event": (_revised("description"), _participants),
    "statement": (_revised("summary"), _recite, _topics),
    "topic": (_revised("description"),),
    "dispute": (_revised("verdict"), _dispute_facts),
    "claim": (_revised("claim"), _move_claim),
}


# The record an update is made of, where it is not any record of the kind.
PICKS = {_rename_a_speaker: lambda rng, records: rng.choice(_speakers(records))}
# What every sequence covers, whatever the seed: step -> (action, update). The first entity step renames a speaker,
# whose statements' /facts labels (and search entries) name it though their documents do not change.
SCRIPTED = {[kind.name for kind in KINDS].index("entity"): ("update", _rename_a_speaker)}


def _created(rng, kind_name, records):
    """A new record of the kind, made from a published one: (id, record, text)."""
    template = dict(rng.choice(records[kind_name]))
    new_id = f"{template['id']}-copy-{rng.randrange(10**6)}"
    text = None
    if kind_name == "entity":
        template.update(name=f"New entity {rng.randrange(10**6)}", aliases=[])
        template.pop("roles", None)
        if template["kind"] == "country":
            template["country_code"] = rng.choice(["QM", "QN", "QO", "QP", "XA", "XB"])
    if kind_name == "source" and template["kind"] == "article":
        text = f"A new article's text, number {rng.randrange(10**6)}."
        template = {k: v for k, v in template.items() if k not in ("file", "sha256")}
    if kind_name == "dispute":
        template.pop("claims", None)
    if kind_name == "vote":  # a member votes once on a resolution
        voting = {v["member"] for v in records["vote"] if v["resolution"] == template["resolution"]}
        others = [e["id"] for e in records["entity"] if e["kind"] == "country" and e["id"] not in voting]
        template["member"] = rng.choice(others)
    template.pop("id")
    return new_id, template, text


@pytest.fixture
def publishing(new_database_url):
    app = create_app({"DATABASE_URL": new_database_url(), "TESTING": True})
    with app.app_context():
        initialise_database()
    return app


def _documents() -> dict[tuple[str, str], str]:
    return {(kind, record_id): body for kind, record_id, body in m.Document.select().tuples()}


@pytest.mark.parametrize("seed", [1, 2])
def test_random_publications_write_what_a_full_load_writes(publishing, seed):
    assert set(UPDATES) == set(BY_NAME), "say how each kind's records are changed"
    rng = random.Random(seed)
    published = {kind.name: 0 for kind in KINDS}
    with publishing.app_context(), db.connection_context():
        directory = Directory()
        for step in range(STEPS):
            kind = KINDS[step % len(KINDS)]
            records = published_records()
            scripted = SCRIPTED.get(step)
            action, update = scripted or (rng.choice(["update", "update", "update", "create", "delete"]), None)
            text = None
            if action == "update":
                update = update or rng.choice(UPDATES[kind.name])
                record = PICKS[update](rng, records) if update in PICKS else rng.choice(records[kind.name])
                record_id, change = record["id"], update(rng, record, records)
            elif action == "create":
                record_id, change, text = _created(rng, kind.name, records)
            else:
                record_id, change = rng.choice(records[kind.name])["id"], None
            before = _documents()
            state = database_state()
            try:
                proposed = propose(kind.name, action, record_id, change, "random", "curator", text=text)
                change_row = publish(proposed, "editor")
            except ChangeRefused as refused:
                assert step not in SCRIPTED, f"step {step}: what every sequence covers was refused: {refused.problems}"
                assert database_state() == state, "a refused change leaves nothing behind"
                continue
            published[kind.name] += 1
            if update is _rename_a_speaker:  # its statements are labelled by its new name
                labels = m.Fact.select(m.Fact.label).where(
                    (m.Fact.fact_type == "statement")
                    & m.Fact.fact_id.in_([s["id"] for s in records["statement"] if s["speaker"] == record_id])
                )
                assert [label for (label,) in labels.tuples()], f"step {step}: {record_id} speaks no statement"
                assert all(label.startswith(change["name"] + ": ") for (label,) in labels.tuples()), f"step {step}"
            after = _documents()
            touched = json.loads(change_row.touched)
            directory = directory.after({tuple(key) for key in touched["documents"]})
            whole = Directory()
            assert (directory.entries, directory.doubts) == (whole.entries, whole.doubts), f"step {step}: the pages"
            assert +directory.tallies == whole.tallies, f"step {step}: the pages' tallies of facts"
            changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
            assert {tuple(key) for key in touched["documents"]} == changed, f"step {step}: {kind.name} {action}"
            new_state = database_state()
            changed_tables = {table for table in new_state if new_state[table] != state[table]}
            changed_tables -= {"dataset", "document", "change", "search"}
            named = set(touched["tables"]) | ({"statement_text"} if "statement" in touched["tables"] else set())
            named |= {"search"} if "search_document" in touched["tables"] else set()
            assert changed_tables <= named, f"step {step}: {kind.name} {action}: tables not named"
            if published[kind.name] and sum(published.values()) % CHECK_EVERY == 0:
                _assert_a_full_load_writes_the_same()
        _assert_a_full_load_writes_the_same()
    assert all(published.values()), f"every kind had a change published: {published}"


def _assert_a_full_load_writes_the_same() -> None:
    state = database_state()
    version = m.Dataset.get().version
    own = published_knowledge()
    assert own.fingerprint == version, "the version is the one the knowledge gives, however it was reached"
    load_knowledge(own, force=True, origin="api")
    assert database_state() == state


def test_the_pages_directory_follows_publications_by_what_they_touched(publishing):
    """The labels the pages show (knowledge pages link every record by its label) are kept up to date from the
    documents each publication touched, and equal a directory read whole: a member's name in its votes' labels, a
    speaker's in its statements', a resolution's in its votes', an entity's in its roles', a claim moved, a role
    deleted, a doubt noted."""
    with publishing.app_context(), db.connection_context():
        records = published_records()
        vote = records["vote"][0]
        role = records["role"][0]
        assert records["role"][-1]["id"] != role["id"]
        claim = records["claim"][0]
        third = {k: v for k, v in claim.items() if k != "id"}  # a third side, which can move to another dispute
        other_dispute = next(d["id"] for d in records["dispute"] if d["id"] != claim["dispute"])
        statement = records["statement"][0]
        speaker = next(s["speaker"] for s in records["statement"] if s["speaker"] not in (None, vote["member"]))
        changes = [
            ("entity", vote["member"], {"name": "A Renamed Member"}),
            ("entity", speaker, {"name": "A Renamed Speaker"}),
            ("resolution", vote["resolution"], {"symbol": "S/RES/9999 (2017)"}),
            ("entity", role["entity"], {"name": "A Renamed Person"}),
            ("role", records["role"][-1]["id"], None),
            ("claim", "a-third-side", third),
            ("claim", "a-third-side", {"dispute": other_dispute}),
            ("statement", statement["id"], {"attribution": "ambiguous", "attribution_note": "Doubted."}),
        ]
        directory = Directory()
        for kind_name, record_id, change in changes:
            action = "delete" if change is None else "create" if change is third else "update"
            try:
                row = publish(propose(kind_name, action, record_id, change, "pages", "curator"), "editor")
            except ChangeRefused as refused:
                raise AssertionError(f"{kind_name} {record_id}: {refused.problems}") from refused
            directory = directory.after({tuple(key) for key in json.loads(row.touched)["documents"]})
            whole = Directory()
            assert directory.entries == whole.entries, f"{kind_name} {record_id}"
            assert directory.doubts == whole.doubts, f"{kind_name} {record_id}"
            assert +directory.tallies == whole.tallies, f"{kind_name} {record_id}"
        labels = [e.label for e in directory.entries.values()]
        assert any("A Renamed Member voted" in label for label in labels)
        assert any(label.startswith("A Renamed Person: ") for label in labels)
        assert any(label.startswith("A Renamed Speaker: ") for label in labels)  # a statement, by its speaker's name
