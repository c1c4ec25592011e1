"""PostgreSQL change notifications (store/change_log.py, store/change_feed.py): a writer in a server process returns from
its transaction only once its own listener holds the notification, every transaction that
records a change notifies, and a rolled-back one leaves nothing behind on the pooled connection."""

from __future__ import annotations

import asyncio

import pytest

from oauthapps.store.change_log import NOTIFY_TOKEN, ChangeKind, record_change
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade_async

from ..support.servers import fresh_database


class Failed(Exception):
    pass


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> object:
    with fresh_database("postgresql", tmp_path_factory.mktemp("notify")) as url:
        yield url


async def test_each_committed_change_is_delivered_before_the_writer_returns(pg_url: str) -> None:
    await upgrade_async(pg_url)
    writer, other = Database.open(pg_url, pool_size=1), Database.open(pg_url)
    await writer.start_caches()
    await other.start_caches()
    try:
        assert writer.feed is not None and other.feed is not None
        for round_ in range(3):
            with pytest.raises(Failed):
                async with writer.transaction() as conn:
                    await record_change(conn, ChangeKind.OAUTH_APP, f"rolled-back-{round_}")
                    raise Failed
            other.feed._dirty = False
            async with writer.transaction() as conn:  # the same pooled connection (pool of 1)
                assert NOTIFY_TOKEN not in conn.info
                await record_change(conn, ChangeKind.OAUTH_APP, f"app-{round_}")
            assert writer.feed._expected == {}  # delivered to our own listener, and forgotten
            await asyncio.sleep(0.2)
            assert other.feed._dirty, f"round {round_}: the other process was not notified"
    finally:
        await writer.close()
        await other.close()
