"""The database's lifecycle: migrate the schema and load the knowledge, once, under a lock shared by replicas."""

from __future__ import annotations

from flask import current_app

from ..store.db import db, uses_sqlite
from ..store.migrations import migrate
from .load import load_knowledge
from .read import Knowledge, read_knowledge


def read_configured_knowledge() -> Knowledge:
    """Read and verify the knowledge from the directories the app is configured with."""
    return read_knowledge(current_app.config["KB_FIXTURES_DIR"], current_app.config["KB_SEEDS_DIR"])


# Any constant shared by every replica: the key of the PostgreSQL advisory lock that serialises `init`.
INIT_LOCK_KEY = 2371_2017


def initialise_database(force: bool = False) -> tuple[bool, int]:
    """Migrate the schema to the latest version and load the fixtures unless the same ones are loaded; return (loaded, facts).

    Safe when several replicas start at once: the whole step runs under a lock (a PostgreSQL advisory lock, or
    SQLite's BEGIN IMMEDIATE), so one replica loads and the others then find the same facts in place.
    """
    knowledge = read_configured_knowledge()
    with db.connection_context():
        if uses_sqlite():
            with db.atomic(lock_type="IMMEDIATE"):
                migrated = migrate()
                loaded = load_knowledge(knowledge, force=force or bool(migrated))
            return loaded, knowledge.fact_count
        db.execute_sql("SELECT pg_advisory_lock(%s)", (INIT_LOCK_KEY,))
        try:
            migrated = migrate()
            loaded = load_knowledge(knowledge, force=force or bool(migrated))
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (INIT_LOCK_KEY,))
    return loaded, knowledge.fact_count
