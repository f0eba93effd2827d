"""The peewee database proxy and its per-request connection handling."""

from flask import Flask
from peewee import DatabaseProxy, InterfaceError, OperationalError, SqliteDatabase
from playhouse.db_url import connect

db = DatabaseProxy()

# What peewee raises when the database cannot be reached or a connection broke (e.g. a server restart).
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def open_database(url: str):
    """Return a peewee database for a DATABASE_URL, with the pragmas the service relies on."""
    if url.startswith("sqlite") and ":memory:" in url:
        raise ValueError("DATABASE_URL must name a SQLite file, not :memory: (each request opens its own connection)")
    if url.startswith("sqlite"):
        return _sqlite(url)
    if url.startswith(("postgres://", "postgresql://", "postgres+pool://", "postgresql+pool://")):
        return connect(url)
    raise ValueError(f"DATABASE_URL {url!r}: only sqlite:/// and postgresql:// (or postgresql+pool://) are supported")


def _sqlite(url: str) -> SqliteDatabase:
    path = url.split("sqlite:///", 1)[1] if url.startswith("sqlite:///") else None
    if not path:
        raise ValueError(f"DATABASE_URL {url!r} is not of the form sqlite:///path/to/file.sqlite3")
    return SqliteDatabase(
        path,
        pragmas={"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000},
    )


def uses_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def order_key(field):
    """Order text by code point on every engine (SQLite's BINARY; PostgreSQL's "C"), so pages match byte for byte."""
    return field if uses_sqlite() else field.collate('"C"')


def init_db(app: Flask) -> None:
    """Bind the proxy to the configured database and open/close a connection around each request."""
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect() -> None:
        db.connect()

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not db.is_closed():
            try:
                db.close()
            except UNAVAILABLE_ERRORS:
                app.logger.warning("closing a broken database connection failed; it is discarded")
