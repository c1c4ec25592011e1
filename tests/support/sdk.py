"""Shared set-up for the SDK tests (test_sdk_sync.py, test_sdk_async.py): a site OAuth app and
collections made over raw HTTP (so fixtures do not depend on the code under test), a recorder
of token grants, the hosted login driven like a browser, and a server with 2-second tokens."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx
import pytest

from .conftest import Tenant
from .headless import BASE, form_fields
from .servers import Server, running_server

ORIGIN = "http://localhost:3777"
CALLBACK = f"{ORIGIN}/callback"
PASSWORD = "correct horse battery staple"
SHORT_TOKEN_SECONDS = 2


@dataclass
class Site:
    """A headless site's OAuth app: its client id (and the secret shown once at creation)."""

    client_id: str
    secret: str
    tenant: Tenant


def create_site(http: httpx.Client, tenant: Tenant) -> Site:
    body = {"name": "SDK site", "allowedRedirectUris": [CALLBACK], "allowedRedirectDomains": ["localhost:3777"]}
    response = http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": body})
    assert response.status_code == 200, response.text
    app = response.json()["oAuthApp"]
    return Site(app["id"], app["secret"], tenant)


def create_collection(http: httpx.Client, tenant: Tenant, **permissions: str) -> str:
    name = f"Sdk{uuid.uuid4().hex[:8]}"
    response = http.post(
        "/wix-data/v2/collections", headers=tenant.key_headers, json={"collection": {"id": name, "permissions": permissions or None}}
    )
    assert response.status_code == 200, response.text
    return name


def fill_catalogue(http: httpx.Client, tenant: Tenant, collection: str) -> None:
    rows = [
        {"title": "Apple", "price": 3, "stock": True, "tag": "fruit"},
        {"title": "apricot", "price": 7.5, "stock": False, "tag": "fruit"},
        {"title": "Banana", "price": 2, "stock": True},
        {"title": "Cherry", "price": 20, "stock": False, "tag": "fruit"},
        {"title": "Juice", "price": 12, "stock": True, "tag": "drink"},
    ]
    for row in rows:
        body = {"dataCollectionId": collection, "dataItem": {"data": row}}
        response = http.post("/wix-data/v2/items", headers=tenant.key_headers, json=body)
        assert response.status_code == 200, response.text


def fresh_email() -> str:
    return f"sdk-{uuid.uuid4().hex[:12]}@example.com"


@dataclass
class GrantRecorder:
    """httpx event hooks that note the grant type of every ``/oauth2/token`` request."""

    grants: list[str] = field(default_factory=list)

    def note(self, request: httpx.Request) -> None:
        if request.url.path == "/oauth2/token":
            body = json.loads(request.content)
            self.grants.append(body.get("grantType") or body.get("grant_type"))

    async def anote(self, request: httpx.Request) -> None:
        self.note(request)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(timeout=30, event_hooks={"request": [self.note]})

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=30, event_hooks={"request": [self.anote]})


def browser_login(browser: httpx.Client, auth_url: str, email: str, password: str = PASSWORD, action: str = "register") -> str:
    """What a person does in the browser: open the hosted login page, fill it in, submit. Returns
    the redirect's Location (the app's callback URL with code and state)."""
    page = browser.get(auth_url)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    fields.update({"email": email, "password": password, "action": action, "mode": action})
    landed = browser.post(urljoin(auth_url, "/oauth2/authorize"), data=fields)
    assert landed.status_code == 303, landed.text
    return landed.headers["location"]


@pytest.fixture(scope="module")
def short_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Same database as ``server``, but access tokens last 2 seconds."""
    env = {"OAUTHAPPS_ACCESS_TOKEN_SECONDS": str(SHORT_TOKEN_SECONDS)}
    with running_server(database_url, tmp_path_factory.mktemp("sdk-short"), extra_env=env) as srv:
        yield srv
