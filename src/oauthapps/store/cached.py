"""Cached reads of the rows every token request and token check needs. Each first brings the
caches up to date with the change log, then answers from memory or reads and remembers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.oauth_app import OAuthApp
from . import grants, members, oauth_apps, tenancy
from .caches import Bounded
from .database import Database
from .grants import Grant, RefreshRecord, RefreshRow
from .members import MemberProfile
from .tenancy import ApiKey, Installation

T = TypeVar("T")


async def _cached(
    db: Database, pick: Callable[[Any], Bounded[str, Any]], key: str, load: Callable[[AsyncConnection], Awaitable[T | None]]
) -> T | None:
    caches, feed = db.caches, db.feed
    if caches is not None and feed is not None:
        await feed.poll()
    if caches is None or feed is None or not feed.usable:
        async with db.read() as conn:
            return await load(conn)
    store = pick(caches)
    hit = store.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    generation = caches.generation
    async with db.read() as conn:
        value = await load(conn)
    # Unknown keys are not remembered (no memory to spend on guesses); a fill that raced with
    # an eviction is dropped, so a change is never hidden by an older read.
    if value is not None and caches.generation == generation:
        store.put(key, value)
    return value


async def client(db: Database, client_id: str) -> OAuthApp | None:
    return await _cached(db, lambda c: c.clients, client_id, lambda conn: oauth_apps.get_app_any_project(conn, client_id))


async def grant(db: Database, grant_id: str) -> Grant | None:
    return await _cached(db, lambda c: c.grants, grant_id, lambda conn: grants.get_grant(conn, grant_id))


async def refresh_token(db: Database, token_hash: str) -> RefreshRecord | None:
    """The refresh token with its grant as of now: the token row may come from memory (it only
    ever changes by rotation, which is decided by an atomic write), the grant is the cached one,
    evicted when it is revoked or deleted with its app or member."""
    row: RefreshRow | None = await _cached(
        db, lambda c: c.refresh_tokens, token_hash, lambda conn: grants.get_refresh_row(conn, token_hash)
    )
    if row is None:
        return None
    found = await grant(db, row.grant_id)
    return RefreshRecord(found, row.expires_at, row.rotated_at) if found is not None else None


async def member(db: Database, project_id: str, member_id: str) -> MemberProfile | None:
    """A member of this project (another project's member id finds nothing)."""
    found: MemberProfile | None = await _cached(db, lambda c: c.members, member_id, lambda conn: members.get_profile(conn, member_id))
    return found if found is not None and found.project_id == project_id else None


async def api_key(db: Database, key_hash: str) -> ApiKey | None:
    return await _cached(db, lambda c: c.api_keys, key_hash, lambda conn: tenancy.find_api_key(conn, key_hash))


async def installation(db: Database, instance_id: str) -> Installation | None:
    return await _cached(db, lambda c: c.installations, instance_id, lambda conn: tenancy.get_installation(conn, instance_id))
