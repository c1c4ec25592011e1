"""Server time of the console's members page with 100,000 members in one project: the page's
service call (one statement) and its template render, on SQLite and PostgreSQL.

    .venv/bin/python bench/console_members.py [sqlite|postgresql://127.0.0.1/test]

Members are bulk-inserted straight into the store (no password hashing); a fresh project each run."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from oauthapps.console.forms import Form
from oauthapps.console.members import ORDER_LABELS
from oauthapps.domain.roles import CallerRole
from oauthapps.services import members as member_service
from oauthapps.services import tenancy
from oauthapps.services.callers import Caller
from oauthapps.store.database import Database
from oauthapps.store.member_page import MemberOrder
from oauthapps.store.migrate import upgrade_async
from oauthapps.store.schema import members, projects
from oauthapps.web import templates

MEMBERS = 100_000
PAGE = 25
ROUNDS = 30


async def seed(db: Database, project_id: str) -> None:
    names = ["ada", "lin", "Grace", "bob", "Zoe", "mika", "Olu", "ravi"]
    now = datetime(2026, 6, 1, tzinfo=UTC)
    batch = []
    for i in range(MEMBERS):
        member_id = str(uuid.uuid4())
        batch.append(
            {
                "id": member_id, "project_id": project_id, "email": f"{names[i % 8].lower()}{i:06d}@example.com",
                "password_hash": "x", "nickname": f"{names[i % 8]} {i:06d}", "created_at": now + timedelta(seconds=i), "updated_at": now,
                "status": "APPROVED", "slug": member_id, "first_name": "", "last_name": "", "picture_url": "", "email_verified": False,
            }
        )  # fmt: skip
        if len(batch) == 5000:
            async with db.transaction() as conn:
                await conn.execute(members.insert(), batch)
            batch = []


async def main(url: str) -> None:
    await upgrade_async(url)
    db = Database.open(url)
    try:
        project = await tenancy.create_project(db, "bench")
        started = time.perf_counter()
        await seed(db, project.project_id)
        print(f"seeded {MEMBERS} members in {time.perf_counter() - started:.1f} s")
        if db.engine.dialect.name == "postgresql":  # as autovacuum would after a bulk load
            async with db.engine.connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE members"))
        caller = Caller(project.project_id, CallerRole.ADMIN, "bench")
        template = templates.get_template("console/members.html")
        cases = [
            ("first page, by email", MemberOrder.EMAIL, "", 0),
            ("first page, by name", MemberOrder.NAME, "", 0),
            ("page 400, by email", MemberOrder.EMAIL, "", 399 * PAGE),
            ("last page (4000), by email", MemberOrder.EMAIL, "", 3999 * PAGE),
            ("prefix 'grace0', by email", MemberOrder.EMAIL, "grace0", 0),
            ("prefix 'zoe 09', by name", MemberOrder.NAME, "zoe 09", 0),
            ("prefix 'nobody'", MemberOrder.EMAIL, "nobody", 0),
        ]
        for label, order, prefix, offset in cases:
            times = []
            for _ in range(ROUNDS):
                t0 = time.perf_counter()
                page = await member_service.member_page(db, caller, order, prefix, PAGE, offset)
                template.render(members=page.members, total=page.total, too_many=page.too_many, search=Form({"q": prefix}), prefix=prefix,
                                order=order, order_labels=ORDER_LABELS, query={"by": order.value}, page_number=1, project=None)  # fmt: skip
                times.append((time.perf_counter() - t0) * 1000)
            print(
                f"{label:32s} median {statistics.median(times):6.2f} ms  max {max(times):6.2f} ms  ({len(page.members)} rows, total {page.total}{'+' if page.too_many else ''})"
            )
    finally:
        async with db.transaction() as conn:  # the bench project and its members go
            await conn.execute(projects.delete().where(projects.c.name == "bench"))
        await db.close()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    if target == "sqlite":
        target = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    asyncio.run(main(target))
