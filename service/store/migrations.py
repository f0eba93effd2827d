"""Schema migrations: numbered steps, and the schema version recorded in the database."""

from collections.abc import Callable

from peewee import CharField, IntegerField, TextField
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as run_migrations

from . import models as m
from . import schema_v1
from .db import db


class SchemaTooNew(Exception):
    """The database was migrated by a newer release than this one."""


class SchemaVersion(m.BaseModel):
    """One row per migration applied (not a fact table: loading fixtures never touches it)."""

    version = IntegerField(primary_key=True)
    description = TextField()


def _index_citations_by_source() -> None:
    # The `source` filter of /statements looks citations up by source and fact type.
    db.execute_sql('CREATE INDEX IF NOT EXISTS "citation_source_fact_type" ON "citation" ("source_id", "fact_type")')


def _fold_statement_text() -> None:
    # /statements?q= matches folded text (case, accents, punctuation) alike on every engine; init reloads the
    # knowledge after a migration, which fills the column.
    if "search_text" not in {c.name for c in db.get_columns("statement")}:
        migrator = SchemaMigrator.from_database(db.obj)
        run_migrations(migrator.add_column("statement", "search_text", TextField(default="")))


def _store_documents() -> None:
    # Pre-rendered API documents, and the data version that ETags and caches are keyed by. init reloads the
    # knowledge after a migration, which renders the documents and sets the version.
    db.execute_sql(
        'CREATE TABLE IF NOT EXISTS "document" ("kind" VARCHAR(255) NOT NULL, "record_id" VARCHAR(255) NOT NULL, '
        '"body" TEXT NOT NULL, PRIMARY KEY ("kind", "record_id"))'
    )
    if "version" not in {c.name for c in db.get_columns("dataset")}:
        migrator = SchemaMigrator.from_database(db.obj)
        run_migrations(migrator.add_column("dataset", "version", CharField(default="")))


# Append only: a released step never changes. Step 1 creates the tables as they were then (schema_v1, frozen);
# each later step takes them one step closer to models.py. A database made before versions were kept, by a
# release whose step 1 created the then-current models, may already have what a later step adds, so each step
# is also a no-op there (IF NOT EXISTS and the like).
MIGRATIONS: tuple[tuple[int, str, Callable[[], None]], ...] = (
    (1, "create the tables and the search index", schema_v1.create_tables),
    (2, "index citations by source and fact type", _index_citations_by_source),
    (3, "fold statement text for case- and accent-insensitive q", _fold_statement_text),
    (4, "store rendered documents and the data version", _store_documents),
)
LATEST = MIGRATIONS[-1][0]


def schema_version() -> int:
    """The highest migration applied; 0 for an empty database (and 1 for one made before versions were kept)."""
    if SchemaVersion.table_exists():
        return SchemaVersion.select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).scalar() or 0
    return 1 if m.Entity.table_exists() else 0


def migrate(target: int = LATEST) -> list[int]:
    """Apply every migration above the recorded version up to `target`, each in its own transaction."""
    current = schema_version()
    if current > LATEST:
        raise SchemaTooNew(
            f"the database is at schema version {current}, newer than this code's {LATEST}: upgrade the code"
        )
    db.create_tables([SchemaVersion], safe=True)
    if current and not SchemaVersion.select().exists():
        SchemaVersion.create(version=current, description="recorded on first upgrade")
    applied = []
    for version, description, step in MIGRATIONS:
        if current < version <= target:
            with db.atomic():
                step()
                SchemaVersion.create(version=version, description=description)
            applied.append(version)
    return applied
