"""Shared fixtures. Tests that take ``server`` run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.services import tenancy
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade

from .servers import Server, fresh_database, running_server


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(database_url, tmp_path_factory.mktemp("server")) as srv:
        yield srv


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


def run_db(database_url: str, work: Callable[[Database], Any]) -> Any:
    """Run one piece of service code against the server's database (owner-side set-up)."""

    async def main() -> Any:
        db = Database.open(database_url)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(main())


@dataclass
class Tenant:
    """A project with an owner API key and an installed app (with its access token)."""

    project_id: str
    api_key: str
    app_id: str
    app_secret: str
    instance_id: str
    token: str

    @property
    def app_headers(self) -> dict[str, str]:
        return {"Authorization": self.token}

    @property
    def key_headers(self) -> dict[str, str]:
        return {"Authorization": self.api_key, "wix-site-id": self.project_id}


def app_token(http: httpx.Client, app_id: str, app_secret: str, instance_id: str) -> str:
    response = http.post(
        "/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": app_id, "client_secret": app_secret, "instance_id": instance_id},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def make_tenant(server: Server, http: httpx.Client) -> Callable[..., Tenant]:
    def make(scopes: tuple[str, ...] = (OAUTH_APP_MANAGE,), name: str = "Test project") -> Tenant:
        async def setup(db: Database) -> tuple[Any, Any, str]:
            project = await tenancy.create_project(db, name)
            app = await tenancy.create_app(db, f"App for {name}", list(scopes))
            instance_id = await tenancy.install(db, app.app_id, project.project_id)
            return project, app, instance_id

        project, app, instance_id = run_db(server.database_url, setup)
        token = app_token(http, app.app_id, app.app_secret, instance_id)
        return Tenant(project.project_id, project.api_key, app.app_id, app.app_secret, instance_id, token)

    return make


@pytest.fixture
def tenant(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant()
