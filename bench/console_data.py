"""The console's items page on a collection of 100,000 items: server time per page, read from the
access log of a real server (one worker), on SQLite and PostgreSQL. A measurement, not a test:

    .venv/bin/python bench/console_data.py [sqlite|postgresql] [ITEMS]

Items are written straight into the database (after migrations) in batches; the pages are then
fetched by a signed-in owner, each 15 times, and the median and worst server times printed."""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert, text

from oauthapps.domain.owners import OwnerRole
from oauthapps.domain.roles import CallerRole
from oauthapps.services import data as data_service
from oauthapps.services import owners as owner_service
from oauthapps.services import tenancy
from oauthapps.services.callers import Caller
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import data_items
from tests.support.console import OWNER_PASSWORD, sign_in
from tests.support.servers import fresh_database, running_server
from tests.support.tenants import run_db

BATCH = 5_000
RUNS = 15
COLLECTION = "Products"
_LOG = re.compile(r" access GET (\S+) (\d+) ([\d.]+)ms ")


def load(database_url: str, items: int) -> str:
    async def work(db: Database) -> str:
        project = await tenancy.create_project(db, "Console data bench")
        await owner_service.create_owner(db, project.project_id, "bench@example.com", OWNER_PASSWORD, OwnerRole.OWNER)
        await data_service.create_collection(db, Caller(project.project_id, CallerRole.ADMIN, "bench"), COLLECTION, None)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for first in range(0, items, BATCH):
            rows: list[dict[str, Any]] = []
            for i in range(first, min(first + BATCH, items)):
                at = start + timedelta(seconds=i)
                data = {"title": f"Product {i:06d}", "price": i % 1000, "inStock": i % 3 == 0, "tags": ["a", "b"]}
                rows.append(
                    {
                        "project_id": project.project_id,
                        "collection_id": COLLECTION,
                        "id": f"p{i:06d}",
                        "data": data,
                        "owner_id": "bench",
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            async with db.transaction() as conn:
                await conn.execute(insert(data_items), rows)
        async with db.transaction() as conn:  # statistics, as autovacuum would gather them soon after
            await conn.execute(text("ANALYZE"))
        return project.project_id

    result: str = run_db(database_url, work)
    return result


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    items = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp, fresh_database(backend, Path(tmp)) as url:
        upgrade(url)
        project_id = load(url, items)
        base = f"/console/p/{project_id}/data/collections/{COLLECTION}"
        pages = {
            "first page (newest first)": (base, {}),
            "page 2": (base, {"page": "2"}),
            "page 400 (the last, offset 9,975)": (base, {"page": "400"}),
            "oldest first": (base, {"o": "asc"}),
            "filter title is (one match)": (base, {"f": "title", "m": "is", "v": "Product 054321"}),
            "filter title starts with (111 matches)": (base, {"f": "title", "m": "starts", "v": "Product 0123"}),
            "filter price is 7 (100 matches)": (base, {"f": "price", "m": "is_number", "v": "7"}),
            "filter _id is": (base, {"f": "_id", "m": "is", "v": "p054321"}),
            "sort by price": (base, {"s": "price", "o": "asc"}),
            "an item": (f"{base}/items/p054321", {}),
            "collections list": (f"/console/p/{project_id}/data", {}),
        }
        print(f"{backend}, {items:,} items; server ms per page over {RUNS} runs (median / max), from the access log:")
        with running_server(url, Path(tmp)) as server, httpx.Client(base_url=server.base_url, timeout=60) as http:
            assert sign_in(http, "bench@example.com").status_code == 303
            for name, (path, params) in pages.items():
                assert http.get(path, params=params).status_code == 200, name  # warm
                time.sleep(0.8)  # the access log is written every 0.5 s
                seen = len(server.log())
                for _ in range(RUNS):
                    http.get(path, params=params)
                time.sleep(0.8)
                ms = [float(m.group(3)) for m in _LOG.finditer(server.log()[seen:])]
                assert len(ms) == RUNS, (name, len(ms))
                print(f"  {name:42s} {statistics.median(ms):7.1f} {max(ms):7.1f}")


if __name__ == "__main__":
    main()
