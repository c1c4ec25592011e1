"""The query endpoint's fast path (store/oauth_app_page.query_page) on a real SQLite file and a real
PostgreSQL database: rows turned into wire JSON straight from SQL must equal to_wire of the entity,
the count is bounded (tooManyToCount past COUNT_CAP), and every sort is served by an index."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from alembic import command
from sqlalchemy import insert, text

from oauthapps.domain.oauth_app import OAuthApp, iso, to_wire
from oauthapps.domain.query import Sort
from oauthapps.domain.scopes import OAUTH_APP_READ
from oauthapps.services import oauth_apps as service
from oauthapps.services.actor import Actor, ActorKind
from oauthapps.store import oauth_app_page as page_repo
from oauthapps.store import oauth_apps as repo
from oauthapps.store.database import Database
from oauthapps.store.migrate import alembic_config, upgrade
from oauthapps.store.schema import oauth_apps, projects

from ..support.oauth_apps import BASE
from ..support.servers import Server, fresh_database, seeded_database
from ..support.tenants import Tenant, new_tenant, run_db

P1, P2, BIG = "project-1", "project-2", "project-big"
T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _app(app_id: str, project_id: str, name: str, minutes: int, **fields: Any) -> OAuthApp:
    created = T0 + timedelta(minutes=minutes)
    return OAuthApp(id=app_id, project_id=project_id, name=name, created_at=created, updated_at=fields.pop("updated_at", created), **fields)


APPS = [
    _app("a1", P1, "Shop", 1),
    _app(
        "a2",
        P1,
        "shop",
        2,
        description='Ünïcode ✓ "quoted"',
        login_url="https://a.example.com/in",
        logout_url="https://a.example.com/out",
        redirect_url_wix_pages="https://a.example.com/p",
        allowed_redirect_uris=["https://a.example.com/cb", "http://localhost:3000/cb"],
        allowed_redirect_domains=["a.example.com", "ü.example.com"],
        allow_secret_generation=True,
        application_type="MOBILE",
        technology="IOS",
        refresh_token_rotation=True,
        wix_pages_domains_mappings=[{"origin": "o.example.com", "destination": "d.example.com"}],
        updated_at=T0 + timedelta(days=3, microseconds=999_999),
        secret_hash="h" * 64,
    ),
    _app("a3", P1, "Same", 3),
    _app("a4", P1, "Same", 3),  # same name and instant as a3: the id breaks the tie
    _app("a5", P1, "École", 4),
    _app("b1", P2, "Shop", 1),
]


async def _seed(url: str) -> None:
    db = Database.open(url)
    try:
        async with db.transaction() as conn:
            for pid in (P1, P2, BIG):
                await conn.execute(projects.insert().values(id=pid, name=pid, created_at=T0))
            for app in APPS:
                await repo.insert_app(conn, app)
            big = [_app(f"big-{i:04d}", BIG, f"Big {i % 7}", i % 50) for i in range(page_repo.COUNT_CAP + 3)]
            await conn.execute(insert(oauth_apps), [repo._to_values(a) for a in big])
    finally:
        await db.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_database(request.param, tmp_path_factory.mktemp(f"query-page-{request.param}"), _seed) as url:
        yield url


def _both(url: str, raw: Any, project: str = P1) -> tuple[page_repo.Page, list[dict[str, Any]], int]:
    """The API's path (service.query_page) and the entities' path (service.query), for comparison."""
    actor = Actor(project, frozenset({OAUTH_APP_READ}), ActorKind.API_KEY, "test")

    async def main() -> tuple[page_repo.Page, list[dict[str, Any]], int]:
        db = Database.open(url)
        try:
            page, _ = await service.query_page(db, actor, raw)
            apps, total, _ = await service.query(db, actor, raw)
            return page, [to_wire(a) for a in apps], total
        finally:
            await db.close()

    return asyncio.run(main())


def _json(items: list[dict[str, Any]]) -> Any:
    """What the client receives (the fast path embeds stored JSON text as orjson fragments)."""
    return orjson.loads(orjson.dumps(items))


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"sort": [{"fieldName": "createdDate", "order": "DESC"}]},
        {"sort": [{"fieldName": "createdDate"}], "paging": {"limit": 2, "offset": 1}},
        {"sort": [{"fieldName": "name", "order": "DESC"}], "paging": {"limit": 3}},
        {"filter": {"name": {"$startsWith": "sh"}}, "sort": [{"fieldName": "name"}]},
        {"filter": {"$or": [{"name": "Same"}, {"id": "a2"}]}, "paging": {"limit": 1, "offset": 2}},
        {"filter": {"createdDate": {"$gte": iso(T0 + timedelta(minutes=3))}}},
        {"paging": {"offset": 10}},
        {"filter": {"name": "Same"}, "paging": {"offset": 10}},
        {"paging": {"limit": 0}},
        {"filter": {"name": {"$in": []}}},
    ],
    ids=repr,
)
def test_wire_rows_equal_the_entity_path(db_url: str, raw: Any) -> None:
    page, expected, total = _both(db_url, raw)
    assert _json(page.items) == expected
    assert (page.total, page.too_many) == (total, False)


def test_other_projects_never_show(db_url: str) -> None:
    page, _, _ = _both(db_url, {"paging": {"limit": 100}}, project=P2)
    assert [a["id"] for a in page.items] == ["b1"] and page.total == 1
    page, _, _ = _both(db_url, {}, project="no-such-project")
    assert (page.items, page.total, page.too_many) == ([], 0, False)


def test_count_stops_past_the_cap(db_url: str) -> None:
    cap, size = page_repo.COUNT_CAP, page_repo.COUNT_CAP + 3
    first, _, exact = _both(db_url, {"sort": [{"fieldName": "createdDate", "order": "DESC"}]}, project=BIG)
    assert exact == size and len(first.items) == 50
    assert first.too_many and cap < first.total <= size  # a lower bound, never more than there are
    # The last page knows where the set ends, however far that is.
    last, _, _ = _both(db_url, {"paging": {"limit": 50, "offset": size - 2}}, project=BIG)
    assert (len(last.items), last.total, last.too_many) == (2, size, False)
    # A full page that ends past the cap: its end is a better lower bound than the count.
    deep, _, _ = _both(db_url, {"paging": {"limit": 2, "offset": cap}}, project=BIG)
    assert deep.too_many and deep.total == cap + 2
    # Nothing on the page to carry the count: counted separately, still bounded.
    past, _, _ = _both(db_url, {"paging": {"offset": 10 * size}}, project=BIG)
    assert past.items == [] and past.too_many and past.total == cap + 1
    none, _, _ = _both(db_url, {"paging": {"limit": 0}}, project=BIG)
    assert none.too_many
    filtered, _, _ = _both(db_url, {"filter": {"name": "Big 3"}}, project=BIG)
    assert (filtered.total, filtered.too_many) == (len([i for i in range(size) if i % 7 == 3]), False)


# --- indexes ---------------------------------------------------------------------------------------

SORTS = {
    "createdDate DESC": (Sort("createdDate", True), Sort("id", True)),
    "createdDate ASC": (Sort("createdDate", False), Sort("id", False)),
    "name ASC": (Sort("name", False), Sort("id", False)),
    "id DESC (default)": (Sort("id", True),),
}


def _plan(url: str, sort: tuple[Sort, ...]) -> str:
    """The plan of the page statement for ``sort``, with every way but an index scan disabled on
    PostgreSQL (its tiny test table would otherwise be read whole): no Sort step means the rows come
    in index order and the page stops after LIMIT rows."""

    async def main() -> str:
        db = Database.open(url)
        try:
            async with db.engine.connect() as conn:
                sql = page_repo._unfiltered_sql(conn.dialect, sort)
                args = sql.args({"project_id": P1, "limit": 50, "offset": 0})
                driver = (await conn.get_raw_connection()).driver_connection
                if db.dialect == "postgresql":
                    await driver.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
                    try:
                        return "\n".join(r[0] for r in await driver.fetch("EXPLAIN " + sql.text, *args))
                    finally:
                        await driver.execute("RESET enable_seqscan; RESET enable_bitmapscan")
                rows = await driver.execute_fetchall("EXPLAIN QUERY PLAN " + sql.text, args)
                return "\n".join(str(r[-1]) for r in rows)
        finally:
            await db.close()

    return asyncio.run(main())


@pytest.mark.parametrize("sort", SORTS.values(), ids=SORTS.keys())
def test_every_sort_reads_an_index_in_order(db_url: str, sort: tuple[Sort, ...]) -> None:
    plan = _plan(db_url, sort)
    assert "ix_oauth_apps_project_" in plan, plan
    if db_url.startswith("postgresql"):
        assert "Sort" not in plan, plan
    else:
        assert "TEMP B-TREE" not in plan, plan


def test_the_migration_goes_down_and_up(tmp_path_factory: pytest.TempPathFactory) -> None:
    for kind in ("sqlite", "postgresql"):
        with fresh_database(kind, tmp_path_factory.mktemp(f"migrate-{kind}")) as url:
            upgrade(url)
            command.downgrade(alembic_config(url), "0004")
            assert _indexes(url) == {"ix_oauth_apps_project_created", "ix_oauth_apps_project_name"}
            upgrade(url)
            assert _indexes(url) == {
                "ix_oauth_apps_project_created_id",
                "ix_oauth_apps_project_name_id",
                "ix_oauth_apps_project_id_id",
            }


def _indexes(url: str) -> set[str]:
    async def main() -> set[str]:
        db = Database.open(url)
        try:
            async with db.read() as conn:
                if db.dialect == "postgresql":
                    sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'oauth_apps' AND indexname LIKE 'ix_%'"
                else:
                    sql = "SELECT name FROM sqlite_master WHERE tbl_name = 'oauth_apps' AND name LIKE 'ix_%'"
                return {r[0] for r in await conn.execute(text(sql))}
        finally:
            await db.close()

    return asyncio.run(main())


# --- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded(server: Server) -> Iterator[Tenant]:
    """A project with more apps than the count reads, written straight to the database."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        owner = new_tenant(client, server.database_url, name="Crowded project")

    async def fill(db: Database) -> None:
        apps = [_app(f"crowd-{i:04d}-{owner.project_id}", owner.project_id, f"Crowd {i}", i) for i in range(page_repo.COUNT_CAP + 1)]
        async with db.transaction() as conn:
            await conn.execute(insert(oauth_apps), [repo._to_values(a) for a in apps])

    run_db(server.database_url, fill)
    yield owner


def test_too_many_to_count_over_http(http: httpx.Client, crowded: Tenant) -> None:
    size = page_repo.COUNT_CAP + 1
    q = {"query": {"sort": [{"fieldName": "createdDate", "order": "DESC"}]}}
    first = http.post(f"{BASE}/query", headers=crowded.app_headers, json=q)
    assert first.status_code == 200, first.text
    meta = first.json()["pagingMetadata"]
    assert meta["count"] == 50 and meta["offset"] == 0 and meta["tooManyToCount"] is True
    assert page_repo.COUNT_CAP < meta["total"] <= size
    assert [a["name"] for a in first.json()["oAuthApps"]][:2] == [f"Crowd {size - 1}", f"Crowd {size - 2}"]
    q["query"]["paging"] = {"limit": 50, "offset": size - 1}
    last = http.post(f"{BASE}/query", headers=crowded.app_headers, json=q).json()["pagingMetadata"]
    assert last == {"count": 1, "offset": size - 1, "total": size, "tooManyToCount": False}
