"""CPU cost of the pieces of the token / get-OAuth-app hot path, in-process, one at a time.

    .venv/bin/python bench/micro.py            # SQLite; BENCH_MICRO_PG=1 adds PostgreSQL

Measured as CPU time of this process (all its threads, `time.process_time`) per operation, with
64 concurrent tasks on uvloop like a loaded worker, so the figures hold up even when other work
shares the machine (wall-clock rates would not). It uses the project's own code paths
(Database.transaction, the store functions, TokenIssuer) next to raw-driver equivalents, to size
what each change in docs/benchmarks.md would save.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

from oauthapps.domain import credentials
from oauthapps.http.auth import ALL_OWNER_SCOPES
from oauthapps.services import oauth_apps as oauth_app_service
from oauthapps.services import tenancy as tenancy_service
from oauthapps.services.actor import Actor, ActorKind
from oauthapps.store import oauth_apps as repo
from oauthapps.store import tenancy as tenancy_repo
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.tokens.access import TokenIssuer, TokenKind
from oauthapps.tokens.keys import SigningKeys, ensure_key

CONCURRENCY = 64


async def cpu_per_op(label: str, op: Callable[[], Awaitable[object]], total: int) -> float:
    """CPU µs per call of ``op``, run ``total`` times by CONCURRENCY tasks."""
    per_task = total // CONCURRENCY

    async def task() -> None:
        for _ in range(per_task):
            await op()

    await asyncio.gather(*(task() for _ in range(CONCURRENCY)))  # warm-up
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(task() for _ in range(CONCURRENCY)))
    cpu = time.process_time() - started_cpu
    wall = time.perf_counter() - started_wall
    us = cpu * 1e6 / (per_task * CONCURRENCY)
    print(f"  {us:8.1f} µs CPU/op   {label}   (wall {wall * 1e6 / (per_task * CONCURRENCY):.1f} µs/op)", flush=True)
    return us


async def run(url: str, total: int) -> None:
    print(f"\n{url.split('://', maxsplit=1)[0]}: {total:,} operations per line, {CONCURRENCY} concurrent tasks")
    db = Database.open(url)
    try:
        await ensure_key(db)
        created = await tenancy_service.create_project(db, "micro")
        owner = Actor(created.project_id, ALL_OWNER_SCOPES, ActorKind.CLI, "micro")
        app = (await oauth_app_service.create(db, owner, {"name": "Micro app"})).app
        keys = SigningKeys(db)
        await keys.load()
        issuer = TokenIssuer(keys, "http://127.0.0.1:8080")
        key_hash = credentials.hash_secret(created.api_key)

        async def lookup_in_transaction() -> object:
            async with db.transaction() as conn:
                return await repo.get_app_any_project(conn, app.id)

        async def api_key_then_get() -> object:  # what GET /oauth-apps/{id} does: two transactions
            async with db.transaction() as conn:
                await tenancy_repo.find_api_key(conn, key_hash)
            return await oauth_app_service.get(db, owner, app.id)

        async def mint() -> object:
            return issuer.mint(kind=TokenKind.ADMIN, subject=app.id, project_id=app.project_id, client_id=app.id, lifetime=14400)

        await cpu_per_op("Database.transaction() + get_app_any_project (token endpoint's client lookup)", lookup_in_transaction, total)
        await cpu_per_op("find_api_key tx + oauth_apps.get tx (get-OAuth-app's two transactions)", api_key_then_get, total)
        await cpu_per_op("TokenIssuer.mint (joserfc ES256 JWT)", mint, total)

        if url.startswith("sqlite"):
            raw = sqlite3.connect(url[len("sqlite:///") :], isolation_level=None, check_same_thread=False)
            raw.execute("PRAGMA journal_mode=WAL")

            async def raw_lookup() -> object:
                return raw.execute("SELECT * FROM oauth_apps WHERE id = ?", (app.id,)).fetchone()

            async def raw_lookup_immediate() -> object:
                raw.execute("BEGIN IMMEDIATE")
                row = raw.execute("SELECT * FROM oauth_apps WHERE id = ?", (app.id,)).fetchone()
                raw.execute("COMMIT")
                return row

            await cpu_per_op("raw sqlite3 inline: SELECT by primary key (no explicit transaction)", raw_lookup, total)
            await cpu_per_op("raw sqlite3 inline: BEGIN IMMEDIATE + SELECT + COMMIT", raw_lookup_immediate, total)
            raw.close()
        else:
            import asyncpg

            pool = await asyncpg.create_pool(url, min_size=4, max_size=16)

            async def pg_lookup() -> object:
                return await pool.fetchrow("SELECT * FROM oauth_apps WHERE id = $1", app.id)

            await cpu_per_op("raw asyncpg pool.fetchrow (client CPU only; PostgreSQL's own CPU not counted)", pg_lookup, total)
            await pool.close()

        cache: dict[str, object] = {app.id: app}

        async def cached() -> object:
            return cache.get(app.id)

        await cpu_per_op("in-process dict lookup (a client cache hit)", cached, total)

        with tempfile.NamedTemporaryFile("w", suffix=".log") as sink:
            logger = logging.getLogger("micro.access")
            logger.propagate = False
            handler = logging.StreamHandler(sink)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)

            async def log_line() -> object:
                logger.info("%s %s %s %.1fms request_id=%s", "POST", "/oauth2/token", 200, 1.234, uuid.uuid4().hex)
                return None

            await cpu_per_op("one access-log line (logging.info to a stream, as RequestContextMiddleware does)", log_line, total)
            logger.removeHandler(handler)

        async def sha() -> object:
            return credentials.secret_matches("oas_" + "x" * 43, hashlib.sha256(b"y").hexdigest())

        await cpu_per_op("client secret check (SHA-256 + compare_digest)", sha, total)
    finally:
        await db.close()


async def main() -> None:
    total = int(os.environ.get("BENCH_MICRO_OPS", "6400"))
    with tempfile.TemporaryDirectory(prefix="oauthapps-micro-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'micro.db'}"
        await asyncio.to_thread(upgrade, url)  # migrations run their own event loop
        await run(url, total)
    if os.environ.get("BENCH_MICRO_PG"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from run import _pg_exec

        admin = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test")
        name = f"oauthapps_micro_{uuid.uuid4().hex[:10]}"
        await _pg_exec(admin, f'CREATE DATABASE "{name}"')
        try:
            url = f"{admin.rsplit('/', 1)[0]}/{name}"
            await asyncio.to_thread(upgrade, url)
            await run(url, total)
        finally:
            await _pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    uvloop.run(main())
