"""CORS for the endpoints a public client calls from the browser (a Headless site's JavaScript, as
the Wix SDK does): token, revoke, token-info, redirect sessions, the identity login/register,
the current member, data items, and the discovery documents.

Any origin may call them, without credentials: they are authorised by what the request carries
(client id, PKCE verifier, refresh token, visitor or member token), never by our cookies, so
``Access-Control-Allow-Origin: *`` exposes nothing a server-side caller could not get. Every other
path (the management API, the hosted login page, introspection) gets no CORS headers.
"""

from __future__ import annotations

import re

from starlette.types import Scope, Send

from .identity import PREFIX as IDENTITY_PREFIX
from .redirect_sessions import PATHS as REDIRECT_SESSION_PATHS

PUBLIC_PATHS = frozenset(
    {
        "/oauth2/token",
        "/oauth2/revoke",
        "/oauth2/token-info",
        *REDIRECT_SESSION_PATHS,
        f"{IDENTITY_PREFIX}/login",
        f"{IDENTITY_PREFIX}/register",
        "/members/v1/members/my",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/oauth2/jwks",
    }
)
# Data items are read and written from the browser with visitor and member tokens; every path
# below this prefix is authorised by the token it carries (collections stay admin-only, no CORS).
PUBLIC_PREFIXES = ("/wix-data/v2/items",)
ALLOWED_METHODS = b"GET, POST, PUT, DELETE"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


MAX_AGE = "600"
# A comma-separated list of header names (RFC 9110 tokens); anything else is not echoed.
_HEADER_LIST = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$")

ALLOW_ORIGIN = (b"access-control-allow-origin", b"*")
EXPOSE = (b"access-control-expose-headers", b"x-wix-request-id")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def response_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response headers of a public endpoint: ours replace whatever CORS headers a route set."""
    kept = [h for h in headers if not h[0].lower().startswith(b"access-control-")]
    kept.extend((ALLOW_ORIGIN, EXPOSE))
    return kept


def is_preflight(scope: Scope) -> bool:
    return scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None


async def preflight(scope: Scope, send: Send) -> None:
    headers = [
        ALLOW_ORIGIN,
        (b"access-control-allow-methods", ALLOWED_METHODS),
        (b"access-control-max-age", MAX_AGE.encode()),
        (b"vary", b"Access-Control-Request-Headers"),
        (b"cache-control", b"no-store"),
        (b"content-length", b"0"),
        (b"x-content-type-options", b"nosniff"),
    ]
    requested = (_header(scope, b"access-control-request-headers") or "").strip()
    if requested and len(requested) <= 1024 and _HEADER_LIST.match(requested):
        headers.append((b"access-control-allow-headers", requested.encode("latin-1")))
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
