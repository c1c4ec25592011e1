"""The change feed is polled once per request (store/change_feed.py begin_request): a second cached
lookup in the same request does not query again, while the next request, or any code outside a
request, always does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from oauthapps.store import change_feed
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade_async


class CountingConnection:
    def __init__(self, inner: Any):
        self.inner = inner
        self.queries = 0

    def execute(self, *args: Any) -> Any:
        self.queries += 1
        return self.inner.execute(*args)

    def close(self) -> None:
        self.inner.close()


async def test_one_poll_per_request_and_every_poll_outside_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'poll.db'}"
    await upgrade_async(url)
    db = Database.open(url)
    await db.start_caches()
    assert db.feed is not None
    counting = CountingConnection(db.feed._sqlite)
    db.feed._sqlite = counting  # type: ignore[assignment]
    try:

        async def request() -> None:
            change_feed.begin_request()
            await db.feed.poll()
            await db.feed.poll()
            await db.feed.poll()

        await asyncio.create_task(request())
        assert counting.queries == 1
        await asyncio.gather(asyncio.create_task(request()), asyncio.create_task(request()))
        assert counting.queries == 3  # each request polls once, concurrent ones too
        await db.feed.poll()
        await db.feed.poll()
        assert counting.queries == 5  # outside a request, every poll queries
    finally:
        await db.close()
