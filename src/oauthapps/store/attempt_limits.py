"""Attempt counters (domain/attempt_limits.py) in the database, so every worker and node shares
them. Each key's row is locked while its rule decides: ``SELECT ... FOR UPDATE`` on PostgreSQL,
and on SQLite the write lock every write transaction takes at ``BEGIN IMMEDIATE``. So two parallel
attempts never both take the last place: the second waits, then sees the first one counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.attempt_limits import Counter, Rule, expires_at, release, reserve
from .schema import attempt_limits

# A row with no attempts in it: inserted only so that there is a row to lock.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Guard:
    key: str
    rule: Rule


@dataclass(frozen=True)
class Reservation:
    """Attempts counted at ``at`` for these keys; ``release_all`` undoes them after a success."""

    guards: tuple[Guard, ...]
    at: datetime


@dataclass(frozen=True)
class Refusal:
    retry_after: timedelta


async def _lock(conn: AsyncConnection, key: str) -> Counter | None:
    insert: Any = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    empty = {"key": key, "count": 0, "since": _EPOCH, "retry_at": None, "expires_at": _EPOCH}
    await conn.execute(insert(attempt_limits).values(**empty).on_conflict_do_nothing(index_elements=["key"]))
    row = (await conn.execute(select(attempt_limits).where(attempt_limits.c.key == key).with_for_update())).one()._mapping
    return Counter(row["count"], row["since"], row["retry_at"]) if row["count"] else None


async def _store(conn: AsyncConnection, guard: Guard, counter: Counter | None) -> None:
    where = attempt_limits.c.key == guard.key
    if counter is None:
        await conn.execute(delete(attempt_limits).where(where))
        return
    values = {"count": counter.count, "since": counter.since, "retry_at": counter.retry_at, "expires_at": expires_at(guard.rule, counter)}
    await conn.execute(attempt_limits.update().where(where).values(**values))


def _in_lock_order(guards: Sequence[Guard]) -> tuple[Guard, ...]:
    """Every caller locks keys in the same order, so two never wait for each other."""
    return tuple(sorted(guards, key=lambda guard: guard.key))


async def reserve_all(conn: AsyncConnection, guards: Sequence[Guard], now: datetime) -> Reservation | Refusal:
    """Count one attempt for every key, or for none when any rule refuses (the longest wait)."""
    ordered = _in_lock_order(guards)
    verdicts = [reserve(guard.rule, await _lock(conn, guard.key), now) for guard in ordered]
    refused = [verdict.retry_after for verdict in verdicts if not verdict.allowed]
    if refused:
        return Refusal(max(refused))
    for guard, verdict in zip(ordered, verdicts, strict=True):
        await _store(conn, guard, verdict.counter)
    return Reservation(ordered, now)


async def release_all(conn: AsyncConnection, reservation: Reservation) -> None:
    for guard in reservation.guards:
        counter = await _lock(conn, guard.key)
        await _store(conn, guard, None if counter is None else release(guard.rule, counter, reservation.at))


async def purge_expired(conn: AsyncConnection, now: datetime) -> int:
    """Delete the rows that no longer limit anything; returns how many."""
    result = await conn.execute(delete(attempt_limits).where(attempt_limits.c.expires_at < now))
    return int(result.rowcount)
