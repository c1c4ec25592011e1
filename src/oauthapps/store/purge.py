"""Deleting what has expired, in bounded batches: refresh tokens and then the grants left with none,
one-time tokens (authorization codes, login tickets, reset links), member and owner sessions, email
verifications under way and attempt-limit counters.

Each batch is a transaction of its own that deletes at most ``batch_size`` rows found through an
index, so a purge never holds SQLite's write lock for long and never builds a huge transaction.
A run does at most ``max_batches`` batches per kind; what is left waits for the next run.

Only one process purges a database at a time (a PostgreSQL advisory lock, or a lock file beside a
SQLite database); the others skip their turn. Two purges at once would still do no harm: every
delete is by key, of rows that nothing will make live again.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, exists, select, text
from sqlalchemy.engine import make_url

from . import attempt_limits
from .database import Database, async_url
from .schema import email_verifications, grants, member_sessions, one_time_tokens, owner_sessions, refresh_tokens

BATCH_SIZE = 500
MAX_BATCHES = 200  # per kind and run: at most 100,000 rows of each
ONE_TIME_KEEP = timedelta(hours=1)  # a used code is kept a while, so that its reuse is still recognised
PG_LOCK_KEY = 0x6F61_7075_7267_6501  # pg_try_advisory_lock key of the purge ("oapurge\x01")


@dataclass(frozen=True)
class PurgeCounts:
    refresh_tokens: int = 0
    grants: int = 0
    one_time_tokens: int = 0
    member_sessions: int = 0
    owner_sessions: int = 0
    email_verifications: int = 0
    attempt_limits: int = 0

    def to_wire(self) -> dict[str, int]:
        return {
            "refreshTokens": self.refresh_tokens,
            "grants": self.grants,
            "oneTimeTokens": self.one_time_tokens,
            "memberSessions": self.member_sessions,
            "ownerSessions": self.owner_sessions,
            "emailVerifications": self.email_verifications,
            "attemptLimits": self.attempt_limits,
        }


async def _refresh_tokens_batch(db: Database, before: datetime, batch_size: int) -> tuple[int, int]:
    """Delete up to ``batch_size`` refresh tokens that expired before ``before``, then those of
    their grants that have no refresh token left. Returns (tokens, grants) deleted."""
    async with db.transaction() as conn:
        picked = select(refresh_tokens.c.token_hash).where(refresh_tokens.c.expires_at < before).limit(batch_size)
        deleted = await conn.execute(
            delete(refresh_tokens).where(refresh_tokens.c.token_hash.in_(picked.scalar_subquery())).returning(refresh_tokens.c.grant_id)
        )
        grant_ids = [row.grant_id for row in deleted.all()]
        if not grant_ids:
            return 0, 0
        orphans = await conn.execute(
            delete(grants).where(grants.c.id.in_(set(grant_ids)), ~exists().where(refresh_tokens.c.grant_id == grants.c.id))
        )
        return len(grant_ids), int(orphans.rowcount)


async def _expired_batch(db: Database, table: Table, key: Any, before: datetime, batch_size: int) -> int:
    """Delete up to ``batch_size`` rows of ``table`` (by ``key``) whose expires_at is before ``before``."""
    async with db.transaction() as conn:
        picked = select(key).where(table.c.expires_at < before).limit(batch_size)
        result = await conn.execute(delete(table).where(key.in_(picked.scalar_subquery())))
        return int(result.rowcount)


async def _attempt_limits_batch(db: Database, at: datetime, batch_size: int) -> int:
    async with db.transaction() as conn:
        return await attempt_limits.purge_expired(conn, at, batch_size)


async def purge_expired(
    db: Database,
    at: datetime,
    *,
    access_token_lifetime: timedelta,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> PurgeCounts:
    """Delete, as of ``at``, every row that can no longer serve anyone. A refresh token goes one
    access-token lifetime after it expired (an access token minted from it at its last moment
    names its grant until then); its grant goes with its last refresh token."""

    async def drain(batch: Any) -> int:
        total = 0
        for _ in range(max_batches):
            deleted = await batch()
            total += deleted
            if deleted < batch_size:
                break
            await asyncio.sleep(0)  # let requests in between batches
        return total

    refresh_total = grants_total = 0
    for _ in range(max_batches):
        tokens, orphans = await _refresh_tokens_batch(db, at - access_token_lifetime, batch_size)
        refresh_total, grants_total = refresh_total + tokens, grants_total + orphans
        if tokens < batch_size:
            break
        await asyncio.sleep(0)

    def expired(table: Table, key: Any, before: datetime) -> Awaitable[int]:
        return drain(lambda: _expired_batch(db, table, key, before, batch_size))

    return PurgeCounts(
        refresh_tokens=refresh_total,
        grants=grants_total,
        one_time_tokens=await expired(one_time_tokens, one_time_tokens.c.token_hash, at - ONE_TIME_KEEP),
        member_sessions=await expired(member_sessions, member_sessions.c.token_hash, at),
        owner_sessions=await expired(owner_sessions, owner_sessions.c.token_hash, at),
        email_verifications=await expired(email_verifications, email_verifications.c.state_hash, at),
        attempt_limits=await drain(lambda: _attempt_limits_batch(db, at, batch_size)),
    )


@asynccontextmanager
async def exclusive(db: Database) -> AsyncIterator[bool]:
    """True inside when this process is the one purging the database now; False when another is."""
    full = async_url(db.url)
    if full.startswith("sqlite"):
        database = make_url(full).database
        if not database or database == ":memory:":
            yield True
            return
        lock = os.open(f"{database}.purge-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(lock)  # and with it the lock
        return
    async with db.engine.connect() as conn:
        got = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY})).scalar())
        await conn.commit()
        try:
            yield got
        finally:
            if got:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                await conn.commit()
