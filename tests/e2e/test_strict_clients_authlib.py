"""A strict, standards-only OAuth 2.0 client against the server: Authlib's
``authlib.integrations.httpx_client.OAuth2Client`` (PKCE S256, client_secret_basic).

RFC 8414 discovery (validated with Authlib's own metadata models, RFC 9207 included), an
authorization URL from Authlib, our hosted login form (driven over plain HTTP from a loopback
address of its own), the callback with ``iss``, ``fetch_token`` with the code verifier, a Bearer
call to a resource, ``refresh_token``, ``introspect_token``, ``revoke_token`` and
``client_credentials`` with the OAuth app secret. Anything this client rejects is a server bug.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2 import rfc8414, rfc9207

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx (which the
    # project uses); the httpx_client integration itself is unchanged.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

from ..support.members import PASSWORD, client_from, create_member, form_fields, fresh_address, fresh_email
from ..support.oauth2 import CALLBACK, Client, new_client
from ..support.servers import Server
from ..support.tenants import Tenant


@pytest.fixture
def metadata(http: httpx.Client, server: Server) -> rfc8414.AuthorizationServerMetadata:
    """RFC 8414 discovery: the well-known URL Authlib computes for our issuer, validated strictly."""
    url = rfc8414.get_well_known_url(server.base_url, external=True)
    assert urlsplit(url).path == "/.well-known/oauth-authorization-server"
    response = http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    meta = rfc8414.AuthorizationServerMetadata(response.json())
    meta.validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])
    assert meta["issuer"] == server.base_url
    return meta


@pytest.fixture
def oauth_app(http: httpx.Client, tenant: Tenant) -> Client:
    app = new_client(http, tenant)
    assert app.secret, "the create response shows the secret once"
    return app


@pytest.fixture
def member(server: Server, tenant: Tenant) -> str:
    email = fresh_email()
    create_member(server.database_url, tenant.project_id, email)
    return email


@pytest.fixture
def authlib_client(oauth_app: Client) -> Iterator[OAuth2Client]:
    with OAuth2Client(
        client_id=oauth_app.id,
        client_secret=oauth_app.secret,
        scope="offline_access",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
        timeout=30,
    ) as client:
        yield client


def sign_in(server: Server, authorization_url: str, email: str) -> str:
    """A browser on its own loopback address: load our form, post it, return the redirect Location."""
    with client_from(server.base_url, fresh_address()) as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        assert "oauthapps_csrf" in browser.cookies
        fields = form_fields(page.text)
        assert fields["csrf_token"] == browser.cookies["oauthapps_csrf"]
        fields.update({"email": email, "password": PASSWORD, "action": "login"})
        landed = browser.post(urljoin(authorization_url, "/oauth2/authorize"), data=fields)
        assert landed.status_code == 303, landed.text
        return landed.headers["location"]


def callback_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_flow(server: Server, meta: rfc8414.AuthorizationServerMetadata, client: OAuth2Client, email: str) -> dict[str, Any]:
    verifier = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    query = callback_params(url)
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    location = sign_in(server, url, email)
    assert location.startswith(CALLBACK + "?"), location
    got = callback_params(location)
    # RFC 9207: the metadata promises iss; it must be the discovered issuer (Authlib leaves this check to the app).
    assert got["iss"] == meta["issuer"]
    assert got["state"] == state
    token = client.fetch_token(meta["token_endpoint"], authorization_response=location, state=state, code_verifier=verifier)
    return dict(token)


def test_discovery_metadata_is_valid_for_authlib(metadata: rfc8414.AuthorizationServerMetadata) -> None:
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert "client_secret_basic" in metadata.token_endpoint_auth_methods_supported
    assert "client_secret_basic" in metadata.introspection_endpoint_auth_methods_supported
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(metadata.grant_types_supported)


def test_code_flow_refresh_introspect_revoke(
    server: Server,
    metadata: rfc8414.AuthorizationServerMetadata,
    authlib_client: OAuth2Client,
    member: str,
) -> None:
    token = code_flow(server, metadata, authlib_client, member)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 14400 and token["expires_at"] > 0
    access, refresh = token["access_token"], token["refresh_token"]

    # The token as an RFC 6750 Bearer credential (Authlib adds "Authorization: Bearer ...").
    me = authlib_client.get(f"{server.base_url}/members/v1/members/my")
    assert me.status_code == 200, me.text
    assert me.json()["member"]["loginEmail"] == member

    info = authlib_client.introspect_token(metadata["introspection_endpoint"], token=access, token_type_hint="access_token")
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["active"] is True and body["client_id"] == authlib_client.client_id and body["iss"] == metadata["issuer"]
    assert body["token_type"] == "Bearer" and body["subject_type"] == "MEMBER"

    refreshed = authlib_client.refresh_token(metadata["token_endpoint"], refresh_token=refresh)
    assert refreshed["access_token"] != access
    assert refreshed["refresh_token"] == refresh, "no rotation by default"
    assert refreshed["token_type"] == "Bearer"

    revoked = authlib_client.revoke_token(metadata["revocation_endpoint"], token=refresh, token_type_hint="refresh_token")
    assert revoked.status_code == 200, revoked.text
    for value in (access, refreshed["access_token"], refresh):
        after = authlib_client.introspect_token(metadata["introspection_endpoint"], token=value)
        assert after.json() == {"active": False}
    with pytest.raises(OAuthError) as refused:
        authlib_client.refresh_token(metadata["token_endpoint"], refresh_token=refresh)
    assert refused.value.error == "invalid_grant"


def test_code_reuse_and_wrong_verifier_are_invalid_grant(
    server: Server,
    metadata: rfc8414.AuthorizationServerMetadata,
    authlib_client: OAuth2Client,
    member: str,
) -> None:
    verifier = generate_token(48)
    url, state = authlib_client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    location = sign_in(server, url, member)
    with pytest.raises(OAuthError) as wrong:
        authlib_client.fetch_token(
            metadata["token_endpoint"], authorization_response=location, state=state, code_verifier=generate_token(48)
        )
    assert wrong.value.error == "invalid_grant"
    # A failed verifier check does not consume the code; the right verifier still works once.
    token = authlib_client.fetch_token(metadata["token_endpoint"], authorization_response=location, state=state, code_verifier=verifier)
    assert token["access_token"]
    with pytest.raises(OAuthError) as again:
        authlib_client.fetch_token(metadata["token_endpoint"], authorization_response=location, state=state, code_verifier=verifier)
    assert again.value.error == "invalid_grant"


def test_client_credentials_with_the_oauth_app_secret(
    metadata: rfc8414.AuthorizationServerMetadata,
    oauth_app: Client,
) -> None:
    with OAuth2Client(client_id=oauth_app.id, client_secret=oauth_app.secret, timeout=30) as client:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["access_token"] and "refresh_token" not in token
        info = client.introspect_token(metadata["introspection_endpoint"], token=token["access_token"]).json()
        assert info["active"] is True and info["subject_type"] == "APP" and info["client_id"] == oauth_app.id
    with OAuth2Client(client_id=oauth_app.id, client_secret="not-the-secret", timeout=30) as wrong:
        with pytest.raises(OAuthError) as refused:
            wrong.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        assert refused.value.error == "invalid_client"
