"""Bulk-loading OAuth apps straight into the database (after migrations, never through the API), for
the query scenarios: N apps spread evenly over 1,000 projects, app i in project i % 1000.

Rows are generated inside the database with one INSERT ... SELECT per size step (a recursive CTE
on SQLite, generate_series on PostgreSQL), so growing from 1k to 1M adds only the missing rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

PROJECTS = 1000
PROJECT_PREFIX = "b0000000-0000-4000-8000-"  # + 12 digits: UUID-shaped, computable in SQL
BASE_MICROS = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000

_COLUMNS = (
    "id, project_id, name, description, login_url, logout_url, allowed_redirect_uris, allowed_redirect_domains, "
    "allow_secret_generation, application_type, technology, redirect_url_wix_pages, wix_pages_domains_mappings, "
    "refresh_token_rotation, secret_hash, previous_secret_hash, previous_secret_expires_at, created_at, updated_at"
)

SQLITE_APPS = f"""
WITH RECURSIVE s(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?),
r AS MATERIALIZED (SELECT i, lower(hex(randomblob(16))) AS h FROM s)
INSERT INTO oauth_apps ({_COLUMNS})
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12),
       '{PROJECT_PREFIX}' || printf('%012d', i % {PROJECTS}),
       'Bench app ' || i, '', '', '',
       '["https://site-' || i || '.example.com/callback"]', '["site-' || i || '.example.com"]',
       0, 'WEB_APP', 'REACT', '', '[]', 0, h || h, NULL, NULL, ? + i * 1000, ? + i * 1000
FROM r
"""

PG_APPS = f"""
INSERT INTO oauth_apps ({_COLUMNS})
SELECT gen_random_uuid()::text,
       '{PROJECT_PREFIX}' || lpad((i % {PROJECTS})::text, 12, '0'),
       'Bench app ' || i, '', '', '',
       ('["https://site-' || i || '.example.com/callback"]')::json, ('["site-' || i || '.example.com"]')::json,
       false, 'WEB_APP', 'REACT', '', '[]'::json, false, md5(i::text) || md5((i + 1)::text), NULL, NULL,
       $3::bigint + i * 1000, $3::bigint + i * 1000
FROM generate_series($1::bigint, $2::bigint - 1) AS i
"""


def project_id(i: int) -> str:
    return f"{PROJECT_PREFIX}{i:012d}"


@dataclass(frozen=True)
class QueryTenant:
    project_id: str
    api_key: str


def _tenant_rows(with_keys: int) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, str, str, int]], list[QueryTenant]]:
    now = int(time.time() * 1_000_000)
    projects = [(project_id(i), f"Bench project {i}", now) for i in range(PROJECTS)]
    tenants = [QueryTenant(project_id(i), "oak_" + secrets.token_urlsafe(32)) for i in range(with_keys)]
    keys = [(str(uuid.uuid4()), t.project_id, "bench", hashlib.sha256(t.api_key.encode()).hexdigest(), now) for t in tenants]
    return projects, keys, tenants


class Loader:
    """Grows the oauth_apps table of one database step by step."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        self.rows = 0

    # Projects and API keys (the query callers), once.
    def prepare(self, with_keys: int) -> list[QueryTenant]:
        projects, keys, tenants = _tenant_rows(with_keys)
        if self.kind == "sqlite":
            with self._sqlite() as db:
                db.executemany("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)", projects)
                db.executemany("INSERT INTO api_keys (id, project_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)", keys)
        else:

            async def work() -> None:
                conn = await self._pg()
                try:
                    async with conn.transaction():
                        await conn.executemany("INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)", projects)
                        await conn.executemany(
                            "INSERT INTO api_keys (id, project_id, name, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)", keys
                        )
                finally:
                    await conn.close()

            asyncio.run(work())
        return tenants

    def grow_to(self, total: int) -> float:
        """Insert rows [current, total); returns seconds taken (including PostgreSQL's ANALYZE)."""
        if total <= self.rows:
            return 0.0
        started = time.monotonic()
        if self.kind == "sqlite":
            with self._sqlite() as db:
                db.execute(SQLITE_APPS, (self.rows, total, BASE_MICROS, BASE_MICROS))
            checkpoint = sqlite3.connect(self._sqlite_path(), timeout=60)
            try:
                checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                checkpoint.close()
        else:

            async def work() -> None:
                conn = await self._pg()
                try:
                    await conn.execute(PG_APPS, self.rows, total, BASE_MICROS)
                    # What autovacuum does shortly after a bulk load anyway (since PostgreSQL 13 it
                    # vacuums insert-only tables too): done now so the measurement does not depend
                    # on when it wakes up. VACUUM sets the visibility map that index-only scans
                    # (the bounded count) rely on.
                    await conn.execute("VACUUM (ANALYZE) oauth_apps")
                finally:
                    await conn.close()

            asyncio.run(work())
        self.rows = total
        return time.monotonic() - started

    def count(self) -> int:
        if self.kind == "sqlite":
            with self._sqlite() as db:
                return int(db.execute("SELECT count(*) FROM oauth_apps").fetchone()[0])

        async def work() -> int:
            conn = await self._pg()
            try:
                return int(await conn.fetchval("SELECT count(*) FROM oauth_apps"))
            finally:
                await conn.close()

        return asyncio.run(work())

    def _sqlite_path(self) -> str:
        return self.url[len("sqlite:///") :]

    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed on success; the connection is closed either way."""
        db = sqlite3.connect(self._sqlite_path(), timeout=60)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        finally:
            db.close()

    async def _pg(self):  # type: ignore[no-untyped-def]
        import asyncpg

        return await asyncpg.connect(self.url, timeout=10)
