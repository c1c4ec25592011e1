"""What a write records so that every process's caches forget the rows it changed: one
``change_log`` row per change, in the writer's own transaction (store/change_feed.py reads them
back; store/caches.py evicts the writer's own at commit)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock
from .schema import change_log

PENDING = "oauthapps_pending_changes"  # conn.info: this transaction's changes, evicted at commit
# PostgreSQL: the transaction-scoped advisory lock every change-recording transaction holds from
# its first change to its commit, so that change_log.seq order is commit order (a reader that has
# seen seq N has seen every change below it: store/change_feed.py). Any 64-bit constant of ours.
ORDER_LOCK = 0x6F61757468617070  # "oauthapp"
KEEP_LOG = timedelta(days=1)


class ChangeKind(StrEnum):
    """What changed; the key recorded with it names which one. The values are stored."""

    OAUTH_APP = "app"  # an OAuth app changed or was deleted (its grants go with it); key: its id
    GRANT = "grant"  # a grant was revoked; key: its id
    PROJECT_KEYS = "keys"  # a project's API keys changed; key: the project id
    INSTALLATION = "inst"  # an installation was removed; key: its id
    MEMBER = "member"  # a member changed or was deleted (a deletion takes their grants); key: their id


async def record_change(conn: AsyncConnection, kind: ChangeKind, key: str) -> None:
    """Call inside the transaction that makes the change, so the record commits with it."""
    at = clock.now()
    pending = conn.info.setdefault(PENDING, [])
    if conn.dialect.name == "postgresql" and not pending:
        # Taken before the sequence hands out this transaction's seq, released at its commit
        # (or rollback): concurrent writers get their seqs in the order they commit. SQLite
        # needs none, its writers take turns (BEGIN IMMEDIATE).
        await conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": ORDER_LOCK})
    await conn.execute(insert(change_log).values(kind=kind, key=key, at=at))
    pending.append((kind, key))
    if int(at.timestamp() * 1000) % 100 == 0:  # now and then, forget changes older than a day
        await conn.execute(delete(change_log).where(change_log.c.at < at - KEEP_LOG))
