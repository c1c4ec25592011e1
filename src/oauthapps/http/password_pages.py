"""The hosted password pages: "Forgot password?" (asks for the email and mails a reset link) and
the reset link's page, where the member sets a new password. Server-rendered without script,
CSRF-protected (a token this server issued, in a cookie that the form repeats: tokens/csrf.py),
unframeable, never cached, no referrer (the
link's token is in the address)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..domain.errors import DomainError, PayloadTooLarge, TooManyRequests, ValidationFailed
from ..domain.oauth_app import OAuthApp
from ..runtime import Runtime
from ..services import hosted_login, password_reset
from ..tokens.csrf import Purpose
from ..web import templates
from .authorize import REQUEST_FIELDS, PageError, _single_valued
from .body import read_body
from .client_address import client_address
from .hosted_pages import FORM_LIMIT, csrf_matches, csrf_token, message_page, page_headers, runtime_of, set_csrf_cookie
from .responses import retry_after

FORGOT_PATH = "/oauth2/forgot-password"
FORM_CSRF_COOKIE = "oauthapps_form_csrf"
_HEADERS = {"Referrer-Policy": "no-referrer"}


async def _page(request: Request, runtime: Runtime, template: str, status: int = 200, **context: object) -> HTMLResponse:
    csrf = await csrf_token(request, runtime, FORM_CSRF_COOKIE, Purpose.PASSWORD)
    body = templates.get_template(template).render(csrf_token=csrf, **context)
    response = HTMLResponse(body, status_code=status, headers={**page_headers(), **_HEADERS})
    set_csrf_cookie(response, runtime, FORM_CSRF_COOKIE, "/oauth2", csrf, samesite="strict")
    return response


async def _csrf_ok(request: Request, runtime: Runtime, form: dict[str, str]) -> bool:
    return await csrf_matches(request, runtime, FORM_CSRF_COOKIE, form.get("csrf_token", ""), Purpose.PASSWORD)


async def _form(request: Request) -> dict[str, str]:
    try:
        raw = await read_body(request, FORM_LIMIT)
    except PayloadTooLarge:
        raise PageError("Request too large", "The form was larger than we accept.", 413) from None
    try:
        return _single_valued(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise PageError("Invalid request", "The form was not valid UTF-8.") from None


def _expired_form() -> str:
    return "This form expired or was not sent from this page. Please try again."


# --- Forgot password ------------------------------------------------------------------------------


async def _forgot_app(runtime: Runtime, params: dict[str, str]) -> OAuthApp:
    app = await hosted_login.load_client(runtime.db, params.get("client_id"))
    if app is None:
        raise PageError("Unknown application", "This link names an application that does not exist or was disconnected.")
    return app


async def _forgot_page(
    request: Request, runtime: Runtime, app: OAuthApp, params: dict[str, str], *, email: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    request_params = {k: v for k, v in params.items() if k in REQUEST_FIELDS}
    return await _page(
        request,
        runtime,
        "forgot_password.html",
        status,
        email=email,
        error=error,
        title=f"Forgot password - {app.name}",
        app_name=app.name,
        request_params=request_params,
        back_url="/oauth2/authorize?" + urlencode(request_params),
    )


async def forgot_get(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        params = _single_valued(request.query_params.multi_items())
        app = await _forgot_app(runtime, params)
    except PageError as err:
        return message_page(err.title, err.message, err.status)
    return await _forgot_page(request, runtime, app, params)


async def forgot_post(request: Request) -> Response:
    """The same page for a member's email and any other: "if there is an account, a link is on its way"."""
    runtime = runtime_of(request)
    try:
        form = await _form(request)
        app = await _forgot_app(runtime, form)
    except PageError as err:
        return message_page(err.title, err.message, err.status)
    email = form.get("email", "")
    if not await _csrf_ok(request, runtime, form):
        return await _forgot_page(request, runtime, app, form, email=email, error=_expired_form(), status=400)
    limits, issuer = runtime.settings.attempt_limits, runtime.settings.issuer
    try:
        await password_reset.request_reset(runtime.db, limits, app, email, None, client_address(request), issuer)
    except TooManyRequests as err:
        wait = f"{err.retry_after_seconds} seconds" if err.retry_after_seconds else "a while"
        refused = await _forgot_page(request, runtime, app, form, email=email, error=f"Too many requests. Please wait {wait}.", status=429)
        refused.headers.update(retry_after(err))
        return refused
    except ValidationFailed:
        return await _forgot_page(request, runtime, app, form, email=email, error="Email must be a valid email address.", status=400)
    return message_page(
        "Check your email",
        "If there is an account with this email, we sent it a link to choose a new password. The link works for one hour.",
        200,
        eyebrow=app.name,
        is_error=False,
    )


# --- The reset link ---------------------------------------------------------------------------------


def _invalid_link(err: DomainError) -> HTMLResponse:
    return message_page("Link not valid", f"{err.description}. Ask for a new link from the sign-in page.", 400)


async def _reset_page(
    request: Request, runtime: Runtime, link: password_reset.ResetLink, token: str, error: str = "", status: int = 200
) -> HTMLResponse:
    return await _page(
        request,
        runtime,
        "reset_password.html",
        status,
        title=f"New password - {link.app.name}",
        app_name=link.app.name,
        client_id=link.app.id,
        token=token,
        error=error,
    )


async def reset_get(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        params = _single_valued(request.query_params.multi_items())
        link = await password_reset.open_link(runtime.db, params.get("client_id"), params.get("token"))
    except PageError as err:
        return message_page(err.title, err.message, err.status)
    except password_reset.ResetLinkInvalid as err:
        return _invalid_link(err)
    return await _reset_page(request, runtime, link, params["token"])


async def reset_post(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        form = await _form(request)
        client_id, token = form.get("client_id"), form.get("token")
        link = await password_reset.open_link(runtime.db, client_id, token)
    except PageError as err:
        return message_page(err.title, err.message, err.status)
    except password_reset.ResetLinkInvalid as err:
        return _invalid_link(err)
    if not await _csrf_ok(request, runtime, form):
        return await _reset_page(request, runtime, link, str(token), _expired_form(), 400)
    try:
        done = await password_reset.complete(runtime.db, client_id, token, form.get("password"), form.get("password_confirmation"))
    except password_reset.ResetLinkInvalid as err:
        return _invalid_link(err)
    except ValidationFailed as err:
        message = "; ".join(("Password " if "password" in v.field.lower() else "") + v.description for v in err.violations)
        return await _reset_page(request, runtime, link, str(token), f"{message}.", 400)
    target = password_reset.redirect_after(done)
    if target is not None:
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store", **_HEADERS})
    return message_page("Password changed", "Your password has been changed. You can sign in with it now.", 200, is_error=False)


routes = [
    Route(FORGOT_PATH, forgot_get, methods=["GET"]),
    Route(FORGOT_PATH, forgot_post, methods=["POST"]),
    Route(password_reset.RESET_PATH, reset_get, methods=["GET"]),
    Route(password_reset.RESET_PATH, reset_post, methods=["POST"]),
]
