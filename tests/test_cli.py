"""The console commands: the group's own commands and version; check, init, cite."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import service
from service import create_app
from service.cli import check_command, cite_command, cli, init_command
from service.store import models as m
from service.store.db import db
from tests.helpers import read_fixture, write_fixture, writes_refused

OWN_COMMANDS = ["check", "cite", "export-fixtures", "init", "openapi", "serve", "token"]


def _listed(help_text: str, section: str) -> list[str]:
    """The first word of each entry of a section of click's help (`Commands:`, `Options:`)."""
    lines = help_text.split(f"\n{section}:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split()[0].rstrip(",") for line in lines if line.startswith("  ") and not line.startswith("   ")]


def test_help_lists_exactly_the_services_own_commands_and_options():
    """No Flask development commands (run, shell, routes) and no Flask options (--app, --env-file, --debug)."""
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    assert _listed(result.output, "Commands") == OWN_COMMANDS
    assert _listed(result.output, "Options") == ["--version", "--help"]
    for flasks in ("run", "shell", "routes"):
        refused = CliRunner().invoke(cli, [flasks])
        assert refused.exit_code == 2 and f"No such command '{flasks}'" in refused.output


def test_the_group_runs_a_command_in_the_applications_context():
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_version_is_the_services_own():
    """`sanctions-kb --version`, through the installed console script, prints the version service/__init__ holds."""
    command = [str(Path(sys.executable).with_name("sanctions-kb")), "--version"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"sanctions-kb {service.__version__}\n"


def test_check_passes_on_the_curated_fixtures(runner):
    result = runner.invoke(check_command)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_check_fails_naming_the_record_and_touches_no_database(knowledge_copy, tmp_path):
    path = knowledge_copy / "fixtures" / "statements.json"
    records = read_fixture(path)
    citation = next(c for c in records[0]["citations"] if c.get("quote"))
    citation["quote"] = citation["quote"].upper() + "!"
    citation["end"] = citation["start"] + len(citation["quote"])
    write_fixture(path, records)
    db_file = tmp_path / "never.sqlite3"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{db_file}",
            "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
            "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
        }
    )
    result = app.test_cli_runner().invoke(check_command)
    assert result.exit_code == 1
    assert f"record {records[0]['id']!r}" in result.output
    assert "quote is not in the source" in result.output
    assert not db_file.exists()


@pytest.mark.parametrize(
    "command, folder, setting",
    [(check_command, "seeds", "KB_SEEDS_DIR"), (init_command, "fixtures", "KB_FIXTURES_DIR")],
    ids=["check-without-seeds", "init-with-empty-fixtures"],
)
def test_a_missing_folder_is_one_clear_problem(knowledge_copy, tmp_path, command, folder, setting):
    shutil.rmtree(knowledge_copy / folder)
    if command is init_command:
        (knowledge_copy / folder).mkdir()
    db_file = tmp_path / "never.sqlite3"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{db_file}",
            "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
            "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
        }
    )
    result = app.test_cli_runner().invoke(command)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "1 problem(s) found:", result.output
    assert len(lines) == 2 and f"{folder} directory {knowledge_copy / folder} " in lines[1], result.output
    assert f"set {setting} to the folder" in lines[1]
    assert not db_file.exists()


def test_the_installed_command_reads_the_packaged_knowledge_from_any_directory(tmp_path):
    """No KB_FIXTURES_DIR or KB_SEEDS_DIR, and a working directory with nothing in it: the package's own data."""
    env = {k: v for k, v in os.environ.items() if k not in ("KB_FIXTURES_DIR", "KB_SEEDS_DIR", "PYTHONPATH")}
    command = [str(Path(sys.executable).with_name("sanctions-kb")), "check"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")
    assert list(tmp_path.iterdir()) == []


def test_init_is_idempotent_and_reloads_when_fixtures_change(knowledge_copy, new_database_url):
    config = {
        "DATABASE_URL": new_database_url(),
        "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
        "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
    }
    app = create_app(config)
    first = app.test_cli_runner().invoke(init_command)
    assert first.exit_code == 0 and first.output.startswith("loaded "), first.output
    second = app.test_cli_runner().invoke(init_command)
    assert second.exit_code == 0 and "nothing to do" in second.output

    path = knowledge_copy / "fixtures" / "topics.json"
    topics = read_fixture(path)
    topics.append({"id": "test-topic", "description": "Added to see init reload."})
    write_fixture(path, topics)
    third = create_app(config).test_cli_runner().invoke(init_command)
    assert third.exit_code == 0 and third.output.startswith("loaded ")
    client = create_app(config).test_client()
    assert client.get("/api/v1/topics/test-topic").status_code == 200


def test_failed_init_leaves_the_database_as_it_was(knowledge_copy, new_database_url):
    config = {
        "DATABASE_URL": new_database_url(),
        "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
        "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
    }
    assert create_app(config).test_cli_runner().invoke(init_command).exit_code == 0
    before = create_app(config).test_client().get("/health").get_json()

    path = knowledge_copy / "fixtures" / "entities.json"
    entities = read_fixture(path)
    entities[0]["citations"][0]["start"] += 3
    write_fixture(path, entities)
    result = create_app(config).test_cli_runner().invoke(init_command)
    assert result.exit_code == 1
    assert entities[0]["id"] in result.output
    assert create_app(config).test_client().get("/health").get_json() == before


def test_cite_prints_offsets_that_verify(runner, app):
    result = runner.invoke(cite_command, ["presstv-manila-talks-2017-08-07", "voted 15-0"])
    assert result.exit_code == 0, result.output
    citation = json.loads(result.output)
    text = (Path(app.config["KB_SEEDS_DIR"]) / "001_538f4130def33c1f.txt").read_text(encoding="utf-8")
    assert text[citation["start"] : citation["end"]] == "voted 15-0"


def test_cite_refuses_ambiguous_and_missing_quotes(runner):
    repeated = runner.invoke(
        cite_command, ["china-urges-n-korea-2017-08-12", "China urges N. Korea to stop missile tests"]
    )
    assert repeated.exit_code != 0 and "occurs 3 times" in repeated.output
    chosen = runner.invoke(
        cite_command,
        ["china-urges-n-korea-2017-08-12", "China urges N. Korea to stop missile tests", "--occurrence", "2"],
    )
    assert chosen.exit_code == 0 and json.loads(chosen.output)["start"] > 0
    missing = runner.invoke(cite_command, ["presstv-manila-talks-2017-08-07", "voted 14-1"])
    assert missing.exit_code != 0 and "not in" in missing.output


def test_concurrent_inits_load_once_and_all_succeed(new_database_url):
    """Several replicas starting at the same moment: one loads, the others find the facts in place."""
    url = new_database_url()
    env = {**os.environ, "DATABASE_URL": url}
    command = [str(Path(sys.executable).with_name("sanctions-kb")), "init"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    assert sum(out.startswith("loaded ") for out in outputs) == 1, outputs
    assert sum("nothing to do" in out for out in outputs) == 3, outputs
    health = create_app({"DATABASE_URL": url}).test_client().get("/health").get_json()
    assert health["facts"] > 100


def test_init_upgrades_an_older_schema_in_place(new_database_url):
    """A database at schema version 1 is migrated by init in place, and its knowledge reloaded to fill new columns."""
    from service.store.migrations import LATEST, SchemaVersion, migrate, schema_version

    app = create_app({"DATABASE_URL": new_database_url()})
    assert app.test_cli_runner().invoke(init_command).exit_code == 0
    with app.app_context(), db.connection_context():
        assert schema_version() == LATEST == 16
        # Take the database back to version 1, as a replica of the first release left it.
        db.execute_sql('DROP INDEX "citation_source_fact_type"')
        db.execute_sql('ALTER TABLE "statement" DROP COLUMN "search_text"')
        db.execute_sql('DROP TABLE "document"')
        db.execute_sql('ALTER TABLE "dataset" DROP COLUMN "version"')
        db.execute_sql('ALTER TABLE "citation" DROP COLUMN "role"')
        db.execute_sql('DROP TABLE "dispute_fact"')
        db.execute_sql('DROP TABLE "workbench_session"')  # (step 14: it names tokens)
        db.execute_sql('DROP TABLE "sign_in_failure"')
        db.execute_sql('DROP TABLE "token"')
        db.execute_sql('DROP TABLE "change"')
        db.execute_sql('DROP INDEX "entity_country_code"')
        db.execute_sql('ALTER TABLE "entity" DROP COLUMN "country_code"')
        db.execute_sql('DROP TABLE "entity_name"')
        for column in ("digest", "epoch", "revision"):
            db.execute_sql(f'ALTER TABLE "dataset" DROP COLUMN "{column}"')
        db.execute_sql('ALTER TABLE "source" DROP COLUMN "accessed_on"')
        for column in ("identifiers", "identifier_key"):
            db.execute_sql(f'ALTER TABLE "entity" DROP COLUMN "{column}"')
        SchemaVersion.delete().where(SchemaVersion.version > 1).execute()
        assert schema_version() == 1

    result = app.test_cli_runner().invoke(init_command)
    assert result.exit_code == 0 and result.output.startswith("loaded "), result.output
    with app.app_context(), db.connection_context():
        assert schema_version() == LATEST
        assert "citation_source_fact_type" in {i.name for i in db.get_indexes("citation")}
        assert "role" in {c.name for c in db.get_columns("citation")} and db.table_exists("dispute_fact")
        assert db.table_exists("token")
        assert {"after", "previous_version", "reverts"} <= {c.name for c in db.get_columns("change")}
        assert "country_code" in {c.name for c in db.get_columns("entity")}
        assert "entity_country_code" in {i.name for i in db.get_indexes("entity")}
        assert {"digest", "epoch", "revision"} <= {c.name for c in db.get_columns("dataset")}
        assert "touched" in {c.name for c in db.get_columns("change")} and m.EntityName.select().count() > 0
        assert m.Source.select().where(m.Source.accessed_on.is_null(False)).exists(), "the reload fills accessed_on"
        north = m.Entity.get_by_id("north-korea")
        assert north.identifiers and "|wikidata:Q423|" in north.identifier_key, "the reload fills the identifiers"
        assert migrate() == [], "a second run applies nothing"
    client = app.test_client()
    assert [s["speaker"] for s in client.get("/api/v1/statements?q=Sincerity").get_json()] == ["ri-yong-ho"]
    assert "nothing to do" in app.test_cli_runner().invoke(init_command).output


def test_init_refuses_a_schema_newer_than_the_code(new_database_url):
    from service.store.migrations import LATEST, SchemaVersion

    app = create_app({"DATABASE_URL": new_database_url()})
    assert app.test_cli_runner().invoke(init_command).exit_code == 0
    with app.app_context(), db.connection_context():
        SchemaVersion.create(version=LATEST + 1, description="from a future release")
    result = app.test_cli_runner().invoke(init_command)
    assert result.exit_code != 0
    assert f"schema version {LATEST + 1}, newer than this code's {LATEST}" in result.output


def test_messages_hide_the_database_password():
    from service.cli import redacted_url

    assert redacted_url("postgresql://kb:s3cret@db:5432/kb") == "postgresql://kb:***@db:5432/kb"
    assert (
        redacted_url("postgresql+pool://kb@db/kb?max_connections=8") == "postgresql+pool://kb@db/kb?max_connections=8"
    )
    assert redacted_url("sqlite:////tmp/kb.sqlite3") == "sqlite:////tmp/kb.sqlite3"


def test_a_load_that_fails_at_its_last_write_leaves_the_previous_knowledge_search_index_and_fingerprint(
    knowledge_copy, new_database_url
):
    """Loading is one transaction on every engine, the search index included: a failure on writing the new data
    version, the load's last write (after the rows, documents and search index), leaves nothing half-loaded."""
    from service.store import models as m

    config = {
        "DATABASE_URL": new_database_url(),
        "KB_FIXTURES_DIR": str(knowledge_copy / "fixtures"),
        "KB_SEEDS_DIR": str(knowledge_copy / "seeds"),
    }
    app = create_app(config)
    assert app.test_cli_runner().invoke(init_command).exit_code == 0
    with app.app_context(), db.connection_context():
        fingerprint = m.Dataset.get().fingerprint
    before = app.test_client().get("/health").get_json()
    hits_before = app.test_client().get("/api/v1/search?q=sincerity").get_json()

    path = knowledge_copy / "fixtures" / "topics.json"
    write_fixture(path, [*read_fixture(path), {"id": "test-topic", "description": "Added, then not loaded."}])

    with writes_refused(config["DATABASE_URL"], "dataset"):
        failed = create_app(config).test_cli_runner().invoke(init_command)
    assert failed.exit_code != 0 and "the disk is full" in f"{failed.output} {failed.exception}", failed.output
    client = create_app(config).test_client()
    assert client.get("/health").get_json() == before
    assert client.get("/api/v1/topics/test-topic").status_code == 404
    assert client.get("/api/v1/search?q=sincerity").get_json() == hits_before
    with app.app_context(), db.connection_context():
        assert m.Dataset.get().fingerprint == fingerprint

    again = create_app(config).test_cli_runner().invoke(init_command)
    assert again.exit_code == 0 and again.output.startswith("loaded "), again.output
    assert create_app(config).test_client().get("/api/v1/topics/test-topic").status_code == 200
