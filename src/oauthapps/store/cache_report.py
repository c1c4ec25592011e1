"""Every few minutes one log line per process with each cache's entries and estimated bytes
against its budget (store/caches.py), so that an operator can see what the caches hold and size
OAUTHAPPS_CACHE_BYTES, and the tests can check the bounds on a running server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from .caches import Bounded

log = logging.getLogger("oauthapps.cache")


def report_line(caches: Mapping[str, Bounded[Any, Any]]) -> str:
    """``caches: clients entries=3/10000 bytes=1800/8388608; grants ...``"""
    parts = [f"{name} entries={len(c)}/{c.limit} bytes={c.bytes}/{c.max_bytes}" for name, c in caches.items()]
    return "caches: " + "; ".join(parts)


class CacheReporter:
    def __init__(self, caches: Mapping[str, Bounded[Any, Any]], every_seconds: int):
        self.caches = caches
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.every_seconds > 0 and self.caches:
            self._task = asyncio.create_task(self._run(), name="cache-report")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every_seconds)
            log.info("%s", report_line(self.caches))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
