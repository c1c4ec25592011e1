"""The logout endpoint that logout redirect sessions (the SDK's ``logoutUrl``) point at.

Ending a session changes state, so it takes a same-origin POST with a CSRF token. The SDK sends
the browser to a GET URL, so the GET answers:

- with no session cookie, nothing to end: straight to the approved post-logout address;
- from our own pages (``Sec-Fetch-Site: same-origin``): ends the session at once;
- otherwise (cross-site, or a browser that does not say): a confirmation page whose button posts
  back here with a CSRF token bound to the session; a page elsewhere can send the browser here
  but cannot press the button for it (frame-ancestors 'none', no script).

The address it goes back to follows the same rule everywhere: an approved domain of the app
(``post_logout_redirect_uri``, or ``postFlowUrl``), else our "signed out" page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..domain.errors import PayloadTooLarge
from ..domain.redirect_policy import is_approved_redirect
from ..runtime import Runtime
from ..services import hosted_login
from ..tokens.csrf import Purpose
from ..web import templates
from .body import read_body
from .hosted_pages import (
    FORM_LIMIT,
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
    is_cross_site_post,
    is_same_origin_navigation,
    message_page,
    origin_of,
    page_headers,
    runtime_of,
    secure_cookies,
    session_binding,
    set_csrf_cookie,
)

CSRF_COOKIE = "oauthapps_logout_csrf"
CSRF_PATH = "/oauth2/logout"
TARGET_PARAMS = ("post_logout_redirect_uri", "postFlowUrl")


@dataclass(frozen=True)
class LogoutRequest:
    client_id: str
    app_name: str
    target: str | None  # approved; None when absent or not approved
    target_refused: bool  # one was asked for and is not approved

    def fields(self) -> dict[str, str]:
        """The hidden inputs that reproduce this request in the confirmation form."""
        out = {"client_id": self.client_id} if self.client_id else {}
        if self.target:
            out["post_logout_redirect_uri"] = self.target
        return out


async def _logout_request(runtime: Runtime, params: Mapping[str, str]) -> LogoutRequest:
    app = await hosted_login.load_client(runtime.db, params.get("client_id"))
    asked = next((params[name] for name in TARGET_PARAMS if params.get(name)), None)
    approved = asked if app is not None and asked and is_approved_redirect(asked, app.allowed_redirect_domains) else None
    return LogoutRequest(
        client_id=app.id if app else "",
        app_name=app.name if app else "",
        target=approved,
        target_refused=asked is not None and approved is None,
    )


async def _confirmation_page(request: Request, runtime: Runtime, logout: LogoutRequest, *, error: str = "", status: int = 200) -> Response:
    token = await csrf_token(request, runtime, CSRF_COOKIE, Purpose.LOGOUT, session_binding(request.cookies.get(SESSION_COOKIE)))
    body = templates.get_template("logout.html").render(
        title="Sign out", app_name=logout.app_name, fields=logout.fields(), csrf_token=token, error=error
    )
    response = HTMLResponse(body, status_code=status, headers=page_headers(origin_of(logout.target) if logout.target else None))
    set_csrf_cookie(response, runtime, CSRF_COOKIE, CSRF_PATH, token)
    return response


async def _sign_out(request: Request, runtime: Runtime, session: str | None, logout: LogoutRequest) -> Response:
    await hosted_login.end_session(runtime.db, session)
    if logout.target:
        response: Response = RedirectResponse(logout.target, status_code=303, headers={"Cache-Control": "no-store"})
    else:
        detail = (
            "The address you came from is not approved by the application, so we did not send you back." if logout.target_refused else ""
        )
        response = message_page("You are signed out", "You have been signed out.", 200, detail=detail, is_error=False)
    secure = secure_cookies(runtime)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=secure, samesite="lax")
    if CSRF_COOKIE in request.cookies:
        response.delete_cookie(CSRF_COOKIE, path=CSRF_PATH, httponly=True, secure=secure, samesite="lax")
    return response


async def logout_get(request: Request) -> Response:
    runtime = runtime_of(request)
    logout = await _logout_request(runtime, request.query_params)
    session = request.cookies.get(SESSION_COOKIE)
    if session and not is_same_origin_navigation(request):
        return await _confirmation_page(request, runtime, logout)
    return await _sign_out(request, runtime, session, logout)


async def logout_post(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        raw = await read_body(request, FORM_LIMIT)
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except PayloadTooLarge:
        return message_page("Request too large", "The form was larger than we accept.", 413)
    except UnicodeDecodeError:
        return message_page("Invalid request", "The form was not valid UTF-8.")
    logout = await _logout_request(runtime, form)
    session = request.cookies.get(SESSION_COOKIE)
    if is_cross_site_post(request, runtime) or (
        session
        and not await csrf_matches(request, runtime, CSRF_COOKIE, form.get("csrf_token", ""), Purpose.LOGOUT, session_binding(session))
    ):
        return await _confirmation_page(
            request, runtime, logout, status=400, error="This form expired or was not sent from this page. Please try again."
        )
    return await _sign_out(request, runtime, session, logout)


routes = [
    Route("/oauth2/logout", logout_get, methods=["GET"]),
    Route("/oauth2/logout", logout_post, methods=["POST"]),
]
