"""Data item writes beyond insert/update/remove: save, patch, truncate and the bulk calls, with
the per-item results Wix returns (one bad item fails only itself), on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ..support.data import ITEMS, DataCallers, call, create_collection, data_callers, violation
from ..support.servers import Server
from ..support.tenants import Tenant, new_tenant


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[tuple[httpx.Client, Tenant, DataCallers]]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        tenant = new_tenant(http, server.database_url, name="Writes project")
        yield http, tenant, data_callers(http, tenant)


def _get(http: httpx.Client, tenant: Tenant, collection: str, item_id: str) -> dict[str, Any] | None:
    response = http.get(f"{ITEMS}/{item_id}", headers=tenant.key_headers, params={"dataCollectionId": collection})
    return dict(response.json()["dataItem"]["data"]) if response.status_code == 200 else None


def _results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def test_save_inserts_then_replaces(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant)
    first = call(http, who.admin, "items/save", {"dataCollectionId": name, "dataItem": {"data": {"_id": "a1", "title": "One", "n": 1}}})
    assert first.status_code == 200, first.text
    assert first.json()["action"] == "INSERTED" and first.json()["dataItem"]["data"]["title"] == "One"
    again = call(http, who.admin, "items/save", {"dataCollectionId": name, "dataItem": {"id": "a1", "data": {"title": "Uno"}}})
    assert again.json()["action"] == "UPDATED"
    assert again.json()["dataItem"]["data"] == {**again.json()["dataItem"]["data"], "title": "Uno"}
    assert "n" not in again.json()["dataItem"]["data"], "save replaces the whole item"
    fresh = call(http, who.admin, "items/save", {"dataCollectionId": name, "dataItem": {"data": {"title": "New"}}})
    assert fresh.json()["action"] == "INSERTED" and len(fresh.json()["dataItem"]["id"]) == 32
    bad = call(http, who.admin, "items/save", {"dataCollectionId": name, "dataItem": {"id": "no spaces", "data": {}}})
    assert violation(bad)["field"] == "dataItem.id"


def test_save_permissions(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    """SITE_MEMBER insert, SITE_MEMBER_AUTHOR update: a visitor may not save at all; the author may
    replace her own item; another member may insert a new one but not replace hers."""
    http, tenant, who = world
    name = create_collection(http, tenant, read="ANYONE", insert="SITE_MEMBER", update="SITE_MEMBER_AUTHOR", remove="ADMIN")
    body = {"dataCollectionId": name, "dataItem": {"id": "hers", "data": {"v": 1}}}
    assert call(http, who.visitor, "items/save", body).status_code == 403
    assert call(http, who.author, "items/save", body).json()["action"] == "INSERTED"
    assert call(http, who.author, "items/save", {**body, "dataItem": {"id": "hers", "data": {"v": 2}}}).json()["action"] == "UPDATED"
    refused = call(http, who.other, "items/save", {**body, "dataItem": {"id": "hers", "data": {"v": 3}}})
    assert refused.status_code == 403 and refused.json()["details"]["applicationError"]["code"] == "WDE0027"
    assert (_get(http, tenant, name, "hers") or {})["v"] == 2
    assert call(http, who.other, "items/save", {**body, "dataItem": {"id": "his", "data": {"v": 1}}}).status_code == 200
    assert call(http, who.admin, "items/save", {**body, "dataItem": {"id": "hers", "data": {"v": 4}}}).status_code == 200


def _mod(action: str, path: str, value: Any = None) -> dict[str, Any]:
    options = {
        "SET_FIELD": "setFieldOptions",
        "INCREMENT_FIELD": "incrementFieldOptions",
        "APPEND_TO_ARRAY": "appendToArrayOptions",
        "REMOVE_FROM_ARRAY": "removeFromArrayOptions",
    }
    mod: dict[str, Any] = {"action": action, "fieldPath": path}
    if action in options:
        mod[options[action]] = {"value": value}
    return mod


def test_patch_field_modifications(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant)
    item = {"title": "Lamp", "stock": 3, "tags": ["a", "b", "a"], "dims": {"w": 1}, "gone": True}
    call(http, who.admin, "items", {"dataCollectionId": name, "dataItem": {"id": "p1", "data": item}})
    mods = [
        _mod("SET_FIELD", "title", "Desk lamp"),
        _mod("INCREMENT_FIELD", "stock", -1.5),
        _mod("APPEND_TO_ARRAY", "tags", "c"),
        _mod("REMOVE_FROM_ARRAY", "tags", "a"),
        _mod("SET_FIELD", "dims.h", 2),
        _mod("REMOVE_FIELD", "gone"),
        _mod("INCREMENT_FIELD", "views", 1),
    ]
    patched = call(http, who.admin, "items/patch", {"dataCollectionId": name, "patch": {"dataItemId": "p1", "fieldModifications": mods}})
    assert patched.status_code == 200, patched.text
    data = patched.json()["dataItem"]["data"]
    assert (data["title"], data["stock"], data["tags"], data["dims"], data["views"]) == ("Desk lamp", 1.5, ["b", "c"], {"w": 1, "h": 2}, 1)
    assert "gone" not in data and data == {**(_get(http, tenant, name, "p1") or {}), "_updatedDate": data["_updatedDate"]}


@pytest.mark.parametrize(
    ("mods", "field", "rule"),
    [
        ([_mod("SET_FIELD", "_owner", "me")], "patch.fieldModifications[0].fieldPath", "READ_ONLY"),
        ([_mod("INCREMENT_FIELD", "title", 1)], "patch.fieldModifications[0].fieldPath", "TYPE"),
        ([_mod("INCREMENT_FIELD", "stock", "1")], "patch.fieldModifications[0].incrementFieldOptions.value", "TYPE"),
        ([{"action": "MULTIPLY", "fieldPath": "stock"}], "patch.fieldModifications[0].action", "ENUM"),
        ([_mod("SET_FIELD", "a..b", 1)], "patch.fieldModifications[0].fieldPath", "FORMAT"),
        ([{"action": "SET_FIELD", "fieldPath": "title"}], "patch.fieldModifications[0].setFieldOptions.value", "REQUIRED"),
        ([], "patch.fieldModifications", "REQUIRED"),
        ([_mod("APPEND_TO_ARRAY", "title", 1)], "patch.fieldModifications[0].fieldPath", "TYPE"),
    ],
)
def test_patch_bad_input_names_the_field(
    world: tuple[httpx.Client, Tenant, DataCallers], mods: list[dict[str, Any]], field: str, rule: str
) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant)
    call(http, who.admin, "items", {"dataCollectionId": name, "dataItem": {"id": "p1", "data": {"title": "x", "stock": 1}}})
    response = call(http, who.admin, "items/patch", {"dataCollectionId": name, "patch": {"dataItemId": "p1", "fieldModifications": mods}})
    found = violation(response)
    assert (found["field"], found["violatedRule"]) == (field, rule)


def test_patch_permissions(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant, read="ANYONE", insert="SITE_MEMBER", update="SITE_MEMBER_AUTHOR")
    call(http, who.author, "items", {"dataCollectionId": name, "dataItem": {"id": "hers", "data": {"n": 1}}})
    body = {"dataCollectionId": name, "patch": {"dataItemId": "hers", "fieldModifications": [_mod("INCREMENT_FIELD", "n", 1)]}}
    assert call(http, who.visitor, "items/patch", body).status_code == 403
    assert call(http, who.other, "items/patch", body).status_code == 403
    assert call(http, who.author, "items/patch", body).json()["dataItem"]["data"]["n"] == 2
    assert call(http, who.admin, "items/patch", body).json()["dataItem"]["data"]["n"] == 3
    missing = call(http, who.admin, "items/patch", {**body, "patch": {**body["patch"], "dataItemId": "nope"}})
    assert missing.status_code == 404 and missing.json()["details"]["applicationError"]["code"] == "WDE0073"


def test_bulk_insert_one_bad_item_fails_only_itself(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant)
    call(http, who.admin, "items", {"dataCollectionId": name, "dataItem": {"id": "taken", "data": {}}})
    items = [
        {"data": {"title": "a"}},
        {"id": "bad id", "data": {"title": "b"}},
        {"id": "taken", "data": {"title": "c"}},
        {"data": {"_id": "d1", "title": "d", "bad-name": 1}},
        {"data": {"_id": "e1", "title": "e"}},
    ]
    response = call(http, who.admin, "bulk/items/insert", {"dataCollectionId": name, "dataItems": items, "returnEntity": True})
    results = _results(response)
    assert [r["itemMetadata"]["originalIndex"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["itemMetadata"]["success"] for r in results] == [True, False, False, False, True]
    assert all(r["action"] == "INSERT" for r in results)
    assert results[1]["itemMetadata"]["error"]["data"]["fieldViolations"][0]["field"] == "dataItems[1].id"
    assert results[2]["itemMetadata"]["error"]["code"] == "WDE0074" and results[2]["itemMetadata"]["id"] == "taken"
    assert results[3]["itemMetadata"]["error"]["data"]["fieldViolations"][0]["field"] == "dataItems[3].data.bad-name"
    assert results[4]["itemMetadata"]["id"] == "e1" and results[4]["dataItem"]["data"]["title"] == "e"
    assert response.json()["bulkActionMetadata"] == {"totalSuccesses": 2, "totalFailures": 3}
    assert (_get(http, tenant, name, "taken") or {}).get("title") is None
    count = call(http, who.admin, "items/count", {"dataCollectionId": name}).json()["totalCount"]
    assert count == 3


def test_bulk_update_save_remove_patch(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant)
    for i in range(3):
        call(http, who.admin, "items", {"dataCollectionId": name, "dataItem": {"id": f"i{i}", "data": {"n": i}}})
    updated = _results(
        call(
            http,
            who.admin,
            "bulk/items/update",
            {"dataCollectionId": name, "dataItems": [{"id": "i0", "data": {"n": 10}}, {"id": "missing", "data": {}}, {"data": {"n": 1}}]},
        )
    )
    assert [r["itemMetadata"]["success"] for r in updated] == [True, False, False]
    assert updated[1]["itemMetadata"]["error"]["code"] == "WDE0073" and "dataItem" not in updated[0]
    assert updated[2]["itemMetadata"]["error"]["data"]["fieldViolations"][0]["violatedRule"] == "REQUIRED"
    saved = _results(
        call(
            http,
            who.admin,
            "bulk/items/save",
            {"dataCollectionId": name, "dataItems": [{"id": "i1", "data": {"n": 11}}, {"id": "i9", "data": {"n": 9}}]},
        )
    )
    assert [(r["action"], r["itemMetadata"]["id"]) for r in saved] == [("UPDATE", "i1"), ("INSERT", "i9")]
    patched = _results(
        call(
            http,
            who.admin,
            "bulk/items/patch",
            {
                "dataCollectionId": name,
                "patches": [
                    {"dataItemId": "i2", "fieldModifications": [_mod("INCREMENT_FIELD", "n", 5)]},
                    {"dataItemId": "i2", "fieldModifications": [_mod("APPEND_TO_ARRAY", "n", 5)]},
                ],
            },
        )
    )
    assert [r["itemMetadata"]["success"] for r in patched] == [True, False] and patched[0]["action"] == "PATCH"
    removed = _results(
        call(http, who.admin, "bulk/items/remove", {"dataCollectionId": name, "dataItemIds": ["i0", "missing", "x y", "i9"]})
    )
    assert [r["itemMetadata"]["success"] for r in removed] == [True, False, False, True]
    assert removed[1]["itemMetadata"]["error"]["code"] == "WDE0073"
    values = {i: (_get(http, tenant, name, i) or {}).get("n") for i in ("i0", "i1", "i2", "i9")}
    assert values == {"i0": None, "i1": 11, "i2": 7, "i9": None}


def test_bulk_permissions_per_item(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    """A caller the collection refuses outright gets a 403 for the whole request; an author's
    bulk write fails only on the items that are not hers."""
    http, tenant, who = world
    name = create_collection(http, tenant, read="ANYONE", insert="SITE_MEMBER", update="SITE_MEMBER_AUTHOR", remove="SITE_MEMBER_AUTHOR")
    call(http, who.author, "items", {"dataCollectionId": name, "dataItem": {"id": "hers", "data": {"n": 1}}})
    call(http, who.other, "items", {"dataCollectionId": name, "dataItem": {"id": "his", "data": {"n": 1}}})
    items = {"dataCollectionId": name, "dataItems": [{"id": "hers", "data": {"n": 2}}, {"id": "his", "data": {"n": 2}}]}
    assert call(http, who.visitor, "bulk/items/update", items).status_code == 403
    assert call(http, who.visitor, "bulk/items/insert", items).status_code == 403
    results = _results(call(http, who.author, "bulk/items/update", items))
    assert [r["itemMetadata"]["success"] for r in results] == [True, False]
    assert results[1]["itemMetadata"]["error"]["code"] == "WDE0027"
    removed = _results(call(http, who.author, "bulk/items/remove", {"dataCollectionId": name, "dataItemIds": ["his", "hers"]}))
    assert [r["itemMetadata"]["success"] for r in removed] == [False, True]
    assert (_get(http, tenant, name, "his") or {})["n"] == 1
    assert _results(call(http, who.admin, "bulk/items/update", items))[1]["itemMetadata"]["success"] is True


@pytest.mark.parametrize(
    ("path", "body", "field", "rule"),
    [
        ("bulk/items/insert", {"dataItems": []}, "dataItems", "REQUIRED"),
        ("bulk/items/insert", {"dataItems": [{"data": {}}] * 1001}, "dataItems", "MAX_SIZE"),
        ("bulk/items/save", {"dataItems": "x"}, "dataItems", "REQUIRED"),
        ("bulk/items/remove", {"dataItemIds": None}, "dataItemIds", "REQUIRED"),
        ("bulk/items/patch", {"patches": {}}, "patches", "REQUIRED"),
        ("items/patch", {"patch": "x"}, "patch", "REQUIRED"),
        ("items/save", {"dataItem": None}, "dataItem", "REQUIRED"),
    ],
)
def test_bulk_bad_requests(world: tuple[httpx.Client, Tenant, DataCallers], path: str, body: dict[str, Any], field: str, rule: str) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant)
    found = violation(call(http, who.admin, path, {"dataCollectionId": name, **body}))
    assert (found["field"], found["violatedRule"]) == (field, rule)


def test_truncate_is_for_admins(world: tuple[httpx.Client, Tenant, DataCallers]) -> None:
    http, tenant, who = world
    name = create_collection(http, tenant, read="ANYONE", insert="ANYONE", update="ANYONE", remove="ANYONE")
    other = create_collection(http, tenant)
    call(http, who.admin, "bulk/items/insert", {"dataCollectionId": name, "dataItems": [{"data": {"n": i}} for i in range(5)]})
    call(http, who.admin, "items", {"dataCollectionId": other, "dataItem": {"data": {"n": 1}}})
    for caller in (who.visitor, who.author):
        refused = call(http, caller, "items/truncate", {"dataCollectionId": name})
        assert refused.status_code == 403 and refused.json()["details"]["applicationError"]["code"] == "WDE0027"
    assert call(http, who.admin, "items/truncate", {"dataCollectionId": name}).json() == {}
    assert call(http, who.admin, "items/count", {"dataCollectionId": name}).json()["totalCount"] == 0
    assert call(http, who.admin, "items/count", {"dataCollectionId": other}).json()["totalCount"] == 1
    assert call(http, who.admin, "items/truncate", {"dataCollectionId": "Nope"}).status_code == 404
