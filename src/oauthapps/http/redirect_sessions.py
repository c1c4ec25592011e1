"""Redirect sessions (Wix ``createRedirectSession``): the SDK asks for a login or logout URL and
hands ``fullUrl`` to the browser. Checked here, and again when the browser arrives.

``getMemberTokensForDirectLogin`` asks for a ``web_message`` URL without a ``redirectUri``: its
answer goes to the page that called, so the redirect URI is that page's origin, as the browser
states it in the ``Origin`` header, and must be approved like any other."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from .. import ids
from ..domain.authorize_request import AuthorizeError, ResponseMode, parse
from ..domain.errors import FieldViolation, NotFound, PermissionDenied, ValidationFailed
from ..domain.redirect_policy import is_approved_redirect
from ..domain.urls import UrlError, parse_web_url
from ..runtime import Runtime
from ..services import hosted_login
from .auth import site_visitor_call
from .responses import FastJSONResponse, wire_errors
from .routing import PublicRoute

PATHS = (
    "/_api/redirects-api/v1/redirect-session",
    "/headless/v1/redirect-session",
    "/redirect-session/v1/redirect-session",
    "/v1/redirect-session",
)
INTENTS = (
    "auth",
    "logout",
    "login",
    "bookingsCheckout",
    "ecomCheckout",
    "eventsCheckout",
    "paidPlansCheckout",
    "storesProduct",
    "bookingsBook",
    "ecomOrderPaymentRequest",
)
# SDK field names inside authRequest -> standard authorization request parameters.
AUTH_FIELDS = {
    "clientId": "client_id",
    "redirectUri": "redirect_uri",
    "codeChallenge": "code_challenge",
    "codeChallengeMethod": "code_challenge_method",
    "responseMode": "response_mode",
    "responseType": "response_type",
    "scope": "scope",
    "state": "state",
    "sessionToken": "session_token",
}


def _violation(field: str, description: str, rule: str) -> ValidationFailed:
    return ValidationFailed([FieldViolation(field, description, rule)])


def _session(runtime: Runtime, path: str, params: dict[str, str]) -> dict[str, Any]:
    endpoint = f"{runtime.settings.issuer}{path}"
    full = f"{endpoint}?{urlencode(params)}"
    return {
        "redirectSession": {
            "id": ids.random_uuid(),
            "fullUrl": full,
            "shortUrl": full,
            "sessionToken": "",
            "urlDetails": {"endpoint": endpoint, "searchParams": params},
        }
    }


def _calling_origin(origin_header: str | None) -> str | None:
    """The browser's ``Origin`` (scheme, host, port; nothing else), normalised; None if absent,
    opaque (``null``) or not a web origin we could ever approve."""
    try:
        url = parse_web_url(origin_header, allow_query=False)
    except UrlError:
        return None
    return url.origin if url.path == "" else None


async def _auth_intent(runtime: Runtime, body: dict[str, Any], client_id: str, origin_header: str | None) -> dict[str, Any]:
    auth = body["auth"]
    request = auth.get("authRequest") if isinstance(auth, dict) else None
    if not isinstance(request, dict):
        raise _violation("auth.authRequest", "is required", "REQUIRED")
    params: dict[str, str] = {}
    for wire, name in AUTH_FIELDS.items():
        value = request.get(wire)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise _violation(f"auth.authRequest.{wire}", "must be a string", "TYPE")
        params[name] = value
    prompt = auth.get("prompt")
    if isinstance(prompt, str) and prompt:
        params["prompt"] = prompt
    if params.get("client_id") != client_id:
        raise PermissionDenied("authRequest.clientId must be the client the access token was issued to")
    app = await hosted_login.load_client(runtime.db, client_id)
    if app is None:
        raise NotFound("OAuth app not found", code="OAUTH_APP_NOT_FOUND")
    if "redirect_uri" not in params and params.get("response_mode") == ResponseMode.WEB_MESSAGE:
        calling = _calling_origin(origin_header)
        if calling is not None:
            params["redirect_uri"] = calling
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise _violation("auth.authRequest.redirectUri", "is required", "REQUIRED")
    if not hosted_login.login_redirect_approved(app, redirect_uri):
        raise _violation(
            "auth.authRequest.redirectUri",
            "is not an approved redirect URI of this OAuth app (allowedRedirectUris or allowedRedirectDomains)",
            "REDIRECT_URI_NOT_APPROVED",
        )
    params.setdefault("response_type", "code")
    try:
        req = parse(params, app.id, redirect_uri)
    except AuthorizeError as err:
        raise _violation("auth.authRequest", err.description, err.error.upper()) from None
    return _session(runtime, "/oauth2/authorize", req.to_params())


async def _logout_intent(runtime: Runtime, body: dict[str, Any], client_id: str) -> dict[str, Any]:
    logout = body["logout"]
    if not isinstance(logout, dict):
        raise _violation("logout", "must be an object", "TYPE")
    requested = logout.get("clientId") or client_id
    if requested != client_id:
        raise PermissionDenied("logout.clientId must be the client the access token was issued to")
    callbacks = body.get("callbacks") or {}
    post_flow = callbacks.get("postFlowUrl") if isinstance(callbacks, dict) else None
    params = {"client_id": client_id}
    if post_flow:
        app = await hosted_login.load_client(runtime.db, client_id)
        if app is None:
            raise NotFound("OAuth app not found", code="OAUTH_APP_NOT_FOUND")
        if not isinstance(post_flow, str) or not is_approved_redirect(post_flow, app.allowed_redirect_domains):
            raise _violation("callbacks.postFlowUrl", "is not on an approved redirect domain of this OAuth app", "REDIRECT_NOT_APPROVED")
        params["post_logout_redirect_uri"] = post_flow
    return _session(runtime, "/oauth2/logout", params)


@wire_errors
async def create_redirect_session(request: Request) -> Response:
    runtime, claims, body = await site_visitor_call(request)
    intents = [key for key in INTENTS if body.get(key) is not None]
    if len(intents) != 1:
        raise _violation("intent", "send exactly one intent (auth or logout)", "ONE_OF")
    if intents[0] == "auth":
        return FastJSONResponse(await _auth_intent(runtime, body, claims.client_id, request.headers.get("origin")))
    if intents[0] == "logout":
        return FastJSONResponse(await _logout_intent(runtime, body, claims.client_id))
    raise _violation(intents[0], "this redirect intent is not supported by oauthapps", "UNSUPPORTED")


routes = [PublicRoute(path, create_redirect_session, methods=["POST"]) for path in PATHS]
