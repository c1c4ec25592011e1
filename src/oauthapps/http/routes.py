"""The server's plain Starlette routes, in the order Starlette tries them: the hot ones first
(token, token checks, reading and querying OAuth apps), the management API's writes last. The
FastAPI mount that app.py adds after them answers whatever none of them matched."""

from __future__ import annotations

from starlette.routing import BaseRoute

from ..console.routes import routes as console_routes
from . import audit_log, authorize, data, identity, logout, members, oauth2, oauth_apps, password_pages, recovery, redirect_sessions

ROUTES: tuple[BaseRoute, ...] = (
    *oauth2.routes,
    *oauth_apps.hot_routes,
    *members.routes,
    *authorize.routes,
    *logout.routes,
    *redirect_sessions.routes,
    *identity.routes,
    *recovery.routes,
    *password_pages.routes,
    *data.routes,
    *oauth_apps.routes,
    *audit_log.routes,
    *console_routes,
)
