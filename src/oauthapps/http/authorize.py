"""The authorization endpoint and the hosted login page (server-rendered, works without JS).

Never an open redirect: an unknown client or an unapproved redirect URI gets an error page; only
an approved redirect URI ever receives a redirect, errors included (RFC 6749 4.1.2.1). In the
``web_message`` response mode the answer is a page that posts it to the window framing it, only if
that window is on the approved redirect URI's origin (and only that origin may frame it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..domain.account_recovery import CODE_DIGITS, RecoveryError
from ..domain.authorize_request import AuthorizeError, AuthorizeRequest, ResponseMode, build_redirect, parse, response_mode_of
from ..domain.errors import Conflict, DomainError, PayloadTooLarge, TooManyRequests, Unauthenticated, ValidationFailed
from ..domain.members import MemberStatus
from ..domain.oauth_app import OAuthApp
from ..runtime import Runtime
from ..services import email_verification, hosted_login, member_accounts
from ..store import members as member_repo
from ..store import tenancy
from ..store.members import MemberProfile
from ..tokens.csrf import Purpose
from ..web import STATIC_DIR, templates
from .body import read_body
from .client_address import client_address
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
from .responses import retry_after

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


def _web_message_headers(origin: str) -> dict[str, str]:
    """The one hosted page that may be framed, and only by the origin it answers to."""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {origin}"
        ),
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }


def _web_message_page(redirect_uri: str, data: dict[str, str]) -> HTMLResponse:
    """The answer of ``response_mode=web_message``: the data goes in a JSON block (no inline
    script), and static/web-message.js posts it to the parent window at the redirect URI's origin."""
    origin = origin_of(redirect_uri)
    body = templates.get_template("web_message.html").render(response={"targetOrigin": origin, "data": data})
    return HTMLResponse(body, headers=_web_message_headers(origin))


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


def _redirect(runtime: Runtime, redirect_uri: str, mode: str, params: dict[str, str | None]) -> Response:
    """The answer to an approved redirect URI: a 303 there, or in ``web_message`` mode the page
    that posts ``params`` to that origin's window."""
    if mode == ResponseMode.WEB_MESSAGE:
        return _web_message_page(redirect_uri, {name: value for name, value in params.items() if value is not None})
    url = build_redirect(redirect_uri, {**params, "iss": runtime.settings.issuer}, mode)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _error_redirect(runtime: Runtime, redirect_uri: str, mode: str, error: str, description: str, client_state: str | None) -> Response:
    return _redirect(runtime, redirect_uri, mode, {"error": error, "error_description": description, "state": client_state})


async def _code_redirect(runtime: Runtime, app: OAuthApp, req: AuthorizeRequest, member_id: str) -> Response:
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
        forgot_url="/oauth2/forgot-password?" + urlencode(params),
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
    if member_id is None or not await hosted_login.may_sign_in(runtime.db, app.project_id, member_id):
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
    if action in ("verify", "resend"):
        return await _verification_step(request, runtime, app, req, form)

    limits, caller = runtime.settings.attempt_limits, client_address(request)
    try:
        if action == "register":
            member = await member_accounts.register(runtime.db, limits, app.project_id, email, form.get("password"), caller)
        else:
            member = await member_accounts.authenticate(runtime.db, limits, app.project_id, email, form.get("password"), caller)
    except DomainError as err:
        status, message = _password_refusal(err)
        refused = await _login_page(request, runtime, app, req, mode=mode, email=email, status=status, error=message)
        refused.headers.update(retry_after(err))
        return refused

    return await _signed_in(request, runtime, app, req, member, mode)


async def _signed_in(
    request: Request, runtime: Runtime, app: OAuthApp, req: AuthorizeRequest, member: MemberProfile, mode: str
) -> Response:
    """After the password (or the mailed code) was right: blocked, unverified, pending, or in."""
    if member.status == MemberStatus.BLOCKED:
        return await _login_page(
            request, runtime, app, req, mode=mode, email=member.email, status=403, error="This account is blocked by the site owner."
        )
    if await email_verification.required_for(runtime.db, member):
        try:
            state = await email_verification.start(runtime.db, runtime.settings.attempt_limits, app.id, member, client_address(request))
        except TooManyRequests as err:
            return await _too_many(request, runtime, app, req, mode, member.email, err)
        return await _verify_page(request, runtime, app, req, member.email, state)
    if member.status == MemberStatus.PENDING:
        return message_page(
            "Waiting for approval",
            "Your account is waiting for the site owner's approval. You can sign in once it is approved.",
            200,
            is_error=False,
        )
    session = await hosted_login.start_session(runtime.db, app, member.id)
    response = await _code_redirect(runtime, app, req, member.id)
    _set_session_cookie(response, runtime, session)
    return response


async def _too_many(
    request: Request, runtime: Runtime, app: OAuthApp, req: AuthorizeRequest, mode: str, email: str, err: TooManyRequests
) -> HTMLResponse:
    refused = await _login_page(
        request, runtime, app, req, mode=mode, email=email, status=429, error=f"Too many attempts. Please wait {_wait(err)} and try again."
    )
    refused.headers.update(retry_after(err))
    return refused


async def _verify_page(
    request: Request,
    runtime: Runtime,
    app: OAuthApp,
    req: AuthorizeRequest,
    email: str,
    state: str,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The code form; it posts back to the authorize endpoint with the request's parameters and a
    CSRF token this server issued (never one taken from the cookie unchecked)."""
    csrf = await csrf_token(request, runtime, CSRF_COOKIE, Purpose.LOGIN)
    params = req.to_params()
    params.pop("session_token", None)
    body = templates.get_template("verify_email.html").render(
        title=f"Check your email - {app.name}",
        app_name=app.name,
        email=email,
        digits=CODE_DIGITS,
        request_params=params,
        csrf_token=csrf,
        state_token=state,
        error=error,
        notice=notice,
    )
    headers = {**page_headers(origin_of(req.redirect_uri)), "Referrer-Policy": "no-referrer"}
    response = HTMLResponse(body, status_code=status, headers=headers)
    set_csrf_cookie(response, runtime, CSRF_COOKIE, CSRF_PATH, csrf)
    return response


async def _verification_step(request: Request, runtime: Runtime, app: OAuthApp, req: AuthorizeRequest, form: dict[str, str]) -> Response:
    """The code form's answer: ``verify`` the typed code, or ``resend`` a new one."""
    state, email, caller = form.get("state_token", ""), form.get("email", ""), client_address(request)
    limits = runtime.settings.attempt_limits
    try:
        if form.get("action") == "resend":
            await email_verification.resend(runtime.db, limits, app.project_id, app.id, state, caller)
            return await _verify_page(request, runtime, app, req, email, state, notice="We sent you a new code.")
        member_id = await email_verification.verify(runtime.db, limits, app.project_id, app.id, state, form.get("code"), caller)
    except TooManyRequests as err:
        wait = f"{err.retry_after_seconds} seconds" if err.retry_after_seconds else "a while"
        refused = await _verify_page(request, runtime, app, req, email, state, error=f"Too many attempts. Please wait {wait}.", status=429)
        refused.headers.update(retry_after(err))
        return refused
    except ValidationFailed:
        return await _verify_page(
            request, runtime, app, req, email, state, error=f"Type the {CODE_DIGITS}-digit code from the mail.", status=400
        )
    except DomainError as err:
        if err.code == RecoveryError.STATE_INVALID:
            return await _login_page(
                request, runtime, app, req, email=email, status=400, error="This code form expired. Please sign in again."
            )
        return await _verify_page(request, runtime, app, req, email, state, error=f"{err.description}.", status=400)
    async with runtime.db.read() as conn:
        member = await member_repo.get_member(conn, app.project_id, member_id)
    if member is None:
        return await _login_page(request, runtime, app, req, status=400, error="This account no longer exists.")
    return await _signed_in(request, runtime, app, req, member, "login")


def _password_refusal(err: DomainError) -> tuple[int, str]:
    """The status and the sentence the login form shows when registering or signing in is refused."""
    if isinstance(err, TooManyRequests):
        return 429, f"Too many failed attempts. Please wait {_wait(err)} and try again."
    if isinstance(err, Unauthenticated):
        return 400, "Wrong email or password."
    if isinstance(err, Conflict):
        return 400, "An account with this email already exists. Sign in instead."
    if isinstance(err, ValidationFailed):
        return 400, "; ".join(_friendly(v.field, v.description) for v in err.violations)
    return err.status, err.description


def _wait(err: TooManyRequests) -> str:
    return f"{err.retry_after_seconds} seconds" if err.retry_after_seconds else "a while"


def _friendly(field: str, description: str) -> str:
    name = "Email" if "email" in field.lower() else "Password" if "password" in field.lower() else field
    return f"{name} {description}."


routes = [
    Route("/oauth2/authorize", authorize_get, methods=["GET"]),
    Route("/oauth2/authorize", authorize_post, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
