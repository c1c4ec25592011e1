"""The authorization endpoint and the hosted login page (server-rendered, works without JS).

Never an open redirect: an unknown client or an unapproved redirect URI gets an error page; only
an approved redirect URI ever receives a redirect, errors included (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..domain.authorize_request import AuthorizeError, AuthorizeRequest, build_redirect, parse, response_mode_of
from ..domain.errors import Conflict, DomainError, PayloadTooLarge, TooManyRequests, Unauthenticated, ValidationFailed
from ..domain.oauth_app import OAuthApp
from ..runtime import Runtime
from ..services import hosted_login, member_accounts
from ..store import tenancy
from ..tokens.csrf import Purpose
from ..web import STATIC_DIR, templates
from .body import read_body
from .hosted_pages import (
    FORM_LIMIT,
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
    message_page,
    origin_of,
    page_headers,
    runtime_of,
    secure_cookies,
    set_csrf_cookie,
)

CSRF_COOKIE = "oauthapps_csrf"
CSRF_PATH = "/oauth2/authorize"
REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "code_challenge",
    "code_challenge_method",
    "state",
    "prompt",
    "scope",
)


class PageError(Exception):
    """Shown as a page, never redirected: the client or redirect URI cannot be trusted."""

    def __init__(self, title: str, message: str, status: int = 400):
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


def _single_valued(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise PageError("Invalid request", f"The parameter {name!r} was sent more than once.")
        params[name] = value
    return params


async def _client_and_redirect(runtime: Runtime, params: Mapping[str, str]) -> tuple[OAuthApp, str]:
    app = await hosted_login.load_client(runtime.db, params.get("client_id"))
    if app is None:
        raise PageError("Unknown application", "This sign-in link names an application that does not exist or was disconnected.")
    redirect_uri = params.get("redirect_uri")
    if not hosted_login.login_redirect_approved(app, redirect_uri):
        raise PageError(
            "Redirect address not approved",
            "This sign-in link asks to return to an address that the application has not approved, so we stopped here.",
        )
    return app, str(redirect_uri)


def _redirect(runtime: Runtime, redirect_uri: str, mode: str, params: dict[str, str | None]) -> RedirectResponse:
    url = build_redirect(redirect_uri, {**params, "iss": runtime.settings.issuer}, mode)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _error_redirect(
    runtime: Runtime, redirect_uri: str, mode: str, error: str, description: str, client_state: str | None
) -> RedirectResponse:
    return _redirect(runtime, redirect_uri, mode, {"error": error, "error_description": description, "state": client_state})


async def _code_redirect(runtime: Runtime, app: OAuthApp, req: AuthorizeRequest, member_id: str) -> RedirectResponse:
    lifetime = timedelta(seconds=runtime.settings.code_seconds)
    code = await hosted_login.issue_code(runtime.db, app, member_id, req, lifetime)
    return _redirect(runtime, req.redirect_uri, req.response_mode, {"code": code, "state": req.state})


def _set_session_cookie(response: Response, runtime: Runtime, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hosted_login.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        secure=secure_cookies(runtime),
        samesite="lax",
    )


async def _login_page(
    request: Request,
    runtime: Runtime,
    app: OAuthApp,
    req: AuthorizeRequest,
    *,
    mode: str = "login",
    error: str = "",
    email: str = "",
    status: int = 200,
) -> HTMLResponse:
    async with runtime.db.read() as conn:
        project = await tenancy.get_project(conn, app.project_id)
    csrf = await csrf_token(request, runtime, CSRF_COOKIE, Purpose.LOGIN)
    params = req.to_params()
    params.pop("session_token", None)
    other = "register" if mode == "login" else "login"
    body = templates.get_template("login.html").render(
        title=f"{'Create account' if mode == 'register' else 'Sign in'} - {app.name}",
        project_name=project.name if project else "",
        app_name=app.name,
        mode=mode,
        error=error,
        email=email,
        request_params=params,
        csrf_token=csrf,
        switch_url="/oauth2/authorize?" + urlencode({**params, "screen": other}),
    )
    response = HTMLResponse(body, status_code=status, headers=page_headers(origin_of(req.redirect_uri)))
    set_csrf_cookie(response, runtime, CSRF_COOKIE, CSRF_PATH, csrf)
    return response


async def _ticket_sign_in(runtime: Runtime, app: OAuthApp, req: AuthorizeRequest, ticket: str) -> Response:
    """A login ticket (the ``sessionToken`` of the identity API) answers this one request with a
    code, and never starts a hosted session: no session cookie is set.

    Why: the ticket arrives on a GET that is cross-site by design (the site sends the browser here
    after its own ``login()`` call), so nothing tells the member's browser apart from a victim's
    that an attacker sent here with a ticket for his own account. Were the ticket turned into a
    session cookie, the victim's later sign-ins on the site would silently complete as the
    attacker (login CSRF). Binding the ticket to the browser that asked for it is not possible
    either: the identity call is a cross-origin ``fetch`` that carries no cookie of ours. So the
    ticket yields only a code for the redirect URI and PKCE challenge of this request; a code
    planted that way is useless, as the site's own state and code verifier do not match it. The
    SDK's direct login (``getAuthUrl({sessionToken, prompt: 'none'})`` then ``getMemberTokens``)
    keeps working; the member's later ``prompt=none`` requests answer ``login_required`` until
    they sign in on the hosted page, which is what starts a hosted session."""
    member_id = await hosted_login.redeem_ticket(runtime.db, app, ticket)
    if member_id is None:
        return _error_redirect(
            runtime, req.redirect_uri, req.response_mode, "login_required", "The session token is invalid or expired", req.state
        )
    return await _code_redirect(runtime, app, req, member_id)


async def authorize_get(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        params = _single_valued(request.query_params.multi_items())
        app, redirect_uri = await _client_and_redirect(runtime, params)
    except PageError as err:
        return message_page(err.title, err.message, err.status)
    try:
        req = parse(params, app.id, redirect_uri)
    except AuthorizeError as err:
        return _error_redirect(runtime, redirect_uri, response_mode_of(params), err.error, err.description, params.get("state"))

    if req.session_token:
        return await _ticket_sign_in(runtime, app, req, req.session_token)

    member = await hosted_login.session_member(runtime.db, request.cookies.get(SESSION_COOKIE), app.project_id)
    if req.prompt == "none":
        if member is None:
            return _error_redirect(runtime, redirect_uri, req.response_mode, "login_required", "The member is not signed in", req.state)
        return await _code_redirect(runtime, app, req, member.id)
    if member is not None and req.prompt not in ("login", "select_account"):
        return await _code_redirect(runtime, app, req, member.id)
    mode = "register" if params.get("screen") == "register" else "login"
    return await _login_page(request, runtime, app, req, mode=mode)


async def authorize_post(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        try:
            raw = await read_body(request, FORM_LIMIT)
        except PayloadTooLarge:
            raise PageError("Request too large", "The form was larger than we accept.", 413) from None
        try:
            form = _single_valued(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise PageError("Invalid request", "The form was not valid UTF-8.") from None
        app, redirect_uri = await _client_and_redirect(runtime, form)
    except PageError as err:
        return message_page(err.title, err.message, err.status)
    request_params = {k: v for k, v in form.items() if k in REQUEST_FIELDS}
    try:
        req = parse(request_params, app.id, redirect_uri)
    except AuthorizeError as err:
        return _error_redirect(runtime, redirect_uri, response_mode_of(form), err.error, err.description, form.get("state"))

    mode = "register" if form.get("mode") == "register" else "login"
    action = form.get("action", mode)
    email = form.get("email", "")
    if not await csrf_matches(request, runtime, CSRF_COOKIE, form.get("csrf_token", ""), Purpose.LOGIN):
        return await _login_page(
            request,
            runtime,
            app,
            req,
            mode=mode,
            email=email,
            status=400,
            error="This form expired or was not sent from this page. Please try again.",
        )
    if action == "cancel":
        return _error_redirect(runtime, redirect_uri, req.response_mode, "access_denied", "The member cancelled sign-in", req.state)

    client_address = request.client.host if request.client else "unknown"
    try:
        if action == "register":
            member = await member_accounts.register(runtime.db, app.project_id, email, form.get("password"))
        else:
            member = await member_accounts.authenticate(runtime.db, app.project_id, email, form.get("password"), client_address)
    except TooManyRequests:
        return await _login_page(
            request,
            runtime,
            app,
            req,
            mode=mode,
            email=email,
            status=429,
            error="Too many failed sign-in attempts. Please wait a few minutes and try again.",
        )
    except Unauthenticated:
        return await _login_page(request, runtime, app, req, mode=mode, email=email, status=400, error="Wrong email or password.")
    except Conflict:
        return await _login_page(
            request,
            runtime,
            app,
            req,
            mode=mode,
            email=email,
            status=400,
            error="An account with this email already exists. Sign in instead.",
        )
    except ValidationFailed as err:
        message = "; ".join(_friendly(v.field, v.description) for v in err.violations)
        return await _login_page(request, runtime, app, req, mode=mode, email=email, status=400, error=message)
    except DomainError as err:
        return await _login_page(request, runtime, app, req, mode=mode, email=email, status=err.status, error=err.description)

    session = await hosted_login.start_session(runtime.db, app, member.id)
    response = await _code_redirect(runtime, app, req, member.id)
    _set_session_cookie(response, runtime, session)
    return response


def _friendly(field: str, description: str) -> str:
    name = "Email" if "email" in field.lower() else "Password" if "password" in field.lower() else field
    return f"{name} {description}."


routes = [
    Route("/oauth2/authorize", authorize_get, methods=["GET"]),
    Route("/oauth2/authorize", authorize_post, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
