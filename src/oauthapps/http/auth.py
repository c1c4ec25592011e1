"""Who is calling the management API: an installed app's token or an owner's API key.

``Authorization`` carries the bare value (what the SDK sends) or ``Bearer <value>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from .. import logs
from ..domain import credentials, scopes
from ..domain.errors import PermissionDenied, Unauthenticated
from ..domain.roles import CallerRole
from ..runtime import Runtime
from ..services.actor import Actor, ActorKind
from ..services.callers import Caller
from ..store import cached
from ..tokens.access import AccessClaims, TokenKind
from ..tokens.check import check_access_token
from .body import read_json_object

ALL_OWNER_SCOPES = frozenset(scopes.KNOWN_SCOPES)


def bearer_value(request: Request) -> str | None:
    raw = request.headers.get("authorization", "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    return raw or None


@dataclass(frozen=True)
class Credential:
    """What the Authorization header proved: a live access token, or an owner's API key."""

    claims: AccessClaims | None = None
    project_id: str = ""
    api_key_id: str = ""


async def _credential(request: Request, runtime: Runtime, wanted: str) -> Credential:
    value = bearer_value(request)
    if value is None:
        raise Unauthenticated(f"Missing Authorization header: send {wanted}")
    if value.count(".") == 2:
        claims = await check_access_token(runtime.tokens, runtime.db, value)
        if claims is None:
            raise Unauthenticated("The access token is invalid, expired or revoked")
        return Credential(claims=claims, project_id=claims.project_id)
    site_id = request.headers.get("wix-site-id", "").strip() or None
    key = await cached.api_key(runtime.db, credentials.hash_secret(value))
    if key is None:
        raise Unauthenticated("The API key is invalid")
    if site_id is not None and site_id != key.project_id:
        raise Unauthenticated("The API key is not valid for this site (wix-site-id)")
    return Credential(project_id=key.project_id, api_key_id=key.id)


async def authenticate(request: Request, runtime: Runtime) -> Actor:
    """For the management API: an installed app's token (its granted scopes) or an API key."""
    found = await _credential(request, runtime, "an app access token or an API key")
    logs.note_caller(found.project_id, found.claims.client_id if found.claims is not None else None)
    request_id = getattr(request.state, "request_id", None)
    claims = found.claims
    if claims is None:
        return Actor(found.project_id, ALL_OWNER_SCOPES, ActorKind.API_KEY, found.api_key_id, request_id)
    subject = claims.instance_id or claims.subject
    if claims.kind == TokenKind.APP:
        return Actor(claims.project_id, frozenset(claims.scopes), ActorKind.APP, subject, request_id)
    return Actor(claims.project_id, frozenset(), ActorKind.OTHER_TOKEN, subject, request_id)


async def authenticate_site_visitor(request: Request, runtime: Runtime) -> AccessClaims:
    """A visitor's or member's access token (what OAuthStrategy sends), live at this moment."""
    value = bearer_value(request)
    if value is None:
        raise Unauthenticated("Missing Authorization header: send a visitor or member access token")
    claims = await check_access_token(runtime.tokens, runtime.db, value)
    if claims is None or claims.kind not in (TokenKind.VISITOR, TokenKind.MEMBER):
        raise Unauthenticated("The access token is invalid, expired or revoked")
    logs.note_caller(claims.project_id, claims.client_id)
    return claims


async def site_visitor_call(request: Request) -> tuple[Runtime, AccessClaims, dict[str, Any]]:
    """The runtime, the visitor's or member's claims and the JSON body of a call OAuthStrategy
    makes; the token is checked before the body is read, so a stranger gets 401 whatever he sends."""
    runtime: Runtime = request.state.app
    claims = await authenticate_site_visitor(request, runtime)
    return runtime, claims, await read_json_object(request, runtime.settings.max_body_bytes)


_ROLE_OF_TOKEN: dict[TokenKind, CallerRole] = {
    TokenKind.VISITOR: CallerRole.VISITOR,
    TokenKind.MEMBER: CallerRole.MEMBER,
    TokenKind.ADMIN: CallerRole.ADMIN,
}


async def authenticate_caller(request: Request, runtime: Runtime, admin_app_scopes: frozenset[str] = frozenset()) -> Caller:
    """For project-data APIs: visitor and member tokens, admin tokens (an OAuth app's secret),
    and owner API keys (admin); an installed app's token is an admin where the API names a scope
    it holds (``admin_app_scopes``)."""
    found = await _credential(request, runtime, "an access token or an API key")
    logs.note_caller(found.project_id, found.claims.client_id if found.claims is not None else None)
    claims = found.claims
    if claims is None:
        return Caller(found.project_id, CallerRole.ADMIN, found.api_key_id, None)
    if claims.kind == TokenKind.APP and not admin_app_scopes.isdisjoint(claims.scopes):
        return Caller(claims.project_id, CallerRole.ADMIN, claims.instance_id or claims.subject, claims.client_id)
    role = _ROLE_OF_TOKEN.get(claims.kind)
    if role is None:
        raise PermissionDenied("App tokens cannot call project data APIs; use an OAuth app's admin token or an API key")
    return Caller(claims.project_id, role, claims.subject, claims.client_id)
