"""Applies other processes' changes (store/change_log.py) to this process's caches
(store/caches.py), so that a cached row is never served after a change committed elsewhere.

- SQLite: every request first reads ``change_log`` rows newer than the last one seen (one indexed
  query on a raw connection, a few microseconds), so a change made by any process is seen by the
  very next request everywhere. (Reading the WAL index header from the ``-shm`` file instead was
  tried and dropped: closing any descriptor of that file releases the process's POSIX locks on it,
  SQLite's own included.)
- PostgreSQL: the change also sends ``NOTIFY``; each process LISTENs and reads the new rows when
  notified. Between commit and delivery (well under a millisecond on one host) another process
  can still answer from its cache; while the listener is down no cache is used at all.
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
from .change_log import CHANNEL

log = logging.getLogger("oauthapps.cache")

DELIVERY_TIMEOUT_SECONDS = 1.0
STALE_AFTER_SECONDS = 12 * 3600  # a reader idle this long flushes rather than trust a purged log

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
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._dirty = False
        self._expected: dict[str, asyncio.Future[None]] = {}
        self._lock = asyncio.Lock()
        self._polled_at = time.monotonic()

    async def start(self) -> None:
        if self.backend == "sqlite":
            path = make_url(self.url).database if "://" in self.url else self.url
            if not path or path == ":memory:":
                return  # nothing shared to follow: no cache
            self._sqlite = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._sqlite.execute("PRAGMA query_only=1")
            self.last_seq = self._sqlite.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
            self.usable = True
        elif self.backend in ("postgresql", "postgres"):
            await self._connect_pg()

    async def _connect_pg(self) -> None:
        import asyncpg

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            self._pg = await asyncpg.connect(dsn, timeout=10)
            await self._pg.add_listener(CHANNEL, self._notified)
            self._pg.add_termination_listener(self._lost)
            self.last_seq = await self._pg.fetchval("SELECT coalesce(max(seq), 0) FROM change_log")
            self.caches.clear()
            self.usable = True
        except Exception:
            log.warning("change feed: cannot listen on PostgreSQL; caches are off", exc_info=True)
            self.usable = False

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._dirty = True
        waiter = self._expected.pop(payload, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def expect(self, token: str) -> asyncio.Future[None] | None:
        """A future that resolves when this process's listener receives the notification with
        ``token``; registered before the commit that sends it, so it cannot be missed."""
        if self._pg is None or not self.usable:
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._expected[token] = waiter
        return waiter

    async def delivered(self, token: str, waiter: asyncio.Future[None]) -> None:
        """Wait (bounded) until our own listener has the notification of a change we committed.
        PostgreSQL signals every listening backend at that commit; answering the writer only after
        our own copy arrived makes it all but certain that every other process's listener has its
        copy in hand before the writer's client can reach that process."""
        try:
            await asyncio.wait_for(asyncio.shield(waiter), DELIVERY_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("change feed: no notification %.0f ms after a commit", DELIVERY_TIMEOUT_SECONDS * 1000)
        finally:
            self._expected.pop(token, None)

    def forget(self, token: str) -> None:
        self._expected.pop(token, None)

    def _lost(self, *_args: Any) -> None:
        log.warning("change feed: PostgreSQL listener lost; caches are off until it reconnects")
        self.usable = False
        self.caches.clear()

    def _apply(self, rows: Iterable[tuple[int, str, str]]) -> None:
        for seq, kind, key in rows:
            self.caches.evict(kind, key)
            self.last_seq = max(self.last_seq, seq)

    async def poll(self) -> None:
        """Bring the caches up to date with every change committed so far (SQLite) or announced
        so far (PostgreSQL): once per request (see ``begin_request``)."""
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
            rows = self._sqlite.execute("SELECT seq, kind, key FROM change_log WHERE seq > ? ORDER BY seq", (self.last_seq,)).fetchall()
            if rows:
                self._apply(rows)
            return
        if self._pg is None:
            return
        if not self.usable:
            await self._reconnect()
            return
        if not self._dirty:
            # A NOTIFY that reached our socket before this request did is handled on the next
            # loop turns (read, then listener callback): let them run before trusting the cache.
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        if self._dirty:
            async with self._lock:
                if self._dirty:
                    self._dirty = False
                    rows = await self._pg.fetch("SELECT seq, kind, key FROM change_log WHERE seq > $1 ORDER BY seq", self.last_seq)
                    self._apply((r["seq"], r["kind"], r["key"]) for r in rows)

    async def _reconnect(self) -> None:
        async with self._lock:
            if self.usable:
                return
            try:
                if self._pg is not None and not self._pg.is_closed():
                    await self._pg.close()
            except Exception:
                log.debug("change feed: closing the lost listener failed", exc_info=True)
            await self._connect_pg()

    async def stop(self) -> None:
        self.usable = False
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None and not self._pg.is_closed():
            await self._pg.close()
