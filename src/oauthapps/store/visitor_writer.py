"""Group commit for the visitor grant: many concurrent anonymous token requests share one
transaction (one fsync) instead of paying one each. A request is answered only after the
transaction that holds its rows has committed, so nothing acknowledged can be lost: if the
transaction fails (or its outcome is unknown), every request in it fails.

The rows go to the database through store/visitor_sinks.py (the driver, on a connection of its own)."""

from __future__ import annotations

import asyncio

from .database import Database
from .visitor_sinks import Sink, VisitorRows, open_sink

__all__ = ["VisitorRows", "VisitorWriter"]

MAX_BATCH = 256


class VisitorWriter:
    def __init__(self, db: Database):
        self.db = db
        self.sink: Sink = open_sink(db.engine)
        self._rows: list[VisitorRows] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._flushing = False
        # The running flush, held here: the event loop keeps only a weak reference to a task.
        self._flusher: asyncio.Task[None] | None = None

    async def add(self, rows: VisitorRows) -> None:
        """Return once ``rows`` are committed; raise if their transaction failed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._rows.append(rows)
        self._waiters.append(done)
        if not self._flushing:
            self._flushing = True
            self._flusher = loop.create_task(self._flush_loop())
        await done

    async def _flush_loop(self) -> None:
        try:
            # Let the requests that are already running join this batch.
            await asyncio.sleep(0)
            while self._rows:
                rows, self._rows = self._rows[:MAX_BATCH], self._rows[MAX_BATCH:]
                waiters, self._waiters = self._waiters[:MAX_BATCH], self._waiters[MAX_BATCH:]
                try:
                    await self.sink.write(rows)
                except BaseException as exc:  # every waiter fails, whatever the failure
                    for done in waiters:
                        if not done.done():
                            if isinstance(exc, Exception):
                                done.set_exception(exc)
                            else:
                                done.cancel()
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for done in waiters:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._flushing = False
            if self._rows:  # arrived after the loop's last look
                self._flushing = True
                self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())
