"""kill -9 of the whole server in the middle of ~200 concurrent writes (OAuth app creates and data
item inserts, each sent with an Idempotency-Key), on SQLite and on PostgreSQL. After a restart:
every acknowledged write is there exactly once, and a client that retries every write with its
key (acknowledged or not) gets the first answer for those that were written and a new write for
those that were not; nothing is there twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import data_items, oauth_apps

from ..support.oauth_apps import BASE
from ..support.servers import fresh_database, running_server
from ..support.tenants import Tenant, new_tenant, run_db

ITEMS = "/wix-data/v2/items"
EACH = 100  # OAuth app creates, and as many data inserts
CONCURRENCY = 40
KILL_AFTER = 60  # acknowledged writes before the kill
# Tokens name their issuer, which is the server's URL by default: the restarted server (on another
# port) must be the same issuer for the client's token to stay good.
SAME_ISSUER = {"OAUTHAPPS_ISSUER": "http://oauthapps.test"}


@dataclass
class Write:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    marker: str  # the app's name, or the item's "marker" field
    acknowledged: str | None = None  # the id in the 200 answer, if one arrived

    def id_in(self, response: httpx.Response) -> str:
        wire = response.json()["oAuthApp" if self.path == BASE else "dataItem"]
        return str(wire["id"])


def _writes(tenant: Tenant, collection: str, run: str) -> list[Write]:
    apps = [
        Write(BASE, {**tenant.app_headers, "Idempotency-Key": f"{run}-app-{i}"}, {"oAuthApp": {"name": f"{run}-{i}"}}, f"{run}-{i}")
        for i in range(EACH)
    ]
    items = [
        Write(
            ITEMS,
            {**tenant.key_headers, "Idempotency-Key": f"{run}-item-{i}"},
            {"dataCollectionId": collection, "dataItem": {"data": {"marker": f"{run}-{i}"}}},
            f"{run}-{i}",
        )
        for i in range(EACH)
    ]
    # Interleaved, so both kinds are in flight when the server dies.
    return [w for pair in zip(apps, items, strict=True) for w in pair]


async def _burst(base_url: str, writes: list[Write], kill: Callable[[], None]) -> Counter[int | str]:
    """Send every write; kill the server once KILL_AFTER have been acknowledged."""
    gate = asyncio.Semaphore(CONCURRENCY)
    outcomes: Counter[int | str] = Counter()
    acknowledged = 0

    async def send(client: httpx.AsyncClient, write: Write) -> None:
        nonlocal acknowledged
        async with gate:
            try:
                response = await client.post(write.path, headers=write.headers, json=write.body)
            except httpx.HTTPError as exc:
                outcomes[type(exc).__name__] += 1
                return
        outcomes[response.status_code] += 1
        if response.status_code == 200:
            write.acknowledged = write.id_in(response)
            acknowledged += 1
            if acknowledged == KILL_AFTER:
                kill()

    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        await asyncio.gather(*(send(client, w) for w in writes))
    return outcomes


async def _retry(base_url: str, writes: list[Write]) -> list[tuple[Write, httpx.Response]]:
    gate = asyncio.Semaphore(20)

    async def send(client: httpx.AsyncClient, write: Write) -> tuple[Write, httpx.Response]:
        async with gate:
            return write, await client.post(write.path, headers=write.headers, json=write.body)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await asyncio.gather(*(send(client, w) for w in writes))


def _stored(database_url: str, project_id: str, run: str) -> tuple[Counter[str], Counter[str], set[str]]:
    """Per marker, how many apps and items the database holds; and every id there."""

    async def read(db: Database) -> tuple[Counter[str], Counter[str], set[str]]:
        async with db.read() as conn:
            apps = (await conn.execute(select(oauth_apps.c.name, oauth_apps.c.id).where(oauth_apps.c.project_id == project_id))).all()
            items = (await conn.execute(select(data_items.c.data, data_items.c.id).where(data_items.c.project_id == project_id))).all()
        app_names = Counter(name for name, _ in apps if name.startswith(run))
        item_markers = Counter(data["marker"] for data, _ in items if str(data.get("marker", "")).startswith(run))
        return app_names, item_markers, {i for _, i in apps} | {i for _, i in items}

    result: tuple[Counter[str], Counter[str], set[str]] = run_db(database_url, read)
    return result


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_during_concurrent_writes_loses_and_duplicates_nothing(kind: str, tmp_path: Path) -> None:
    run = f"kill{uuid.uuid4().hex[:6]}"
    with fresh_database(kind, tmp_path) as url:
        upgrade(url)
        with running_server(url, tmp_path, extra_env=SAME_ISSUER) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            tenant = new_tenant(http, server.database_url)
            collection = f"Writes{run}"
            made = http.post("/wix-data/v2/collections", headers=tenant.key_headers, json={"collection": {"id": collection}})
            assert made.status_code == 200, made.text
            writes = _writes(tenant, collection, run)
            outcomes = asyncio.run(_burst(server.base_url, writes, lambda: os.killpg(server.process.pid, signal.SIGKILL)))
            server.process.wait(timeout=30)
        acknowledged = {w.marker + w.path: w.acknowledged for w in writes if w.acknowledged}
        print(f"\n{kind}: {len(acknowledged)} of {len(writes)} writes acknowledged before kill -9; outcomes {dict(outcomes)}")
        assert len(acknowledged) >= KILL_AFTER and not any(isinstance(s, int) and s >= 500 for s in outcomes), outcomes

        apps, items, ids = _stored(url, tenant.project_id, run)
        # Every acknowledged write survived the kill, exactly once; nothing is there twice.
        assert {w.acknowledged for w in writes if w.acknowledged} <= ids
        assert all(n == 1 for n in apps.values()) and all(n == 1 for n in items.values()), (apps, items)
        committed_unacknowledged = sum(apps.values()) + sum(items.values()) - len(acknowledged)

        with running_server(url, tmp_path, extra_env=SAME_ISSUER) as again:
            answered: dict[int, str] = {}
            for write, response in asyncio.run(_retry(again.base_url, writes)):
                assert response.status_code == 200, response.text
                answered[id(write)] = write.id_in(response)
                if write.acknowledged:
                    assert response.headers.get("idempotent-replayed") == "true"
                    assert answered[id(write)] == write.acknowledged
            # A second round of retries only replays what the first round answered.
            for write, response in asyncio.run(_retry(again.base_url, writes)):
                assert response.status_code == 200 and response.headers.get("idempotent-replayed") == "true", response.text
                assert write.id_in(response) == answered[id(write)]
        print(f"{kind}: {committed_unacknowledged} writes were committed but not acknowledged; their retries were replayed")

        apps, items, _ = _stored(url, tenant.project_id, run)
        assert apps == Counter({f"{run}-{i}": 1 for i in range(EACH)})
        assert items == Counter({f"{run}-{i}": 1 for i in range(EACH)})
        if kind == "sqlite":
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
