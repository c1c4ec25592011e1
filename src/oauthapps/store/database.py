"""Opening the database: URL handling, SQLite durability settings, one async engine per process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .caches import CacheBudgets, Caches, install_local_eviction
from .change_feed import ChangeFeed


def async_url(url: str) -> str:
    """Accept the URLs people write and name the async driver we use for each engine."""
    if "://" not in url:  # a bare path means a SQLite file
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            parsed = parsed.set(database=str(Path(database).expanduser().resolve()))
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")


READ_ONLY = "oauthapps_read_only"
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


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    # Set by a server process (Runtime); a CLI run reads straight from the database.
    caches: Caches | None = None
    feed: ChangeFeed | None = None

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
        if full.startswith("sqlite"):
            engine = create_async_engine(full, pool_pre_ping=False, hide_parameters=True)
            _configure_sqlite(engine)
        else:
            # No pre-ping: on asyncpg it costs three round trips per checkout (a quarter of a query
            # request's CPU). A connection that died (a PostgreSQL restart) fails the one use that
            # finds it; SQLAlchemy then invalidates the whole pool and the next checkout reconnects.
            # No overflow: connections opened past the pool and closed on return were churned by
            # the hundred per second under load; a request waits for a pooled one instead.
            engine = create_async_engine(full, pool_size=pool_size, max_overflow=0, pool_pre_ping=False, hide_parameters=True)
        db = cls(url=url, engine=engine)
        install_local_eviction(engine.sync_engine, lambda: db.caches)
        return db

    async def start_caches(self, budgets: CacheBudgets | None = None) -> None:
        """Turn on the process-local caches, following the change log (store/change_log.py, store/change_feed.py)."""
        caches = Caches(budgets)
        feed = ChangeFeed(async_url(self.url), caches)
        await feed.start()
        self.caches, self.feed = caches, feed

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One atomic unit of work: everything in it commits together or not at all."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only unit of work: a consistent snapshot that blocks no writer."""
        async with self.engine.connect() as pooled:
            conn = await pooled.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                yield conn

    async def close(self) -> None:
        if self.feed is not None:
            await self.feed.stop()
        await self.engine.dispose()


def default_data_dir() -> Path:
    return Path(os.environ.get("OAUTHAPPS_DATA_DIR", ".oauthapps")).expanduser().resolve()


def default_database_url() -> str:
    return os.environ.get("OAUTHAPPS_DATABASE_URL") or f"sqlite:///{default_data_dir() / 'oauthapps.db'}"
