"""Helpers for Headless OAuth tests: PKCE pairs, an OAuth app, and the hosted login over plain HTTP."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from oauthapps.domain.pkce import s256

from .conftest import Tenant

BASE = "/oauth-app/v1/oauth-apps"
REDIRECT_SESSION = "/_api/redirects-api/v1/redirect-session"


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        return cls(verifier, s256(verifier))


def create_oauth_app(http: httpx.Client, tenant: Tenant, **fields: object) -> dict[str, object]:
    body = {"name": "Headless site", **fields}
    response = http.post(BASE, headers=tenant.app_headers, json={"oAuthApp": body})
    assert response.status_code == 200, response.text
    return dict(response.json()["oAuthApp"])


def visitor_tokens(http: httpx.Client, client_id: str) -> dict[str, object]:
    response = http.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"})
    assert response.status_code == 200, response.text
    return dict(response.json())


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


def form_fields(html: str) -> dict[str, str]:
    fields = {}
    for match in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        fields[match.group(1)] = unescape(match.group(2))
    return fields


def submit_login(http: httpx.Client, auth_url: str, email: str, password: str, action: str = "login") -> httpx.Response:
    """Load the hosted login page, post the form, and return the redirect response (not followed)."""
    page = http.get(auth_url)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    fields.update({"email": email, "password": password, "action": action, "mode": action})
    return http.post("/oauth2/authorize", data=fields)


def follow_logout(http: httpx.Client, logout_url: str) -> httpx.Response:
    """Visit a logout URL as a browser sent there from the site: when our page asks to confirm
    (a cross-site request with a session), press its button. Returns the last response."""
    page = http.get(logout_url)
    if page.status_code != 200 or "<form" not in page.text:
        return page
    return http.post(urljoin(str(page.url), "/oauth2/logout"), data=form_fields(page.text))


def response_params(location: str, mode: str = "fragment") -> dict[str, str]:
    parts = urlsplit(location)
    raw = parts.fragment if mode == "fragment" else parts.query
    return {k: v[0] for k, v in parse_qs(raw).items()}


def member_tokens(
    http: httpx.Client, client_id: str, redirect_uri: str, email: str, password: str, register: bool = True
) -> dict[str, object]:
    """A member's tokens the way a custom-login template gets them: identity register/login →
    sessionToken → authorize with session_token (no form) → code → token exchange with PKCE."""
    visitor = visitor_tokens(http, client_id)
    path = "register" if register else "login"
    answer = http.post(
        f"/_api/iam/authentication/v2/{path}",
        headers={"Authorization": str(visitor["access_token"])},
        json={"loginId": {"email": email}, "password": password},
    )
    assert answer.status_code == 200, answer.text
    pkce = Pkce.new()
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "response_mode": "query",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "state": "s",
        "session_token": answer.json()["sessionToken"],
        "prompt": "none",
    }
    landed = http.get("/oauth2/authorize", params=params)
    assert landed.status_code == 303, landed.text
    code = response_params(landed.headers["location"], "query")["code"]
    exchanged = http.post(
        "/oauth2/token",
        json={
            "clientId": client_id,
            "grantType": "authorization_code",
            "redirectUri": redirect_uri,
            "code": code,
            "codeVerifier": pkce.verifier,
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    return dict(exchanged.json())
