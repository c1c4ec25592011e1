"""Server render time of the console's pages in a big project (issue 14's bar: 50 ms per page).

Seeds one project with 10,000 OAuth apps, 100,000 members and 10,000 audit entries by bulk SQL,
starts ``oauthapps serve`` on it, signs an owner in and fetches each page of PAGES N times. The
time is the server's own (the access log's ms for each response's request id), not the client's.
Runs on SQLite and PostgreSQL (BENCH_DATABASES=sqlite,postgresql); prints median and p95 per
page and exits 1 if a median is over the bar. Not part of ``make test``: ``make bench-console``.

To add a page (members, data, installed apps, keys), add a line to PAGES: its name and a path
template with {project} (and {app}: an OAuth app's id)."""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from oauthapps.domain.audit_log import AuditAction
from oauthapps.domain.owners import OwnerRole
from oauthapps.services import owners as owner_service
from oauthapps.services import tenancy
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import members, oauth_app_audit, oauth_apps

PAGES = [
    ("apps list", "/console/p/{project}/apps"),
    ("apps list, page 200", "/console/p/{project}/apps?page=200"),
    ("apps search", "/console/p/{project}/apps?q=App%2009"),
    ("app page", "/console/p/{project}/apps/{app}"),
    ("new app form", "/console/p/{project}/apps/new"),
    ("audit trail", "/console/p/{project}/audit"),
    ("audit trail of one app", "/console/p/{project}/audit?oAuthAppId={app}"),
    ("audit trail, one day", "/console/p/{project}/audit?from=2026-01-02T00:00&to=2026-01-03T00:00"),
]
APPS, MEMBERS, AUDIT = 10_000, 100_000, 10_000
RUNS = int(os.environ.get("BENCH_CONSOLE_RUNS", "40"))
BAR_MS = 50.0
PASSWORD = "bench owner password"
PG_ADMIN = os.environ.get("OAUTHAPPS_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
KEY_ENV = {"OAUTHAPPS_KEY_ENCRYPTION_KEY": "YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoMDA="}


async def seed(url: str) -> tuple[str, str, str]:
    """The project, an owner's email and one app id."""
    db = Database.open(url)
    try:
        project = await tenancy.create_project(db, "Bench project")
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        await owner_service.create_owner(db, project.project_id, email, PASSWORD, OwnerRole.OWNER)
        now = datetime.now(UTC)
        app_ids = [str(uuid.uuid4()) for _ in range(APPS)]
        apps = [
            {
                "id": app_id,
                "project_id": project.project_id,
                "name": f"App {i:05d}",
                "description": "",
                "login_url": "",
                "logout_url": "",
                "allowed_redirect_uris": [f"https://app{i}.example.com/cb"],
                "allowed_redirect_domains": [f"app{i}.example.com"],
                "allow_secret_generation": False,
                "application_type": "WEB_APP",
                "technology": "REACT",
                "redirect_url_wix_pages": "",
                "wix_pages_domains_mappings": [],
                "refresh_token_rotation": False,
                "require_exact_redirect_uri": False,
                "secret_hash": "x" * 64,
                "created_at": now - timedelta(seconds=i),
                "updated_at": now,
            }
            for i, app_id in enumerate(app_ids)
        ]
        people = [
            {
                "id": uuid.uuid4().hex,
                "project_id": project.project_id,
                "email": f"m{i}@example.com",
                "password_hash": "x",
                "nickname": f"Member {i}",
                "created_at": now,
                "slug": f"m{i}",
                "updated_at": now,
            }
            for i in range(MEMBERS)
        ]
        start = datetime(2026, 1, 1, tzinfo=UTC)
        actions = list(AuditAction)
        trail = [
            {
                "project_id": project.project_id,
                "oauth_app_id": app_ids[i % 100],
                "action": actions[i % len(actions)].value,
                "actor_type": "api_key",
                "actor_id": "bench",
                "fields": ["name"],
                "request_id": None,
                "at": start + timedelta(minutes=i),
            }
            for i in range(AUDIT)
        ]
        async with db.transaction() as conn:
            for table, rows in ((oauth_apps, apps), (members, people), (oauth_app_audit, trail)):
                for at in range(0, len(rows), 5000):
                    await conn.execute(insert(table), rows[at : at + 5000])
        if db.dialect == "postgresql":
            # What autovacuum does soon after a bulk insert; without it the planner guesses from empty tables.
            async with db.engine.connect() as conn:
                autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("ANALYZE")
        return project.project_id, email, app_ids[0]
    finally:
        await db.close()


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def fresh_database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    name = f"oauthapps_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(kind: str) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        url = fresh_database(kind, tmp)
        upgrade(url)
        began = time.monotonic()
        project, email, app = asyncio.run(seed(url))
        print(f"{kind}: seeded {APPS} apps, {MEMBERS} members, {AUDIT} audit entries in {time.monotonic() - began:.1f} s", flush=True)
        port, log = free_port(), tmp / "server.log"
        env = {**os.environ, "OAUTHAPPS_DATA_DIR": str(tmp / "data"), **(KEY_ENV if kind == "postgresql" else {})}
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "oauthapps.cli", "serve", "--port", str(port), "--database", url],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            ids: dict[str, list[str]] = {}
            with httpx.Client(base_url=base, timeout=30) as http:
                page = http.get("/console/sign-in")
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                assert http.post("/console/sign-in", data={"csrf_token": csrf, "email": email, "password": PASSWORD}).status_code == 303
                for name, template in PAGES:
                    path = template.format(project=project, app=app)
                    for run in range(RUNS + 3):
                        response = http.get(path)
                        assert response.status_code == 200, (name, response.status_code)
                        if run >= 3:  # the first fetches warm the caches
                            ids.setdefault(name, []).append(response.headers["x-wix-request-id"])
            time.sleep(1.5)  # the access log is written in batches
        finally:
            server.terminate()
            server.wait(timeout=30)
            drop_database(url)
        server_ms = {m.group(2): float(m.group(1)) for m in re.finditer(r" ([0-9.]+)ms request_id=(\w+)", log.read_text())}
    results = {}
    for name, request_ids in ids.items():
        times = sorted(server_ms[r] for r in request_ids)
        results[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return results


def main() -> int:
    over = []
    for kind in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(","):
        results = measure(kind)
        print(f"\n{kind}: server time per page over {RUNS} requests")
        print(f"  {'page':<28} {'median ms':>10} {'p95 ms':>10}")
        for name, (median, p95) in results.items():
            flag = "  over the bar" if median > BAR_MS else ""
            print(f"  {name:<28} {median:>10.1f} {p95:>10.1f}{flag}")
            if median > BAR_MS:
                over.append(f"{kind} {name}")
    if over:
        print(f"\nover {BAR_MS} ms: {', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
