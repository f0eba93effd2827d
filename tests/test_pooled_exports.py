"""The bulk exports on a pooled PostgreSQL URL (postgresql+pool://...?max_connections=N&stale_timeout=S, the form
docs/deploy.md recommends): each export's snapshot opens a plain connection of its own, without the pool's options."""

from peewee import PostgresqlDatabase
from playhouse.pool import PooledPostgresqlDatabase

from service import create_app
from service.store.db import open_database
from tests.helpers import EXPORTS, fetch, needs_postgres

POOL_OPTIONS = "?max_connections=4&stale_timeout=300&timeout=10"


@needs_postgres
def test_every_export_answers_the_same_bytes_on_a_pooled_url_with_pool_options(loaded_database):
    plain = create_app({"DATABASE_URL": loaded_database, "TESTING": True}).test_client()
    pooled_url = loaded_database.replace("postgresql://", "postgresql+pool://", 1) + POOL_OPTIONS
    pooled = create_app({"DATABASE_URL": pooled_url, "TESTING": True}).test_client()
    urls = [export["url"] for export in plain.get(EXPORTS).get_json()]
    assert len(urls) > 6
    for url in urls:
        expected = fetch(plain, url)
        answer = fetch(pooled, url)
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:300])
        assert answer.get_data() == expected.get_data(), url
        assert answer.headers["ETag"] == expected.headers["ETag"], url


def test_an_unpooled_database_for_a_pooled_url_keeps_the_connection_options_and_drops_the_pools():
    url = "postgresql+pool://kb:secret@db.internal:5433/sanctions_kb" + POOL_OPTIONS + "&connect_timeout=3"
    database = open_database(url, pooled=False, thread_safe=False)
    assert type(database) is PostgresqlDatabase
    assert database.database == "sanctions_kb"
    assert database.connect_params == {
        "user": "kb",
        "password": "secret",
        "host": "db.internal",
        "port": 5433,
        "connect_timeout": 3,
    }
    assert isinstance(open_database(url), PooledPostgresqlDatabase)  # the service's own stays pooled
