"""The audit-log API on a real server, SQLite and PostgreSQL: paging through 10,000 entries newest
first while entries are added, the filters, the bounds of every parameter, who may read, and
that a project reads only its own trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from oauthapps.domain.scopes import AUDIT_LOG_READ, HEADLESS_MANAGE, MEMBERS_MANAGE, OAUTH_APP_MANAGE, OAUTH_APP_READ

from ..support.audit_log import ENTRIES, SEED_START, Seeded, read_all, read_audit, seed_audit
from ..support.oauth_apps import BASE, assert_app_error, assert_violation, create
from ..support.servers import Server
from ..support.tenants import Tenant, install_app


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def order_key(entry: dict[str, Any]) -> tuple[datetime, int]:
    return datetime.fromisoformat(entry["createdDate"]), int(entry["id"])


@pytest.fixture
def seeded(server: Server, tenant: Tenant) -> Seeded:
    return seed_audit(server.database_url, tenant.project_id, 10_000)


def test_pages_through_10000_entries_newest_first_while_entries_are_added(
    server: Server, http: httpx.Client, tenant: Tenant, seeded: Seeded
) -> None:
    first = read_audit(http, tenant.key_headers, limit=100)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["pagingMetadata"]["hasNext"] is True and body["pagingMetadata"]["count"] == 100
    newest = body["entries"][0]
    assert newest["requestId"] == f"seed{9_999:028d}" and newest["createdDate"].endswith(".000Z")
    assert datetime.fromisoformat(newest["createdDate"]) == seeded.at(9_999)
    # Changes made after the first page are newer than every seeded entry: the pages that follow
    # the cursor neither repeat an entry nor skip one.
    created = create(http, tenant, name="Added while paging")
    entries = body["entries"]
    cursor = body["pagingMetadata"]["cursors"]["next"]
    pages = 1
    while cursor:
        page = read_audit(http, tenant.key_headers, limit=100, cursor=cursor)
        assert page.status_code == 200, page.text
        data = page.json()
        entries.extend(data["entries"])
        cursor = data["pagingMetadata"]["cursors"].get("next")
        pages += 1
        if pages == 50:
            create(http, tenant, name="Added halfway")
    assert pages == 100 and len(entries) == 10_000
    assert len({e["id"] for e in entries}) == 10_000
    assert [order_key(e) for e in entries] == sorted((order_key(e) for e in entries), reverse=True)
    assert {e["requestId"] for e in entries} == {f"seed{i:028d}" for i in range(10_000)}
    assert all(created["id"] != e["oAuthAppId"] for e in entries)
    # A new read starts with the changes.
    again = read_audit(http, tenant.key_headers, limit=2).json()["entries"]
    assert [e["action"] for e in again] == ["oauth_app.created", "oauth_app.created"]
    assert again[1]["oAuthAppId"] == created["id"]


def test_filters_by_app_actor_action_and_time_and_keep_them_across_pages(http: httpx.Client, tenant: Tenant, seeded: Seeded) -> None:
    headers = tenant.key_headers
    by_app = read_all(http, headers, limit=100, oAuthAppId=seeded.app_ids[3])
    assert [int(e["requestId"][4:]) for e in by_app] == [i for i in reversed(range(10_000)) if i % 7 == 3]

    by_actor = read_all(http, headers, limit=100, actorType="app", actorId=seeded.actor_ids[1])
    assert len(by_actor) == len([i for i in range(10_000) if i % 3 == 1])
    assert {e["actorId"] for e in by_actor} == {seeded.actor_ids[1]}
    assert read_audit(http, headers, actorType="console").json()["entries"] == []

    since, until = SEED_START + timedelta(seconds=100), SEED_START + timedelta(seconds=150)
    window = read_all(http, headers, limit=7, **{"from": iso(since), "to": iso(until)})
    assert sorted(int(e["requestId"][4:]) for e in window) == list(range(200, 300))  # from inclusive, to exclusive

    combined = read_all(
        http, headers, limit=3, oAuthAppId=seeded.app_ids[0], action="oauth_app.deleted", **{"from": iso(since), "to": iso(until)}
    )
    assert [int(e["requestId"][4:]) for e in combined] == [i for i in reversed(range(200, 300)) if i % 7 == 0 and i % 5 == 2]
    assert all(e["action"] == "oauth_app.deleted" for e in combined)


def test_real_changes_name_the_caller_the_request_and_the_fields(http: httpx.Client, tenant: Tenant) -> None:
    made = http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "Audited"}})
    app_id = made.json()["oAuthApp"]["id"]
    changed = http.patch(f"{BASE}/{app_id}", headers=tenant.key_headers, json={"oAuthApp": {"description": "d"}, "mask": "description"})
    assert changed.status_code == 200
    entries = read_audit(http, tenant.key_headers, oAuthAppId=app_id).json()["entries"]
    assert [(e["action"], e["actorType"], e["fields"]) for e in entries] == [
        ("oauth_app.updated", "api_key", ["description"]),
        ("oauth_app.created", "app", ["name"]),
    ]
    assert entries[1]["actorId"] == tenant.instance_id
    assert entries[0]["requestId"] == changed.headers["x-wix-request-id"]
    assert entries[1]["requestId"] == made.headers["x-wix-request-id"]
    assert set(entries[0]) == {"id", "oAuthAppId", "action", "actorType", "actorId", "fields", "requestId", "createdDate"}
    assert "oas_" not in str(entries)


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"limit": "0"}, "limit", "OUT_OF_RANGE"),
        ({"limit": "101"}, "limit", "OUT_OF_RANGE"),
        ({"limit": "ten"}, "limit", "OUT_OF_RANGE"),
        ({"limit": "9" * 40}, "limit", "OUT_OF_RANGE"),
        ({"appId": "x"}, "appId", "UNKNOWN_FIELD"),
        ({"oAuthAppId": "x" * 65}, "oAuthAppId", "MAX_LENGTH"),
        ({"oAuthAppId": "a\x00b"}, "oAuthAppId", "FORMAT"),
        ({"actorType": "robot"}, "actorType", "ENUM"),
        ({"actorType": "other_token"}, "actorType", "ENUM"),
        ({"actorId": "someone"}, "actorId", "REQUIRED"),
        ({"actorType": "app", "actorId": "y" * 129}, "actorId", "MAX_LENGTH"),
        ({"action": "created"}, "action", "ENUM"),
        ({"from": "yesterday"}, "from", "FORMAT"),
        ({"to": "2026-13-01T00:00:00Z"}, "to", "FORMAT"),
        ({"from": "2026-01-01T00:00:00.000000000000000000000000000000000Z"}, "from", "MAX_LENGTH"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to", "OUT_OF_RANGE"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to", "OUT_OF_RANGE"),
        ({"cursor": "not-a-cursor"}, "cursor", "INVALID_CURSOR"),
        ({"cursor": "x" * 2000}, "cursor", "INVALID_CURSOR"),
        ({"cursor": "eyJ2IjoxLCJmIjp7fSwiYXQiOi0xLCJpZCI6MX0"}, "cursor", "INVALID_CURSOR"),  # at = -1
        ({"cursor": "eyJ2IjoxLCJmIjp7ImFjdG9ySWQiOiJ4In0sImF0IjoxLCJpZCI6MX0"}, "cursor", "INVALID_CURSOR"),  # actorId alone
    ],
)
def test_each_parameter_is_bounded_with_a_400_naming_it(
    http: httpx.Client, module_tenant: Tenant, params: dict[str, str], field: str, rule: str
) -> None:
    assert_violation(read_audit(http, module_tenant.key_headers, **params), field, rule)


def test_a_cursor_carries_the_filters_and_a_repeated_parameter_is_refused(
    http: httpx.Client, module_tenant: Tenant, server: Server
) -> None:
    seed_audit(server.database_url, module_tenant.project_id, 5)
    page = read_audit(http, module_tenant.key_headers, limit=2, actorType="app").json()
    cursor = page["pagingMetadata"]["cursors"]["next"]
    assert_violation(read_audit(http, module_tenant.key_headers, cursor=cursor, actorType="app"), "actorType", "CONFLICT")
    assert read_audit(http, module_tenant.key_headers, cursor=cursor, limit=1).json()["pagingMetadata"]["count"] == 1
    repeated = http.get(f"{ENTRIES}?action=oauth_app.created&action=oauth_app.updated", headers=module_tenant.key_headers)
    assert_violation(repeated, "action", "DUPLICATE")


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        ((AUDIT_LOG_READ,), True),
        ((OAUTH_APP_MANAGE,), True),
        ((HEADLESS_MANAGE,), True),
        ((OAUTH_APP_READ,), False),
        ((MEMBERS_MANAGE,), False),
    ],
)
def test_installed_apps_read_with_the_audit_scope_or_a_manage_scope(
    server: Server, http: httpx.Client, module_tenant: Tenant, scopes: tuple[str, ...], allowed: bool
) -> None:
    headers = install_app(http, server.database_url, module_tenant.project_id, scopes, f"Reader {scopes[0]}")
    response = read_audit(http, headers)
    if allowed:
        assert response.status_code == 200, response.text
    else:
        error = assert_app_error(response, 403, "PERMISSION_DENIED")
        assert AUDIT_LOG_READ in error["data"]["requiredScopes"]


def test_credentials_are_required_and_checked(http: httpx.Client, module_tenant: Tenant) -> None:
    assert_app_error(http.get(ENTRIES), 401, "UNAUTHENTICATED")
    assert_app_error(http.get(ENTRIES, headers={"Authorization": "oak_not-a-key"}), 401, "UNAUTHENTICATED")
    assert_app_error(http.get(ENTRIES, headers={**module_tenant.key_headers, "wix-site-id": "another"}), 401, "UNAUTHENTICATED")
    assert http.post(ENTRIES, headers=module_tenant.key_headers).status_code == 405


def test_a_project_reads_only_its_own_trail(http: httpx.Client, make_tenant: Callable[..., Tenant]) -> None:
    mine, theirs = make_tenant(name="Mine"), make_tenant(name="Theirs")
    app = create(http, mine, name="Private")
    create(http, theirs, name="Theirs")
    own = read_audit(http, mine.key_headers).json()["entries"]
    assert [e["oAuthAppId"] for e in own] == [app["id"]]
    assert read_audit(http, theirs.key_headers, oAuthAppId=app["id"]).json()["entries"] == []
    assert read_audit(http, theirs.app_headers, actorType="app", actorId=mine.instance_id).json()["entries"] == []
    assert [e["oAuthAppId"] for e in read_audit(http, theirs.key_headers).json()["entries"]] != [app["id"]]


def test_the_python_sdk_reads_the_audit_log_page_by_page(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    from oauthapps.sdk import ApiKeyStrategy, create_client

    seed_audit(server.database_url, tenant.project_id, 5, apps=1)
    client = create_client(auth=ApiKeyStrategy(tenant.api_key, tenant.project_id), base_url=server.base_url, http_client=http)
    first = client.oauth_apps.audit_log(actor_type="app", limit=3)
    assert len(first["entries"]) == 3 and first["next_cursor"]
    rest = client.oauth_apps.audit_log(cursor=first["next_cursor"], limit=3)
    assert len(rest["entries"]) == 2 and rest["next_cursor"] is None


def test_the_openapi_document_lists_the_call_and_its_parameters(http: httpx.Client) -> None:
    doc = http.get("/openapi.json").json()
    operation = doc["paths"][ENTRIES]["get"]
    assert operation["operationId"] == "listAuditLogEntries"
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"oAuthAppId", "actorType", "actorId", "action", "from", "to", "limit", "cursor"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AuditLogResponse")
    assert operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
