"""The loader verifies every fixture and citation, and refuses inconsistent knowledge naming what is wrong."""

import hashlib
import json
import shutil

import pytest

from service.knowledge.kinds import KINDS
from service.knowledge.read import read_knowledge
from service.knowledge.text import verify_quote
from tests.helpers import FIXTURES_DIR, SEEDS_DIR, problems_of, read_fixture, write_fixture


def test_curated_knowledge_verifies():
    knowledge = read_knowledge(FIXTURES_DIR, SEEDS_DIR)
    assert knowledge.fact_count > 100
    assert {s["kind"] for s in knowledge.sources.values()} == {"article", "reference"}


def test_every_article_citation_is_exact():
    knowledge = read_knowledge(FIXTURES_DIR, SEEDS_DIR)
    checked = 0
    for kind in KINDS:
        for record in knowledge.of(kind.name):
            for citation in record.get("citations", []):
                if citation["quote"] is not None:
                    text = knowledge.texts[citation["source"]]
                    assert text[citation["start"] : citation["end"]] == citation["quote"]
                    checked += 1
    assert checked > 100


def test_seed_texts_match_their_recorded_sha256():
    for meta_path in SEEDS_DIR.glob("*.json"):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        assert hashlib.sha256((SEEDS_DIR / meta["file"]).read_bytes()).hexdigest() == meta["sha256"]


def test_refuses_quote_not_in_source(knowledge_copy):
    path = knowledge_copy / "fixtures" / "statements.json"
    records = read_fixture(path)
    victim = records[0]
    citation = next(c for c in victim["citations"] if c.get("quote"))
    citation["quote"] = "Kim Jong Un promised to disarm tomorrow."
    citation["end"] = citation["start"] + len(citation["quote"])
    write_fixture(path, records)
    problems = problems_of(knowledge_copy)
    assert any(
        f"fixtures/statements.json: record {victim['id']!r}" in p and "quote is not in the source" in p
        for p in problems
    ), problems


def test_refuses_wrong_offsets_and_says_where_the_quote_is(knowledge_copy):
    path = knowledge_copy / "fixtures" / "measures.json"
    records = read_fixture(path)
    citation = records[0]["citations"][0]
    right_start = citation["start"]
    citation["start"] += 1
    citation["end"] += 1
    write_fixture(path, records)
    problems = problems_of(knowledge_copy)
    assert any(records[0]["id"] in p and f"which is at {right_start}:" in p for p in problems), problems


def test_refuses_reference_that_does_not_resolve(knowledge_copy):
    path = knowledge_copy / "fixtures" / "events.json"
    records = read_fixture(path)
    records[0]["participants"].append("kim-jong-il")
    write_fixture(path, records)
    problems = problems_of(knowledge_copy)
    assert any(records[0]["id"] in p and "'kim-jong-il' is not an entity" in p for p in problems), problems


def test_refuses_unknown_citation_source(knowledge_copy):
    path = knowledge_copy / "fixtures" / "figures.json"
    records = read_fixture(path)
    records[0]["citations"][0]["source"] = "daily-planet"
    write_fixture(path, records)
    assert any("source 'daily-planet' does not exist" in p for p in problems_of(knowledge_copy))


def test_refuses_fact_without_citation(knowledge_copy):
    path = knowledge_copy / "fixtures" / "entities.json"
    records = read_fixture(path)
    records[0]["citations"] = []
    write_fixture(path, records)
    assert any(records[0]["id"] in p and "at least one citation" in p for p in problems_of(knowledge_copy))


def test_refuses_unknown_key_and_bad_vocabulary(knowledge_copy):
    path = knowledge_copy / "fixtures" / "statements.json"
    records = read_fixture(path)
    records[0]["mood"] = "angry"
    records[1]["stance"] = "furious"
    write_fixture(path, records)
    problems = problems_of(knowledge_copy)
    assert any(records[0]["id"] in p and "mood" in p and "Unknown field" in p for p in problems), problems
    assert any(records[1]["id"] in p and "stance" in p for p in problems), problems


def test_refuses_ambiguous_attribution_without_note(knowledge_copy):
    path = knowledge_copy / "fixtures" / "statements.json"
    records = read_fixture(path)
    records[0]["attribution"] = "ambiguous"
    records[0]["attribution_note"] = None
    write_fixture(path, records)
    assert any(records[0]["id"] in p and "attribution_note" in p for p in problems_of(knowledge_copy))


def test_refuses_statement_quote_outside_its_passages(knowledge_copy):
    path = knowledge_copy / "fixtures" / "statements.json"
    records = read_fixture(path)
    victim = next(r for r in records if r["quote"])
    victim["quote"] = victim["quote"] + " and that is final"
    write_fixture(path, records)
    assert any(victim["id"] in p and "not inside any of its cited passages" in p for p in problems_of(knowledge_copy))


def test_refuses_quote_on_reference_citation(knowledge_copy):
    path = knowledge_copy / "fixtures" / "votes.json"
    records = read_fixture(path)
    citation = next(c for c in records[0]["citations"] if "quote" not in c or c["quote"] is None)
    citation.update({"quote": "15", "start": 0, "end": 2})
    write_fixture(path, records)
    assert any(records[0]["id"] in p and "reference source has no text" in p for p in problems_of(knowledge_copy))


def test_refuses_duplicate_id(knowledge_copy):
    path = knowledge_copy / "fixtures" / "events.json"
    records = read_fixture(path)
    records.append(dict(records[0]))
    write_fixture(path, records)
    assert any(f"record {records[0]['id']!r}: duplicate id" in p for p in problems_of(knowledge_copy))


def test_refuses_seed_text_that_changed(knowledge_copy):
    seed = next((knowledge_copy / "seeds").glob("*.txt"))
    seed.write_text(seed.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert any("hashes to" in p and seed.name in p for p in problems_of(knowledge_copy))


def test_refuses_invalid_json(knowledge_copy):
    (knowledge_copy / "fixtures" / "topics.json").write_text("[{", encoding="utf-8")
    assert any("fixtures/topics.json: not valid JSON" in p for p in problems_of(knowledge_copy))


@pytest.mark.parametrize("folder, setting", [("fixtures", "KB_FIXTURES_DIR"), ("seeds", "KB_SEEDS_DIR")])
@pytest.mark.parametrize("state", ["missing", "empty", "a file"])
def test_a_missing_or_empty_folder_is_one_problem_naming_it_and_its_setting(knowledge_copy, folder, setting, state):
    path = knowledge_copy / folder
    shutil.rmtree(path)
    if state == "empty":
        path.mkdir()
        # Files of the other kind do not count: a seeds folder without metadata holds no source.
        (path / "notes.txt").write_text("not knowledge", encoding="utf-8")
    elif state == "a file":
        path.write_text("not a folder", encoding="utf-8")
    problems = problems_of(knowledge_copy)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{folder} directory {path} "), problems
    assert f"set {setting} to the folder" in problems[0]
    expected = {"missing": "does not exist", "empty": "holds none of its files", "a file": "is not a directory"}
    assert expected[state] in problems[0]


def test_two_missing_folders_are_two_problems(tmp_path):
    problems = problems_of(tmp_path)
    assert [p.split(" directory ")[0] for p in problems] == ["fixtures", "seeds"], problems


def test_verify_quote_counts_code_points_not_bytes():
    text = "Moon Jae-In, who supports diplomacy vis-à-vis North Korea"
    start = text.index("North Korea")
    assert verify_quote(text, "North Korea", start, start + len("North Korea")) is None
    assert "do not match" in verify_quote(text, "North Korea", start + 1, start + 12)
