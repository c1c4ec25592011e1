"""Set-up for the SDK tests (tests/e2e/test_sdk_sync.py, test_sdk_async.py): a site OAuth app and
collections made over raw HTTP (so that set-up does not depend on the code under test), and a
recorder of token grants."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx

from .data import ITEMS
from .oauth_apps import create
from .tenants import Tenant

ORIGIN = "http://localhost:3777"
CALLBACK = f"{ORIGIN}/callback"
SHORT_TOKEN_SECONDS = 2


@dataclass
class Site:
    """A headless site's OAuth app: its client id (and the secret shown once at creation)."""

    client_id: str
    secret: str
    tenant: Tenant


def create_site(http: httpx.Client, tenant: Tenant) -> Site:
    app = create(http, tenant, name="SDK site", allowedRedirectUris=[CALLBACK], allowedRedirectDomains=["localhost:3777"])
    return Site(app["id"], app["secret"], tenant)


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
        response = http.post(ITEMS, headers=tenant.key_headers, json=body)
        assert response.status_code == 200, response.text


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
