"""The PostgreSQL change feed (store/change_log.py, store/change_feed.py): change-log seqs are
handed out in commit order, so a reader that has seen seq N has seen every change below it; a
poll that starts after a commit sees that commit, with no wait for any notification; concurrent
requests share polls, each served by one that started after it arrived."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from oauthapps.store import change_feed
from oauthapps.store.change_log import ChangeKind, record_change
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade_async
from oauthapps.store.schema import change_log

from ..support.servers import fresh_database


class Failed(Exception):
    pass


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> object:
    with fresh_database("postgresql", tmp_path_factory.mktemp("order")) as url:
        yield url


async def test_seq_order_is_commit_order(pg_url: str) -> None:
    await upgrade_async(pg_url)
    db = Database.open(pg_url)
    try:
        first_recorded = asyncio.Event()
        release_first = asyncio.Event()
        committed: list[str] = []

        async def first() -> None:
            async with db.transaction() as conn:
                await record_change(conn, ChangeKind.OAUTH_APP, "first")
                first_recorded.set()
                await release_first.wait()
            committed.append("first")

        async def second() -> None:
            await first_recorded.wait()
            async with db.transaction() as conn:
                await record_change(conn, ChangeKind.OAUTH_APP, "second")
            committed.append("second")

        tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
        await first_recorded.wait()
        await asyncio.sleep(0.3)
        assert committed == []  # the second writer waits for the first one's commit
        release_first.set()
        await asyncio.gather(*tasks)
        async with db.read() as conn:
            keys = [row.key for row in await conn.execute(select(change_log.c.key).order_by(change_log.c.seq))]
        assert keys[-2:] == ["first", "second"]
        assert committed == ["first", "second"]
    finally:
        await db.close()


async def test_a_poll_after_a_commit_elsewhere_evicts_it(pg_url: str) -> None:
    await upgrade_async(pg_url)
    writer, reader = Database.open(pg_url, pool_size=1), Database.open(pg_url)
    await reader.start_caches()
    try:
        assert reader.feed is not None and reader.caches is not None
        for round_ in range(5):
            with pytest.raises(Failed):
                async with writer.transaction() as conn:
                    await record_change(conn, ChangeKind.OAUTH_APP, f"rolled-back-{round_}")
                    raise Failed
            reader.caches.clients.put(f"app-{round_}", object())
            async with writer.transaction() as conn:  # the same pooled connection (pool of 1)
                await record_change(conn, ChangeKind.OAUTH_APP, f"app-{round_}")
            await reader.feed.poll()  # at once: no notification to wait for
            assert reader.caches.clients.get(f"app-{round_}") is None, f"round {round_}"
    finally:
        await writer.close()
        await reader.close()


async def test_concurrent_requests_share_polls(pg_url: str) -> None:
    await upgrade_async(pg_url)
    db = Database.open(pg_url)
    await db.start_caches()
    try:
        assert db.feed is not None

        async def request() -> None:
            change_feed.begin_request()
            await db.feed.poll()
            await db.feed.poll()

        before = db.feed.polls
        await asyncio.gather(*(asyncio.create_task(request()) for _ in range(50)))
        assert 1 <= db.feed.polls - before <= 2  # one poll, or two when some arrived during the first
        assert db.feed.usable
    finally:
        await db.close()
