"""Purging expired rows (store/purge.py): at once for the ``oauthapps purge`` command, and every
``OAUTHAPPS_PURGE_INTERVAL_SECONDS`` (with jitter) in each server process, one process at a time."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from .. import clock
from ..config import ACCESS_TOKEN_SECONDS
from ..store import purge
from ..store.database import Database
from ..store.purge import PurgeCounts

log = logging.getLogger("oauthapps.purge")

# Access tokens may be configured shorter, never longer: keep grants for the longest lifetime.
ACCESS_TOKEN_LIFETIME = timedelta(seconds=ACCESS_TOKEN_SECONDS)


async def purge_now(db: Database) -> PurgeCounts | None:
    """Purge what has expired; None when another process is purging this database right now."""
    async with purge.exclusive(db) as ours:
        if not ours:
            return None
        return await purge.purge_expired(db, clock.now(), access_token_lifetime=ACCESS_TOKEN_LIFETIME)


async def purge_periodically(db: Database, interval_seconds: int) -> None:
    """Purge about every ``interval_seconds`` until cancelled. The waits are jittered so that the
    workers and nodes started together do not all try at the same moment; the first comes early
    (within one interval), so that servers restarted often still purge."""
    jitter = random.SystemRandom()
    delay = interval_seconds * jitter.uniform(0.1, 1.0)
    while True:
        await asyncio.sleep(delay)
        try:
            counts = await purge_now(db)
        except Exception:
            log.warning("purge of expired rows failed; it is tried again later", exc_info=True)
        else:
            if counts is not None and any(counts.to_wire().values()):
                log.info("purged expired rows: %s", counts.to_wire())
        delay = interval_seconds * jitter.uniform(0.75, 1.25)
