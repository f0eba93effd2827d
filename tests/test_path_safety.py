"""No name a curator and an editor publish reaches the file system: an article's text file name is the service's,
made from its id; the create and patch shapes leave it out; every path the service writes knowledge to stays in
its folder (publication's verification copy, `export-fixtures DIR`, `init --from`)."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

import marshmallow as ma
import pytest

from schemas.fields import fields_of
from schemas.files import is_article_file, validate_article_file
from schemas.writes import RECORD_SHAPES, settable_fields
from service.cli import export_fixtures_command, init_command
from service.knowledge.kinds import KINDS
from service.knowledge.read import KnowledgeError, read_knowledge_files
from service.store import models as m
from service.store.db import db
from tests.helpers import assert_problem, auth

# Names that would lead out of seeds/ (or name something other than a text file in it).
ESCAPING_NAMES = [
    "../../../{marker}.txt",
    "../{marker}.txt",
    "/tmp/{marker}.txt",
    "..\\..\\{marker}.txt",
    "seeds/../../{marker}.txt",
    "./{marker}.txt",
    ".{marker}.txt",
    "{marker}.json",
]
# ... and, not even a name: a NUL in it.
ALL_ESCAPING_NAMES = ESCAPING_NAMES + ["{marker}.txt\x00.json"]


def _fields(schema: ma.Schema) -> list[tuple[str, ma.fields.Field]]:
    """Every field of a schema and of the schemas nested in it, with its dotted path."""
    found = []
    for name, field in schema.fields.items():
        found.append((name, field))
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if isinstance(inner, ma.fields.Nested):
            found += [(f"{name}.{path}", f) for path, f in _fields(inner.schema)]
    return found


def _reaches_the_file_system(field: ma.fields.Field) -> bool:
    """Whether a field's value becomes a path: the fields checked by the one rule for file names (schemas/files.py)."""
    return any(v is validate_article_file for v in field.validators)


def test_the_file_name_rule_lets_only_plain_names_through():
    marker = "x"
    for name in ALL_ESCAPING_NAMES:
        assert not is_article_file(name.format(marker=marker)), name
    assert is_article_file("000_04aad605d0849ab7.txt") and is_article_file("example-wire-kang-2017-08-07.txt")
    assert not is_article_file("a" * 300 + ".txt") and not is_article_file(None)


def test_every_kind_s_create_and_patch_shapes_hold_no_field_that_reaches_the_file_system():
    path_fields = [
        (kind.name, path) for kind in KINDS for path, field in _fields(kind.schema()) if _reaches_the_file_system(field)
    ]
    assert path_fields == [("source", "file")]  # the walk finds what it looks for
    walked = 0
    for kind_name, shapes in RECORD_SHAPES.items():
        for shape in shapes:
            for path, field in _fields(shape()):
                walked += 1
                assert not _reaches_the_file_system(field), f"{shape.__name__}.{path} reaches the file system"
                assert (kind_name, path) not in path_fields, f"{shape.__name__}.{path} is set by the service"
    assert walked > 100
    # Load-only fields are the service's: none is settable, and every settable field is in both shapes.
    for kind in KINDS:
        service_set = [n for n, f in fields_of(kind.schema).items() if f.load_only]
        assert not set(service_set) & set(settable_fields(kind.schema)), kind.name
        create, patch = RECORD_SHAPES[kind.name]
        assert set(fields_of(create)) == set(fields_of(patch)) == set(settable_fields(kind.schema))


def _files_under(*roots: Path) -> set[str]:
    found = set()
    for root in roots:
        for folder, _, files in os.walk(root):
            found.update(os.path.join(folder, f) for f in files)
    return found


def _approve(client, tokens, change_id: int) -> dict:
    approved = client.post(f"/api/v1/changes/{change_id}/approve", headers=auth(tokens["editor"]))
    assert approved.status_code == 200, approved.get_data(as_text=True)
    return approved.get_json()


def test_no_file_outside_the_service_s_folders_whatever_a_curator_and_an_editor_publish(
    curation, tmp_path, monkeypatch
):
    app, client, tokens = curation
    workdir = tmp_path / "work" / "service"  # the service's working directory, a few levels deep
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    temp = Path(tempfile.gettempdir())
    marker = f"PWNED-{uuid.uuid4().hex}"
    before = _files_under(tmp_path)
    temp_before = set(os.listdir(temp))
    reference = {"kind": "reference", "title": "A reference", "url": "https://example.org/ref"}
    source_id = "path-test-reference"

    # A name in `file` is refused in a create and in a patch, whatever it is.
    for name in ESCAPING_NAMES:
        for body in (
            {"action": "create", "id": source_id, "record": {**reference, "file": name.format(marker=marker)}},
            {
                "action": "create",
                "id": "path-test-article",
                "record": {**reference, "kind": "article", "file": name.format(marker=marker)},
                "text": f"{marker}\n",
            },
        ):
            answer = client.post(
                "/api/v1/changes", json={"kind": "source", "summary": "s", **body}, headers=auth(tokens["curator"])
            )
            assert_problem(answer, 422, "'file' is set by the service")

    # The red team's sequence: a reference, then turned into an article with a text, each approved.
    created = client.post(
        "/api/v1/changes",
        json={"kind": "source", "action": "create", "id": source_id, "record": reference, "summary": "s"},
        headers=auth(tokens["curator"]),
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    _approve(client, tokens, created.get_json()["id"])
    etag = client.get(f"/api/v1/sources/{source_id}").headers["ETag"]

    def turn_into_article(patch: dict):
        body = {"kind": "source", "action": "update", "id": source_id, "record": patch, "summary": "s"}
        return client.post(
            "/api/v1/changes",
            json={**body, "text": f"{marker}\n"},
            headers=auth(tokens["curator"], **{"If-Match": etag}),
        )

    patch = {"kind": "article", "url": None}
    assert_problem(turn_into_article({**patch, "file": f"../../../{marker}.txt"}), 422, "'file' is set by the service")
    turned = turn_into_article(patch)
    assert turned.status_code == 201, turned.get_data(as_text=True)
    _approve(client, tokens, turned.get_json()["id"])
    assert client.get(f"/api/v1/sources/{source_id}/text").get_data(as_text=True) == f"{marker}\n"

    # The next proposal (which reads the published knowledge back), an export of the fixtures, and init --from.
    topic = client.post(
        "/api/v1/changes",
        json={
            "kind": "topic",
            "action": "create",
            "id": "path-test-topic",
            "record": {"description": "t"},
            "summary": "s",
        },
        headers=auth(tokens["curator"]),
    )
    assert topic.status_code == 201, topic.get_data(as_text=True)
    runner = app.test_cli_runner()
    exported = runner.invoke(export_fixtures_command, [str(tmp_path / "export")])
    assert exported.exit_code == 0, exported.output
    seeds = tmp_path / "export" / "seeds"
    assert (seeds / f"{source_id}.txt").read_text(encoding="utf-8") == f"{marker}\n"  # named from its id
    assert json.loads((seeds / f"{source_id}.json").read_text(encoding="utf-8"))["file"] == f"{source_id}.txt"
    knowledge = tmp_path / "knowledge.json"
    knowledge.write_bytes(client.get("/api/v1/exports/knowledge.json").get_data())
    loaded = runner.invoke(init_command, ["--from", str(knowledge), "--force"])
    assert loaded.exit_code == 0, loaded.output

    # Nothing was written anywhere but the export's own folders; nothing named after the marker outside them.
    made = _files_under(tmp_path) - before
    allowed = (str(tmp_path / "export" / "fixtures") + os.sep, str(tmp_path / "export" / "seeds") + os.sep)
    assert made and all(path.startswith(allowed) or path == str(knowledge) for path in made), sorted(made)
    assert not [name for name in set(os.listdir(temp)) - temp_before if marker in name]
    for root in (temp, workdir.parent.parent, Path.cwd(), Path("/")):
        assert not any(marker in name for name in os.listdir(root)), root


def test_export_fixtures_refuses_a_file_name_that_leads_outside_its_folder(curation, tmp_path):
    """A database written before the rule (or by hand) with an article file name that escapes: `export-fixtures`
    fails, naming it, and writes nothing at all."""
    app, client, tokens = curation
    marker = f"PWNED-{uuid.uuid4().hex}"
    with app.app_context(), db.connection_context():
        article = m.Source.select().where(m.Source.kind == "article").order_by(m.Source.id).first()
        m.Source.update(file=f"../../{marker}.txt").where(m.Source.id == article.id).execute()
    target = tmp_path / "a" / "b" / "export"
    result = app.test_cli_runner().invoke(export_fixtures_command, [str(target)])
    assert result.exit_code != 0 and "not a file of fixtures/ or seeds/" in result.output, result.output
    assert not target.exists()
    assert not [p for p in _files_under(tmp_path) if marker in p]


@pytest.mark.parametrize(
    "name",
    [n for n in ALL_ESCAPING_NAMES if not n.endswith("}.json")]
    + ["fixtures/../../{marker}.json", "elsewhere/{marker}.json"],
)
def test_knowledge_files_are_read_back_only_from_inside_their_folders(tmp_path, name):
    """The in-memory files a publication or `init --from` verifies are written to a temporary folder by name: a
    name that leaves fixtures/ or seeds/ is refused before anything is written."""
    marker = f"PWNED-{uuid.uuid4().hex}"
    name = name.format(marker=marker)
    if not name.startswith(("fixtures/", "elsewhere/")):
        name = f"seeds/{name}"
    temp_before = set(os.listdir(tempfile.gettempdir()))
    with pytest.raises(KnowledgeError) as refused:
        read_knowledge_files({name: b"hostile"})
    assert repr(name) in str(refused.value)
    temp = Path(tempfile.gettempdir())
    assert not [n for n in set(os.listdir(temp)) - temp_before if marker in n]
    assert not any(marker in n for n in os.listdir(temp.parent))
