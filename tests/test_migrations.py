"""Migrations: applied from an empty database, they give exactly the tables today's models describe."""

from peewee import SqliteDatabase

from service import create_app
from service.store import models as m
from service.store.db import db
from service.store.migrations import LATEST, migrate, schema_version
from service.store.search_index import PgSearchDocument, SearchDocument, create_search_index


def _tables() -> dict[str, dict]:
    """Every table's columns (name, type, nullability) and indexes (name, columns, unique)."""
    search = SearchDocument if isinstance(db.obj, SqliteDatabase) else PgSearchDocument
    found = {}
    for model in (*m.MODELS, *m.CURATION_MODELS, search):
        table = model._meta.table_name
        found[table] = {
            "columns": sorted((c.name, c.data_type.lower(), c.null) for c in db.get_columns(table)),
            "indexes": sorted((i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)),
        }
    return found


def test_migrating_an_empty_database_gives_the_models_tables(new_database_url):
    with create_app({"DATABASE_URL": new_database_url()}).app_context(), db.connection_context():
        assert schema_version() == 0
        assert migrate() == list(range(1, LATEST + 1))
        migrated = _tables()
    with create_app({"DATABASE_URL": new_database_url()}).app_context(), db.connection_context():
        db.create_tables([*m.MODELS, *m.CURATION_MODELS])
        create_search_index()
        described = _tables()
    for table, shape in described.items():
        assert migrated[table]["columns"] == shape["columns"], f"{table}: a model field has no migration"
        assert set(shape["indexes"]) <= set(migrated[table]["indexes"]), f"{table}: a model index has no migration"
    # The one index only a migration declares: citations by source and fact type, for /statements?source=.
    assert ("citation_source_fact_type", ("source_id", "fact_type"), False) in migrated["citation"]["indexes"]


def test_step_one_is_frozen_not_todays_models(new_database_url):
    """Step 1 alone creates the tables as first released: no statement.search_text (step 3 adds it)."""
    with create_app({"DATABASE_URL": new_database_url()}).app_context(), db.connection_context():
        assert migrate(target=1) == [1]
        assert "search_text" not in {c.name for c in db.get_columns("statement")}
        assert migrate() == list(range(2, LATEST + 1))
        assert "search_text" in {c.name for c in db.get_columns("statement")}


def test_step_fourteen_adds_the_workbench_sessions_to_a_database_with_tokens(new_database_url):
    """A database at step 13 holding a token: step 14 adds the sessions and failed sign-ins, the token opens a session,
    and a session goes with its token's row."""
    from service.store.sessions import open_session, session_for
    from service.store.tokens import issue_token, token_for

    with create_app({"DATABASE_URL": new_database_url()}).app_context(), db.connection_context():
        assert migrate(target=13) == list(range(1, 14))
        assert not m.WorkbenchSession.table_exists() and not m.SignInFailure.table_exists()
        secret = issue_token("made-before-step-14", "editor")
        assert migrate(target=14) == [14] and schema_version() == 14
        session_id = open_session(token_for(secret), lifetime=3600, idle_timeout=600)
        session = session_for(session_id, idle_timeout=600)
        assert session is not None and (session.name, session.role) == ("made-before-step-14", "editor")
        m.Token.delete().where(m.Token.name == "made-before-step-14").execute()
        assert not m.WorkbenchSession.select().exists()  # ON DELETE CASCADE, on every engine


def test_step_fifteen_gives_the_entities_of_a_database_empty_identifiers(new_database_url):
    """A database at step 14 holding an entity: step 15 adds its identifiers, none until a load fills them."""
    with create_app({"DATABASE_URL": new_database_url()}).app_context(), db.connection_context():
        assert migrate(target=14) == list(range(1, 15))
        assert "identifiers" not in {c.name for c in db.get_columns("entity")}
        db.execute_sql(
            'INSERT INTO "entity" ("id", "sort_key", "kind", "name", "aliases", "search_key", "named", "description") '
            "VALUES ('made-before-step-15', 'made-before-step-15', 'place', 'A place', '[]', 'a place', %s, 'x')"
            % ("1" if isinstance(db.obj, SqliteDatabase) else "true")
        )
        assert migrate() == [15, 16] and schema_version() == 16
        entity = m.Entity.get_by_id("made-before-step-15")
        assert (entity.identifiers, entity.identifier_key) == ([], "")
