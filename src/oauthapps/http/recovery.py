"""The account-recovery calls OAuthStrategy makes: ``sendPasswordResetEmail`` (``@wix/identity``
recovery ``sendRecoveryEmail``) and ``processVerification`` (verification
``verifyDuringAuthentication``), plus a request for a new verification code
(docs/wire-protocol.md#password-reset-and-email-verification)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import FieldViolation, ValidationFailed
from ..services import email_verification, password_reset
from ..services.hosted_login import load_client
from ..store import members
from .auth import site_visitor_call
from .client_address import client_address
from .identity import answer
from .responses import FastJSONResponse, wire_errors
from .routing import PublicRoute

RECOVERY = "/_api/iam/recovery/v1"
VERIFICATION = "/_api/iam/verification/v1"


def _redirect_of(body: dict[str, Any], client_id: str) -> object:
    redirect = body.get("redirect")
    if redirect is None:
        return None
    if not isinstance(redirect, dict):
        raise ValidationFailed([FieldViolation("redirect", "must be an object with url and clientId", "FORMAT")])
    named = redirect.get("clientId")
    if named not in (None, "", client_id):
        raise ValidationFailed([FieldViolation("redirect.clientId", "must be the client the access token was issued to", "MATCH")])
    return redirect.get("url")


@wire_errors
async def send_recovery_email(request: Request) -> Response:
    """``{}`` whether or not the email belongs to a member (no enumeration)."""
    runtime, claims, body = await site_visitor_call(request)
    app = await load_client(runtime.db, claims.client_id)
    if app is None:
        raise ValidationFailed([FieldViolation("redirect.clientId", "names an OAuth app that was deleted", "NOT_FOUND")])
    redirect = _redirect_of(body, app.id)
    limits, issuer = runtime.settings.attempt_limits, runtime.settings.issuer
    await password_reset.request_reset(runtime.db, limits, app, body.get("email"), redirect, client_address(request), issuer)
    return FastJSONResponse({})


@wire_errors
async def verify_during_authentication(request: Request) -> Response:
    """``{code, stateToken}`` → the login answer (SUCCESS with a sessionToken, or the owner-approval state)."""
    runtime, claims, body = await site_visitor_call(request)
    member_id = await email_verification.verify(
        runtime.db,
        runtime.settings.attempt_limits,
        claims.project_id,
        claims.client_id,
        body.get("stateToken"),
        body.get("code"),
        client_address(request),
    )
    async with runtime.db.read() as conn:  # not the cache: it may not have seen the change yet
        member = await members.get_member(conn, claims.project_id, member_id)
    if member is None:
        raise email_verification.state_invalid()
    return await answer(request, runtime, claims.client_id, member)


@wire_errors
async def resend_code(request: Request) -> Response:
    """``{stateToken}`` → a new code by mail for the same stateToken."""
    runtime, claims, body = await site_visitor_call(request)
    state = body.get("stateToken")
    limits = runtime.settings.attempt_limits
    await email_verification.resend(runtime.db, limits, claims.project_id, claims.client_id, state, client_address(request))
    return FastJSONResponse({"state": "REQUIRE_EMAIL_VERIFICATION", "stateToken": state})


routes = [
    PublicRoute(f"{RECOVERY}/send-email", send_recovery_email, methods=["POST"]),
    PublicRoute(f"{VERIFICATION}/auth/verify", verify_during_authentication, methods=["POST"]),
    PublicRoute(f"{VERIFICATION}/auth/resend", resend_code, methods=["POST"]),
]
