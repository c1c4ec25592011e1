"""The visitor (anonymous grant) write path: group commit through store/visitor_writer.py and the driver
writers of store/visitor_sinks.py. Each test runs on SQLite and on PostgreSQL.

What must hold: a request is answered only once its rows are committed; a failed batch fails
every request in it and leaves none of its rows; the rows are exactly what the schema layer
would have written (so refresh works); the writer's SQLite connection is as durable as the
engine's; visitor grants record nothing in the change log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, insert, select

from oauthapps.ids import random_uuid, time_ordered_uuid
from oauthapps.oauth2.issue import REFRESH_TOKEN_LIFETIME
from oauthapps.store.database import Database
from oauthapps.store.grants import find_refresh_token, get_grant
from oauthapps.store.schema import change_log, grants, oauth_apps, projects, refresh_tokens
from oauthapps.store.visitor_sinks import PoolSink, PostgresSink, SqliteSink, VisitorRows
from oauthapps.store.visitor_writer import VisitorWriter

from ..support.oauth2 import Client, refresh, token_info, visitor_tokens
from ..support.tenants import run_db

MONTH_US = REFRESH_TOKEN_LIFETIME // timedelta(microseconds=1)
REFUSED = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


# --- the writer, in-process ---------------------------------------------------------------------


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.open(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def app_id(db: Database) -> str:
    """An OAuth app row for the visitors' foreign key."""
    now = datetime.now(UTC)
    project, app = str(uuid.uuid4()), str(uuid.uuid4())
    async with db.transaction() as conn:
        await conn.execute(insert(projects).values(id=project, name="Visitors", created_at=now))
        await conn.execute(
            insert(oauth_apps).values(
                id=app,
                project_id=project,
                name="Site",
                allowed_redirect_uris=[],
                allowed_redirect_domains=[],
                application_type="web",
                technology="other",
                wix_pages_domains_mappings=[],
                created_at=now,
                updated_at=now,
            )
        )
    return app


def new_rows(app: str, project: str = "p") -> VisitorRows:
    at = time.time_ns() // 1000
    secret = uuid.uuid4().hex
    return VisitorRows(time_ordered_uuid(), project, app, random_uuid(), hashlib.sha256(secret.encode()).hexdigest(), at, at + MONTH_US)


async def stored(db: Database, grant_ids: list[str]) -> tuple[int, int]:
    async with db.read() as conn:
        n_grants = (await conn.execute(select(func.count()).select_from(grants).where(grants.c.id.in_(grant_ids)))).scalar_one()
        n_refresh = (
            await conn.execute(select(func.count()).select_from(refresh_tokens).where(refresh_tokens.c.grant_id.in_(grant_ids)))
        ).scalar_one()
    return n_grants, n_refresh


def count_writes(writer: VisitorWriter) -> list[int]:
    """Batch sizes, as the writer hands them to its sink."""
    sizes: list[int] = []
    write = writer.sink.write

    async def counting(rows: list[VisitorRows]) -> None:
        sizes.append(len(rows))
        await write(rows)

    writer.sink.write = counting  # type: ignore[method-assign]
    return sizes


async def test_concurrent_visitors_share_one_commit_and_are_stored_as_the_schema_reads_them(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    sizes = count_writes(writer)
    batch = [new_rows(app_id) for _ in range(40)]
    await asyncio.gather(*(writer.add(rows) for rows in batch))
    assert sizes == [40]
    assert await stored(db, [r.grant_id for r in batch]) == (40, 40)
    async with db.read() as conn:
        for rows in batch[:3]:
            grant = await get_grant(conn, rows.grant_id)
            assert grant is not None
            assert (grant.project_id, grant.oauth_app_id, grant.subject_type, grant.subject_id, grant.member_id, grant.revoked_at) == (
                "p",
                app_id,
                "visitor",
                rows.subject_id,
                None,
                None,
            )
            record = await find_refresh_token(conn, rows.token_hash)
            assert record is not None and record.grant.id == rows.grant_id and record.rotated_at is None
            assert record.expires_at == datetime.fromtimestamp(rows.expires_at / 1e6, UTC)
            assert record.expires_at - REFRESH_TOKEN_LIFETIME == datetime.fromtimestamp(rows.created_at / 1e6, UTC)


async def test_a_failed_batch_fails_every_waiter_and_leaves_none_of_its_rows(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    sizes = count_writes(writer)
    good = [new_rows(app_id) for _ in range(10)]
    bad = new_rows("no-such-app")  # the foreign key fails, in the middle of the batch
    batch = [*good[:5], bad, *good[5:]]
    results = await asyncio.gather(*(writer.add(rows) for rows in batch), return_exceptions=True)
    assert sizes == [11]
    assert all(isinstance(r, REFUSED) for r in results), results
    assert await stored(db, [r.grant_id for r in batch]) == (0, 0)
    # The writer goes on: the next batch commits.
    later = [new_rows(app_id) for _ in range(3)]
    await asyncio.gather(*(writer.add(rows) for rows in later))
    assert await stored(db, [r.grant_id for r in later]) == (3, 3)


async def test_a_duplicate_refresh_hash_fails_its_whole_batch(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    first = new_rows(app_id)
    await writer.add(first)
    clash = new_rows(app_id)._replace(token_hash=first.token_hash)
    batch = [new_rows(app_id), clash, new_rows(app_id)]
    results = await asyncio.gather(*(writer.add(rows) for rows in batch), return_exceptions=True)
    assert all(isinstance(r, REFUSED) for r in results), results
    assert await stored(db, [r.grant_id for r in batch]) == (0, 0)


async def test_every_acknowledged_visitor_is_stored_under_load(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    acknowledged: list[VisitorRows] = []

    async def client() -> None:
        for _ in range(20):
            rows = new_rows(app_id)
            await writer.add(rows)
            acknowledged.append(rows)

    await asyncio.gather(*(client() for _ in range(16)))
    assert await stored(db, [r.grant_id for r in acknowledged]) == (320, 320)


async def test_a_cancelled_request_does_not_fail_the_others_in_its_batch(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    batch = [new_rows(app_id) for _ in range(5)]
    tasks = [asyncio.create_task(writer.add(rows)) for rows in batch]
    await asyncio.sleep(0)  # all five are queued
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[2], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i != 2] == [None] * 4
    assert await stored(db, [r.grant_id for r in batch]) == (5, 5)


async def test_visitor_grants_record_nothing_in_the_change_log(db: Database, app_id: str) -> None:
    async with db.read() as conn:
        before = (await conn.execute(select(func.count()).select_from(change_log))).scalar_one()
    await asyncio.gather(*(VisitorWriter(db).add(new_rows(app_id)) for _ in range(5)))
    async with db.read() as conn:
        assert (await conn.execute(select(func.count()).select_from(change_log))).scalar_one() == before


def writer_connection(writer: VisitorWriter) -> Any:
    sink = writer.sink
    if isinstance(sink, SqliteSink):
        return sink._worker.conn if sink._worker is not None else None
    assert isinstance(sink, PostgresSink)
    return sink._conn


async def test_the_writer_has_a_connection_of_its_own_closed_with_the_engine(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    assert isinstance(writer.sink, SqliteSink if db.dialect == "sqlite" else PostgresSink)
    await writer.add(new_rows(app_id))
    assert writer_connection(writer) is not None
    await db.engine.dispose()  # what Database.close does
    assert writer_connection(writer) is None
    # Used again (the engine can be too), it opens a new one.
    again = new_rows(app_id)
    await writer.add(again)
    assert writer_connection(writer) is not None
    assert await stored(db, [again.grant_id]) == (1, 1)


async def test_closed_outside_the_engines_greenlet_the_writer_still_closes_and_reopens(db: Database, app_id: str) -> None:
    writer = VisitorWriter(db)
    await writer.add(new_rows(app_id))
    first = writer_connection(writer)
    writer.sink.close_now()
    later = [new_rows(app_id) for _ in range(3)]
    await asyncio.gather(*(writer.add(rows) for rows in later))
    assert writer_connection(writer) not in (None, first)
    assert await stored(db, [r.grant_id for r in later]) == (3, 3)


async def test_the_sqlite_writer_is_as_durable_as_the_engine(db: Database, app_id: str) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    writer = VisitorWriter(db)
    await writer.add(new_rows(app_id))
    assert isinstance(writer.sink, SqliteSink)
    worker = writer.sink._worker
    assert worker is not None

    def pragmas() -> tuple[Any, ...]:
        assert worker.conn is not None
        return tuple(worker.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "synchronous", "foreign_keys"))

    ours = await asyncio.get_running_loop().run_in_executor(worker.thread, pragmas)
    async with db.engine.connect() as conn:
        engines = tuple(
            [(await conn.exec_driver_sql(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "synchronous", "foreign_keys")]
        )
    assert ours == engines == ("wal", 2, 1)  # 2: synchronous=FULL


async def test_a_lost_postgresql_connection_fails_its_batch_and_the_next_reconnects(db: Database, app_id: str) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL connection")
    writer = VisitorWriter(db)
    await writer.add(new_rows(app_id))
    sink = writer.sink
    assert isinstance(sink, PostgresSink)
    pid = sink._conn.get_server_pid()
    async with db.engine.connect() as conn:
        await conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    await asyncio.sleep(0.2)
    # Whether or not the client noticed the loss yet, nothing is acknowledged without its rows.
    batch = [new_rows(app_id) for _ in range(3)]
    results = await asyncio.gather(*(writer.add(rows) for rows in batch), return_exceptions=True)
    for rows, result in zip(batch, results, strict=True):
        assert await stored(db, [rows.grant_id]) == ((0, 0) if isinstance(result, Exception) else (1, 1))
    later = new_rows(app_id)
    await writer.add(later)
    assert await stored(db, [later.grant_id]) == (1, 1)


async def test_the_pool_fallback_writes_and_rolls_back_the_same_way(db: Database, app_id: str) -> None:
    """Used where the writer cannot open a connection of its own (an in-memory SQLite database)."""
    sink = PoolSink(db.engine)
    ok = [new_rows(app_id) for _ in range(3)]
    await sink.write(ok)
    assert await stored(db, [r.grant_id for r in ok]) == (3, 3)
    failing = [new_rows(app_id), new_rows("no-such-app")]
    with pytest.raises(REFUSED):
        await sink.write(failing)
    assert await stored(db, [r.grant_id for r in failing]) == (0, 0)


# --- over HTTP: what the anonymous grant answers is in the database -----------------------------


def claims(access_token: str) -> dict[str, Any]:
    payload = access_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_an_answered_visitor_has_its_rows_and_its_refresh_token_works(http: httpx.Client, client: Client, database_url: str) -> None:
    before = time.time()
    guest = visitor_tokens(http, client.id)
    after = time.time()
    token = claims(guest["access_token"])

    async def read(db: Database) -> Any:
        async with db.read() as conn:
            return await get_grant(conn, token["gid"]), await find_refresh_token(
                conn, hashlib.sha256(guest["refresh_token"].encode()).hexdigest()
            )

    grant, record = run_db(database_url, read)
    assert grant is not None and record is not None
    assert (grant.subject_type, grant.subject_id, grant.oauth_app_id, grant.member_id, grant.revoked_at) == (
        "visitor",
        token["sub"],
        client.id,
        None,
        None,
    )
    assert uuid.UUID(grant.id).version == 7 and uuid.UUID(grant.subject_id).version == 4
    assert record.grant.id == grant.id and record.rotated_at is None
    created = record.expires_at - REFRESH_TOKEN_LIFETIME
    assert before - 1 <= created.timestamp() <= after + 1

    renewed = refresh(http, client.id, guest["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    info = token_info(http, renewed.json()["access_token"])
    assert info["active"] is True and info["subjectType"] == "VISITOR" and info["subjectId"] == token["sub"]


def test_concurrent_visitors_over_http_are_all_stored_and_can_refresh(http: httpx.Client, client: Client, database_url: str) -> None:
    def one(_: int) -> dict[str, Any]:
        with httpx.Client(base_url=str(http.base_url), timeout=30) as own:
            return visitor_tokens(own, client.id)

    with ThreadPoolExecutor(16) as pool:
        guests = list(pool.map(one, range(48)))
    grant_ids = [claims(g["access_token"])["gid"] for g in guests]
    assert len(set(grant_ids)) == 48

    async def count(db: Database) -> tuple[int, int]:
        return await stored(db, grant_ids)

    assert run_db(database_url, count) == (48, 48)
    for guest in guests[:4]:
        assert refresh(http, client.id, guest["refresh_token"]).status_code == 200
