"""The audit-log API over real HTTP, and an audit trail seeded fast: rows written straight to the
table in one batch, as many as the tests page through."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert

from oauthapps.domain.audit_log import AuditAction
from oauthapps.store.database import Database
from oauthapps.store.schema import oauth_app_audit

from .tenants import run_db

ENTRIES = "/audit-log/v1/entries"
SEED_START = datetime(2026, 1, 1, tzinfo=UTC)
ACTIONS = list(AuditAction)


@dataclass(frozen=True)
class Seeded:
    """What ``seed_audit`` wrote: entry ``i`` is of ``app_ids[i % apps]``, by ``actor_ids[i % actors]``
    (an ``app`` actor), with ``ACTIONS[i % 5]``, at ``SEED_START + i // 2 seconds`` (two entries share
    each second, so the id breaks ties)."""

    count: int
    app_ids: list[str]
    actor_ids: list[str]

    def at(self, i: int) -> datetime:
        return SEED_START + timedelta(seconds=i // 2)

    def app(self, i: int) -> str:
        return self.app_ids[i % len(self.app_ids)]

    def actor(self, i: int) -> str:
        return self.actor_ids[i % len(self.actor_ids)]


def seed_audit(database_url: str, project_id: str, count: int, apps: int = 7, actors: int = 3) -> Seeded:
    seeded = Seeded(count, [str(uuid.uuid4()) for _ in range(apps)], [f"inst-{uuid.uuid4().hex[:8]}" for _ in range(actors)])
    rows: list[dict[str, Any]] = [
        {
            "project_id": project_id,
            "oauth_app_id": seeded.app(i),
            "action": ACTIONS[i % len(ACTIONS)].value,
            "actor_type": "app",
            "actor_id": seeded.actor(i),
            "fields": ["name"],
            "request_id": f"seed{i:028d}",
            "at": seeded.at(i),
        }
        for i in range(count)
    ]

    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(oauth_app_audit), rows[start : start + 5000])

    run_db(database_url, work)
    return seeded


def read_audit(http: httpx.Client, headers: dict[str, str], **params: Any) -> httpx.Response:
    return http.get(ENTRIES, headers=headers, params={k: v for k, v in params.items() if v is not None})


def read_all(http: httpx.Client, headers: dict[str, str], limit: int = 100, **filters: Any) -> list[dict[str, Any]]:
    """Every entry the filters match, page after page; asserts each page's metadata on the way."""
    entries: list[dict[str, Any]] = []
    response = read_audit(http, headers, limit=limit, **filters)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        meta = body["pagingMetadata"]
        assert meta["count"] == len(body["entries"]) <= limit
        entries.extend(body["entries"])
        if not meta["hasNext"]:
            assert "next" not in meta["cursors"]
            return entries
        assert meta["count"] == limit
        response = read_audit(http, headers, limit=limit, cursor=meta["cursors"]["next"])
