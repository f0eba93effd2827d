"""Schema migrations: numbered steps, and the schema version recorded in the database."""

from collections.abc import Callable

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    SqliteDatabase,
    TextField,
)
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


class _Dispute(m.BaseModel):
    """dispute, claim and dispute_fact as step 6 creates them (frozen here, like schema_v1)."""

    id = CharField(primary_key=True)
    sort_key = TextField(default="")
    kind = CharField(index=True)
    subject = TextField()
    status = CharField(index=True)
    verdict = TextField(null=True)
    reasoning = TextField()
    facts = m.JSONListField(default=list)

    class Meta:
        table_name = "dispute"


class _Claim(m.BaseModel):
    id = CharField(primary_key=True)
    dispute = ForeignKeyField(_Dispute, backref="+", on_delete="CASCADE")
    claim = TextField()
    assessment = CharField()

    class Meta:
        table_name = "claim"


class _DisputeFact(m.BaseModel):
    dispute = ForeignKeyField(_Dispute, backref="+", on_delete="CASCADE")
    fact_type = CharField()
    fact_id = CharField()
    position = IntegerField()

    class Meta:
        table_name = "dispute_fact"
        indexes = ((("fact_type", "fact_id", "dispute"), True),)


class _Fact(m.BaseModel):
    fact_type = CharField()
    fact_id = CharField()
    sort_key = TextField()
    label = TextField()
    url = TextField()
    sources = IntegerField()
    independent_sources = IntegerField(index=True)
    disputes = m.JSONListField(default=list)
    disputed = BooleanField(index=True)

    class Meta:
        table_name = "fact"
        primary_key = CompositeKey("fact_type", "fact_id")
        indexes = ((("sort_key",), True),)


# Step 6's new columns, as (table, column, field) in the order they are added.
_MODEL_V2_COLUMNS = (
    ("source", "derived_from", m.JSONListField(default=list)),
    ("entity", "named", BooleanField(default=True)),
    ("resolution", "coverage", m.JSONListField(default=list)),
    ("figure", "value_kind", CharField(default="exact")),
    ("figure", "value_max", DoubleField(null=True)),
    ("event", "date_earliest", DateField(null=True)),
    ("event", "date_latest", DateField(null=True)),
    ("event", "time_zone", CharField(null=True)),
    ("statement", "date_earliest", DateField(null=True)),
    ("statement", "date_latest", DateField(null=True)),
    ("statement", "time_zone", CharField(null=True)),
    ("statement", "attribution_chain", m.JSONListField(default=list)),
    ("statement", "hands", IntegerField(default=1, index=True)),
    ("statement", "via_unnamed", BooleanField(default=False, index=True)),
    ("citation", "role", CharField(default="supports")),
    ("citation", "fields", m.JSONListField(default=list)),
    ("citation", "wording", TextField(null=True)),
)


def _model_v2() -> None:
    # Knowledge model v2: date intervals and time zones, bounded figures, mentions (citation roles, fields,
    # wording), source derivations, attribution chains, coverage notes, and disputes with their claims. init
    # reloads the knowledge after a migration, which fills every new column.
    migrator = SchemaMigrator.from_database(db.obj)
    for table, column, field in _MODEL_V2_COLUMNS:
        if column not in {c.name for c in db.get_columns(table)}:
            run_migrations(migrator.add_column(table, column, field))
    db.create_tables([_Dispute, _Claim, _DisputeFact, _Fact], safe=True)
    if not isinstance(db.obj, SqliteDatabase):
        for table in ("dispute", "fact"):
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "sort_key" TYPE TEXT COLLATE "C"')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "dispute_sort_key" ON "dispute" ("sort_key")')
    for column in ("kind", "status"):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "dispute_{column}_sort_key" ON "dispute" ("{column}", "sort_key")')


class _Token(m.BaseModel):
    """token as step 7 creates it (frozen)."""

    name = CharField(unique=True)
    role = CharField()
    digest = CharField(unique=True)
    created_at = DateTimeField()
    revoked_at = DateTimeField(null=True)

    class Meta:
        table_name = "token"


def _tokens() -> None:
    # Curation API tokens (hashes only). Outside the knowledge: loads never touch this table. And each article's
    # text file name, so that the knowledge can be written back as fixtures and seeds (export-fixtures).
    db.create_tables([_Token], safe=True)
    if "file" not in {c.name for c in db.get_columns("source")}:
        run_migrations(SchemaMigrator.from_database(db.obj).add_column("source", "file", TextField(null=True)))


class _Change(m.BaseModel):
    """change as step 8 creates it (frozen)."""

    kind = CharField()
    record_id = CharField()
    action = CharField()
    record = TextField(null=True)
    before = TextField(null=True)
    summary = TextField()
    author = CharField()
    status = CharField(index=True)
    reviewer = CharField(null=True)
    review_note = TextField(null=True)
    created_at = DateTimeField()
    reviewed_at = DateTimeField(null=True)
    revision = IntegerField(null=True, unique=True)
    version = CharField(null=True)

    class Meta:
        table_name = "change"
        indexes = ((("kind", "record_id"), False),)


def _changes() -> None:
    # Changes made through the API, and whether the knowledge loaded came from the fixtures or from the API.
    db.create_tables([_Change], safe=True)
    if "origin" not in {c.name for c in db.get_columns("dataset")}:
        run_migrations(
            SchemaMigrator.from_database(db.obj).add_column("dataset", "origin", CharField(default="fixtures"))
        )


def _change_history() -> None:
    # What each published change left (the record after it, the data version it started from) and reverts.
    present = {c.name for c in db.get_columns("change")}
    migrator = SchemaMigrator.from_database(db.obj)
    steps = [
        migrator.add_column("change", name, field)
        for name, field in (
            ("previous_version", CharField(null=True)),
            ("after", TextField(null=True)),
            ("reverts", IntegerField(null=True)),
        )
        if name not in present
    ]
    if steps:
        run_migrations(*steps)


class _Entity(m.BaseModel):
    """entity's key, as step 10's new reference to it needs it (frozen)."""

    id = CharField(primary_key=True)

    class Meta:
        table_name = "entity"


def _country_codes_and_measure_targets() -> None:
    # Curated ISO 3166-1 alpha-2 codes of countries, and the entity each measure is imposed on (what the
    # FollowTheMoney export needs). init reloads the knowledge after a migration, which fills both columns.
    migrator = SchemaMigrator.from_database(db.obj)
    steps = [
        migrator.add_column(table, column, field)
        for table, column, field in (
            ("entity", "country_code", CharField(null=True)),
            ("measure", "target_id", ForeignKeyField(_Entity, field=_Entity.id, null=True)),
        )
        if column not in {c.name for c in db.get_columns(table)}
    ]
    if steps:
        run_migrations(*steps)


class _EntityName(m.BaseModel):
    """entity_name as step 11 creates it (frozen)."""

    id = AutoField()
    entity = ForeignKeyField(_Entity, field=_Entity.id, backref="+", on_delete="CASCADE")
    name = TextField(index=True)
    position = IntegerField()

    class Meta:
        table_name = "entity_name"
        indexes = ((("entity", "name"), True),)


class _FtsRow(m.BaseModel):
    """fts_row as step 11 creates it (frozen)."""

    id = AutoField()
    fts = CharField()
    kind = CharField()
    record_id = CharField()

    class Meta:
        table_name = "fts_row"
        indexes = ((("fts", "kind", "record_id"), True),)


def _writes_at_the_cost() -> None:
    # What lets a write cost what its change costs: entities' folded names and country codes under indexes
    # (verification looks them up), the data version's sum of record digests, the epoch and revision readers
    # follow, what each publication touched, and each search entry found by its record (SQLite: the full-text
    # rows' keys; PostgreSQL: an index). init reloads the knowledge after a migration, which fills them.
    db.create_tables([_EntityName], safe=True)
    if isinstance(db.obj, SqliteDatabase):
        db.create_tables([_FtsRow], safe=True)
    else:
        db.execute_sql(
            'CREATE UNIQUE INDEX IF NOT EXISTS "pgsearchdocument_kind_record_id" '
            'ON "search_document_pg" ("kind", "record_id")'
        )
    migrator = SchemaMigrator.from_database(db.obj)
    steps = [
        migrator.add_column(table, column, field)
        for table, column, field in (
            ("dataset", "digest", TextField(default="")),
            ("dataset", "epoch", CharField(default="")),
            ("dataset", "revision", IntegerField(null=True)),
            ("change", "touched", TextField(null=True)),
        )
        if column not in {c.name for c in db.get_columns(table)}
    ]
    if not any(index.name == "entity_country_code" for index in db.get_indexes("entity")):
        steps.append(migrator.add_index("entity", ("country_code",), False))
    if steps:
        run_migrations(*steps)


def _accounts() -> None:
    # The original account a cited passage carries (an event or a source), found by what carries it when that
    # changes. init reloads the knowledge after a migration, which fills them.
    migrator = SchemaMigrator.from_database(db.obj)
    columns = {c.name for c in db.get_columns("citation")}
    steps = [
        migrator.add_column("citation", column, CharField(null=True))
        for column in ("account_type", "account_id")
        if column not in columns
    ]
    if steps:
        run_migrations(*steps)
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "citation_account_id_account_type" ON "citation" ("account_id", "account_type")'
    )


def _sources_accessed_on() -> None:
    # The day a curator last read a web reference's page, for the exports' accessed date (CSL `accessed`, biblatex
    # `urldate`). init reloads the knowledge after a migration, which fills the column.
    if "accessed_on" not in {c.name for c in db.get_columns("source")}:
        run_migrations(SchemaMigrator.from_database(db.obj).add_column("source", "accessed_on", DateField(null=True)))


class _WorkbenchSession(m.BaseModel):
    """workbench_session as step 14 creates it (frozen)."""

    id = AutoField()
    digest = CharField(unique=True)
    token = ForeignKeyField(_Token, backref="+", on_delete="CASCADE")
    created_at = DateTimeField()
    last_seen_at = DateTimeField()
    expires_at = DateTimeField()
    idle_expires_at = DateTimeField()

    class Meta:
        table_name = "workbench_session"


class _SignInFailure(m.BaseModel):
    """sign_in_failure as step 14 creates it (frozen)."""

    id = AutoField()
    client = CharField()
    failed_at = DateTimeField()

    class Meta:
        table_name = "sign_in_failure"
        indexes = ((("client", "failed_at"), False),)


def _workbench_sessions() -> None:
    # The workbench's server-side sessions (digests of their ids only) and failed sign-ins, counted per client
    # address. Outside the knowledge, like tokens: loads never touch them.
    db.create_tables([_WorkbenchSession, _SignInFailure], safe=True)


def _entity_identifiers() -> None:
    # Entities' external identifiers (Wikidata, Wikipedia, UN sanctions lists) and their lookup key. init reloads
    # the knowledge after a migration, which fills them.
    # Plain SQL: peewee's migrator adds a NOT NULL column to SQLite by copying the table, which other tables' foreign
    # keys name; both engines add one with a default in place.
    columns = {c.name for c in db.get_columns("entity")}
    for column, default in (("identifiers", "[]"), ("identifier_key", "")):
        if column not in columns:
            db.execute_sql(f'ALTER TABLE "entity" ADD COLUMN "{column}" TEXT NOT NULL DEFAULT \'{default}\'')


def _index_cited_passages() -> None:
    # An article's page reads its citations passage by passage (the spans, how many cite each, the first so many
    # of each in the page's order), and / counts an article's quoting citations: ranges of this index, not rows.
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "citation_source_passage" '
        'ON "citation" ("source_id", "start", "end", "fact_type", "fact_id", "position")'
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
    (6, "knowledge model v2: date intervals, bounds, mentions, derivations, attribution chains, disputes", _model_v2),
    (7, "curation API tokens; article file names", _tokens),
    (8, "changes proposed, reviewed and published through the curation API", _changes),
    (9, "changes keep the record after them and the version they started from; reverts", _change_history),
    (10, "entities' ISO country codes; the entity each measure is imposed on", _country_codes_and_measure_targets),
    (11, "indexed entity names and codes; the version's digest; what publications touched", _writes_at_the_cost),
    (12, "the original account (an event or a source) a cited passage carries", _accounts),
    (13, "the day each source's page was last read", _sources_accessed_on),
    (14, "workbench sessions and failed sign-ins", _workbench_sessions),
    (15, "entities' external identifiers and their lookup key", _entity_identifiers),
    (16, "index citations by source and passage", _index_cited_passages),
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
