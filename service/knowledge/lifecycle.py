"""The database's lifecycle: migrate the schema and load the knowledge, once, under a lock shared by replicas."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..store import models as m
from ..store.db import db, uses_sqlite
from ..store.migrations import migrate
from .load import load_knowledge
from .read import Knowledge, read_knowledge


def read_configured_knowledge() -> Knowledge:
    """Read and verify the knowledge from the directories the app is configured with."""
    return read_knowledge(current_app.config["KB_FIXTURES_DIR"], current_app.config["KB_SEEDS_DIR"])


# Any constant shared by every replica: the key of the PostgreSQL advisory lock that serialises `init`.
INIT_LOCK_KEY = 2371_2017


@dataclass
class Initialised:
    loaded: bool  # the knowledge was (re)loaded
    facts: int
    kept_changes: int = 0  # the database holds this many changes published through the API, which were kept
    discarded_changes: int = 0  # `force` loaded the fixtures over this many changes published through the API


def initialise_database(force: bool = False) -> Initialised:
    """Migrate the schema to the latest version and load the fixtures unless the same ones are loaded.

    Once the database holds changes published through the curation API it is the system of record: the
    fixtures are then not loaded (unless `force`, which discards those changes); its own knowledge is read back
    and reloaded instead when this release renders it differently (a new release, a migration).

    Safe when several replicas start at once: the whole step runs under a lock (a PostgreSQL advisory lock, or
    SQLite's BEGIN IMMEDIATE), so one replica loads and the others then find the same facts in place.
    """
    fixtures = read_configured_knowledge()
    with db.connection_context():
        if uses_sqlite():
            with db.atomic(lock_type="IMMEDIATE"):
                return _initialise(fixtures, force)
        db.execute_sql("SELECT pg_advisory_lock(%s)", (INIT_LOCK_KEY,))
        try:
            return _initialise(fixtures, force)
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (INIT_LOCK_KEY,))


def _initialise(fixtures: Knowledge, force: bool) -> Initialised:
    from .curation import published_changes, published_knowledge

    migrated = migrate()
    dataset = m.Dataset.select().first()
    if dataset is not None and dataset.origin == "api" and not force:
        own = published_knowledge()
        loaded = load_knowledge(own, force=bool(migrated), origin="api")
        return Initialised(loaded, own.fact_count, published_changes())
    discarded = published_changes() if dataset is not None and dataset.origin == "api" else 0
    loaded = load_knowledge(fixtures, force=force or bool(migrated))
    return Initialised(loaded, fixtures.fact_count, discarded_changes=discarded)
