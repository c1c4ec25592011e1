"""Applies other processes' changes (store/change_log.py) to this process's caches
(store/caches.py), so that a cached row is never served after a change committed elsewhere was
acknowledged (docs/cut-off.md).

Every request, before its first cached read, reads the ``change_log`` rows newer than the last one
this process applied, with a query that began after the request arrived. A change acknowledged to
its client before the request reached this process has committed by then, so the request sees it
whatever the node that made it.

- SQLite: one indexed query on a raw connection of its own, a few microseconds.
- PostgreSQL: one round trip on a connection of its own, shared by the requests that arrive while
  it is under way: each waits for the first query that *starts* after it arrived, so under load one
  query serves many requests. While that connection is down no cache is used at all.

``seq`` order is commit order (SQLite has one writer at a time; on PostgreSQL record_change holds
a lock from its insert to the commit), so "newer than the last one applied" misses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from sqlalchemy.engine import make_url

from .caches import Caches
from .failures import classify

log = logging.getLogger("oauthapps.cache")

STALE_AFTER_SECONDS = 12 * 3600  # a reader idle this long flushes rather than trust a purged log
PG_POLL = "SELECT seq, kind, key FROM change_log WHERE seq > $1 ORDER BY seq"
SQLITE_POLL = "SELECT seq, kind, key FROM change_log WHERE seq > ? ORDER BY seq"
PG_TIMEOUT_SECONDS = 5.0

# The feeds polled during the current request (None outside a request: every poll is done).
# One poll per request is enough: the request then sees every change committed before it began
# (plus its own, evicted at commit), as if it had run at the moment of that poll.
_polled_in_request: ContextVar[set[int] | None] = ContextVar("oauthapps_polled_in_request", default=None)


def begin_request() -> None:
    """Called at the start of each HTTP request, in its own context (each request is a task)."""
    _polled_in_request.set(set())


class ChangeFeed:
    """Applies other processes' changes to this process's caches."""

    def __init__(self, url: str, caches: Caches):
        self.url = url
        self.caches = caches
        self.backend = make_url(url).get_backend_name() if "://" in url else "sqlite"
        self.last_seq = 0
        self.usable = False
        self.polls = 0  # queries sent (PostgreSQL): fewer than requests under load
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        # Requests waiting for a PostgreSQL poll that starts after they arrived, and the task that
        # runs those polls one after another.
        self._waiting: list[asyncio.Future[None]] = []
        self._poller: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._polled_at = time.monotonic()
        self._failing = False  # connecting has failed since the feed was last up
        self.read_at: float | None = None  # time.monotonic() of the last successful read of the log (the metrics' lag)

    async def start(self) -> None:
        if self.backend == "sqlite":
            path = make_url(self.url).database if "://" in self.url else self.url
            if not path or path == ":memory:":
                return  # nothing shared to follow: no cache
            self._sqlite = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._sqlite.execute("PRAGMA query_only=1")
            self.last_seq = self._sqlite.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
            self.usable = True
            self.read_at = time.monotonic()
        elif self.backend in ("postgresql", "postgres"):
            await self._connect_pg()

    async def _connect_pg(self) -> None:
        import asyncpg

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            self._pg = await asyncpg.connect(dsn, timeout=10)
            self.last_seq = await self._pg.fetchval("SELECT coalesce(max(seq), 0) FROM change_log")
            self.caches.clear()
            self.usable = True
            self.read_at = time.monotonic()
            if self._failing:
                self._failing = False
                log.warning("change feed: reading the change log on PostgreSQL again; caches are on")
        except Exception as exc:
            # Every request retries while the database is down: say it once, not per request.
            if not self._failing:
                self._failing = True
                log.warning(
                    "change feed: cannot read the change log on PostgreSQL (%s: %s); caches are off",
                    type(exc).__name__,
                    exc,
                    exc_info=classify(exc) is None,  # a traceback only for what is not an outage
                )
            self.usable = False

    def _lost(self) -> None:
        if self.usable:
            log.warning("change feed: PostgreSQL connection lost; caches are off until it reconnects")
        self.usable = False
        self.caches.clear()

    def _apply(self, rows: Iterable[tuple[int, str, str]]) -> None:
        for seq, kind, key in rows:
            self.caches.evict(kind, key)
            self.last_seq = max(self.last_seq, seq)

    async def poll(self) -> None:
        """Bring the caches up to date with every change committed before this call (once per
        request, see ``begin_request``). Afterwards ``usable`` says whether the caches may be used."""
        polled = _polled_in_request.get()
        if polled is not None:
            if id(self) in polled:
                return
            polled.add(id(self))
        now = time.monotonic()
        if now - self._polled_at > STALE_AFTER_SECONDS:
            self.caches.clear()
        self._polled_at = now
        if self._sqlite is not None:
            rows = self._sqlite.execute(SQLITE_POLL, (self.last_seq,)).fetchall()
            if rows:
                self._apply(rows)
            self.read_at = now
            return
        if self._pg is None:
            return
        if not self.usable:
            await self._reconnect()
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll_pg())
        await waiter

    async def _poll_pg(self) -> None:
        """Runs polls until nobody waits; each serves the requests that were waiting when it
        started (those arriving during it wait for the next one, which starts after them)."""
        while self._waiting:
            batch, self._waiting = self._waiting, []
            if self.usable:
                try:
                    self.polls += 1
                    rows = await self._pg.fetch(PG_POLL, self.last_seq, timeout=PG_TIMEOUT_SECONDS)
                    self._apply((r["seq"], r["kind"], r["key"]) for r in rows)
                    self.read_at = time.monotonic()
                except Exception:
                    log.debug("change feed: poll failed", exc_info=True)
                    self._lost()
            for waiter in batch:
                if not waiter.done():
                    waiter.set_result(None)

    async def _reconnect(self) -> None:
        async with self._lock:
            if self.usable:
                return
            try:
                if self._pg is not None and not self._pg.is_closed():
                    self._pg.terminate()
            except Exception:
                log.debug("change feed: closing the lost connection failed", exc_info=True)
            await self._connect_pg()

    async def stop(self) -> None:
        self.usable = False
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None and not self._pg.is_closed():
            await self._pg.close()
