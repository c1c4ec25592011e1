"""The Idempotency-Key header on OAuth app creation and data item inserts (docs/wire-protocol.md):
a retry with the same key and body gets the first answer (marked Idempotent-Replayed) and writes
nothing; another body with the key is refused; keys belong to one caller in one project; a
malformed key is a validation error; an expired key is forgotten. Concurrent requests with one
key create one app. Both engines."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from oauthapps.store.database import Database
from oauthapps.store.schema import idempotency_keys

from ..support.oauth2 import visitor_tokens
from ..support.oauth_apps import BASE, assert_app_error, assert_violation, create, secret_works
from ..support.servers import Server
from ..support.tenants import Tenant, run_db

ITEMS = "/wix-data/v2/items"


def _key() -> str:
    return f"key-{uuid.uuid4()}"


def _names(http: httpx.Client, tenant: Tenant, name: str) -> list[str]:
    response = http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {"filter": {"name": name}}})
    assert response.status_code == 200, response.text
    return [app["id"] for app in response.json()["oAuthApps"]]


def _collection(http: httpx.Client, tenant: Tenant) -> str:
    name = f"Keyed{uuid.uuid4().hex[:6]}"
    response = http.post(
        "/wix-data/v2/collections",
        headers=tenant.key_headers,
        json={"collection": {"id": name, "permissions": {"insert": "ANYONE", "read": "ANYONE"}}},
    )
    assert response.status_code == 200, response.text
    return name


def _count_items(http: httpx.Client, tenant: Tenant, collection: str, data_filter: dict[str, object]) -> int:
    response = http.post(f"{ITEMS}/count", headers=tenant.key_headers, json={"dataCollectionId": collection, "filter": data_filter})
    assert response.status_code == 200, response.text
    return int(response.json()["totalCount"])


def test_a_retried_create_returns_the_first_app_without_its_secret(http: httpx.Client, tenant: Tenant) -> None:
    name, key = f"Retried {uuid.uuid4().hex[:8]}", _key()
    headers = {**tenant.app_headers, "Idempotency-Key": key}
    first = http.post(BASE, headers=headers, json={"oAuthApp": {"name": name, "description": "d"}})
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    app = first.json()["oAuthApp"]
    assert app["secret"]
    # The same body, its keys in another order: the same request.
    again = http.post(BASE, headers=headers, json={"oAuthApp": {"description": "d", "name": name}})
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    replayed = again.json()["oAuthApp"]
    assert "secret" not in replayed, "the secret is shown once, to the first answer only"
    assert replayed == {k: v for k, v in app.items() if k != "secret"}
    assert _names(http, tenant, name) == [app["id"]]
    assert secret_works(http, app["id"], app["secret"])


def test_the_same_key_with_another_body_is_refused(http: httpx.Client, tenant: Tenant) -> None:
    key = _key()
    headers = {**tenant.app_headers, "Idempotency-Key": key}
    assert http.post(BASE, headers=headers, json={"oAuthApp": {"name": "First body"}}).status_code == 200
    other = http.post(BASE, headers=headers, json={"oAuthApp": {"name": "Second body"}})
    assert_app_error(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert _names(http, tenant, "Second body") == []


def test_keys_belong_to_their_caller(http: httpx.Client, tenant: Tenant, make_tenant: Callable[..., Tenant]) -> None:
    """Another caller (an API key of the same project; another project) with the same key is a
    different request: it gets its own app."""
    key, name = _key(), f"Per caller {uuid.uuid4().hex[:8]}"
    body = {"oAuthApp": {"name": name}}
    by_app = http.post(BASE, headers={**tenant.app_headers, "Idempotency-Key": key}, json=body)
    by_owner = http.post(BASE, headers={**tenant.key_headers, "Idempotency-Key": key}, json=body)
    assert by_app.status_code == by_owner.status_code == 200
    assert "idempotent-replayed" not in by_owner.headers
    assert by_app.json()["oAuthApp"]["id"] != by_owner.json()["oAuthApp"]["id"]
    other = make_tenant(name="Another project")
    elsewhere = http.post(BASE, headers={**other.app_headers, "Idempotency-Key": key}, json=body)
    assert elsewhere.status_code == 200 and "idempotent-replayed" not in elsewhere.headers
    assert len(_names(http, tenant, name)) == 2 and len(_names(http, other, name)) == 1


def test_malformed_keys_are_validation_errors(http: httpx.Client, tenant: Tenant) -> None:
    name = f"Bad key {uuid.uuid4().hex[:8]}"
    # (Control characters never get this far: the HTTP server refuses them in any header.)
    for key in (b"", b"x" * 256, "\u00e9".encode(), "caf\u00e9".encode("latin-1")):
        response = http.post(BASE, headers={**tenant.app_headers, "Idempotency-Key": key}, json={"oAuthApp": {"name": name}})
        assert_violation(response, "Idempotency-Key", "FORMAT")
    assert _names(http, tenant, name) == []
    longest = http.post(BASE, headers={**tenant.app_headers, "Idempotency-Key": "~ " + "k" * 253}, json={"oAuthApp": {"name": name}})
    assert longest.status_code == 200, longest.text


def test_an_expired_key_is_forgotten(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    key, name = _key(), f"Expired {uuid.uuid4().hex[:8]}"
    headers = {**tenant.app_headers, "Idempotency-Key": key}
    first = http.post(BASE, headers=headers, json={"oAuthApp": {"name": name}})
    assert first.status_code == 200

    async def age(db: Database) -> None:
        async with db.transaction() as conn:
            yesterday = datetime.now(UTC) - timedelta(seconds=1)
            await conn.execute(update(idempotency_keys).where(idempotency_keys.c.idempotency_key == key).values(expires_at=yesterday))

    run_db(server.database_url, age)
    later = http.post(BASE, headers=headers, json={"oAuthApp": {"name": name}})
    assert later.status_code == 200 and "idempotent-replayed" not in later.headers
    assert later.json()["oAuthApp"]["id"] != first.json()["oAuthApp"]["id"]
    # ... and the new answer is the one kept now.
    again = http.post(BASE, headers=headers, json={"oAuthApp": {"name": name}})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["oAuthApp"]["id"] == later.json()["oAuthApp"]["id"]


def test_concurrent_requests_with_one_key_create_one_app(server: Server, tenant: Tenant) -> None:
    key, name = _key(), f"Concurrent {uuid.uuid4().hex[:8]}"

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            headers = {**tenant.app_headers, "Idempotency-Key": key}
            return await asyncio.gather(*(client.post(BASE, headers=headers, json={"oAuthApp": {"name": name}}) for _ in range(8)))

    responses = asyncio.run(burst())
    ids = set()
    for response in responses:
        # A request that lost the race while the winner was still writing may be told to retry.
        if response.status_code == 409:
            assert_app_error(response, 409, "IDEMPOTENCY_KEY_IN_USE")
            continue
        assert response.status_code == 200, response.text
        ids.add(response.json()["oAuthApp"]["id"])
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert _names(http, tenant, name) == list(ids) and len(ids) == 1
        assert sum("idempotent-replayed" not in r.headers for r in responses if r.status_code == 200) == 1


def test_a_retried_insert_returns_the_first_item(http: httpx.Client, tenant: Tenant) -> None:
    collection = _collection(http, tenant)
    marker = uuid.uuid4().hex
    headers = {**tenant.key_headers, "Idempotency-Key": _key()}
    body = {"dataCollectionId": collection, "dataItem": {"data": {"marker": marker}}}  # no id: the server makes one
    first = http.post(ITEMS, headers=headers, json=body)
    assert first.status_code == 200, first.text
    again = http.post(ITEMS, headers=headers, json=body)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert _count_items(http, tenant, collection, {"marker": marker}) == 1
    changed = http.post(ITEMS, headers=headers, json={**body, "dataItem": {"data": {"marker": "other"}}})
    assert_app_error(changed, 422, "IDEMPOTENCY_KEY_REUSED")


def test_a_retried_insert_with_an_id_is_replayed_not_a_conflict(http: httpx.Client, tenant: Tenant) -> None:
    collection = _collection(http, tenant)
    body = {"dataCollectionId": collection, "dataItem": {"id": "sku-9", "data": {"title": "Lamp"}}}
    headers = {**tenant.key_headers, "Idempotency-Key": _key()}
    assert http.post(ITEMS, headers=headers, json=body).status_code == 200
    assert http.post(ITEMS, headers=headers, json=body).headers["idempotent-replayed"] == "true"
    # Without the key, the same insert is the conflict it always was.
    assert_app_error(http.post(ITEMS, headers=tenant.key_headers, json=body), 409, "WDE0074")


def test_visitors_keys_are_their_own(http: httpx.Client, tenant: Tenant) -> None:
    """Two visitors of one site sending the same key each get their own item."""
    collection = _collection(http, tenant)
    client_id = create(http, tenant, name="Keyed site")["id"]
    key, marker = _key(), uuid.uuid4().hex
    body = {"dataCollectionId": collection, "dataItem": {"data": {"marker": marker}}}
    for _ in range(2):
        visitor = visitor_tokens(http, client_id)
        headers = {"Authorization": str(visitor["access_token"]), "Idempotency-Key": key}
        for attempt in range(2):
            response = http.post(ITEMS, headers=headers, json=body)
            assert response.status_code == 200, response.text
            assert ("idempotent-replayed" in response.headers) == (attempt == 1)
    assert _count_items(http, tenant, collection, {"marker": marker}) == 2


def test_a_refused_request_is_not_kept(http: httpx.Client, tenant: Tenant) -> None:
    """Only successes are stored: the retry of a refused insert runs again."""
    headers = {**tenant.key_headers, "Idempotency-Key": _key()}
    collection = f"Later{uuid.uuid4().hex[:6]}"
    body = {"dataCollectionId": collection, "dataItem": {"data": {"n": 1}}}
    assert_app_error(http.post(ITEMS, headers=headers, json=body), 404, "WDE0025")
    created = http.post("/wix-data/v2/collections", headers=tenant.key_headers, json={"collection": {"id": collection}})
    assert created.status_code == 200
    retried = http.post(ITEMS, headers=headers, json=body)
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
