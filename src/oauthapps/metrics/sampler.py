"""Every few seconds each process copies what it counts or knows on its own into the metrics:
the requests and token outcomes added up since the last time (instruments.py), cache lookups
(plain integers on the caches, cheaper than a metric per lookup), cache sizes, its database pool,
its readiness (database, migrations, change feed: store/readiness.py) and the outbox's depth. A
scrape served by a worker samples that worker first; the shutdown flushes the counts last."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from ..store import outbox
from ..store.caches import Bounded
from ..store.database import Database
from ..store.readiness import MigrationState, ReadinessProbe
from .instruments import HttpMetrics, TokenMetrics, instruments

log = logging.getLogger("oauthapps.metrics")

OUTBOX_TIMEOUT_SECONDS = 2.0


class Sampler:
    def __init__(
        self,
        db: Database,
        caches: Mapping[str, Bounded[Any, Any]],
        readiness: ReadinessProbe,
        every_seconds: float,
        recorders: tuple[HttpMetrics | TokenMetrics, ...] = (),
    ):
        self.db = db
        self.recorders = recorders
        self.every_seconds = every_seconds
        self.caches = caches
        self.readiness = readiness
        self._seen: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metrics-sampler")

    def flush(self) -> None:
        for recorder in self.recorders:
            recorder.flush()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.flush()  # the last requests' counts

    async def _run(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception:  # a metric must never stop the server; said once per failure
                log.warning("metrics: sampling failed", exc_info=True)
            await asyncio.sleep(self.every_seconds)

    async def sample(self) -> None:
        m = instruments()
        self.flush()
        self._caches()
        self._pool()
        state = await self.readiness.check()
        m.database_up.set(1 if state.database else 0)
        m.migrations_current.set(0 if state.migrations in (MigrationState.BEHIND, MigrationState.UNKNOWN) else 1)
        feed = self.db.feed
        m.change_feed_up.set(1 if state.change_feed else 0)
        m.change_feed_lag.set(0.0 if feed is None or feed.read_at is None else max(0.0, time.monotonic() - feed.read_at))
        if state.database:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(OUTBOX_TIMEOUT_SECONDS), self.db.read() as conn:
                    m.mail_outbox_pending.set(await outbox.depth(conn))

    def _caches(self) -> None:
        m = instruments()
        for name, cache in self.caches.items():
            for result, total in (("hit", cache.hits), ("miss", cache.misses)):
                before = self._seen.get((name, result), 0)
                if total > before:
                    m.cache_lookups.labels(name, result).inc(total - before)
                    self._seen[(name, result)] = total
            m.cache_entries.labels(name).set(len(cache))
            m.cache_bytes.labels(name).set(cache.bytes)

    def _pool(self) -> None:
        m = instruments()
        pool = self.db.engine.pool
        checked_out = getattr(pool, "checkedout", None)
        size = getattr(pool, "size", None)
        if callable(checked_out) and callable(size):
            m.db_pool_in_use.set(checked_out())
            m.db_pool_size.set(size())
