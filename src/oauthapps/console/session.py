"""The console's cookies: the session (HttpOnly, SameSite=Strict, Secure when the issuer is https)
and, before sign-in, a CSRF cookie for the sign-in form. Every form carries a CSRF token: before
sign-in the double-submitted cookie value, after it a value derived from the session token
(which only the HttpOnly cookie holds), so a token is bound to its session."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.responses import Response

from ..runtime import Runtime

SESSION_COOKIE = "oauthapps_console"
SIGN_IN_CSRF_COOKIE = "oauthapps_console_csrf"
CONSOLE_PATH = "/console"
SIGN_IN_PATH = "/console/sign-in"
MAX_TOKEN = 128


def secure_cookies(runtime: Runtime) -> bool:
    return runtime.settings.issuer.lower().startswith("https://")


def set_session(response: Response, runtime: Runtime, token: str) -> None:
    """A browser-session cookie: the server ends the session after idle or absolute timeouts."""
    response.set_cookie(SESSION_COOKIE, token, path=CONSOLE_PATH, httponly=True, secure=secure_cookies(runtime), samesite="strict")


def clear_session(response: Response, runtime: Runtime) -> None:
    response.delete_cookie(SESSION_COOKIE, path=CONSOLE_PATH, httponly=True, secure=secure_cookies(runtime), samesite="strict")


def csrf_for_session(session_token: str) -> str:
    return hashlib.sha256(f"console-csrf\0{session_token}".encode()).hexdigest()


def sign_in_csrf(cookie: str | None) -> str:
    """The sign-in form's token: the cookie's, or a new one."""
    if cookie and 20 <= len(cookie) <= MAX_TOKEN:
        return cookie
    return secrets.token_urlsafe(32)


def set_sign_in_csrf(response: Response, runtime: Runtime, token: str) -> None:
    response.set_cookie(SIGN_IN_CSRF_COOKIE, token, path=SIGN_IN_PATH, httponly=True, secure=secure_cookies(runtime), samesite="strict")


def tokens_match(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented or len(presented) > MAX_TOKEN:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())
