"""Members over real HTTP: sign-up and sign-in through the identity API, the hosted login form
driven like a browser without JavaScript, and a member's way to tokens (ticket → code → tokens)."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from typing import Any
from urllib.parse import urljoin

import httpx

from .oauth2 import Client, Pkce, authorize_query, authorize_url, exchange, response_params, visitor_tokens
from .servers import run_cli

IDENTITY = "/_api/iam/authentication/v2"
PASSWORD = "correct horse battery"


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


def register(http: httpx.Client, access_token: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post(
        f"{IDENTITY}/register",
        headers={"Authorization": access_token},
        json={"loginId": {"email": email}, "password": password, "profile": {"nickname": "Tester"}},
    )


def login(http: httpx.Client, access_token: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post(f"{IDENTITY}/login", headers={"Authorization": access_token}, json={"loginId": {"email": email}, "password": password})


def create_member(database_url: str, project_id: str, email: str, password: str = PASSWORD) -> str:
    """A member made by the owner with the CLI; returns its id."""
    done = run_cli(
        "members", "create", "--project", project_id, "--email", email, "--password", password, "--json", "--database", database_url
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return str(json.loads(done.stdout)["memberId"])


# --- the hosted login page, without JavaScript ------------------------------------------------------


def form_fields(html: str) -> dict[str, str]:
    fields = {}
    for match in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        fields[match.group(1)] = unescape(match.group(2))
    return fields


def submit_login(http: httpx.Client, auth_url: str, email: str, password: str = PASSWORD, action: str = "login") -> httpx.Response:
    """Load the hosted login page, post the form, and return the redirect response (not followed)."""
    page = http.get(auth_url)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    fields.update({"email": email, "password": password, "action": action, "mode": action})
    return http.post(urljoin(auth_url, "/oauth2/authorize"), data=fields)


def browser_login(browser: httpx.Client, auth_url: str, email: str, password: str = PASSWORD, action: str = "register") -> str:
    """What a person does in the browser: open the hosted login page, fill it in, submit. Returns
    the redirect's Location (the app's callback URL with code and state)."""
    landed = submit_login(browser, auth_url, email, password, action)
    assert landed.status_code == 303, landed.text
    return landed.headers["location"]


def follow_logout(http: httpx.Client, logout_url: str) -> httpx.Response:
    """Visit a logout URL as a browser sent there from the site: when our page asks to confirm
    (a cross-site request with a session), press its button. Returns the last response."""
    page = http.get(logout_url)
    if page.status_code != 200 or "<form" not in page.text:
        return page
    return http.post(urljoin(str(page.url), "/oauth2/logout"), data=form_fields(page.text))


# --- a member's tokens, as a custom-login template gets them ---------------------------------------


def new_member_ticket(http: httpx.Client, client_id: str, email: str | None = None, password: str = PASSWORD) -> str:
    """Register a fresh member through the identity API (as a visitor of this client) and return
    its one-time sessionToken."""
    access = str(visitor_tokens(http, client_id)["access_token"])
    response = register(http, access, email or fresh_email(), password)
    assert response.status_code == 200, response.text
    return str(response.json()["sessionToken"])


def code_with_ticket(http: httpx.Client, client: Client, pkce: Pkce, ticket: str, redirect_uri: str | None = None) -> str:
    """Authorize with ``session_token`` and ``prompt=none`` (no form): the authorization code."""
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


def member_tokens(http: httpx.Client, client: Client, email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
    """A new member's tokens: identity register → sessionToken → authorize with it → code →
    token exchange with PKCE."""
    pkce = Pkce.new()
    code = code_with_ticket(http, client, pkce, new_member_ticket(http, client.id, email, password))
    response = exchange(http, client, code, pkce.verifier)
    assert response.status_code == 200, response.text
    return dict(response.json())
