"""What a write records so that every process's caches forget the rows it changed: one
``change_log`` row per change, in the writer's own transaction (store/change_feed.py reads them
back; store/caches.py evicts the writer's own at commit)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from .schema import change_log

CHANNEL = "oauthapps_changes"  # PostgreSQL NOTIFY channel
PENDING = "oauthapps_pending_changes"  # conn.info: this transaction's changes, evicted at commit
NOTIFY_TOKEN = "oauthapps_notify_token"  # conn.info: this transaction's notification payload
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
    await conn.execute(insert(change_log).values(kind=kind, key=key, at=at))
    if conn.dialect.name == "postgresql" and NOTIFY_TOKEN not in conn.info:
        # One notification per transaction, with a payload of its own so that the writer can
        # wait for its delivery (Database.transaction, ChangeFeed.expect).
        token = ids.random_hex(8)
        conn.info[NOTIFY_TOKEN] = token
        await conn.execute(text("SELECT pg_notify(:channel, :token)"), {"channel": CHANNEL, "token": token})
    conn.info.setdefault(PENDING, []).append((kind, key))
    if int(at.timestamp() * 1000) % 100 == 0:  # now and then, forget changes older than a day
        await conn.execute(delete(change_log).where(change_log.c.at < at - KEEP_LOG))
