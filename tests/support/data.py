"""The Data API over real HTTP: collections made by the project owner."""

from __future__ import annotations

import uuid

import httpx

from .tenants import Tenant

ITEMS = "/wix-data/v2/items"
COLLECTIONS = "/wix-data/v2/collections"


def create_collection(http: httpx.Client, tenant: Tenant, **permissions: str) -> str:
    """A new collection of the tenant's project (with the default permissions unless given); its id."""
    name = f"Products{uuid.uuid4().hex[:8]}"
    response = http.post(COLLECTIONS, headers=tenant.key_headers, json={"collection": {"id": name, "permissions": permissions or None}})
    assert response.status_code == 200, response.text
    return name
