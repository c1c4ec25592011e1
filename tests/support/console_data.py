"""The console's Data pages over plain HTTP: their addresses, the ids a page links to, and items
written through the REST data API (the path the console's changes must take as well)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from .console import ConsoleSession
from .data import ITEMS
from .tenants import Tenant

_ITEM_LINK = re.compile(r'/data/collections/[^/"]+/items/([A-Za-z0-9_-]+)"')


def data_path(console: ConsoleSession) -> str:
    return f"/console/p/{console.project_id}/data"


def collection_path(console: ConsoleSession, collection_id: str) -> str:
    return f"{data_path(console)}/collections/{collection_id}"


def item_path(console: ConsoleSession, collection_id: str, item_id: str) -> str:
    return f"{collection_path(console, collection_id)}/items/{item_id}"


def item_ids_of(html: str) -> list[str]:
    return list(dict.fromkeys(_ITEM_LINK.findall(html)))


def insert_item(http: httpx.Client, tenant: Tenant, collection_id: str, data: dict[str, Any], item_id: str | None = None) -> str:
    item: dict[str, Any] = {"data": data} | ({"id": item_id} if item_id else {})
    response = http.post(ITEMS, headers=tenant.key_headers, json={"dataCollectionId": collection_id, "dataItem": item})
    assert response.status_code == 200, response.text
    return str(response.json()["dataItem"]["id"])


def get_item(http: httpx.Client, tenant: Tenant, collection_id: str, item_id: str) -> dict[str, Any] | None:
    response = http.get(f"{ITEMS}/{item_id}", headers=tenant.key_headers, params={"dataCollectionId": collection_id})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["dataItem"]["data"]
    return data


def item_count(http: httpx.Client, tenant: Tenant, collection_id: str) -> int:
    response = http.post(f"{ITEMS}/count", headers=tenant.key_headers, json={"dataCollectionId": collection_id})
    assert response.status_code == 200, response.text
    return int(response.json()["totalCount"])


def collections(http: httpx.Client, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The project's collections as the REST API lists them, by id."""
    response = http.get("/wix-data/v2/collections", headers=tenant.key_headers)
    assert response.status_code == 200, response.text
    return {c["id"]: c for c in response.json()["collections"]}
