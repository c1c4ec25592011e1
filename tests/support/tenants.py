"""Owner-side set-up done straight in the database, the way an operator would with the CLI: a
project, a platform app installed on it, and that app's access token from the running server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.services import tenancy
from oauthapps.store.database import Database


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


def new_tenant(http: httpx.Client, database_url: str, scopes: tuple[str, ...] = (OAUTH_APP_MANAGE,), name: str = "Test project") -> Tenant:
    """A new project with an app of these scopes installed on it; ``http`` is a client of a server
    on ``database_url``."""

    async def setup(db: Database) -> tuple[Any, Any, str]:
        project = await tenancy.create_project(db, name)
        app = await tenancy.create_app(db, f"App for {name}", list(scopes))
        return project, app, await tenancy.install(db, app.app_id, project.project_id)

    project, app, instance_id = run_db(database_url, setup)
    token = app_token(http, app.app_id, app.app_secret, instance_id)
    return Tenant(project.project_id, project.api_key, app.app_id, app.app_secret, instance_id, token)


def install_app(http: httpx.Client, database_url: str, project_id: str, scopes: tuple[str, ...], name: str) -> dict[str, str]:
    """Install one more platform app with these scopes on an existing project; return the
    Authorization header of its app token."""

    async def setup(db: Database) -> tuple[str, str, str]:
        app = await tenancy.create_app(db, name, list(scopes))
        return app.app_id, app.app_secret, await tenancy.install(db, app.app_id, project_id)

    app_id, secret, instance_id = run_db(database_url, setup)
    return {"Authorization": app_token(http, app_id, secret, instance_id)}
