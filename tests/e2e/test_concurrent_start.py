"""Four nodes started at once on one empty database (PostgreSQL, and a SQLite file) all come up
with one signing key between them: exactly one active key, and a token any node issues is
verified by every other node. Nodes starting together mostly meet at the migration lock first, so
the key creation itself is also raced head-on: many processes' worth of engines at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import permutations
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.services import tenancy
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import signing_keys
from oauthapps.tokens.keys import ensure_key, rotate

from ..support.servers import fresh_database, key_env, running_servers
from ..support.tenants import app_token, run_db

NODES = 4
RACERS = 8
ISSUER = "http://oauth.example.test"  # the public address the nodes share behind a load balancer


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Not even migrated: every node migrates and creates the first key itself."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


async def _count_keys(db: Database) -> tuple[int, int]:
    """(all keys, active keys)"""
    async with db.read() as conn:
        total = (await conn.execute(select(func.count()).select_from(signing_keys))).scalar_one()
        active = (
            await conn.execute(select(func.count()).select_from(signing_keys).where(signing_keys.c.retired_at.is_(None)))
        ).scalar_one()
    return total, active


def test_nodes_starting_together_share_one_signing_key(empty_database: str, tmp_path: Path) -> None:
    with running_servers(empty_database, tmp_path, NODES, extra_env={"OAUTHAPPS_ISSUER": ISSUER}) as nodes:
        assert run_db(empty_database, _count_keys) == (1, 1)

        async def setup(db: Database) -> tuple[Any, str]:
            project = await tenancy.create_project(db, "Nodes")
            app = await tenancy.create_app(db, "Manager", [OAUTH_APP_MANAGE])
            return app, await tenancy.install(db, app.app_id, project.project_id)

        app, instance = run_db(empty_database, setup)
        clients = [httpx.Client(base_url=node.base_url, timeout=30) for node in nodes]
        try:
            tokens = [app_token(http, app.app_id, app.app_secret, instance) for http in clients]
            jwks = [http.get("/oauth2/jwks").json()["keys"] for http in clients]
            assert all(len(keyset) == 1 and keyset == jwks[0] for keyset in jwks)
            for issuer, verifier in permutations(range(NODES), 2):
                info = clients[verifier].post("/oauth2/token-info", json={"token": tokens[issuer]})
                assert info.status_code == 200 and info.json()["active"] is True, (issuer, verifier, info.text)
        finally:
            for http in clients:
                http.close()


def test_first_keys_created_at_once_on_separate_connections_are_one_key(empty_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in key_env(empty_database).items():  # in this process: it seals the keys it creates
        monkeypatch.setenv(name, value)
    upgrade(empty_database)

    async def race() -> tuple[tuple[int, int], tuple[int, int]]:
        engines = [Database.open(empty_database) for _ in range(RACERS)]
        try:
            await asyncio.gather(*(ensure_key(db) for db in engines))
            first = await _count_keys(engines[0])
            # Rotations at once: each retires the active keys and adds one; one must stay active.
            await asyncio.gather(*(rotate(db, 3600) for db in engines))
            return first, await _count_keys(engines[0])
        finally:
            for db in engines:
                await db.close()

    first, rotated = asyncio.run(race())
    assert first == (1, 1)
    assert rotated == (1 + RACERS, 1)
