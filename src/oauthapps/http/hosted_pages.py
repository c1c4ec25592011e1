"""What the hosted pages (login, logout confirmation, password pages, messages) share: their security headers,
cookie flags, the session cookie's name, where a request came from, and CSRF tokens."""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Literal

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..domain import credentials
from ..domain.urls import UrlError, is_loopback_host, parse_web_url
from ..runtime import Runtime
from ..tokens import csrf
from ..web import templates

SESSION_COOKIE = "oauthapps_session"
FORM_LIMIT = 64 * 1024


class FetchSite(StrEnum):
    """Values of the ``Sec-Fetch-Site`` request header (Fetch Metadata) that we act on."""

    SAME_ORIGIN = "same-origin"


def runtime_of(request: Request) -> Runtime:
    return request.state.app  # type: ignore[no-any-return]


def secure_cookies(runtime: Runtime) -> bool:
    """Secure everywhere except a plain-http development issuer on a loopback host."""
    try:
        issuer = parse_web_url(runtime.settings.issuer)
    except UrlError:
        return True
    return not (issuer.scheme == "http" and is_loopback_host(issuer.host))


def origin_of(uri: str) -> str:
    return parse_web_url(uri).origin


def page_headers(form_target: str | None = None) -> dict[str, str]:
    """No script at all, our own stylesheet, forms posting only to us (and to ``form_target``,
    where the 303 after the post lands: Chromium applies form-action to that redirect too)."""
    form_action = "'self'" + (f" {form_target}" if form_target else "")
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }


def message_page(
    title: str, message: str, status: int = 400, *, eyebrow: str = "", detail: str = "", is_error: bool = True
) -> HTMLResponse:
    body = templates.get_template("message.html").render(title=title, message=message, eyebrow=eyebrow, detail=detail, is_error=is_error)
    return HTMLResponse(body, status_code=status, headers=page_headers())


def is_same_origin_navigation(request: Request) -> bool:
    """Only a browser that says so (``Sec-Fetch-Site: same-origin``): a request without the
    header may come from anywhere."""
    return request.headers.get("sec-fetch-site") == FetchSite.SAME_ORIGIN


def is_cross_site_post(request: Request, runtime: Runtime) -> bool:
    """A form post another site made: ``Sec-Fetch-Site`` when the browser sends it, else an
    ``Origin`` other than ours. With neither (old browsers, plain HTTP clients) the CSRF token
    alone decides."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site != FetchSite.SAME_ORIGIN
    origin = request.headers.get("origin")
    if origin is None:
        return False
    try:
        return origin != origin_of(runtime.settings.issuer)
    except UrlError:
        return True


def session_binding(session_token: str | None) -> str:
    """What a CSRF token is bound to for a signed-in browser: its session (as a hash)."""
    return credentials.hash_secret(session_token) if session_token and len(session_token) <= 256 else ""


async def csrf_token(request: Request, runtime: Runtime, cookie: str, purpose: csrf.Purpose, binding: str = "") -> str:
    """The token to put in a form: the cookie's own when we issued it (so two open tabs of one
    form both work), else a fresh one. A value we did not issue is never adopted."""
    held = request.cookies.get(cookie)
    if held and await csrf.is_ours(runtime.keys, held, purpose, binding):
        return held
    return csrf.issue(runtime.keys, purpose, binding)


async def csrf_matches(request: Request, runtime: Runtime, cookie: str, submitted: str, purpose: csrf.Purpose, binding: str = "") -> bool:
    """Double submit, with a value we issued: the form's token equals the cookie's, and it verifies."""
    held = request.cookies.get(cookie, "")
    if not held or not hmac.compare_digest(held.encode(), submitted.encode()):
        return False
    return await csrf.is_ours(runtime.keys, held, purpose, binding)


def set_csrf_cookie(
    response: Response, runtime: Runtime, cookie: str, path: str, token: str, *, samesite: Literal["lax", "strict"] = "lax"
) -> None:
    response.set_cookie(cookie, token, path=path, httponly=True, secure=secure_cookies(runtime), samesite=samesite)
