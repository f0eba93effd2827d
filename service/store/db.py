"""The peewee database proxy and its per-request connection handling."""

import sqlite3
import sys
from collections.abc import Iterator, Sequence
from typing import Any, cast

from flask import Flask
from peewee import (
    BaseQuery,
    ColumnBase,
    Database,
    DatabaseProxy,
    InterfaceError,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
    fn,
)
from playhouse.db_url import connect, parse
from playhouse.pool import MaxConnectionsExceeded

db = DatabaseProxy()

# SQLite primary result codes that mean "not now" rather than "wrong": the file cannot be opened, another
# connection holds a lock past the busy timeout, the disk failed or is full, or the file is read-only (its
# permissions, a read-only mount). Everything else (SQLITE_ERROR: no such table, bad SQL...) is a fault.
SQLITE_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
    }
)
SQLITE_UNAVAILABLE_MESSAGES = (
    "unable to open database file",
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "database or disk is full",
    "attempt to write a readonly database",
)
# PostgreSQL SQLSTATE classes and codes that mean "not now": 08 connection exception; 57P01-57P05 (admin/crash
# shutdown, cannot connect now, database dropped, idle session timeout); 53 insufficient resources (53100 disk
# full, 53200 out of memory, 53300 too many connections); 25006 read-only transaction (a standby, a database set
# read-only); 55P03 lock not available (lock_timeout); 57014 query canceled (statement_timeout, an operator's
# cancel); 40001 serialization failure and 40P01 deadlock, where PostgreSQL has rolled the transaction back and
# the same request succeeds when sent again.
POSTGRES_UNAVAILABLE_SQLSTATES = ("08", "57P0", "53", "25006", "55P03", "57014", "40001", "40P01")


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be reached or written right now (503, retry) rather
    than a fault (500).

    peewee re-raises a driver error as its own class of the same DB-API name, with the driver's exception as
    `orig` (PeeweeException.__init__; ExceptionWrapper); errors peewee raises itself ("Connection already
    opened.") have no `orig` and are faults. Unavailable: SQLite's CANTOPEN, BUSY, LOCKED, IOERR, FULL and
    READONLY; psycopg2's OperationalError from the client (no SQLSTATE: refused, lost, timed out), any of its
    errors with one of POSTGRES_UNAVAILABLE_SQLSTATES (25006 is an InternalError to psycopg2), and its
    InterfaceError ("connection already closed"); and a connection pool with no connection free.
    """
    if isinstance(error, MaxConnectionsExceeded):
        return True
    driver = getattr(error, "orig", error)
    if isinstance(driver, sqlite3.Error):
        code = getattr(driver, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in SQLITE_UNAVAILABLE_CODES
        return str(driver).lower().startswith(SQLITE_UNAVAILABLE_MESSAGES)
    psycopg2 = sys.modules.get("psycopg2")  # only loaded when a PostgreSQL database is in use
    if psycopg2 is not None:
        if isinstance(driver, psycopg2.InterfaceError):
            return True
        if isinstance(driver, psycopg2.Error):
            if driver.pgcode is None:
                return isinstance(driver, psycopg2.OperationalError)
            return driver.pgcode.startswith(POSTGRES_UNAVAILABLE_SQLSTATES)
    return False


class ServiceSqliteDatabase(SqliteDatabase):
    """SQLite, where a rollback leaves alone a transaction SQLite has already ended.

    On some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, at times SQLITE_BUSY) SQLite rolls the whole
    transaction back itself ("Response To Errors Within A Transaction", sqlite.org/lang_transaction.html). peewee
    then sends ROLLBACK TO SAVEPOINT and ROLLBACK as it unwinds its blocks, which fail ("no such savepoint",
    "cannot rollback - no transaction is active") and take the place of the error that said what happened.
    """

    def transaction_ended(self) -> bool:
        """Whether this connection is open but outside any transaction (SQLite ended it, or none was begun)."""
        return not self.is_closed() and not self.connection().in_transaction

    def rollback(self) -> None:
        if not self.transaction_ended():
            super().rollback()

    def execute_sql(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        # A savepoint's rollback (peewee's _savepoint, made by the proxy, sends it through here).
        if sql.startswith("ROLLBACK TO SAVEPOINT") and self.transaction_ended():
            return None
        return super().execute_sql(sql, params)


# The query-string options of a +pool URL that configure peewee's PooledDatabase, not the driver's connection:
# psycopg2 refuses them ("invalid dsn: invalid connection option").
POOL_OPTIONS = ("max_connections", "stale_timeout", "timeout")


def open_database(url: str, *, pooled: bool = True, **options: Any) -> Database:
    """Return a peewee database for a DATABASE_URL, with the pragmas the service relies on (`options` go to
    peewee's Database, e.g. thread_safe=False for a connection shared by threads). `pooled=False` opens a plain
    connection even for a postgresql+pool:// URL, without the pool's own options."""
    if url.startswith("sqlite") and ":memory:" in url:
        raise ValueError("DATABASE_URL must name a SQLite file, not :memory: (each request opens its own connection)")
    if url.startswith("sqlite"):
        return _sqlite(url, **options)
    if url.startswith(("postgres+pool://", "postgresql+pool://")) and not pooled:
        parameters = {name: value for name, value in parse(url).items() if name not in POOL_OPTIONS}
        return PostgresqlDatabase(**parameters, **options)
    if url.startswith(("postgres://", "postgresql://", "postgres+pool://", "postgresql+pool://")):
        return connect(url, **options)
    raise ValueError(f"DATABASE_URL {url!r}: only sqlite:/// and postgresql:// (or postgresql+pool://) are supported")


def _sqlite(url: str, **options: Any) -> ServiceSqliteDatabase:
    path = url.split("sqlite:///", 1)[1] if url.startswith("sqlite:///") else None
    if not path:
        raise ValueError(f"DATABASE_URL {url!r} is not of the form sqlite:///path/to/file.sqlite3")
    return ServiceSqliteDatabase(
        path,
        pragmas={"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000},
        **options,
    )


def uses_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def order_key(field: ColumnBase, database: Database | None = None) -> ColumnBase:
    """Order text by code point on every engine (SQLite's BINARY; PostgreSQL's "C"), so pages match byte for byte;
    for the service's database, or the one given (a snapshot's own)."""
    sqlite = uses_sqlite() if database is None else isinstance(database, SqliteDatabase)
    return field if sqlite else field.collate('"C"')


def contains_exactly(field: ColumnBase, text: str) -> ColumnBase:
    """Whether `field` holds `text`, exactly and case-sensitively, on every engine: REPLACE is so on both, where LIKE
    ignores case on SQLite alone (and takes _ and % as wildcards)."""
    return fn.REPLACE(field, text, "") != field


# A query's rows as tuples or dicts of the columns it selects: peewee's `.tuples()` and `.dicts()`, typed (peewee's
# stubs keep the model as the row type after either).
def tuples(query: BaseQuery) -> Iterator[tuple[Any, ...]]:
    return cast(Iterator[tuple[Any, ...]], iter(query.tuples()))


def dicts(query: BaseQuery) -> Iterator[dict[str, Any]]:
    return cast(Iterator[dict[str, Any]], iter(query.dicts()))


def init_db(app: Flask) -> None:
    """Bind the proxy to the configured database and open/close a connection around each request."""
    db.initialize(open_database(app.config["DATABASE_URL"]))
    from .reads import watch_reads  # (it reads the models, which are bound to `db`)

    watch_reads(db.obj)  # which tables each cached answer is made from (web/cache.py)

    @app.before_request
    def _connect() -> None:
        if db.is_closed():  # reading the data version on PostgreSQL may have opened it already (store/version.py)
            db.connect()

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not db.is_closed():
            try:
                db.close()
            except (OperationalError, InterfaceError):
                app.logger.warning("closing a broken database connection failed; it is discarded")
