"""OAuth 2.0 protocol endpoints, plain Starlette routes (the hot path):

- ``POST /oauth2/token`` (RFC 6749), dispatching to one module per grant;
- ``POST /oauth2/revoke`` (RFC 7009);
- ``POST /oauth2/token-info`` (Wix) and ``POST /oauth2/introspect`` (RFC 7662);
- ``/.well-known/oauth-authorization-server`` (RFC 8414) and the JWKS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..domain import credentials
from ..domain.errors import PayloadTooLarge
from ..oauth2 import params as oauth_params
from ..oauth2.clients import authenticate_client
from ..oauth2.errors import OAuth2Error, invalid_request, unsupported_grant_type
from ..oauth2.grants import anonymous, authorization_code, client_credentials, refresh_token
from ..runtime import Runtime
from ..store import grants
from ..tokens.access import ADMIN, APP, MEMBER, VISITOR, AccessClaims
from ..tokens.check import check_access_token
from .body import read_body
from .responses import NO_STORE, FastJSONResponse, oauth2_error

log = logging.getLogger("oauthapps.oauth2")

# A grant gets the request's parameters, the runtime and the client's address.
Grant = Callable[[dict[str, str], Runtime, str], Awaitable[dict[str, Any]]]
GRANTS: dict[str, Grant] = {
    "client_credentials": client_credentials.grant,
    "anonymous": anonymous.grant,
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
}
SUBJECT_TYPES = {APP: "APP", ADMIN: "APP", VISITOR: "VISITOR", MEMBER: "MEMBER"}


async def _params(request: Request, runtime: Runtime) -> tuple[dict[str, str], bool]:
    try:
        body = await read_body(request, runtime.settings.max_body_bytes)
    except PayloadTooLarge as exc:
        raise OAuth2Error("invalid_request", exc.description, 413) from exc
    params = oauth_params.parse_body(request.headers.get("content-type", ""), body)
    basic = oauth_params.apply_basic_auth(params, request.headers.get("authorization"))
    return params, basic


def _protocol_endpoint(
    handler: Callable[[dict[str, str], bool, Runtime, str], Awaitable[dict[str, Any]]],
) -> Callable[[Request], Awaitable[Response]]:
    """Parse parameters, run, and answer errors in the RFC 6749 shape. Only the error code is
    logged: parameters hold secrets, codes and tokens."""

    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.state.app
        # Any attempt at HTTP Basic (even a malformed one) earns the WWW-Authenticate challenge
        # on a 401 (RFC 6749 5.2), so decide it from the header, not from a successful parse.
        basic = request.headers.get("authorization", "")[:6].lower() == "basic "
        try:
            params, _ = await _params(request, runtime)
            result = await handler(params, basic, runtime, request.client.host if request.client else "unknown")
        except OAuth2Error as err:
            log.info("%s refused: %s", request.url.path, err.error)
            return oauth2_error(err, basic)
        return FastJSONResponse(result, headers=NO_STORE)

    return endpoint


async def token(params: dict[str, str], _basic: bool, runtime: Runtime, client_address: str) -> dict[str, Any]:
    grant_type = params.get("grant_type")
    if not grant_type:
        raise invalid_request("Missing parameter 'grant_type'")
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise unsupported_grant_type(grant_type)
    # Minting is where a key rotated elsewhere (the CLI, another node) must be picked up; without
    # this a running process signed with the retired key until something else reloaded the keys.
    await runtime.keys.refresh_if_stale()
    return await handler(params, runtime, client_address)


async def revoke(params: dict[str, str], _basic: bool, runtime: Runtime, _client_address: str) -> dict[str, Any]:
    """Revoking an access or refresh token revokes its whole grant. Unknown tokens, and tokens of
    other clients, are answered 200 as RFC 7009 asks, and left alone."""
    app = await authenticate_client(params, runtime)
    value = oauth_params.require(params, "token")
    at = datetime.now(UTC)
    claims = await runtime.tokens.verify(value)
    async with runtime.db.transaction() as conn:
        if claims is not None:
            if claims.grant_id and claims.client_id == app.id:
                await grants.revoke_grant(conn, claims.grant_id, at)
        else:
            record = await grants.find_refresh_token(conn, credentials.hash_secret(value))
            if record is not None and record.grant.oauth_app_id == app.id:
                await grants.revoke_grant(conn, record.grant.id, at)
    return {}


def _token_info(claims: AccessClaims) -> dict[str, Any]:
    info: dict[str, Any] = {
        "active": True,
        "subjectType": SUBJECT_TYPES.get(claims.kind, "UNKNOWN"),
        "subjectId": claims.subject,
        "clientId": claims.client_id,
        "siteId": claims.project_id,
        "exp": claims.expires_at,
        "iat": claims.issued_at,
    }
    if claims.instance_id:
        info["instanceId"] = claims.instance_id
    return info


async def token_info(params: dict[str, str], _basic: bool, runtime: Runtime, _client_address: str) -> dict[str, Any]:
    """Wix token-info: possession of the token is the authorisation to ask about it."""
    claims = await check_access_token(runtime.tokens, runtime.db, oauth_params.require(params, "token"))
    return _token_info(claims) if claims else {"active": False}


async def introspect(params: dict[str, str], _basic: bool, runtime: Runtime, _client_address: str) -> dict[str, Any]:
    """RFC 7662 for resource servers: the caller authenticates as an OAuth app (with its secret)
    and learns about tokens of its own project only."""
    caller = await authenticate_client(params, runtime, secret_required=True)
    value = oauth_params.require(params, "token")
    claims = await check_access_token(runtime.tokens, runtime.db, value)
    if claims is not None:
        if claims.project_id != caller.project_id:
            return {"active": False}
        result = {
            "active": True,
            "token_type": "Bearer",
            "client_id": claims.client_id,
            "sub": claims.subject,
            "exp": claims.expires_at,
            "iat": claims.issued_at,
            "iss": runtime.settings.issuer,
            "aud": claims.project_id,
            "jti": claims.token_id,
            "subject_type": SUBJECT_TYPES.get(claims.kind, "UNKNOWN"),
        }
        if claims.scopes:
            result["scope"] = " ".join(claims.scopes)
        return result
    async with runtime.db.transaction() as conn:
        record = await grants.find_refresh_token(conn, credentials.hash_secret(value))
    at = datetime.now(UTC)
    if (
        record is None
        or record.grant.project_id != caller.project_id
        or record.grant.revoked_at is not None
        or record.expires_at <= at
        or record.rotated_at is not None
    ):
        return {"active": False}
    return {
        "active": True,
        "token_type": "refresh_token",
        "client_id": record.grant.oauth_app_id,
        "sub": record.grant.subject_id,
        "exp": int(record.expires_at.timestamp()),
        "iss": runtime.settings.issuer,
        "subject_type": record.grant.subject_type.upper(),
    }


async def metadata(request: Request) -> Response:
    runtime: Runtime = request.state.app
    issuer = runtime.settings.issuer
    return FastJSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth2/authorize",
            "token_endpoint": f"{issuer}/oauth2/token",
            "revocation_endpoint": f"{issuer}/oauth2/revoke",
            "introspection_endpoint": f"{issuer}/oauth2/introspect",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "anonymous"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["offline_access"],
            "authorization_response_iss_parameter_supported": True,
            **({"service_documentation": f"{issuer}/docs"} if runtime.settings.api_docs else {}),
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


async def jwks(request: Request) -> Response:
    runtime: Runtime = request.state.app
    await runtime.keys.refresh_if_stale()
    return FastJSONResponse(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


routes = [
    Route("/oauth2/token", _protocol_endpoint(token), methods=["POST"]),
    Route("/oauth2/revoke", _protocol_endpoint(revoke), methods=["POST"]),
    Route("/oauth2/token-info", _protocol_endpoint(token_info), methods=["POST"]),
    Route("/oauth2/introspect", _protocol_endpoint(introspect), methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/oauth2/jwks", jwks, methods=["GET"]),
]
