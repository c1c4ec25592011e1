"""The purge of expired rows, on both databases: what has expired goes, what still serves someone
stays, through ``oauthapps purge`` (a real subprocess), in bounded batches, one process at a time,
and on its own in a running server."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from oauthapps.domain import credentials
from oauthapps.domain.owners import SessionTimes
from oauthapps.http.auth import ALL_OWNER_SCOPES
from oauthapps.services import member_accounts, tenancy
from oauthapps.services import oauth_apps as oauth_app_service
from oauthapps.services.actor import Actor, ActorKind
from oauthapps.services.purge import purge_now
from oauthapps.store import grants, one_time, owners, purge, sessions
from oauthapps.store.database import Database
from oauthapps.store.grants import GrantSubject
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import attempt_limits, email_verifications, member_sessions, one_time_tokens, owner_sessions, refresh_tokens
from oauthapps.store.schema import grants as grants_table

from ..support.servers import fresh_database, run_cli, running_server, seeded_database
from ..support.tenants import run_db


@dataclass
class Seeded:
    """Which rows must go and which must stay, by key."""

    gone: dict[str, set[str]]
    kept: dict[str, set[str]]


def token() -> str:
    return credentials.hash_secret(uuid.uuid4().hex)


async def seed(db: Database) -> Seeded:
    # Taken when the rows are made: the suite may run this long after importing the module.
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=40)
    project = await tenancy.create_project(db, "Purge")
    owner = Actor(project.project_id, ALL_OWNER_SCOPES, ActorKind.CLI, "purge-test")
    app = (await oauth_app_service.create(db, owner, {"name": "Purge site"})).app
    member = await member_accounts.create_member(db, project.project_id, f"p-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery")
    gone: dict[str, set[str]] = {
        "grants": set(),
        "refresh_tokens": set(),
        "one_time_tokens": set(),
        "member_sessions": set(),
        "owner_sessions": set(),
        "email_verifications": set(),
        "attempt_limits": set(),
    }
    kept: dict[str, set[str]] = {name: set() for name in gone}

    async with db.transaction() as conn:

        async def grant_with(*expiries: datetime) -> tuple[str, list[str]]:
            made = await grants.create_grant(
                conn,
                project_id=project.project_id,
                oauth_app_id=app.id,
                subject_type=GrantSubject.VISITOR,
                subject_id=uuid.uuid4().hex,
                member_id=None,
                at=long_ago,
            )
            hashes = []
            for expires_at in expiries:
                hashes.append(token())
                await grants.add_refresh_token(conn, made.id, hashes[-1], long_ago, expires_at)
            return made.id, hashes

        # Expired a month ago: the token and its grant go.
        grant_id, hashes = await grant_with(now - timedelta(days=10))
        gone["grants"].add(grant_id)
        gone["refresh_tokens"].update(hashes)
        # Expired an hour ago: an access token minted at its last moment is still valid; both stay.
        grant_id, hashes = await grant_with(now - timedelta(hours=1))
        kept["grants"].add(grant_id)
        kept["refresh_tokens"].update(hashes)
        # A rotated-out token long expired, and a live one: the old token goes, the grant stays.
        grant_id, (old, live) = await grant_with(now - timedelta(days=10), now + timedelta(days=20))
        kept["grants"].add(grant_id)
        gone["refresh_tokens"].add(old)
        kept["refresh_tokens"].add(live)

        for name, expires_at in (
            ("gone", now - timedelta(hours=2)),
            ("kept", now - timedelta(minutes=10)),
            ("kept", now + timedelta(minutes=1)),
        ):
            code = token()
            await one_time.put(
                conn,
                token_hash=code,
                purpose=one_time.OneTimePurpose.CODE,
                project_id=project.project_id,
                oauth_app_id=app.id,
                member_id=member.id,
                data={},
                at=long_ago,
                expires_at=expires_at,
            )
            (gone if name == "gone" else kept)["one_time_tokens"].add(code)

        for name, expires_at in (("gone", now - timedelta(seconds=1)), ("kept", now + timedelta(days=1))):
            session = token()
            await sessions.create(
                conn,
                token_hash=session,
                project_id=project.project_id,
                member_id=member.id,
                oauth_app_id=app.id,
                at=long_ago,
                expires_at=expires_at,
            )
            (gone if name == "gone" else kept)["member_sessions"].add(session)

        owner = await owners.insert_owner(conn, f"o-{uuid.uuid4().hex[:8]}@example.com", "not a hash", long_ago)
        for name, expires_at in (("gone", now - timedelta(seconds=1)), ("kept", now + timedelta(hours=1))):
            session = token()
            await owners.create_session(conn, session, owner.id, SessionTimes(long_ago, long_ago, expires_at))
            (gone if name == "gone" else kept)["owner_sessions"].add(session)

        for name, expires_at in (("gone", now - timedelta(seconds=1)), ("kept", now + timedelta(minutes=30))):
            state = token()
            await conn.execute(
                insert(email_verifications).values(
                    state_hash=state,
                    project_id=project.project_id,
                    member_id=member.id,
                    oauth_app_id=app.id,
                    code_hash=token(),
                    wrong_codes=0,
                    created_at=long_ago,
                    code_expires_at=expires_at,
                    expires_at=expires_at,
                )
            )
            (gone if name == "gone" else kept)["email_verifications"].add(state)

        for name, expires_at in (("gone", now - timedelta(seconds=1)), ("kept", now + timedelta(minutes=5))):
            key = uuid.uuid4().hex
            await conn.execute(insert(attempt_limits).values(key=key, count=3, since=long_ago, retry_at=None, expires_at=expires_at))
            (gone if name == "gone" else kept)["attempt_limits"].add(key)
    return Seeded(gone, kept)


KEYS = {
    "grants": grants_table.c.id,
    "refresh_tokens": refresh_tokens.c.token_hash,
    "one_time_tokens": one_time_tokens.c.token_hash,
    "member_sessions": member_sessions.c.token_hash,
    "owner_sessions": owner_sessions.c.token_hash,
    "email_verifications": email_verifications.c.state_hash,
    "attempt_limits": attempt_limits.c.key,
}


async def present(db: Database) -> dict[str, set[str]]:
    async with db.read() as conn:
        return {name: {row[0] for row in await conn.execute(select(column))} for name, column in KEYS.items()}


def oauthapps_purge(url: str) -> dict[str, int]:
    done = run_cli("purge", "--database", url, "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def seeded(kind: str, tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    box: list[Seeded] = []

    async def setup(url: str) -> None:
        db = Database.open(url)
        try:
            box.append(await seed(db))
        finally:
            await db.close()

    with seeded_database(kind, tmp_path, setup) as url:
        yield url, box[0]


def test_the_purge_command_deletes_what_expired_and_keeps_what_serves(seeded: tuple[str, Seeded]) -> None:
    url, rows = seeded
    before = run_db(url, present)
    assert all(rows.gone[name] | rows.kept[name] <= before[name] for name in KEYS)

    counts = oauthapps_purge(url)
    assert counts == {
        "refreshTokens": 2,
        "grants": 1,
        "oneTimeTokens": 1,
        "memberSessions": 1,
        "ownerSessions": 1,
        "emailVerifications": 1,
        "attemptLimits": 1,
    }
    after = run_db(url, present)
    for name in KEYS:
        assert rows.gone[name] & after[name] == set(), name
        assert rows.kept[name] <= after[name], name
    assert oauthapps_purge(url) == dict.fromkeys(counts, 0)


def test_batches_are_bounded_and_a_run_resumes_where_the_last_stopped(kind: str, tmp_path: Path) -> None:
    async def scenario(url: str) -> list[int]:
        now = datetime.now(UTC)
        long_ago = now - timedelta(days=40)
        db = Database.open(url)
        try:
            project = await tenancy.create_project(db, "Batches")
            owner = Actor(project.project_id, ALL_OWNER_SCOPES, ActorKind.CLI, "purge-test")
            app = (await oauth_app_service.create(db, owner, {"name": "Batch site"})).app
            async with db.transaction() as conn:
                for _ in range(7):
                    made = await grants.create_grant(
                        conn,
                        project_id=project.project_id,
                        oauth_app_id=app.id,
                        subject_type=GrantSubject.VISITOR,
                        subject_id="v",
                        member_id=None,
                        at=long_ago,
                    )
                    await grants.add_refresh_token(conn, made.id, token(), long_ago, long_ago + timedelta(days=1))
            lifetime = timedelta(hours=4)
            first = await purge.purge_expired(db, now, access_token_lifetime=lifetime, batch_size=2, max_batches=2)
            second = await purge.purge_expired(db, now, access_token_lifetime=lifetime, batch_size=2, max_batches=10)
            left = await present(db)
            return [
                first.refresh_tokens,
                first.grants,
                second.refresh_tokens,
                second.grants,
                len(left["refresh_tokens"]),
                len(left["grants"]),
            ]
        finally:
            await db.close()

    with fresh_database(kind, tmp_path) as url:
        upgrade(url)
        assert asyncio.run(scenario(url)) == [4, 4, 3, 3, 0, 0]


def test_only_one_process_purges_a_database_at_a_time(kind: str, tmp_path: Path) -> None:
    async def scenario(url: str) -> tuple[bool, object, bool]:
        db = Database.open(url)
        other = Database.open(url)
        try:
            async with purge.exclusive(db) as first:
                skipped = await purge_now(other)  # another process's turn: it does nothing
            async with purge.exclusive(other) as after:
                pass
            return first, skipped, after
        finally:
            await db.close()
            await other.close()

    with fresh_database(kind, tmp_path) as url:
        upgrade(url)
        assert asyncio.run(scenario(url)) == (True, None, True)


def test_a_running_server_purges_on_its_own(seeded: tuple[str, Seeded], tmp_path: Path) -> None:
    url, rows = seeded
    with running_server(url, tmp_path, extra_env={"OAUTHAPPS_PURGE_INTERVAL_SECONDS": "1"}):
        deadline = time.monotonic() + 30
        while True:
            after = run_db(url, present)
            if all(not (rows.gone[name] & after[name]) for name in KEYS) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    for name in KEYS:
        assert rows.gone[name] & after[name] == set(), name
        assert rows.kept[name] <= after[name], name
