"""CORS: the public endpoints a browser client calls answer any origin (without credentials);
nothing else gets CORS headers. The browser side of this is in tests/e2e/test_browser_login.py."""

from __future__ import annotations

import httpx
import pytest

from oauthapps.http.cors import PUBLIC_PATHS

from ..support.oauth_apps import BASE, create
from ..support.tenants import Tenant

ORIGIN = "http://localhost:3000"


def preflight(http: httpx.Client, path: str, headers: str = "authorization, content-type") -> httpx.Response:
    return http.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
def test_public_endpoints_answer_preflights_for_any_origin(http: httpx.Client, path: str) -> None:
    response = preflight(http, path)
    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"].split(", ")
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers


def test_malformed_requested_headers_are_not_echoed(http: httpx.Client) -> None:
    response = preflight(http, "/oauth2/token", headers="content-type, x bad")
    assert response.status_code == 204
    assert "access-control-allow-headers" not in response.headers


def test_answers_of_public_endpoints_are_readable_cross_origin(http: httpx.Client, tenant: Tenant) -> None:
    app = create(http, tenant, allowedRedirectUris=[f"{ORIGIN}/callback"])
    ok = http.post("/oauth2/token", headers={"Origin": ORIGIN}, json={"clientId": app["id"], "grantType": "anonymous"})
    bad = http.post("/oauth2/token", headers={"Origin": ORIGIN}, json={"clientId": "nope", "grantType": "anonymous"})
    info = http.post("/oauth2/token-info", headers={"Origin": ORIGIN}, json={"token": "nope"})
    for response in (ok, bad, info):
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["access-control-expose-headers"] == "x-wix-request-id"
        assert "access-control-allow-credentials" not in response.headers
    assert ok.status_code == 200 and bad.status_code == 401


def test_other_paths_get_no_cors(http: httpx.Client, tenant: Tenant) -> None:
    for path in (BASE, "/oauth2/introspect", "/oauth2/authorize", "/wix-data/v2/collections", "/members/v1/members"):
        assert "access-control-allow-origin" not in preflight(http, path).headers
    listed = http.post(f"{BASE}/query", headers={**tenant.app_headers, "Origin": ORIGIN}, json={})
    assert listed.status_code == 200 and "access-control-allow-origin" not in listed.headers
    page = http.get("/oauth2/authorize", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in page.headers


def test_member_and_data_item_paths_are_public(http: httpx.Client) -> None:
    for path in (
        "/members/v1/members/my",
        "/wix-data/v2/items",
        "/wix-data/v2/items/query",
        "/wix-data/v2/items/abc",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ):
        response = preflight(http, path)
        assert response.status_code == 204 and response.headers["access-control-allow-origin"] == "*", path
    jwks = http.get("/.well-known/jwks.json", headers={"Origin": ORIGIN})
    assert jwks.headers["access-control-allow-origin"] == "*"
