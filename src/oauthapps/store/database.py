"""Opening the database: URL handling, SQLite durability settings, one async engine per process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .caches import CacheBudgets, Caches, install_local_eviction
from .change_feed import ChangeFeed
from .failures import StorageState, WriteOutcomeUnknown, classify
from .health import StorageHealth


def async_url(url: str) -> str:
    """Accept the URLs people write and name the async driver we use for each engine."""
    if "://" not in url:  # a bare path means a SQLite file
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            path = Path(database).expanduser().resolve()
            create_private_file(path)
            parsed = parsed.set(database=str(path))
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (0600), in a directory of mode 0700 when
    that is new; an existing file is left alone. SQLite would create the database with the process
    umask (world-readable on most systems), and it gives its -wal and -shm files the database's mode.
    An existing file is never opened here: closing any descriptor of a SQLite file drops the POSIX
    locks every connection of this process holds on it."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # made by another process just now
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


READ_ONLY = "oauthapps_read_only"
WROTE = "oauthapps_wrote"  # set on a connection by a successful INSERT, UPDATE or DELETE
# Every SQLite connection of ours (the pool's, and the visitor writer's in store/visitor_sinks.py).
# synchronous=FULL: an acknowledged commit survives power loss, not just a process crash.
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below) so that writers take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        # Writers take the lock up front (IMMEDIATE), which avoids the deadlock of two deferred
        # readers both upgrading; read-only units (Database.read) take none and run in parallel.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def _mark_writes(engine: AsyncEngine) -> None:
    """Whether a transaction changed anything: a full disk is over only when a write succeeds
    (store/health.py), and a read-only transaction would say nothing about that."""

    @event.listens_for(engine.sync_engine, "after_execute")
    def after_execute(conn: Any, clause: Any, *_args: Any) -> None:
        if getattr(clause, "is_dml", False):
            conn.info[WROTE] = True


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    # Set by a server process (Runtime); a CLI run reads straight from the database.
    caches: Caches | None = None
    feed: ChangeFeed | None = None
    health: StorageHealth = field(default_factory=StorageHealth)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def open(cls, url: str, *, pool_size: int = 10) -> Database:
        """hide_parameters: a database error's message (and so the log) never carries the values
        of a statement, which may be a caller's data or a secret's hash."""
        full = async_url(url)
        # hide_parameters: an error's message would otherwise hold its statement's parameters
        # (names, redirect URIs, secret and token hashes); the log gets the statement only.
        # orjson reads an integer too large for 64 bits as a float, as it reads request bodies;
        # the stdlib would return an int that no response could then be written with (PostgreSQL
        # gives 1e20 back as 100000000000000000000).
        if full.startswith("sqlite"):
            engine = create_async_engine(full, pool_pre_ping=False, hide_parameters=True, json_deserializer=orjson.loads)
            _configure_sqlite(engine)
        else:
            # No pre-ping: on asyncpg it costs three round trips per checkout (a quarter of a query
            # request's CPU). A connection that died (a PostgreSQL restart) fails the one use that
            # finds it; SQLAlchemy then invalidates the whole pool and the next checkout reconnects.
            # No overflow: connections opened past the pool and closed on return were churned by
            # the hundred per second under load; a request waits for a pooled one instead.
            engine = create_async_engine(
                full, pool_size=pool_size, max_overflow=0, pool_pre_ping=False, hide_parameters=True, json_deserializer=orjson.loads
            )
        db = cls(url=url, engine=engine)
        install_local_eviction(engine.sync_engine, lambda: db.caches)
        _mark_writes(engine)
        return db

    async def start_caches(self, budgets: CacheBudgets | None = None) -> None:
        """Turn on the process-local caches, following the change log (store/change_log.py, store/change_feed.py)."""
        caches = Caches(budgets)
        feed = ChangeFeed(async_url(self.url), caches)
        await feed.start()
        self.caches, self.feed = caches, feed

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One atomic unit of work: everything in it commits together or not at all.

        If the connection to PostgreSQL is lost while the COMMIT is under way, nobody can say
        whether it was applied: that raises ``WriteOutcomeUnknown`` (answered 503, never retried
        here; a client retries safely with an Idempotency-Key). Before the COMMIT was sent, a lost
        connection means the server rolled the transaction back."""
        committing = False
        wrote = False
        try:
            async with self.engine.begin() as conn:
                watching = bool(self.health.episodes)
                if watching:
                    conn.info.pop(WROTE, None)  # left by an earlier transaction that failed
                yield conn
                wrote = conn.info.pop(WROTE, False) and watching
                committing = True
        except Exception as exc:
            if committing and self.dialect == "postgresql":
                failure = classify(exc)
                if failure is not None and failure.state is StorageState.UNAVAILABLE:
                    raise WriteOutcomeUnknown("the connection was lost while the transaction was committing") from exc
            raise
        if self.health.episodes:
            self.health.succeeded(wrote)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only unit of work: a consistent snapshot that blocks no writer."""
        async with self.engine.connect() as pooled:
            conn = await pooled.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                yield conn
        if self.health.episodes:  # an outage in this process may be over (store/health.py)
            self.health.succeeded(wrote=False)

    async def close(self) -> None:
        if self.feed is not None:
            await self.feed.stop()
        await self.engine.dispose()


def default_data_dir() -> Path:
    return Path(os.environ.get("OAUTHAPPS_DATA_DIR", ".oauthapps")).expanduser().resolve()


def default_database_url() -> str:
    return os.environ.get("OAUTHAPPS_DATABASE_URL") or f"sqlite:///{default_data_dir() / 'oauthapps.db'}"
