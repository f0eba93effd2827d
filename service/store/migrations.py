"""Schema migrations: numbered steps, and the schema version recorded in the database."""

from collections.abc import Callable

from peewee import CharField, IntegerField, SqliteDatabase, TextField
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


SORTED_TABLES = ("source", "entity", "resolution", "member_vote", "measure", "figure", "event", "topic", "statement")
# Indexes for the lists' documented filters, each ending with the sort key so a filtered page is read in order.
FILTER_INDEXES = {
    "entity": ("kind", "country_id"),
    "member_vote": ("resolution_id",),
    "measure": ("resolution_id", "kind"),
    "figure": ("subject", "metric"),
    "event": ("kind", "place_id"),
    "statement": ("speaker_id", "stance", "attribution"),
}


def _index_sort_keys_and_filters() -> None:
    # Lists are ordered by one stored, indexed sort key (its page is an index range, and the keyset cursor of
    # the next page), on PostgreSQL in code-point order ("C"), like every other ordering of the service. init
    # reloads the knowledge after a migration, which fills the column.
    collate = "" if isinstance(db.obj, SqliteDatabase) else ' COLLATE "C"'
    for table in SORTED_TABLES:
        if "sort_key" not in {c.name for c in db.get_columns(table)}:
            db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "sort_key" TEXT{collate} NOT NULL DEFAULT \'\'')
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_sort_key" ON "{table}" ("sort_key")')
        for column in FILTER_INDEXES.get(table, ()):
            db.execute_sql(
                f'CREATE INDEX IF NOT EXISTS "{table}_{column}_sort_key" ON "{table}" ("{column}", "sort_key")'
            )
    # The source filter asks, for each statement in sort order, whether one of its citations is of that source.
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "citation_fact_source" ON "citation" ("fact_type", "fact_id", "source_id")'
    )
    for table, column in (("statement_topic", "topic_id"), ("event_participant", "entity_id")):
        db.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}" ON "{table}" ("{column}", "{table.split("_")[0]}_id")'
        )
    # /statements?q= matches a substring of the folded text: a trigram index serves it on each engine.
    if isinstance(db.obj, SqliteDatabase):
        db.execute_sql(
            'CREATE VIRTUAL TABLE IF NOT EXISTS "statement_text" USING fts5("statement_id" UNINDEXED, "text", '
            "tokenize = 'trigram')"
        )
    else:
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql(
            'CREATE INDEX IF NOT EXISTS "statement_search_text_trigram" ON "statement" '
            'USING gin ("search_text" gin_trgm_ops)'
        )


# Append only: a released step never changes. Step 1 creates the tables as they were then (schema_v1, frozen);
# each later step takes them one step closer to models.py. A database made before versions were kept, by a
# release whose step 1 created the then-current models, may already have what a later step adds, so each step
# is also a no-op there (IF NOT EXISTS and the like).
MIGRATIONS: tuple[tuple[int, str, Callable[[], None]], ...] = (
    (1, "create the tables and the search index", schema_v1.create_tables),
    (2, "index citations by source and fact type", _index_citations_by_source),
    (3, "fold statement text for case- and accent-insensitive q", _fold_statement_text),
    (4, "store rendered documents and the data version", _store_documents),
    (5, "index lists by sort key and filters; trigram index for statement text", _index_sort_keys_and_filters),
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
