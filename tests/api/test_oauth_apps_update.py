"""PATCH /{id}: the three mask forms, no mask, read-only paths, atomicity, concurrency, audit."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from ..support.oauth_apps import BASE, assert_app_error, assert_violation, audit_entries, create, get, patch, violations
from ..support.servers import Server
from ..support.tenants import Tenant

# Tests here create their own apps and need no empty project: ``tenant`` is one per module.
pytestmark = pytest.mark.shared_tenant

FULL = {
    "name": "Original",
    "description": "original description",
    "loginUrl": "https://login.example.com/in",
    "logoutUrl": "https://login.example.com/out",
    "allowedRedirectUris": ["https://shop.example.com/cb"],
    "allowedRedirectDomains": ["shop.example.com"],
    "applicationType": "WEB_APP",
    "technology": "REACT",
}


def public(app: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in app.items() if k not in ("secret", "updatedDate")}


@pytest.mark.parametrize(
    "mask",
    [
        {"paths": ["description", "technology"]},
        "description,technology",
        " description , technology ,",
        ["description", "technology"],
        {"paths": "description,technology"},
    ],
    ids=["paths", "comma-string", "comma-string-spaces", "array", "paths-as-string"],
)
def test_mask_forms_change_exactly_the_masked_fields(http: httpx.Client, tenant: Tenant, mask: Any) -> None:
    app = create(http, tenant, **FULL)
    body = {
        "oAuthApp": {
            "id": app["id"],
            "name": "Not in mask",
            "description": "new",
            "technology": "VUE",
            "allowedRedirectUris": ["https://other.example.com/cb"],
        },
        "mask": mask,
    }
    response = patch(http, tenant, app["id"], body)
    assert response.status_code == 200, response.text
    updated = response.json()["oAuthApp"]
    assert updated["description"] == "new" and updated["technology"] == "VUE"
    expected = {**public(app), "description": "new", "technology": "VUE"}
    assert public(updated) == expected
    assert public(get(http, tenant, app["id"])) == expected


def test_without_mask_the_writable_fields_present_change(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    response = patch(http, tenant, app["id"], {"oAuthApp": {"id": app["id"], "name": "Renamed", "allowedDomains": ["new.example.com"]}})
    assert response.status_code == 200, response.text
    expected = {**public(app), "name": "Renamed", "allowedRedirectDomains": ["new.example.com"], "allowedDomains": ["new.example.com"]}
    assert public(response.json()["oAuthApp"]) == expected
    assert public(get(http, tenant, app["id"])) == expected


def test_without_mask_read_only_fields_in_body_are_ignored(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    body = {
        "oAuthApp": {
            "id": app["id"],
            "createdDate": "2001-01-01T00:00:00.000Z",
            "updatedDate": "2001-01-01T00:00:00.000Z",
            "secret": "oas_chosen_by_attacker",
            "allowSecretGeneration": True,
            "description": "changed",
        }
    }
    response = patch(http, tenant, app["id"], body)
    assert response.status_code == 200, response.text
    after = get(http, tenant, app["id"])
    assert after["createdDate"] == app["createdDate"]
    assert after["allowSecretGeneration"] is False
    assert after["description"] == "changed"
    assert "secret" not in response.json()["oAuthApp"] and "secret" not in after
    # The secret did not change: the original still works, the one in the body does not.
    ok = http.post("/oauth2/token", json={"grant_type": "client_credentials", "client_id": app["id"], "client_secret": app["secret"]})
    assert ok.status_code == 200
    bad = http.post(
        "/oauth2/token", json={"grant_type": "client_credentials", "client_id": app["id"], "client_secret": "oas_chosen_by_attacker"}
    )
    assert bad.status_code == 401


def test_sdk_style_get_modify_update_round_trip_without_mask(http: httpx.Client, tenant: Tenant) -> None:
    """The old SDK sends the whole entity back (read-only fields included) with no mask."""
    app = create(http, tenant, **FULL)
    fetched = get(http, tenant, app["id"])
    fetched["description"] = "edited in place"
    response = patch(http, tenant, app["id"], {"oAuthApp": fetched})
    assert response.status_code == 200, response.text
    assert public(response.json()["oAuthApp"]) == {**public(app), "description": "edited in place"}


@pytest.mark.parametrize("path", ["id", "createdDate", "secret"])
@pytest.mark.parametrize("form", ["paths", "string", "array"])
def test_read_only_path_in_mask_is_a_validation_error_and_changes_nothing(http: httpx.Client, tenant: Tenant, path: str, form: str) -> None:
    app = create(http, tenant, **FULL)
    paths = ["description", path]
    mask: Any = {"paths": paths} if form == "paths" else ",".join(paths) if form == "string" else paths
    body = {"oAuthApp": {"description": "should not stick", path: app["id"] if path == "id" else "x"}, "mask": mask}
    response = patch(http, tenant, app["id"], body)
    v = assert_violation(response, "mask", "READ_ONLY")
    assert v["data"] == {"path": path}
    assert get(http, tenant, app["id"])["description"] == FULL["description"]


def test_unknown_path_in_mask_is_a_validation_error(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    response = patch(http, tenant, app["id"], {"oAuthApp": {"description": "x"}, "mask": "description,colour"})
    assert assert_violation(response, "mask", "UNKNOWN_FIELD")["data"] == {"path": "colour"}
    assert get(http, tenant, app["id"])["description"] == FULL["description"]


@pytest.mark.parametrize(
    ("mask", "field"),
    [
        (5, "mask"),
        (True, "mask"),
        ({"paths": 5}, "mask.paths"),
        ({"fields": ["name"]}, "mask.fields"),
        ([1], "mask[0]"),
        ({"paths": [None]}, "mask.paths[0]"),
    ],
)
def test_malformed_mask_is_a_validation_error(http: httpx.Client, tenant: Tenant, mask: Any, field: str) -> None:
    app = create(http, tenant, **FULL)
    response = patch(http, tenant, app["id"], {"oAuthApp": {"name": "Nope"}, "mask": mask})
    assert_violation(response, field)
    assert get(http, tenant, app["id"])["name"] == "Original"


def test_masked_field_absent_from_body_is_cleared(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    response = patch(http, tenant, app["id"], {"oAuthApp": {}, "mask": {"paths": ["allowedRedirectUris", "loginUrl", "technology"]}})
    assert response.status_code == 200, response.text
    after = get(http, tenant, app["id"])
    assert after["allowedRedirectUris"] == []
    assert after.get("loginUrl") in (None, "")
    assert after["technology"] == "OAUTH_TECHNOLOGY_UNSPECIFIED"
    assert after["name"] == "Original" and after["allowedRedirectDomains"] == ["shop.example.com"]


def test_masking_name_without_a_name_is_refused(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    assert_violation(patch(http, tenant, app["id"], {"oAuthApp": {}, "mask": "name"}), "oAuthApp.name", "REQUIRED")
    assert get(http, tenant, app["id"])["name"] == "Original"


def test_mask_alias_allowed_domains_sets_the_shared_list(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    response = patch(
        http, tenant, app["id"], {"oAuthApp": {"allowedRedirectDomains": ["via-other-name.example.com"]}, "mask": "allowedDomains"}
    )
    assert response.status_code == 200, response.text
    after = get(http, tenant, app["id"])
    assert after["allowedDomains"] == after["allowedRedirectDomains"] == ["via-other-name.example.com"]


def test_empty_mask_changes_nothing_and_returns_the_app(http: httpx.Client, tenant: Tenant, server: Server) -> None:
    app = create(http, tenant, **FULL)
    for mask in ({"paths": []}, "", []):
        response = patch(http, tenant, app["id"], {"oAuthApp": {"name": "Ignored"}, "mask": mask})
        assert response.status_code == 200, response.text
        assert public(response.json()["oAuthApp"]) == public(app)
    assert [e.action for e in audit_entries(server.database_url, tenant.project_id, app["id"])] == ["oauth_app.created"]


def test_update_requires_the_oauth_app_object(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    assert_violation(patch(http, tenant, app["id"], {"mask": "name"}), "oAuthApp", "REQUIRED")
    assert_violation(patch(http, tenant, app["id"], {"oAuthApp": "Renamed", "mask": "name"}), "oAuthApp", "TYPE")


def test_body_id_never_redirects_the_update_to_another_app(http: httpx.Client, tenant: Tenant) -> None:
    target = create(http, tenant, **FULL)
    other = create(http, tenant, **{**FULL, "name": "Other"})
    response = patch(http, tenant, target["id"], {"oAuthApp": {"id": other["id"], "name": "Hijacked"}, "mask": "name"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["oAuthApp"]["id"] == target["id"]
    else:
        violations(response)
    assert get(http, tenant, other["id"])["name"] == "Other"


def test_update_bumps_updated_date_and_keeps_created_date(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, **FULL)
    updated = patch(http, tenant, app["id"], {"oAuthApp": {"name": "Later"}, "mask": "name"}).json()["oAuthApp"]
    assert updated["createdDate"] == app["createdDate"]
    assert updated["updatedDate"] >= app["updatedDate"]


def test_unknown_app_is_404(http: httpx.Client, tenant: Tenant) -> None:
    response = patch(http, tenant, "00000000-0000-0000-0000-000000000000", {"oAuthApp": {"name": "Ghost"}, "mask": "name"})
    assert_app_error(response, 404, "OAUTH_APP_NOT_FOUND")


# --- a failed validation changes nothing ------------------------------------------------------


def test_failed_validation_changes_nothing_and_audits_nothing(http: httpx.Client, tenant: Tenant, server: Server) -> None:
    app = create(http, tenant, **FULL)
    before = get(http, tenant, app["id"])
    bad_bodies = [
        # One good field and one bad field in the same request: neither is written.
        {"oAuthApp": {"name": "Good new name", "loginUrl": "http://not-loopback.example.com"}, "mask": {"paths": ["name", "loginUrl"]}},
        {"oAuthApp": {"description": "good", "allowedRedirectDomains": ["ok.example.com", "*.bad.example.com"]}},
        {"oAuthApp": {"technology": "VUE", "allowedDomains": ["a.example.com"], "allowedRedirectDomains": ["b.example.com"]}},
        {"oAuthApp": {"name": "Good new name", "unknown": True}},
        {"oAuthApp": {"name": "Good new name"}, "mask": "name,secret"},
    ]
    for body in bad_bodies:
        violations(patch(http, tenant, app["id"], body))
    assert get(http, tenant, app["id"]) == before
    assert [e.action for e in audit_entries(server.database_url, tenant.project_id, app["id"])] == ["oauth_app.created"]


# --- concurrency --------------------------------------------------------------------------------


def _hammer(base_url: str, headers: dict[str, str], app_id: str, bodies: list[dict[str, Any]], errors: list[str]) -> None:
    try:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for body in bodies:
                r = client.patch(f"{BASE}/{app_id}", headers=headers, json=body)
                if r.status_code != 200:
                    errors.append(r.text)
    except Exception as exc:
        errors.append(repr(exc))


@pytest.mark.parametrize("form", ["masked", "unmasked"])
def test_concurrent_updates_of_different_fields_lose_nothing(http: httpx.Client, tenant: Tenant, server: Server, form: str) -> None:
    app = create(http, tenant, **FULL)
    rounds = 25

    def body(field: str, value: Any) -> dict[str, Any]:
        if form == "masked":
            return {"oAuthApp": {field: value, "name": "Not masked"}, "mask": {"paths": [field]}}
        return {"oAuthApp": {field: value}}

    plans = {
        "description": [body("description", f"desc-{i}") for i in range(rounds)],
        "allowedRedirectUris": [body("allowedRedirectUris", [f"https://a.example.com/cb{i}"]) for i in range(rounds)],
        "allowedDomains": [body("allowedDomains", [f"d{i}.example.com"]) for i in range(rounds)],
    }
    errors: list[str] = []
    barrier_threads = [
        threading.Thread(target=_hammer, args=(server.base_url, tenant.app_headers, app["id"], bodies, errors)) for bodies in plans.values()
    ]
    for t in barrier_threads:
        t.start()
    for t in barrier_threads:
        t.join(timeout=60)
    assert not errors, errors[:3]
    after = get(http, tenant, app["id"])
    last = rounds - 1
    assert after["description"] == f"desc-{last}"
    assert after["allowedRedirectUris"] == [f"https://a.example.com/cb{last}"]
    assert after["allowedDomains"] == after["allowedRedirectDomains"] == [f"d{last}.example.com"]
    # Fields nobody touched are intact.
    assert after["name"] == "Original" and after["technology"] == "REACT" and after["loginUrl"] == FULL["loginUrl"]
    updates = [e for e in audit_entries(server.database_url, tenant.project_id, app["id"]) if e.action == "oauth_app.updated"]
    assert len(updates) == 3 * rounds


# --- audit --------------------------------------------------------------------------------------


def test_update_audit_names_the_fields_the_actor_and_the_request(http: httpx.Client, tenant: Tenant, server: Server) -> None:
    app = create(http, tenant, **FULL)
    response = patch(http, tenant, app["id"], {"oAuthApp": {"name": "Audited", "technology": "IOS"}, "mask": "name,technology"})
    assert response.status_code == 200
    entries = audit_entries(server.database_url, tenant.project_id, app["id"])
    assert [e.action for e in entries] == ["oauth_app.created", "oauth_app.updated"]
    created, updated = entries
    assert "name" in created.fields
    assert sorted(updated.fields) == ["name", "technology"]
    assert updated.actor_type == "app" and updated.actor_id == tenant.instance_id
    assert updated.request_id == response.headers["x-wix-request-id"]
    assert updated.oauth_app_id == app["id"] and updated.project_id == tenant.project_id
    assert updated.at >= created.at
    # By API key: the actor is the key, not the app.
    by_key = http.patch(f"{BASE}/{app['id']}", headers=tenant.key_headers, json={"oAuthApp": {"description": "by key"}})
    assert by_key.status_code == 200
    last = audit_entries(server.database_url, tenant.project_id, app["id"])[-1]
    assert last.actor_type == "api_key" and last.fields == ["description"] and last.actor_id != tenant.instance_id
    assert app["secret"] not in repr(entries)
