"""Command line: `sanctions-kb init | check | cite | serve | export-fixtures | token | openapi`."""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo, with_appcontext

from . import __version__
from .knowledge.lifecycle import initialise_database, read_configured_knowledge
from .knowledge.read import KnowledgeError


def redacted_url(url: str) -> str:
    """The database URL with any password hidden, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


@click.command("init")
@click.option(
    "--force", is_flag=True, help="Reload the fixtures (or the export) even if the same ones are already loaded."
)
@click.option(
    "--from",
    "export_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load a knowledge export (GET /api/v1/exports/knowledge.json; - for standard input) instead of the fixtures.",
)
@with_appcontext
def init_command(force: bool, export_file: Path | None) -> None:
    """Create the tables and load the fixtures, or an export of the knowledge (idempotent)."""
    from .knowledge.lifecycle import ChangesWouldBeLost
    from .store.migrations import SchemaTooNew

    try:
        export = None if export_file is None else _read_export(export_file)
        done = initialise_database(force=force, export=export)
    except KnowledgeError as error:
        _fail(error)
    except (SchemaTooNew, ChangesWouldBeLost) as error:
        raise click.ClickException(str(error)) from error
    where = redacted_url(current_app.config["DATABASE_URL"])
    loaded_from = "the fixtures" if export_file is None else f"the export {export_file}"
    click.echo(_outcome(done, where, f"{where} already holds these {done.facts} facts; nothing to do", loaded_from))


def _read_export(path: Path):
    """The knowledge of an export file, verified as fixtures are."""
    from .knowledge.dumps import KnowledgeDocumentError, knowledge_files
    from .knowledge.read import read_knowledge_files

    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read the export {path}: {error.strerror}") from error
    try:
        files = knowledge_files(json.loads(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"the export {path} is not valid JSON: {error}") from error
    except KnowledgeDocumentError as error:
        raise click.ClickException(f"{path}: {error}") from error
    return read_knowledge_files(files)


def _outcome(done, where: str, unchanged: str, loaded_from: str = "the fixtures") -> str:
    """What init did, in words: kept the published changes, discarded them, or loaded the fixtures."""
    lines = []
    if done.kept_changes:
        lines.append(_kept_notice(done.kept_changes, where))
    elif done.kept_export:
        lines.append(
            f"{where} holds knowledge loaded from an export (init --from): kept, and the fixtures were not read into "
            "it; `sanctions-kb init --force` loads the fixtures instead."
        )
    if done.discarded_changes:
        lines.append(
            f"discarded {done.discarded_changes} change(s) published through the API (--force): they are "
            f"replaced by {loaded_from}. Their revisions stay listed in /api/v1/revisions as history."
        )
    if not done.loaded:
        lines.append(unchanged)
    elif done.kept_changes or done.kept_export:
        lines.append(f"reloaded the published knowledge ({done.facts} facts) into {where}, rendered by this release")
    else:
        lines.append(
            f"loaded {done.facts} facts into {where}"
            + ("" if loaded_from == "the fixtures" else f" from {loaded_from}")
        )
    return "\n".join(lines)


def _kept_notice(changes: int, where: str) -> str:
    return (
        f"{where} holds {changes} change(s) published through the API: kept, and the fixtures were not read into it "
        "(loading them would discard those changes). `sanctions-kb export-fixtures DIR` writes the published "
        "knowledge as fixtures; `sanctions-kb init --force` loads the fixtures instead, discarding the changes."
    )


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Verify every fixture and citation against the seeds, without touching a database."""
    try:
        knowledge = read_configured_knowledge()
    except KnowledgeError as error:
        _fail(error)
    sources = len(knowledge.sources)
    citations = sum(len(r["citations"]) for records in knowledge.records.values() for r in records if "citations" in r)
    click.echo(f"ok: {knowledge.fact_count} facts, {citations} citations, {sources} sources verified")


def _fail(error: KnowledgeError) -> None:
    click.echo(f"{len(error.problems)} problem(s) found:", err=True)
    for problem in error.problems:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


@click.command("cite")
@click.argument("source_id")
@click.argument("quote")
@click.option(
    "--occurrence", type=int, default=None, help="Which occurrence (1-based) when the quote appears more than once."
)
@with_appcontext
def cite_command(source_id: str, quote: str, occurrence: int | None) -> None:
    """Print the citation JSON (with offsets) for QUOTE in the article SOURCE_ID."""
    seeds = Path(current_app.config["KB_SEEDS_DIR"])
    for meta_path in sorted(seeds.glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("id") == source_id:
            text = (seeds / meta["file"]).read_text(encoding="utf-8")
            break
    else:
        raise click.ClickException(f"no article with id {source_id!r} in {seeds}")
    starts, at = [], text.find(quote)
    while at >= 0:
        starts.append(at)
        at = text.find(quote, at + 1)
    if not starts:
        raise click.ClickException(f"the quote is not in {source_id!r} (it must be copied verbatim)")
    if len(starts) > 1 and occurrence is None:
        raise click.ClickException(f"the quote occurs {len(starts)} times, at {starts}; choose one with --occurrence")
    start = starts[(occurrence or 1) - 1]
    click.echo(
        json.dumps({"source": source_id, "quote": quote, "start": start, "end": start + len(quote)}, ensure_ascii=False)
    )


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: GRANIAN_HOST or 0.0.0.0).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: GRANIAN_PORT or 8000).")
@click.option("--workers", default=None, type=int, help="Worker processes (default: WEB_CONCURRENCY or 2).")
@click.option(
    "--reuse-port",
    is_flag=True,
    default=None,
    help="Share the port with servers already listening on it (default: KB_REUSE_PORT, else refuse to start).",
)
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None, reuse_port: bool | None) -> None:
    """Initialise the database if needed, then serve the API with granian."""
    from .server import check_address, exec_server
    from .store.migrations import SchemaTooNew

    check_address(host, port, reuse_port)  # before the database is touched
    try:
        done = initialise_database()
    except KnowledgeError as error:
        _fail(error)
    except SchemaTooNew as error:
        raise click.ClickException(str(error)) from error
    where = redacted_url(current_app.config["DATABASE_URL"])
    click.echo(_outcome(done, where, f"found {done.facts} facts in {where}"))
    exec_server(host, port, workers, reuse_port)


def register_commands(app: Flask) -> None:
    for command in (init_command, check_command, cite_command, serve_command, token_group, export_fixtures_command):
        app.cli.add_command(command)


def _create_app():
    from . import create_app

    return create_app()


class ServiceGroup(click.Group):
    """The commands the application registers on `app.cli` (those above, and flask-smorest's `openapi`), and only
    them: unlike Flask's FlaskGroup, no `run`, `shell` or `routes`, no `--app`, `--env-file` or `--debug`, and no
    commands that other installed packages declare for Flask."""

    def make_context(self, info_name: str | None, args: list[str], parent=None, **extra) -> click.Context:
        # What @with_appcontext loads the application from, once, when a command needs it.
        extra.setdefault("obj", ScriptInfo(create_app=_create_app, set_debug_flag=False, load_dotenv_defaults=False))
        return super().make_context(info_name, args, parent=parent, **extra)

    def _app_commands(self, ctx: click.Context) -> click.Group:
        app = ctx.ensure_object(ScriptInfo).load_app()
        # (current_app is typed as the Flask it stands for; the proxy's own _get_current_object is untyped.)
        if not has_app_context() or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            # Commands and their option callbacks run in the application's context, as FlaskGroup runs them.
            ctx.with_resource(app.app_context())
        return app.cli

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._app_commands(ctx).list_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._app_commands(ctx).get_command(ctx, cmd_name)


@click.group("sanctions-kb", cls=ServiceGroup, help=__doc__)
@click.version_option(__version__, prog_name="sanctions-kb", message="%(prog)s %(version)s")
def cli() -> None:
    pass


def main() -> None:
    """Entry point of the `sanctions-kb` console script."""
    cli.main(prog_name="sanctions-kb")


@click.group("token")
def token_group() -> None:
    """Manage curation API tokens (shown once when created; stored only as a hash)."""


@contextmanager
def _token_store():
    """A connection to the database the tokens live in, migrated under the write lock (a migration changes the
    knowledge tables); a clean error when it cannot be written to (the container image's baked-in database is
    read-only). The token commands themselves do not hold the lock (store/tokens.py says why)."""
    from peewee import OperationalError

    from .store.db import db
    from .store.migrations import migrate
    from .store.write_lock import holding_write_lock

    try:
        with db.connection_context():
            with holding_write_lock():
                migrate()
            yield
    except OperationalError as error:
        if "readonly" not in str(error) and "read-only" not in str(error):
            raise
        where = redacted_url(current_app.config["DATABASE_URL"])
        raise click.ClickException(
            f"{where} is read-only, so it cannot hold tokens (the image's baked-in database is): set DATABASE_URL "
            'to a database of your own (docs/deploy.md, "A curated deployment")'
        ) from None


@token_group.command("create")
@click.option("--name", required=True, help="Who or what holds the token (unique; shown in revisions).")
@click.option("--role", required=True, type=click.Choice(["curator", "editor", "admin"]), help="What it may do.")
@with_appcontext
def token_create_command(name: str, role: str) -> None:
    """Create a token and print it, once: it cannot be shown again."""
    from .store.tokens import TokenError, issue_token

    with _token_store():
        try:
            secret = issue_token(name, role)
        except TokenError as error:
            raise click.ClickException(str(error)) from error
    click.echo(secret)
    click.echo(f"token {name!r} ({role}) created; it is shown only now: keep it secret", err=True)


@token_group.command("list")
@with_appcontext
def token_list_command() -> None:
    """List tokens: name, role, created, revoked (never the tokens or their hashes)."""
    from .store.tokens import list_tokens

    with _token_store():
        for token in list_tokens():
            state = f"revoked {token['revoked_at']}" if token["revoked_at"] else "active"
            click.echo(f"{token['name']}\t{token['role']}\tcreated {token['created_at']}\t{state}")


@token_group.command("revoke")
@click.argument("name")
@with_appcontext
def token_revoke_command(name: str) -> None:
    """Revoke the active token named NAME: it is refused from the next request on."""
    from .store.tokens import TokenError, revoke_token

    with _token_store():
        try:
            revoke_token(name)
        except TokenError as error:
            raise click.ClickException(str(error)) from error
    click.echo(f"token {name!r} revoked")


@click.command("export-fixtures")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_fixtures_command(directory: Path) -> None:
    """Write the published knowledge to DIRECTORY/fixtures and DIRECTORY/seeds, as files `check` and `init` read."""
    from .knowledge.fixtures import export_fixtures
    from .knowledge.read import KnowledgeError
    from .store.db import db

    try:
        with db.connection_context():
            written = export_fixtures(directory)
    except KnowledgeError as error:
        raise click.ClickException("; ".join(error.problems)) from error
    records = sum(count for name, count in written.items() if name.startswith("fixtures/"))
    click.echo(f"wrote {records} records in {len(written)} files to {directory}/fixtures and {directory}/seeds")
    click.echo(f"check them: KB_FIXTURES_DIR={directory}/fixtures KB_SEEDS_DIR={directory}/seeds sanctions-kb check")
