"""The database's lifecycle: migrate the schema and load the knowledge, once, under the write lock."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..store import models as m
from ..store.db import db
from ..store.migrations import migrate
from ..store.write_lock import holding_write_lock
from .load import load_knowledge
from .read import Knowledge, read_knowledge


def read_configured_knowledge() -> Knowledge:
    """Read and verify the knowledge from the directories the app is configured with."""
    return read_knowledge(current_app.config["KB_FIXTURES_DIR"], current_app.config["KB_SEEDS_DIR"])


@dataclass
class Initialised:
    loaded: bool  # the knowledge was (re)loaded
    facts: int
    kept_changes: int = 0  # the database holds this many changes published through the API, which were kept
    discarded_changes: int = 0  # `force` loaded the fixtures over this many changes published through the API
    kept_export: bool = False  # the database holds knowledge loaded from an export (`init --from`), kept


# Where the database's knowledge came from, when the database itself is the record of it (so `init` keeps it rather
# than load the fixtures over it): published through the curation API, or loaded from an export.
OWN_ORIGINS = ("api", "export")


class ChangesWouldBeLost(Exception):
    """Loading an export would discard changes published through the API (without `force`)."""


def initialise_database(force: bool = False, export: Knowledge | None = None) -> Initialised:
    """Migrate the schema to the latest version and load the fixtures unless the same ones are loaded.

    Once the database holds changes published through the curation API it is the system of record: the
    fixtures are then not loaded (unless `force`, which discards those changes); its own knowledge is read back
    and reloaded instead when this release renders it differently (a new release, a migration).

    Safe when several replicas start at once, or publish meanwhile: the whole step holds the write lock
    (store/write_lock.py), so one replica loads and the others then find the same facts in place, and a
    publication waits for the load and starts from what it left.

    `export`, the knowledge of an export (`init --from`), is loaded instead of the fixtures, and the database is
    then its own record, as after a change published through the API; over such changes only with `force`.
    """
    knowledge = export if export is not None else read_configured_knowledge()
    with db.connection_context(), holding_write_lock():
        return _initialise(knowledge, force, export is not None)


def _initialise(knowledge: Knowledge, force: bool, is_export: bool) -> Initialised:
    from .curation import published_changes
    from .published import published_knowledge

    migrated = migrate()
    dataset = m.Dataset.select().first()
    own_origin = dataset.origin if dataset is not None and dataset.origin in OWN_ORIGINS else None
    if own_origin and not force and not is_export:
        own = published_knowledge()  # its fingerprint: the data version of what the database holds, by this code
        reload = bool(migrated) or own.fingerprint != dataset.version
        loaded = load_knowledge(own, force=reload, origin=own_origin) if reload else False
        return Initialised(loaded, own.fact_count, published_changes(), kept_export=own_origin == "export")
    discarded = published_changes() if own_origin else 0
    if is_export and discarded and not force:
        raise ChangesWouldBeLost(
            f"the database holds {discarded} change(s) published through the API, which loading the export would "
            "discard: `sanctions-kb export-fixtures DIR` keeps them as files first; `init --from FILE --force` "
            "loads the export anyway"
        )
    origin = "export" if is_export else "fixtures"
    same_origin = dataset is not None and dataset.origin == origin
    loaded = load_knowledge(knowledge, force=force or bool(migrated) or not same_origin, origin=origin)
    return Initialised(loaded, knowledge.fact_count, discarded_changes=discarded)
