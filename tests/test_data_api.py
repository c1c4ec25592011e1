"""Data items: CRUD wire shapes, queries translated to SQL on JSON fields (same answers on both
engines), validation and size limits; and the members API."""

from __future__ import annotations

import uuid

import httpx
import pytest

from .conftest import Tenant
from .headless import create_oauth_app, member_tokens, visitor_tokens

ITEMS = "/wix-data/v2/items"
CALLBACK = "http://localhost:3998/cb"


def _collection(http: httpx.Client, tenant: Tenant, **permissions: str) -> str:
    name = f"Products{uuid.uuid4().hex[:6]}"
    response = http.post("/wix-data/v2/collections", headers=tenant.key_headers, json={"collection": {"id": name, "permissions": permissions or None}})
    assert response.status_code == 200, response.text
    return name


def _query(http: httpx.Client, headers: dict[str, str], collection: str, query: dict[str, object]) -> httpx.Response:
    return http.post(f"{ITEMS}/query", headers=headers, json={"dataCollectionId": collection, "query": query})


@pytest.fixture
def catalogue(http: httpx.Client, tenant: Tenant) -> str:
    name = _collection(http, tenant)
    rows = [
        {"title": "Apple", "price": 3, "stock": True, "tag": "fruit"},
        {"title": "apricot", "price": 7.5, "stock": False, "tag": "fruit"},
        {"title": "Banana", "price": 2, "stock": True},
        {"title": "100% juice_box", "price": 12, "stock": True, "tag": "drink"},
        {"title": "Cherry", "price": 20, "stock": False, "tag": "fruit"},
    ]
    for row in rows:
        assert http.post(ITEMS, headers=tenant.key_headers, json={"dataCollectionId": name, "dataItem": {"data": row}}).status_code == 200
    return name


def test_insert_get_update_remove_wire_shapes(http: httpx.Client, tenant: Tenant) -> None:
    name = _collection(http, tenant)
    inserted = http.post(ITEMS, headers=tenant.key_headers, json={"dataCollectionId": name, "dataItem": {"id": "sku-1", "data": {"title": "Lamp", "_owner": "forged"}}})
    assert inserted.status_code == 200, inserted.text
    item = inserted.json()["dataItem"]
    assert item["id"] == "sku-1" and item["dataCollectionId"] == name
    assert item["data"]["_id"] == "sku-1" and item["data"]["_owner"] != "forged"
    assert item["data"]["_createdDate"]["$date"].endswith("Z")
    again = http.post(ITEMS, headers=tenant.key_headers, json={"dataCollectionId": name, "dataItem": {"id": "sku-1", "data": {}}})
    assert again.status_code == 409 and again.json()["details"]["applicationError"]["code"] == "WDE0074"
    got = http.get(f"{ITEMS}/sku-1", headers=tenant.key_headers, params={"dataCollectionId": name})
    assert got.json()["dataItem"]["data"]["title"] == "Lamp"
    replaced = http.put(f"{ITEMS}/sku-1", headers=tenant.key_headers, json={"dataCollectionId": name, "dataItem": {"data": {"name": "Desk lamp"}}})
    assert replaced.status_code == 200
    assert "title" not in replaced.json()["dataItem"]["data"], "update replaces the whole item, as in Wix Data"
    removed = http.delete(f"{ITEMS}/sku-1", headers=tenant.key_headers, params={"dataCollectionId": name})
    assert removed.status_code == 200 and removed.json()["dataItem"]["id"] == "sku-1"
    assert http.get(f"{ITEMS}/sku-1", headers=tenant.key_headers, params={"dataCollectionId": name}).status_code == 404


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"filter": {"tag": "fruit"}, "sort": [{"fieldName": "title", "order": "ASC"}]}, ["Apple", "Cherry", "apricot"]),
        ({"filter": {"price": {"$gt": 3}}, "sort": [{"fieldName": "price"}]}, ["apricot", "100% juice_box", "Cherry"]),
        ({"filter": {"price": {"$lte": 3}}, "sort": [{"fieldName": "price", "order": "DESC"}]}, ["Apple", "Banana"]),
        ({"filter": {"title": {"$startsWith": "ap"}}, "sort": [{"fieldName": "title"}]}, ["Apple", "apricot"]),
        ({"filter": {"title": {"$startsWith": "100%"}}}, ["100% juice_box"]),
        ({"filter": {"title": {"$startsWith": "1_0"}}}, []),
        ({"filter": {"stock": False}, "sort": [{"fieldName": "title"}]}, ["Cherry", "apricot"]),
        ({"filter": {"tag": {"$exists": False}}}, ["Banana"]),
        ({"filter": {"tag": {"$in": ["drink", "none"]}}}, ["100% juice_box"]),
        ({"filter": {"$or": [{"price": 2}, {"price": 20}]}, "sort": [{"fieldName": "price"}]}, ["Banana", "Cherry"]),
        ({"filter": {"$and": [{"tag": "fruit"}, {"price": {"$ne": 3}}]}, "sort": [{"fieldName": "price"}]}, ["apricot", "Cherry"]),
        ({"sort": [{"fieldName": "price", "order": "DESC"}], "paging": {"limit": 2, "offset": 1}}, ["100% juice_box", "apricot"]),
    ],
)
def test_queries_run_in_sql_on_json_fields(http: httpx.Client, tenant: Tenant, catalogue: str, query: dict[str, object], titles: list[str]) -> None:
    response = _query(http, tenant.key_headers, catalogue, query)
    assert response.status_code == 200, response.text
    assert [i["data"]["title"] for i in response.json()["dataItems"]] == titles


def test_paging_metadata(http: httpx.Client, tenant: Tenant, catalogue: str) -> None:
    page = _query(http, tenant.key_headers, catalogue, {"paging": {"limit": 2, "offset": 2}}).json()["pagingMetadata"]
    assert page == {"count": 2, "offset": 2, "total": 5, "tooManyToCount": False, "hasNext": True}
    last = _query(http, tenant.key_headers, catalogue, {"paging": {"limit": 2, "offset": 4}}).json()["pagingMetadata"]
    assert last["count"] == 1 and last["hasNext"] is False


@pytest.mark.parametrize(
    ("query", "field", "rule"),
    [
        ({"filter": {"price": {"$regex": "x"}}}, "query.filter.price.$regex", "UNKNOWN_OPERATOR"),
        ({"filter": {"bad-name": 1}}, "query.filter.bad-name", "UNKNOWN_FIELD"),
        ({"filter": {"price": {"$in": "x"}}}, "query.filter.price.$in", "TYPE"),
        ({"paging": {"limit": 101}}, "query.paging.limit", "OUT_OF_RANGE"),
        ({"filter": {"$nor": []}}, "query.filter.$nor", "UNKNOWN_OPERATOR"),
    ],
)
def test_query_errors_name_the_field(http: httpx.Client, tenant: Tenant, catalogue: str, query: dict[str, object], field: str, rule: str) -> None:
    response = _query(http, tenant.key_headers, catalogue, query)
    assert response.status_code == 400
    violation = response.json()["details"]["validationError"]["fieldViolations"][0]
    assert (violation["field"], violation["violatedRule"]) == (field, rule)


def test_item_validation_and_limits(http: httpx.Client, tenant: Tenant) -> None:
    name = _collection(http, tenant)
    cases = [
        ({"dataCollectionId": name, "dataItem": {"data": {"$bad": 1}}}, 400),
        ({"dataCollectionId": name, "dataItem": {"data": "text"}}, 400),
        ({"dataCollectionId": name, "dataItem": {"id": "has space", "data": {}}}, 400),
        ({"dataCollectionId": name}, 400),
        ({"dataCollectionId": "../etc", "dataItem": {"data": {}}}, 400),
        ({"dataCollectionId": "Missing", "dataItem": {"data": {}}}, 404),
        ({"dataCollectionId": name, "dataItem": {"data": {"blob": "x" * (500 * 1024)}}}, 400),
    ]
    for body, status in cases:
        response = http.post(ITEMS, headers=tenant.key_headers, json=body)
        assert response.status_code == status, (body.get("dataItem"), response.text[:200])
    assert _query(http, tenant.key_headers, name, {}).json()["pagingMetadata"]["total"] == 0


def test_collections_are_tenant_isolated(http: httpx.Client, make_tenant, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
    name = _collection(http, tenant)
    http.post(ITEMS, headers=tenant.key_headers, json={"dataCollectionId": name, "dataItem": {"id": "x1", "data": {"secret": 1}}})
    stranger = make_tenant()
    assert http.get(f"{ITEMS}/x1", headers=stranger.key_headers, params={"dataCollectionId": name}).status_code == 404
    assert _query(http, stranger.key_headers, name, {}).status_code == 404


def test_members_api_roles(http: httpx.Client, tenant: Tenant) -> None:
    app = create_oauth_app(http, tenant, allowedRedirectUris=[CALLBACK])
    email = f"m-{uuid.uuid4().hex[:8]}@example.com"
    member = member_tokens(http, str(app["id"]), CALLBACK, email, "member-password-1")
    me = http.get("/members/v1/members/my", headers={"Authorization": str(member["access_token"])})
    assert me.status_code == 200, me.text
    assert me.json()["member"]["loginEmail"] == email
    visitor = visitor_tokens(http, str(app["id"]))
    refused = http.get("/members/v1/members/my", headers={"Authorization": str(visitor["access_token"])})
    assert refused.status_code == 403
    assert refused.json()["details"]["applicationError"]["code"] == "MEMBER_TOKEN_REQUIRED"
    listed = http.get("/members/v1/members", headers=tenant.key_headers)
    assert [m["loginEmail"] for m in listed.json()["members"]] == [email]
    admin = http.post("/oauth2/token", json={"grant_type": "client_credentials", "client_id": app["id"], "client_secret": app["secret"]}).json()
    one = http.get(f"/members/v1/members/{me.json()['member']['id']}", headers={"Authorization": admin["access_token"]})
    assert one.status_code == 200 and one.json()["member"]["loginEmail"] == email
    assert http.get("/members/v1/members", headers={"Authorization": str(member["access_token"])}).status_code == 403
    assert http.get("/members/v1/members/my").status_code == 401
