"""CORS for the endpoints a public client calls from the browser (a Headless site's JavaScript, as
the Wix SDK does): token, revoke, token-info, redirect sessions, the identity login/register,
the current member, data items, and the discovery documents. Each API module marks these routes
``PublicRoute`` (routing.py); the allow-list is computed from those marks when the app is built.

Any origin may call them, without credentials: they are authorised by what the request carries
(client id, PKCE verifier, refresh token, visitor or member token), never by our cookies, so
``Access-Control-Allow-Origin: *`` exposes nothing a server-side caller could not get. Every other
path (the management API, the hosted login page, introspection) gets no CORS headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.routing import BaseRoute, Route
from starlette.types import Scope, Send

from .routes import ROUTES
from .routing import PublicRoute


@dataclass(frozen=True)
class AllowList:
    """The paths of the public routes. A public route with a path parameter opens the whole
    subtree below its literal prefix, so that a mistyped item path still answers a 404 the page
    can read; ``allow_list`` refuses a private route inside such a subtree."""

    paths: frozenset[str]
    prefixes: tuple[str, ...]

    def covers(self, path: str) -> bool:
        return path in self.paths or path.startswith(self.prefixes)


def allow_list(routes: Iterable[BaseRoute]) -> AllowList:
    plain = [route for route in routes if isinstance(route, Route)]
    public = [route for route in plain if isinstance(route, PublicRoute)]
    prefixes = tuple(dict.fromkeys(route.path.split("{", 1)[0] for route in public if route.param_convertors))
    private = [route.path for route in plain if not isinstance(route, PublicRoute) and route.path.startswith(prefixes)]
    if private:
        raise ValueError(f"Routes below a public route's prefix {prefixes} must be public too: {private}")
    return AllowList(frozenset(route.path for route in public if not route.param_convertors), prefixes)


# The exact public paths of the server's routes (http/routes.py), for readers and tests; the
# middleware is given the allow-list of the routes of the app it serves.
PUBLIC_PATHS = allow_list(ROUTES).paths
ALLOWED_METHODS = b"GET, POST, PUT, PATCH, DELETE"

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
