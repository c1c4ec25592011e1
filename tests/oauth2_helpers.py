"""Helpers shared by test_oauth2_grants.py, test_oauth2_endpoints.py, test_authorize.py and
test_identity.py: OAuth apps, members, codes and token calls over real HTTP."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from .conftest import Tenant
from .headless import BASE, Pkce, response_params, submit_login

CALLBACK = "http://localhost:3000/callback"
IDENTITY = "/_api/iam/authentication/v2"
PASSWORD = "correct horse battery"


@dataclass
class Client:
    """An OAuth app as its owner created it: client id, secret (shown once) and redirect URI."""

    id: str
    secret: str
    redirect_uri: str


def new_client(http: httpx.Client, tenant: Tenant, redirect_uris: list[str] | None = None, **fields: Any) -> Client:
    uris = [CALLBACK] if redirect_uris is None else redirect_uris
    body = {"name": "Headless site", "allowedRedirectUris": uris, **fields}
    response = http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": body})
    assert response.status_code == 200, response.text
    app = response.json()["oAuthApp"]
    return Client(str(app["id"]), str(app.get("secret") or ""), uris[0] if uris else "")


def patch_client(http: httpx.Client, tenant: Tenant, client_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    response = http.patch(
        f"{BASE}/{client_id}", headers=tenant.app_headers, json={"oAuthApp": {"id": client_id, **fields}, "mask": {"paths": list(fields)}}
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["oAuthApp"])


def delete_client(http: httpx.Client, tenant: Tenant, client_id: str) -> None:
    response = http.delete(f"{BASE}/{client_id}", headers=tenant.app_headers)
    assert response.status_code == 200, response.text


def fresh_email() -> str:
    return f"m-{uuid.uuid4().hex[:12]}@example.com"


def fresh_address() -> str:
    """A loopback source address of its own, so a test's failed logins are not counted against
    the per-address limit of other tests (the server sees the TCP peer address)."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@contextmanager
def client_from(base_url: str, address: str) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=base_url, transport=transport, timeout=30) as client:
        yield client


def token_call(http: httpx.Client, **params: str) -> httpx.Response:
    return http.post("/oauth2/token", json=params)


def visitor(http: httpx.Client, client_id: str) -> dict[str, Any]:
    response = token_call(http, clientId=client_id, grantType="anonymous")
    assert response.status_code == 200, response.text
    return dict(response.json())


def token_info(http: httpx.Client, token: str) -> dict[str, Any]:
    response = http.post("/oauth2/token-info", json={"token": token})
    assert response.status_code == 200, response.text
    return dict(response.json())


def is_active(http: httpx.Client, token: str) -> bool:
    info = token_info(http, token)
    if info.get("active") is not True:
        assert info == {"active": False}, info
        return False
    return True


def register(http: httpx.Client, access_token: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post(
        f"{IDENTITY}/register",
        headers={"Authorization": access_token},
        json={"loginId": {"email": email}, "password": password, "profile": {"nickname": "Tester"}},
    )


def login(http: httpx.Client, access_token: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post(f"{IDENTITY}/login", headers={"Authorization": access_token}, json={"loginId": {"email": email}, "password": password})


def authorize_query(client_id: str, redirect_uri: str, pkce: Pkce, **extra: str) -> dict[str, str]:
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "response_mode": "query",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "state": "st-" + uuid.uuid4().hex[:8],
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def authorize_url(params: dict[str, str]) -> str:
    return "/oauth2/authorize?" + urlencode(params)


def new_member_ticket(http: httpx.Client, client_id: str, email: str | None = None) -> str:
    """Register a fresh member through the identity API (as a visitor of this client) and return
    its one-time sessionToken."""
    access = str(visitor(http, client_id)["access_token"])
    response = register(http, access, email or fresh_email())
    assert response.status_code == 200, response.text
    return str(response.json()["sessionToken"])


def code_with_ticket(http: httpx.Client, client: Client, pkce: Pkce, ticket: str, redirect_uri: str | None = None) -> str:
    uri = redirect_uri or client.redirect_uri
    params = authorize_query(client.id, uri, pkce, prompt="none", session_token=ticket)
    response = http.get(authorize_url(params))
    assert response.status_code == 303, response.text
    got = response_params(response.headers["location"], "query")
    assert got.get("code", "").startswith("oac_"), got
    assert got["state"] == params["state"]
    return got["code"]


def hosted_session_code(http: httpx.Client, client: Client, pkce: Pkce, redirect_uri: str | None = None, email: str | None = None) -> str:
    """Register a fresh member and sign her in on the hosted page, as a browser would: the hosted
    session cookie lands in ``http``'s jar (a login ticket never sets one). Returns the code."""
    email = email or fresh_email()
    new_member_ticket(http, client.id, email)
    params = authorize_query(client.id, redirect_uri or client.redirect_uri, pkce)
    response = submit_login(http, authorize_url(params), email, PASSWORD)
    assert response.status_code == 303, response.text
    assert http.cookies.get("oauthapps_session"), "the hosted sign-in sets the session cookie"
    got = response_params(response.headers["location"], "query")
    assert got.get("code", "").startswith("oac_") and got["state"] == params["state"], got
    return got["code"]


def member_code(http: httpx.Client, client: Client, pkce: Pkce, redirect_uri: str | None = None) -> str:
    """An authorization code for a freshly registered member of this client's project."""
    return code_with_ticket(http, client, pkce, new_member_ticket(http, client.id), redirect_uri)


def exchange(http: httpx.Client, client: Client, code: str, verifier: str | None, redirect_uri: str | None = None) -> httpx.Response:
    params = {
        "clientId": client.id,
        "grantType": "authorization_code",
        "code": code,
        "redirectUri": redirect_uri if redirect_uri is not None else client.redirect_uri,
    }
    if verifier is not None:
        params["codeVerifier"] = verifier
    return token_call(http, **{k: v for k, v in params.items() if v})


def member_tokens(http: httpx.Client, client: Client) -> dict[str, Any]:
    pkce = Pkce.new()
    response = exchange(http, client, member_code(http, client, pkce), pkce.verifier)
    assert response.status_code == 200, response.text
    return dict(response.json())


def refresh(http: httpx.Client, client_id: str, refresh_token: str) -> httpx.Response:
    return token_call(http, clientId=client_id, grantType="refresh_token", refreshToken=refresh_token)


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """An RFC 6749 section 5.2 error: the status, {error, error_description}, and no caching."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str) and body["error_description"]
    assert set(body) == {"error", "error_description"}, body
    assert response.headers.get("cache-control") == "no-store"
    return dict(body)
