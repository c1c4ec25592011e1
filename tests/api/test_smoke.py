"""The sample-flows article's three use cases, end to end over real HTTP (issue 2's "done when")."""

from __future__ import annotations

import httpx

from ..support.tenants import Tenant

BASE = "/oauth-app/v1/oauth-apps"


def test_use_case_1_create_with_allowed_domains_returns_id_and_secret_once(http: httpx.Client, tenant: Tenant) -> None:
    created = http.post(
        BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "Template site", "allowedDomains": ["shop.example.com"]}}
    )
    assert created.status_code == 200, created.text
    app = created.json()["oAuthApp"]
    assert app["secret"].startswith("oas_")
    assert app["allowedDomains"] == ["shop.example.com"] == app["allowedRedirectDomains"]
    fetched = http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()["oAuthApp"]
    assert app["secret"] not in fetched.text
    listed = http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": {}})
    assert app["secret"] not in listed.text


def test_use_case_2_replace_allowed_domains_with_mask_changes_nothing_else(http: httpx.Client, tenant: Tenant) -> None:
    app = http.post(
        BASE,
        headers=tenant.app_headers,
        json={
            "oAuthApp": {
                "name": "Site",
                "description": "keep me",
                "allowedDomains": ["old.example.com"],
                "allowedRedirectUris": ["https://old.example.com/cb"],
            }
        },
    ).json()["oAuthApp"]
    updated = http.patch(
        f"{BASE}/{app['id']}",
        headers=tenant.app_headers,
        json={"oAuthApp": {"allowedDomains": ["new.example.com"], "description": "ignored"}, "mask": {"paths": ["allowedDomains"]}},
    )
    assert updated.status_code == 200, updated.text
    after = updated.json()["oAuthApp"]
    assert after["allowedDomains"] == ["new.example.com"]
    assert after["description"] == "keep me"
    assert after["allowedRedirectUris"] == ["https://old.example.com/cb"]
    assert after["name"] == "Site"


def test_use_case_3_delete_then_404_and_no_token(http: httpx.Client, tenant: Tenant) -> None:
    app = http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": {"name": "Doomed"}}).json()["oAuthApp"]
    assert (
        http.post(
            "/oauth2/token", json={"grant_type": "client_credentials", "client_id": app["id"], "client_secret": app["secret"]}
        ).status_code
        == 200
    )
    deleted = http.delete(f"{BASE}/{app['id']}", headers=tenant.app_headers, params={"oAuthAppId": app["id"]})
    assert deleted.status_code == 200 and deleted.json() == {}
    assert http.get(f"{BASE}/{app['id']}", headers=tenant.app_headers).status_code == 404
    refused = http.post("/oauth2/token", json={"grant_type": "client_credentials", "client_id": app["id"], "client_secret": app["secret"]})
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
