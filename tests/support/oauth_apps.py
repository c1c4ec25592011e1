"""The OAuth Apps API over real HTTP: its calls, and the wire shapes of its errors."""

from __future__ import annotations

from typing import Any

import httpx

from oauthapps.store import oauth_app_audit
from oauthapps.store.database import Database

from .tenants import Tenant, run_db

BASE = "/oauth-app/v1/oauth-apps"
SHORT_BASE = "/v1/oauth-apps"


def create(http: httpx.Client, tenant: Tenant, base: str = BASE, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "Test app")
    response = http.post(base, headers=tenant.app_headers, json={"oAuthApp": fields})
    assert response.status_code == 200, response.text
    app: dict[str, Any] = response.json()["oAuthApp"]
    return app


def get(http: httpx.Client, tenant: Tenant, app_id: str) -> dict[str, Any]:
    response = http.get(f"{BASE}/{app_id}", headers=tenant.app_headers)
    assert response.status_code == 200, response.text
    app: dict[str, Any] = response.json()["oAuthApp"]
    return app


def patch(http: httpx.Client, tenant: Tenant, app_id: str, body: dict[str, Any]) -> httpx.Response:
    return http.patch(f"{BASE}/{app_id}", headers=tenant.app_headers, json=body)


def query(http: httpx.Client, tenant: Tenant, q: dict[str, Any] | None) -> httpx.Response:
    return http.post(f"{BASE}/query", headers=tenant.app_headers, json={"query": q} if q is not None else {})


def violations(response: httpx.Response) -> list[dict[str, Any]]:
    """The field violations of a 400 validation error, after checking the wire shape."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert "applicationError" not in body["details"]
    found: list[dict[str, Any]] = body["details"]["validationError"]["fieldViolations"]
    assert found, body
    for v in found:
        assert isinstance(v["field"], str) and v["field"]
        assert isinstance(v["description"], str) and v["description"]
        assert isinstance(v["violatedRule"], str) and v["violatedRule"]
    return found


def assert_violation(response: httpx.Response, field: str, rule: str | None = None) -> dict[str, Any]:
    found = violations(response)
    for v in found:
        if v["field"] == field and (rule is None or v["violatedRule"] == rule):
            return v
    raise AssertionError(f"no violation {field!r}/{rule!r} in {found}")


def assert_app_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    error: dict[str, Any] = body["details"]["applicationError"]
    assert error["code"] == code, body
    assert isinstance(error["description"], str) and error["description"]
    assert isinstance(error["data"], dict)
    return error


def client_credentials(http: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    """client_credentials without instance_id: an OAuth app's own admin token (checks its secret)."""
    return http.post("/oauth2/token", json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})


def secret_works(http: httpx.Client, client_id: str, secret: str) -> bool:
    response = client_credentials(http, client_id, secret)
    assert response.status_code in (200, 400, 401), response.text
    return response.status_code == 200


def audit_entries(database_url: str, project_id: str, app_id: str | None = None) -> list[oauth_app_audit.AuditEntry]:
    """The audit trail, oldest first."""

    async def work(db: Database) -> list[oauth_app_audit.AuditEntry]:
        async with db.transaction() as conn:
            return await oauth_app_audit.list_audit(conn, project_id, app_id, limit=1000)

    entries: list[oauth_app_audit.AuditEntry] = run_db(database_url, work)
    return list(reversed(entries))
