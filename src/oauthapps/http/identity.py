"""The identity calls OAuthStrategy makes (``login``, ``register``), answered with the states
and error codes the SDK reads (docs/wire-protocol.md#identity-login-and-register). A login error always carries
``details.applicationError.code``; without it the SDK itself crashes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import DomainError, FieldViolation, ValidationFailed
from ..domain.members import MemberStatus
from ..runtime import Runtime
from ..services import email_verification, hosted_login, member_accounts
from ..store.members import MemberProfile
from .auth import authenticate_site_visitor, site_visitor_call
from .body import read_json_object
from .client_address import client_address
from .responses import FastJSONResponse, wire_errors
from .routing import PublicRoute

PREFIX = "/_api/iam/authentication/v2"


def _email_of(body: dict[str, Any]) -> Any:
    login_id = body.get("loginId")
    if not isinstance(login_id, dict):
        raise ValidationFailed([FieldViolation("loginId.email", "is required", "REQUIRED", {"type": "EMAIL"})])
    return login_id.get("email")


def _identity(member: MemberProfile, *, verifying: bool = False) -> dict[str, Any]:
    identity: dict[str, Any] = {"id": member.id, "email": {"address": member.email, "isVerified": member.email_verified}}
    if verifying:
        identity["status"] = {"name": "PENDING", "reasons": ["PENDING_EMAIL_VERIFICATION_REQUIRED"]}
    elif member.status == MemberStatus.PENDING:
        identity["status"] = {"name": "PENDING", "reasons": ["PENDING_ADMIN_APPROVAL_REQUIRED"]}
    else:
        identity["status"] = {"name": "ACTIVE", "reasons": []}
    return identity


async def answer(request: Request, runtime: Runtime, client_id: str, member: MemberProfile) -> FastJSONResponse:
    """SUCCESS with a one-time ticket; or, when the project requires email verification and she
    has not verified hers, ``REQUIRE_EMAIL_VERIFICATION`` with a ``stateToken`` (a code goes by
    mail), which the SDK reports as ``EMAIL_VERIFICATION_REQUIRED``; or, for a member the owner has
    not approved yet, the ``REQUIRE_OWNER_APPROVAL`` state (no ticket), which the SDK reports as
    ``OWNER_APPROVAL_REQUIRED``. Only someone who knew the password (or the code) gets here."""
    member_accounts.require_not_blocked(member)
    if await email_verification.required_for(runtime.db, member):
        if await hosted_login.load_client(runtime.db, client_id) is None:
            raise DomainError("The OAuth app was deleted", code="OAUTH_APP_NOT_FOUND")
        limits = runtime.settings.attempt_limits
        state = await email_verification.start(runtime.db, limits, client_id, member, client_address(request))
        body = {"state": "REQUIRE_EMAIL_VERIFICATION", "stateToken": state, "identity": _identity(member, verifying=True)}
        return FastJSONResponse(body)
    if member.status == MemberStatus.PENDING:
        return FastJSONResponse({"state": "REQUIRE_OWNER_APPROVAL", "stateToken": "", "identity": _identity(member)})
    app = await hosted_login.load_client(runtime.db, client_id)
    if app is None:
        raise DomainError("The OAuth app was deleted", code="OAUTH_APP_NOT_FOUND")
    ticket = await hosted_login.issue_ticket(runtime.db, app, member.id)
    return FastJSONResponse({"state": "SUCCESS", "sessionToken": ticket, "stateToken": "", "identity": _identity(member)})


@wire_errors
async def login(request: Request) -> Response:
    runtime: Runtime = request.state.app
    claims = await authenticate_site_visitor(request, runtime)
    try:
        body = await read_json_object(request, runtime.settings.max_body_bytes)
        email = _email_of(body)
    except ValidationFailed as err:
        # The SDK reads applicationError.code on every login error.
        raise DomainError(err.description, code=member_accounts.INVALID_PASSWORD) from err
    member = await member_accounts.authenticate(
        runtime.db, runtime.settings.attempt_limits, claims.project_id, email, body.get("password"), client_address(request)
    )
    return await answer(request, runtime, claims.client_id, member)


@wire_errors
async def register(request: Request) -> Response:
    runtime, claims, body = await site_visitor_call(request)
    given = body.get("profile")
    profile: dict[str, Any] = given if isinstance(given, dict) else {}
    nickname = profile.get("nickname", "") if isinstance(profile.get("nickname"), str) else ""
    limits = runtime.settings.attempt_limits
    email, password = _email_of(body), body.get("password")
    member = await member_accounts.register(runtime.db, limits, claims.project_id, email, password, client_address(request), nickname[:256])
    return await answer(request, runtime, claims.client_id, member)


routes = [
    PublicRoute(f"{PREFIX}/login", login, methods=["POST"]),
    PublicRoute(f"{PREFIX}/register", register, methods=["POST"]),
]
