"""Stored answers of writes sent with an Idempotency-Key (domain/idempotency.py), read and written
inside the write's own transaction (services/idempotency.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .schema import idempotency_keys as keys

PURGE_ONE_IN = 100  # a write that adds a key removes every expired one, one time in this many


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    response: dict[str, Any]


def _row(project_id: str, caller: str, key: str) -> Any:
    return (keys.c.project_id == project_id) & (keys.c.caller == caller) & (keys.c.idempotency_key == key)


async def find(conn: AsyncConnection, project_id: str, caller: str, key: str, now: datetime) -> StoredAnswer | None:
    """The answer stored with this key, unless it has expired."""
    row = (
        await conn.execute(select(keys.c.fingerprint, keys.c.response).where(_row(project_id, caller, key), keys.c.expires_at > now))
    ).first()
    return StoredAnswer(row.fingerprint, dict(row.response)) if row else None


async def save(
    conn: AsyncConnection,
    project_id: str,
    caller: str,
    key: str,
    fingerprint: str,
    response: dict[str, Any],
    now: datetime,
    expires_at: datetime,
) -> bool:
    """Store the answer with the key; False if a concurrent transaction stored one first (on
    PostgreSQL this waits for that transaction, then finds its row)."""
    await conn.execute(delete(keys).where(_row(project_id, caller, key), keys.c.expires_at <= now))
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(keys).values(
                    project_id=project_id,
                    caller=caller,
                    idempotency_key=key,
                    fingerprint=fingerprint,
                    response=response,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
    except IntegrityError:
        return False
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        await conn.execute(delete(keys).where(keys.c.expires_at <= now))
    return True
