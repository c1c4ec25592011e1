"""OAuth 2.0 over real HTTP: OAuth apps as clients, PKCE, the token endpoint, authorize URLs and
redirect sessions, and the wire shape of OAuth errors."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from oauthapps.domain.pkce import s256

from .oauth_apps import BASE, create, patch
from .tenants import Tenant

CALLBACK = "http://localhost:3000/callback"
REDIRECT_SESSION = "/_api/redirects-api/v1/redirect-session"


@dataclass
class Client:
    """An OAuth app as its owner created it: client id, secret (shown once) and redirect URI."""

    id: str
    secret: str
    redirect_uri: str


def new_client(http: httpx.Client, tenant: Tenant, redirect_uris: list[str] | None = None, **fields: Any) -> Client:
    uris = [CALLBACK] if redirect_uris is None else redirect_uris
    app = create(http, tenant, **{"name": "Headless site", "allowedRedirectUris": uris, **fields})
    return Client(str(app["id"]), str(app.get("secret") or ""), uris[0] if uris else "")


def patch_client(http: httpx.Client, tenant: Tenant, client_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    response = patch(http, tenant, client_id, {"oAuthApp": {"id": client_id, **fields}, "mask": {"paths": list(fields)}})
    assert response.status_code == 200, response.text
    return dict(response.json()["oAuthApp"])


def delete_client(http: httpx.Client, tenant: Tenant, client_id: str) -> None:
    response = http.delete(f"{BASE}/{client_id}", headers=tenant.app_headers)
    assert response.status_code == 200, response.text


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        return cls(verifier, s256(verifier))


def token_call(http: httpx.Client, **params: str) -> httpx.Response:
    return http.post("/oauth2/token", json=params)


def visitor_tokens(http: httpx.Client, client_id: str) -> dict[str, Any]:
    """A visitor's tokens (the anonymous grant)."""
    response = token_call(http, clientId=client_id, grantType="anonymous")
    assert response.status_code == 200, response.text
    return dict(response.json())


def token_info(http: httpx.Client, token: str) -> dict[str, Any]:
    response = http.post("/oauth2/token-info", json={"token": token})
    assert response.status_code == 200, response.text
    return dict(response.json())


def is_active(http: httpx.Client, token: str) -> bool:
    """Token-info's verdict; an inactive token must tell nothing more."""
    info = token_info(http, token)
    if info.get("active") is not True:
        assert info == {"active": False}, info
        return False
    return True


def token_active(http: httpx.Client, token: str) -> bool:
    """Token-info's ``active``, read as it is."""
    return bool(http.post("/oauth2/token-info", json={"token": token}).json()["active"])


def refresh(http: httpx.Client, client_id: str, refresh_token: str) -> httpx.Response:
    return token_call(http, clientId=client_id, grantType="refresh_token", refreshToken=refresh_token)


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


def response_params(location: str, mode: str = "fragment") -> dict[str, str]:
    """The parameters of an authorization response, from the fragment or the query."""
    parts = urlsplit(location)
    raw = parts.fragment if mode == "fragment" else parts.query
    return {k: v[0] for k, v in parse_qs(raw).items()}


def auth_session(
    http: httpx.Client,
    access_token: str,
    client_id: str,
    redirect_uri: str,
    pkce: Pkce,
    state: str = "st-1",
    mode: str = "fragment",
    prompt: str = "login",
) -> httpx.Response:
    """A login redirect session, as the SDK asks for one."""
    return http.post(
        REDIRECT_SESSION,
        headers={"Authorization": access_token},
        json={
            "auth": {
                "authRequest": {
                    "redirectUri": redirect_uri,
                    "clientId": client_id,
                    "codeChallenge": pkce.challenge,
                    "codeChallengeMethod": "S256",
                    "responseMode": mode,
                    "responseType": "code",
                    "scope": "offline_access",
                    "state": state,
                },
                "prompt": prompt,
            },
        },
    )


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
