"""Group commit for the visitor grant: many concurrent anonymous token requests share one
transaction (one fsync) instead of paying one each. A request is answered only after the
transaction that holds its rows has committed, so nothing acknowledged can be lost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert

from .database import Database
from .schema import grants, refresh_tokens

MAX_BATCH = 256


@dataclass
class _Pending:
    grant: dict[str, Any]
    refresh: dict[str, Any]
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class GrantWriter:
    def __init__(self, db: Database):
        self.db = db
        self._queue: list[_Pending] = []
        self._flushing = False

    async def add(self, grant_row: dict[str, Any], refresh_row: dict[str, Any]) -> None:
        pending = _Pending(grant_row, refresh_row)
        self._queue.append(pending)
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush_loop())
        await pending.done

    async def _flush_loop(self) -> None:
        try:
            # Let the requests that are already running join this batch.
            await asyncio.sleep(0)
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    async with self.db.transaction() as conn:
                        await conn.execute(insert(grants), [p.grant for p in batch])
                        await conn.execute(insert(refresh_tokens), [p.refresh for p in batch])
                except Exception as exc:  # noqa: BLE001 - every waiter gets the failure
                    for p in batch:
                        if not p.done.done():
                            p.done.set_exception(exc)
                else:
                    for p in batch:
                        if not p.done.done():
                            p.done.set_result(None)
        finally:
            self._flushing = False
            if self._queue:  # arrived after the loop's last look
                self._flushing = True
                asyncio.get_running_loop().create_task(self._flush_loop())
