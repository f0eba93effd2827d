"""One path builds knowledge from records: the curated folders, the same files held in memory (an export given to
`init --from`, the published knowledge read back) and the published knowledge with a change give the same knowledge,
and word a bad record's problem the same way."""

import json

import pytest

from service.knowledge.fixtures import as_fixture_json
from service.knowledge.kinds import BY_NAME, KINDS
from service.knowledge.read import KnowledgeError, fixture_file, knowledge_with, read_knowledge, read_knowledge_files
from tests.helpers import FIXTURES_DIR, SEEDS_DIR

TOPIC = BY_NAME["topic"]


def _curated_files() -> dict[str, bytes]:
    files = {f"seeds/{path.name}": path.read_bytes() for path in SEEDS_DIR.iterdir() if path.is_file()}
    files.update({fixture_file(kind): (FIXTURES_DIR / kind.fixture).read_bytes() for kind in KINDS})
    return files


def _content(knowledge) -> tuple:
    return knowledge.sources, knowledge.texts, {kind.name: knowledge.of(kind.name) for kind in KINDS}


def test_the_folders_and_the_same_files_in_memory_give_the_same_knowledge():
    from_folders, from_files = read_knowledge(FIXTURES_DIR, SEEDS_DIR), read_knowledge_files(_curated_files())
    assert _content(from_files) == _content(from_folders)
    assert from_files.fingerprint == from_folders.fingerprint


def test_the_knowledge_with_a_record_is_the_knowledge_read_with_it_in_its_file():
    base = read_knowledge(FIXTURES_DIR, SEEDS_DIR)
    record = {"id": "zz-test-topic", "description": "A topic added by the tests."}
    files = _curated_files()
    files[fixture_file(TOPIC)] = as_fixture_json(json.loads(files[fixture_file(TOPIC)]) + [record]).encode()
    added = knowledge_with(base, TOPIC, record["id"], record)
    assert _content(added) == _content(read_knowledge_files(files))
    assert _content(knowledge_with(added, TOPIC, record["id"], None)) == _content(base)


def test_a_record_that_does_not_load_is_worded_as_reading_its_file_words_it():
    base = read_knowledge(FIXTURES_DIR, SEEDS_DIR)
    record = {"id": "zz-test-topic", "description": 7}
    files = _curated_files()
    files[fixture_file(TOPIC)] = as_fixture_json(json.loads(files[fixture_file(TOPIC)]) + [record]).encode()
    with pytest.raises(KnowledgeError) as changed:
        knowledge_with(base, TOPIC, record["id"], record)
    with pytest.raises(KnowledgeError) as read:
        read_knowledge_files(files)
    assert changed.value.problems == read.value.problems
    assert changed.value.problems[0].startswith(f"{fixture_file(TOPIC)}: record 'zz-test-topic': invalid: ")
