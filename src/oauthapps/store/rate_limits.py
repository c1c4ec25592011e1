"""Fixed-window counters in the database, so every worker and node shares them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import rate_limits


async def count(conn: AsyncConnection, key: str, window: timedelta, at: datetime) -> int:
    row = (await conn.execute(select(rate_limits).where(rate_limits.c.key == key))).first()
    if row is None or row.window_start <= at - window:
        return 0
    return int(row._mapping["count"])  # row.count would be the tuple method


async def hit(conn: AsyncConnection, key: str, window: timedelta, at: datetime) -> int:
    """Count one more event in the current window; returns the new count."""
    row = (await conn.execute(select(rate_limits).where(rate_limits.c.key == key))).first()
    if row is None or row.window_start <= at - window:
        try:
            async with conn.begin_nested():
                await conn.execute(delete(rate_limits).where(rate_limits.c.key == key))
                await conn.execute(rate_limits.insert().values(key=key, window_start=at, count=1))
            return 1
        except IntegrityError:
            pass  # another request opened the window first: count into it
    await conn.execute(rate_limits.update().where(rate_limits.c.key == key).values(count=rate_limits.c.count + 1))
    return await count(conn, key, window, at)


async def clear(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(rate_limits).where(rate_limits.c.key == key))
