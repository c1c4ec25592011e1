"""store/cached.py for members and refresh tokens, on both engines: answers match the database
after a change made through another handle (a process without caches, like the CLI), another
project's member id finds nothing even once cached, and no password hash is kept in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from oauthapps.domain import credentials
from oauthapps.domain.oauth_app import OAuthApp
from oauthapps.ids import random_uuid
from oauthapps.services import tenancy as tenancy_service
from oauthapps.store import cached, grants, members
from oauthapps.store.database import Database
from oauthapps.store.oauth_apps import insert_app


def _run(database_url: str, work: Callable[[Database, Database], Awaitable[Any]]) -> Any:
    """``reader`` is a server process's view (caches on); ``writer`` another process's."""

    async def main() -> Any:
        reader, writer = Database.open(database_url), Database.open(database_url)
        await reader.start_caches()
        try:
            return await work(reader, writer)
        finally:
            await reader.close()
            await writer.close()

    return asyncio.run(main())


async def _member_with_grant(writer: Database, project_id: str, app_id: str) -> tuple[members.Member, str, str]:
    at = datetime.now(UTC)
    token = credentials.generate_secret(credentials.REFRESH_TOKEN_PREFIX)
    async with writer.transaction() as conn:
        member = await members.insert_member(conn, project_id, f"{token[-10:].lower()}@example.com", "not-a-hash")
        assert member is not None
        grant = await grants.create_grant(
            conn,
            project_id=project_id,
            oauth_app_id=app_id,
            subject_type=grants.GrantSubject.MEMBER,
            subject_id=member.id,
            member_id=member.id,
            at=at,
        )
        await grants.add_refresh_token(conn, grant.id, credentials.hash_secret(token), at, at + timedelta(days=1))
    return member, grant.id, credentials.hash_secret(token)


async def _project_and_app(writer: Database) -> tuple[str, str, str]:
    first = await tenancy_service.create_project(writer, "Cached A")
    other = await tenancy_service.create_project(writer, "Cached B")
    at = datetime.now(UTC)
    app = OAuthApp(random_uuid(), first.project_id, "Site", at, at)
    async with writer.transaction() as conn:
        await insert_app(conn, app)
    return first.project_id, other.project_id, app.id


def test_member_is_cached_per_project_without_its_password_hash(database_url: str) -> None:
    async def work(reader: Database, writer: Database) -> None:
        project_id, other_id, app_id = await _project_and_app(writer)
        member, _, _ = await _member_with_grant(writer, project_id, app_id)
        found = await cached.member(reader, project_id, member.id)
        assert found is not None and found.email == member.email
        assert not hasattr(found, "password_hash")
        assert reader.caches is not None and reader.caches.members.get(member.id) is not None
        # Cached now, and still nothing for another project's caller.
        assert await cached.member(reader, other_id, member.id) is None

    _run(database_url, work)


def test_member_deleted_elsewhere_is_gone_with_its_grant_and_refresh_token(database_url: str) -> None:
    async def work(reader: Database, writer: Database) -> None:
        project_id, _, app_id = await _project_and_app(writer)
        member, grant_id, token_hash = await _member_with_grant(writer, project_id, app_id)
        record = await cached.refresh_token(reader, token_hash)
        assert record is not None and record.grant.id == grant_id and record.grant.member_id == member.id
        assert await cached.member(reader, project_id, member.id) is not None
        assert await cached.grant(reader, grant_id) is not None

        async with writer.transaction() as conn:
            assert await members.delete_member(conn, project_id, member.id)
        assert await cached.member(reader, project_id, member.id) is None
        assert await cached.grant(reader, grant_id) is None
        assert await cached.refresh_token(reader, token_hash) is None

    _run(database_url, work)


def test_revoked_elsewhere_shows_in_the_cached_refresh_record(database_url: str) -> None:
    async def work(reader: Database, writer: Database) -> None:
        project_id, _, app_id = await _project_and_app(writer)
        _, grant_id, token_hash = await _member_with_grant(writer, project_id, app_id)
        before = await cached.refresh_token(reader, token_hash)
        assert before is not None and before.grant.revoked_at is None

        async with writer.transaction() as conn:
            await grants.revoke_grant(conn, grant_id, datetime.now(UTC))
        after = await cached.refresh_token(reader, token_hash)
        assert after is not None and after.grant.revoked_at is not None
        assert await cached.refresh_token(reader, credentials.hash_secret("oar_unknown")) is None

    _run(database_url, work)
