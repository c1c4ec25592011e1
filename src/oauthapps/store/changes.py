"""Process-local caches of hot rows (OAuth apps as clients, grants, refresh tokens, members, API
keys, installations), kept correct across workers and nodes by a change log written in the same
transaction as each change.

- A write that affects a cached row calls ``record_change`` inside its transaction. The row in
  ``change_log`` commits with it; the writing process also evicts locally when it commits.
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
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from .failures import classify
from .schema import change_log

log = logging.getLogger("oauthapps.cache")

CHANNEL = "oauthapps_changes"
APP = "app"  # an OAuth app changed or was deleted (its grants go with it)
GRANT = "grant"  # a grant was revoked
PROJECT_KEYS = "keys"  # a project's API keys changed
INSTALLATION = "inst"  # an installation was removed
MEMBER = "member"  # a member changed or was deleted (a deletion takes their grants with it)
PENDING = "oauthapps_pending_changes"
NOTIFY_TOKEN = "oauthapps_notify_token"
DELIVERY_TIMEOUT_SECONDS = 1.0
KEEP_LOG = timedelta(days=1)
STALE_AFTER_SECONDS = 12 * 3600  # a reader idle this long flushes rather than trust a purged log

# The feeds polled during the current request (None outside a request: every poll is done).
# One poll per request is enough: the request then sees every change committed before it began
# (plus its own, evicted at commit), as if it had run at the moment of that poll.
_polled_in_request: ContextVar[set[int] | None] = ContextVar("oauthapps_polled_in_request", default=None)


def begin_request() -> None:
    """Called at the start of each HTTP request, in its own context (each request is a task)."""
    _polled_in_request.set(set())


K = TypeVar("K")
V = TypeVar("V")


async def record_change(conn: AsyncConnection, kind: str, key: str) -> None:
    at = datetime.now(UTC)
    await conn.execute(insert(change_log).values(kind=kind, key=key, at=at))
    if conn.dialect.name == "postgresql" and NOTIFY_TOKEN not in conn.info:
        # One notification per transaction, with a payload of its own so that the writer can
        # wait for its delivery (Database.transaction, ChangeFeed.expect).
        token = secrets.token_hex(8)
        conn.info[NOTIFY_TOKEN] = token
        await conn.execute(text("SELECT pg_notify(:channel, :token)"), {"channel": CHANNEL, "token": token})
    conn.info.setdefault(PENDING, []).append((kind, key))
    if int(at.timestamp() * 1000) % 100 == 0:  # now and then, forget changes older than a day
        await conn.execute(delete(change_log).where(change_log.c.at < at - KEEP_LOG))


class Bounded(Generic[K, V]):
    """A dict that forgets its oldest entries past ``limit`` (a memory bound, not a policy)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.data: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self.data.get(key)

    def put(self, key: K, value: V) -> None:
        self.data[key] = value
        if len(self.data) > self.limit:
            for old in list(self.data)[: self.limit // 10 or 1]:
                self.data.pop(old, None)

    def pop(self, key: K) -> V | None:
        return self.data.pop(key, None)

    def clear(self) -> None:
        self.data.clear()


class Caches:
    def __init__(self, limit: int = 100_000):
        self.clients: Bounded[str, Any] = Bounded(limit)
        self.grants: Bounded[str, Any] = Bounded(limit)
        # Refresh token hash -> its row (grant id, expiry, rotation). Never evicted by a change: the
        # grant it names is looked up in ``grants`` (evicted on revocation and deletion) every
        # time, the expiry never changes, and a stale "not rotated" loses to the atomic rotation.
        self.refresh_tokens: Bounded[str, Any] = Bounded(limit)
        self.members: Bounded[str, Any] = Bounded(limit)
        self.api_keys: Bounded[str, Any] = Bounded(limit)
        self.installations: Bounded[str, Any] = Bounded(limit)
        # Bumped by every eviction, so a fill that raced with one is dropped (see fill()).
        self.generation = 0

    def evict(self, kind: str, key: str) -> None:
        self.generation += 1
        if kind == APP:
            self.clients.pop(key)
            # The app's grants were deleted (cascade) or belong to a changed client.
            for grant_id, grant in list(self.grants.data.items()):
                if grant.oauth_app_id == key:
                    self.grants.pop(grant_id)
        elif kind == GRANT:
            self.grants.pop(key)
        elif kind == PROJECT_KEYS:
            for key_hash, api_key in list(self.api_keys.data.items()):
                if api_key.project_id == key:
                    self.api_keys.pop(key_hash)
        elif kind == INSTALLATION:
            self.installations.pop(key)
        elif kind == MEMBER:
            self.members.pop(key)
            # The member's grants were deleted with them (cascade).
            for grant_id, grant in list(self.grants.data.items()):
                if grant.member_id == key:
                    self.grants.pop(grant_id)
        else:
            self.clear()

    def evict_all(self, changes: Iterable[tuple[str, str]]) -> None:
        for kind, key in changes:
            self.evict(kind, key)

    def clear(self) -> None:
        self.generation += 1
        for cache in (self.clients, self.grants, self.refresh_tokens, self.members, self.api_keys, self.installations):
            cache.clear()


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
        self._failing = False  # reconnecting has failed since the listener was last up

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
            if self._failing:
                self._failing = False
                log.warning("change feed: listening on PostgreSQL again; caches are on")
        except Exception as exc:
            # Every request retries while the database is down: say it once, not per request.
            if not self._failing:
                self._failing = True
                log.warning(
                    "change feed: cannot listen on PostgreSQL (%s: %s); caches are off",
                    type(exc).__name__,
                    exc,
                    exc_info=classify(exc) is None,  # a traceback only for what is not an outage
                )
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
                pass
            await self._connect_pg()

    async def stop(self) -> None:
        self.usable = False
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None and not self._pg.is_closed():
            await self._pg.close()


def install_local_eviction(sync_engine: Any, caches_of: Callable[[], Caches | None]) -> None:
    """Evict this process's own changes as soon as they commit (no wait for the feed)."""
    from sqlalchemy import event

    # A connection lost mid-transaction (a database restart) is invalidated: its ``info`` cannot
    # be read (SQLAlchemy raises PendingRollbackError, which would replace the real error in the
    # log), and needs no cleaning: the pool clears it before the connection is used again.

    @event.listens_for(sync_engine, "commit")
    def on_commit(conn: Any) -> None:
        if conn.invalidated:
            return
        conn.info.pop(NOTIFY_TOKEN, None)  # one notification per transaction, not per connection
        pending = conn.info.pop(PENDING, None)
        caches = caches_of()
        if pending and caches is not None:
            caches.evict_all(pending)

    @event.listens_for(sync_engine, "rollback")
    def on_rollback(conn: Any) -> None:
        if conn.invalidated:
            return
        conn.info.pop(NOTIFY_TOKEN, None)
        conn.info.pop(PENDING, None)
