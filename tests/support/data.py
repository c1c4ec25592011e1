"""The Data API over real HTTP: collections made by the project owner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from .members import member_tokens
from .oauth2 import new_client, visitor_tokens
from .tenants import Tenant

ITEMS = "/wix-data/v2/items"
COLLECTIONS = "/wix-data/v2/collections"


def create_collection(http: httpx.Client, tenant: Tenant, **permissions: str) -> str:
    """A new collection of the tenant's project (with the default permissions unless given); its id."""
    name = f"Products{uuid.uuid4().hex[:8]}"
    response = http.post(COLLECTIONS, headers=tenant.key_headers, json={"collection": {"id": name, "permissions": permissions or None}})
    assert response.status_code == 200, response.text
    return name


BULK = "/wix-data/v2/bulk/items"


@dataclass
class DataCallers:
    """The callers of one project's data: the owner (admin), a visitor, and two members ("author"
    is the one whose items a test writes as hers; "other" is another member)."""

    admin: dict[str, str]
    visitor: dict[str, str]
    author: dict[str, str]
    other: dict[str, str]


def data_callers(http: httpx.Client, tenant: Tenant) -> DataCallers:
    client = new_client(http, tenant, name="Site")
    suffix = uuid.uuid4().hex[:8]
    author = member_tokens(http, client, f"author-{suffix}@example.com", "password-a-123")
    other = member_tokens(http, client, f"other-{suffix}@example.com", "password-b-123")
    visitor = visitor_tokens(http, client.id)
    return DataCallers(
        admin=tenant.key_headers,
        visitor={"Authorization": str(visitor["access_token"])},
        author={"Authorization": str(author["access_token"])},
        other={"Authorization": str(other["access_token"])},
    )


def call(http: httpx.Client, headers: dict[str, str], path: str, body: dict[str, Any]) -> httpx.Response:
    """POST a data API body; ``path`` is under /wix-data/v2 (``items/save``, ``bulk/items/insert``)."""
    return http.post(f"/wix-data/v2/{path}", headers=headers, json=body)


def violation(response: httpx.Response) -> dict[str, Any]:
    """The one field violation of a 400."""
    assert response.status_code == 400, response.text
    violations = response.json()["details"]["validationError"]["fieldViolations"]
    assert len(violations) >= 1
    return dict(violations[0])
