"""Is this process ready to serve (``GET /health/ready``)? The database answers, its schema is at
this version's newest migration, and where there is a change feed to follow (PostgreSQL: a
connection of its own, store/change_feed.py) it is up. A load balancer polls this every second or
so on every node: the answer is kept for ``TTL_SECONDS``, and concurrent checks share one."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from alembic.script import ScriptDirectory
from sqlalchemy import text

from .database import Database
from .migrate import alembic_config

log = logging.getLogger("oauthapps.store")

TTL_SECONDS = 1.0
TIMEOUT_SECONDS = 2.0  # a database that does not answer within this long is not ready


@dataclass(frozen=True)
class KnownMigrations:
    """This version's migrations, read from the packaged scripts once: the newest, and all."""

    heads: frozenset[str]
    known: frozenset[str]

    @classmethod
    def of(cls, url: str) -> KnownMigrations:
        script = ScriptDirectory.from_config(alembic_config(url))
        return cls(frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions()))

    def state(self, applied: frozenset[str]) -> MigrationState:
        if applied == self.heads:
            return MigrationState.CURRENT
        if applied and not applied & self.known:
            # A newer version's node has migrated (a rolling upgrade): migrations only add, so
            # this node goes on serving until it is replaced.
            return MigrationState.AHEAD
        return MigrationState.BEHIND


class MigrationState(StrEnum):
    CURRENT = "current"
    AHEAD = "ahead"  # newer than this version knows: still ready
    BEHIND = "outdated"  # older than this version needs (migrations not run): not ready
    UNKNOWN = "unknown"  # the database does not answer


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: MigrationState
    change_feed: bool  # True where there is no feed to follow

    @property
    def ready(self) -> bool:
        return self.database and self.migrations in (MigrationState.CURRENT, MigrationState.AHEAD) and self.change_feed

    def to_wire(self) -> dict[str, object]:
        """Names and states only: nothing about tenants, versions or addresses."""
        return {
            "status": "ready" if self.ready else "unavailable",
            "checks": {
                "database": "ok" if self.database else "failing",
                "migrations": self.migrations.value,
                "changeFeed": "ok" if self.change_feed else "down",
            },
        }


class ReadinessProbe:
    def __init__(self, db: Database, migrations: KnownMigrations, ttl: float = TTL_SECONDS):
        self.db = db
        self.migrations = migrations
        self.ttl = ttl
        self._last: Readiness | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def check(self) -> Readiness:
        if self._last is not None and time.monotonic() - self._checked_at < self.ttl:
            return self._last
        async with self._lock:
            if self._last is not None and time.monotonic() - self._checked_at < self.ttl:
                return self._last  # another check finished while this one waited
            result = await self._check()
            if self._last is not None and result.ready != self._last.ready:
                log.warning("readiness: %s (%s)", "ready" if result.ready else "not ready", result.to_wire()["checks"])
            self._last, self._checked_at = result, time.monotonic()
            return result

    async def _check(self) -> Readiness:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS), self.db.read() as conn:
                versions = frozenset((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        except Exception as exc:
            log.debug("readiness: the database does not answer (%s)", type(exc).__name__)
            return Readiness(database=False, migrations=MigrationState.UNKNOWN, change_feed=self._feed_up())
        feed = self.db.feed
        if feed is not None and not feed.usable:
            try:  # a feed that lost its connection reconnects on a poll: try now rather than wait for a request
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    await feed.poll()
            except Exception as exc:
                log.debug("readiness: the change feed did not reconnect (%s)", type(exc).__name__)
        return Readiness(database=True, migrations=self.migrations.state(versions), change_feed=self._feed_up())

    def _feed_up(self) -> bool:
        feed = self.db.feed
        return feed is None or feed.backend == "sqlite" or feed.usable
